//! Criterion bench of the graph stage (`analyze`) at E, 2E and 4E edges over 10 000 workloads,
//! to show that its cost grows no faster than E log E. The full-size figures (1 000 000 flows
//! and more) come from `examples/scale.rs`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use segscope_graph::{AnalysisInputs, analyze, synth};

fn graph_stage(c: &mut Criterion) {
    let Ok(inputs) = AnalysisInputs::embedded() else {
        return;
    };
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    for edges in [25_000u64, 50_000, 100_000] {
        let set = synth::enterprise(9_750, 250, edges, 2);
        group.throughput(Throughput::Elements(set.edges.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(edges), &set, |b, set| {
            b.iter_batched(
                || set.clone(),
                |s| analyze(s, &inputs),
                criterion::BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, graph_stage);
criterion_main!(benches);
