//! Helpers shared by the integration tests: small networks from flow lines.

#![allow(dead_code, unreachable_pub)]

use segscope_core::WorkloadKey;
use segscope_graph::{
    Analysis, AnalysisConfig, AnalysisInputs, Finding, FindingKind, Inventory, analyze, synth,
};

/// The shipped rules with an optional inventory (CSV) and configuration (YAML).
pub fn inputs(inventory_csv: Option<&str>, config_yaml: Option<&str>) -> AnalysisInputs {
    let mut i = AnalysisInputs::embedded().expect("shipped rules");
    if let Some(csv) = inventory_csv {
        i.inventory = Inventory::parse_csv("inventory.csv", csv).expect("test inventory");
    }
    if let Some(yaml) = config_yaml {
        i.config = AnalysisConfig::parse("config.yaml", yaml).expect("test configuration");
    }
    i
}

/// Analyses flow lines.
pub fn run(lines: &[&str], inventory_csv: Option<&str>, config_yaml: Option<&str>) -> Analysis {
    let set = synth::edge_set("test.pcap", lines).expect("valid flow lines");
    analyze(set, &inputs(inventory_csv, config_yaml))
}

/// A workload key without VLAN.
pub fn key(ip: &str) -> WorkloadKey {
    WorkloadKey {
        ip: ip.parse().expect("test address"),
        vlan: None,
    }
}

/// Findings of one kind.
pub fn of_kind(a: &Analysis, kind: FindingKind) -> Vec<&Finding> {
    a.findings.iter().filter(|f| f.kind == kind).collect()
}

/// The value of a metric.
pub fn value(a: &Analysis, id: &str) -> Option<f64> {
    a.metric(id).and_then(|m| m.value)
}

/// Asserts two floats are equal to 1e-9.
pub fn close(got: Option<f64>, want: f64) {
    let g = got.expect("metric has a value");
    assert!((g - want).abs() < 1e-9, "got {g}, want {want}");
}
