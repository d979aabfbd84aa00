//! Fragments and ICMP errors.

use segscope_core::flow::QuotedFlow;
use segscope_core::{ConnState, Transport};
use segscope_flow::FlowConfig;
use segscope_wire::Fragment;

use crate::support::{Conv, Pkt, SYN, cfg, ep, ip, one, run};

/// A UDP datagram in two fragments: the first carries the ports, the second only fragment data.
#[test]
fn later_fragment_joins_its_flow() {
    let first =
        Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, &[1u8; 1472]).frag(Fragment::First { id: 77 });
    let later =
        Pkt::udp("10.0.0.1", 0, "10.0.0.2", 0, &[2u8; 528]).frag(Fragment::Later { id: 77 });
    let answer_first = first.reversed();
    let answer_later = later.reversed();
    let (records, table, _) = run(
        cfg(),
        &[
            (0.0, first),
            (0.001, later),
            (0.1, answer_first),
            (0.101, answer_later),
        ],
    );
    let r = one(&records);
    assert_eq!(r.fragments, 2);
    // One datagram each way, as Zeek counts after reassembly.
    assert_eq!(r.client_stats.packets, 1);
    assert_eq!(r.server_stats.packets, 1);
    assert_eq!(r.client_stats.bytes, 2000);
    assert_eq!(r.state, ConnState::SF);
    assert_eq!(table.stats().orphan_fragments, 0);
}

#[test]
fn unmatched_later_fragment_is_an_orphan() {
    let first = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"x").frag(Fragment::First { id: 1 });
    let other = Pkt::udp("10.0.0.1", 0, "10.0.0.2", 0, b"y").frag(Fragment::Later { id: 2 });
    let (records, table, _) = run(cfg(), &[(0.0, first), (0.1, other)]);
    assert_eq!(one(&records).fragments, 0);
    assert_eq!(table.stats().orphan_fragments, 1);
}

/// A later fragment arriving after its first fragment was forgotten (fragment timeout).
#[test]
fn fragment_registration_times_out() {
    let first = Pkt::udp("10.0.0.1", 5000, "10.0.0.2", 53, b"x").frag(Fragment::First { id: 1 });
    let later = Pkt::udp("10.0.0.1", 0, "10.0.0.2", 0, b"y").frag(Fragment::Later { id: 1 });
    let (_, table, _) = run(cfg(), &[(0.0, first.clone()), (31.0, later.clone())]);
    assert_eq!(table.stats().orphan_fragments, 1);
    let (_, table, _) = run(cfg(), &[(0.0, first), (29.0, later)]);
    assert_eq!(table.stats().orphan_fragments, 0);
}

/// A SYN answered by a firewall's "administratively prohibited" (type 3 code 13): the error is
/// listed on the TCP flow, which stays `S0`; no ICMP flow is made.
#[test]
fn admin_prohibited_error_is_attributed() {
    let c = Conv::new();
    let err = Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 13).quoting(
        ep("10.0.0.1", 40000),
        ep("10.0.0.2", 443),
        Transport::TCP,
    );
    let (records, table, _) = run(cfg(), &[(0.0, c.c(SYN, 0, 0)), (0.01, err)]);
    let r = one(&records);
    assert_eq!(r.transport, Transport::TCP);
    assert_eq!(r.state, ConnState::S0);
    assert_eq!(r.packets(), 1, "the error is not one of the flow's packets");
    assert_eq!(r.icmp_errors.len(), 1);
    let e = &r.icmp_errors[0];
    assert_eq!((e.icmp_type, e.icmp_code, e.frame), (3, 13, 2));
    assert_eq!(e.reporter, ip("10.0.0.254"));
    assert!(e.admin_prohibited);
    assert_eq!(table.stats().icmp_errors_attributed, 1);
}

/// An error quoting a flow the capture never showed: an ICMP flow that refers to it.
#[test]
fn unmatched_error_makes_an_icmp_flow() {
    let quoted = (ep("10.0.0.1", 40000), ep("10.9.9.9", 22));
    let err =
        Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 10).quoting(quoted.0, quoted.1, Transport::TCP);
    let (records, table, _) = run(cfg(), &[(0.0, err)]);
    let r = one(&records);
    assert_eq!(r.transport, Transport::ICMP);
    assert_eq!(r.client, ep("10.0.0.254", 3));
    assert_eq!(r.server, ep("10.0.0.1", 10));
    assert_eq!(r.state, ConnState::S0);
    let icmp = r.icmp.as_ref().expect("icmp facts");
    assert!(icmp.admin_prohibited);
    assert_eq!(
        icmp.refers_to,
        Some(QuotedFlow {
            src: quoted.0,
            dst: quoted.1,
            transport: Transport::TCP
        })
    );
    assert_eq!(table.stats().icmp_errors_unmatched, 1);
}

#[test]
fn admin_prohibited_codes() {
    let quote = |p: Pkt| p.quoting(ep("10.0.0.1", 1), ep("10.0.0.2", 2), Transport::UDP);
    let v6quote = |p: Pkt| p.quoting(ep("2001:db8::1", 1), ep("2001:db8::2", 2), Transport::UDP);
    let cases = [
        (quote(Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 9)), true),
        (quote(Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 10)), true),
        (quote(Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 13)), true),
        (quote(Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 3)), false),
        (
            v6quote(Pkt::icmp("2001:db8::fe", "2001:db8::1", 1, 1)),
            true,
        ),
        (
            v6quote(Pkt::icmp("2001:db8::fe", "2001:db8::1", 1, 5)),
            true,
        ),
        (
            v6quote(Pkt::icmp("2001:db8::fe", "2001:db8::1", 1, 6)),
            true,
        ),
        (
            v6quote(Pkt::icmp("2001:db8::fe", "2001:db8::1", 1, 4)),
            false,
        ),
    ];
    for (err, admin) in cases {
        let udp = Pkt::udp(
            &err.quoted.map(|q| q.src.ip.to_string()).unwrap_or_default(),
            1,
            &err.quoted.map(|q| q.dst.ip.to_string()).unwrap_or_default(),
            2,
            b"x",
        );
        let (records, _, _) = run(cfg(), &[(0.0, udp), (0.1, err)]);
        let r = one(&records);
        assert_eq!(r.icmp_errors.len(), 1);
        assert_eq!(
            r.icmp_errors[0].admin_prohibited, admin,
            "{:?}",
            r.icmp_errors[0]
        );
    }
}

#[test]
fn errors_beyond_the_cap_are_counted() {
    let cfg = FlowConfig {
        icmp_errors_per_flow: 2,
        ..cfg()
    };
    let udp = Pkt::udp("10.0.0.1", 1, "10.0.0.2", 2, b"x");
    let err = Pkt::icmp("10.0.0.254", "10.0.0.1", 3, 3).quoting(
        ep("10.0.0.1", 1),
        ep("10.0.0.2", 2),
        Transport::UDP,
    );
    let (records, table, _) = run(
        cfg,
        &[
            (0.0, udp),
            (0.1, err.clone()),
            (0.2, err.clone()),
            (0.3, err),
        ],
    );
    assert_eq!(one(&records).icmp_errors.len(), 2);
    let stats = table.stats();
    assert_eq!(
        (stats.icmp_errors_attributed, stats.icmp_errors_over_cap),
        (2, 1)
    );
}

/// An error about an ICMP echo quotes ICMP type 8 code 0: it finds the echo flow.
#[test]
fn error_quoting_an_echo_finds_it() {
    let ping = Pkt::icmp("10.0.0.1", "10.0.0.2", 8, 0);
    let err = Pkt::icmp("10.0.0.254", "10.0.0.1", 11, 0).quoting(
        ep("10.0.0.1", 8),
        ep("10.0.0.2", 0),
        Transport::ICMP,
    );
    let (records, _, _) = run(cfg(), &[(0.0, ping), (0.1, err)]);
    let r = one(&records);
    assert_eq!(r.icmp_errors.len(), 1);
    assert_eq!(r.icmp_errors[0].icmp_type, 11);
    assert!(!r.icmp_errors[0].admin_prohibited);
}
