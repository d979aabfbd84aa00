//! The record stages every command shares: cross-flow TLS evidence and classification counts
//! ([`Evidence`]), and the reduction of records to mergeable edge aggregates ([`EdgeStage`]).
//!
//! Both run inside the workers. The resumption linker can be per worker because a pair's flows
//! always land on the same shard (shards are chosen by the unordered address pair).

use std::path::Path;
use std::sync::Arc;

use hdrhistogram::Histogram;
use segscope_capture::{InputSpec, ReadOptions};
use segscope_core::FlowRecord;
use segscope_core::RunStats;
use segscope_core::edge::EdgeSet;
use segscope_core::stats::{ClassifyStats, Percentiles, RecordShape};
use segscope_proto::Classifier;
use segscope_proto::tls::ResumptionLinker;
use segscope_rules::ProtocolRules;

use crate::{Control, EngineConfig, EngineError, RecordStage, RunSummary};

/// Per-worker cross-flow evidence: links resumed TLS sessions to their full handshake, then
/// counts each record's classification and records its duration and size.
#[derive(Debug)]
pub struct Evidence {
    linker: ResumptionLinker,
    /// Classification counters of the records seen.
    pub counts: ClassifyStats,
    shape: Shape,
}

/// Histograms of record duration (ms), bytes and packets; mergeable across workers.
#[derive(Debug, Clone)]
struct Shape([Histogram<u64>; 3]);

impl Shape {
    fn new() -> Shape {
        // Three significant digits, auto-resizing: exact enough for percentiles, a few KiB.
        let h = || Histogram::new(3).expect("3 significant digits is a valid precision");
        Shape([h(), h(), h()])
    }

    fn record(&mut self, r: &FlowRecord) {
        let values = [
            u64::try_from(r.duration.0 / 1_000_000).unwrap_or(0),
            r.bytes(),
            r.packets(),
        ];
        for (h, v) in self.0.iter_mut().zip(values) {
            h.saturating_record(v);
        }
    }

    fn add(&mut self, other: &Shape) {
        for (h, o) in self.0.iter_mut().zip(&other.0) {
            // Auto-resizing histograms of equal precision always add.
            let _ = h.add(o);
        }
    }

    fn summary(&self) -> RecordShape {
        let p = |h: &Histogram<u64>| Percentiles {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
        };
        RecordShape {
            duration_ms: p(&self.0[0]),
            bytes: p(&self.0[1]),
            packets: p(&self.0[2]),
        }
    }
}

impl Evidence {
    /// A fresh state using the TLS flight rules of `rules`.
    pub fn new(rules: &ProtocolRules) -> Evidence {
        Evidence {
            linker: ResumptionLinker::new(rules),
            counts: ClassifyStats::default(),
            shape: Shape::new(),
        }
    }

    /// Adds cross-flow indicators to one epoch's records (already in time order), counts them
    /// and records their shape.
    pub fn apply(&mut self, records: &mut [FlowRecord]) {
        for r in records.iter_mut() {
            self.linker.observe(r);
            self.counts.observe(r);
            self.shape.record(r);
        }
        self.counts.tls_pairs_evicted = self.linker.evicted();
    }
}

/// Adds the workers' classification counts and record shapes to the run statistics.
pub fn merge_evidence<'a>(stats: &mut RunStats, workers: impl IntoIterator<Item = &'a Evidence>) {
    let mut shape = Shape::new();
    for e in workers {
        stats.classify.merge(&e.counts);
        shape.add(&e.shape);
    }
    stats.records = shape.summary();
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

/// Merges the workers' edge sets into one (in worker order) and their evidence counters into
/// the run statistics.
pub fn merge_edges(summary: &mut RunSummary<EdgeLocal>) -> EdgeSet {
    let mut edges = EdgeSet::default();
    for l in &summary.locals {
        edges.merge(&l.edges);
    }
    merge_evidence(
        &mut summary.stats,
        summary.locals.iter().map(|l| &l.evidence),
    );
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
