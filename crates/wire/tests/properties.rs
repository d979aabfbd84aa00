//! Properties: no input makes the decoder panic, every frame is counted exactly once, and on
//! packets etherparse builds the decoder agrees with etherparse's own parser.

mod support;

use etherparse::{NetSlice, PacketBuilder, SlicedPacket, TransportSlice, VlanId};
use proptest::prelude::*;
use segscope_core::stats::DecodeStats;
use segscope_wire::{Decoder, SUPPORTED_LINKTYPES, linktype};
use support::*;

/// The accounting identity documented on [`Decoder`].
fn assert_accounting(s: &DecodeStats) {
    let malformed: u64 = s.malformed.values().sum();
    let non_ip: u64 = s.non_ip.values().sum();
    assert_eq!(s.frames, s.decoded + malformed + non_ip, "{s:?}");
}

/// Valid frames of every shape the decoder knows, to mutate: random bytes alone rarely get
/// past the first header.
fn templates() -> Vec<(u32, Vec<u8>)> {
    let a = [10, 0, 0, 1];
    let b = [10, 0, 0, 2];
    let tcp4 = ep_ipv4_tcp(a, b, 1000, 80, b"GET / HTTP/1.1\r\n");
    let udp4 = ep_ipv4_udp(a, b, 1000, 53, b"query");
    let mut ext6 = vec![17, 0, 0, 0, 0, 0, 0, 0];
    ext6.extend(udp(1, 2, b"v6"));
    let ip6 = ipv6(V6_A, V6_B, 0, &ext6);
    let icmp_err = ipv4(b, a, 1, &icmp(3, 3, &udp4));
    let icmp6_err = ipv6(V6_B, V6_A, 58, &icmp(1, 4, &ip6));
    let inner = eth_tagged(&[(0x8100, 7)], 0x0800, &tcp4);
    let outer = |proto, payload: &[u8]| {
        eth(
            0x0800,
            &ipv4([192, 0, 2, 1], [192, 0, 2, 2], proto, payload),
        )
    };
    let mut erspan = vec![0x10, 0, 0, 1, 0, 0, 0, 0];
    erspan.extend(&inner);
    let mut geneve = vec![0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 0, 0, 0];
    geneve.extend(&inner);
    let mut pppoe = vec![0x11, 0, 0, 1];
    pppoe.extend(((tcp4.len() + 2) as u16).to_be_bytes());
    pppoe.extend([0, 0x21]);
    pppoe.extend(&tcp4);
    let mut cw = vec![0, 0, 0, 0];
    cw.extend(&inner);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd];
    sll.extend(&ip6);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend(&tcp4);
    let null: Vec<u8> = [30, 0, 0, 0].iter().chain(&ip6).copied().collect();
    vec![
        (linktype::ETHERNET, eth(0x0800, &tcp4)),
        (
            linktype::ETHERNET,
            eth_tagged(&[(0x88a8, 5), (0x8100, 6)], 0x86dd, &ip6),
        ),
        (linktype::ETHERNET, eth(0x0800, &icmp_err)),
        (linktype::ETHERNET, eth(0x86dd, &icmp6_err)),
        (
            linktype::ETHERNET,
            outer(47, &gre(0x6558, Some(9), None, &inner)),
        ),
        (
            linktype::ETHERNET,
            outer(47, &gre(0x88be, None, Some(1), &erspan)),
        ),
        (
            linktype::ETHERNET,
            outer(47, &gre(0x8847, None, None, &mpls(&[1, 2], &tcp4))),
        ),
        (
            linktype::ETHERNET,
            outer(17, &udp(1, 4789, &vxlan(5, &inner))),
        ),
        (linktype::ETHERNET, outer(17, &udp(1, 6081, &geneve))),
        (linktype::ETHERNET, outer(4, &tcp4)),
        (linktype::ETHERNET, eth(0x8864, &pppoe)),
        (linktype::ETHERNET, eth(0x8847, &mpls(&[3, 4], &cw))),
        (linktype::ETHERNET, eth(38, &[0x42, 0x42, 0x03, 0, 0, 0])),
        (linktype::LINUX_SLL, sll),
        (linktype::LINUX_SLL2, sll2),
        (linktype::NULL, null),
        (linktype::RAW, udp4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_under_every_link_type_never_panic(
        frames in proptest::collection::vec((any::<usize>(), proptest::collection::vec(any::<u8>(), 0..200)), 1..20),
    ) {
        let mut d = Decoder::new();
        for (pick, bytes) in &frames {
            let lt = SUPPORTED_LINKTYPES[pick % SUPPORTED_LINKTYPES.len()];
            let _ = d.decode(lt, bytes);
        }
        let s = d.stats();
        assert_accounting(&s);
        prop_assert_eq!(s.frames, frames.len() as u64);
    }

    #[test]
    fn mutated_and_truncated_valid_frames_never_panic(
        pick in any::<usize>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let all = templates();
        let (lt, mut frame) = all[pick % all.len()].clone();
        for (at, value) in flips {
            let n = frame.len();
            frame[at % n] = value;
        }
        frame.truncate(cut % (frame.len() + 1));
        let mut d = Decoder::new();
        if let Some(p) = d.decode(lt, &frame) {
            // The payload is a slice of the frame and never longer than the headers say.
            prop_assert!(p.payload.len() as u64 <= u64::from(p.payload_len));
            prop_assert!(p.payload.len() <= frame.len());
        }
        assert_accounting(&d.stats());
        prop_assert_eq!(d.stats().frames, 1);
    }

    #[test]
    fn agrees_with_etherparse_on_built_packets(
        src in any::<[u8; 4]>(),
        dst in any::<[u8; 4]>(),
        src6 in any::<[u8; 16]>(),
        dst6 in any::<[u8; 16]>(),
        sport in any::<u16>(),
        dport in any::<u16>(),
        vlan in proptest::option::of(1u16..4095),
        use_v6 in any::<bool>(),
        use_tcp in any::<bool>(),
        seq in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let builder = PacketBuilder::ethernet2(MAC_A, MAC_B);
        let mut frame = Vec::new();
        let result = match (vlan, use_v6) {
            (Some(v), false) => {
                let ip = builder.single_vlan(VlanId::try_new(v).expect("range")).ipv4(src, dst, 64);
                if use_tcp { ip.tcp(sport, dport, seq, 1000).write(&mut frame, &payload) }
                else { ip.udp(sport, dport).write(&mut frame, &payload) }
            }
            (Some(v), true) => {
                let ip = builder.single_vlan(VlanId::try_new(v).expect("range")).ipv6(src6, dst6, 64);
                if use_tcp { ip.tcp(sport, dport, seq, 1000).write(&mut frame, &payload) }
                else { ip.udp(sport, dport).write(&mut frame, &payload) }
            }
            (None, false) => {
                let ip = builder.ipv4(src, dst, 64);
                if use_tcp { ip.tcp(sport, dport, seq, 1000).write(&mut frame, &payload) }
                else { ip.udp(sport, dport).write(&mut frame, &payload) }
            }
            (None, true) => {
                let ip = builder.ipv6(src6, dst6, 64);
                if use_tcp { ip.tcp(sport, dport, seq, 1000).write(&mut frame, &payload) }
                else { ip.udp(sport, dport).write(&mut frame, &payload) }
            }
        };
        result.expect("build");
        let reference = SlicedPacket::from_ethernet(&frame).expect("etherparse parses its own output");
        let mut d = Decoder::new();
        let p = d.decode(linktype::ETHERNET, &frame).expect("decoded");
        let (ref_src, ref_dst) = match &reference.net {
            Some(NetSlice::Ipv4(ip)) => (ip.header().source_addr().into(), ip.header().destination_addr().into()),
            Some(NetSlice::Ipv6(ip)) => (ip.header().source_addr().into(), ip.header().destination_addr().into()),
            other => panic!("unexpected {other:?}"),
        };
        prop_assert_eq!((p.src, p.dst), (ref_src, ref_dst));
        match &reference.transport {
            Some(TransportSlice::Tcp(t)) => {
                prop_assert_eq!((p.src_port, p.dst_port, p.tcp.seq), (t.source_port(), t.destination_port(), t.sequence_number()));
                prop_assert_eq!(p.payload, t.payload());
            }
            Some(TransportSlice::Udp(u)) => {
                prop_assert_eq!((p.src_port, p.dst_port), (u.source_port(), u.destination_port()));
                prop_assert_eq!(p.payload, u.payload());
            }
            other => panic!("unexpected {other:?}"),
        }
        let ref_vlan = reference.vlan_ids().first().map(|v| v.value());
        prop_assert_eq!(p.vlan, ref_vlan);
    }
}
