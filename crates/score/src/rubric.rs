//! `rules/ztmm/networks.yaml`: the rubric as data — the seven ZTMM v2.0 Networks functions with
//! their Table 4 texts, the conditions and thresholds of the functions scored from traffic, the
//! indicators of the others, the questions that would settle them and the DoD crosswalk.
//!
//! ZTMM has no thresholds, formula or roll-up rule; every number here is segscope's proposal
//! (ztmm-networks-rubric.md §3), so it lives in a file an assessor can read and tune. Parsing
//! errors and semantic errors both point at the line and column of the mistake.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use segscope_core::AppProto;
use segscope_rules::findings::{FindingKind, TestHost};
use segscope_rules::{PortSpec, RuleError, RuleSource, Spanned, parse_yaml};
use serde::{Deserialize, Serialize};

use crate::model::Stage;

/// Path of the rubric under `rules/`.
pub const RUBRIC_FILE: &str = "ztmm/networks.yaml";

/// The ids of the seven Networks functions, in ZTMM v2.0 Table 4 order.
pub const FUNCTION_IDS: [&str; 7] = [
    "network_segmentation",
    "network_traffic_management",
    "traffic_encryption",
    "network_resilience",
    "visibility_and_analytics",
    "automation_and_orchestration",
    "governance",
];

/// Metric ids the graph analysis produces (`report.json` `metrics[].id`).
pub const ANALYSIS_METRICS: [&str; 16] = [
    "S1", "S2", "S3a", "S3b", "S3c", "S4", "S5", "S6", "E1", "E1_bytes", "E2", "E3", "E4", "E5",
    "A1", "A2",
];

/// Figures the scorer derives from the analysis (see [`crate::derived`]).
pub const DERIVED_METRICS: [&str; 2] = ["S4_egress_critical", "E4_certificates"];

/// The whole rubric.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// File format version (1).
    pub version: u32,
    /// The model and table scored.
    pub model: String,
    /// When confidence drops.
    pub confidence: ConfidenceRules,
    /// The seven functions, in Table 4 order.
    pub functions: Vec<FunctionRubric>,
    /// What the crosswalk is (a mapping, not an official one).
    pub crosswalk_note: String,
    /// Checks of this file.
    #[serde(default)]
    pub tests: Vec<RubricTest>,
}

/// Conditions that lower confidence.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceRules {
    /// Captures shorter than this may miss weekly jobs.
    pub min_duration_seconds: f64,
    /// More opaque bytes than this share: classification may miss traffic.
    pub max_opaque_bytes_share: Spanned<f64>,
}

/// How a function is assessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assess {
    /// Scored up to Advanced from traffic; Optimal only attested.
    Traffic,
    /// Never given a stage from traffic: indicators and a question.
    NotAssessableFromTraffic,
}

/// One Networks function.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionRubric {
    /// snake_case id (`network_segmentation`).
    pub id: Spanned<String>,
    /// Name exactly as ZTMM v2.0 Table 4 labels it.
    pub name: String,
    /// Where in ZTMM.
    pub ztmm_ref: String,
    /// How it is assessed.
    pub assess: Assess,
    /// Metrics without which the function cannot be assessed from this capture.
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// Why traffic cannot assess it (for `not_assessable_from_traffic`).
    #[serde(default)]
    pub reason: Option<String>,
    /// The questionnaire item that would settle it.
    pub question: String,
    /// Traditional: ZTMM text and triggers.
    pub traditional: TraditionalRubric,
    /// Initial: ZTMM text and conditions.
    pub initial: StageRubric,
    /// Advanced: ZTMM text and conditions (on top of Initial's).
    pub advanced: StageRubric,
    /// Optimal: ZTMM text and why traffic cannot show it.
    pub optimal: OptimalRubric,
    /// Traffic indicators shown with the function (never a stage).
    #[serde(default)]
    pub indicators: Vec<IndicatorRule>,
    /// DoD and NSA capabilities the function maps to (a proposal).
    pub crosswalk: CrosswalkRule,
}

/// Traditional.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraditionalRubric {
    /// Table 4 text.
    pub ztmm: String,
    /// Any trigger that holds makes the function Traditional.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

/// A Traditional trigger: holds when all its conditions hold.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Stable id.
    pub id: String,
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// What removes it.
    pub remedy: String,
    /// Finding kinds whose remediation removes it.
    #[serde(default)]
    pub findings: Vec<FindingKind>,
}

/// Initial or Advanced.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRubric {
    /// Table 4 text.
    pub ztmm: String,
    /// All must hold.
    #[serde(default)]
    pub conditions: Vec<StageCondition>,
}

/// A stage condition with what to do when it fails.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageCondition {
    /// Stable id.
    pub id: String,
    /// `S3a`, `S4.hosts_share`, `E4_certificates`.
    pub metric: Spanned<MetricRef>,
    /// Comparison.
    pub op: Op,
    /// Threshold.
    pub value: Spanned<f64>,
    /// The condition in words.
    pub says: String,
    /// Why the condition holds when its metric has no value (empty denominator); absent: it
    /// is `unknown` then.
    #[serde(default)]
    pub vacuous: Option<String>,
    /// What makes it hold.
    pub remedy: String,
    /// Finding kinds whose remediation helps it hold.
    #[serde(default)]
    pub findings: Vec<FindingKind>,
}

impl StageCondition {
    /// The test alone (fields are not flattened in the file so that errors keep their
    /// location).
    pub fn condition(&self) -> Condition {
        Condition {
            metric: self.metric.clone(),
            op: self.op,
            value: self.value.clone(),
            says: self.says.clone(),
        }
    }
}

/// `metric op value`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `S3a`, `S4.hosts_share`, `E4_certificates`.
    pub metric: Spanned<MetricRef>,
    /// Comparison.
    pub op: Op,
    /// Threshold.
    pub value: Spanned<f64>,
    /// The condition in words.
    pub says: String,
}

/// Optimal.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimalRubric {
    /// Table 4 text.
    pub ztmm: String,
    /// Why traffic alone cannot show it (the cap applied to traffic-scored functions).
    #[serde(default)]
    pub cap: Option<String>,
}

/// A traffic indicator: edges on these ports or protocols.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRule {
    /// Stable id.
    pub id: String,
    /// What it shows.
    pub name: String,
    /// Server ports.
    #[serde(default)]
    pub ports: Vec<PortSpec>,
    /// Protocols, on any port.
    #[serde(default)]
    pub apps: Vec<AppProto>,
}

/// Capabilities a function maps to.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrosswalkRule {
    /// DoD Zero Trust Strategy pillar 5 capabilities and activities.
    #[serde(default)]
    pub dod: Vec<String>,
    /// NSA CSI Network and Environment capabilities.
    #[serde(default)]
    pub nsa: Vec<String>,
}

/// One test of the rubric: a small network and the stages it must reach.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricTest {
    /// Name.
    pub name: Spanned<String>,
    /// Inventory entries.
    #[serde(default)]
    pub hosts: Vec<TestHost>,
    /// Flow lines (`segscope_graph::synth` syntax).
    pub flows: Vec<String>,
    /// Function id → `traditional`, `initial`, `advanced` or `not_assessable_from_traffic`.
    pub expect: BTreeMap<String, String>,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// <
    Lt,
    /// ≤
    Le,
    /// >
    Gt,
    /// ≥
    Ge,
    /// = (within 1e-9)
    Eq,
}

impl Op {
    /// `lhs op rhs`.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Op::Lt => lhs < rhs,
            Op::Le => lhs <= rhs,
            Op::Gt => lhs > rhs,
            Op::Ge => lhs >= rhs,
            Op::Eq => (lhs - rhs).abs() < 1e-9,
        }
    }

    /// The symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "=",
        }
    }
}

/// A metric, or one of its detail figures: `S4` or `S4.hosts_share`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricRef {
    /// Metric id.
    pub id: String,
    /// Detail key, if any.
    pub detail: Option<String>,
}

impl fmt::Display for MetricRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}.{d}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

impl FromStr for MetricRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, detail) = match s.split_once('.') {
            Some((id, d)) => (id, Some(d.to_owned())),
            None => (s, None),
        };
        let known = ANALYSIS_METRICS.iter().chain(DERIVED_METRICS.iter());
        if !known.clone().any(|k| *k == id) || detail.as_deref() == Some("") {
            let names: Vec<&str> = known.copied().collect();
            return Err(format!(
                "unknown metric {s:?}; expected one of {} (optionally `.detail`)",
                names.join(", ")
            ));
        }
        Ok(MetricRef {
            id: id.to_owned(),
            detail,
        })
    }
}

impl Serialize for MetricRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MetricRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl Rubric {
    /// Parses and checks the rubric: version 1, the seven functions exactly once in Table 4
    /// order, traffic functions with triggers and conditions, shares within 0–1, tests naming
    /// known functions and stages.
    pub fn parse(file: &str, text: &str) -> Result<Rubric, RuleError> {
        let r: Rubric = parse_yaml(file, text)?;
        if r.version != 1 {
            return Err(RuleError {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message: format!(
                    "unsupported version {} (this segscope reads version 1)",
                    r.version
                ),
            });
        }
        let share = &r.confidence.max_opaque_bytes_share;
        if !(0.0..=1.0).contains(&share.value) {
            return Err(RuleError::at(
                file,
                share,
                format!("{} is not a share: expected 0 to 1", share.value),
            ));
        }
        let ids: Vec<&str> = r.functions.iter().map(|f| f.id.value.as_str()).collect();
        if ids != FUNCTION_IDS {
            let at = r
                .functions
                .iter()
                .zip(FUNCTION_IDS)
                .find(|(f, want)| f.id.value != *want);
            let message = format!(
                "the functions must be the seven ZTMM v2.0 Networks functions in Table 4 order: \
                 {}; found {}",
                FUNCTION_IDS.join(", "),
                ids.join(", ")
            );
            return Err(match at {
                Some((f, _)) => RuleError::at(file, &f.id, message),
                None => RuleError {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                    message,
                },
            });
        }
        for f in &r.functions {
            check_function(file, f)?;
        }
        for t in &r.tests {
            for (function, stage) in &t.expect {
                let known_stage = stage == "not_assessable_from_traffic"
                    || stage.parse::<Stage>().is_ok_and(|s| s != Stage::Optimal);
                if !FUNCTION_IDS.contains(&function.as_str()) || !known_stage {
                    return Err(RuleError::at(
                        file,
                        &t.name,
                        format!(
                            "test expects {function}: {stage}; functions are {} and stages \
                             traditional, initial, advanced or not_assessable_from_traffic",
                            FUNCTION_IDS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(r)
    }

    /// The rubric from `source` (the embedded copy unless a rules directory overrides it).
    pub fn load(source: &RuleSource) -> Result<Rubric, RuleError> {
        let (name, text) = source.read(RUBRIC_FILE)?;
        Rubric::parse(&name, &text)
    }

    /// The shipped rubric.
    pub fn embedded() -> Result<Rubric, RuleError> {
        Rubric::load(&RuleSource::embedded())
    }

    /// The function with this id.
    pub fn function(&self, id: &str) -> Option<&FunctionRubric> {
        self.functions.iter().find(|f| f.id.value == id)
    }
}

fn check_function(file: &str, f: &FunctionRubric) -> Result<(), RuleError> {
    let conditions: Vec<Condition> = f
        .traditional
        .triggers
        .iter()
        .flat_map(|t| t.conditions.iter().cloned())
        .chain(f.initial.conditions.iter().map(StageCondition::condition))
        .chain(f.advanced.conditions.iter().map(StageCondition::condition))
        .collect();
    let mut any = false;
    for c in &conditions {
        any = true;
        let is_share = c
            .metric
            .value
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("share"))
            || matches!(
                c.metric.value.id.as_str(),
                "S1" | "S3a"
                    | "S3b"
                    | "S4"
                    | "S6"
                    | "E1"
                    | "E1_bytes"
                    | "E2"
                    | "E4"
                    | "A1"
                    | "A2"
                    | "S4_egress_critical"
                    | "E4_certificates"
            ) && c.metric.value.detail.is_none();
        if is_share && !(0.0..=1.0).contains(&c.value.value) {
            return Err(RuleError::at(
                file,
                &c.value,
                format!(
                    "{} is a share: {} is not between 0 and 1",
                    c.metric.value, c.value.value
                ),
            ));
        }
    }
    match f.assess {
        Assess::Traffic => {
            if !any || f.traditional.triggers.is_empty() || f.initial.conditions.is_empty() {
                return Err(RuleError::at(
                    file,
                    &f.id,
                    "a function scored from traffic needs traditional triggers and initial \
                     conditions",
                ));
            }
            if f.optimal.cap.is_none() {
                return Err(RuleError::at(
                    file,
                    &f.id,
                    "a function scored from traffic needs `optimal.cap`: why traffic alone \
                     cannot show Optimal",
                ));
            }
        }
        Assess::NotAssessableFromTraffic => {
            if any || f.reason.is_none() {
                return Err(RuleError::at(
                    file,
                    &f.id,
                    "a function not assessable from traffic has a `reason` and no conditions",
                ));
            }
        }
    }
    for r in &f.requires {
        r.value
            .parse::<MetricRef>()
            .map_err(|m| RuleError::at(file, r, m))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> String {
        RuleSource::embedded()
            .read(RUBRIC_FILE)
            .map(|(_, t)| t)
            .unwrap_or_default()
    }

    fn line_of(text: &str, needle: &str) -> u32 {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(0, |i| i as u32 + 1)
    }

    #[test]
    fn shipped_rubric_has_the_seven_functions_in_table_order() {
        let r = Rubric::embedded().expect("shipped rubric parses");
        let names: Vec<&str> = r.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Network Segmentation",
                "Network Traffic Management",
                "Traffic Encryption",
                "Network Resilience",
                "Visibility and Analytics Capability",
                "Automation and Orchestration Capability",
                "Governance Capability",
            ]
        );
        let traffic: Vec<&str> = r
            .functions
            .iter()
            .filter(|f| f.assess == Assess::Traffic)
            .map(|f| f.id.value.as_str())
            .collect();
        assert_eq!(traffic, ["network_segmentation", "traffic_encryption"]);
        assert!(r.tests.len() >= 3);
    }

    #[test]
    fn unknown_metric_is_reported_at_its_line_and_column() {
        let text = shipped();
        let bad = text.replacen("metric: S3a, op: gt", "metric: S9, op: gt", 1);
        assert_ne!(bad, text);
        let e = Rubric::parse("n.yaml", &bad).expect_err("S9 is unknown");
        assert_eq!(e.line, line_of(&text, "metric: S3a, op: gt"), "{e}");
        assert!(e.column > 1, "{e}");
        assert!(e.message.contains("unknown metric \"S9\""), "{e}");
    }

    #[test]
    fn a_share_out_of_range_points_at_the_value() {
        let text = shipped();
        let bad = text.replacen(
            "metric: E1, op: lt, value: 0.5",
            "metric: E1, op: lt, value: 50",
            1,
        );
        assert_ne!(bad, text);
        let e = Rubric::parse("n.yaml", &bad).expect_err("50 is not a share");
        assert_eq!(
            e.line,
            line_of(&text, "metric: E1, op: lt, value: 0.5"),
            "{e}"
        );
        assert!(e.message.contains("not between 0 and 1"), "{e}");
    }

    #[test]
    fn functions_must_be_the_seven_of_table_4() {
        let text = shipped();
        let bad = text.replacen("id: governance", "id: threat_protection", 1);
        let e = Rubric::parse("n.yaml", &bad).expect_err("no threat protection in v2.0");
        assert_eq!(e.line, line_of(&text, "id: governance"), "{e}");
        assert!(e.message.contains("Table 4 order"), "{e}");
    }

    #[test]
    fn yaml_syntax_errors_carry_line_and_column() {
        let text = shipped();
        let bad = text.replacen("op: ge\n", "op: [ge\n", 1);
        let e = Rubric::parse("n.yaml", &bad).expect_err("broken flow sequence");
        assert!(e.line > 0 && e.column > 0, "{e}");
        let bad = text.replacen("op: ge\n", "op: about\n", 1);
        let e = Rubric::parse("n.yaml", &bad).expect_err("unknown operator");
        let first = text
            .lines()
            .position(|l| l.trim() == "op: ge")
            .map_or(0, |i| i as u32 + 1);
        assert_eq!(e.line, first, "{e}");
        assert!(e.message.contains("unknown variant `about`"), "{e}");
    }

    #[test]
    fn a_traffic_function_without_optimal_cap_is_refused() {
        let text = shipped();
        let cap_line = text
            .lines()
            .find(|l| l.trim_start().starts_with("cap: \"Optimal depends"))
            .unwrap_or_default();
        let bad = text.replacen(cap_line, "", 1);
        assert_ne!(bad, text);
        let e = Rubric::parse("n.yaml", &bad).expect_err("cap missing");
        assert_eq!(e.line, line_of(&text, "id: traffic_encryption"), "{e}");
    }

    #[test]
    fn operators_compare_as_written() {
        assert!(Op::Gt.holds(0.06, 0.05) && !Op::Gt.holds(0.05, 0.05));
        assert!(Op::Le.holds(0.05, 0.05) && Op::Eq.holds(0.0, 0.0) && !Op::Lt.holds(1.0, 0.5));
        assert_eq!(
            "S4.hosts_share".parse::<MetricRef>().map(|m| m.to_string()),
            Ok("S4.hosts_share".to_owned())
        );
        assert!("S4.".parse::<MetricRef>().is_err());
    }
}
