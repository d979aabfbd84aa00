//! Scale figures for BENCHMARKS.md: `analyze` over a synthetic enterprise of 10 000 workloads
//! at E, 2E and 4E edges (4 flows per edge, so E = 250 000 edges is 1 000 000 flows), with the
//! time and memory of the graph stage alone.
//!
//! Run in release: `cargo run --release -p segscope-graph --example scale [BASE_EDGES]`.
//! Memory comes from /proc/self/status (Linux): the peak is reset before `analyze` through
//! /proc/self/clear_refs, so "peak" is the graph stage's own high-water mark, input included.
//! CPU time comes from /proc/thread-self/schedstat (the stage is single-threaded), so the
//! figures hold on a busy machine where wall-clock time does not.

use std::time::Instant;

use segscope_graph::{AnalysisInputs, analyze, synth};

fn status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Nanoseconds this thread has spent on a CPU.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let base: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(250_000);
    let inputs = match AnalysisInputs::embedded() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("rules: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "| edges | flows | workloads | analyze CPU s | analyze wall s | CPU ns/edge | RSS before MiB | peak MiB | RSS after MiB | findings |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut prev: Option<(u64, f64)> = None;
    for factor in [1, 2, 4] {
        let edges = base * factor;
        let set = synth::enterprise(9_750, 250, edges, 4);
        let n_edges = set.edges.len() as u64;
        let flows: u64 = set.edges.values().map(|e| e.flows).sum();
        let before = status_kib("VmRSS:").unwrap_or_default();
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let cpu0 = thread_cpu_ns().unwrap_or_default();
        let t1 = Instant::now();
        let analysis = analyze(set, &inputs);
        let wall = t1.elapsed().as_secs_f64();
        let secs = thread_cpu_ns().unwrap_or_default().saturating_sub(cpu0) as f64 / 1e9;
        let peak = status_kib("VmHWM:").unwrap_or_default();
        let after = status_kib("VmRSS:").unwrap_or_default();
        println!(
            "| {n_edges} | {flows} | {} | {secs:.2} | {wall:.2} | {:.0} | {} | {} | {} | {} |",
            analysis.workloads.len(),
            secs * 1e9 / n_edges as f64,
            before / 1024,
            peak / 1024,
            after / 1024,
            analysis.findings.len(),
        );
        if let Some((e0, s0)) = prev {
            let ratio = secs / s0;
            let nlogn = (n_edges as f64 * (n_edges as f64).ln()) / (e0 as f64 * (e0 as f64).ln());
            eprintln!("{e0} -> {n_edges} edges: time x{ratio:.2} (E log E predicts x{nlogn:.2})");
        }
        prev = Some((n_edges, secs));
        drop(analysis);
    }
}
