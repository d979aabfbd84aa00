//! `segscope flows`: flow records with protocol and authentication evidence.

use std::io::Write;
use std::process::ExitCode;

use std::sync::Arc;

use segscope_core::{FlowRecord, Timestamp};
use segscope_engine::stages::{Evidence, merge_evidence};
use segscope_engine::{EngineError, RecordStage, record_order};
use segscope_report::atomic::{self, Output};
use segscope_report::records::{EncodedRecords, RecordFormat, write_merged};
use segscope_rules::ProtocolRules;

use crate::CliResult;
use crate::args::FlowsArgs;
use crate::exit::Failure;
use crate::run::Plan;
use crate::summary;

type Key = (Timestamp, u64, u32);

/// Adds cross-flow evidence, counts and encodes records in the workers.
struct FlowsStage {
    format: RecordFormat,
    rules: Arc<ProtocolRules>,
}

impl RecordStage for FlowsStage {
    type Local = Evidence;
    type Out = EncodedRecords<Key>;

    fn local(&self) -> Evidence {
        Evidence::new(&self.rules)
    }

    fn epoch(&self, evidence: &mut Evidence, records: &mut Vec<FlowRecord>) -> EncodedRecords<Key> {
        evidence.apply(records);
        let mut enc = EncodedRecords::default();
        for r in records.iter() {
            enc.push(record_order(r), self.format, r);
        }
        enc
    }
}

pub(crate) fn run(a: FlowsArgs) -> CliResult {
    let format: RecordFormat = a.format.parse().map_err(Failure::usage)?;
    let plan = Plan::new(&a.input)?;
    let quiet = plan.quiet;
    let mut out =
        Output::create(a.output.as_deref()).map_err(|e| Failure::output(e.to_string()))?;
    out.write_all(&format.header())
        .map_err(|e| Failure::output(e.to_string()))?;
    let stage = FlowsStage {
        format,
        rules: plan.rules.clone(),
    };
    let mut summary = plan.run(&stage, &mut |parts| {
        write_merged(&parts, &mut out)
            .map(|_| ())
            .map_err(|e| EngineError::Output(format!("writing flow records: {e}")))
    })?;
    out.commit().map_err(|e| Failure::output(e.to_string()))?;
    merge_evidence(&mut summary.stats, &summary.locals);
    if let Some(path) = &a.stats {
        let json = serde_json::to_vec_pretty(&summary.stats)
            .map_err(|e| Failure::output(e.to_string()))?;
        atomic::write_file(path, &json).map_err(|e| Failure::output(e.to_string()))?;
    }
    if !quiet {
        summary::print(&summary);
    }
    Ok(ExitCode::SUCCESS)
}
