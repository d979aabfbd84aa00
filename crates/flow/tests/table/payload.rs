//! Payload retention and the classification hook.

use segscope_core::{AppProto, Confidence, EndReason, Transport};
use segscope_flow::FlowConfig;

use crate::support::{ACK, Conv, PSH, Pkt, SYN, cfg, ep, one, run, secs, t};

fn small() -> FlowConfig {
    FlowConfig {
        payload_budget: 16,
        reorder_segments: 2,
        ..cfg()
    }
}

fn handshake(c: &Conv) -> Vec<(f64, Pkt)> {
    vec![
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
    ]
}

#[test]
fn in_order_both_directions() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(b"\x16hello ")));
    p.push((0.4, c.c(PSH | ACK, 8, 1).data(b"world")));
    p.push((0.5, c.s(PSH | ACK, 1, 13).data(b"HTTP")));
    let (records, _, rec) = run(small(), &p);
    let calls = rec.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.client, b"\x16hello world");
    assert_eq!(call.server, b"HTTP");
    assert!(call.client_datagrams.is_empty(), "TCP is one stream");
    assert!(!call.client_gap && !call.client_budget);
    assert_eq!(call.meta.client, ep("10.0.0.1", 40000));
    assert_eq!(call.meta.server, ep("10.0.0.2", 443));
    assert_eq!(call.meta.transport, Transport::TCP);
    assert!(call.meta.server_answered);
    assert!(!call.meta.direction_inferred);
    assert_eq!((call.meta.first_ts, call.meta.last_ts), (t(0.0), t(0.5)));
    let r = one(&records);
    assert_eq!(r.app_proto, AppProto::Tls);
    assert_eq!(r.app_confidence, Confidence::Payload);
    assert_eq!(r.names.len(), 1);
}

#[test]
fn out_of_order_is_reordered() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 4, 1).data(b"def")));
    p.push((0.4, c.c(PSH | ACK, 1, 1).data(b"abc")));
    let (_, _, rec) = run(small(), &p);
    assert_eq!(rec.calls()[0].client, b"abcdef");
    assert!(!rec.calls()[0].client_gap);
}

/// A retransmission carrying different bytes: the first copy is kept.
#[test]
fn retransmission_keeps_first_copy() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(b"abc")));
    p.push((0.4, c.c(PSH | ACK, 1, 1).data(b"XYZ")));
    p.push((0.5, c.c(PSH | ACK, 4, 1).data(b"d")));
    let (records, table, rec) = run(small(), &p);
    assert_eq!(rec.calls()[0].client, b"abcd");
    assert_eq!(table.stats().retransmissions, 1);
    assert_eq!(one(&records).client_stats.bytes, 4);
}

#[test]
fn overlap_takes_only_new_bytes() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(b"abcd")));
    p.push((0.4, c.c(PSH | ACK, 3, 1).data(b"XXEF")));
    p.push((0.5, c.c(PSH | ACK, 9, 1).data(b"ij")));
    p.push((0.6, c.c(PSH | ACK, 7, 1).data(b"GHIJ")));
    let (_, _, rec) = run(small(), &p);
    assert_eq!(rec.calls()[0].client, b"abcdEFGHij");
}

/// A hole nobody acknowledged and nobody filled: at classification the stream stops before it.
#[test]
fn unfilled_hole_is_a_gap() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(b"ab")));
    p.push((0.4, c.c(PSH | ACK, 6, 1).data(b"fg")));
    let (records, table, rec) = run(small(), &p);
    let call = &rec.calls()[0];
    assert_eq!(call.client, b"ab");
    assert!(call.client_gap);
    assert!(one(&records).payload_gap);
    assert_eq!(table.stats().payload_gaps, 1);
}

#[test]
fn budget_reached_and_early_classification() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(&[0x16; 20])));
    p.push((0.4, c.s(PSH | ACK, 1, 21).data(&[b's'; 20])));
    p.push((0.5, c.c(PSH | ACK, 21, 21).data(b"later")));
    let (mut table, rec) = crate::support::table(small());
    let mut out = Vec::new();
    for (i, (s, pk)) in p.iter().enumerate().take(5) {
        table.process(t(*s), 0, i as u64 + 1, &pk.packet(), &mut out);
    }
    assert_eq!(
        rec.calls().len(),
        1,
        "both directions full: classified before any record"
    );
    assert_eq!(table.retained_bytes(), 0, "buffers freed at classification");
    table.process(t(0.5), 0, 6, &p[5].1.packet(), &mut out);
    table.flush(&mut out);
    assert_eq!(rec.calls().len(), 1, "classified once");
    let call = &rec.calls()[0];
    assert_eq!(call.client, [0x16; 16]);
    assert!(call.client_budget && call.server_budget);
    assert_eq!(
        table.stats().payload_budget_reached,
        1,
        "counted once per flow"
    );
    let r = one(&out);
    assert_eq!(r.app_proto, AppProto::Tls);
    assert_eq!(r.client_stats.bytes, 25);
}

/// No SYN seen: the stream starts at the first byte seen.
#[test]
fn midstream_stream_starts_at_first_segment() {
    let c = Conv::new();
    let p = [
        (0.0, c.c(PSH | ACK, 5000, 700).data(b"mid")),
        (0.1, c.c(PSH | ACK, 5003, 700).data(b"dle")),
    ];
    let (_, _, rec) = run(small(), &p);
    let call = &rec.calls()[0];
    assert_eq!(call.client, b"middle");
    assert!(call.meta.direction_inferred);
    assert!(!call.meta.server_answered);
}

#[test]
fn datagrams_keep_their_lengths() {
    let p = [
        (0.0, Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"query-1")),
        (0.1, Pkt::udp("10.0.0.2", 53, "10.0.0.1", 5000, b"answer")),
        (0.2, Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q2")),
        (
            0.3,
            Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q3-long-enough"),
        ),
    ];
    let (_, _, rec) = run(small(), &p);
    let call = &rec.calls()[0];
    assert_eq!(call.client, b"query-1q2q3-long");
    assert_eq!(call.client_datagrams, [7, 2, 7]);
    assert!(call.client_budget);
    assert_eq!(call.server, b"answer");
    assert_eq!(call.server_datagrams, [6]);
}

#[test]
fn reorder_queue_overflow_is_counted() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 3, 1).data(b"c")));
    p.push((0.4, c.c(PSH | ACK, 5, 1).data(b"e")));
    p.push((0.5, c.c(PSH | ACK, 7, 1).data(b"g")));
    let (_, table, _) = run(small(), &p);
    assert_eq!(table.stats().reorder_overflow, 1);
}

/// The table-wide cap: the second flow cannot get a buffer. The cap counts the bytes and each
/// flow's retention bookkeeping (about 160 bytes): 400 fits the first flow (150 bytes, 8
/// datagram slots) but not a second one.
#[test]
fn global_cap_denies_later_flows() {
    let cfg = FlowConfig {
        payload_budget: 200,
        payload_cap: 400,
        ..cfg()
    };
    let p = [
        (0.0, Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, &[1u8; 150])),
        (0.1, Pkt::udp("10.0.0.3", 5000, "10.0.0.2", 53, &[2u8; 100])),
    ];
    let (records, table, rec) = run(cfg, &p);
    assert_eq!(records.len(), 2);
    assert_eq!(table.stats().payload_cap_denied, 1);
    let calls = rec.calls();
    let denied = calls
        .iter()
        .find(|c| c.meta.client.ip == crate::support::ip("10.0.0.3"))
        .expect("second flow classified");
    assert!(denied.client.is_empty());
    assert_eq!(table.retained_bytes(), 0);
}

/// An interim record classifies the flow; later records reuse the classification (names only in
/// the first), and the classifier runs once.
#[test]
fn classification_kept_across_interim_records() {
    let c = Conv::new();
    let cfg = FlowConfig {
        active_timeout: Some(secs(60)),
        ..small()
    };
    let mut p = handshake(&c);
    p.push((1.0, c.c(PSH | ACK, 1, 1).data(b"\x16abc")));
    p.push((61.0, c.c(PSH | ACK, 5, 1).data(b"more")));
    p.push((122.0, c.c(PSH | ACK, 9, 1).data(b"again")));
    let (records, _, rec) = run(cfg, &p);
    assert_eq!(records.len(), 3);
    assert_eq!(rec.calls().len(), 1);
    assert_eq!(
        rec.calls()[0].client,
        b"\x16abc",
        "payload up to the first record"
    );
    assert!(records.iter().all(|r| r.app_proto == AppProto::Tls));
    assert_eq!(records[0].names.len(), 1);
    assert!(records[1].names.is_empty() && records[2].names.is_empty());
    assert_eq!(records[2].end_reason, EndReason::EndOfInput);
}

/// A segment cut by the capture's snaplen: the bytes not captured are a hole in the stream.
#[test]
fn snaplen_cut_segment_stops_the_stream() {
    let c = Conv::new();
    let mut p = handshake(&c);
    p.push((0.3, c.c(PSH | ACK, 1, 1).data(b"abcd").declared(8)));
    p.push((0.4, c.c(PSH | ACK, 9, 1).data(b"ijkl")));
    let (records, _, rec) = run(small(), &p);
    let call = &rec.calls()[0];
    assert_eq!(call.client, b"abcd");
    assert!(call.client_gap);
    assert_eq!(
        one(&records).client_stats.bytes,
        12,
        "sequence space counts the cut bytes"
    );
}
