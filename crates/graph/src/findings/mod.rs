//! Findings for assessors: what is wrong, where, why it matters, which flows show it and what
//! to do. Severities and thresholds come from `rules/findings.yaml`.
//!
//! Ids are derived from what a finding is about (kind, rule and its subject: source and
//! service, server and port…), never from its position, so the same problem keeps its id
//! across runs and captures and reports can be diffed.

pub(crate) mod exposure;
pub(crate) mod flat;
pub(crate) mod lateral;
pub(crate) mod scan;
pub(crate) mod weak;

use segscope_core::{EdgeKey, FlowRef, WorkloadKey};
use segscope_rules::findings::{FindingKind, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::Basis;
use crate::metrics::pick_evidence;
use crate::workload::Workload;

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: a kind prefix and 12 hex digits of a hash of the subject.
    pub id: String,
    /// Kind.
    pub kind: FindingKind,
    /// The rule that fired (`lateral_movement.workstation_to_workstation`…).
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// Plain-language explanation: what was seen, and why it matters.
    pub explanation: String,
    /// Workloads concerned, the principal one first (the source of lateral movement or a
    /// scan, the server of an exposure).
    pub workloads: Vec<WorkloadKey>,
    /// Segments concerned (flat network).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub segments: Vec<String>,
    /// Edges concerned.
    pub edges: Vec<EdgeKey>,
    /// Flows an assessor can open (flow id, Community ID, capture file, first frame).
    pub evidence: Vec<FlowRef>,
    /// What to do.
    pub remediation: String,
    /// Observed, or projected under a policy.
    pub basis: Basis,
}

fn prefix(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::LateralMovement => "LM",
        FindingKind::Scan => "SCAN",
        FindingKind::CleartextCredentials => "CRED",
        FindingKind::UnauthenticatedService => "UNAUTH",
        FindingKind::FlatNetwork => "FLAT",
        FindingKind::WeakCrypto => "WEAK",
    }
}

/// The stable id of a finding about `subject` under `rule`.
pub(crate) fn finding_id(kind: FindingKind, rule: &str, subject: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(subject.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", prefix(kind))
}

/// Everything but the id, which [`Draft::finish`] derives.
pub(crate) struct Draft {
    pub(crate) kind: FindingKind,
    pub(crate) rule: String,
    pub(crate) subject: String,
    pub(crate) severity: Severity,
    pub(crate) title: String,
    pub(crate) explanation: String,
    pub(crate) workloads: Vec<WorkloadKey>,
    pub(crate) segments: Vec<String>,
    pub(crate) edges: Vec<EdgeKey>,
    pub(crate) evidence: Vec<FlowRef>,
    pub(crate) remediation: String,
}

impl Draft {
    /// The finding, with its id and at most `max_evidence` evidence flows.
    pub(crate) fn finish(self, max_evidence: usize, basis: Basis) -> Finding {
        let mut seen = std::collections::BTreeSet::new();
        let workloads = self
            .workloads
            .into_iter()
            .filter(|w| seen.insert(*w))
            .collect();
        Finding {
            id: finding_id(self.kind, &self.rule, &self.subject),
            kind: self.kind,
            rule: self.rule,
            severity: self.severity,
            title: self.title,
            explanation: self.explanation,
            workloads,
            segments: self.segments,
            edges: self.edges,
            evidence: pick_evidence(self.evidence, max_evidence),
            remediation: self.remediation,
            basis,
        }
    }
}

/// "db01 (10.0.3.10)", or the address alone when no name is known.
pub(crate) fn label(w: &Workload) -> String {
    let key = w.key.to_string();
    if w.display_name == key {
        key
    } else {
        format!("{} ({key})", w.display_name)
    }
}

/// At most `n` labels, then "and N more".
pub(crate) fn list(labels: &[String], n: usize) -> String {
    if labels.len() <= n {
        return labels.join(", ");
    }
    format!(
        "{} and {} more",
        labels
            .iter()
            .take(n)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        labels.len() - n
    )
}

/// Most severe first, then by kind and id: the order of the report.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.kind.cmp(&b.kind))
            .then(a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_the_subject_only() {
        let a = finding_id(FindingKind::Scan, "scan", "10.0.0.66");
        assert_eq!(a, finding_id(FindingKind::Scan, "scan", "10.0.0.66"));
        assert_ne!(a, finding_id(FindingKind::Scan, "scan", "10.0.0.67"));
        assert!(a.starts_with("SCAN-") && a.len() == 5 + 12, "{a}");
        assert_eq!(
            list(&["a".into(), "b".into(), "c".into()], 2),
            "a, b and 1 more"
        );
    }
}
