//! The `tests:` of `rules/ztmm/networks.yaml`, the projection under a policy, and next steps
//! from a proposed policy, on small networks written as flow lines.

use segscope_graph::{AnalysisInputs, analyze, recompute_with, synth};
use segscope_rules::RuleSource;
use segscope_score::rubric::RUBRIC_FILE;
use segscope_score::{
    PolicyRuleSummary, Rubric, Stage, run_rubric_tests, score, score_with_policy,
};

fn inputs() -> AnalysisInputs {
    AnalysisInputs::embedded().expect("shipped rules")
}

#[test]
fn the_shipped_rubric_passes_its_own_tests() {
    let rubric = Rubric::embedded().expect("shipped rubric");
    let outcomes = run_rubric_tests(&rubric, &inputs(), RUBRIC_FILE);
    assert_eq!(outcomes.len(), rubric.tests.len());
    for o in &outcomes {
        assert!(o.passed, "{}:{} {}: {}", o.file, o.line, o.name, o.detail);
    }
}

#[test]
fn a_wrong_expectation_fails_with_its_line() {
    let (_, text) = RuleSource::embedded().read(RUBRIC_FILE).expect("embedded");
    let bad = text.replacen(
        "      network_segmentation: advanced",
        "      network_segmentation: initial",
        1,
    );
    assert_ne!(bad, text);
    let rubric = Rubric::parse("n.yaml", &bad).expect("still valid");
    let outcomes = run_rubric_tests(&rubric, &inputs(), "n.yaml");
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    assert_eq!(failed.len(), 1, "{outcomes:?}");
    assert!(
        failed[0]
            .detail
            .contains("expected network_segmentation initial, got advanced")
    );
    assert!(failed[0].line > 0);
}

const FLAT: &[&str] = &[
    "10.0.1.5 -> 10.0.2.6 tcp/445 app=smb auth=ntlm",
    "10.0.2.6 -> 10.0.1.5 tcp/445 app=smb auth=ntlm",
    "10.0.1.5 -> 10.0.2.6 tcp/3389 app=rdp auth=encrypted_other",
    "10.0.1.5 -> 10.0.3.7 tcp/443 app=tls auth=tls_server_only",
    "10.0.2.6 -> 10.0.3.7 tcp/443 app=tls auth=tls_server_only",
    "10.0.1.5 -> 10.0.3.8 tcp/80 app=http auth=cleartext_unauthenticated",
];

#[test]
fn projection_is_labelled_and_never_the_score() {
    let i = inputs();
    let a = analyze(synth::edge_set("p", FLAT).expect("flows"), &i);
    let rubric = Rubric::embedded().expect("rubric");
    let plain = score(&a, &rubric, None, None);
    // A policy that blocks every admin protocol between workstations.
    let projected = recompute_with(&a, &i.rules, |k| !matches!(k.port, 445 | 3389));
    let s = score(&a, &rubric, None, Some(&projected));
    assert_eq!(
        s.function("network_segmentation").map(|f| &f.assessment),
        plain
            .function("network_segmentation")
            .map(|f| &f.assessment),
        "a projection never changes the observed stage"
    );
    let p = s.projection.as_ref().expect("projection section");
    assert_eq!(p.label, "projected");
    assert_eq!(p.edges_blocked, 3);
    let seg = p
        .functions
        .iter()
        .find(|f| f.function == "network_segmentation")
        .expect("segmentation projected");
    assert_eq!(seg.observed, Some(Stage::Traditional));
    let s3a = seg
        .conditions
        .iter()
        .find(|c| c.id == "workstation_admin_exposure");
    assert_eq!(
        s3a.and_then(|c| c.value),
        Some(0.0),
        "admin sessions blocked"
    );
    assert!(
        seg.metrics.iter().all(|m| m.id != "S4"),
        "S4 is never projected"
    );
    let enc = p
        .functions
        .iter()
        .find(|f| f.function == "traffic_encryption")
        .expect("encryption row");
    assert_eq!(enc.projected, None, "encryption metrics are not projected");
}

#[test]
fn a_proposed_policy_becomes_a_ranked_next_step() {
    let i = inputs();
    let a = analyze(synth::edge_set("p", FLAT).expect("flows"), &i);
    let rubric = Rubric::embedded().expect("rubric");
    let policy = [PolicyRuleSummary {
        id: "R1".into(),
        from: "net:10.0.1.0/24".into(),
        to: "net:10.0.3.0/24".into(),
        services: vec!["tcp/443".into()],
        description: "users to web".into(),
    }];
    let s = score_with_policy(&a, &rubric, None, None, &policy);
    let seg = s.function("network_segmentation").expect("segmentation");
    let ranks: Vec<u32> = seg.next_steps.iter().map(|n| n.rank).collect();
    assert_eq!(ranks, (1..=ranks.len() as u32).collect::<Vec<_>>());
    let step = seg
        .next_steps
        .iter()
        .find(|n| n.policy_rule.is_some())
        .expect("policy step");
    assert!(
        step.action
            .contains("R1 net:10.0.1.0/24 -> net:10.0.3.0/24 tcp/443")
    );
    assert!(seg.next_steps.iter().all(|n| n.towards == Stage::Initial));
    for w in seg.next_steps.windows(2) {
        assert!(
            w[0].completes_stage >= w[1].completes_stage,
            "steps that complete the stage come first"
        );
    }
}
