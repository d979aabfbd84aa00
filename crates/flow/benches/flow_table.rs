//! Per-packet cost of the flow table: packets of existing flows, and packets opening new flows
//! in a full table (each one evicts the least recently active flow and writes its record), for
//! tables of 10^4 to 10^6 flows.
//!
//! One iteration is a batch of [`BATCH`] packets (read the per-packet cost from the throughput
//! line). Time is the benchmark thread's CPU time (`/proc/thread-self/schedstat`, which the
//! kernel updates at scheduler ticks, hence the large batches) when available, so that other
//! processes competing for the machine's cores do not inflate the figures; wall time otherwise.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use segscope_core::{Classification, Classify, DirPayload, FlowMeta, Timestamp, Transport};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_wire::{Fragment, Packet, TcpInfo, tcp_flags};

/// Answers nothing: the bench measures the table, not the probes.
struct Nothing;

impl Classify for Nothing {
    fn classify(&self, _: &FlowMeta, _: DirPayload<'_>, _: DirPayload<'_>) -> Classification {
        Classification::default()
    }
}

/// A TCP ACK of flow `i` (distinct client address and port per flow).
fn ack(i: u32) -> Packet<'static> {
    Packet {
        src: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i >> 6))),
        dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 80)),
        transport: Transport::TCP,
        src_port: 1024 + (i & 63) as u16,
        dst_port: 443,
        vlan: None,
        inner_vlan: None,
        tunnels: [None; 3],
        ip_len: 40,
        payload: &[],
        payload_len: 0,
        tcp: TcpInfo {
            seq: 1000,
            ack: 2000,
            flags: tcp_flags::ACK,
            window: 1024,
        },
        fragment: Fragment::None,
        quoted: None,
    }
}

/// Packets per measured iteration.
const BATCH: u64 = 50_000;

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Times `iters` batches of [`BATCH`] runs of `f` in CPU time (wall time when CPU time is
/// unavailable).
fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let (cpu0, wall0) = (cpu_ns(), Instant::now());
    for _ in 0..iters * BATCH {
        f();
    }
    match (cpu0, cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
        _ => wall0.elapsed(),
    }
}

fn config(max_flows: u32) -> FlowConfig {
    FlowConfig {
        max_flows,
        active_timeout: None,
        ..FlowConfig::default()
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_table");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10);
    for size in [10_000u32, 100_000, 1_000_000] {
        let mut table = FlowTable::new(config(size), Nothing, vec![]);
        let mut out = Vec::new();
        let mut ns: i64 = 1_700_000_000_000_000_000;
        for i in 0..size {
            table.process(Timestamp(ns), 0, 1, &ack(i), &mut out);
            ns += 1_000;
        }
        // Packets are built on the fly, as a decoder hands them over (hot in cache); the flows
        // they hit are spread over the whole table.
        let mut next = 0u32;
        group.bench_function(BenchmarkId::new("existing_flow", size), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    ns += 100;
                    table.process(Timestamp(ns), 0, 1, black_box(&ack(next)), &mut out);
                    next = (next + 7919) % size;
                })
            });
        });
        let mut fresh = size;
        group.bench_function(BenchmarkId::new("new_flow_evicting", size), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    ns += 100;
                    let p = ack(fresh);
                    fresh = fresh.wrapping_add(1);
                    table.process(Timestamp(ns), 0, 1, black_box(&p), &mut out);
                    out.clear();
                })
            });
        });
        assert_eq!(table.open_flows(), size as usize);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
