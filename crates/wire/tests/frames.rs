//! Hand-built frames for every decode path, with the exact packet fields and counters expected.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{PacketBuilder, VlanId};
use segscope_core::flow::{QuotedFlow, TunnelKind};
use segscope_core::stats::{DecodeStats, Layer};
use segscope_core::{Endpoint, Transport};
use segscope_wire::{
    Decoder, Fragment, MAX_TUNNELS, Packet, TcpInfo, TunnelHop, linktype, tcp_flags,
};
use support::*;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const OUT_A: [u8; 4] = [192, 0, 2, 1];
const OUT_B: [u8; 4] = [192, 0, 2, 2];

fn v4(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

fn v6(a: [u8; 16]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(a))
}

/// Keeps a test frame alive for the rest of the test run so the packet can borrow it.
fn keep(frame: &[u8]) -> &'static [u8] {
    Box::leak(frame.to_vec().into_boxed_slice())
}

/// Decodes one frame with a fresh decoder; returns the packet and the stats.
fn one(linktype: u32, frame: &[u8]) -> (Option<Packet<'static>>, DecodeStats) {
    let mut d = Decoder::new();
    let p = d.decode(linktype, keep(frame));
    let s = d.stats();
    assert_accounting(&s);
    (p, s)
}

fn eth1(frame: &[u8]) -> Packet<'static> {
    let (p, s) = one(linktype::ETHERNET, frame);
    assert_eq!(s.decoded, 1, "stats: {s:?}");
    p.expect("decoded")
}

/// Every frame is counted once: decoded, malformed (by layer) or non-IP (by name).
fn assert_accounting(s: &DecodeStats) {
    let malformed: u64 = s.malformed.values().sum();
    let non_ip: u64 = s.non_ip.values().sum();
    assert_eq!(s.frames, s.decoded + malformed + non_ip, "{s:?}");
}

fn malformed_at(linktype: u32, frame: &[u8], layer: Layer) {
    let (p, s) = one(linktype, frame);
    assert!(p.is_none());
    assert_eq!(
        s.malformed.get(&layer),
        Some(&1),
        "expected {layer:?}: {s:?}"
    );
}

fn non_ip(linktype: u32, frame: &[u8], name: &str) {
    let (p, s) = one(linktype, frame);
    assert!(p.is_none());
    assert_eq!(s.non_ip.get(name), Some(&1), "expected {name}: {s:?}");
}

fn ports(p: &Packet<'_>) -> (IpAddr, IpAddr, Transport, u16, u16) {
    (p.src, p.dst, p.transport, p.src_port, p.dst_port)
}

// ---- Ethernet, IPv4, TCP, UDP ----

#[test]
fn ethernet_ipv4_tcp_fields() {
    let frame = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(A, B, 64)
        .tcp(40000, 443, 0x0102_0304, 29200)
        .syn()
        .ack(0x0a0b_0c0d);
    let mut f = Vec::new();
    frame.write(&mut f, b"hello").expect("build");
    let p = eth1(&f);
    assert_eq!(ports(&p), (v4(A), v4(B), Transport::TCP, 40000, 443));
    assert_eq!(
        p.tcp,
        TcpInfo {
            seq: 0x0102_0304,
            ack: 0x0a0b_0c0d,
            flags: tcp_flags::SYN | tcp_flags::ACK,
            window: 29200
        }
    );
    assert_eq!((p.payload, p.payload_len, p.ip_len), (&b"hello"[..], 5, 45));
    assert_eq!(
        (p.vlan, p.inner_vlan, p.fragment, p.quoted),
        (None, None, Fragment::None, None)
    );
    assert_eq!(p.tunnel_hops().count(), 0);
}

#[test]
fn ethernet_padding_and_trailers_are_not_payload() {
    // A bare SYN is 54 bytes; Ethernet pads it to 60 (and an F5 trailer may follow).
    let mut f = ep_eth_ipv4_tcp(A, B, 1, 2, b"");
    f.extend([0u8; 6]);
    f.extend(b"F5 trailer bytes");
    let p = eth1(&f);
    assert_eq!((p.payload, p.payload_len, p.ip_len), (&b""[..], 0, 40));
}

#[test]
fn snaplen_truncated_packets_keep_what_was_captured() {
    let f = ep_eth_ipv4_tcp(A, B, 1, 2, &[7u8; 100]);
    let cut = &f[..f.len() - 60];
    let p = eth1(cut);
    assert_eq!((p.payload.len(), p.payload_len, p.ip_len), (40, 100, 140));
}

#[test]
fn ipv4_options_are_skipped() {
    let ip = ipv4_raw(A, B, 17, 1, 0, &[1, 1, 1, 0], &udp(53, 5353, b"xyz"));
    let p = eth1(&eth(0x0800, &ip));
    assert_eq!(ports(&p), (v4(A), v4(B), Transport::UDP, 53, 5353));
    assert_eq!(p.payload, b"xyz");
}

#[test]
fn tcp_options_are_skipped_by_data_offset() {
    let b = PacketBuilder::ipv4(A, B, 64)
        .tcp(1, 2, 3, 4)
        .options_raw(&[1, 1, 1, 1, 2, 4, 5, 0xb4])
        .expect("options");
    let mut ip = Vec::new();
    b.write(&mut ip, b"data").expect("build");
    let p = eth1(&eth(0x0800, &ip));
    assert_eq!((p.payload, p.payload_len), (&b"data"[..], 4));
}

#[test]
fn udp_length_bounds_the_payload_when_consistent() {
    let mut u = udp(1, 2, b"abc");
    u.extend(b"junk inside IP");
    let p = eth1(&eth(0x0800, &ipv4(A, B, 17, &u)));
    assert_eq!((p.payload, p.payload_len), (&b"abc"[..], 3));
}

#[test]
fn tso_zero_total_length_takes_what_was_captured() {
    let mut ip = ep_ipv4_tcp(A, B, 1, 2, b"offloaded");
    ip[2] = 0;
    ip[3] = 0;
    let p = eth1(&eth(0x0800, &ip));
    assert_eq!(p.payload, b"offloaded");
}

// ---- Fragments ----

#[test]
fn ipv4_first_fragment_has_ports_later_has_data() {
    let first = ipv4_raw(A, B, 17, 77, 0x2000, &[], &udp(500, 4500, &[1; 16])[..16]);
    let p = eth1(&eth(0x0800, &first));
    assert_eq!(p.fragment, Fragment::First { id: 77 });
    assert_eq!((p.src_port, p.dst_port, p.payload_len), (500, 4500, 8));

    let later = ipv4_raw(A, B, 17, 77, 0x0002, &[], &[9; 24]);
    let mut d = Decoder::new();
    let p = d
        .decode(linktype::ETHERNET, keep(&eth(0x0800, &later)))
        .expect("later");
    assert_eq!(p.fragment, Fragment::Later { id: 77 });
    assert_eq!(
        (p.transport, p.src_port, p.dst_port),
        (Transport::UDP, 0, 0)
    );
    assert_eq!((p.payload, p.payload_len), (&[9u8; 24][..], 24));
    assert_eq!(d.stats().later_fragments, 1);
}

#[test]
fn fragment_counters() {
    let mut d = Decoder::new();
    let first = ipv4_raw(A, B, 6, 5, 0x2000, &[], &tcp(1, 2, 0, 0, 0, b""));
    let later = ipv4_raw(A, B, 6, 5, 0x0003, &[], b"more");
    d.decode(linktype::ETHERNET, &eth(0x0800, &first))
        .expect("first");
    d.decode(linktype::ETHERNET, &eth(0x0800, &later))
        .expect("later");
    let s = d.stats();
    assert_eq!((s.first_fragments, s.later_fragments, s.decoded), (1, 1, 2));
}

// ---- VLAN ----

#[test]
fn vlan_tags_record_outer_and_inner_ids() {
    let ip = ep_ipv4_tcp(A, B, 1, 80, b"");
    let p = eth1(&eth_tagged(&[(0x8100, 0x2064)], 0x0800, &ip));
    assert_eq!(
        (p.vlan, p.inner_vlan),
        (Some(100), None),
        "priority bits ignored"
    );
    for outer in [0x88a8, 0x9100, 0x8100] {
        let p = eth1(&eth_tagged(&[(outer, 10), (0x8100, 20)], 0x0800, &ip));
        assert_eq!((p.vlan, p.inner_vlan), (Some(10), Some(20)));
    }
}

#[test]
fn priority_tags_are_no_vlan_but_are_counted() {
    let ip = ep_ipv4_tcp(A, B, 1, 80, b"");
    let f = eth_tagged(&[(0x88a8, 0x0000), (0x8100, 0xe000)], 0x0800, &ip);
    let (p, s) = one(linktype::ETHERNET, &f);
    let p = p.expect("decoded");
    assert_eq!((p.vlan, p.inner_vlan), (None, None));
    assert_eq!(s.vlan_tagged, 1);
    let p = eth1(&eth_tagged(&[(0x8100, 0), (0x8100, 30)], 0x0800, &ip));
    assert_eq!((p.vlan, p.inner_vlan), (Some(30), None));
}

#[test]
fn vlan_with_ipv6_tcp_built_by_etherparse() {
    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .double_vlan(
            VlanId::try_new(5).expect("id"),
            VlanId::try_new(6).expect("id"),
        )
        .ipv6(V6_A, V6_B, 64)
        .tcp(5000, 22, 1, 100);
    let mut f = Vec::new();
    b.write(&mut f, b"SSH-2.0").expect("build");
    let p = eth1(&f);
    assert_eq!(ports(&p), (v6(V6_A), v6(V6_B), Transport::TCP, 5000, 22));
    assert_eq!(
        (p.vlan, p.inner_vlan, p.payload, p.ip_len),
        (Some(5), Some(6), &b"SSH-2.0"[..], 67)
    );
}

// ---- IPv6 extension headers ----

fn ext(next: u8, len_units: u8) -> Vec<u8> {
    let mut e = vec![next, len_units];
    e.extend(vec![0u8; usize::from(len_units) * 8 + 6]);
    e
}

#[test]
fn ipv6_extension_chain_to_tcp() {
    let mut payload = ext(43, 0); // hop-by-hop → routing
    payload.extend(ext(60, 1)); // routing (16 bytes) → destination options
    payload.extend(ext(6, 0)); // destination options → TCP
    payload.extend(tcp(1234, 443, 0, 0, tcp_flags::SYN, b""));
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 0, &payload)));
    assert_eq!(ports(&p), (v6(V6_A), v6(V6_B), Transport::TCP, 1234, 443));
    assert_eq!((p.payload_len, p.ip_len), (0, 40 + 32 + 20));
}

#[test]
fn ipv6_authentication_header_and_esp() {
    // AH: next = UDP, length 4 → (4 + 2) * 4 = 24 bytes.
    let mut payload = vec![17, 4];
    payload.extend([0u8; 22]);
    payload.extend(udp(500, 500, b"ike"));
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 51, &payload)));
    assert_eq!(
        (p.transport, p.src_port, p.payload),
        (Transport::UDP, 500, &b"ike"[..])
    );

    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 50, &[0xaa; 32])));
    assert_eq!(
        (p.transport, p.src_port, p.dst_port),
        (Transport::ESP, 0, 0)
    );
    assert_eq!(p.payload_len, 32);
}

#[test]
fn ipv6_fragment_header() {
    let mut first = vec![17, 0, 0x00, 0x01, 0, 0, 0x30, 0x39];
    first.extend(udp(547, 546, &[0; 8]));
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 44, &first)));
    assert_eq!(p.fragment, Fragment::First { id: 12345 });
    assert_eq!((p.src_port, p.dst_port), (547, 546));

    let mut later = vec![17, 0, 0x00, 0x10, 0, 0, 0x30, 0x39];
    later.extend([5u8; 10]);
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 44, &later)));
    assert_eq!(p.fragment, Fragment::Later { id: 12345 });
    assert_eq!(
        (p.transport, p.src_port, p.payload),
        (Transport::UDP, 0, &[5u8; 10][..])
    );
}

#[test]
fn mobility_header_is_skipped_by_length() {
    let mut payload = ext(59, 0);
    payload[0] = 59;
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 135, &payload)));
    assert_eq!((p.transport, p.payload_len), (Transport(59), 0));
}

// ---- ICMP ----

#[test]
fn icmp_echo_type_and_code_are_the_ports() {
    let p = eth1(&eth(0x0800, &ipv4(A, B, 1, &icmp(8, 0, b"ping"))));
    assert_eq!(ports(&p), (v4(A), v4(B), Transport::ICMP, 8, 0));
    assert_eq!((p.payload, p.quoted), (&b"ping"[..], None));
}

#[test]
fn icmp_admin_prohibited_quotes_the_tcp_flow_that_provoked_it() {
    // 10.0.0.1:40000 → 10.0.0.2:22 SYN; a firewall (192.0.2.1) answers type 3 code 13.
    let original = ep_ipv4_tcp(A, B, 40000, 22, b"");
    let error = icmp(3, 13, &original[..28]);
    let mut d = Decoder::new();
    let p = d
        .decode(
            linktype::ETHERNET,
            keep(&eth(0x0800, &ipv4(OUT_A, A, 1, &error))),
        )
        .expect("decoded");
    assert_eq!(ports(&p), (v4(OUT_A), v4(A), Transport::ICMP, 3, 13));
    assert_eq!(
        p.quoted,
        Some(QuotedFlow {
            src: Endpoint {
                ip: v4(A),
                port: 40000
            },
            dst: Endpoint {
                ip: v4(B),
                port: 22
            },
            transport: Transport::TCP,
        })
    );
    assert_eq!(
        (d.stats().icmp_errors, d.stats().icmp_quotes_truncated),
        (1, 0)
    );
}

#[test]
fn icmp_port_unreachable_quotes_udp() {
    let original = ep_ipv4_udp(A, B, 33000, 53, b"query");
    let p = eth1(&eth(0x0800, &ipv4(B, A, 1, &icmp(3, 3, &original))));
    let q = p.quoted.expect("quoted");
    assert_eq!(
        (q.src.port, q.dst.port, q.transport),
        (33000, 53, Transport::UDP)
    );
    assert_eq!((q.src.ip, q.dst.ip), (v4(A), v4(B)));
}

#[test]
fn icmp_time_exceeded_quoting_an_echo_uses_type_and_code() {
    let original = ipv4(A, B, 1, &icmp(8, 0, b""));
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, A, 1, &icmp(11, 0, &original))));
    let q = p.quoted.expect("quoted");
    assert_eq!(
        (q.transport, q.src.port, q.dst.port),
        (Transport::ICMP, 8, 0)
    );
}

#[test]
fn truncated_quotes_keep_addresses_and_are_counted() {
    let original = ep_ipv4_tcp(A, B, 40000, 22, b"");
    let mut d = Decoder::new();
    let short = eth(0x0800, &ipv4(OUT_A, A, 1, &icmp(3, 1, &original[..22])));
    let p = d.decode(linktype::ETHERNET, &short).expect("decoded");
    let q = p.quoted.expect("addresses survive");
    assert_eq!(
        (q.src.ip, q.dst.ip, q.transport, q.src.port, q.dst.port),
        (v4(A), v4(B), Transport::TCP, 0, 0)
    );
    let shorter = eth(0x0800, &ipv4(OUT_A, A, 1, &icmp(3, 1, &original[..12])));
    let p = d.decode(linktype::ETHERNET, &shorter).expect("decoded");
    assert_eq!(p.quoted, None);
    let s = d.stats();
    assert_eq!(
        (s.icmp_errors, s.icmp_quotes_truncated, s.decoded),
        (2, 2, 2)
    );
}

#[test]
fn icmpv6_destination_unreachable_quotes_udp_through_an_extension_header() {
    let mut inner = ext(17, 0);
    inner.extend(udp(5353, 9999, b"x"));
    let original = ipv6(V6_A, V6_B, 60, &inner);
    let p = eth1(&eth(0x86dd, &ipv6(V6_B, V6_A, 58, &icmp(1, 4, &original))));
    assert_eq!(ports(&p), (v6(V6_B), v6(V6_A), Transport::ICMPV6, 1, 4));
    assert_eq!(
        p.quoted,
        Some(QuotedFlow {
            src: Endpoint {
                ip: v6(V6_A),
                port: 5353
            },
            dst: Endpoint {
                ip: v6(V6_B),
                port: 9999
            },
            transport: Transport::UDP,
        })
    );
}

#[test]
fn icmpv6_informational_messages_quote_nothing() {
    let p = eth1(&eth(0x86dd, &ipv6(V6_A, V6_B, 58, &icmp(135, 0, &[0; 16]))));
    assert_eq!((p.src_port, p.dst_port, p.quoted), (135, 0, None));
}

// ---- Link types ----

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ep_ipv4_tcp(A, B, 6667, 50000, b"PING");
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend(&ip);
    let (p, _) = one(linktype::LINUX_SLL, &sll);
    assert_eq!(p.map(|p| p.src_port), Some(6667));

    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend(ipv6(V6_A, V6_B, 17, &udp(1, 2, b"")));
    let (p, _) = one(linktype::LINUX_SLL2, &sll2);
    assert_eq!(p.map(|p| p.src), Some(v6(V6_A)));

    // ARP in a cooked capture; netlink (ARPHRD 824).
    let mut arp = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06];
    arp.extend([0; 28]);
    non_ip(linktype::LINUX_SLL, &arp, "arp");
    let mut nl = vec![0, 4, 0x03, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    nl.extend([0; 16]);
    non_ip(linktype::LINUX_SLL, &nl, "netlink");
    malformed_at(linktype::LINUX_SLL2, &sll2[..19], Layer::Link);
}

#[test]
fn bsd_null_in_both_byte_orders_and_openbsd_loop() {
    let ip4 = ep_ipv4_tcp(A, B, 110, 50000, b"+OK");
    let ip6 = ipv6(V6_A, V6_B, 17, &udp(1, 2, b""));
    for header in [[2, 0, 0, 0], [0, 0, 0, 2]] {
        let f: Vec<u8> = header.iter().chain(&ip4).copied().collect();
        assert_eq!(one(linktype::NULL, &f).0.map(|p| p.src_port), Some(110));
    }
    for af in [24u32, 28, 30] {
        for header in [af.to_le_bytes(), af.to_be_bytes()] {
            let f: Vec<u8> = header.iter().chain(&ip6).copied().collect();
            assert_eq!(
                one(linktype::NULL, &f).0.map(|p| p.src),
                Some(v6(V6_A)),
                "af {af}"
            );
        }
    }
    let f: Vec<u8> = [0, 0, 0, 24].iter().chain(&ip6).copied().collect();
    assert!(one(linktype::LOOP, &f).0.is_some());
    let f: Vec<u8> = [7, 0, 0, 0].iter().chain(&ip4).copied().collect();
    non_ip(linktype::NULL, &f, "null address family 7");
    malformed_at(linktype::NULL, &[2, 0, 0], Layer::Link);
}

#[test]
fn raw_ip_link_types() {
    let ip4 = ep_ipv4_tcp(A, B, 8000, 1, b"");
    let ip6 = ipv6(V6_A, V6_B, 6, &tcp(8000, 1, 0, 0, 0, b""));
    for lt in [linktype::RAW, linktype::RAW_DLT12, linktype::RAW_DLT14] {
        assert_eq!(one(lt, &ip4).0.map(|p| p.src), Some(v4(A)));
        assert_eq!(one(lt, &ip6).0.map(|p| p.src), Some(v6(V6_A)));
        malformed_at(lt, &[0x50; 40], Layer::Link);
    }
    assert!(one(linktype::IPV4, &ip4).0.is_some());
    assert!(one(linktype::IPV6, &ip6).0.is_some());
    malformed_at(linktype::IPV4, &ip6, Layer::Ipv4);
    malformed_at(linktype::IPV6, &ip4, Layer::Ipv6);
}

#[test]
fn unsupported_link_types_are_counted_by_name() {
    non_ip(105, &[0; 64], "linktype 105 (IEEE802_11)");
}

// ---- Non-IP Ethernet and 802.3 ----

#[test]
fn non_ip_frames_are_counted_by_ethertype_name() {
    non_ip(linktype::ETHERNET, &eth(0x0806, &[0; 28]), "arp");
    non_ip(linktype::ETHERNET, &eth(0x88cc, &[0; 30]), "lldp");
    non_ip(linktype::ETHERNET, &eth(0x888e, &[0; 30]), "eapol");
    non_ip(
        linktype::ETHERNET,
        &eth(0x8863, &[0x11, 0x09, 0, 0, 0, 0]),
        "pppoed",
    );
    non_ip(linktype::ETHERNET, &eth(0x9000, &[0; 40]), "loop");
    non_ip(
        linktype::ETHERNET,
        &eth(0x88b5, &[0; 40]),
        "ethertype 0x88b5",
    );
    non_ip(
        linktype::ETHERNET,
        &eth_tagged(&[(0x8100, 7)], 0x0806, &[0; 28]),
        "arp",
    );
}

#[test]
fn ieee_802_3_llc_frames() {
    // Spanning tree BPDU: length 38, LLC 42 42 03.
    let mut bpdu = vec![0x42, 0x42, 0x03];
    bpdu.extend([0; 35]);
    non_ip(linktype::ETHERNET, &eth(38, &bpdu), "stp");
    // CDP: SNAP with Cisco OUI and PID 0x2000.
    let cdp = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 0x02, 0xb4];
    non_ip(linktype::ETHERNET, &eth(cdp.len() as u16, &cdp), "cdp");
    non_ip(linktype::ETHERNET, &eth(30, &[0xff, 0xff, 0, 30]), "ipx");
    non_ip(linktype::ETHERNET, &eth(3, &[0x06, 0x06, 0x03]), "llc");
    // IPv4 in SNAP with a zero OUI (RFC 1042).
    let mut snap = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    snap.extend(ep_ipv4_tcp(A, B, 1, 2, b""));
    let p = eth1(&eth(snap.len() as u16, &snap));
    assert_eq!(p.dst_port, 2);
}

// ---- MPLS and PPPoE ----

#[test]
fn mpls_label_stacks_down_to_ip() {
    let ip4 = ep_ipv4_tcp(A, B, 23, 1025, b"login:");
    let (p, s) = one(linktype::ETHERNET, &eth(0x8847, &mpls(&[16, 17], &ip4)));
    assert_eq!(
        p.map(|p| (p.src_port, p.payload)),
        Some((23, &b"login:"[..]))
    );
    assert_eq!(s.mpls_labelled, 1);
    let ip6 = ipv6(V6_A, V6_B, 17, &udp(1, 2, b""));
    assert_eq!(
        one(linktype::ETHERNET, &eth(0x8847, &mpls(&[2], &ip6)))
            .0
            .map(|p| p.src),
        Some(v6(V6_A))
    );
}

#[test]
fn mpls_ethernet_pseudowire_with_control_word() {
    let inner = eth_tagged(&[(0x8100, 300)], 0x0800, &ep_ipv4_tcp(A, B, 1, 2, b""));
    let mut pw = vec![0, 0, 0, 0];
    pw.extend(&inner);
    let p = eth1(&eth(0x8847, &mpls(&[100, 200], &pw)));
    assert_eq!((p.src, p.vlan), (v4(A), Some(300)));
}

#[test]
fn mpls_without_bottom_of_stack_is_malformed() {
    let mut f = eth(0x8847, &[0, 0x10, 0, 64]);
    f.extend([0, 0x20, 0, 64]);
    malformed_at(linktype::ETHERNET, &f, Layer::Mpls);
    malformed_at(
        linktype::ETHERNET,
        &eth(0x8847, &mpls(&[3], &[])),
        Layer::Mpls,
    );
}

#[test]
fn pppoe_session_carrying_ip_and_control() {
    let ip = ep_ipv4_tcp(A, B, 1, 2, b"");
    let mut s = vec![0x11, 0x00, 0x00, 0x01];
    s.extend(((ip.len() + 2) as u16).to_be_bytes());
    s.extend([0x00, 0x21]);
    s.extend(&ip);
    s.extend([0; 4]);
    let p = eth1(&eth(0x8864, &s));
    assert_eq!(p.src, v4(A));
    non_ip(
        linktype::ETHERNET,
        &eth(0x8864, &[0x11, 0, 0, 1, 0, 6, 0xc0, 0x21, 1, 1, 0, 4]),
        "ppp 0xc021",
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x8864, &[0x21, 0, 0, 1, 0, 2, 0, 0x21]),
        Layer::Link,
    );
}

// ---- Tunnels ----

fn hop(kind: TunnelKind, id: Option<u32>) -> TunnelHop {
    TunnelHop {
        kind,
        outer_src: v4(OUT_A),
        outer_dst: v4(OUT_B),
        id,
    }
}

#[test]
fn gre_with_key_carrying_ipv4() {
    let inner = ep_ipv4_tcp(A, B, 22, 5000, b"SSH");
    let outer = eth(
        0x0800,
        &ipv4(OUT_A, OUT_B, 47, &gre(0x0800, Some(42), Some(1), &inner)),
    );
    let (p, s) = one(linktype::ETHERNET, &outer);
    let p = p.expect("decoded");
    assert_eq!(ports(&p), (v4(A), v4(B), Transport::TCP, 22, 5000));
    assert_eq!(
        p.tunnel_hops().copied().collect::<Vec<_>>(),
        vec![hop(TunnelKind::Gre, Some(42))]
    );
    assert_eq!(s.tunnelled.get("gre"), Some(&1));
}

#[test]
fn gre_transparent_ethernet_uses_the_inner_frames_vlan() {
    let inner = eth_tagged(&[(0x8100, 55)], 0x0800, &ep_ipv4_tcp(A, B, 80, 1, b""));
    let outer = eth_tagged(
        &[(0x8100, 9)],
        0x0800,
        &ipv4(OUT_A, OUT_B, 47, &gre(0x6558, None, None, &inner)),
    );
    let p = eth1(&outer);
    assert_eq!((p.vlan, p.src), (Some(55), v4(A)));
}

#[test]
fn erspan_type_ii_and_iii_session_ids() {
    let inner = eth(0x0800, &ep_ipv4_udp(A, B, 137, 137, b"nbns"));
    let mut ii = vec![0x10, 0x00, 0x02, 0x9a, 0x00, 0x00, 0x00, 0x00];
    ii.extend(&inner);
    let outer = eth(
        0x0800,
        &ipv4(OUT_A, OUT_B, 47, &gre(0x88be, None, Some(5), &ii)),
    );
    let (p, s) = one(linktype::ETHERNET, &outer);
    let p = p.expect("decoded");
    assert_eq!(p.tunnels[0], Some(hop(TunnelKind::Erspan, Some(0x29a))));
    assert_eq!((p.src_port, s.tunnelled.get("erspan")), (137, Some(&1)));

    let mut iii = vec![0x20, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0];
    iii.extend(&inner);
    let outer = eth(
        0x0800,
        &ipv4(OUT_A, OUT_B, 47, &gre(0x22eb, None, Some(5), &iii)),
    );
    assert_eq!(
        eth1(&outer).tunnels[0],
        Some(hop(TunnelKind::Erspan, Some(5)))
    );

    // Type I: no sequence number, no ERSPAN header.
    let outer = eth(
        0x0800,
        &ipv4(OUT_A, OUT_B, 47, &gre(0x88be, None, None, &inner)),
    );
    assert_eq!(eth1(&outer).tunnels[0], Some(hop(TunnelKind::Erspan, None)));
}

#[test]
fn gre_carrying_mpls() {
    let inner = mpls(&[1000], &ep_ipv4_tcp(A, B, 1, 2, b""));
    let (p, s) = one(
        linktype::ETHERNET,
        &eth(
            0x0800,
            &ipv4(OUT_A, OUT_B, 47, &gre(0x8847, None, None, &inner)),
        ),
    );
    assert_eq!(p.map(|p| p.src), Some(v4(A)));
    assert_eq!((s.mpls_labelled, s.tunnelled.get("gre")), (1, Some(&1)));
}

#[test]
fn malformed_gre_stays_the_outer_packet() {
    for g in [
        vec![0x00, 0x01, 0x88, 0x0b, 0, 0, 0, 0],
        vec![0x00, 0x00, 0x12, 0x34, 1, 2],
    ] {
        let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 47, &g)));
        assert_eq!(
            (p.src, p.transport, p.tunnel_hops().count()),
            (v4(OUT_A), Transport::GRE, 0)
        );
    }
}

#[test]
fn ip_in_ip_both_versions() {
    let inner4 = ep_ipv4_udp(A, B, 1, 2, b"");
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 4, &inner4)));
    assert_eq!(
        (p.src, p.tunnels[0]),
        (v4(A), Some(hop(TunnelKind::IpInIp, None)))
    );
    let inner6 = ipv6(V6_A, V6_B, 6, &tcp(1, 2, 0, 0, 0, b""));
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 41, &inner6)));
    assert_eq!(p.src, v6(V6_A));
    // Protocol 41 whose payload is not IPv6: the outer packet is the packet.
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 41, &inner4)));
    assert_eq!((p.src, p.transport), (v4(OUT_A), Transport(41)));
}

#[test]
fn vxlan_on_both_ports() {
    let inner = eth_tagged(
        &[(0x8100, 12)],
        0x0800,
        &ep_ipv4_tcp(A, B, 50000, 80, b"GET /"),
    );
    for port in [4789, 8472] {
        let outer = eth(
            0x0800,
            &ipv4(
                OUT_A,
                OUT_B,
                17,
                &udp(49152, port, &vxlan(0x00ab_cdef, &inner)),
            ),
        );
        let (p, s) = one(linktype::ETHERNET, &outer);
        let p = p.expect("decoded");
        assert_eq!(ports(&p), (v4(A), v4(B), Transport::TCP, 50000, 80));
        assert_eq!((p.vlan, p.payload), (Some(12), &b"GET /"[..]));
        assert_eq!(
            p.tunnels[0],
            Some(hop(TunnelKind::Vxlan, Some(0x00ab_cdef)))
        );
        assert_eq!(s.tunnelled.get("vxlan"), Some(&1));
    }
}

#[test]
fn vxlan_without_the_i_flag_is_plain_udp() {
    let mut v = vxlan(1, &eth(0x0800, &ep_ipv4_tcp(A, B, 1, 2, b"")));
    v[0] = 0;
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 17, &udp(1, 4789, &v))));
    assert_eq!(
        (p.src, p.transport, p.dst_port),
        (v4(OUT_A), Transport::UDP, 4789)
    );
}

#[test]
fn geneve_skips_options_and_carries_ethernet_or_ip() {
    let mut g = vec![0x02, 0x00, 0x65, 0x58, 0x00, 0x01, 0x00, 0x00];
    g.extend([0xff; 8]);
    g.extend(eth(0x0800, &ep_ipv4_udp(A, B, 1, 2, b"")));
    let p = eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 17, &udp(1, 6081, &g))));
    assert_eq!(
        (p.src, p.tunnels[0]),
        (v4(A), Some(hop(TunnelKind::Geneve, Some(256))))
    );
    let mut g = vec![0x00, 0x00, 0x86, 0xdd, 0x00, 0x00, 0x07, 0x00];
    g.extend(ipv6(V6_A, V6_B, 17, &udp(1, 2, b"")));
    assert_eq!(
        eth1(&eth(0x0800, &ipv4(OUT_A, OUT_B, 17, &udp(1, 6081, &g)))).src,
        v6(V6_A)
    );
}

#[test]
fn tunnels_nest_up_to_the_limit() {
    let mut pkt = ep_ipv4_tcp(A, B, 1, 2, b"");
    for _ in 0..MAX_TUNNELS {
        pkt = ipv4(OUT_A, OUT_B, 47, &gre(0x0800, None, None, &pkt));
    }
    let p = eth1(&eth(0x0800, &pkt));
    assert_eq!((p.src, p.tunnel_hops().count()), (v4(A), MAX_TUNNELS));
    let deeper = ipv4(OUT_A, OUT_B, 47, &gre(0x0800, None, None, &pkt));
    malformed_at(linktype::ETHERNET, &eth(0x0800, &deeper), Layer::Gre);
}

#[test]
fn fragmented_tunnel_packets_are_not_decapsulated() {
    let inner = ep_ipv4_tcp(A, B, 1, 2, &[0; 40]);
    let g = gre(0x0800, None, None, &inner);
    let p = eth1(&eth(
        0x0800,
        &ipv4_raw(OUT_A, OUT_B, 47, 9, 0x2000, &[], &g[..32]),
    ));
    assert_eq!(
        (p.src, p.transport, p.fragment),
        (v4(OUT_A), Transport::GRE, Fragment::First { id: 9 })
    );
}

#[test]
fn malformed_inner_packets_are_counted_at_the_inner_layer() {
    let bad_inner = eth(0x0800, &[0x45, 0, 0, 10]);
    let outer = eth(
        0x0800,
        &ipv4(OUT_A, OUT_B, 17, &udp(1, 4789, &vxlan(1, &bad_inner))),
    );
    malformed_at(linktype::ETHERNET, &outer, Layer::Ipv4);
}

// ---- Malformed and truncated headers ----

#[test]
fn malformed_headers_are_counted_by_layer() {
    malformed_at(linktype::ETHERNET, &[0; 13], Layer::Link);
    malformed_at(linktype::ETHERNET, &eth(0x8100, &[0, 1]), Layer::Vlan);
    let ip = ep_ipv4_tcp(A, B, 1, 2, b"");
    malformed_at(linktype::ETHERNET, &eth(0x0800, &ip[..19]), Layer::Ipv4);
    let mut bad = ip.clone();
    bad[0] = 0x44; // IHL 4
    malformed_at(linktype::ETHERNET, &eth(0x0800, &bad), Layer::Ipv4);
    let mut bad = ip.clone();
    bad[0] = 0x55; // version 5
    malformed_at(linktype::ETHERNET, &eth(0x0800, &bad), Layer::Ipv4);
    let mut bad = ip.clone();
    bad[3] = 19; // total length below the header length
    malformed_at(linktype::ETHERNET, &eth(0x0800, &bad), Layer::Ipv4);
    let mut bad = ip.clone();
    bad[32] = 0x40; // TCP data offset 4
    malformed_at(linktype::ETHERNET, &eth(0x0800, &bad), Layer::Tcp);
    let mut bad = ip.clone();
    bad[32] = 0xf0; // TCP data offset 60 > segment
    malformed_at(linktype::ETHERNET, &eth(0x0800, &bad), Layer::Tcp);
    malformed_at(linktype::ETHERNET, &eth(0x0800, &ip[..30]), Layer::Tcp);
    malformed_at(
        linktype::ETHERNET,
        &eth(0x0800, &ipv4(A, B, 17, &[0; 7])),
        Layer::Udp,
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x0800, &ipv4(A, B, 1, &[8, 0, 0, 0])),
        Layer::Icmp,
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x86dd, &ipv6(V6_A, V6_B, 58, &[128, 0])),
        Layer::Icmpv6,
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x0800, &ipv4(A, B, 132, &[0; 8])),
        Layer::Ipv4,
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x86dd, &ipv6(V6_A, V6_B, 6, &[])[..39]),
        Layer::Ipv6,
    );
    malformed_at(
        linktype::ETHERNET,
        &eth(0x86dd, &ipv6(V6_A, V6_B, 0, &[6, 1, 0, 0, 0, 0, 0, 0])),
        Layer::Ipv6Ext,
    );
}

#[test]
fn sctp_has_ports() {
    let mut s = vec![0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 1, 0, 0, 0, 0];
    s.extend([1, 0, 0, 4]);
    let p = eth1(&eth(0x0800, &ipv4(A, B, 132, &s)));
    assert_eq!(
        (p.transport, p.src_port, p.dst_port, p.payload_len),
        (Transport::SCTP, 2905, 2905, 4)
    );
}

#[test]
fn other_ip_protocols_are_decoded_without_ports() {
    let p = eth1(&eth(0x0800, &ipv4(A, [224, 0, 0, 10], 88, &[2, 5, 0, 0])));
    assert_eq!(
        (p.transport, p.src_port, p.dst_port, p.payload_len),
        (Transport(88), 0, 0, 4)
    );
}

#[test]
fn counters_add_up_over_a_mixed_batch() {
    let frames: Vec<(u32, Vec<u8>)> = vec![
        (linktype::ETHERNET, ep_eth_ipv4_tcp(A, B, 1, 2, b"")),
        (linktype::ETHERNET, eth(0x0806, &[0; 28])),
        (linktype::ETHERNET, eth(0x0800, &[0x45])),
        (
            linktype::ETHERNET,
            eth_tagged(&[(0x8100, 3)], 0x88cc, &[0; 20]),
        ),
        (
            linktype::ETHERNET,
            eth(0x8847, &mpls(&[5], &ep_ipv4_tcp(A, B, 1, 2, b""))),
        ),
        (
            linktype::ETHERNET,
            eth(
                0x0800,
                &ipv4(
                    OUT_A,
                    OUT_B,
                    47,
                    &gre(0x0800, None, None, &ep_ipv4_tcp(A, B, 1, 2, b"")),
                ),
            ),
        ),
        (105, vec![0; 10]),
        (linktype::RAW, vec![]),
    ];
    let mut d = Decoder::new();
    for (lt, f) in &frames {
        d.decode(*lt, f);
    }
    let s = d.stats();
    assert_accounting(&s);
    assert_eq!(
        (s.frames, s.decoded, s.vlan_tagged, s.mpls_labelled),
        (8, 3, 1, 1)
    );
    assert_eq!(s.non_ip.values().sum::<u64>(), 3);
    assert_eq!(s.malformed.get(&Layer::Ipv4), Some(&1));
    assert_eq!(s.malformed.get(&Layer::Link), Some(&1));
}
