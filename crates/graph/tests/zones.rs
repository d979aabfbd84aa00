//! Zones with firewall drops (S0), ICMP administratively prohibited and resets between them:
//! default-deny evidence per zone (S4), differential reachability, S1, S2 and S6 by hand.

mod common;

use common::{close, key, of_kind, run, value};
use segscope_graph::enforcement::Verdict;
use segscope_graph::workload::CriticalSource;
use segscope_graph::{FindingKind, Role};

const INVENTORY: &str = "cidr,zone\n\
    10.1.0.0/24,users\n\
    10.3.0.0/24,data\n\
    10.4.0.0/24,legacy\n\
    10.9.0.0/24,admin\n";

const FLOWS: &[&str] = &[
    // Users use the database and their DNS resolver.
    "10.1.0.11 -> 10.3.0.10 tcp/5432 app=postgresql auth=tls_server_only",
    "10.1.0.12 -> 10.3.0.10 tcp/5432 app=postgresql auth=tls_server_only",
    "10.1.0.13 -> 10.3.0.10 tcp/5432 app=postgresql auth=tls_server_only",
    "10.1.0.11 -> 10.1.0.53 udp/53 app=dns auth=not_applicable",
    "10.1.0.12 -> 10.1.0.53 udp/53 app=dns auth=not_applicable",
    "10.1.0.13 -> 10.1.0.53 udp/53 app=dns auth=not_applicable",
    // 3 sources x 8 ports the data zone never answers: 24 silent drops.
    "10.1.0.11 -> 10.3.0.10 tcp/1000-1007 outcome=no_reply",
    "10.1.0.12 -> 10.3.0.10 tcp/1000-1007 outcome=no_reply",
    "10.1.0.13 -> 10.3.0.10 tcp/1000-1007 outcome=no_reply",
    // SSH answers the admin zone and is prohibited to a user: differential reachability.
    "10.9.0.5 -> 10.3.0.10 tcp/22 app=ssh auth=ssh",
    "10.1.0.12 -> 10.3.0.10 tcp/22 outcome=admin_prohibited",
    // The legacy zone answers HTTP and resets everything else: closed ports, not a filter.
    "10.1.0.11 -> 10.4.0.10 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.1.0.11 -> 10.4.0.10 tcp/2000-2006 outcome=rejected",
    "10.1.0.12 -> 10.4.0.10 tcp/2000-2006 outcome=rejected",
    "10.1.0.13 -> 10.4.0.10 tcp/2000-2006 outcome=rejected",
];

#[test]
fn default_deny_evidence_per_zone() {
    let a = run(FLOWS, Some(INVENTORY), None);
    let zone = |id: &str| {
        a.zones
            .iter()
            .find(|z| &*z.segment == id)
            .unwrap_or_else(|| panic!("zone {id}"))
    };
    let data = zone("zone:data");
    assert_eq!(data.ingress.verdict, Verdict::DefaultDeny);
    assert_eq!(
        (
            data.ingress.attempts,
            data.ingress.denied,
            data.ingress.closed
        ),
        (24, 24, 0)
    );
    assert_eq!(data.ingress.allowed_ports, ["tcp/22", "tcp/5432"]);
    assert_eq!(data.ingress.differential.len(), 1);
    let d = &data.ingress.differential[0];
    assert_eq!(d.server, key("10.3.0.10"));
    assert_eq!(d.service, "tcp/22");
    assert_eq!((d.answered_sources, d.dropped_sources), (1, 1));
    assert!(d.evidence.len() >= 2, "a dropped and an answered flow");
    assert!(!data.ingress.evidence.is_empty());

    let legacy = zone("zone:legacy");
    assert_eq!(legacy.ingress.verdict, Verdict::ClosedPorts);
    assert_eq!((legacy.ingress.attempts, legacy.ingress.closed), (21, 21));

    assert_eq!(zone("zone:users").ingress.verdict, Verdict::NoAttempts);
    // Users' attempts out: 24 drops and the prohibited SSH (port 22 never answered a user)
    // to data, 21 resets to legacy.
    let users = zone("zone:users");
    assert_eq!(users.egress.allowed_ports, ["tcp/80", "tcp/5432"]);
    assert_eq!(
        (
            users.egress.attempts,
            users.egress.denied,
            users.egress.admin_prohibited
        ),
        (46, 25, 1)
    );

    // S4: one of four active zones (users, data, legacy, admin).
    close(value(&a, "S4"), 0.25);
    let s4 = a.metric("S4").expect("S4");
    assert_eq!(s4.detail.get("zones_with_differential"), Some(&1.0));
    assert_eq!(s4.detail.get("zones_closed_ports_only"), Some(&1.0));
}

#[test]
fn reachability_port_breadth_and_critical_isolation() {
    let a = run(FLOWS, Some(INVENTORY), None);
    // Pairs: users->data, admin->data, users->legacy of 4 x 3 ordered pairs.
    close(value(&a, "S1"), 3.0 / 12.0);
    assert_eq!(a.segment_pairs.len(), 3);
    let ud = a
        .segment_pairs
        .iter()
        .find(|p| &*p.from == "zone:users" && &*p.to == "zone:data")
        .expect("users -> data");
    assert_eq!(ud.ports, ["tcp/5432"]);
    assert_eq!(ud.edges, 3);
    // Each pair uses one port.
    close(value(&a, "S2"), 1.0);
    assert_eq!(
        a.metric("S2")
            .and_then(|m| m.detail.get("share_service_specific").copied()),
        Some(1.0)
    );
    // The database is suggested critical (nothing declared), reached from two segments,
    // and its zone shows default deny: isolated.
    let db = a.workload(&key("10.3.0.10")).expect("db");
    assert_eq!(db.role, Role::Database);
    assert_eq!(
        db.critical.as_ref().map(|c| c.source),
        Some(CriticalSource::Suggested)
    );
    assert_eq!(a.critical_assets.len(), 1);
    let asset = &a.critical_assets[0];
    assert_eq!(asset.source_segments, ["zone:admin", "zone:users"]);
    assert!(asset.enforcement_evidence && asset.isolated);
    close(value(&a, "S6"), 1.0);
    // Default-deny evidence exists, so the network is not reported flat.
    assert!(of_kind(&a, FindingKind::FlatNetwork).is_empty());
    assert!(
        of_kind(&a, FindingKind::Scan).is_empty(),
        "8 ports per source is no scan"
    );
}

#[test]
fn without_the_drops_there_is_no_evidence() {
    let flows: Vec<&str> = FLOWS
        .iter()
        .copied()
        .filter(|l| !l.contains("no_reply"))
        .collect();
    let a = run(&flows, Some(INVENTORY), None);
    let data = a
        .zones
        .iter()
        .find(|z| &*z.segment == "zone:data")
        .expect("data");
    assert_eq!(data.ingress.verdict, Verdict::DifferentialOnly);
    close(value(&a, "S4"), 0.0);
    close(value(&a, "S6"), 1.0);
}
