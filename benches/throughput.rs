//! Whole-pipeline throughput on large generated captures, reported against a bare libpcap read
//! loop over the same file in the same run (the floor: no tool that reads through libpcap can
//! be faster than it).
//!
//! ```sh
//! cargo bench --bench throughput                         # 1 GiB mix and 1 M concurrent flows
//! SEGSCOPE_BENCH_SIZE=256MiB cargo bench --bench throughput
//! SEGSCOPE_BENCH_CAPTURE=/path/to/your.pcap cargo bench --bench throughput
//! SEGSCOPE_BENCH_ONLY="1 worker" cargo bench --bench throughput   # variants whose name has it
//! ```
//!
//! Each variant runs `SEGSCOPE_BENCH_RUNS` times (default 3) on a warm page cache; the median
//! wall time, the process CPU time of that run, the peak resident memory and the peak of the
//! payload retained for classification (part of that memory) are printed, with
//! the ratio `floor wall / variant wall` (1.0 = as fast as the bare loop, 0.5 = half as fast).
//! Not a criterion benchmark: one iteration takes seconds and the figure wanted is a ratio
//! between whole programs, not a per-call distribution.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use segscope_capture::{FrameBatch, FrameSource, InputSpec, ReadOptions};
use segscope_core::{Classification, Classify, DirPayload, FlowMeta, FlowRecord};
use segscope_engine::stages::{EdgeStage, merge_edges};
use segscope_engine::{Control, EngineConfig, RecordStage, RunSummary};
use segscope_gen::capture::Format;
use segscope_gen::{Mode, generate, parse_size};
use segscope_proto::Classifier;
use segscope_rules::{ProtocolRules, RuleSource};

/// Answers nothing: the pipeline without protocol classification.
struct Nothing;

impl Classify for Nothing {
    fn classify(&self, _: &FlowMeta, _: DirPayload<'_>, _: DirPayload<'_>) -> Classification {
        Classification::default()
    }
}

/// Counts records: the flow path without output encoding.
struct CountStage;

impl RecordStage for CountStage {
    type Local = u64;
    type Out = ();
    fn local(&self) -> u64 {
        0
    }
    fn epoch(&self, n: &mut u64, records: &mut Vec<FlowRecord>) {
        *n += records.len() as u64;
    }
}

/// One measured run.
struct Run {
    wall: Duration,
    cpu: Duration,
    peak_rss: u64,
    packets: u64,
    flows: u64,
    /// Payload retained for classification at its peak (part of `peak_rss`).
    peak_payload: u64,
}

/// User + system time of this process (all threads), from `/proc/self/stat`.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, r)| r.split_whitespace().collect());
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Peak resident set since the last reset, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resets the peak so that each variant's peak is its own (`/proc/self/clear_refs`, value 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What a variant counted: packets, flows and the peak of retained payload bytes.
type Counts = (u64, u64, u64);

fn measure(f: &mut dyn FnMut() -> Counts) -> Run {
    reset_peak_rss();
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    let (packets, flows, peak_payload) = f();
    Run {
        wall: t0.elapsed(),
        cpu: process_cpu().saturating_sub(cpu0),
        peak_rss: peak_rss(),
        packets,
        flows,
        peak_payload,
    }
}

/// The floor: libpcap's `pcap_next_ex` loop through the `pcap` crate, counting packets and bytes.
fn libpcap_loop(path: &Path) -> Counts {
    let mut cap = pcap::Capture::from_file(path).expect("libpcap opens the capture");
    let (mut packets, mut bytes) = (0u64, 0u64);
    while let Ok(p) = cap.next_packet() {
        packets += 1;
        bytes += u64::from(p.header.caplen);
    }
    std::hint::black_box(bytes);
    (packets, 0, 0)
}

fn open(path: &Path) -> Box<dyn FrameSource> {
    let opts = ReadOptions {
        supported_linktypes: Some(segscope_wire::SUPPORTED_LINKTYPES.to_vec()),
        ..ReadOptions::default()
    };
    Box::new(segscope_capture::open(vec![InputSpec::path(path)], &opts).expect("open capture"))
}

/// segscope's reader alone: frames in batches, nothing decoded.
fn reader_only(path: &Path) -> Counts {
    let mut source = open(path);
    let mut batch = FrameBatch::default();
    let mut packets = 0;
    while source.next_batch(&mut batch).expect("read") {
        packets += batch.iter().count() as u64;
    }
    (packets, 0, 0)
}

fn engine(workers: usize) -> EngineConfig {
    EngineConfig {
        workers,
        ..EngineConfig::default()
    }
}

/// The pipeline over `path` with `classifier` and `stage`.
fn pipeline<S: RecordStage>(
    path: &Path,
    workers: usize,
    classifier: Arc<dyn Classify>,
    stage: &S,
) -> RunSummary<S::Local> {
    let mut source = open(path);
    segscope_engine::run(
        source.as_mut(),
        &engine(workers),
        classifier,
        stage,
        &Control::default(),
        &mut |_| Ok(()),
    )
    .expect("pipeline")
}

fn rules() -> Arc<ProtocolRules> {
    Arc::new(RuleSource::embedded().protocols().expect("rules"))
}

/// Decoding and flow tables, records counted, no classification.
fn flows_without_classification(path: &Path, workers: usize) -> Counts {
    let s = pipeline(path, workers, Arc::new(Nothing), &CountStage);
    (
        s.stats.decode.frames,
        s.locals.iter().sum(),
        s.stats.flow.peak_payload_bytes,
    )
}

/// Decoding, flow tables and protocol classification, records counted: the `flows` command
/// without output encoding. Against [`flows_without_classification`] it is the cost of
/// classification alone.
fn flows_with_classification(path: &Path, workers: usize) -> Counts {
    let s = pipeline(
        path,
        workers,
        Arc::new(Classifier::new(rules())),
        &CountStage,
    );
    (
        s.stats.decode.frames,
        s.locals.iter().sum(),
        s.stats.flow.peak_payload_bytes,
    )
}

/// The `analyze` path: classification, TLS linking and edge aggregation.
fn analyze_edges(path: &Path, workers: usize) -> Counts {
    let rules = rules();
    let classifier = Arc::new(Classifier::new(rules.clone()));
    let mut s = pipeline(path, workers, classifier, &EdgeStage::new(rules));
    let edges = merge_edges(&mut s);
    std::hint::black_box(edges.edges.len());
    (
        s.stats.decode.frames,
        s.stats.flow.records,
        s.stats.flow.peak_payload_bytes,
    )
}

/// A generated capture under `target/bench/`, written once and reused.
fn generated(name: &str, mode: Mode) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(name);
    if !path.exists() {
        eprintln!("generating {} ({mode})…", path.display());
        let tmp = path.with_extension("partial");
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("create"));
        generate(mode, 1, Format::Pcap, file, false).expect("generate");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.wall);
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

fn bench_file(label: &str, path: &Path, runs: usize) {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    println!(
        "\n## {label}: {} ({:.0} MiB), median of {runs} runs",
        path.display(),
        size as f64 / 1_048_576.0
    );
    let workers = segscope_engine::default_workers();
    type Variant<'a> = (String, Box<dyn Fn() -> Counts + 'a>);
    let variants: Vec<Variant<'_>> = vec![
        (
            "libpcap read loop (floor)".into(),
            Box::new(|| libpcap_loop(path)),
        ),
        (
            "segscope reader only".into(),
            Box::new(|| reader_only(path)),
        ),
        (
            "flows, no classification, 1 worker".into(),
            Box::new(|| flows_without_classification(path, 1)),
        ),
        (
            "flows with classification, 1 worker".into(),
            Box::new(|| flows_with_classification(path, 1)),
        ),
        (
            "analyze path (classify + edges), 1 worker".into(),
            Box::new(|| analyze_edges(path, 1)),
        ),
        (
            format!("flows, no classification, {workers} workers"),
            Box::new(|| flows_without_classification(path, workers)),
        ),
        (
            format!("flows with classification, {workers} workers"),
            Box::new(|| flows_with_classification(path, workers)),
        ),
        (
            format!("analyze path (classify + edges), {workers} workers"),
            Box::new(|| analyze_edges(path, workers)),
        ),
    ];
    println!(
        "| variant | wall s | CPU s | packets/s | vs floor (wall) | peak RSS MiB | of it payload MiB | flows |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // The floor always runs: every other figure is a ratio against it.
    let only = std::env::var("SEGSCOPE_BENCH_ONLY").unwrap_or_default();
    let mut floor = None;
    for (i, (name, f)) in variants.iter().enumerate() {
        if i > 0 && !name.contains(only.as_str()) {
            continue;
        }
        let run = median(
            (0..runs)
                .map(|_| measure(&mut || f()))
                .collect::<Vec<Run>>(),
        );
        let floor_wall = *floor.get_or_insert(run.wall);
        println!(
            "| {name} | {:.3} | {:.2} | {:.2} M | {:.2} | {:.0} | {:.0} | {} |",
            run.wall.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.packets as f64 / run.wall.as_secs_f64() / 1e6,
            floor_wall.as_secs_f64() / run.wall.as_secs_f64(),
            run.peak_rss as f64 / 1_048_576.0,
            run.peak_payload as f64 / 1_048_576.0,
            run.flows
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and only wants
    // the target to build and run quickly.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("SEGSCOPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    if let Ok(path) = std::env::var("SEGSCOPE_BENCH_CAPTURE") {
        bench_file("your capture", Path::new(&path), runs);
        return;
    }
    let size_text = std::env::var("SEGSCOPE_BENCH_SIZE").unwrap_or_else(|_| "1GiB".into());
    let size = parse_size(&size_text).expect("SEGSCOPE_BENCH_SIZE such as 1GiB");
    let mix = generated(&format!("mix-{size_text}.pcap"), Mode::Bench { size });
    bench_file("enterprise mix", &mix, runs);
    let flows = generated("flows-1M.pcap", Mode::Flows { count: 1_000_000 });
    bench_file("1,000,000 concurrent flows", &flows, runs);
}
