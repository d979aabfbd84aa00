//! Synthetic packet sequences from arbitrary bytes, shared by the property tests and the
//! `flow_table` fuzz target (which includes this file by path).
//!
//! Every 6 bytes make one packet between a few hosts and ports, so that flows collide, close,
//! time out, get evicted, fragment and draw ICMP errors:
//!
//! | byte | meaning |
//! |------|---------|
//! | 0 | bits 0-1 transport (TCP, UDP, ICMP, ESP), bit 2 swap direction, bits 3-4 fragment (none, none, first, later), bit 5 IPv6, bit 6 VLAN 7, bit 7 ICMP error quoting a flow |
//! | 1 | low 2 bits source host, bits 4-5 destination host |
//! | 2 | low 2 bits source port choice, bits 4-5 destination port choice |
//! | 3 | TCP flags / ICMP type choice |
//! | 4 | sequence step and payload length (0-31 bytes) |
//! | 5 | time step: `b²` × 10 ms forward, or 1 s backwards when 255 |

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use segscope_core::flow::QuotedFlow;
use segscope_core::stats::FlowStats;
use segscope_core::{
    Classification, Classify, DirPayload, Endpoint, FlowMeta, FlowRecord, Span, Timestamp,
    Transport,
};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_wire::{Fragment, Packet, TcpInfo};

const PORTS: [u16; 4] = [80, 443, 53, 40000];
const ICMP_TYPES: [(u8, u8); 6] = [(8, 0), (0, 0), (3, 13), (3, 3), (11, 0), (5, 1)];
const ICMPV6_TYPES: [(u8, u8); 6] = [(128, 0), (129, 0), (1, 1), (1, 3), (3, 0), (135, 0)];
const PAYLOAD: [u8; 32] = *b"\x16\x03\x01GET / HTTP/1.1\r\nHost: xy\r\n\r\n!";

/// A classifier that reads every byte it is given (to catch bad views) and answers nothing.
pub(crate) struct Touch;

impl Classify for Touch {
    fn classify(&self, meta: &FlowMeta, c: DirPayload<'_>, s: DirPayload<'_>) -> Classification {
        let sum: usize = c.messages().chain(s.messages()).map(<[u8]>::len).sum();
        assert!(sum <= c.bytes.len() + s.bytes.len());
        assert!(meta.first_ts <= meta.last_ts);
        Classification::default()
    }
}

/// The tiny limits used for fuzzing: everything overflows quickly.
pub(crate) fn tiny_config() -> FlowConfig {
    FlowConfig {
        active_timeout: Some(Span::from_secs(120)),
        max_flows: 4,
        payload_budget: 24,
        payload_cap: 100,
        reorder_segments: 2,
        payload_datagrams: 3,
        fragment_cap: 2,
        icmp_errors_per_flow: 1,
        ..FlowConfig::default()
    }
}

fn host(n: u8, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(n) + 1))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n + 1))
    }
}

/// One synthetic packet, owning nothing (its payload is a slice of a constant).
pub(crate) struct Synth {
    /// Capture time.
    pub(crate) ts: Timestamp,
    /// The decoded view.
    pub(crate) packet: Packet<'static>,
}

/// Interprets `data` as packets.
pub(crate) fn packets(data: &[u8]) -> Vec<Synth> {
    let mut now: i64 = 1_000_000_000_000_000_000;
    let mut out = Vec::new();
    for chunk in data.chunks_exact(6) {
        let [b0, b1, b2, b3, b4, b5] = [chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5]];
        now = if b5 == 255 {
            now - 1_000_000_000
        } else {
            now + i64::from(b5) * i64::from(b5) * 10_000_000
        };
        let v6 = b0 & 0x20 != 0;
        let (mut src, mut dst) = (host(b1 & 3, v6), host((b1 >> 4) & 3, v6));
        let (mut sport, mut dport) = (
            PORTS[usize::from(b2 & 3)],
            PORTS[usize::from((b2 >> 4) & 3)],
        );
        if b0 & 4 != 0 {
            std::mem::swap(&mut src, &mut dst);
            std::mem::swap(&mut sport, &mut dport);
        }
        let len = u32::from(b4 & 31);
        let transport = match b0 & 3 {
            0 => Transport::TCP,
            1 => Transport::UDP,
            2 if v6 => Transport::ICMPV6,
            2 => Transport::ICMP,
            _ => Transport::ESP,
        };
        let mut tcp = TcpInfo::default();
        let mut quoted = None;
        match transport {
            Transport::TCP => {
                tcp = TcpInfo {
                    seq: u32::from(b4) * 97 + u32::from(b1) * 1_000_000,
                    ack: u32::from(b3) * 89 + u32::from(b1 >> 4) * 1_000_000,
                    flags: b3,
                    window: u16::from(b4 & 1) * 1000,
                };
            }
            Transport::ICMP | Transport::ICMPV6 => {
                let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
                let (t, c) = table[usize::from(b3) % table.len()];
                sport = u16::from(t);
                dport = u16::from(c);
                if b0 & 0x80 != 0 {
                    quoted = Some(QuotedFlow {
                        src: Endpoint {
                            ip: dst,
                            port: PORTS[usize::from(b4 & 3)],
                        },
                        dst: Endpoint {
                            ip: host((b4 >> 2) & 3, v6),
                            port: PORTS[usize::from((b4 >> 4) & 3)],
                        },
                        transport: if b4 & 64 != 0 {
                            Transport::UDP
                        } else {
                            Transport::TCP
                        },
                    });
                }
            }
            Transport::ESP => {
                sport = 0;
                dport = 0;
            }
            _ => {}
        }
        let fragment = match (b0 >> 3) & 3 {
            2 => Fragment::First { id: u32::from(b2) },
            3 => Fragment::Later { id: u32::from(b2) },
            _ => Fragment::None,
        };
        if matches!(fragment, Fragment::Later { .. }) {
            sport = 0;
            dport = 0;
        }
        let payload = PAYLOAD.get(..len as usize).unwrap_or_default();
        let captured = if b4 & 32 != 0 {
            payload.get(..payload.len() / 2).unwrap_or_default()
        } else {
            payload
        };
        out.push(Synth {
            ts: Timestamp(now),
            packet: Packet {
                src,
                dst,
                transport,
                src_port: sport,
                dst_port: dport,
                vlan: (b0 & 0x40 != 0).then_some(7),
                inner_vlan: None,
                tunnels: [None; 3],
                ip_len: 40 + len,
                payload: captured,
                payload_len: len,
                tcp,
                fragment,
                quoted,
            },
        });
    }
    out
}

/// The outcome of a run.
pub(crate) struct Run {
    /// Packets handed to the table.
    pub(crate) packets_in: u64,
    /// Every record written, flush included.
    pub(crate) records: Vec<FlowRecord>,
    /// The table's counters after the flush.
    pub(crate) stats: FlowStats,
    /// Flows still open after the flush (must be 0).
    pub(crate) open_after_flush: usize,
    /// Payload bytes still retained after the flush (must be 0).
    pub(crate) retained_after_flush: u64,
}

/// Drives a table with `cfg` through the packets of `data`, calling `advance` every 7 packets.
pub(crate) fn drive(data: &[u8], cfg: FlowConfig) -> Run {
    let mut table = FlowTable::new(cfg, Touch, vec![Arc::from("synthetic")]);
    let mut records = Vec::new();
    let pkts = packets(data);
    for (i, p) in pkts.iter().enumerate() {
        table.process(p.ts, 0, i as u64 + 1, &p.packet, &mut records);
        if i % 7 == 6 {
            table.advance(p.ts, &mut records);
        }
    }
    table.flush(&mut records);
    Run {
        packets_in: pkts.len() as u64,
        records,
        stats: table.stats(),
        open_after_flush: table.open_flows(),
        retained_after_flush: table.retained_bytes(),
    }
}

/// Checks the invariants every run must hold; returns a description of the first violation.
pub(crate) fn check(run: &Run) -> Result<(), String> {
    // A later fragment joins its datagram's packet: it is counted in `fragments`, not packets.
    let in_records: u64 = run.records.iter().map(|r| r.packets() + r.fragments).sum();
    let elsewhere = run.stats.orphan_fragments
        + run.stats.icmp_errors_attributed
        + run.stats.icmp_errors_over_cap;
    if in_records + elsewhere != run.packets_in {
        return Err(format!(
            "{} packets in, {in_records} in records + {elsewhere} counted elsewhere",
            run.packets_in
        ));
    }
    let finals = run.records.iter().filter(|r| !r.interim).count() as u64;
    if finals != run.stats.flows {
        return Err(format!(
            "{finals} final records for {} flows",
            run.stats.flows
        ));
    }
    if run.stats.records != run.records.len() as u64 {
        return Err(format!(
            "stats say {} records, {} written",
            run.stats.records,
            run.records.len()
        ));
    }
    if run.open_after_flush != 0 || run.retained_after_flush != 0 {
        return Err(format!(
            "after flush: {} flows open, {} bytes retained",
            run.open_after_flush, run.retained_after_flush
        ));
    }
    let listed: u64 = run.records.iter().map(|r| r.icmp_errors.len() as u64).sum();
    if listed != run.stats.icmp_errors_attributed {
        return Err(format!(
            "{listed} ICMP errors listed, {} attributed",
            run.stats.icmp_errors_attributed
        ));
    }
    for r in &run.records {
        if r.first_ts > r.last_ts || r.history.len() > segscope_flow::MAX_HISTORY {
            return Err(format!("bad record {r:?}"));
        }
    }
    Ok(())
}
