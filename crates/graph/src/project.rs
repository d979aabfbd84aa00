//! "As if enforced": the segmentation metrics, lateral-movement findings and blast radius
//! recomputed over only the edges a policy would allow. Everything here is labelled
//! [`Basis::Projected`]: a projection is never evidence of enforcement, and default-deny
//! evidence (S4) is observed only, so it is carried over unchanged.

use segscope_core::{EdgeKey, WorkloadKey};
use segscope_rules::FindingRules;
use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, Basis};
use crate::blast::{self, BlastRadius};
use crate::findings::{self, Finding};
use crate::metrics::{Metric, authn, segmentation};
use crate::view::View;

/// The analysis recomputed under a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projected {
    /// Always [`Basis::Projected`].
    pub basis: Basis,
    /// Edges the policy allows.
    pub edges_allowed: u64,
    /// Edges it would block.
    pub edges_blocked: u64,
    /// Flows on blocked edges.
    pub flows_blocked: u64,
    /// S1, S2, S3a, S3b, S3c, S5, S6 and A1, A2 over the allowed edges (S6 keeps the observed
    /// default-deny evidence).
    pub metrics: Vec<Metric>,
    /// Lateral-movement findings that remain.
    pub findings: Vec<Finding>,
    /// Blast radius over the allowed edges.
    pub blast_radius: BlastRadius,
}

/// Recomputes the segmentation metrics, lateral movement and blast radius of `analysis` as if
/// only the edges for which `allowed` returns true existed.
pub fn recompute_with(
    analysis: &Analysis,
    rules: &FindingRules,
    allowed: impl Fn(&EdgeKey) -> bool,
) -> Projected {
    let mut view = View::new(
        &analysis.workloads,
        &analysis.edges,
        &analysis.segments,
        rules,
        &analysis.coverage,
    );
    view.basis = Basis::Projected;
    let (mut edges_blocked, mut flows_blocked) = (0, 0);
    for (live, e) in view.live.iter_mut().zip(&analysis.edges) {
        if !*live {
            continue;
        }
        *live = allowed(&e.key);
        if !*live {
            edges_blocked += 1;
            flows_blocked += e.edge.flows;
        }
    }
    let pairs = segmentation::segment_pairs(&view);
    let tunnels = segmentation::tunnels(&view);
    let assets = segmentation::critical_assets(&view, &analysis.zones);
    let [s3a, s3b, s3c] = segmentation::s3(&view);
    let mut metrics = vec![
        segmentation::s1(&view, &pairs),
        segmentation::s2(&view, &pairs),
        s3a,
        s3b,
        s3c,
        segmentation::s5(&view, &tunnels),
        segmentation::s6(&view, &assets),
    ];
    metrics.extend(authn::metrics(&view));
    let mut lateral = findings::lateral::findings(&view);
    findings::sort(&mut lateral);
    Projected {
        basis: Basis::Projected,
        edges_allowed: analysis.edges.len() as u64 - edges_blocked,
        edges_blocked,
        flows_blocked,
        metrics,
        findings: lateral,
        blast_radius: blast::compute(&view),
    }
}

/// The workloads reachable from `from` over movement edges (admin protocols and the
/// unauthenticated classes of the rules) that `allowed` keeps, sorted; `from` itself excluded.
pub fn reachable_from(
    analysis: &Analysis,
    rules: &FindingRules,
    from: &WorkloadKey,
    allowed: impl Fn(&EdgeKey) -> bool,
) -> Vec<WorkloadKey> {
    let view = View::new(
        &analysis.workloads,
        &analysis.edges,
        &analysis.segments,
        rules,
        &analysis.coverage,
    );
    let n = analysis.workloads.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in view.live_edges() {
        let (c, s) = view.ends.get(i).copied().unwrap_or_default();
        if allowed(&e.key)
            && view.workload(s).is_internal()
            && blast::movement_via(&view, e).is_some()
            && let Some(l) = adj.get_mut(c)
        {
            l.push(s);
        }
    }
    let Some(start) = analysis.workload_index(from) else {
        return Vec::new();
    };
    let mut seen = vec![false; n];
    let mut stack = vec![start];
    if let Some(s) = seen.get_mut(start) {
        *s = true;
    }
    while let Some(u) = stack.pop() {
        for &t in adj.get(u).map_or(&[][..], Vec::as_slice) {
            if let Some(s) = seen.get_mut(t)
                && !*s
            {
                *s = true;
                stack.push(t);
            }
        }
    }
    analysis
        .workloads
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != start && seen.get(*i).copied().unwrap_or(false))
        .map(|(_, w)| w.key)
        .collect()
}
