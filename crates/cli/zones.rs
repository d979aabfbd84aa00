//! `segscope zones`: captures → analysis → proposed zones and the default-deny policy
//! (`zones.json`, `policy.yaml`, `zones.md`), written atomically into one directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use segscope_engine::stages::{EdgeStage, merge_edges};
use segscope_graph::{AnalysisInputs, analyze};
use segscope_policy::Policy;
use segscope_policy::model::Provenance;
use segscope_policy::zones::{ZoneOptions, ZoneProposal};
use segscope_report::atomic;

use crate::CliResult;
use crate::args::InputArgs;
use crate::exit::{Failure, INTERNAL};
use crate::run::{Plan, rule_source};

/// `segscope zones`.
#[derive(Args, Debug)]
pub(crate) struct ZonesArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Directory for zones.json, policy.yaml and zones.md (created if missing; each file is
    /// replaced atomically).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Inventory (CSV or YAML); its zones are hard constraints.
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// Analysis configuration (YAML).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Most zones (inventory and external zones count but are never merged).
    #[arg(long, value_name = "N", default_value_t = ZoneOptions::default().max_zones)]
    pub(crate) max_zones: usize,
    /// Inferred zones with fewer hosts join their most similar zone.
    #[arg(long, value_name = "N", default_value_t = ZoneOptions::default().min_zone_size)]
    pub(crate) min_zone_size: usize,
    /// Name of the policy (lowercase letters, digits, '-', '_', '.').
    #[arg(long, value_name = "NAME", default_value = "segscope")]
    pub(crate) name: String,
}

pub(crate) fn run(a: ZonesArgs) -> CliResult {
    if !segscope_policy::parse::valid_name(&a.name) {
        return Err(Failure::usage(format!(
            "--name {:?}: use 1 to 63 lowercase letters, digits, '-', '_' or '.'",
            a.name
        )));
    }
    if a.max_zones == 0 {
        return Err(Failure::usage("--max-zones must be at least 1"));
    }
    let mut inputs = AnalysisInputs::from_rules(&rule_source(&a.input))?;
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
    let options = ZoneOptions {
        max_zones: a.max_zones,
        min_zone_size: a.min_zone_size,
    };
    let (proposal, policy) = propose_into(
        &a.out,
        &analysis,
        &inputs,
        a.inventory.as_deref(),
        &run.sources,
        options,
        &a.name,
    )?;
    if !quiet {
        eprintln!(
            "segscope: {} zones, {} allow rules, {} denied-by-design groups written to {}",
            proposal.zones.len(),
            policy.rules.len(),
            policy.denied_by_design.len(),
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Proposes zones and the default-deny policy for `analysis` and writes zones.json,
/// policy.yaml and zones.md into `dir` (also called by `segscope analyze`).
pub(crate) fn propose_into(
    dir: &Path,
    analysis: &segscope_graph::Analysis,
    inputs: &AnalysisInputs,
    inventory: Option<&Path>,
    sources: &[std::sync::Arc<str>],
    options: ZoneOptions,
    name: &str,
) -> Result<(ZoneProposal, Policy), Failure> {
    let provenance = Provenance {
        by: format!("segscope {}", env!("CARGO_PKG_VERSION")),
        from: sources.iter().map(|s| s.to_string()).collect(),
        first_seen: analysis.coverage.first_ts,
        last_seen: analysis.coverage.last_ts,
        inventory: inventory.map(|p| p.display().to_string()),
    };
    let (proposal, policy) = segscope_policy::propose(
        analysis,
        inventory.map(|_| &inputs.inventory),
        options,
        name,
        provenance,
    );
    write_proposal(dir, &proposal, &policy)?;
    Ok((proposal, policy))
}

fn write_proposal(dir: &Path, proposal: &ZoneProposal, policy: &Policy) -> Result<(), Failure> {
    let mut json =
        serde_json::to_vec_pretty(proposal).map_err(|e| Failure::new(INTERNAL, e.to_string()))?;
    json.push(b'\n');
    let yaml = segscope_policy::write::to_yaml(policy).map_err(|e| Failure::new(INTERNAL, e))?;
    let md = segscope_policy::markdown::zones_markdown(proposal, policy);
    for (name, bytes) in [
        ("zones.json", json.as_slice()),
        ("policy.yaml", yaml.as_bytes()),
        ("zones.md", md.as_bytes()),
    ] {
        let path = dir.join(name);
        atomic::write_file(&path, bytes)
            .map_err(|e| Failure::output(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}
