//! `score.json` (schema [`SCHEMA`]): plain serde data, so the report and other tools read the
//! same thing `segscope score` wrote.
//!
//! The shapes keep the rubric's ground rules visible: a function either has a stage with its
//! basis (`observed` from traffic or `attested` by a questionnaire) or is
//! `not_assessable_from_traffic` with the reason and the question — never both, never a
//! default; projected stages live in their own section.

use std::fmt;
use std::str::FromStr;

use segscope_core::FlowRef;
use segscope_graph::Coverage;
use serde::{Deserialize, Serialize};

/// Schema id of [`Score`] in JSON. Bumped on any incompatible change.
pub const SCHEMA: &str = "segscope.score/1";

/// A ZTMM maturity stage, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Traditional.
    Traditional,
    /// Initial.
    Initial,
    /// Advanced.
    Advanced,
    /// Optimal.
    Optimal,
}

impl Stage {
    /// Every stage, lowest first.
    pub const ALL: [Stage; 4] = [
        Stage::Traditional,
        Stage::Initial,
        Stage::Advanced,
        Stage::Optimal,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Traditional => "traditional",
            Stage::Initial => "initial",
            Stage::Advanced => "advanced",
            Stage::Optimal => "optimal",
        }
    }

    /// The next stage up, if any.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Traditional => Some(Stage::Initial),
            Stage::Initial => Some(Stage::Advanced),
            Stage::Advanced => Some(Stage::Optimal),
            Stage::Optimal => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("unknown stage {s:?}; expected traditional, initial, advanced or optimal")
            })
    }
}

/// How sure the stage is, given the capture's coverage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Weak or partial evidence.
    Low,
    /// Sound evidence with a coverage limit.
    Medium,
    /// Sound evidence, full coverage.
    High,
}

impl Confidence {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The assessment of one function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Assessment {
    /// A stage from the traffic.
    Observed {
        /// The stage.
        stage: Stage,
    },
    /// A stage from a questionnaire answer; never verified by segscope.
    Attested {
        /// The stage.
        stage: Stage,
        /// The stage the traffic showed, for functions scored from traffic.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        observed: Option<Stage>,
    },
    /// No stage: traffic cannot show it (or this capture could not).
    NotAssessableFromTraffic {
        /// Why.
        reason: String,
        /// The questionnaire item or capture that would settle it.
        question: String,
    },
}

impl Assessment {
    /// The stage, if any.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            Assessment::Observed { stage } | Assessment::Attested { stage, .. } => Some(*stage),
            Assessment::NotAssessableFromTraffic { .. } => None,
        }
    }
}

/// The outcome of one condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The metric meets the threshold.
    Holds,
    /// It does not.
    Fails,
    /// The metric has no value: nothing can be said.
    Unknown,
    /// The metric has no value because there is nothing to measure; the rubric says why that
    /// satisfies the condition.
    Vacuous,
}

impl Outcome {
    /// True for `holds` and `vacuous`.
    pub fn satisfied(self) -> bool {
        matches!(self, Outcome::Holds | Outcome::Vacuous)
    }
}

/// One condition of the rubric, evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    /// Condition id (the trigger id for Traditional triggers).
    pub id: String,
    /// The stage it belongs to.
    pub stage: Stage,
    /// The condition in words.
    pub says: String,
    /// `S3a`, `S4.hosts_share`…
    pub metric: String,
    /// Its value, if any.
    pub value: Option<f64>,
    /// `<`, `<=`, `>`, `>=`, `=`.
    pub op: String,
    /// The threshold.
    pub threshold: f64,
    /// The outcome.
    pub outcome: Outcome,
    /// Why it is vacuous or unknown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// Where a metric comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    /// `report.json` `metrics`.
    Analysis,
    /// Derived by the scorer from the analysis's zones, assets or edges.
    Derived,
    /// Recomputed over the edges a proposed policy allows (never evidence).
    Projected,
}

/// A metric a stage used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricUse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Definition as implemented.
    pub definition: String,
    /// Value, if any.
    pub value: Option<f64>,
    /// Numerator.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub numerator: Option<f64>,
    /// Denominator.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub denominator: Option<f64>,
    /// Why there is no value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub not_computed: Option<String>,
    /// Thresholds the rubric compares it with (`S3a > 0.05 (traditional)`).
    pub thresholds: Vec<String>,
    /// Exclusions applied (ids of `report.json` `exclusions`).
    pub exclusions: Vec<String>,
    /// Flows behind the value.
    pub evidence: Vec<FlowRef>,
    /// Where it comes from.
    pub source: MetricSource,
}

/// A cap on the stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    /// `optimal_requires_control_plane`, `assessable_only_by_attestation`.
    pub id: String,
    /// Why.
    pub description: String,
}

/// ZTMM Table 4 text of a stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageText {
    /// Stage.
    pub stage: Stage,
    /// Verbatim text.
    pub text: String,
}

/// A traffic indicator shown with a function; presence is not maturity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Id.
    pub id: String,
    /// What it shows.
    pub name: String,
    /// Answered edges matching it.
    pub edges: u64,
    /// Flows on them.
    pub flows: u64,
    /// Distinct servers.
    pub servers: u64,
    /// Example flows.
    pub evidence: Vec<FlowRef>,
}

/// One change that would move a function up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    /// 1 = first.
    pub rank: u32,
    /// What to do.
    pub action: String,
    /// The stage it works towards.
    pub towards: Stage,
    /// Rubric conditions (or triggers) it addresses.
    pub addresses: Vec<String>,
    /// True when these are all that stand between the function and `towards`.
    pub completes_stage: bool,
    /// The finding behind it, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finding: Option<String>,
    /// The proposed policy rule behind it, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy_rule: Option<String>,
    /// Severity of the finding.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub severity: Option<String>,
    /// Evidence flows.
    pub evidence: Vec<FlowRef>,
}

/// An answer taken from the attestation file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestedClaim {
    /// Stage claimed.
    pub stage: Stage,
    /// Who attests.
    pub attested_by: String,
    /// What supports it.
    pub evidence: String,
    /// True when it gave the function its stage; false with `note` when it could not.
    pub applied: bool,
    /// Why it was not applied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// One Networks function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionScore {
    /// snake_case id.
    pub id: String,
    /// Name as ZTMM v2.0 labels it.
    pub name: String,
    /// Where in ZTMM.
    pub ztmm_ref: String,
    /// Stage and basis, or not assessable.
    pub assessment: Assessment,
    /// How sure.
    pub confidence: Confidence,
    /// Why not higher.
    pub confidence_reasons: Vec<String>,
    /// Why this stage, condition by condition, in words.
    pub reasons: Vec<String>,
    /// Every condition evaluated.
    pub conditions: Vec<ConditionResult>,
    /// The metrics used.
    pub metrics: Vec<MetricUse>,
    /// ZTMM text of the stage reached.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reached: Option<StageText>,
    /// ZTMM text of the next stage.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next: Option<StageText>,
    /// Evidence flows behind the stage (earliest first).
    pub evidence: Vec<FlowRef>,
    /// Caps applied.
    pub caps: Vec<Cap>,
    /// Traffic indicators (functions not assessable from traffic).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub indicators: Vec<Indicator>,
    /// What would move it up one stage, ranked.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub next_steps: Vec<NextStep>,
    /// The attestation answer for it, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attestation: Option<AttestedClaim>,
}

/// The pillar as its weakest assessed function (ZTMM defines no roll-up).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    /// How it is computed.
    pub method: String,
    /// Minimum over observed stages.
    pub observed: Option<Stage>,
    /// Functions at that minimum.
    pub weakest: Vec<String>,
    /// Minimum over observed and attested stages, when any stage is attested.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub with_attested: Option<Stage>,
    /// Functions left out (not assessable), with why.
    pub excluded: Vec<Excluded>,
}

/// A function left out of the roll-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// Function id.
    pub function: String,
    /// Why.
    pub reason: String,
}

/// A stage as if the proposed policy were enforced: never the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectedStage {
    /// Function id.
    pub function: String,
    /// Always `projected`.
    pub label: String,
    /// Observed stage now.
    pub observed: Option<Stage>,
    /// Stage over the allowed edges, if computable.
    pub projected: Option<Stage>,
    /// What the projection can and cannot change.
    pub note: String,
    /// Conditions with projected metrics.
    pub conditions: Vec<ConditionResult>,
    /// Projected metrics used.
    pub metrics: Vec<MetricUse>,
}

/// The proposed policy's effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Always `projected`.
    pub label: String,
    /// Edges the policy would block.
    pub edges_blocked: u64,
    /// Flows on them.
    pub flows_blocked: u64,
    /// Per function scored from traffic.
    pub functions: Vec<ProjectedStage>,
}

/// One row of the DoD crosswalk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrosswalkRow {
    /// ZTMM function id.
    pub function: String,
    /// Its stage (as in `functions`), if any.
    pub stage: Option<Stage>,
    /// DoD capabilities and activities.
    pub dod: Vec<String>,
    /// NSA CSI capabilities.
    pub nsa: Vec<String>,
}

/// The same evidence mapped to DoD Zero Trust "Network & Environment" (a mapping).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crosswalk {
    /// Always `mapping`.
    pub kind: String,
    /// What the mapping is and is not.
    pub note: String,
    /// Rows.
    pub rows: Vec<CrosswalkRow>,
}

/// The attestation file used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationSummary {
    /// File.
    pub file: String,
    /// Who attests.
    pub attested_by: String,
    /// When.
    pub date: String,
}

/// `score.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// [`SCHEMA`].
    pub schema: String,
    /// The model scored.
    pub model: String,
    /// The rubric file used.
    pub rubric: String,
    /// Ground rules in one paragraph, for readers of the JSON.
    pub method: String,
    /// What the capture covered.
    pub coverage: Coverage,
    /// The seven functions, in ZTMM Table 4 order.
    pub functions: Vec<FunctionScore>,
    /// The pillar as its weakest assessed function.
    pub rollup: Rollup,
    /// Entity-authentication evidence (A1, A2): reported alongside, never mixed into the
    /// Networks stages (ZTMM puts it in Identity and Applications).
    pub authentication: Vec<MetricUse>,
    /// Stages as if the proposed policy were enforced.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub projection: Option<Projection>,
    /// The DoD crosswalk.
    pub crosswalk: Crosswalk,
    /// The attestation used, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attestation: Option<AttestationSummary>,
}

impl Score {
    /// The function with this id.
    pub fn function(&self, id: &str) -> Option<&FunctionScore> {
        self.functions.iter().find(|f| f.id == id)
    }
}
