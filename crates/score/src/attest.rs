//! Questionnaire answers (`segscope score --attest FILE`): what traffic cannot show, stated by
//! a person and labelled `attested` wherever it is used, never `observed`.
//!
//! ```yaml
//! version: 1
//! attested_by: "J. Doe, network architecture board"
//! date: "2024-03-20"
//! answers:
//!   - function: governance
//!     stage: initial
//!     question: NW-GOV-1
//!     evidence: "segment policies in the policy repository, reviewed quarterly"
//! ```

use std::path::Path;

use segscope_rules::{RuleError, Spanned, parse_yaml};
use serde::{Deserialize, Serialize};

use crate::model::Stage;
use crate::rubric::FUNCTION_IDS;

/// A questionnaire file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// File format version (1).
    pub version: u32,
    /// Who answers for the claims.
    pub attested_by: String,
    /// When.
    pub date: String,
    /// One answer per function at most.
    pub answers: Vec<Answer>,
    /// Where it was read from (set by [`Attestation::parse`]).
    #[serde(skip)]
    pub file: String,
}

/// One answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Function id (`governance`).
    pub function: Spanned<String>,
    /// Stage claimed.
    pub stage: Spanned<Stage>,
    /// Questionnaire item answered (`NW-GOV-1`).
    #[serde(default)]
    pub question: Option<String>,
    /// What supports the claim: documents, exports, verdict logs.
    pub evidence: String,
}

impl Attestation {
    /// Parses and checks a questionnaire: version 1, known functions, each at most once, and
    /// evidence for every claim.
    pub fn parse(file: &str, text: &str) -> Result<Attestation, RuleError> {
        let mut a: Attestation = parse_yaml(file, text)?;
        if a.version != 1 {
            return Err(RuleError {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message: format!(
                    "unsupported version {} (this segscope reads version 1)",
                    a.version
                ),
            });
        }
        for (i, ans) in a.answers.iter().enumerate() {
            let f = &ans.function;
            if !FUNCTION_IDS.contains(&f.value.as_str()) {
                return Err(RuleError::at(
                    file,
                    f,
                    format!(
                        "unknown function {:?}; expected one of {}",
                        f.value,
                        FUNCTION_IDS.join(", ")
                    ),
                ));
            }
            if a.answers
                .iter()
                .take(i)
                .any(|earlier| earlier.function.value == f.value)
            {
                return Err(RuleError::at(
                    file,
                    f,
                    format!("{} is answered twice; keep one answer", f.value),
                ));
            }
            if ans.evidence.trim().is_empty() {
                return Err(RuleError::at(
                    file,
                    f,
                    "an attested stage needs `evidence`: what supports the claim",
                ));
            }
        }
        a.file = file.to_owned();
        Ok(a)
    }

    /// Reads and parses a questionnaire file.
    pub fn load(path: &Path) -> Result<Attestation, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: name.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the attestation file: {e}"),
        })?;
        Attestation::parse(&name, &text)
    }

    /// The answer for a function.
    pub fn answer(&self, function: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.function.value == function)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "version: 1\nattested_by: J. Doe\ndate: \"2024-03-20\"\nanswers:\n  \
                        - function: governance\n    stage: initial\n    evidence: policy repo\n";

    #[test]
    fn answers_parse_with_their_stage() {
        let a = Attestation::parse("a.yaml", GOOD).expect("valid");
        let g = a.answer("governance").expect("answered");
        assert_eq!(g.stage.value, Stage::Initial);
        assert!(a.answer("network_resilience").is_none());
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let bad = GOOD.replace("function: governance", "function: threat_protection");
        let e = Attestation::parse("a.yaml", &bad).expect_err("unknown function");
        assert_eq!((e.line, e.column), (5, 15), "{e}");
        let bad = GOOD.replace("stage: initial", "stage: expert");
        let e = Attestation::parse("a.yaml", &bad).expect_err("unknown stage");
        assert_eq!(e.line, 6, "{e}");
        let twice =
            format!("{GOOD}  - function: governance\n    stage: advanced\n    evidence: x\n");
        let e = Attestation::parse("a.yaml", &twice).expect_err("answered twice");
        assert_eq!(e.line, 8, "{e}");
    }
}
