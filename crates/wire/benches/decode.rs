//! Per-frame decode cost of typical frames, and etherparse's slicer on the same Ethernet/IPv4/TCP
//! frame as a reference point.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segscope_wire::{Decoder, linktype};
use support::*;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let payload = [0x17u8; 512];
    let ipv4_tcp = ep_eth_ipv4_tcp(A, B, 50000, 443, &payload);
    let vlan_ipv6_tcp = eth_tagged(
        &[(0x8100, 100)],
        0x86dd,
        &ipv6(V6_A, V6_B, 6, &tcp(50000, 443, 1, 2, 0x18, &payload)),
    );
    let inner = ep_eth_ipv4_tcp(A, B, 50000, 80, &payload);
    let vxlan_inner = eth(
        0x0800,
        &ipv4(
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            17,
            &udp(49152, 4789, &vxlan(42, &inner)),
        ),
    );
    vec![
        ("eth_ipv4_tcp", ipv4_tcp),
        ("vlan_ipv6_tcp", vlan_ipv6_tcp),
        ("vxlan_eth_ipv4_tcp", vxlan_inner),
    ]
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    for (name, frame) in frames() {
        let mut decoder = Decoder::new();
        group.bench_function(name, |b| {
            // The whole packet is black-boxed, so none of its construction is optimized away.
            b.iter(|| black_box(decoder.decode(linktype::ETHERNET, black_box(&frame))))
        });
    }
    let (_, frame) = frames().swap_remove(0);
    group.bench_function("etherparse_sliced_eth_ipv4_tcp", |b| {
        b.iter(|| {
            let p = etherparse::SlicedPacket::from_ethernet(black_box(&frame));
            black_box(p.map(|p| p.transport.is_some()).ok())
        })
    });
    group.bench_function("etherparse_lax_sliced_eth_ipv4_tcp", |b| {
        b.iter(|| {
            let p = etherparse::LaxSlicedPacket::from_ethernet(black_box(&frame));
            black_box(p.map(|p| p.transport.is_some()).ok())
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
