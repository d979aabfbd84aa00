//! A read-only view of workloads and edges with their graph indices, optionally restricted to
//! the edges a policy would allow. Metrics, findings and blast radius are computed over a view,
//! so the same code gives observed and projected figures.

use segscope_core::WorkloadKey;
use segscope_rules::FindingRules;

use crate::analysis::{Basis, Coverage};
use crate::edge::AnalyzedEdge;
use crate::segment::Segment;
use crate::workload::Workload;

/// Workloads, edges, and which edges are present.
pub(crate) struct View<'a> {
    pub(crate) workloads: &'a [Workload],
    pub(crate) edges: &'a [AnalyzedEdge],
    pub(crate) segments: &'a [Segment],
    /// Client and server workload index of each edge.
    pub(crate) ends: Vec<(usize, usize)>,
    /// Segment index of each workload.
    pub(crate) seg_of: Vec<usize>,
    /// Edges present (all, unless a policy projection removed some).
    pub(crate) live: Vec<bool>,
    pub(crate) rules: &'a FindingRules,
    pub(crate) coverage: &'a Coverage,
    pub(crate) basis: Basis,
}

fn index_of(workloads: &[Workload], key: &WorkloadKey) -> Option<usize> {
    workloads.binary_search_by(|w| w.key.cmp(key)).ok()
}

impl<'a> View<'a> {
    /// A view of every edge.
    pub(crate) fn new(
        workloads: &'a [Workload],
        edges: &'a [AnalyzedEdge],
        segments: &'a [Segment],
        rules: &'a FindingRules,
        coverage: &'a Coverage,
    ) -> View<'a> {
        // Every edge end is a workload when the analysis was built by `analyze`; an analysis
        // read back from a damaged file may break that, and such edges are left out.
        let mut live = Vec::with_capacity(edges.len());
        let ends = edges
            .iter()
            .map(|e| {
                match (
                    index_of(workloads, &e.key.client),
                    index_of(workloads, &e.key.server),
                ) {
                    (Some(c), Some(s)) => {
                        live.push(true);
                        (c, s)
                    }
                    _ => {
                        live.push(false);
                        (0, 0)
                    }
                }
            })
            .collect();
        let seg_of = workloads
            .iter()
            .map(|w| {
                segments
                    .binary_search_by(|s| s.id.cmp(&w.segment))
                    .unwrap_or_default()
            })
            .collect();
        View {
            workloads,
            edges,
            segments,
            ends,
            seg_of,
            live,
            rules,
            coverage,
            basis: Basis::Observed,
        }
    }

    /// Present edges with their index.
    pub(crate) fn live_edges(&self) -> impl Iterator<Item = (usize, &'a AnalyzedEdge)> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(|(i, _)| self.live.get(*i).copied().unwrap_or(false))
    }

    /// Workload `i`.
    pub(crate) fn workload(&self, i: usize) -> &'a Workload {
        // Indices come from `ends`, built from the same slice.
        &self.workloads[i.min(self.workloads.len().saturating_sub(1))]
    }

    /// Segment index of workload `i`.
    pub(crate) fn seg(&self, i: usize) -> usize {
        self.seg_of.get(i).copied().unwrap_or_default()
    }

    /// Segment id by index.
    pub(crate) fn seg_id(&self, s: usize) -> &'a str {
        self.segments.get(s).map_or("", |s| &s.id)
    }

    /// True when edge `i` counts for the any-to-any segmentation metrics: present, answered,
    /// east-west, not infrastructure.
    pub(crate) fn is_segmentation_edge(&self, i: usize, e: &AnalyzedEdge) -> bool {
        self.live.get(i).copied().unwrap_or(false)
            && e.is_service()
            && e.east_west
            && e.infrastructure.is_none()
    }
}
