//! UDP and ICMP flows, direction inference and flow scope (VLANs, tunnels).

use segscope_core::flow::{IcmpFacts, TunnelKind};
use segscope_core::{ConnState, Transport, community_id_v1};

use crate::support::{ACK, Pkt, SYN, cfg, ep, ip, one, run};

/// A lone DNS response: the querier is the client. Zeek's state for a responder-only UDP flow
/// is `SHR` with history `^d`.
#[test]
fn lone_dns_response_flips() {
    let p = Pkt::udp("8.8.8.8", 53, "10.0.0.5", 51000, &[0u8; 60]);
    let (records, _, _) = run(cfg(), &[(0.0, p)]);
    let r = one(&records);
    assert_eq!(r.client, ep("10.0.0.5", 51000));
    assert_eq!(r.server, ep("8.8.8.8", 53));
    assert!(r.direction_inferred);
    assert_eq!((r.state, r.history.as_str()), (ConnState::SHR, "^d"));
    assert_eq!(r.client_stats.packets, 0);
    assert_eq!(r.server_stats.packets, 1);
    assert_eq!(r.server_stats.bytes, 60);
    assert_eq!(r.server_stats.ip_bytes, 88);
}

/// Query and answer: Zeek's `pcapng-multi-interface` baseline shows DNS flows as `SF` `Dd`,
/// with `orig_bytes` the UDP payload (54 bytes of payload in an 82-byte IP packet).
#[test]
fn dns_exchange() {
    let q = Pkt::udp("172.17.0.2", 36343, "1.1.1.1", 53, &[1u8; 54]);
    let a = Pkt::udp("1.1.1.1", 53, "172.17.0.2", 36343, &[2u8; 172]);
    let (records, _, _) = run(cfg(), &[(0.0, q), (0.013961, a)]);
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::SF, "Dd"));
    assert_eq!(r.client, ep("172.17.0.2", 36343));
    assert_eq!((r.client_stats.bytes, r.client_stats.ip_bytes), (54, 82));
    assert_eq!((r.server_stats.bytes, r.server_stats.ip_bytes), (172, 200));
    assert_eq!(r.duration.0, 13_961_000);
}

/// Server-to-server DNS (port 53 to port 53): the QR bit decides, as in `dns53.pcap`.
#[test]
fn dns_qr_bit_orients_port_53_to_53() {
    let mut response = [0u8; 40];
    response[2] = 0x81;
    let p = Pkt::udp("207.158.192.40", 53, "10.20.1.31", 53, &response);
    let (records, _, _) = run(cfg(), &[(0.0, p)]);
    let r = one(&records);
    assert_eq!(r.client, ep("10.20.1.31", 53));
    assert_eq!(r.history, "^d");
    let mut query = [0u8; 40];
    query[2] = 0x01;
    let q = Pkt::udp("10.20.1.31", 53, "207.158.192.40", 53, &query);
    let (records, _, _) = run(cfg(), &[(0.0, q)]);
    assert_eq!(one(&records).client, ep("10.20.1.31", 53));
    assert_eq!(one(&records).history, "D");
}

#[test]
fn one_way_query_is_s0() {
    let q = Pkt::udp("10.0.0.1", 50000, "10.0.0.2", 53, b"q");
    let (records, _, _) = run(cfg(), &[(0.0, q.clone()), (1.0, q)]);
    let r = one(&records);
    assert_eq!((r.state, r.history.as_str()), (ConnState::S0, "D"));
    assert_eq!(r.client_stats.packets, 2);
}

/// The DHCP flows of Zeek's `dhcp-dhcp.pcap` baseline: a client broadcast (`S0 D`), a server
/// broadcast that must not make 255.255.255.255 a client (`S0 D`), and a unicast reply whose
/// client is the port-68 side (`SHR ^d`).
#[test]
fn dhcp_directions_match_zeek() {
    let discover = Pkt::udp("0.0.0.0", 68, "255.255.255.255", 67, &[0u8; 260]);
    let offer_bcast = Pkt::udp("128.2.6.152", 67, "255.255.255.255", 68, &[0u8; 300]);
    let ack_unicast = Pkt::udp("128.2.6.152", 67, "128.2.6.97", 68, &[0u8; 367]);
    for (p, client, state, history) in [
        (discover, ep("0.0.0.0", 68), ConnState::S0, "D"),
        (offer_bcast, ep("128.2.6.152", 67), ConnState::S0, "D"),
        (ack_unicast, ep("128.2.6.97", 68), ConnState::SHR, "^d"),
    ] {
        let (records, _, _) = run(cfg(), &[(0.0, p)]);
        let r = one(&records);
        assert_eq!(r.client, client);
        assert_eq!((r.state, r.history.as_str()), (state, history));
    }
}

/// Community ID values from the specification's reference implementation (the same baselines
/// as `segscope_core::community_id`), computed here from the flow's client and server.
#[test]
fn community_ids_match_spec_baselines() {
    let syn = Pkt::tcp("128.232.110.120", 34855, "66.35.250.204", 80, SYN, 1, 0);
    let (records, _, _) = run(cfg(), &[(0.0, syn)]);
    assert_eq!(one(&records).community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    let reply_first = Pkt::tcp(
        "66.35.250.204",
        80,
        "128.232.110.120",
        34855,
        SYN | ACK,
        1,
        2,
    );
    let (records, _, _) = run(cfg(), &[(0.0, reply_first)]);
    assert_eq!(one(&records).community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    let dns = Pkt::udp("192.168.1.52", 54585, "8.8.8.8", 53, b"q");
    let (records, _, _) = run(cfg(), &[(0.0, dns)]);
    assert_eq!(one(&records).community_id, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    let ping = Pkt::icmp("192.168.0.89", "192.168.0.1", 8, 0);
    let (records, _, _) = run(cfg(), &[(0.0, ping)]);
    assert_eq!(one(&records).community_id, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    let ns = Pkt::icmp(
        "fe80::200:86ff:fe05:80da",
        "fe80::260:97ff:fe07:69ea",
        135,
        0,
    );
    let (records, _, _) = run(cfg(), &[(0.0, ns)]);
    assert_eq!(one(&records).community_id, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
}

#[test]
fn echo_request_and_reply_are_one_flow() {
    let req = Pkt::icmp("192.168.0.89", "192.168.0.1", 8, 0).data(&[7u8; 56]);
    let rep = Pkt::icmp("192.168.0.1", "192.168.0.89", 0, 0).data(&[7u8; 56]);
    let (records, _, _) = run(cfg(), &[(0.0, req), (0.001, rep)]);
    let r = one(&records);
    assert_eq!(r.transport, Transport::ICMP);
    assert_eq!(r.state, ConnState::SF);
    assert_eq!(r.history, "");
    assert_eq!(r.client, ep("192.168.0.89", 8));
    assert_eq!(r.server, ep("192.168.0.1", 0));
    assert!(!r.direction_inferred);
    assert_eq!((r.client_stats.bytes, r.server_stats.bytes), (56, 56));
    assert_eq!(
        r.icmp,
        Some(IcmpFacts {
            icmp_type: 8,
            icmp_code: 0,
            refers_to: None,
            admin_prohibited: false
        })
    );
}

/// An echo reply seen alone: the requester is the client, and the Community ID is the same as
/// the request's.
#[test]
fn echo_reply_first_flips() {
    let rep = Pkt::icmp("192.168.0.1", "192.168.0.89", 0, 0);
    let (records, _, _) = run(cfg(), &[(0.0, rep)]);
    let r = one(&records);
    assert_eq!(r.client, ep("192.168.0.89", 8));
    assert!(r.direction_inferred);
    assert_eq!(r.state, ConnState::SHR);
    assert_eq!(r.community_id, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    assert_eq!(r.icmp.as_ref().map(|i| i.icmp_type), Some(0));
}

#[test]
fn icmpv6_echo_pairs() {
    let req = Pkt::icmp("2001:db8::1", "2001:db8::2", 128, 0);
    let rep = Pkt::icmp("2001:db8::2", "2001:db8::1", 129, 0);
    let (records, _, _) = run(cfg(), &[(0.0, req), (0.1, rep)]);
    let r = one(&records);
    assert_eq!(r.transport, Transport::ICMPV6);
    assert_eq!(r.client, ep("2001:db8::1", 128));
    assert_eq!(r.state, ConnState::SF);
    assert_eq!(
        r.community_id,
        community_id_v1(
            0,
            ip("2001:db8::1"),
            ip("2001:db8::2"),
            Transport::ICMPV6,
            128,
            0
        )
    );
}

/// The same five-tuple in two VXLAN segments, and in two VLANs: four flows.
#[test]
fn scope_separates_tenants() {
    let q = Pkt::udp("10.0.0.1", 50000, "10.0.0.2", 53, b"q");
    let packets = [
        (0.0, q.clone().vxlan(100)),
        (0.1, q.clone().vxlan(200)),
        (0.2, q.clone().vlans(Some(10), None)),
        (0.3, q.clone().vlans(Some(10), Some(20))),
        (0.4, q.reversed().vxlan(100)),
    ];
    let (records, _, _) = run(cfg(), &packets);
    assert_eq!(records.len(), 4);
    let vni100 = &records[0];
    assert_eq!(vni100.packets(), 2);
    assert_eq!(vni100.tunnels.len(), 1);
    assert_eq!(vni100.tunnels[0].kind, TunnelKind::Vxlan);
    assert_eq!(vni100.tunnels[0].id, Some(100));
    assert_eq!(records[2].vlan, Some(10));
    assert_eq!(records[2].inner_vlan, None);
    assert_eq!(
        (records[3].vlan, records[3].inner_vlan),
        (Some(10), Some(20))
    );
    assert!(records[0].vlan.is_none());
}

#[test]
fn other_transports_are_flows_too() {
    let mut esp = Pkt::udp("10.0.0.1", 0, "10.0.0.2", 0, &[0u8; 100]);
    esp.transport = Transport::ESP;
    let back = esp.reversed();
    let (records, _, _) = run(cfg(), &[(0.0, esp), (0.1, back)]);
    let r = one(&records);
    assert_eq!(r.transport, Transport::ESP);
    assert_eq!((r.state, r.history.as_str()), (ConnState::SF, "Dd"));
    assert!(r.direction_inferred);
    assert_eq!(r.client.ip, ip("10.0.0.1"));
}
