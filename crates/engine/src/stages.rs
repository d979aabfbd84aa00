//! The record stages every command shares: cross-flow TLS evidence and classification counts
//! ([`Evidence`]), and the reduction of records to mergeable edge aggregates ([`EdgeStage`]).
//!
//! Both run inside the workers. The resumption linker can be per worker because a pair's flows
//! always land on the same shard (shards are chosen by the unordered address pair).

use std::path::Path;
use std::sync::Arc;

use segscope_capture::{InputSpec, ReadOptions};
use segscope_core::FlowRecord;
use segscope_core::edge::EdgeSet;
use segscope_core::stats::ClassifyStats;
use segscope_proto::Classifier;
use segscope_proto::tls::ResumptionLinker;
use segscope_rules::ProtocolRules;

use crate::{Control, EngineConfig, EngineError, RecordStage, RunSummary};

/// Per-worker cross-flow evidence: links resumed TLS sessions to their full handshake, then
/// counts each record's classification.
#[derive(Debug)]
pub struct Evidence {
    linker: ResumptionLinker,
    /// Classification counters of the records seen.
    pub counts: ClassifyStats,
}

impl Evidence {
    /// A fresh state using the TLS flight rules of `rules`.
    pub fn new(rules: &ProtocolRules) -> Evidence {
        Evidence {
            linker: ResumptionLinker::new(rules),
            counts: ClassifyStats::default(),
        }
    }

    /// Adds cross-flow indicators to one epoch's records (already in time order) and counts
    /// them.
    pub fn apply(&mut self, records: &mut [FlowRecord]) {
        for r in records.iter_mut() {
            self.linker.observe(r);
            self.counts.observe(r);
        }
        self.counts.tls_pairs_evicted = self.linker.evicted();
    }
}

/// Reduces records to an [`EdgeSet`] per worker; the workers' sets are merged at the end.
pub struct EdgeStage {
    rules: Arc<ProtocolRules>,
}

impl EdgeStage {
    /// A stage whose TLS linker uses `rules`.
    pub fn new(rules: Arc<ProtocolRules>) -> EdgeStage {
        EdgeStage { rules }
    }
}

/// One worker's edge aggregate and evidence state.
pub struct EdgeLocal {
    /// Cross-flow evidence and counts.
    pub evidence: Evidence,
    /// The edges of the records this worker produced.
    pub edges: EdgeSet,
}

impl RecordStage for EdgeStage {
    type Local = EdgeLocal;
    type Out = ();

    fn local(&self) -> EdgeLocal {
        EdgeLocal {
            evidence: Evidence::new(&self.rules),
            edges: EdgeSet::default(),
        }
    }

    fn epoch(&self, local: &mut EdgeLocal, records: &mut Vec<FlowRecord>) {
        local.evidence.apply(records);
        for r in records.iter() {
            local.edges.observe(r);
        }
    }
}

/// Merges the workers' edge sets and classification counts into one, in worker order.
pub fn merge_edges(summary: &mut RunSummary<EdgeLocal>) -> EdgeSet {
    let mut edges = EdgeSet::default();
    for l in &summary.locals {
        edges.merge(&l.edges);
        summary.stats.classify.merge(&l.evidence.counts);
    }
    edges
}

/// Reads capture files as one stream with the given rules and returns their edge set and the
/// run summary: the whole packet-to-edge reduction in one call, for tests and embedders.
pub fn edges_from_files(
    files: &[&Path],
    rules: Arc<ProtocolRules>,
    cfg: &EngineConfig,
) -> Result<(EdgeSet, RunSummary<EdgeLocal>), EngineError> {
    let opts = ReadOptions {
        supported_linktypes: Some(segscope_wire::SUPPORTED_LINKTYPES.to_vec()),
        ..ReadOptions::default()
    };
    let inputs = files.iter().map(|f| InputSpec::path(*f)).collect();
    let mut source = segscope_capture::open(inputs, &opts)?;
    let stage = EdgeStage::new(rules.clone());
    let classifier = Arc::new(Classifier::new(rules));
    let mut summary = crate::run(
        &mut source,
        cfg,
        classifier,
        &stage,
        &Control::default(),
        &mut |_| Ok(()),
    )?;
    let edges = merge_edges(&mut summary);
    Ok((edges, summary))
}
