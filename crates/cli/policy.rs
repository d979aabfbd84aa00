//! `segscope policy check FILE` and `segscope policy export FILE --format …`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use segscope_policy::export;
use segscope_report::atomic::Output;

use crate::CliResult;
use crate::exit::Failure;

/// `segscope policy`.
#[derive(Args, Debug)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    pub(crate) command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// Validates a policy.yaml; errors and warnings give file:line:column.
    Check {
        /// The policy file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Writes the policy for an enforcement point.
    Export {
        /// The policy file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Target: Kubernetes NetworkPolicy, CiliumNetworkPolicy, nftables ruleset, AWS
        /// security groups (EC2 API JSON).
        #[arg(long, value_name = "FORMAT", value_parser = ["k8s", "cilium", "nftables", "aws"])]
        format: String,
        /// Output file (written atomically); default standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub(crate) fn run(a: PolicyArgs) -> CliResult {
    match a.command {
        PolicyCommand::Check { file } => check(&file),
        PolicyCommand::Export {
            file,
            format,
            output,
        } => export_to(&file, &format, output),
    }
}

fn check(file: &std::path::Path) -> CliResult {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::usage(format!("{name}: cannot read the policy: {e}")))?;
    let (policy, warnings) = segscope_policy::check(&name, &text)?;
    for w in &warnings {
        eprintln!("segscope: warning: {}", w.message);
    }
    println!(
        "{name}: valid {} policy {:?}: {} zones, {} rules, default {}{}",
        policy.schema,
        policy.name,
        policy.zones.len(),
        policy.rules.len(),
        policy.default_action.as_str(),
        if warnings.is_empty() {
            String::new()
        } else {
            format!(", {} warning(s)", warnings.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn export_to(file: &std::path::Path, format: &str, output: Option<PathBuf>) -> CliResult {
    let policy = segscope_policy::load(file)?;
    let text = match format {
        "k8s" => export::k8s::to_yaml(&policy),
        "cilium" => export::cilium::to_yaml(&policy),
        "aws" => export::aws::to_json(&policy),
        _ => Ok(export::nftables::to_nftables(&policy)),
    }
    .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let mut out = Output::create(output.as_deref()).map_err(|e| Failure::output(e.to_string()))?;
    out.write_all(text.as_bytes())
        .map_err(|e| Failure::output(e.to_string()))?;
    out.commit().map_err(|e| Failure::output(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
