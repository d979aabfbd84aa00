//! Idle timeouts per class, interim records, and independence from how often `advance` runs.

use segscope_core::{ConnState, EndReason, FlowRecord};
use segscope_flow::FlowConfig;

use crate::support::{ACK, Conv, PSH, Pkt, SYN, cfg, one, secs, t, table};
use crate::synth;

fn feed(cfg: FlowConfig, packets: &[(f64, Pkt)], advance_at: &[f64]) -> Vec<FlowRecord> {
    let (mut table, _) = table(cfg);
    let mut out = Vec::new();
    for (i, (s, p)) in packets.iter().enumerate() {
        table.process(t(*s), 0, i as u64 + 1, &p.packet(), &mut out);
    }
    for a in advance_at {
        table.advance(t(*a), &mut out);
    }
    out
}

#[test]
fn udp_idle_timeout_is_one_minute() {
    let q = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q");
    assert!(feed(cfg(), &[(0.0, q.clone())], &[59.999]).is_empty());
    let out = feed(cfg(), &[(0.0, q)], &[60.0]);
    assert_eq!(one(&out).end_reason, EndReason::IdleTimeout);
}

/// A packet after the timeout starts a new flow, whether or not `advance` ran in between.
#[test]
fn packet_after_timeout_starts_a_new_flow() {
    let q = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q");
    let (mut table, _) = table(cfg());
    let mut out = Vec::new();
    table.process(t(0.0), 0, 1, &q.packet(), &mut out);
    table.process(t(61.0), 0, 2, &q.packet(), &mut out);
    assert_eq!(one(&out).end_reason, EndReason::IdleTimeout);
    assert_eq!(out[0].last_ts, t(0.0));
    table.flush(&mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].first_ts, t(61.0));
    assert_eq!(out[1].source.first_frame, 2);
    assert_ne!(out[0].flow_id, out[1].flow_id);
    assert_eq!(table.stats().idle_timeouts, 1);
    assert_eq!(table.stats().flushed_at_end, 1);
}

#[test]
fn tcp_classes_have_their_own_timeouts() {
    let c = Conv::new();
    let attempt = [(0.0, c.c(SYN, 0, 0))];
    assert!(feed(cfg(), &attempt, &[59.0]).is_empty());
    let out = feed(cfg(), &attempt, &[60.0]);
    assert_eq!(one(&out).state, ConnState::S0);

    let open = [
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
    ];
    assert!(feed(cfg(), &open, &[60.0, 299.0]).is_empty());
    let out = feed(cfg(), &open, &[300.2]);
    assert_eq!(one(&out).state, ConnState::S1);
    assert_eq!(out[0].end_reason, EndReason::IdleTimeout);

    let custom = FlowConfig {
        tcp_established_timeout: secs(10),
        ..cfg()
    };
    assert_eq!(feed(custom, &open, &[10.2]).len(), 1);
}

#[test]
fn icmp_idle_timeout() {
    let ping = Pkt::icmp("10.0.0.1", "10.0.0.2", 8, 0);
    assert!(feed(cfg(), &[(0.0, ping.clone())], &[59.0]).is_empty());
    assert_eq!(feed(cfg(), &[(0.0, ping)], &[60.0]).len(), 1);
}

/// A long TCP flow with a packet every 4 minutes for 70 minutes and a 30-minute active timeout:
/// two interim records and a final one, each covering only its slice.
#[test]
fn active_timeout_slices() {
    let c = Conv::new();
    let mut p = vec![
        (0.0, c.c(SYN, 0, 0)),
        (0.1, c.s(SYN | ACK, 0, 1)),
        (0.2, c.c(ACK, 1, 1)),
    ];
    let mut seq = 1;
    for k in 1..=17u32 {
        p.push((
            f64::from(k) * 240.0,
            c.c(PSH | ACK, seq, 1).data(&[b'x'; 100]),
        ));
        seq += 100;
    }
    let (mut table, _) = table(cfg());
    let mut out = Vec::new();
    for (i, (s, pk)) in p.iter().enumerate() {
        table.process(t(*s), 0, i as u64 + 1, &pk.packet(), &mut out);
    }
    table.flush(&mut out);
    assert_eq!(out.len(), 3);
    let seqs: Vec<u32> = out.iter().map(|r| r.record_seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    assert_eq!(
        out.iter().map(|r| r.interim).collect::<Vec<_>>(),
        [true, true, false]
    );
    assert_eq!(out[0].end_reason, EndReason::ActiveTimeout);
    assert_eq!(out[2].end_reason, EndReason::EndOfInput);
    assert!(out.iter().all(|r| r.flow_id == out[0].flow_id));
    // Slice 0: 0 s .. 1680 s (the packet at 1920 s is the first at or after 1800 s).
    assert_eq!((out[0].first_ts, out[0].last_ts), (t(0.0), t(1680.0)));
    assert_eq!((out[1].first_ts, out[1].last_ts), (t(1920.0), t(3600.0)));
    assert_eq!((out[2].first_ts, out[2].last_ts), (t(3840.0), t(4080.0)));
    assert_eq!(out[1].source.first_frame, 11);
    assert_eq!(out[0].client_stats.packets, 9);
    assert_eq!(out[0].client_stats.bytes, 700);
    assert_eq!(out[1].client_stats.bytes, 800);
    assert_eq!(out[2].client_stats.bytes, 200);
    let packets: u64 = out.iter().map(FlowRecord::packets).sum();
    assert_eq!(packets, p.len() as u64);
    assert_eq!(out[2].history, "ShAD", "history covers the whole flow");
    assert_eq!(table.stats().interim_records, 2);
    assert_eq!(table.stats().records, 3);
}

#[test]
fn no_active_timeout_when_disabled() {
    let q = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q");
    let cfg = FlowConfig {
        active_timeout: None,
        ..cfg()
    };
    let packets: Vec<(f64, Pkt)> = (0..200).map(|k| (f64::from(k) * 30.0, q.clone())).collect();
    let out = feed(cfg, &packets, &[]);
    assert!(out.is_empty());
}

#[test]
fn time_going_backwards_is_counted_and_clamped() {
    let q = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"q");
    let (mut table, _) = table(cfg());
    let mut out = Vec::new();
    table.process(t(10.0), 0, 1, &q.packet(), &mut out);
    table.process(t(5.0), 0, 2, &q.packet(), &mut out);
    table.flush(&mut out);
    let r = one(&out);
    assert_eq!((r.first_ts, r.last_ts), (t(10.0), t(10.0)));
    assert_eq!(r.client_stats.packets, 2);
    assert_eq!(table.stats().time_went_backwards, 1);
}

/// The same packets give the same records, in the same order, whether `advance` runs before
/// every packet or never.
#[test]
fn advance_frequency_does_not_change_records() {
    let data: Vec<u8> = (0..6000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let pkts = synth::packets(&data);
    let cfg = FlowConfig {
        max_flows: 1_000_000,
        ..synth::tiny_config()
    };
    let run = |advance: bool| {
        let mut table = segscope_flow::FlowTable::new(cfg.clone(), synth::Touch, vec![]);
        let mut out = Vec::new();
        for (i, p) in pkts.iter().enumerate() {
            if advance {
                table.advance(p.ts, &mut out);
            }
            table.process(p.ts, 0, i as u64 + 1, &p.packet, &mut out);
        }
        table.flush(&mut out);
        out
    };
    let with = run(true);
    let without = run(false);
    assert!(with.len() > 50);
    assert_eq!(with, without);
}

/// A busy flow is moved in its list at most once per ~1.07 s of packet time; it must still not
/// hold up the expiry of a quiet flow behind it by more than that.
#[test]
fn busy_flow_does_not_block_expiry() {
    let busy = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"b");
    let quiet = Pkt::udp("10.0.0.3", 5000, "10.0.0.2", 53, b"q");
    let (mut table, _) = table(cfg());
    let mut out = Vec::new();
    table.process(t(0.0), 0, 1, &busy.packet(), &mut out);
    table.process(t(0.1), 0, 2, &quiet.packet(), &mut out);
    for k in 1..140u32 {
        let at = f64::from(k) * 0.5;
        table.process(t(at), 0, u64::from(k) + 2, &busy.packet(), &mut out);
        table.advance(t(at), &mut out);
    }
    let r = one(&out);
    assert_eq!(r.client.ip, crate::support::ip("10.0.0.3"));
    assert_eq!(r.end_reason, EndReason::IdleTimeout);
    assert_eq!(table.open_flows(), 1);
}
