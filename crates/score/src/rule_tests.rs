//! Runs the `tests:` of `rules/ztmm/networks.yaml`: each builds a small network from flow
//! lines (as `rules/findings.yaml` tests do), analyses it with the given rules, scores it with
//! the rubric under test and checks the stage of each function it names.

use std::collections::BTreeMap;

use segscope_graph::inventory::{Inventory, InventoryEntry};
use segscope_graph::{AnalysisInputs, analyze, synth};
use segscope_rules::RuleTestOutcome;

use crate::model::Assessment;
use crate::rubric::{Rubric, RubricTest};

/// Runs every test of `rubric` (read from `file`) with the analysis rules of `inputs` (its
/// inventory is replaced by each test's hosts).
pub fn run_rubric_tests(
    rubric: &Rubric,
    inputs: &AnalysisInputs,
    file: &str,
) -> Vec<RuleTestOutcome> {
    rubric
        .tests
        .iter()
        .map(|t| {
            let (passed, detail) = match run_one(rubric, inputs, t) {
                Ok(m) if m.is_empty() => (true, "all expectations held".to_owned()),
                Ok(m) => (false, m.join("; ")),
                Err(e) => (false, e),
            };
            RuleTestOutcome {
                file: file.to_owned(),
                line: t.name.referenced.line() as u32,
                name: t.name.value.clone(),
                passed,
                detail,
            }
        })
        .collect()
}

fn run_one(
    rubric: &Rubric,
    inputs: &AnalysisInputs,
    t: &RubricTest,
) -> Result<Vec<String>, String> {
    let mut entries = Vec::with_capacity(t.hosts.len());
    for (i, h) in t.hosts.iter().enumerate() {
        let cidr = h
            .cidr
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc())
            .or_else(|_| h.cidr.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
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
    let lines: Vec<&str> = t.flows.iter().map(String::as_str).collect();
    let set = synth::edge_set("rubric-test", &lines).map_err(|e| format!("flows {e}"))?;
    let inputs = AnalysisInputs {
        inventory: Inventory::new(entries),
        ..inputs.clone()
    };
    let score = crate::score(&analyze(set, &inputs), rubric, None, None);
    let mut mismatches = Vec::new();
    for (function, want) in &t.expect {
        let Some(f) = score.function(function) else {
            mismatches.push(format!("no function {function}"));
            continue;
        };
        let got = match &f.assessment {
            Assessment::Observed { stage } | Assessment::Attested { stage, .. } => {
                stage.as_str().to_owned()
            }
            Assessment::NotAssessableFromTraffic { .. } => "not_assessable_from_traffic".to_owned(),
        };
        if &got != want {
            mismatches.push(format!(
                "expected {function} {want}, got {got}: {}",
                f.reasons.join(" | ")
            ));
        }
    }
    Ok(mismatches)
}
