//! Every Zeek `conn_state` with its exact history, from hand-built TCP exchanges.
//!
//! Expected values are derived from Zeek's documented semantics: the `conn_state()` function of
//! `base/protocols/conn/main.zeek` (state names and the endpoint states they come from), the
//! history letters documented for `Conn::Info$history` (upper case originator, lower case
//! responder, `^` for a flip, repeated `T`/`W`/`G` at 1, 10, 100…), and the transitions of
//! Zeek's TCP analyzer. Where a real Zeek baseline shows the same exchange, its history is cited.

use segscope_core::{ConnState, EndReason};

use crate::support::{ACK, Conv, FIN, PSH, Pkt, RST, SYN, cfg, ep, one, run, t};

fn state_history(packets: &[(f64, Pkt)]) -> (ConnState, String) {
    let (records, _, _) = run(cfg(), packets);
    let r = one(&records);
    (r.state, r.history.clone())
}

/// A full exchange: handshake, request, response, FIN both ways, final ACK. Zeek's baseline for
/// `http-get.pcap` shows the same history, `ShADadFf`, with state `SF`.
#[test]
fn sf_normal_close() {
    let c = Conv::new();
    let req = vec![b'q'; 120];
    let resp = vec![b'r'; 3000];
    let packets = [
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
        (0.3, c.c(PSH | ACK, 1, 1).data(&req)),
        (0.4, c.s(ACK, 1, 121)),
        (0.5, c.s(PSH | ACK, 1, 121).data(&resp)),
        (0.6, c.c(ACK, 121, 3001)),
        (0.7, c.c(FIN | ACK, 121, 3001)),
        (0.8, c.s(FIN | ACK, 3001, 122)),
        (0.9, c.c(ACK, 122, 3002)),
    ];
    let (records, table, _) = run(cfg(), &packets);
    let r = one(&records);
    assert_eq!(r.state, ConnState::SF);
    assert_eq!(r.history, "ShADadFf");
    assert_eq!(r.client, ep("10.0.0.1", 40000));
    assert_eq!(r.server, ep("10.0.0.2", 443));
    assert!(!r.direction_inferred);
    assert_eq!(r.client_stats.packets, 6);
    assert_eq!(r.server_stats.packets, 4);
    assert_eq!(
        r.client_stats.bytes, 120,
        "sequence space minus SYN and FIN"
    );
    assert_eq!(r.server_stats.bytes, 3000);
    assert_eq!(r.client_stats.ip_bytes, 6 * 40 + 120);
    assert_eq!(r.server_stats.ip_bytes, 4 * 40 + 3000);
    assert_eq!(r.first_ts, t(0.0));
    assert_eq!(r.last_ts, t(0.9));
    assert_eq!(r.source.first_frame, 1);
    assert_eq!(&*r.source.file, "test.pcap");
    assert_eq!(table.stats().flows, 1);
}

#[test]
fn s0_attempt_with_retransmitted_syn() {
    let c = Conv::new();
    let (state, history) = state_history(&[(0.0, c.c(SYN, 0, 0)), (1.0, c.c(SYN, 0, 0))]);
    assert_eq!((state, history.as_str()), (ConnState::S0, "S"));
}

#[test]
fn rej_reset_answers_syn() {
    let c = Conv::new();
    let (state, history) = state_history(&[(0.0, c.c(SYN, 0, 0)), (0.1, c.s(RST | ACK, 0, 1))]);
    assert_eq!((state, history.as_str()), (ConnState::REJ, "Sr"));
}

fn established(c: &Conv) -> Vec<(f64, Pkt)> {
    vec![
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
        (0.3, c.c(PSH | ACK, 1, 1).data(b"hello")),
        (0.4, c.s(ACK, 1, 6)),
        (0.5, c.s(PSH | ACK, 1, 6).data(b"world!")),
    ]
}

#[test]
fn s1_established_not_closed() {
    let c = Conv::new();
    let (state, history) = state_history(&established(&c));
    assert_eq!((state, history.as_str()), (ConnState::S1, "ShADad"));
}

#[test]
fn s2_client_closed_only() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.c(FIN | ACK, 6, 7)));
    p.push((0.7, c.s(ACK, 7, 7)));
    assert_eq!(state_history(&p), (ConnState::S2, "ShADadF".to_string()));
}

#[test]
fn s3_server_closed_only() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.s(FIN | ACK, 7, 6)));
    p.push((0.7, c.c(ACK, 6, 8)));
    assert_eq!(state_history(&p), (ConnState::S3, "ShADadf".to_string()));
}

#[test]
fn rsto_client_aborts() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.c(RST | ACK, 6, 7)));
    assert_eq!(state_history(&p), (ConnState::RSTO, "ShADadR".to_string()));
}

/// FIN then RST from the originator: Zeek's `ldap-ldap-starttls` baseline, `ShADadFR`, `RSTO`.
#[test]
fn rsto_after_client_fin() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.c(FIN | ACK, 6, 7)));
    p.push((0.7, c.s(ACK, 7, 7)));
    p.push((0.8, c.c(RST | ACK, 7, 7)));
    assert_eq!(state_history(&p), (ConnState::RSTO, "ShADadFR".to_string()));
}

#[test]
fn rstr_server_aborts() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.s(RST | ACK, 7, 6)));
    assert_eq!(state_history(&p), (ConnState::RSTR, "ShADadr".to_string()));
}

/// FIN from the server answered by a RST from the client after the server closed: the client's
/// RST after the peer's FIN. Zeek: RST in CLOSED state is ignored only when the peer is closed.
#[test]
fn sf_survives_rst_after_both_fins() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.c(FIN | ACK, 6, 7)));
    p.push((0.7, c.s(FIN | ACK, 7, 7)));
    p.push((0.8, c.c(RST, 7, 0)));
    assert_eq!(state_history(&p), (ConnState::SF, "ShADadFfR".to_string()));
}

/// FIN then RST from the originator, then the responder's FIN: Zeek turns the RST back into a
/// close (`tls-irc-starttls` baseline: `ShADadFRf`, `SF`).
#[test]
fn fin_rst_then_peer_fin_is_sf() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.c(FIN | ACK, 6, 7)));
    p.push((0.7, c.c(RST | ACK, 7, 7)));
    p.push((0.8, c.s(FIN | ACK, 7, 7)));
    assert_eq!(state_history(&p), (ConnState::SF, "ShADadFRf".to_string()));
}

#[test]
fn rstos0_syn_then_reset() {
    let c = Conv::new();
    let (state, history) = state_history(&[(0.0, c.c(SYN, 0, 0)), (0.1, c.c(RST, 1, 0))]);
    assert_eq!((state, history.as_str()), (ConnState::RSTOS0, "SR"));
}

/// A SYN-ACK seen first: its receiver is the client and the history starts with `^`.
#[test]
fn rstrh_synack_then_reset() {
    let c = Conv::new();
    let (records, _, _) = run(cfg(), &[(0.0, c.s(SYN | ACK, 0, 1)), (0.1, c.s(RST, 1, 0))]);
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::RSTRH, "^hr"));
    assert_eq!(r.client, ep("10.0.0.1", 40000));
    assert!(!r.direction_inferred, "a SYN-ACK shows the direction");
    assert_eq!(r.client_stats.packets, 0);
    assert_eq!(r.server_stats.packets, 2);
}

/// SYN then FIN without answer. Zeek's `mixed-vlan-mpls` baseline has such a flow: `SH`.
#[test]
fn sh_syn_then_fin() {
    let c = Conv::new();
    let (state, history) = state_history(&[(0.0, c.c(SYN, 0, 0)), (0.1, c.c(FIN, 1, 0))]);
    assert_eq!((state, history.as_str()), (ConnState::SH, "SF"));
}

#[test]
fn shr_synack_then_fin() {
    let c = Conv::new();
    let (state, history) =
        state_history(&[(0.0, c.s(SYN | ACK, 0, 1)), (0.1, c.s(FIN | ACK, 1, 1))]);
    assert_eq!((state, history.as_str()), (ConnState::SHR, "^hf"));
}

/// Midstream traffic: Zeek's `redis-django-cloud` baseline, `DdA`, `OTH`.
#[test]
fn oth_midstream() {
    let c = Conv::new();
    let (records, _, _) = run(
        cfg(),
        &[
            (0.0, c.c(PSH | ACK, 100, 200).data(b"*1\r\n")),
            (0.1, c.s(PSH | ACK, 200, 104).data(b"+OK\r\n")),
            (0.2, c.c(ACK, 104, 205)),
        ],
    );
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::OTH, "DdA"));
    assert!(r.direction_inferred);
    assert_eq!(r.client, ep("10.0.0.1", 40000));
    assert_eq!(
        r.client_stats.bytes, 4,
        "midstream bytes count from the first sequence seen"
    );
    assert_eq!(r.server_stats.bytes, 5);
}

/// Midstream and the first packet comes from the service port: roles flip (`^`).
#[test]
fn midstream_from_server_flips() {
    let c = Conv::new();
    let (records, _, _) = run(
        cfg(),
        &[
            (0.0, c.s(PSH | ACK, 200, 104).data(b"+OK\r\n")),
            (0.1, c.c(ACK, 104, 205)),
        ],
    );
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::OTH, "^dA"));
    assert_eq!(r.client, ep("10.0.0.1", 40000));
    assert_eq!(r.server, ep("10.0.0.2", 443));
    assert!(r.direction_inferred);
}

/// The SYN was lost: SYN-ACK, ACK, data, close. Zeek establishes the connection when the
/// originator ACKs a SYN-ACK (`UpdateInactiveState`), so the flow is `SF`.
#[test]
fn missed_syn_still_closes_normally() {
    let c = Conv::new();
    let p = [
        (0.0, c.s(SYN | ACK, 0, 1)),
        (0.1, c.c(ACK, 1, 1)),
        (0.2, c.c(PSH | ACK, 1, 1).data(b"abc")),
        (0.3, c.s(PSH | ACK, 1, 4).data(b"de")),
        (0.4, c.c(FIN | ACK, 4, 3)),
        (0.5, c.s(FIN | ACK, 3, 5)),
        (0.6, c.c(ACK, 5, 4)),
    ];
    let (records, _, _) = run(cfg(), &p);
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::SF, "^hADdFf"));
    assert_eq!(r.client_stats.bytes, 3);
    assert_eq!(r.server_stats.bytes, 2);
}

#[test]
fn retransmissions_scale_t() {
    let c = Conv::new();
    let mut p = established(&c);
    for i in 0..10 {
        p.push((
            0.6 + f64::from(i) * 0.01,
            c.c(PSH | ACK, 1, 7).data(b"hello"),
        ));
    }
    let (records, table, _) = run(cfg(), &p);
    let r = one(&records);
    assert_eq!(
        r.history, "ShADadTT",
        "T at the 1st and 10th retransmission"
    );
    assert_eq!(
        r.client_stats.bytes, 5,
        "retransmitted bytes are not counted twice"
    );
    assert_eq!(r.client_stats.packets, 13);
    assert_eq!(table.stats().retransmissions, 10);
}

#[test]
fn zero_window_from_server() {
    let c = Conv::new();
    let mut p = established(&c);
    p.push((0.6, c.s(ACK, 7, 6).window(0)));
    assert_eq!(state_history(&p).1, "ShADadw");
}

/// The server's second segment is missing from the capture but the client acknowledges it:
/// a content gap in the server's stream (`g`).
#[test]
fn gap_in_server_stream() {
    let c = Conv::new();
    let seg = vec![b'x'; 100];
    let p = [
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
        (0.3, c.s(PSH | ACK, 1, 1).data(&seg)),
        (0.4, c.s(PSH | ACK, 201, 1).data(&seg)),
        (0.5, c.c(ACK, 1, 301)),
    ];
    let (records, table, rec) = run(cfg(), &p);
    let r = one(&records);
    assert_eq!(r.history, "ShAdg");
    assert_eq!(
        r.server_stats.bytes, 300,
        "acknowledged sequence space counts, as in Zeek"
    );
    assert!(r.payload_gap);
    assert_eq!(table.stats().payload_gaps, 1);
    let calls = rec.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].server, seg, "the stream stops at the hole");
    assert!(calls[0].server_gap);
    assert!(!calls[0].client_gap);
}

/// FIN-ACK both ways then a trailing ACK during the linger: one flow, written as closed once
/// the linger (5 s of silence) ends.
#[test]
fn closed_flow_lingers_then_is_written() {
    let c = Conv::new();
    let (mut table, _) = crate::support::table(cfg());
    let mut out = Vec::new();
    let packets = [
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
        (0.3, c.c(FIN | ACK, 1, 1)),
        (0.4, c.s(FIN | ACK, 1, 2)),
        (0.5, c.c(ACK, 2, 2)),
        (3.0, c.c(ACK, 2, 2)),
    ];
    for (i, (s, p)) in packets.iter().enumerate() {
        table.process(t(*s), 0, i as u64 + 1, &p.packet(), &mut out);
    }
    table.advance(t(7.9), &mut out);
    assert!(out.is_empty(), "the trailing ACK restarted the linger");
    table.advance(t(8.0), &mut out);
    let r = one(&out);
    assert_eq!(r.end_reason, EndReason::Closed);
    assert_eq!(r.state, ConnState::SF);
    assert_eq!(r.client_stats.packets, 5);
    assert_eq!(table.stats().closed, 1);
    assert_eq!(table.open_flows(), 0);
}
