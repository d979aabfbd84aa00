//! The packet pipeline: a [`FrameSource`] feeds batches of frames to `N` workers; each worker
//! decodes every frame, keeps the packets whose address pair hashes to it, runs its own flow
//! table (no locks on the per-packet path) and hands each epoch's records to a [`RecordStage`];
//! the calling thread receives the stages' outputs epoch by epoch, in worker order.
//!
//! Determinism: an epoch is one input batch. Records of an epoch are sorted by
//! [`record_order`] in every worker, timeouts use packet time only, and flow ids do not depend
//! on the shard, so the set and order of records is the same for one thread or many (except
//! under flow-table eviction, whose capacity is per shard).
//!
//! Every worker decodes every frame: decoding costs a few nanoseconds per frame, much less than
//! the copies and the synchronisation that handing decoded packets from a reader to the workers
//! would cost, and it keeps the batches zero-copy.

pub mod stages;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};
use segscope_capture::{CaptureError, CaptureWarning, FrameBatch, FrameSource};
use segscope_core::stats::{DecodeStats, FlowStats};
use segscope_core::{Classify, FlowRecord, RunStats, Timestamp};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_wire::{Decoder, Packet};

/// Pipeline settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Flow-table settings (per shard; `max_flows` is divided among the shards).
    pub flow: FlowConfig,
    /// Worker threads (flow-table shards). 1 runs everything on the calling thread.
    pub workers: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            flow: FlowConfig::default(),
            workers: default_workers(),
        }
    }
}

/// One worker per available core, at most 8 (beyond that the reader is the bottleneck).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Shared counters and the stop switch, read by the progress display and set by Ctrl-C or a
/// time limit.
#[derive(Debug, Default)]
pub struct Control {
    /// Set to stop reading; open flows are then flushed and the run ends normally.
    pub stop: AtomicBool,
    /// Frames read so far.
    pub frames: AtomicU64,
    /// Bytes of input consumed so far.
    pub bytes_read: AtomicU64,
    /// Total input size, 0 when unknown.
    pub bytes_total: AtomicU64,
    /// Flow records produced so far.
    pub records: AtomicU64,
}

impl Control {
    /// Asks the pipeline to stop after the current batch.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// True once a stop was requested.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// What happens to each epoch's records inside a worker (in parallel), before the calling thread
/// sees them. `Local` is per-worker state that lives for the whole run (an edge aggregate, a
/// TLS resumption linker…) and is returned at the end.
pub trait RecordStage: Send + Sync {
    /// Per-worker state.
    type Local: Send;
    /// What one epoch of one worker yields to the calling thread.
    type Out: Send;
    /// A fresh per-worker state.
    fn local(&self) -> Self::Local;
    /// Processes one epoch's records, already sorted by [`record_order`].
    fn epoch(&self, local: &mut Self::Local, records: &mut Vec<FlowRecord>) -> Self::Out;
}

/// The order of records within an epoch: first packet time, then flow id, then record number.
pub fn record_order(r: &FlowRecord) -> (Timestamp, u64, u32) {
    (r.first_ts, r.flow_id.0, r.record_seq)
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The consumer of the records failed (e.g. the output disk is full).
    #[error("{0}")]
    Output(String),
    /// A worker thread panicked (a bug: please report it with the input that caused it).
    #[error("internal error: a pipeline worker stopped unexpectedly ({0})")]
    Worker(String),
}

/// The result of a run.
pub struct RunSummary<L> {
    /// All counters.
    pub stats: RunStats,
    /// The per-worker stage states, in worker order.
    pub locals: Vec<L>,
    /// Input problems that did not stop the run.
    pub warnings: Vec<CaptureWarning>,
    /// Warnings counted but not kept.
    pub warnings_not_kept: u64,
    /// Names of the inputs.
    pub sources: Vec<Arc<str>>,
    /// True when the run ended because of [`Control::request_stop`].
    pub interrupted: bool,
    /// Packet time of the first and last frame.
    pub time_span: Option<(Timestamp, Timestamp)>,
}

/// Runs the pipeline to the end of the input (or until a stop is requested), calling `on_epoch`
/// on the calling thread with each epoch's outputs (one per worker, in worker order).
pub fn run<S: RecordStage>(
    source: &mut dyn FrameSource,
    cfg: &EngineConfig,
    classifier: Arc<dyn Classify>,
    stage: &S,
    control: &Control,
    on_epoch: &mut dyn FnMut(Vec<S::Out>) -> Result<(), EngineError>,
) -> Result<RunSummary<S::Local>, EngineError> {
    let sources: Vec<Arc<str>> = source.source_names().to_vec();
    let workers = cfg.workers.max(1);
    let mut flow_cfg = cfg.flow.clone();
    flow_cfg.max_flows = (flow_cfg.max_flows / workers as u32).max(1);
    let outcome = if workers == 1 {
        run_inline(
            source, &flow_cfg, classifier, stage, control, on_epoch, &sources,
        )
    } else {
        run_sharded(
            source, &flow_cfg, workers, classifier, stage, control, on_epoch, &sources,
        )
    };
    // Let a writing source complete its output whatever happened, then report the first error.
    let closed = source.close();
    let outcome = outcome?;
    closed?;
    let mut stats = RunStats {
        capture: source.stats(),
        ..RunStats::default()
    };
    stats.decode = outcome.decode;
    stats.flow = outcome.flow;
    Ok(RunSummary {
        stats,
        locals: outcome.locals,
        warnings: source.warnings().to_vec(),
        warnings_not_kept: source.warnings_not_kept(),
        sources,
        interrupted: control.stop_requested(),
        time_span: outcome.span,
    })
}

struct Outcome<L> {
    decode: DecodeStats,
    flow: FlowStats,
    locals: Vec<L>,
    span: Option<(Timestamp, Timestamp)>,
}

/// The state one worker owns.
struct Shard<S: RecordStage> {
    index: usize,
    count: usize,
    decoder: Decoder,
    table: FlowTable<Arc<dyn Classify>>,
    local: S::Local,
    out: Vec<FlowRecord>,
}

impl<S: RecordStage> Shard<S> {
    fn new(
        index: usize,
        count: usize,
        cfg: &FlowConfig,
        classifier: Arc<dyn Classify>,
        stage: &S,
        sources: &[Arc<str>],
    ) -> Self {
        Shard {
            index,
            count,
            decoder: Decoder::new(),
            table: FlowTable::new(cfg.clone(), classifier, sources.to_vec()),
            local: stage.local(),
            out: Vec::new(),
        }
    }

    /// Feeds one batch; returns the epoch's stage output.
    fn batch(&mut self, batch: &FrameBatch, stage: &S, control: &Control) -> S::Out {
        let mut last = None;
        for (meta, data) in batch.iter() {
            last = Some(meta.ts);
            let Some(pkt) = self.decoder.decode(meta.linktype, data) else {
                continue;
            };
            if self.count > 1 && shard_of(&pkt, self.count) != self.index {
                continue;
            }
            self.table
                .process(meta.ts, meta.source, meta.frame_no, &pkt, &mut self.out);
        }
        if let Some(now) = last {
            self.table.advance(now, &mut self.out);
        }
        self.emit(stage, control)
    }

    /// Flushes every open flow, one epoch per window of [`flush_bounds`]; false when `send`
    /// refused an epoch's output.
    fn finish(
        &mut self,
        bounds: &[Option<Timestamp>],
        stage: &S,
        control: &Control,
        send: &mut dyn FnMut(S::Out) -> bool,
    ) -> bool {
        for bound in bounds {
            match bound {
                Some(until) => self.table.flush_until(*until, &mut self.out),
                None => self.table.flush(&mut self.out),
            }
            if !send(self.emit(stage, control)) {
                return false;
            }
        }
        true
    }

    fn emit(&mut self, stage: &S, control: &Control) -> S::Out {
        control
            .records
            .fetch_add(self.out.len() as u64, Ordering::Relaxed);
        self.out.sort_by_key(record_order);
        let out = stage.epoch(&mut self.local, &mut self.out);
        self.out.clear();
        out
    }
}

/// The shard of a packet: a hash of its unordered address pair (the quoted pair for ICMP
/// errors), so both directions, IP fragments and ICMP errors of a flow meet in one shard.
pub fn shard_of(pkt: &Packet<'_>, shards: usize) -> usize {
    let (a, b) = match &pkt.quoted {
        Some(q) => (q.src.ip, q.dst.ip),
        None => (pkt.src, pkt.dst),
    };
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(pkt.vlan.unwrap_or(0));
    for ip in [lo, hi] {
        let word = match ip {
            IpAddr::V4(v4) => u64::from(u32::from(v4)),
            IpAddr::V6(v6) => {
                let n = u128::from(v6);
                (n as u64) ^ ((n >> 64) as u64)
            }
        };
        h = (h ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    (h % shards as u64) as usize
}

fn note_batch(
    control: &Control,
    source: &dyn FrameSource,
    batch: &FrameBatch,
    span: &mut Option<(Timestamp, Timestamp)>,
) {
    control
        .frames
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    let p = source.progress();
    control.bytes_read.store(p.bytes_read, Ordering::Relaxed);
    control
        .bytes_total
        .store(p.bytes_total.unwrap_or(0), Ordering::Relaxed);
    if let (Some(first), Some(last)) = (batch.frames.first(), batch.frames.last()) {
        *span = Some(match *span {
            Some((a, b)) => (a.min(first.ts), b.max(last.ts)),
            None => (first.ts, last.ts),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn run_inline<S: RecordStage>(
    source: &mut dyn FrameSource,
    cfg: &FlowConfig,
    classifier: Arc<dyn Classify>,
    stage: &S,
    control: &Control,
    on_epoch: &mut dyn FnMut(Vec<S::Out>) -> Result<(), EngineError>,
    sources: &[Arc<str>],
) -> Result<Outcome<S::Local>, EngineError> {
    let mut shard = Shard::new(0, 1, cfg, classifier, stage, sources);
    let mut batch = FrameBatch::default();
    let mut span = None;
    while !control.stop_requested() && source.next_batch(&mut batch)? {
        note_batch(control, source, &batch, &mut span);
        let out = shard.batch(&batch, stage, control);
        on_epoch(vec![out])?;
    }
    let mut failed = None;
    shard.finish(&flush_bounds(span), stage, control, &mut |out| {
        on_epoch(vec![out]).map_err(|e| failed = Some(e)).is_ok()
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Outcome {
        decode: shard.decoder.stats(),
        flow: shard.table.stats(),
        locals: vec![shard.local],
        span,
    })
}

enum Work {
    Batch(Arc<FrameBatch>),
    /// End of input, with the windows of [`flush_bounds`].
    Finish(Arc<[Option<Timestamp>]>),
}

/// End-of-input records are handed to the stages in this many epochs, split by the time of
/// their first packet, so that the records of a million open flows are never all built at once
/// (peak memory) and the stages start on them early.
const FLUSH_WINDOWS: i128 = 256;

/// The upper bounds of the end-of-input epochs: equal slices of the input's packet-time span,
/// the same for every shard (so 1 worker and N workers write the same records in the same
/// order), the last one open (`None`) so that nothing is left behind.
fn flush_bounds(span: Option<(Timestamp, Timestamp)>) -> Vec<Option<Timestamp>> {
    let mut bounds = Vec::new();
    if let Some((first, last)) = span {
        let width = (i128::from(last.0) - i128::from(first.0)) / FLUSH_WINDOWS;
        if width > 0 {
            bounds.extend((1..FLUSH_WINDOWS).map(|k| {
                let t = i128::from(first.0) + k * width;
                Some(Timestamp(i64::try_from(t).unwrap_or(i64::MAX)))
            }));
        }
    }
    bounds.push(None);
    bounds
}

#[allow(clippy::too_many_arguments)]
fn run_sharded<S: RecordStage>(
    source: &mut dyn FrameSource,
    cfg: &FlowConfig,
    workers: usize,
    classifier: Arc<dyn Classify>,
    stage: &S,
    control: &Control,
    on_epoch: &mut dyn FnMut(Vec<S::Out>) -> Result<(), EngineError>,
    sources: &[Arc<str>],
) -> Result<Outcome<S::Local>, EngineError> {
    // Small queues: enough to keep every worker busy while the reader fills the next batch, few
    // enough that memory stays bounded when the consumer is slow.
    let mut to_workers: Vec<Sender<Work>> = Vec::with_capacity(workers);
    let mut from_workers: Vec<Receiver<S::Out>> = Vec::with_capacity(workers);
    let mut worker_inputs = Vec::with_capacity(workers);
    let mut worker_outputs = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (tx, rx) = bounded::<Work>(4);
        to_workers.push(tx);
        worker_inputs.push(rx);
        let (otx, orx) = bounded::<S::Out>(4);
        worker_outputs.push(otx);
        from_workers.push(orx);
    }
    std::thread::scope(|scope| -> Result<Outcome<S::Local>, EngineError> {
        let mut handles = Vec::with_capacity(workers);
        for (index, (input, output)) in worker_inputs.into_iter().zip(worker_outputs).enumerate() {
            let classifier = classifier.clone();
            handles.push(scope.spawn(move || {
                let mut shard = Shard::new(index, workers, cfg, classifier, stage, sources);
                for work in input {
                    let sent = match work {
                        Work::Batch(b) => output.send(shard.batch(&b, stage, control)).is_ok(),
                        Work::Finish(bounds) => shard
                            .finish(&bounds, stage, control, &mut |out| output.send(out).is_ok()),
                    };
                    if !sent {
                        break;
                    }
                }
                (shard.decoder.stats(), shard.table.stats(), shard.local)
            }));
        }
        // The reader runs on its own thread so that the calling thread can consume outputs.
        let reader = scope.spawn(
            move || -> Result<Option<(Timestamp, Timestamp)>, CaptureError> {
                let mut span = None;
                let send_all =
                    |w: &dyn Fn() -> Work| to_workers.iter().all(|tx| tx.send(w()).is_ok());
                loop {
                    if control.stop_requested() {
                        break;
                    }
                    let mut batch = FrameBatch::default();
                    match source.next_batch(&mut batch) {
                        Ok(true) => {
                            note_batch(control, source, &batch, &mut span);
                            let shared = Arc::new(batch);
                            if !send_all(&|| Work::Batch(shared.clone())) {
                                return Ok(span);
                            }
                        }
                        Ok(false) => break,
                        Err(e) => {
                            drop(to_workers);
                            return Err(e);
                        }
                    }
                }
                let bounds: Arc<[Option<Timestamp>]> = flush_bounds(span).into();
                send_all(&|| Work::Finish(bounds.clone()));
                Ok(span)
            },
        );
        let mut consumer_error = None;
        'epochs: loop {
            let mut outs = Vec::with_capacity(workers);
            for rx in &from_workers {
                match rx.recv() {
                    Ok(o) => outs.push(o),
                    Err(_) => break 'epochs,
                }
            }
            if let Err(e) = on_epoch(outs) {
                consumer_error = Some(e);
                control.request_stop();
                break;
            }
        }
        drop(from_workers);
        let span = reader
            .join()
            .map_err(|_| EngineError::Worker("reader".into()))??;
        let mut decode = None;
        let mut flow = FlowStats::default();
        let mut locals = Vec::with_capacity(workers);
        for h in handles {
            let (d, f, l) = h
                .join()
                .map_err(|_| EngineError::Worker("flow worker".into()))?;
            // Every worker decoded every frame: keep one worker's decode counters.
            decode.get_or_insert(d);
            add_flow_stats(&mut flow, &f);
            locals.push(l);
        }
        if let Some(e) = consumer_error {
            return Err(e);
        }
        Ok(Outcome {
            decode: decode.unwrap_or_default(),
            flow,
            locals,
            span,
        })
    })
}

/// Sums shard counters; the peak of open flows is summed too (an upper bound of the true
/// simultaneous peak, documented as such).
fn add_flow_stats(into: &mut FlowStats, f: &FlowStats) {
    let FlowStats {
        flows,
        records,
        interim_records,
        closed,
        idle_timeouts,
        flushed_at_end,
        flows_evicted,
        peak_open_flows,
        peak_payload_bytes,
        time_went_backwards,
        icmp_errors_attributed,
        icmp_errors_unmatched,
        payload_budget_reached,
        payload_cap_denied,
        reorder_overflow,
        payload_gaps,
        retransmissions,
        orphan_fragments,
        icmp_errors_over_cap,
    } = f;
    into.flows += flows;
    into.records += records;
    into.interim_records += interim_records;
    into.closed += closed;
    into.idle_timeouts += idle_timeouts;
    into.flushed_at_end += flushed_at_end;
    into.flows_evicted += flows_evicted;
    into.peak_open_flows += peak_open_flows;
    into.peak_payload_bytes += peak_payload_bytes;
    into.time_went_backwards += time_went_backwards;
    into.icmp_errors_attributed += icmp_errors_attributed;
    into.icmp_errors_unmatched += icmp_errors_unmatched;
    into.payload_budget_reached += payload_budget_reached;
    into.payload_cap_denied += payload_cap_denied;
    into.reorder_overflow += reorder_overflow;
    into.payload_gaps += payload_gaps;
    into.retransmissions += retransmissions;
    into.orphan_fragments += orphan_fragments;
    into.icmp_errors_over_cap += icmp_errors_over_cap;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_bounds_split_the_span_and_end_open() {
        assert_eq!(flush_bounds(None), vec![None]);
        let t = Timestamp(1_000);
        assert_eq!(flush_bounds(Some((t, Timestamp(1_100)))), vec![None]);
        let bounds = flush_bounds(Some((Timestamp(0), Timestamp(2_560_000))));
        assert_eq!(bounds.len(), 256);
        assert_eq!(bounds[0], Some(Timestamp(10_000)));
        assert_eq!(bounds[254], Some(Timestamp(2_550_000)));
        assert_eq!(bounds[255], None);
        let wide = flush_bounds(Some((Timestamp(i64::MIN), Timestamp(i64::MAX))));
        assert!(wide.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => a < b,
            (_, b) => b.is_none(),
        }));
    }
}
