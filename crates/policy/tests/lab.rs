//! The proposal and the audit against the generated enterprise lab, whose ground truth
//! (crates/gen/src/scenarios/truth.rs) says which zone each host was meant to be in and why
//! each edge exists: legitimate, admin, lateral movement, scan, blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use segscope_core::{EdgeKey, FlowRecord, Transport};
use segscope_engine::stages::Evidence;
use segscope_engine::{Control, EngineConfig, RecordStage};
use segscope_gen::scenarios::truth::{EdgeFacts, EdgeKind, ScenarioFacts};
use segscope_graph::{Analysis, AnalysisInputs, Inventory, analyze};
use segscope_policy::audit::{AuditOptions, AuditTally};
use segscope_policy::model::Provenance;
use segscope_policy::verdict::{Evaluator, Verdict};
use segscope_policy::zones::ZoneOptions;
use segscope_policy::{Policy, propose};
use serde::Deserialize;

#[derive(Deserialize)]
struct TruthDoc {
    scenario: ScenarioFacts,
}

fn captures() -> PathBuf {
    segscope_gen::testdata::project_captures()
}

fn truth(name: &str) -> ScenarioFacts {
    let text = std::fs::read_to_string(captures().join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}.json: {e}"));
    serde_json::from_str::<TruthDoc>(&text)
        .unwrap_or_else(|e| panic!("{name}.json: {e}"))
        .scenario
}

/// Collects the records of a capture, with cross-flow evidence applied.
struct Collect(Arc<segscope_rules::ProtocolRules>);

impl RecordStage for Collect {
    type Local = Evidence;
    type Out = Vec<FlowRecord>;
    fn local(&self) -> Evidence {
        Evidence::new(&self.0)
    }
    fn epoch(&self, e: &mut Evidence, records: &mut Vec<FlowRecord>) -> Vec<FlowRecord> {
        e.apply(records);
        records.clone()
    }
}

fn records(file: &Path, inputs: &AnalysisInputs) -> Vec<FlowRecord> {
    let rules = Arc::new(inputs.protocols.clone());
    let opts = segscope_capture::ReadOptions {
        supported_linktypes: Some(segscope_wire::SUPPORTED_LINKTYPES.to_vec()),
        ..segscope_capture::ReadOptions::default()
    };
    let mut source = segscope_capture::open(vec![segscope_capture::InputSpec::path(file)], &opts)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let cfg = EngineConfig {
        workers: 1,
        ..EngineConfig::default()
    };
    let classifier = Arc::new(segscope_proto::Classifier::new(rules.clone()));
    let mut all = Vec::new();
    segscope_engine::run(
        &mut source,
        &cfg,
        classifier,
        &Collect(rules),
        &Control::default(),
        &mut |parts| {
            for p in parts {
                all.extend(p);
            }
            Ok(())
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    all
}

fn analysis_of(recs: &[FlowRecord], inputs: &AnalysisInputs) -> Analysis {
    let mut set = segscope_core::edge::EdgeSet::default();
    for r in recs {
        set.observe(r);
    }
    analyze(set, inputs)
}

fn inputs(inventory: bool) -> AnalysisInputs {
    let mut i = AnalysisInputs::embedded().unwrap_or_else(|e| panic!("shipped rules: {e}"));
    if inventory {
        i.inventory = Inventory::load(&captures().join("lab-inventory.csv"))
            .unwrap_or_else(|e| panic!("inventory: {e}"));
    }
    i
}

fn provenance() -> Provenance {
    Provenance {
        by: "test".to_owned(),
        ..Provenance::default()
    }
}

/// Adjusted Rand index, written here independently of the crate's.
fn ari(pairs: &[(String, String)]) -> f64 {
    let c2 = |n: f64| n * (n - 1.0) / 2.0;
    let mut cells: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    let mut a: BTreeMap<&str, f64> = BTreeMap::new();
    let mut b: BTreeMap<&str, f64> = BTreeMap::new();
    for (x, y) in pairs {
        *cells.entry((x, y)).or_default() += 1.0;
        *a.entry(x).or_default() += 1.0;
        *b.entry(y).or_default() += 1.0;
    }
    let index: f64 = cells.values().map(|&n| c2(n)).sum();
    let sa: f64 = a.values().map(|&n| c2(n)).sum();
    let sb: f64 = b.values().map(|&n| c2(n)).sum();
    let expected = sa * sb / c2(pairs.len() as f64);
    (index - expected) / ((sa + sb) / 2.0 - expected)
}

fn zone_pairs(facts: &ScenarioFacts, zone_of: &BTreeMap<IpAddr, &str>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for h in &facts.hosts {
        match zone_of.get(&h.ipv4) {
            Some(z) => pairs.push((h.zone.clone(), (*z).to_owned())),
            None => println!(
                "host {} ({}) is not in the proposal (no traffic seen)",
                h.name, h.ipv4
            ),
        }
    }
    pairs
}

struct Lab {
    facts: ScenarioFacts,
    records: Vec<FlowRecord>,
    analysis: Analysis,
    policy: Policy,
    zone_ari: f64,
}

fn lab(inventory: bool) -> Lab {
    let facts = truth("lab");
    let inputs = inputs(inventory);
    let recs = records(&captures().join("lab.pcapng"), &inputs);
    let analysis = analysis_of(&recs, &inputs);
    let inv = inventory.then_some(&inputs.inventory);
    let (proposal, policy) = propose(&analysis, inv, ZoneOptions::default(), "lab", provenance());
    let pairs = zone_pairs(&facts, &proposal.zone_of_hosts());
    let zone_ari = ari(&pairs);
    if let Some(a) = &proposal.agreement {
        println!(
            "agreement with the inventory: ARI {:.4} over {} hosts",
            a.adjusted_rand_index, a.hosts_with_inventory_zone
        );
        for d in &a.disagreements {
            println!(
                "  {} ({}) in {} behaves like {}",
                d.name, d.ip, d.inventory_zone, d.behaves_like
            );
        }
        // The planted scanner sits in the engineers' subnet but does not behave like them.
        let scanners: BTreeSet<IpAddr> = facts
            .scans
            .iter()
            .filter(|s| s.planted)
            .map(|s| s.source_ip)
            .collect();
        let reported: BTreeSet<IpAddr> = a.disagreements.iter().map(|d| d.ip).collect();
        assert_eq!(reported, scanners);
    }
    for z in &proposal.zones {
        let names: Vec<&str> = z.hosts.iter().map(|h| h.name.as_str()).collect();
        println!("zone {} ({:?}): {}", z.name, z.source, names.join(" "));
    }
    Lab {
        facts,
        records: recs,
        analysis,
        policy,
        zone_ari,
    }
}

fn verdict_of(policy: &Policy, e: &EdgeFacts) -> Verdict {
    Evaluator::new(policy).verdict(e.client_ip, e.server_ip, e.transport, e.port)
}

#[test]
fn proposed_zones_match_the_intended_zones() {
    let lab = lab(false);
    println!("adjusted Rand index, behaviour only: {:.4}", lab.zone_ari);
    assert!(lab.zone_ari >= 0.9, "ARI {:.4} < 0.9", lab.zone_ari);
    let with_inventory = self::lab(true);
    println!(
        "adjusted Rand index, with the inventory: {:.4}",
        with_inventory.zone_ari
    );
    assert!((with_inventory.zone_ari - 1.0).abs() < 1e-9);
}

#[test]
fn allow_rules_cover_legitimate_edges_and_no_lateral_movement() {
    let lab = lab(false);
    let mut legit = 0;
    for e in &lab.facts.edges {
        if matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin) {
            legit += 1;
            let v = verdict_of(&lab.policy, e);
            assert!(
                matches!(v, Verdict::Allowed { .. }),
                "{:?} edge {} -> {} {}/{} is not allowed: {v:?}",
                e.kind,
                e.client,
                e.server,
                e.transport,
                e.port
            );
        }
    }
    for m in &lab.facts.lateral_movement {
        let v = Evaluator::new(&lab.policy).verdict(m.source_ip, m.target_ip, m.transport, m.port);
        assert!(
            v.is_blocked(),
            "lateral movement {} -> {} {}/{} is {v:?}",
            m.source,
            m.target,
            m.transport,
            m.port
        );
    }
    println!(
        "{legit} legitimate and admin edges allowed by {} rules; {} planted lateral-movement attempts blocked",
        lab.policy.rules.len(),
        lab.facts.lateral_movement.len()
    );
    // Reply and ephemeral ports never become rules.
    for r in &lab.policy.rules {
        assert!(
            r.service.lo < segscope_policy::propose::EPHEMERAL_FROM,
            "{}",
            r.id
        );
        assert!(
            r.evidence
                .as_ref()
                .is_some_and(|e| e.flows > 0 && !e.example_flows.is_empty()),
            "{}",
            r.id
        );
    }
    // Infrastructure is allowed explicitly and listed as such.
    let infra: BTreeSet<&str> = lab
        .policy
        .rules
        .iter()
        .filter_map(|r| r.infrastructure.as_deref())
        .collect();
    println!("infrastructure allowances: {infra:?}");
    assert!(
        lab.policy
            .rules
            .iter()
            .any(|r| r.service.transport == Transport::UDP
                && r.service.contains(Transport::UDP, 53)
                && r.kind == segscope_policy::RuleKind::Infrastructure)
    );
}

type FlowKey = (IpAddr, IpAddr, Transport, u16);

fn audit(policy: &Policy, recs: &[FlowRecord]) -> (AuditTally, Vec<(FlowKey, Verdict, EdgeKey)>) {
    let eval = Evaluator::new(policy);
    let mut tally = AuditTally::default();
    let mut out = Vec::new();
    for r in recs {
        if let Some(v) = tally.observe(&eval, &AuditOptions::default(), r) {
            let k = EdgeKey::of(r);
            out.push((
                (k.client.ip, k.server.ip, k.transport, k.port),
                v.verdict,
                k,
            ));
        }
    }
    (tally, out)
}

#[test]
fn auditing_the_lab_blocks_exactly_the_denied_by_design_flows() {
    let lab = lab(false);
    let (tally, verdicts) = audit(&lab.policy, &lab.records);
    let kinds: BTreeMap<FlowKey, EdgeKind> = lab
        .facts
        .edges
        .iter()
        .map(|e| ((e.client_ip, e.server_ip, e.transport, e.port), e.kind))
        .collect();
    let denied_edges: BTreeSet<&str> = lab
        .policy
        .denied_by_design
        .iter()
        .flat_map(|d| d.edges.iter().map(String::as_str))
        .collect();
    let denied_flows: u64 = lab.policy.denied_by_design.iter().map(|d| d.flows).sum();
    let eval = Evaluator::new(&lab.policy);
    let legit_rules: BTreeSet<String> = lab
        .facts
        .edges
        .iter()
        .filter(|e| matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin))
        .filter_map(|e| {
            eval.verdict(e.client_ip, e.server_ip, e.transport, e.port)
                .rule()
                .map(str::to_owned)
        })
        .collect();
    let mut scan_through_legit = 0u64;
    let mut blocked = 0u64;
    let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (k, v, ek) in &verdicts {
        let label = segscope_policy::propose::edge_label(ek);
        let is_blocked = v.is_blocked() || matches!(v, Verdict::UnmatchedZone { .. });
        assert_eq!(
            is_blocked,
            denied_edges.contains(label.as_str()),
            "{label}: verdict {v:?} disagrees with denied_by_design"
        );
        blocked += u64::from(is_blocked);
        let kind = kinds.get(k).copied();
        let slot = by_kind.entry(format!("{kind:?}")).or_default();
        if is_blocked {
            slot.1 += 1;
        } else {
            slot.0 += 1;
        }
        match kind {
            Some(EdgeKind::Legitimate | EdgeKind::Admin) => {
                assert!(!is_blocked, "{label} is {kind:?} but {v:?}");
            }
            Some(EdgeKind::Scan) if !is_blocked => {
                // A probe of a service the prober's zone legitimately uses (the Internet's
                // scanner reaching the public web site) passes a zone rule, as on any firewall.
                let rule = v.rule().unwrap_or_default();
                assert!(
                    legit_rules.contains(rule),
                    "{label} is a scan probe allowed by {rule}, which no legitimate edge justifies"
                );
                scan_through_legit += 1;
            }
            Some(EdgeKind::LateralMovement | EdgeKind::Scan | EdgeKind::Blocked) => {
                assert!(is_blocked, "{label} is {kind:?} but {v:?}");
            }
            None => {}
        }
    }
    println!("flows by truth kind (allowed, blocked): {by_kind:?}");
    println!("scan probes that reached a service their zone may use: {scan_through_legit}");
    println!(
        "audit: {} flows, {blocked} blocked; denied_by_design lists {denied_flows} flows",
        tally.flows
    );
    assert_eq!(blocked, denied_flows);
    assert_eq!(
        tally.flows,
        lab.records.iter().filter(|r| r.record_seq == 0).count() as u64
    );
}

#[test]
fn auditing_the_followup_reports_new_legitimate_traffic_as_would_be_blocked() {
    let lab = lab(false);
    let facts = truth("lab-followup");
    let inputs = inputs(false);
    let recs = records(&captures().join("lab-followup.pcapng"), &inputs);
    let (_, verdicts) = audit(&lab.policy, &recs);
    let seen: BTreeMap<FlowKey, &Verdict> = verdicts.iter().map(|(k, v, _)| (*k, v)).collect();
    let new: Vec<&EdgeFacts> = facts.edges.iter().filter(|e| e.new).collect();
    assert!(!new.is_empty());
    for e in &new {
        let k = (e.client_ip, e.server_ip, e.transport, e.port);
        let v = seen
            .get(&k)
            .unwrap_or_else(|| panic!("new edge {} -> {} not in the audit", e.client, e.server));
        assert!(
            v.is_blocked(),
            "new edge {} -> {} {}/{}: {v:?}",
            e.client,
            e.server,
            e.transport,
            e.port
        );
    }
    // Hosts the first capture never saw fall in no proposed subnet: the unassigned internal
    // zone, denied until placed (not the Internet).
    let known: BTreeSet<IpAddr> = lab.facts.hosts.iter().map(|h| h.ipv4).collect();
    let eval = Evaluator::new(&lab.policy);
    for e in new.iter().filter(|e| !known.contains(&e.client_ip)) {
        assert_eq!(
            eval.zone_of(e.client_ip),
            segscope_policy::verdict::ZoneMatch::Zone(segscope_policy::zones::UNASSIGNED),
            "{}",
            e.client
        );
    }
    // Old legitimate traffic in the follow-up still passes.
    let mut old_allowed = 0;
    for e in facts
        .edges
        .iter()
        .filter(|e| !e.new && matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin))
    {
        let k = (e.client_ip, e.server_ip, e.transport, e.port);
        if let Some(v) = seen.get(&k) {
            assert!(
                matches!(v, Verdict::Allowed { .. }),
                "old edge {} -> {}: {v:?}",
                e.client,
                e.server
            );
            old_allowed += 1;
        }
    }
    println!(
        "{} new legitimate edges would be blocked; {old_allowed} known edges still allowed",
        new.len()
    );
}

#[test]
fn projected_effect_removes_the_lateral_movement() {
    let lab = lab(false);
    let inputs = inputs(false);
    let eval = Evaluator::new(&lab.policy);
    let effect = segscope_policy::project::project(&lab.analysis, &inputs.rules, &eval);
    println!(
        "lateral findings {} -> {} (projected); largest blast radius {} -> {} (projected)",
        effect.lateral_findings_observed,
        effect.lateral_findings_projected,
        effect.max_blast_radius_observed,
        effect.max_blast_radius_projected
    );
    assert!(effect.lateral_findings_observed > 0);
    // What remains is no planted movement: only admin sessions into or from the jump host (the
    // admin path, which the graph may flag as lateral movement), allowed by an admin rule.
    let planted: BTreeSet<(IpAddr, IpAddr, u16)> = lab
        .facts
        .lateral_movement
        .iter()
        .map(|m| (m.source_ip, m.target_ip, m.port))
        .collect();
    let jump: BTreeSet<IpAddr> = lab
        .facts
        .hosts
        .iter()
        .filter(|h| h.role == "jump_host")
        .map(|h| h.ipv4)
        .collect();
    for f in &effect.projected.findings {
        println!("remaining (projected): {} {}", f.rule, f.title);
        for k in &f.edges {
            assert!(
                !planted.contains(&(k.client.ip, k.server.ip, k.port)),
                "{}",
                f.title
            );
            assert!(
                jump.contains(&k.server.ip) || jump.contains(&k.client.ip),
                "{}",
                f.title
            );
            let rule = eval.verdict(k.client.ip, k.server.ip, k.transport, k.port);
            let id = rule.rule().unwrap_or_default();
            let r = lab.policy.rules.iter().find(|r| r.id == id);
            assert!(
                r.is_some_and(|r| r.kind == segscope_policy::RuleKind::Admin),
                "{id}"
            );
        }
    }
    assert!(effect.lateral_findings_projected < effect.lateral_findings_observed);
    assert_eq!(effect.basis, segscope_graph::Basis::Projected);
}

#[test]
fn the_proposed_policy_round_trips_through_policy_yaml() {
    let lab = lab(true);
    let yaml = segscope_policy::write::to_yaml(&lab.policy).unwrap_or_else(|e| panic!("{e}"));
    let back = segscope_policy::parse("policy.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, lab.policy);
}

#[test]
fn granularity_knobs_merge_zones_deterministically() {
    let lab = lab(false);
    let zones = |max_zones, min_zone_size| {
        segscope_policy::zones::propose_zones(
            &lab.analysis,
            None,
            ZoneOptions {
                max_zones,
                min_zone_size,
            },
        )
    };
    let scanner = lab
        .facts
        .scans
        .iter()
        .find(|s| s.planted)
        .map(|s| s.source_ip)
        .unwrap_or_else(|| panic!("no planted scan"));
    let default = zones(32, 1);
    let alone = default.zone_of_hosts();
    assert_eq!(alone.get(&scanner).copied(), Some("scanners-10.10.11"));
    // With a minimum size of 2 the lone scanner joins its own subnet's workstations.
    let merged = zones(32, 2);
    let of = merged.zone_of_hosts();
    let neighbour = lab
        .facts
        .hosts
        .iter()
        .find(|h| h.zone == "workstations-eng" && h.ipv4 != scanner)
        .map(|h| h.ipv4)
        .unwrap_or_else(|| panic!("no engineer"));
    assert_eq!(of.get(&scanner), of.get(&neighbour));
    // A cap on zones is honoured (internet and unassigned-internal count) and the result is
    // the same every time.
    let capped = zones(6, 1);
    println!(
        "zones at max 6: {:?}",
        capped
            .zones
            .iter()
            .map(|z| z.name.as_str())
            .collect::<Vec<_>>()
    );
    assert!(capped.zones.len() <= 6, "{}", capped.zones.len());
    assert_eq!(capped, zones(6, 1));
    let pairs = zone_pairs(&lab.facts, &capped.zone_of_hosts());
    println!("ARI at max 6 zones: {:.4}", ari(&pairs));
}
