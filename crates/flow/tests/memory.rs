//! Memory bounds, measured from the process's resident set (`/proc/self/statm`,
//! `/proc/self/status`). One test in its own binary so nothing else allocates meanwhile.
//!
//! 1. A SYN flood: 2,000,000 distinct SYNs through a table capped at 10,000 flows. Memory must
//!    stay flat (every attempt is written as an evicted `S0` record and dropped).
//! 2. One million open TCP flows without payload: resident bytes per flow must stay within the
//!    300-byte budget (hot state, slab and hash index included).

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::{Classification, Classify, DirPayload, FlowMeta, Timestamp, Transport};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_wire::{Fragment, Packet, TcpInfo, tcp_flags};

struct Nothing;

impl Classify for Nothing {
    fn classify(&self, _: &FlowMeta, _: DirPayload<'_>, _: DirPayload<'_>) -> Classification {
        Classification::default()
    }
}

fn syn(i: u32) -> Packet<'static> {
    Packet {
        src: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i >> 8))),
        dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 80)),
        transport: Transport::TCP,
        src_port: 1024 + (i & 0xff) as u16,
        dst_port: 443,
        vlan: None,
        inner_vlan: None,
        tunnels: [None; 3],
        ip_len: 60,
        payload: &[],
        payload_len: 0,
        tcp: TcpInfo {
            seq: i,
            ack: 0,
            flags: tcp_flags::SYN,
            window: 64240,
        },
        fragment: Fragment::None,
        quoted: None,
    }
}

/// Resident bytes now.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Peak resident bytes so far (`VmHWM`).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn config(max_flows: u32) -> FlowConfig {
    FlowConfig {
        max_flows,
        active_timeout: None,
        ..FlowConfig::default()
    }
}

#[test]
fn memory_stays_bounded() {
    let (Some(start), Some(_)) = (rss(), peak_rss()) else {
        eprintln!("SKIP: /proc/self/statm or /proc/self/status unavailable");
        return;
    };

    // 1. SYN flood through a small table.
    let mut table = FlowTable::new(config(10_000), Nothing, vec![]);
    let mut out = Vec::new();
    let mut written = 0u64;
    for i in 0..2_000_000u32 {
        table.process(
            Timestamp(i64::from(i) * 1_000),
            0,
            u64::from(i) + 1,
            &syn(i),
            &mut out,
        );
        written += out.len() as u64;
        out.clear();
    }
    let flood_peak = peak_rss().unwrap_or(0);
    let stats = table.stats();
    assert_eq!(table.open_flows(), 10_000);
    assert_eq!(stats.flows_evicted, 1_990_000);
    assert_eq!(written, 1_990_000);
    drop(table);
    eprintln!(
        "SYN flood: 2,000,000 SYNs, cap 10,000: peak RSS {:.1} MiB (start {:.1} MiB)",
        flood_peak as f64 / 1048576.0,
        start as f64 / 1048576.0
    );
    assert!(
        flood_peak < start + 64 * 1024 * 1024,
        "the flood grew memory by {} bytes",
        flood_peak - start
    );

    // 2. One million open flows.
    let before = rss().unwrap_or(0);
    let n = 1_000_000u32;
    let mut table = FlowTable::new(config(n), Nothing, vec![]);
    for i in 0..n {
        table.process(
            Timestamp(i64::from(i) * 1_000),
            0,
            u64::from(i) + 1,
            &syn(i),
            &mut out,
        );
    }
    assert!(out.is_empty());
    assert_eq!(table.open_flows(), n as usize);
    let after = rss().unwrap_or(0);
    let per_flow = after.saturating_sub(before) as f64 / f64::from(n);
    eprintln!(
        "1,000,000 open TCP flows: {:.1} MiB resident, {per_flow:.0} bytes per flow",
        after.saturating_sub(before) as f64 / 1048576.0
    );
    assert!(per_flow <= 300.0, "{per_flow:.0} bytes per open flow");
}
