//! `segscope analyze`: captures → edges → workload graph, metrics, findings, and the files an
//! assessor works from, all written atomically into one directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use segscope_core::RunStats;
use segscope_engine::stages::{EdgeStage, merge_edges};
use segscope_graph::{Analysis, AnalysisInputs, Severity, analyze};
use segscope_report::atomic;
use serde::Serialize;

use crate::CliResult;
use crate::args::AnalyzeArgs;
use crate::exit::{Failure, GATE, INTERNAL};
use crate::run::{Plan, rule_source};
use crate::summary;

/// Schema id of `graph.json`.
const GRAPH_SCHEMA: &str = "segscope.graph/1";

/// `report.json`: the analysis, plus what produced it.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    analysis: &'a Analysis,
    /// segscope version that wrote the report.
    segscope_version: &'static str,
    /// Capture files or interface read.
    inputs: Vec<String>,
    /// True when the run was stopped early (Ctrl-C or --duration): the results cover the
    /// packets read so far.
    interrupted: bool,
    /// Every counter of the run: packets, malformed, evicted, dropped…
    run_stats: &'a RunStats,
}

/// `graph.json`: nodes and edges only, for tools that draw or query the graph.
#[derive(Serialize)]
struct GraphDoc<'a> {
    schema: &'static str,
    workloads: &'a [segscope_graph::Workload],
    edges: &'a [segscope_graph::AnalyzedEdge],
}

pub(crate) fn run(a: AnalyzeArgs) -> CliResult {
    let fail_on: Option<Severity> = a
        .fail_on
        .as_deref()
        .map(|s| s.parse().map_err(Failure::usage))
        .transpose()?;
    let rules = rule_source(&a.input);
    let mut inputs = AnalysisInputs::from_rules(&rules)?;
    let rubric = segscope_score::Rubric::load(&rules)?;
    if let Some(path) = &a.inventory {
        inputs = inputs.with_inventory_file(path)?;
    }
    if let Some(path) = &a.config {
        inputs = inputs.with_config_file(path)?;
    }
    atomic::ensure_dir(&a.out).map_err(|e| Failure::output(format!("{}: {e}", a.out.display())))?;
    let plan = Plan::new(&a.input)?;
    let quiet = plan.quiet;
    let stage = EdgeStage::new(plan.rules.clone());
    let mut run = plan.run(&stage, &mut |_| Ok(()))?;
    let edges = merge_edges(&mut run);
    let analysis = analyze(edges, &inputs);

    let report = Report {
        analysis: &analysis,
        segscope_version: env!("CARGO_PKG_VERSION"),
        inputs: run.sources.iter().map(|s| s.to_string()).collect(),
        interrupted: run.interrupted,
        run_stats: &run.stats,
    };
    let graph = GraphDoc {
        schema: GRAPH_SCHEMA,
        workloads: &analysis.workloads,
        edges: &analysis.edges,
    };
    write(&a.out, "report.json", &json(&report)?)?;
    write(&a.out, "findings.json", &json(&analysis.findings)?)?;
    write(&a.out, "graph.json", &json(&graph)?)?;
    write(
        &a.out,
        "graph.dot",
        segscope_graph::to_dot(&analysis).as_bytes(),
    )?;
    write(
        &a.out,
        "graph.graphml",
        segscope_graph::to_graphml(&analysis).as_bytes(),
    )?;
    write(&a.out, "report.md", markdown(&report).as_bytes())?;
    let (proposal, policy) = crate::zones::propose_into(
        &a.out,
        &analysis,
        &inputs,
        a.inventory.as_deref(),
        &run.sources,
        segscope_policy::zones::ZoneOptions::default(),
        "segscope",
    )?;
    let score = segscope_score::score(&analysis, &rubric, None, None);
    write(&a.out, "score.json", &json(&score)?)?;
    let title = report.inputs.join(", ");
    let (score_doc, zones_doc, policy_doc) = (value(&score)?, value(&proposal)?, value(&policy)?);
    let mut sections = segscope_html::Sections::new(&title, &analysis);
    sections.score = Some(&score_doc);
    sections.zones = Some(&zones_doc);
    sections.policy = Some(&policy_doc);
    let html =
        segscope_html::render(&sections).map_err(|e| Failure::new(INTERNAL, e.to_string()))?;
    write(&a.out, "report.html", html.as_bytes())?;
    if !quiet {
        summary::print(&run);
        eprintln!(
            "segscope: {} workloads, {} edges, {} findings written to {}",
            analysis.workloads.len(),
            analysis.edges.len(),
            analysis.findings.len(),
            a.out.display()
        );
    }
    Ok(gate(&analysis, fail_on))
}

/// The exit code under `--fail-on`: [`GATE`] when a finding reaches the severity.
fn gate(analysis: &Analysis, fail_on: Option<Severity>) -> ExitCode {
    let Some(level) = fail_on else {
        return ExitCode::SUCCESS;
    };
    let reached = analysis
        .findings
        .iter()
        .filter(|f| f.severity >= level)
        .count();
    if reached == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("segscope: {reached} finding(s) at or above {level} (--fail-on {level})");
    ExitCode::from(GATE)
}

fn value<T: Serialize>(doc: &T) -> Result<serde_json::Value, Failure> {
    serde_json::to_value(doc).map_err(|e| Failure::new(INTERNAL, e.to_string()))
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Failure> {
    let mut v =
        serde_json::to_vec_pretty(value).map_err(|e| Failure::new(INTERNAL, e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    let path: PathBuf = dir.join(name);
    atomic::write_file(&path, bytes)
        .map_err(|e| Failure::output(format!("{}: {e}", path.display())))
}

/// `report.md`: a title block naming the inputs and the run, then the graph section.
fn markdown(r: &Report<'_>) -> String {
    let s = &r.run_stats;
    let mut md = String::from("# segscope report\n\n");
    md.push_str(&format!(
        "segscope {} · inputs: {} · {} packets, {} flows{}\n\n",
        r.segscope_version,
        r.inputs.join(", "),
        s.capture.records,
        s.flow.flows,
        if r.interrupted {
            " · **interrupted: covers the packets read before the stop**"
        } else {
            ""
        }
    ));
    md.push_str(&segscope_graph::markdown_section(r.analysis));
    md
}
