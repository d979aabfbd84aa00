//! The projected effect of a policy: segmentation metrics, lateral movement and blast radius
//! recomputed over the edges the policy allows ([`segscope_graph::recompute_with`]), beside
//! the observed values. Everything here is labelled projected: it is what enforcement would
//! change, never evidence that anything is enforced.

use segscope_graph::{Analysis, Basis, Projected, recompute_with};
use segscope_rules::FindingRules;
use serde::{Deserialize, Serialize};

use crate::verdict::{Evaluator, LabelSource, Verdict};

/// One metric before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// Id (`S1`…).
    pub id: String,
    /// Name.
    pub name: String,
    /// From the traffic as captured.
    pub observed: Option<f64>,
    /// As if the policy were enforced.
    pub projected: Option<f64>,
}

/// Before and after, side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectedEffect {
    /// Always [`Basis::Projected`].
    pub basis: Basis,
    /// Metrics recomputed.
    pub metrics: Vec<MetricChange>,
    /// Lateral-movement findings observed.
    pub lateral_findings_observed: usize,
    /// Lateral-movement findings left under the policy.
    pub lateral_findings_projected: usize,
    /// Most workloads one foothold reaches over movement edges, observed.
    pub max_blast_radius_observed: u32,
    /// The same under the policy.
    pub max_blast_radius_projected: u32,
    /// The full projection.
    pub projected: Projected,
}

/// Recomputes `analysis` as if `eval`'s policy were enforced: an edge survives when its
/// verdict allows it.
pub fn project<L: LabelSource>(
    analysis: &Analysis,
    rules: &FindingRules,
    eval: &Evaluator<'_, L>,
) -> ProjectedEffect {
    let projected = recompute_with(analysis, rules, |k| {
        matches!(
            eval.verdict(k.client.ip, k.server.ip, k.transport, k.port),
            Verdict::Allowed { .. } | Verdict::AllowedByDefault
        )
    });
    let metrics = projected
        .metrics
        .iter()
        .map(|p| MetricChange {
            id: p.id.clone(),
            name: p.name.clone(),
            observed: analysis.metric(&p.id).and_then(|m| m.value),
            projected: p.value,
        })
        .collect();
    let lateral =
        |f: &&segscope_graph::Finding| f.kind == segscope_graph::FindingKind::LateralMovement;
    let max_reach = |b: &segscope_graph::BlastRadius| {
        b.workloads.iter().map(|w| w.reachable).max().unwrap_or(0)
    };
    ProjectedEffect {
        basis: Basis::Projected,
        metrics,
        lateral_findings_observed: analysis.findings.iter().filter(lateral).count(),
        lateral_findings_projected: projected.findings.iter().filter(lateral).count(),
        max_blast_radius_observed: max_reach(&analysis.blast_radius),
        max_blast_radius_projected: max_reach(&projected.blast_radius),
        projected,
    }
}
