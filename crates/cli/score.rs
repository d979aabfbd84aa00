//! `segscope score REPORT.json [--attest FILE] -o score.json`: the ZTMM Networks-pillar score
//! recomputed from a report that `segscope analyze` wrote, without re-reading the captures —
//! for a tuned rubric (`--rules DIR`) or questionnaire answers (`--attest`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use segscope_graph::Analysis;
use segscope_report::atomic::Output;
use segscope_rules::RuleSource;
use segscope_score::{Assessment, Attestation, Rubric, Score, score};

use crate::CliResult;
use crate::args::ScoreArgs;
use crate::exit::{Failure, INPUT, INTERNAL};

pub(crate) fn run(a: ScoreArgs) -> CliResult {
    let source = match &a.rules {
        Some(dir) => RuleSource::with_dir(dir),
        None => RuleSource::embedded(),
    };
    let rubric = Rubric::load(&source)?;
    let attestation = a.attest.as_deref().map(Attestation::load).transpose()?;
    let analysis = read_report(&a.report)?;
    let s = score(&analysis, &rubric, attestation.as_ref(), None);
    let mut json =
        serde_json::to_vec_pretty(&s).map_err(|e| Failure::new(INTERNAL, e.to_string()))?;
    json.push(b'\n');
    let mut out =
        Output::create(a.output.as_deref()).map_err(|e| Failure::output(e.to_string()))?;
    out.write_all(&json)
        .map_err(|e| Failure::output(e.to_string()))?;
    out.commit().map_err(|e| Failure::output(e.to_string()))?;
    if !a.quiet {
        print_summary(&s);
    }
    Ok(ExitCode::SUCCESS)
}

/// The analysis inside `report.json` (extra report fields are ignored).
fn read_report(path: &Path) -> Result<Analysis, Failure> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(INPUT, format!("{name}: cannot read the report: {e}")))?;
    let analysis: Analysis = serde_json::from_str(&text).map_err(|e| {
        Failure::new(
            INPUT,
            format!(
                "{name}:{}:{}: not a segscope report.json ({e}); run `segscope analyze` to \
                 write one",
                e.line(),
                e.column()
            ),
        )
    })?;
    if analysis.schema != segscope_graph::SCHEMA {
        return Err(Failure::new(
            INPUT,
            format!(
                "{name}: report schema {:?}, this segscope reads {:?}; re-run `segscope \
                 analyze` with this version",
                analysis.schema,
                segscope_graph::SCHEMA
            ),
        ));
    }
    Ok(analysis)
}

/// One line per function on stderr.
fn print_summary(s: &Score) {
    for f in &s.functions {
        let what = match &f.assessment {
            Assessment::Observed { stage } => {
                format!("{stage} (observed, {} confidence)", f.confidence.as_str())
            }
            Assessment::Attested { stage, .. } => format!("{stage} (attested)"),
            Assessment::NotAssessableFromTraffic { .. } => "not assessable from traffic".to_owned(),
        };
        eprintln!("segscope: {:<40} {what}", f.name);
    }
    if let Some(min) = s.rollup.observed {
        eprintln!(
            "segscope: pillar (weakest observed function): {min}; {} function(s) excluded",
            s.rollup.excluded.len()
        );
    }
}
