//! A flat /24 where workstations administer each other: roles, S3, lateral movement, the
//! flat-network finding, encryption and authentication shares, all computed by hand.

mod common;

use common::{close, key, of_kind, run, value};
use segscope_graph::{FindingKind, Role, Severity};

const FLAT: &[&str] = &[
    "10.0.0.11 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.12 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.13 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.14 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.11 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.12 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.13 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.14 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.11 -> 10.0.0.12 tcp/445 app=smb auth=ntlm user=alice",
    "10.0.0.12 -> 10.0.0.13 tcp/3389 app=rdp auth=encrypted_other",
];

#[test]
fn roles_are_inferred_with_reasons() {
    let a = run(FLAT, None, None);
    for ip in ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"] {
        let w = a.workload(&key(ip)).expect("workload");
        assert_eq!(w.role, Role::Workstation, "{ip}: {}", w.role_reason);
        assert!(
            w.role_reason.contains("uses 2 services"),
            "{}",
            w.role_reason
        );
    }
    let web = a.workload(&key("10.0.0.50")).expect("web");
    assert_eq!(web.role, Role::WebApp);
    assert_eq!(web.role_reason, "serves http tcp/80 to 4 clients");
    assert_eq!(web.in_degree, 4);
    assert_eq!(
        a.workload(&key("10.0.0.53")).map(|w| w.role),
        Some(Role::DnsServer)
    );
    assert_eq!(&*web.segment, "net:10.0.0.0/24");
    assert_eq!(a.segments.len(), 1);
}

#[test]
fn admin_exposure_metrics_match_hand_counts() {
    let a = run(FLAT, None, None);
    // Workstations .12 (SMB from .11) and .13 (RDP from .12) of four accept admin sessions.
    close(value(&a, "S3a"), 0.5);
    let s3a = a.metric("S3a").expect("S3a");
    assert_eq!((s3a.numerator, s3a.denominator), (Some(2.0), Some(4.0)));
    assert_eq!(s3a.evidence.len(), 2);
    // Servers (web, DNS) accept no admin session.
    close(value(&a, "S3b"), 0.0);
    // Each admin target is reached from one segment.
    close(value(&a, "S3c"), 1.0);
    // One active segment: S1 and S2 have no value, and say why.
    let s1 = a.metric("S1").expect("S1");
    assert_eq!(s1.value, None);
    assert_eq!(
        s1.not_computed.as_deref(),
        Some("fewer than two active segments")
    );
    assert_eq!(value(&a, "S2"), None);
}

#[test]
fn lateral_movement_and_flat_network_are_reported() {
    let a = run(FLAT, None, None);
    let lm = of_kind(&a, FindingKind::LateralMovement);
    assert_eq!(lm.len(), 2, "{lm:#?}");
    assert!(lm.iter().all(|f| f.severity == Severity::High));
    assert!(
        lm.iter()
            .all(|f| f.rule == "lateral_movement.workstation_to_workstation")
    );
    let smb = lm
        .iter()
        .find(|f| f.workloads.first() == Some(&key("10.0.0.11")))
        .expect("SMB finding from .11");
    assert_eq!(smb.workloads, [key("10.0.0.11"), key("10.0.0.12")]);
    assert_eq!(smb.edges.len(), 1);
    assert_eq!(smb.edges[0].port, 445);
    assert!(smb.explanation.contains("alice"), "{}", smb.explanation);
    let ev = smb.evidence.first().expect("evidence flow");
    assert_eq!(&*ev.file, "test.pcap");
    assert!(ev.community_id.starts_with("1:"));
    assert!(ev.first_frame > 0);

    let flat = of_kind(&a, FindingKind::FlatNetwork);
    assert_eq!(flat.len(), 1);
    assert_eq!(flat[0].severity, Severity::High);
    assert!(
        flat[0].explanation.contains("S3a = 0.50"),
        "{}",
        flat[0].explanation
    );
    assert!(
        flat[0].explanation.contains("one segment"),
        "{}",
        flat[0].explanation
    );

    let unauth = of_kind(&a, FindingKind::UnauthenticatedService);
    assert_eq!(unauth.len(), 1);
    assert_eq!(
        unauth[0].severity,
        Severity::Low,
        "same segment, not critical"
    );
    assert_eq!(unauth[0].workloads.len(), 5, "server and its four clients");
}

#[test]
fn encryption_and_authentication_shares_match_hand_counts() {
    let a = run(FLAT, None, None);
    // Applicable east-west flows: 4 HTTP (cleartext), 1 SMB (NTLM), 1 RDP (encrypted);
    // DNS is not applicable.
    close(value(&a, "E1"), 1.0 / 6.0);
    let e1 = a.metric("E1").expect("E1");
    assert_eq!(e1.detail.get("not_applicable_flows"), Some(&4.0));
    assert_eq!(e1.detail.get("kerberos_or_ntlm_flows"), Some(&1.0));
    // Every flow carries 500 bytes each way, so bytes follow flows.
    close(value(&a, "E1_bytes"), 1.0 / 6.0);
    close(value(&a, "E2"), 1.0);
    close(value(&a, "A2"), 4.0 / 6.0);
    assert_eq!(value(&a, "A1"), None, "no TLS");
    assert_eq!(
        a.metric("A1").and_then(|m| m.not_computed.as_deref()),
        Some("no east-west TLS flows")
    );
    close(value(&a, "E3"), 1.0);
}

#[test]
fn blast_radius_follows_admin_and_unauthenticated_edges() {
    let a = run(FLAT, None, None);
    let b = &a.blast_radius;
    // .11 -smb-> .12 -rdp-> .13, and every workstation reaches the web server over
    // unauthenticated HTTP.
    let reach = |ip: &str| b.of(&key(ip)).map(|r| r.reachable);
    assert_eq!(reach("10.0.0.11"), Some(3));
    assert_eq!(reach("10.0.0.12"), Some(2));
    assert_eq!(reach("10.0.0.13"), Some(1));
    assert_eq!(reach("10.0.0.14"), Some(1));
    assert_eq!(reach("10.0.0.50"), None);
    assert_eq!(b.top_footholds.first(), Some(&key("10.0.0.11")));
    let top = b.of(&key("10.0.0.11")).expect("top foothold");
    assert_eq!(
        top.reachable_set.as_deref(),
        Some(&[key("10.0.0.12"), key("10.0.0.13"), key("10.0.0.50")][..])
    );
    assert_eq!(b.movement_edges, 6);
}

#[test]
fn segments_reaching_each_other_on_many_ports_are_any_to_any() {
    let a = run(
        &[
            "10.0.1.5 -> 10.0.2.5 tcp/8000-8011 app=http auth=cleartext_unauthenticated",
            "10.0.2.6 -> 10.0.1.6 tcp/9000-9009 app=http auth=cleartext_unauthenticated",
            "10.0.1.7 -> 10.0.3.7 tcp/443 app=tls auth=mtls",
        ],
        None,
        None,
    );
    let flat = of_kind(&a, FindingKind::FlatNetwork);
    // S1 = 3 of 3·2 ordered pairs = 0.5, not above the 0.5 threshold, and no workstation
    // administers another: no network-wide finding, only the broad pair.
    close(value(&a, "S1"), 0.5);
    let rules: Vec<&str> = flat.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["flat_network.broad_pair"], "{flat:#?}");
    let pair = flat[0];
    assert_eq!(pair.severity, Severity::Medium);
    assert_eq!(
        pair.title,
        "Segments net:10.0.1.0/24 and net:10.0.2.0/24 reach each other any-to-any"
    );
    assert_eq!(
        pair.edges.len(),
        20,
        "up to evidence_per_finding edges each way"
    );
    assert_eq!(pair.segments, ["net:10.0.1.0/24", "net:10.0.2.0/24"]);
    assert!(
        pair.explanation.contains("12 distinct service ports"),
        "{}",
        pair.explanation
    );
    // Pairs use 12, 10 and 1 ports.
    close(value(&a, "S2"), 10.0);
}
