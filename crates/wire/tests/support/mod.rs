//! Hand-written frame builders for the layers etherparse's `PacketBuilder` does not cover
//! (tunnels, MPLS, cooked captures, BSD null), and IP packets built with etherparse.

#![allow(dead_code, unreachable_pub)]

use etherparse::PacketBuilder;

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

/// An Ethernet II frame.
pub fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(MAC_B);
    f.extend(MAC_A);
    f.extend(ethertype.to_be_bytes());
    f.extend(payload);
    f
}

/// An Ethernet II frame with VLAN tags `(tpid, tci)`, outermost first.
pub fn eth_tagged(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(MAC_B);
    f.extend(MAC_A);
    for (tpid, tci) in tags {
        f.extend(tpid.to_be_bytes());
        f.extend(tci.to_be_bytes());
    }
    f.extend(ethertype.to_be_bytes());
    f.extend(payload);
    f
}

/// An IPv4 packet (no options unless given) around `payload`, with the given flags/offset word.
pub fn ipv4_raw(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    flags_offset: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let ihl = 5 + options.len() / 4;
    let total = (ihl * 4 + payload.len()) as u16;
    let mut p = vec![0x40 | ihl as u8, 0];
    p.extend(total.to_be_bytes());
    p.extend(id.to_be_bytes());
    p.extend(flags_offset.to_be_bytes());
    p.extend([64, proto, 0, 0]);
    p.extend(src);
    p.extend(dst);
    p.extend(options);
    p.extend(payload);
    p
}

/// An IPv4 packet without options or fragmentation.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_raw(src, dst, proto, 0x1234, 0x4000, &[], payload)
}

/// An IPv6 packet whose payload (extension headers included) is `payload`.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend((payload.len() as u16).to_be_bytes());
    p.extend([next, 64]);
    p.extend(src);
    p.extend(dst);
    p.extend(payload);
    p
}

/// A TCP header (no options) plus payload.
pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend(payload);
    t
}

/// A UDP header plus payload.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((payload.len() + 8) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(payload);
    u
}

/// An ICMP/ICMPv6 message: type, code, checksum 0, four rest-of-header bytes, body.
pub fn icmp(icmp_type: u8, code: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![icmp_type, code, 0, 0, 0, 0, 0, 0];
    m.extend(body);
    m
}

/// An IPv4/TCP packet built by etherparse.
pub fn ep_ipv4_tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv4(src, dst, 64)
        .tcp(sport, dport, 1000, 65535)
        .ack(2000)
        .psh();
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("build");
    out
}

/// An IPv4/UDP packet built by etherparse.
pub fn ep_ipv4_udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv4(src, dst, 64).udp(sport, dport);
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("build");
    out
}

/// An Ethernet/IPv4/TCP frame built by etherparse.
pub fn ep_eth_ipv4_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    eth(0x0800, &ep_ipv4_tcp(src, dst, sport, dport, payload))
}

/// A GRE header (version 0) with optional key and sequence number.
pub fn gre(protocol: u16, key: Option<u32>, seq: Option<u32>, payload: &[u8]) -> Vec<u8> {
    let mut flags = 0u8;
    if key.is_some() {
        flags |= 0x20;
    }
    if seq.is_some() {
        flags |= 0x10;
    }
    let mut g = vec![flags, 0];
    g.extend(protocol.to_be_bytes());
    if let Some(k) = key {
        g.extend(k.to_be_bytes());
    }
    if let Some(s) = seq {
        g.extend(s.to_be_bytes());
    }
    g.extend(payload);
    g
}

/// A VXLAN header with the I flag and the given VNI.
pub fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend((vni << 8).to_be_bytes());
    v.extend(inner);
    v
}

/// MPLS label stack entries (bottom-of-stack set on the last).
pub fn mpls(labels: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let bos = u32::from(i + 1 == labels.len());
        m.extend(((l << 12) | (bos << 8) | 64).to_be_bytes());
    }
    m.extend(payload);
    m
}

pub const V6_A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const V6_B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
