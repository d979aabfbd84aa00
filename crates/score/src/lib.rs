//! The ZTMM v2.0 Networks-pillar score of an analysis (`score.json`), by the rubric in
//! `rules/ztmm/networks.yaml`.
//!
//! [`score`] reads the [`Analysis`] that `segscope analyze` wrote (never the captures again),
//! the [`Rubric`], optional questionnaire answers ([`Attestation`]) and an optional projection
//! of the proposed policy ([`Projected`]), and returns a [`Score`]:
//!
//! * exactly the seven Networks functions of ZTMM v2.0 Table 4, in order;
//! * Network Segmentation and Traffic Encryption get a stage from traffic, at most Advanced;
//!   Optimal only from an attestation, labelled `attested` (the cap is listed);
//! * the other five are `not_assessable_from_traffic`, with the reason, the question that
//!   would settle them and their traffic indicators — unless attested;
//! * every stage lists the conditions evaluated, the metrics with their values and thresholds,
//!   the ZTMM text of the stage reached and of the next, the evidence flows, the caps and the
//!   confidence; a condition whose metric has no value is `unknown` and never holds, unless the
//!   rubric says why it holds vacuously — nothing is defaulted or averaged;
//! * the pillar roll-up is the weakest assessed function, with the exclusions listed;
//! * below Advanced, ranked next steps from the findings and the proposed policy;
//! * the projected stage under the proposed policy, in its own section, labelled `projected`;
//! * the DoD Zero Trust "Network & Environment" crosswalk, marked as a mapping.
//!
//! ```
//! use segscope_graph::{AnalysisInputs, analyze, synth};
//! use segscope_score::{Rubric, Stage, score};
//!
//! let set = synth::edge_set("example", &[
//!     "10.0.0.5 -> 10.0.0.6 tcp/23 app=telnet auth=cleartext_credentials user=root",
//!     "10.0.0.6 -> 10.0.0.5 tcp/23 app=telnet auth=cleartext_credentials user=root",
//! ]).expect("valid flow lines");
//! let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
//! let s = score(&analysis, &Rubric::embedded().expect("shipped rubric"), None, None);
//! let enc = s.function("traffic_encryption").expect("always present");
//! assert_eq!(enc.assessment.stage(), Some(Stage::Traditional));
//! assert_eq!(s.function("governance").and_then(|f| f.assessment.stage()), None);
//! ```

pub mod attest;
mod evaluate;
mod figures;
pub mod model;
mod next;
pub mod rubric;
mod rule_tests;

use std::collections::BTreeSet;

use segscope_core::FlowRef;
use segscope_core::auth::AuthClass;
use segscope_graph::{Analysis, Projected};

pub use attest::Attestation;
pub use model::{Assessment, Confidence, FunctionScore, MetricUse, Outcome, SCHEMA, Score, Stage};
pub use next::{MAX_STEPS, PolicyRuleSummary};
pub use rubric::{RUBRIC_FILE, Rubric};
pub use rule_tests::run_rubric_tests;

use crate::evaluate::{Evaluation, evaluate};
use crate::figures::Figures;
use crate::model::{
    AttestationSummary, AttestedClaim, Cap, Crosswalk, CrosswalkRow, Excluded, Indicator,
    ProjectedStage, Projection, Rollup, StageText,
};
use crate::rubric::{Assess, FunctionRubric};

/// Evidence flows listed per function.
const FUNCTION_EVIDENCE: usize = 10;

const METHOD: &str = "Stages follow the rubric file (segscope's proposal; ZTMM v2.0 has no \
    thresholds or formula). Functions scored from traffic reach at most Advanced; Optimal only \
    by attestation. A condition whose metric has no value never holds unless the rubric says \
    why it holds vacuously. Functions traffic cannot show are not_assessable_from_traffic \
    unless attested. Nothing is defaulted or averaged. Absence of a flow is never evidence of \
    a control; the tool's own proposals never raise a stage (projected stages are separate).";

/// Scores `analysis` by `rubric`; see the crate documentation.
pub fn score(
    analysis: &Analysis,
    rubric: &Rubric,
    attestation: Option<&Attestation>,
    projected: Option<&Projected>,
) -> Score {
    score_with_policy(analysis, rubric, attestation, projected, &[])
}

/// [`score`], with the proposed policy's rules for the next steps.
pub fn score_with_policy(
    analysis: &Analysis,
    rubric: &Rubric,
    attestation: Option<&Attestation>,
    projected: Option<&Projected>,
    policy: &[PolicyRuleSummary],
) -> Score {
    let figures = Figures::observed(analysis);
    let projected_figures = projected.map(|p| Figures::projected(&figures, &p.metrics));
    let functions: Vec<FunctionScore> = rubric
        .functions
        .iter()
        .map(|f| {
            let projected_stage = projected_figures
                .as_ref()
                .filter(|_| f.assess == Assess::Traffic && projects(f, projected))
                .and_then(|pf| evaluate(f, pf).stage);
            function(
                analysis,
                rubric,
                f,
                &figures,
                attestation,
                policy,
                projected_stage,
            )
        })
        .collect();
    let projection = projected.map(|p| {
        let pf = projected_figures.unwrap_or_else(|| figures.clone());
        projection(rubric, &functions, &pf, p)
    });
    Score {
        schema: SCHEMA.to_owned(),
        model: rubric.model.clone(),
        rubric: format!("rules/{RUBRIC_FILE} version {}", rubric.version),
        method: METHOD.to_owned(),
        coverage: analysis.coverage.clone(),
        rollup: rollup(&functions),
        authentication: ["A1", "A2"]
            .iter()
            .filter_map(|id| figures.get(id).map(|f| f.use_.clone()))
            .collect(),
        crosswalk: Crosswalk {
            kind: "mapping".to_owned(),
            note: rubric.crosswalk_note.clone(),
            rows: rubric
                .functions
                .iter()
                .zip(&functions)
                .map(|(r, s)| CrosswalkRow {
                    function: s.id.clone(),
                    stage: s.assessment.stage(),
                    dod: r.crosswalk.dod.clone(),
                    nsa: r.crosswalk.nsa.clone(),
                })
                .collect(),
        },
        attestation: attestation.map(|a| AttestationSummary {
            file: a.file.clone(),
            attested_by: a.attested_by.clone(),
            date: a.date.clone(),
        }),
        projection,
        functions,
    }
}

/// True when the projection recomputes a metric this function's conditions read.
fn projects(f: &FunctionRubric, projected: Option<&Projected>) -> bool {
    let Some(p) = projected else { return false };
    metric_ids(f)
        .iter()
        .any(|id| p.metrics.iter().any(|m| m.id == *id))
}

fn metric_ids(f: &FunctionRubric) -> BTreeSet<String> {
    f.traditional
        .triggers
        .iter()
        .flat_map(|t| t.conditions.iter().map(|c| &c.metric))
        .chain(f.initial.conditions.iter().map(|c| &c.metric))
        .chain(f.advanced.conditions.iter().map(|c| &c.metric))
        .map(|m| m.value.id.clone())
        .collect()
}

fn text_of(f: &FunctionRubric, stage: Stage) -> StageText {
    let text = match stage {
        Stage::Traditional => &f.traditional.ztmm,
        Stage::Initial => &f.initial.ztmm,
        Stage::Advanced => &f.advanced.ztmm,
        Stage::Optimal => &f.optimal.ztmm,
    };
    StageText {
        stage,
        text: text.clone(),
    }
}

fn earliest(mut flows: Vec<FlowRef>) -> Vec<FlowRef> {
    flows.sort_by_key(|f| (f.ts, f.flow_id));
    flows.dedup_by_key(|f| f.flow_id);
    flows.truncate(FUNCTION_EVIDENCE);
    flows
}

/// Encrypted east-west flows: what shows encryption holding (E1's own evidence lists the
/// cleartext flows that count against it).
fn encrypted_flows(a: &Analysis) -> Vec<FlowRef> {
    a.edges
        .iter()
        .filter(|e| e.is_service() && e.east_west)
        .flat_map(|e| {
            e.edge
                .evidence
                .iter()
                .filter(|(c, _)| c.is_encrypted() && **c != AuthClass::NotApplicable)
                .filter_map(|(_, s)| s.flows().first().cloned())
        })
        .collect()
}

/// The metrics a function used, with the thresholds the rubric compares them with.
fn metric_uses(f: &FunctionRubric, figures: &Figures, e: &Evaluation<'_>) -> Vec<MetricUse> {
    metric_ids(f)
        .into_iter()
        .filter_map(|id| figures.get(&id).map(|fig| (id, fig)))
        .map(|(id, fig)| {
            let mut u = fig.use_.clone();
            u.thresholds = e
                .conditions
                .iter()
                .filter(|c| c.metric.split('.').next() == Some(id.as_str()))
                .map(|c| {
                    format!(
                        "{} {} {} ({}: {})",
                        c.metric, c.op, c.threshold, c.stage, c.id
                    )
                })
                .collect();
            u
        })
        .collect()
}

fn confidence(analysis: &Analysis, rubric: &Rubric, unknown: bool) -> (Confidence, Vec<String>) {
    let mut level = Confidence::High;
    let mut reasons = Vec::new();
    let lower = |l: Confidence| match l {
        Confidence::High => Confidence::Medium,
        _ => Confidence::Low,
    };
    let c = &analysis.coverage;
    if c.duration_seconds < rubric.confidence.min_duration_seconds {
        level = lower(level);
        reasons.push(format!(
            "the capture covers {:.0} s, less than {:.0} s: periodic jobs may be missing",
            c.duration_seconds, rubric.confidence.min_duration_seconds
        ));
    }
    if let Some(opaque) = c.opaque_bytes_share
        && opaque > rubric.confidence.max_opaque_bytes_share.value
    {
        level = lower(level);
        reasons.push(format!(
            "{:.1}% of bytes were opaque (more than {:.1}%): classification may miss traffic",
            opaque * 100.0,
            rubric.confidence.max_opaque_bytes_share.value * 100.0
        ));
    }
    if unknown {
        level = Confidence::Low;
        reasons.push(
            "a condition of the next stage could not be evaluated (its metric has no value)"
                .to_owned(),
        );
    }
    (level, reasons)
}

fn indicators(analysis: &Analysis, f: &FunctionRubric) -> Vec<Indicator> {
    f.indicators
        .iter()
        .map(|rule| {
            let matching: Vec<_> = analysis
                .edges
                .iter()
                .filter(|e| e.is_service())
                .filter(|e| {
                    rule.ports
                        .iter()
                        .any(|p| p.contains(e.key.transport, e.key.port))
                        || rule.apps.contains(&e.app)
                })
                .collect();
            let servers: BTreeSet<_> = matching.iter().map(|e| e.key.server).collect();
            Indicator {
                id: rule.id.clone(),
                name: rule.name.clone(),
                edges: matching.len() as u64,
                flows: matching.iter().map(|e| e.edge.flows).sum(),
                servers: servers.len() as u64,
                evidence: earliest(
                    matching
                        .iter()
                        .filter_map(|e| e.first_answered().cloned())
                        .collect(),
                ),
            }
        })
        .collect()
}

fn not_assessable(
    f: &FunctionRubric,
    reason: String,
    question: String,
    analysis: &Analysis,
) -> FunctionScore {
    FunctionScore {
        id: f.id.value.clone(),
        name: f.name.clone(),
        ztmm_ref: f.ztmm_ref.clone(),
        assessment: Assessment::NotAssessableFromTraffic {
            reason: reason.clone(),
            question,
        },
        confidence: Confidence::Low,
        confidence_reasons: vec!["no stage: nothing to be confident about".to_owned()],
        reasons: vec![reason.clone()],
        conditions: Vec::new(),
        metrics: Vec::new(),
        reached: None,
        next: None,
        evidence: Vec::new(),
        caps: vec![Cap {
            id: "not_assessable_from_traffic".to_owned(),
            description: reason,
        }],
        indicators: indicators(analysis, f),
        next_steps: Vec::new(),
        attestation: None,
    }
}

/// Applies an attestation answer, if any, to a scored function.
fn attest(fs: &mut FunctionScore, f: &FunctionRubric, attestation: Option<&Attestation>) {
    let Some(a) = attestation else { return };
    let Some(ans) = a.answer(&f.id.value) else {
        return;
    };
    let claimed = ans.stage.value;
    let observed = match &fs.assessment {
        Assessment::Observed { stage } => Some(*stage),
        _ => None,
    };
    let refusal = match (f.assess, observed) {
        (Assess::Traffic, Some(Stage::Advanced)) if claimed == Stage::Optimal => None,
        (Assess::Traffic, Some(seen)) if claimed == Stage::Optimal => Some(format!(
            "Optimal needs Advanced shown by the traffic first; the traffic shows {seen}"
        )),
        (Assess::Traffic, Some(seen)) => Some(format!(
            "the traffic decides this function up to Advanced ({seen} observed); an \
             attestation can only add Optimal"
        )),
        (Assess::Traffic, None) if claimed == Stage::Optimal => Some(
            "Optimal needs Advanced shown by the traffic first, and this capture could not \
             assess the function"
                .to_owned(),
        ),
        _ => None,
    };
    let applied = refusal.is_none();
    if applied {
        fs.assessment = Assessment::Attested {
            stage: claimed,
            observed,
        };
        fs.reached = Some(text_of(f, claimed));
        fs.next = claimed.next().map(|n| text_of(f, n));
        fs.confidence = Confidence::Low;
        fs.confidence_reasons.push(format!(
            "attested by {} ({}), not verified by segscope",
            a.attested_by, a.date
        ));
        fs.reasons.push(format!(
            "attested {claimed}: {} ({})",
            ans.evidence,
            ans.question
                .as_deref()
                .unwrap_or("no questionnaire item named")
        ));
        fs.caps
            .retain(|c| claimed != Stage::Optimal || c.id != "optimal_requires_control_plane");
        if claimed >= Stage::Advanced {
            fs.next_steps.clear();
        }
    }
    fs.attestation = Some(AttestedClaim {
        stage: claimed,
        attested_by: a.attested_by.clone(),
        evidence: ans.evidence.clone(),
        applied,
        note: refusal,
    });
}

fn function(
    analysis: &Analysis,
    rubric: &Rubric,
    f: &FunctionRubric,
    figures: &Figures,
    attestation: Option<&Attestation>,
    policy: &[PolicyRuleSummary],
    projected_stage: Option<Stage>,
) -> FunctionScore {
    let mut fs = match f.assess {
        Assess::NotAssessableFromTraffic => not_assessable(
            f,
            f.reason.clone().unwrap_or_default(),
            f.question.clone(),
            analysis,
        ),
        Assess::Traffic => {
            let missing: Vec<String> = f
                .requires
                .iter()
                .filter_map(|r| {
                    let id = r.value.as_str();
                    match figures
                        .get(id)
                        .map(|g| (&g.use_.value, &g.use_.not_computed))
                    {
                        Some((Some(_), _)) => None,
                        Some((None, why)) => {
                            Some(format!("{id}: {}", why.as_deref().unwrap_or("no value")))
                        }
                        None => Some(format!("{id}: not in this analysis")),
                    }
                })
                .collect();
            if missing.is_empty() {
                traffic_function(analysis, rubric, f, figures, policy, projected_stage)
            } else {
                let mut fs = not_assessable(
                    f,
                    format!("this capture cannot assess it: {}", missing.join("; ")),
                    format!(
                        "Capture where east-west traffic between segments is visible (core or \
                         per-segment SPAN, ERSPAN, flow export), for at least a week; or \
                         answer {}",
                        f.question
                    ),
                    analysis,
                );
                fs.indicators.clear();
                fs
            }
        }
    };
    attest(&mut fs, f, attestation);
    fs
}

fn traffic_function(
    analysis: &Analysis,
    rubric: &Rubric,
    f: &FunctionRubric,
    figures: &Figures,
    policy: &[PolicyRuleSummary],
    projected_stage: Option<Stage>,
) -> FunctionScore {
    let e = evaluate(f, figures);
    let metrics = metric_uses(f, figures, &e);
    let Some(stage) = e.stage else {
        let mut fs = not_assessable(
            f,
            format!(
                "this capture cannot show whether Initial holds, and no Traditional trigger \
                 holds: {}",
                e.reasons.join("; ")
            ),
            format!(
                "Declare the inventory (roles, zones, critical assets) and capture where the \
                 missing traffic is visible; or answer {}",
                f.question
            ),
            analysis,
        );
        fs.conditions = e.conditions;
        fs.metrics = metrics;
        fs.indicators.clear();
        return fs;
    };
    let mut evidence: Vec<FlowRef> = metrics
        .iter()
        .filter(|m| e.deciding.contains(&m.id))
        .flat_map(|m| m.evidence.iter().cloned())
        .collect();
    if f.id.value == "traffic_encryption" && stage > Stage::Traditional {
        evidence.extend(encrypted_flows(analysis));
    }
    if evidence.is_empty() {
        // The deciding conditions hold vacuously or count failures that never happened:
        // show the flows behind the other metrics used.
        evidence = metrics
            .iter()
            .flat_map(|m| m.evidence.iter().cloned())
            .collect();
    }
    let (mut confidence, mut confidence_reasons) = confidence(analysis, rubric, e.unknown);
    let initial_vacuous = e
        .conditions
        .iter()
        .filter(|c| c.stage == Stage::Initial)
        .all(|c| c.outcome == Outcome::Vacuous);
    if stage >= Stage::Initial && initial_vacuous {
        confidence = Confidence::Low;
        confidence_reasons
            .push("every Initial condition holds only vacuously (nothing to measure)".to_owned());
    }
    let towards = stage.next().filter(|_| stage < Stage::Advanced);
    let next_steps = towards
        .map(|t| {
            next::next_steps(
                analysis,
                &e.blockers,
                t,
                policy,
                projected_stage.map(|p| p >= t),
            )
        })
        .unwrap_or_default();
    let mut reasons = e.reasons.clone();
    if stage == Stage::Advanced {
        reasons.push(format!(
            "optimal: not from traffic alone: {}",
            f.optimal
                .cap
                .as_deref()
                .unwrap_or("needs control-plane evidence")
        ));
    }
    FunctionScore {
        id: f.id.value.clone(),
        name: f.name.clone(),
        ztmm_ref: f.ztmm_ref.clone(),
        assessment: Assessment::Observed { stage },
        confidence,
        confidence_reasons,
        reasons,
        conditions: e.conditions,
        metrics,
        reached: Some(text_of(f, stage)),
        next: stage.next().map(|n| text_of(f, n)),
        evidence: earliest(evidence),
        caps: vec![Cap {
            id: "optimal_requires_control_plane".to_owned(),
            description: f
                .optimal
                .cap
                .clone()
                .unwrap_or_else(|| "Optimal is never reached from traffic alone".to_owned()),
        }],
        indicators: indicators(analysis, f),
        next_steps,
        attestation: None,
    }
}

fn rollup(functions: &[FunctionScore]) -> Rollup {
    let observed: Vec<(&str, Stage)> = functions
        .iter()
        .filter_map(|f| match f.assessment {
            Assessment::Observed { stage } => Some((f.id.as_str(), stage)),
            _ => None,
        })
        .collect();
    let min = observed.iter().map(|(_, s)| *s).min();
    let any_attested = functions
        .iter()
        .any(|f| matches!(f.assessment, Assessment::Attested { .. }));
    Rollup {
        method: "the weakest (minimum) stage over the functions assessed from traffic; ZTMM \
                 defines no roll-up, so each function's own stage is the result that counts"
            .to_owned(),
        observed: min,
        weakest: observed
            .iter()
            .filter(|(_, s)| Some(*s) == min)
            .map(|(id, _)| (*id).to_owned())
            .collect(),
        with_attested: any_attested
            .then(|| functions.iter().filter_map(|f| f.assessment.stage()).min())
            .flatten(),
        excluded: functions
            .iter()
            .filter_map(|f| match &f.assessment {
                Assessment::NotAssessableFromTraffic { reason, .. } => Some(Excluded {
                    function: f.id.clone(),
                    reason: reason.clone(),
                }),
                Assessment::Attested { .. } => Some(Excluded {
                    function: f.id.clone(),
                    reason: "attested, not observed: counted only in `with_attested`".to_owned(),
                }),
                Assessment::Observed { .. } => None,
            })
            .collect(),
    }
}

fn projection(
    rubric: &Rubric,
    functions: &[FunctionScore],
    pf: &Figures,
    p: &Projected,
) -> Projection {
    let rows = rubric
        .functions
        .iter()
        .zip(functions)
        .filter(|(f, _)| f.assess == Assess::Traffic)
        .map(|(f, s)| {
            let observed = match s.assessment {
                Assessment::Observed { stage } => Some(stage),
                Assessment::Attested { observed, .. } => observed,
                Assessment::NotAssessableFromTraffic { .. } => None,
            };
            if !projects(f, Some(p)) {
                return ProjectedStage {
                    function: f.id.value.clone(),
                    label: "projected".to_owned(),
                    observed,
                    projected: None,
                    note: "the projection recomputes segmentation and authentication metrics \
                           only; this function's metrics are not projected"
                        .to_owned(),
                    conditions: Vec::new(),
                    metrics: Vec::new(),
                };
            }
            let e = evaluate(f, pf);
            let projected = e.stage;
            let metrics = metric_uses(f, pf, &e)
                .into_iter()
                .filter(|m| m.source == model::MetricSource::Projected)
                .collect();
            ProjectedStage {
                function: f.id.value.clone(),
                label: "projected".to_owned(),
                observed,
                projected,
                note: "as if the proposed policy were enforced: a projection, never evidence. \
                       Default-deny evidence (S4) stays as observed, so the projected stage \
                       rises only as far as observed enforcement allows"
                    .to_owned(),
                conditions: e.conditions,
                metrics,
            }
        })
        .collect();
    Projection {
        label: "projected".to_owned(),
        edges_blocked: p.edges_blocked,
        flows_blocked: p.flows_blocked,
        functions: rows,
    }
}
