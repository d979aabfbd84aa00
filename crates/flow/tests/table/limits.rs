//! The flow cap: eviction of the least recently active flow.

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::EndReason;
use segscope_flow::FlowConfig;

use crate::support::{Pkt, SYN, cfg, ip, t, table};

#[test]
fn least_recently_active_flow_is_evicted() {
    let cfg = FlowConfig {
        max_flows: 2,
        ..cfg()
    };
    let a = Pkt::udp("10.0.0.1", 5000, "10.0.0.9", 53, b"a");
    let b = Pkt::udp("10.0.0.2", 5000, "10.0.0.9", 53, b"b");
    let c = Pkt::udp("10.0.0.3", 5000, "10.0.0.9", 53, b"c");
    let (mut table, _) = table(cfg);
    let mut out = Vec::new();
    table.process(t(0.0), 0, 1, &a.packet(), &mut out);
    table.process(t(1.0), 0, 2, &b.packet(), &mut out);
    table.process(t(2.0), 0, 3, &a.reversed().packet(), &mut out);
    assert!(out.is_empty());
    table.process(t(3.0), 0, 4, &c.packet(), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].end_reason, EndReason::Evicted);
    assert_eq!(out[0].client.ip, ip("10.0.0.2"));
    assert_eq!(table.open_flows(), 2);
    let stats = table.stats();
    assert_eq!(
        (stats.flows, stats.flows_evicted, stats.peak_open_flows),
        (3, 1, 2)
    );
    table.flush(&mut out);
    assert_eq!(out.len(), 3);
}

/// A scan of 100,000 SYNs through a table of 100 flows: memory stays bounded and every attempt
/// is still written (as an evicted `S0` flow).
#[test]
fn syn_scan_stays_within_the_cap() {
    let cfg = FlowConfig {
        max_flows: 100,
        ..cfg()
    };
    let (mut table, _) = table(cfg);
    let mut out = Vec::new();
    let mut written = 0u64;
    for i in 0..100_000u32 {
        let src = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i >> 8)));
        let mut p = Pkt::tcp("192.0.2.1", 1, "198.51.100.1", 80, SYN, i, 0);
        p.src = src;
        p.sport = 1024 + (i & 0xff) as u16;
        table.process(
            t(f64::from(i) * 1e-6),
            0,
            u64::from(i) + 1,
            &p.packet(),
            &mut out,
        );
        assert!(table.open_flows() <= 100);
        written += out.len() as u64;
        out.clear();
    }
    let stats = table.stats();
    assert_eq!(stats.flows, 100_000);
    assert_eq!(stats.flows_evicted, 99_900);
    assert_eq!(stats.peak_open_flows, 100);
    assert_eq!(written, 99_900);
    assert_eq!(table.retained_bytes(), 0);
}
