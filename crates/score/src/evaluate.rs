//! One function scored from traffic: every condition of the rubric evaluated against the
//! figures, then the stage by the rubric's rule (Traditional when a trigger holds, else the
//! highest stage whose conditions — and those below — all hold).

use std::collections::BTreeSet;

use crate::figures::{Figures, Reading};
use crate::model::{ConditionResult, Outcome, Stage};
use crate::rubric::{Condition, FunctionRubric, StageCondition, Trigger};

/// What stands between a function and the next stage.
#[derive(Clone, Debug)]
pub(crate) struct Blocker<'r> {
    /// Condition or trigger id.
    pub(crate) id: &'r str,
    /// Metric ids it reads.
    pub(crate) metrics: Vec<&'r str>,
    /// What removes it.
    pub(crate) remedy: &'r str,
    /// Finding kinds whose remediation helps.
    pub(crate) findings: &'r [segscope_rules::findings::FindingKind],
}

/// The evaluation of one function.
#[derive(Clone, Debug)]
pub(crate) struct Evaluation<'r> {
    /// Stage from traffic; `None` when no trigger holds and Initial is blocked only by
    /// conditions that could not be evaluated (claiming Traditional would be a default).
    pub(crate) stage: Option<Stage>,
    /// Every condition.
    pub(crate) conditions: Vec<ConditionResult>,
    /// The reasons, in words.
    pub(crate) reasons: Vec<String>,
    /// Metric ids that decided the stage.
    pub(crate) deciding: BTreeSet<String>,
    /// What blocks the next stage (below Advanced).
    pub(crate) blockers: Vec<Blocker<'r>>,
    /// True when an unknown condition stood in the way.
    pub(crate) unknown: bool,
}

fn condition(
    c: &Condition,
    id: &str,
    stage: Stage,
    figures: &Figures,
    vacuous: Option<&str>,
) -> ConditionResult {
    let (value, outcome, note) = match figures.read(&c.metric.value) {
        Reading::Value(v) => {
            let o = if c.op.holds(v, c.value.value) {
                Outcome::Holds
            } else {
                Outcome::Fails
            };
            (Some(v), o, None)
        }
        Reading::Empty(why) => match vacuous {
            Some(v) => (None, Outcome::Vacuous, Some(format!("{v} ({why})"))),
            None => (None, Outcome::Unknown, Some(why)),
        },
        Reading::Missing(why) => (None, Outcome::Unknown, Some(why)),
    };
    ConditionResult {
        id: id.to_owned(),
        stage,
        says: c.says.clone(),
        metric: c.metric.value.to_string(),
        value,
        op: c.op.symbol().to_owned(),
        threshold: c.value.value,
        outcome,
        note,
    }
}

/// `S3a = 0.3636 > 0.05`, or why there is no value.
pub(crate) fn describe(r: &ConditionResult) -> String {
    let verdict = match r.outcome {
        Outcome::Holds => "holds",
        Outcome::Fails => "fails",
        Outcome::Unknown => "unknown",
        Outcome::Vacuous => "holds (vacuous)",
    };
    let figure = match (r.value, &r.note) {
        (Some(v), _) => format!(
            "{} = {} (needs {} {})",
            r.metric,
            round(v),
            r.op,
            r.threshold
        ),
        (None, Some(n)) => format!("{}: {n}", r.metric),
        (None, None) => format!("{}: no value", r.metric),
    };
    format!("{}: {verdict}: {} [{figure}]", r.stage, r.says)
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn stage_conditions(
    list: &[StageCondition],
    stage: Stage,
    figures: &Figures,
) -> Vec<ConditionResult> {
    list.iter()
        .map(|c| condition(&c.condition(), &c.id, stage, figures, c.vacuous.as_deref()))
        .collect()
}

fn trigger_results(t: &Trigger, figures: &Figures) -> Vec<ConditionResult> {
    t.conditions
        .iter()
        .map(|c| condition(c, &t.id, Stage::Traditional, figures, None))
        .collect()
}

fn blocker_of(c: &StageCondition) -> Blocker<'_> {
    Blocker {
        id: &c.id,
        metrics: vec![c.metric.value.id.as_str()],
        remedy: &c.remedy,
        findings: &c.findings,
    }
}

/// Scores `f` (a function assessed from traffic) over `figures`.
pub(crate) fn evaluate<'r>(f: &'r FunctionRubric, figures: &Figures) -> Evaluation<'r> {
    let mut conditions = Vec::new();
    let mut fired: Vec<&Trigger> = Vec::new();
    let mut deciding = BTreeSet::new();
    let mut reasons = Vec::new();
    for t in &f.traditional.triggers {
        let rs = trigger_results(t, figures);
        if rs.iter().all(|r| r.outcome == Outcome::Holds) {
            fired.push(t);
            reasons.extend(rs.iter().map(describe));
            deciding.extend(rs.iter().map(|r| metric_id(&r.metric)));
        }
        conditions.extend(rs);
    }
    let initial = stage_conditions(&f.initial.conditions, Stage::Initial, figures);
    let advanced = stage_conditions(&f.advanced.conditions, Stage::Advanced, figures);
    let initial_ok = initial.iter().all(|r| r.outcome.satisfied());
    let advanced_ok = initial_ok && advanced.iter().all(|r| r.outcome.satisfied());
    let initial_fails = initial.iter().any(|r| r.outcome == Outcome::Fails);
    let stage = if !fired.is_empty() {
        Stage::Traditional
    } else if advanced_ok {
        Stage::Advanced
    } else if initial_ok {
        Stage::Initial
    } else if initial_fails {
        Stage::Traditional
    } else {
        reasons.extend(
            initial
                .iter()
                .filter(|r| !r.outcome.satisfied())
                .map(describe),
        );
        conditions.extend(initial);
        conditions.extend(advanced);
        return Evaluation {
            stage: None,
            conditions,
            reasons,
            deciding,
            blockers: Vec::new(),
            unknown: true,
        };
    };
    let mut blockers = Vec::new();
    let mut unknown = false;
    let failing = |rs: &[ConditionResult], list: &'r [StageCondition]| -> Vec<Blocker<'r>> {
        rs.iter()
            .zip(list)
            .filter(|(r, _)| !r.outcome.satisfied())
            .map(|(_, c)| blocker_of(c))
            .collect()
    };
    match stage {
        Stage::Traditional => {
            for t in &fired {
                blockers.push(Blocker {
                    id: &t.id,
                    metrics: t
                        .conditions
                        .iter()
                        .map(|c| c.metric.value.id.as_str())
                        .collect(),
                    remedy: &t.remedy,
                    findings: &t.findings,
                });
            }
            blockers.extend(failing(&initial, &f.initial.conditions));
            unknown = initial.iter().any(|r| r.outcome == Outcome::Unknown);
            if fired.is_empty() {
                reasons.extend(
                    initial
                        .iter()
                        .filter(|r| !r.outcome.satisfied())
                        .map(describe),
                );
                deciding.extend(
                    initial
                        .iter()
                        .filter(|r| !r.outcome.satisfied())
                        .map(|r| metric_id(&r.metric)),
                );
            }
        }
        Stage::Initial => {
            reasons.extend(initial.iter().map(describe));
            reasons.extend(
                advanced
                    .iter()
                    .filter(|r| !r.outcome.satisfied())
                    .map(describe),
            );
            deciding.extend(initial.iter().map(|r| metric_id(&r.metric)));
            deciding.extend(
                advanced
                    .iter()
                    .filter(|r| !r.outcome.satisfied())
                    .map(|r| metric_id(&r.metric)),
            );
            blockers.extend(failing(&advanced, &f.advanced.conditions));
            unknown = advanced.iter().any(|r| r.outcome == Outcome::Unknown);
        }
        Stage::Advanced | Stage::Optimal => {
            reasons.extend(initial.iter().chain(&advanced).map(describe));
            deciding.extend(
                initial
                    .iter()
                    .chain(&advanced)
                    .map(|r| metric_id(&r.metric)),
            );
        }
    }
    conditions.extend(initial);
    conditions.extend(advanced);
    Evaluation {
        stage: Some(stage),
        conditions,
        reasons,
        deciding,
        blockers,
        unknown,
    }
}

fn metric_id(r: &str) -> String {
    r.split('.').next().unwrap_or(r).to_owned()
}
