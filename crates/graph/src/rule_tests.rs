//! Runs the `tests:` of `rules/findings.yaml`: each builds a small network from its flow lines,
//! analyses it with the rules under test and checks the findings and roles it expects.

use std::collections::BTreeMap;

use ipnet::IpNet;
use segscope_rules::findings::FindingRuleTest;
use segscope_rules::{FindingRules, ProtocolRules, RuleTestOutcome};

use crate::analysis::AnalysisInputs;
use crate::config::AnalysisConfig;
use crate::inventory::{Inventory, InventoryEntry};
use crate::synth;

/// Runs every test of `rules` (read from `file`) against `protocols`.
pub fn run_rule_tests(
    protocols: &ProtocolRules,
    rules: &FindingRules,
    file: &str,
) -> Vec<RuleTestOutcome> {
    rules
        .tests
        .iter()
        .map(|t| {
            let line = t.name.referenced.line() as u32;
            let (passed, detail) = match run_one(protocols, rules, t) {
                Ok(mismatches) if mismatches.is_empty() => {
                    (true, "all expectations held".to_owned())
                }
                Ok(mismatches) => (false, mismatches.join("; ")),
                Err(e) => (false, e),
            };
            RuleTestOutcome {
                file: file.to_owned(),
                line,
                name: t.name.value.clone(),
                passed,
                detail,
            }
        })
        .collect()
}

fn run_one(
    protocols: &ProtocolRules,
    rules: &FindingRules,
    t: &FindingRuleTest,
) -> Result<Vec<String>, String> {
    let mut entries = Vec::with_capacity(t.hosts.len());
    for (i, h) in t.hosts.iter().enumerate() {
        let cidr = h
            .cidr
            .parse::<IpNet>()
            .map(|n| n.trunc())
            .or_else(|_| h.cidr.parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| format!("hosts[{i}]: {:?} is not an address or CIDR", h.cidr))?;
        entries.push(InventoryEntry {
            cidr,
            vlan: None,
            name: h.name.clone(),
            role: h.role,
            zone: h.zone.clone(),
            criticality: h.criticality,
            labels: BTreeMap::new(),
            origin: format!("test host {}", i + 1),
        });
    }
    let parse = |list: &[String], what: &str| {
        list.iter()
            .map(|s| s.parse().map_err(|e| format!("{what}: {e}")))
            .collect::<Result<Vec<_>, String>>()
    };
    let config = AnalysisConfig {
        admin_sources: parse(&t.admin_sources, "admin_sources")?,
        critical_assets: parse(&t.critical_assets, "critical_assets")?,
        ..AnalysisConfig::default()
    };
    let lines: Vec<&str> = t.flows.iter().map(|f| f.value.as_str()).collect();
    let set = synth::edge_set("rule-test", &lines).map_err(|e| format!("flows {e}"))?;
    let inputs = AnalysisInputs {
        protocols: protocols.clone(),
        rules: rules.clone(),
        inventory: Inventory::new(entries),
        config,
    };
    let analysis = crate::analyze(set, &inputs);
    let mut mismatches = Vec::new();
    for e in &t.expect {
        let found: Vec<_> = analysis
            .findings
            .iter()
            .filter(|f| f.kind == e.kind)
            .collect();
        if found.len() != e.count as usize {
            let titles: Vec<&str> = found.iter().map(|f| f.title.as_str()).collect();
            mismatches.push(format!(
                "expected {} {} finding(s), got {} {titles:?}",
                e.count,
                e.kind,
                found.len()
            ));
        }
        if let Some(sev) = e.severity
            && let Some(f) = found.iter().find(|f| f.severity != sev)
        {
            mismatches.push(format!(
                "expected {} severity {sev}, got {} for {:?}",
                e.kind, f.severity, f.title
            ));
        }
    }
    for (ip, role) in &t.roles {
        let ip: std::net::IpAddr = ip
            .parse()
            .map_err(|_| format!("roles: {ip:?} is not an address"))?;
        match analysis.workloads.iter().find(|w| w.key.ip == ip) {
            Some(w) if w.role == *role => {}
            Some(w) => mismatches.push(format!(
                "expected {ip} to be {role}, got {} ({})",
                w.role, w.role_reason
            )),
            None => mismatches.push(format!("{ip} does not appear in the flows")),
        }
    }
    Ok(mismatches)
}
