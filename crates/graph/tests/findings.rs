//! Findings on hand-made networks: scans, cleartext credentials with raised severity, weak
//! crypto, the jump host's legitimate admin path, workstations outside it, fan-out, stable ids.

mod common;

use common::{close, key, of_kind, run, value};
use segscope_graph::{FindingKind, Role, Severity};

#[test]
fn horizontal_and_vertical_scans() {
    let a = run(
        &[
            "10.0.0.66 -> 10.0.1.1..40 tcp/22 outcome=no_reply",
            "10.0.0.66 -> 10.0.1.41 tcp/22 app=ssh auth=ssh",
            "10.0.0.77 -> 10.0.2.1 tcp/1-100 outcome=rejected",
            "10.0.0.77 -> 10.0.2.1 tcp/443 app=tls auth=tls_server_only",
        ],
        None,
        None,
    );
    let scans = of_kind(&a, FindingKind::Scan);
    assert_eq!(scans.len(), 2, "{scans:#?}");
    let h = scans
        .iter()
        .find(|f| f.workloads[0] == key("10.0.0.66"))
        .expect("horizontal");
    assert_eq!(h.severity, Severity::Medium);
    assert_eq!(
        h.workloads,
        [key("10.0.0.66"), key("10.0.1.41")],
        "scanner, then what answered"
    );
    assert_eq!(h.edges.len(), 1);
    assert!(h.title.contains("41 hosts"), "{}", h.title);
    assert!(h.explanation.contains("40 of 41"), "{}", h.explanation);
    assert!(!h.evidence.is_empty());
    let v = scans
        .iter()
        .find(|f| f.workloads[0] == key("10.0.0.77"))
        .expect("vertical");
    assert!(
        v.explanation.contains("101 ports at most on one"),
        "{}",
        v.explanation
    );
    for ip in ["10.0.0.66", "10.0.0.77"] {
        let w = a.workload(&key(ip)).expect("scanner");
        assert_eq!(w.role, Role::Scanner, "{}", w.role_reason);
    }
    // The scanned host's services are real services: the scan's success is reachability.
    assert_eq!(
        a.workload(&key("10.0.2.1")).map(|w| w.services.len()),
        Some(1)
    );
}

#[test]
fn an_inventory_scanner_is_informational() {
    let a = run(
        &["10.0.0.66 -> 10.0.1.1..40 tcp/22 outcome=no_reply"],
        Some("cidr,role\n10.0.0.66,scanner\n"),
        None,
    );
    let scans = of_kind(&a, FindingKind::Scan);
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].severity, Severity::Info);
}

#[test]
fn cleartext_credentials_severity_rises_across_segments_and_on_critical_assets() {
    let inv = "cidr,zone,criticality\n\
        10.0.0.0/24,users,\n\
        10.0.3.0/24,data,\n\
        10.0.3.20,,critical\n";
    let a = run(
        &[
            "10.0.3.11 -> 10.0.3.10 tcp/21 app=ftp auth=cleartext_credentials user=backup",
            "10.0.0.5 -> 10.0.3.12 tcp/389 app=ldap auth=cleartext_credentials user=svc_ldap",
            "10.0.3.11 -> 10.0.3.20 tcp/110 app=pop3 auth=cleartext_credentials",
        ],
        Some(inv),
        None,
    );
    let creds = of_kind(&a, FindingKind::CleartextCredentials);
    assert_eq!(creds.len(), 3);
    let by_server = |ip: &str| {
        creds
            .iter()
            .find(|f| f.workloads[0] == key(ip))
            .unwrap_or_else(|| panic!("finding for {ip}"))
    };
    let ftp = by_server("10.0.3.10");
    assert_eq!(ftp.severity, Severity::High, "same zone, not critical");
    assert!(ftp.explanation.contains("backup"), "{}", ftp.explanation);
    assert!(!ftp.explanation.contains("Severity raised"));
    let ldap = by_server("10.0.3.12");
    assert_eq!(ldap.severity, Severity::Critical);
    assert!(
        ldap.explanation.contains("a client is in another segment"),
        "{}",
        ldap.explanation
    );
    let pop = by_server("10.0.3.20");
    assert_eq!(pop.severity, Severity::Critical);
    assert!(
        pop.explanation.contains("critical asset"),
        "{}",
        pop.explanation
    );
    close(value(&a, "E3"), 3.0);
}

#[test]
fn weak_crypto_per_service_and_weakness() {
    let a = run(
        &[
            "10.0.0.5 -> 10.0.1.10 tcp/443 app=tls auth=tls_server_only weak=tls_version:TLSv1.0",
            "10.0.0.6 -> 10.0.1.10 tcp/443 app=tls auth=tls_server_only weak=tls_version:TLSv1.0",
            "10.0.0.7 -> 10.0.1.11 tcp/443 app=tls auth=tls_server_only weak=tls_cipher:TLS_RSA_WITH_RC4_128_SHA",
            "10.0.0.8 -> 10.0.1.12 tcp/443 app=tls auth=tls_server_only",
            "10.0.0.5 -> 10.0.1.1 udp/88 app=kerberos auth=kerberos weak=kerberos_weak_etype:rc4-hmac",
            "10.0.0.5 -> 10.0.1.2 tcp/445 app=smb auth=ntlm weak=smb_signing_not_required weak=ntlmv1",
        ],
        None,
        None,
    );
    let weak = of_kind(&a, FindingKind::WeakCrypto);
    let mut got: Vec<(String, Severity)> =
        weak.iter().map(|f| (f.rule.clone(), f.severity)).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "weak_crypto.kerberos_weak_etype".to_owned(),
                Severity::Medium
            ),
            ("weak_crypto.ntlmv1".to_owned(), Severity::High),
            (
                "weak_crypto.smb_signing_not_required".to_owned(),
                Severity::Medium
            ),
            ("weak_crypto.tls_cipher".to_owned(), Severity::High),
            ("weak_crypto.tls_version".to_owned(), Severity::Medium),
        ]
    );
    let tls10 = weak
        .iter()
        .find(|f| f.rule == "weak_crypto.tls_version")
        .expect("TLS 1.0");
    assert_eq!(
        tls10.edges.len(),
        2,
        "one finding for the service, both clients"
    );
    assert!(tls10.title.contains("TLSv1.0"), "{}", tls10.title);
    // E4: 3 of 4 TLS flows weak.
    close(value(&a, "E4"), 0.75);
}

const SERVERS_RDP: &[&str] = &[
    "10.2.0.10 -> 10.2.0.200 udp/123 app=ntp auth=not_applicable",
    "10.2.0.11 -> 10.2.0.200 udp/123 app=ntp auth=not_applicable",
];

#[test]
fn the_jump_hosts_admin_path_is_not_lateral_movement() {
    let mut flows = vec!["10.9.0.5 -> 10.2.0.10..16 tcp/3389 app=rdp auth=encrypted_other"];
    flows.extend_from_slice(SERVERS_RDP);
    // Declared admin zone.
    let a = run(
        &flows,
        Some("cidr,zone\n10.9.0.0/24,mgmt\n"),
        Some("version: 1\nadmin_sources: [\"zone:mgmt\"]\n"),
    );
    assert!(of_kind(&a, FindingKind::LateralMovement).is_empty());
    let jump = a.workload(&key("10.9.0.5")).expect("jump host");
    assert_eq!(
        jump.admin_source.as_deref(),
        Some("configuration admin_sources: zone:mgmt")
    );
    let admin_path = a
        .exclusions
        .iter()
        .find(|x| x.id == "admin_path")
        .expect("exclusion listed");
    assert_eq!(admin_path.edges, 7);
    // Nothing declared: the behaviour makes it a jump host, trusted by the rules.
    let a = run(&flows, None, None);
    let jump = a.workload(&key("10.9.0.5")).expect("jump host");
    assert_eq!(jump.role, Role::Management, "{}", jump.role_reason);
    assert!(
        jump.admin_source
            .as_deref()
            .is_some_and(|s| s.starts_with("inferred jump host"))
    );
    assert!(of_kind(&a, FindingKind::LateralMovement).is_empty());
}

#[test]
fn a_workstation_reaching_servers_over_rdp_is_outside_the_admin_path() {
    let mut flows = vec![
        "10.1.0.20 -> 10.1.0.53 udp/53 app=dns auth=not_applicable",
        "10.1.0.20 -> 10.5.0.80 tcp/443 app=tls auth=tls_server_only",
        "10.1.0.20 -> 10.2.0.10..11 tcp/3389 app=rdp auth=encrypted_other",
        "10.1.0.21 -> 10.1.0.53 udp/53 app=dns auth=not_applicable",
        "10.1.0.21 -> 10.5.0.80 tcp/443 app=tls auth=tls_server_only",
        "10.1.0.21 -> 10.2.0.10..16 tcp/3389 app=rdp auth=encrypted_other",
    ];
    flows.extend_from_slice(SERVERS_RDP);
    let a = run(&flows, None, None);
    for ip in ["10.2.0.10", "10.2.0.11"] {
        let w = a.workload(&key(ip)).expect("server");
        assert_eq!(w.role, Role::Server, "{ip}: {}", w.role_reason);
    }
    let lm = of_kind(&a, FindingKind::LateralMovement);
    assert_eq!(lm.len(), 2, "{lm:#?}");
    let two = lm
        .iter()
        .find(|f| f.workloads[0] == key("10.1.0.20"))
        .expect("from .20");
    assert_eq!(two.rule, "lateral_movement.outside_admin_path");
    assert_eq!(two.severity, Severity::Medium);
    assert_eq!(two.edges.len(), 2);
    let seven = lm
        .iter()
        .find(|f| f.workloads[0] == key("10.1.0.21"))
        .expect("from .21");
    assert_eq!(seven.rule, "lateral_movement.fan_out");
    assert_eq!(seven.severity, Severity::High);
    assert_eq!(seven.edges.len(), 7);
    // S3b: the 7 RDP servers and the NTP server are servers; 7 accept RDP from workstations.
    let s3b = a.metric("S3b").expect("S3b");
    assert_eq!((s3b.numerator, s3b.denominator), (Some(7.0), Some(10.0)));
}

#[test]
fn finding_ids_are_stable_across_unrelated_changes() {
    let base = [
        "10.0.0.11 -> 10.0.0.12 tcp/445 app=smb auth=ntlm",
        "10.0.0.11 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
        "10.0.0.12 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
        "10.0.0.12 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    ];
    let inv = "cidr,role\n10.0.0.11,workstation\n10.0.0.12,workstation\n";
    let a = run(&base, Some(inv), None);
    let mut more = base.to_vec();
    more.push("10.0.0.30 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated count=4");
    more.push("10.0.0.11 -> 10.0.0.12 tcp/445 app=smb auth=ntlm at=500");
    let b = run(&more, Some(inv), None);
    let id = |a: &segscope_graph::Analysis, kind| {
        of_kind(a, kind)
            .first()
            .map(|f| f.id.clone())
            .expect("finding")
    };
    assert_eq!(
        id(&a, FindingKind::LateralMovement),
        id(&b, FindingKind::LateralMovement)
    );
    assert_eq!(
        id(&a, FindingKind::UnauthenticatedService),
        id(&b, FindingKind::UnauthenticatedService)
    );
    assert!(id(&a, FindingKind::LateralMovement).starts_with("LM-"));
}
