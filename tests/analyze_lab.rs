//! The graph stage on the generated enterprise lab (`captures/lab.pcapng`) against its ground
//! truth (`captures/lab.json`, known by construction): every planted lateral-movement edge is
//! reported (answered sessions as movement, attempts the lab's firewall blocked as attempted
//! movement), the planted scan is reported, the jump host's legitimate admin path raises no finding, and
//! behaviour alone (no inventory) recovers the roles of at least 90 % of the hosts.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use segscope_engine::EngineConfig;
use segscope_engine::stages::edges_from_files;
use segscope_gen::scenarios::truth::ScenarioFacts;
use segscope_gen::testdata::project_captures;
use segscope_gen::truth::Truth;
use segscope_graph::{Analysis, AnalysisInputs, FindingKind, analyze};

fn lab() -> (ScenarioFacts, Analysis) {
    let dir = project_captures();
    let text = std::fs::read_to_string(dir.join("lab.json")).expect("lab truth");
    let truth: Truth = serde_json::from_str(&text).expect("truth parses");
    let inputs = AnalysisInputs::embedded().expect("shipped rules");
    let cfg = EngineConfig {
        workers: 2,
        ..EngineConfig::default()
    };
    let capture = dir.join("lab.pcapng");
    let (set, _) = edges_from_files(
        &[capture.as_path()],
        Arc::new(inputs.protocols.clone()),
        &cfg,
    )
    .expect("lab capture reads");
    (
        truth.scenario.expect("scenario facts"),
        analyze(set, &inputs),
    )
}

/// (client, server, port, attempted) of every edge cited by findings of `kind`.
fn cited(a: &Analysis, kind: FindingKind) -> Vec<(IpAddr, IpAddr, u16, bool)> {
    a.findings
        .iter()
        .filter(|f| f.kind == kind)
        .flat_map(|f| {
            let attempted = f.rule == "lateral_movement.attempted";
            f.edges
                .iter()
                .map(move |e| (e.client.ip, e.server.ip, e.port, attempted))
        })
        .collect()
}

#[test]
fn planted_lateral_movement_and_scan_are_reported_and_the_admin_path_is_not() {
    let (facts, a) = lab();
    let lateral = cited(&a, FindingKind::LateralMovement);
    let blocked = facts
        .lateral_movement
        .iter()
        .filter(|lm| !lm.established)
        .count();
    assert!(
        blocked > 0 && blocked < facts.lateral_movement.len(),
        "the lab plants both answered and blocked movement"
    );
    let missed: Vec<String> = facts
        .lateral_movement
        .iter()
        .filter(|lm| !lateral.contains(&(lm.source_ip, lm.target_ip, lm.port, !lm.established)))
        .map(|lm| {
            format!(
                "{} -> {} port {} (established: {})",
                lm.source, lm.target, lm.port, lm.established
            )
        })
        .collect();
    println!(
        "lateral movement: {} planted ({blocked} blocked by the lab firewall), {} reported as \
         findings of the right rule",
        facts.lateral_movement.len(),
        facts.lateral_movement.len() - missed.len()
    );
    assert!(missed.is_empty(), "planted but not reported: {missed:#?}");

    for scan in facts.scans.iter().filter(|s| s.planted) {
        assert!(
            a.findings.iter().any(|f| f.kind == FindingKind::Scan
                && f.workloads.first().is_some_and(|w| w.ip == scan.source_ip)),
            "scan from {} not reported",
            scan.source
        );
    }

    let ip_of: BTreeMap<&str, IpAddr> = facts
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.ipv4))
        .collect();
    let path = facts
        .admin_path
        .as_ref()
        .expect("the lab has an admin path");
    let jump: Vec<IpAddr> = path
        .jump_hosts
        .iter()
        .filter_map(|n| ip_of.get(n.as_str()).copied())
        .collect();
    assert!(!jump.is_empty());
    let on_path: Vec<String> = a
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::LateralMovement)
        .filter(|f| f.edges.iter().any(|e| jump.contains(&e.client.ip)))
        .map(|f| f.title.clone())
        .collect();
    assert!(
        on_path.is_empty(),
        "findings on the admin path: {on_path:#?}"
    );
}

#[test]
fn roles_are_recovered_from_behaviour_for_nine_hosts_in_ten() {
    let (facts, a) = lab();
    let mut right = 0;
    let mut wrong = Vec::new();
    for h in &facts.hosts {
        let roles: Vec<&str> = a
            .workloads
            .iter()
            .filter(|w| w.key.ip == h.ipv4)
            .map(|w| w.role.as_str())
            .collect();
        if roles.contains(&h.segscope_role.as_str()) {
            right += 1;
        } else {
            wrong.push(format!(
                "{}: truth {}, found {roles:?}",
                h.name, h.segscope_role
            ));
        }
    }
    let share = f64::from(right) / facts.hosts.len() as f64;
    println!(
        "roles recovered: {right}/{} ({:.1} %)",
        facts.hosts.len(),
        share * 100.0
    );
    assert!(share >= 0.9, "{wrong:#?}");
}
