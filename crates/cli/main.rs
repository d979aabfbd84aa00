//! The `segscope` command: argument parsing and wiring only; every capability lives in a
//! library crate (see the README's architecture section).

mod analyze;
mod args;
mod audit;
mod exit;
mod flows;
mod policy;
mod rules;
mod run;
mod score;
mod summary;
mod zones;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::exit::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Flows(a) => flows::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Score(a) => score::run(a),
        Command::Zones(a) => zones::run(a),
        Command::Policy(a) => policy::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Rules(a) => rules::run(a),
    };
    match result {
        Ok(code) => code,
        Err(f) => f.report(),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEGSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// Convenience for commands: a result whose error already carries its exit code.
type CliResult = Result<ExitCode, Failure>;
