//! "What to do next": for a function below Advanced, the concrete changes that would move it up
//! one stage — the findings whose remediation removes a blocking condition, the proposed policy
//! when one is given, and the rubric's remedy for blockers no finding covers — ranked by how
//! much of the way to the next stage each one goes.
//!
//! Ranking: a change that clears every blocker comes first, then by the number of blockers it
//! addresses, the severity of its finding and the evidence behind it. This is a ranking of
//! rubric conditions addressed, not a recomputed score: a step can address a condition without
//! clearing it alone (forty lateral-movement findings all address S3a).

use std::cmp::Reverse;

use segscope_graph::{Analysis, Severity};
use serde::{Deserialize, Serialize};

use crate::evaluate::Blocker;
use crate::model::{NextStep, Stage};

/// Most steps listed per function.
pub const MAX_STEPS: usize = 25;

/// Evidence flows listed per step.
const STEP_EVIDENCE: usize = 3;

/// One rule of the proposed default-deny policy, as `crates/policy` summarises it (kept as
/// plain data so the scorer does not depend on the policy crate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRuleSummary {
    /// Rule id.
    pub id: String,
    /// Source zone or selector.
    pub from: String,
    /// Destination zone or selector.
    pub to: String,
    /// Services allowed (`tcp/443`).
    pub services: Vec<String>,
    /// One line.
    pub description: String,
}

/// Metrics a default-deny policy acts on once enforced (and observed).
const POLICY_METRICS: [&str; 7] = ["S1", "S2", "S3a", "S3b", "S4", "S6", "S4_egress_critical"];

struct Draft {
    step: NextStep,
    severity: Option<Severity>,
}

/// Ranked next steps towards `towards`, for the blockers of one function.
pub(crate) fn next_steps(
    analysis: &Analysis,
    blockers: &[Blocker<'_>],
    towards: Stage,
    policy: &[PolicyRuleSummary],
    policy_reaches: Option<bool>,
) -> Vec<NextStep> {
    if blockers.is_empty() {
        return Vec::new();
    }
    let all: Vec<&str> = blockers.iter().map(|b| b.id).collect();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut covered = vec![false; blockers.len()];
    // Findings per blocker: one finding clears a blocker only when it is the only one behind it.
    let linked: Vec<usize> = blockers
        .iter()
        .map(|b| {
            analysis
                .findings
                .iter()
                .filter(|f| b.findings.contains(&f.kind))
                .count()
        })
        .collect();
    for f in &analysis.findings {
        let addresses: Vec<String> = blockers
            .iter()
            .enumerate()
            .filter(|(_, b)| b.findings.contains(&f.kind))
            .map(|(i, b)| {
                if let Some(c) = covered.get_mut(i) {
                    *c = true;
                }
                b.id.to_owned()
            })
            .collect();
        if addresses.is_empty() {
            continue;
        }
        let alone = blockers
            .iter()
            .zip(&linked)
            .all(|(b, n)| b.findings.contains(&f.kind) && *n == 1);
        drafts.push(Draft {
            step: NextStep {
                rank: 0,
                action: format!("{} ({})", f.remediation, f.title),
                towards,
                completes_stage: alone,
                addresses,
                finding: Some(f.id.clone()),
                policy_rule: None,
                severity: Some(f.severity.to_string()),
                evidence: f.evidence.iter().take(STEP_EVIDENCE).cloned().collect(),
            },
            severity: Some(f.severity),
        });
    }
    if !policy.is_empty() {
        let addresses: Vec<String> = blockers
            .iter()
            .filter(|b| b.metrics.iter().any(|m| POLICY_METRICS.contains(m)))
            .map(|b| b.id.to_owned())
            .collect();
        if !addresses.is_empty() {
            let shown: Vec<String> = policy
                .iter()
                .take(5)
                .map(|r| format!("{} {} -> {} {}", r.id, r.from, r.to, r.services.join(",")))
                .collect();
            let more = policy.len().saturating_sub(shown.len());
            drafts.push(Draft {
                step: NextStep {
                    rank: 0,
                    action: format!(
                        "Enforce the proposed default-deny policy ({} rules: {}{}); the \
                         enforcement then has to show in traffic (dropped attempts) to count",
                        policy.len(),
                        shown.join("; "),
                        if more > 0 {
                            format!("; and {more} more")
                        } else {
                            String::new()
                        }
                    ),
                    towards,
                    completes_stage: policy_reaches.unwrap_or(false),
                    addresses,
                    finding: None,
                    policy_rule: Some(
                        policy
                            .iter()
                            .map(|r| r.id.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    severity: None,
                    evidence: Vec::new(),
                },
                severity: None,
            });
        }
    }
    for (b, done) in blockers.iter().zip(&covered) {
        if *done {
            continue;
        }
        drafts.push(Draft {
            step: NextStep {
                rank: 0,
                action: b.remedy.to_owned(),
                towards,
                addresses: vec![b.id.to_owned()],
                completes_stage: all.len() == 1,
                finding: None,
                policy_rule: None,
                severity: None,
                evidence: Vec::new(),
            },
            severity: None,
        });
    }
    drafts.sort_by_key(|d| {
        (
            Reverse(d.step.completes_stage),
            Reverse(d.step.addresses.len()),
            Reverse(d.severity),
            Reverse(d.step.evidence.len()),
            d.step.action.clone(),
        )
    });
    drafts
        .into_iter()
        .take(MAX_STEPS)
        .zip(1u32..)
        .map(|(mut d, rank)| {
            d.step.rank = rank;
            d.step
        })
        .collect()
}
