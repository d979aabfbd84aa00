//! `segscope audit`: replays captures (or a live interface) against a policy without
//! enforcing anything; writes audit.json, audit.md and blocked.jsonl atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use segscope_core::edge::EdgeSet;
use segscope_core::{FlowRecord, Timestamp};
use segscope_engine::stages::Evidence;
use segscope_engine::{EngineError, RecordStage, record_order};
use segscope_graph::{AnalysisInputs, analyze};
use segscope_policy::audit::{AuditOptions, AuditReport, AuditTally};
use segscope_policy::project::{ProjectedEffect, project};
use segscope_policy::verdict::Evaluator;
use segscope_report::atomic::{self, Output};
use segscope_rules::ProtocolRules;
use serde::Serialize;

use crate::CliResult;
use crate::args::InputArgs;
use crate::exit::{Failure, GATE, INTERNAL};
use crate::run::{Plan, parse_span, rule_source};

/// `segscope audit`.
#[derive(Args, Debug)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// The policy to replay the traffic against.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: PathBuf,
    /// Directory for audit.json, audit.md and blocked.jsonl (created if missing; each file is
    /// replaced atomically).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Staged rollout: enforce only these zones (comma-separated); a flow counts as blocked
    /// when its client or server zone is enforced.
    #[arg(long, value_name = "ZONES", value_delimiter = ',')]
    pub(crate) enforce_zones: Option<Vec<String>>,
    /// Exit with code 1 when any flow inside the enforcement scope would be blocked.
    #[arg(long)]
    pub(crate) fail_on_block: bool,
    /// Inventory (CSV or YAML) resolving the policy's label members, and used by the
    /// projected analysis.
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// For a live capture: print a summary this often (and at Ctrl-C).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub(crate) interval: String,
}

type Key = (Timestamp, u64, u32);

/// What one worker keeps for the whole run.
struct AuditLocal {
    evidence: Evidence,
    edges: EdgeSet,
    tally: AuditTally,
}

/// What one worker yields per epoch: blocked flows as JSON lines, and counts for the
/// periodic summary.
struct EpochAudit {
    blocked: Vec<(Key, Vec<u8>)>,
    flows: u64,
    blocked_flows: u64,
    unmatched: u64,
}

struct AuditStage<'p> {
    eval: Evaluator<'p, BTreeMap<IpAddr, BTreeMap<String, String>>>,
    options: AuditOptions,
    rules: Arc<ProtocolRules>,
}

impl RecordStage for AuditStage<'_> {
    type Local = AuditLocal;
    type Out = EpochAudit;

    fn local(&self) -> AuditLocal {
        AuditLocal {
            evidence: Evidence::new(&self.rules),
            edges: EdgeSet::default(),
            tally: AuditTally::default(),
        }
    }

    fn epoch(&self, local: &mut AuditLocal, records: &mut Vec<FlowRecord>) -> EpochAudit {
        local.evidence.apply(records);
        let mut out = EpochAudit {
            blocked: Vec::new(),
            flows: 0,
            blocked_flows: 0,
            unmatched: 0,
        };
        for r in records.iter() {
            local.edges.observe(r);
            let Some(v) = local.tally.observe(&self.eval, &self.options, r) else {
                continue;
            };
            out.flows += 1;
            if v.verdict.kind() == "unmatched_zone" {
                out.unmatched += 1;
            }
            if v.verdict.is_blocked() {
                out.blocked_flows += 1;
                if let Ok(mut line) = serde_json::to_vec(&v) {
                    line.push(b'\n');
                    out.blocked.push((record_order(r), line));
                }
            }
        }
        out
    }
}

/// `audit.json`.
#[derive(Serialize)]
struct AuditDoc<'a> {
    #[serde(flatten)]
    report: &'a AuditReport,
    /// segscope version.
    segscope_version: &'static str,
    /// Inputs read.
    inputs: Vec<String>,
    /// True when stopped early (Ctrl-C, --duration).
    interrupted: bool,
    /// As if enforced: never evidence of enforcement.
    projected: &'a ProjectedEffect,
}

pub(crate) fn run(a: AuditArgs) -> CliResult {
    let policy = segscope_policy::load(&a.policy)?;
    let enforce_zones = match &a.enforce_zones {
        None => None,
        Some(list) => {
            let known: BTreeSet<&str> = policy.zones.iter().map(|z| z.name.as_str()).collect();
            let mut set = BTreeSet::new();
            for z in list {
                if !known.contains(z.as_str()) {
                    return Err(Failure::usage(format!(
                        "--enforce-zones: {z:?} is not a zone of {}; zones are: {}",
                        a.policy.display(),
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    )));
                }
                set.insert(z.clone());
            }
            Some(set)
        }
    };
    let interval = parse_span("--interval", &a.interval)?;
    let interval = Duration::from_nanos(interval.0.max(1) as u64);
    let mut inputs = AnalysisInputs::from_rules(&rule_source(&a.input))?;
    if let Some(path) = &a.inventory {
        inputs = inputs.with_inventory_file(path)?;
    }
    let labels: BTreeMap<IpAddr, BTreeMap<String, String>> = inputs
        .inventory
        .entries()
        .iter()
        .filter(|e| e.cidr.prefix_len() == e.cidr.max_prefix_len() && !e.labels.is_empty())
        .map(|e| (e.cidr.addr(), e.labels.clone()))
        .collect();
    atomic::ensure_dir(&a.out).map_err(|e| Failure::output(format!("{}: {e}", a.out.display())))?;
    let options = AuditOptions { enforce_zones };
    let plan = Plan::new(&a.input)?;
    let quiet = plan.quiet;
    let live = plan.live_stop.is_some();
    let stage = AuditStage {
        eval: Evaluator::with_labels(&policy, labels.clone()),
        options: options.clone(),
        rules: plan.rules.clone(),
    };
    let blocked_path = a.out.join("blocked.jsonl");
    let mut blocked_out = Output::create(Some(&blocked_path))
        .map_err(|e| Failure::output(format!("{}: {e}", blocked_path.display())))?;
    let (mut flows, mut blocked, mut unmatched) = (0u64, 0u64, 0u64);
    let mut last = Instant::now();
    let mut summary = plan.run(&stage, &mut |parts: Vec<EpochAudit>| {
        let mut lines: Vec<(Key, Vec<u8>)> = Vec::new();
        for p in parts {
            flows += p.flows;
            blocked += p.blocked_flows;
            unmatched += p.unmatched;
            lines.extend(p.blocked);
        }
        lines.sort_by_key(|x| x.0);
        for (_, l) in &lines {
            blocked_out
                .write_all(l)
                .map_err(|e| EngineError::Output(format!("writing blocked.jsonl: {e}")))?;
        }
        if live && !quiet && last.elapsed() >= interval {
            last = Instant::now();
            eprintln!("segscope audit: {flows} flows, {blocked} would be blocked, {unmatched} unmatched zone");
        }
        Ok(())
    })?;
    blocked_out
        .commit()
        .map_err(|e| Failure::output(format!("{}: {e}", blocked_path.display())))?;
    let mut tally = AuditTally::default();
    let mut edges = EdgeSet::default();
    for l in &summary.locals {
        tally.merge(&l.tally);
        edges.merge(&l.edges);
        summary.stats.classify.merge(&l.evidence.counts);
    }
    let report = AuditReport::new(&policy, options, tally);
    let analysis = analyze(edges, &inputs);
    let eval = Evaluator::with_labels(&policy, labels);
    let effect = project(&analysis, &inputs.rules, &eval);
    let doc = AuditDoc {
        report: &report,
        segscope_version: env!("CARGO_PKG_VERSION"),
        inputs: summary.sources.iter().map(|s| s.to_string()).collect(),
        interrupted: summary.interrupted,
        projected: &effect,
    };
    let mut json =
        serde_json::to_vec_pretty(&doc).map_err(|e| Failure::new(INTERNAL, e.to_string()))?;
    json.push(b'\n');
    let md = segscope_policy::markdown::audit_markdown(&report, Some(&effect));
    for (name, bytes) in [("audit.json", json.as_slice()), ("audit.md", md.as_bytes())] {
        let path = a.out.join(name);
        atomic::write_file(&path, bytes)
            .map_err(|e| Failure::output(format!("{}: {e}", path.display())))?;
    }
    if !quiet {
        eprintln!(
            "segscope audit: {} flows, {} would be blocked inside the enforcement scope, {} unmatched zone; written to {}",
            report.flows,
            report.enforced_blocked,
            report
                .by_verdict
                .get("unmatched_zone")
                .copied()
                .unwrap_or(0),
            a.out.display()
        );
    }
    if a.fail_on_block && report.enforced_blocked > 0 {
        eprintln!(
            "segscope: {} flow(s) would be blocked (--fail-on-block)",
            report.enforced_blocked
        );
        return Ok(ExitCode::from(GATE));
    }
    Ok(ExitCode::SUCCESS)
}
