//! `segscope rules test`: loads every rule file (the built-in ones, or an edited copy with
//! `--rules DIR`), which checks them with file:line:column errors, then runs the test cases each
//! file carries, so an edited threshold is tried before it is used.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use segscope_graph::AnalysisInputs;
use segscope_rules::{RuleSource, RuleTestOutcome};

use crate::CliResult;
use crate::exit::GATE;

/// `segscope rules test`.
#[derive(Args, Debug)]
pub(crate) struct RulesArgs {
    /// Directory whose rule files replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) rules: Option<PathBuf>,
    /// Print passing tests too.
    #[arg(short, long)]
    pub(crate) verbose_tests: bool,
}

pub(crate) fn run(a: RulesArgs) -> CliResult {
    let source = match &a.rules {
        Some(dir) => RuleSource::with_dir(dir),
        None => RuleSource::embedded(),
    };
    let inputs = AnalysisInputs::from_rules(&source)?;
    let rubric = segscope_score::Rubric::load(&source)?;
    let protocols = Arc::new(inputs.protocols.clone());
    let mut outcomes: Vec<RuleTestOutcome> =
        segscope_proto::run_rule_tests(&protocols, "protocols.yaml");
    outcomes.extend(segscope_graph::run_rule_tests(
        &inputs.protocols,
        &inputs.rules,
        "findings.yaml",
    ));
    outcomes.extend(segscope_score::run_rubric_tests(
        &rubric,
        &inputs,
        "ztmm/networks.yaml",
    ));
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    for o in &outcomes {
        if !o.passed || a.verbose_tests {
            let verdict = if o.passed { "ok" } else { "FAILED" };
            println!("{}:{}: {verdict}: {}: {}", o.file, o.line, o.name, o.detail);
        }
    }
    println!(
        "segscope rules: {} tests, {} passed, {failed} failed",
        outcomes.len(),
        outcomes.len() - failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(GATE)
    })
}
