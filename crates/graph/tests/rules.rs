//! The `tests:` of the shipped `rules/findings.yaml` pass, and they can fail.

use segscope_graph::run_rule_tests;
use segscope_rules::{FindingRules, RuleSource};

#[test]
fn shipped_finding_rule_tests_pass() {
    let src = RuleSource::embedded();
    let protocols = src.protocols().expect("protocols.yaml");
    let rules = src.findings().expect("findings.yaml");
    let outcomes = run_rule_tests(&protocols, &rules, "rules/findings.yaml");
    assert!(outcomes.len() >= 15, "{} tests", outcomes.len());
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(outcomes.iter().all(|o| o.line > 0));
}

#[test]
fn a_changed_threshold_breaks_the_test_that_depends_on_it() {
    let src = RuleSource::embedded();
    let protocols = src.protocols().expect("protocols.yaml");
    let (_, text) = src.read("findings.yaml").expect("embedded");
    let raised = text.replacen("min_hosts: 20", "min_hosts: 200", 1);
    let raised = raised.replacen("min_ports_on_one_host: 20", "min_ports_on_one_host: 200", 1);
    let rules = FindingRules::parse("findings.yaml", &raised).expect("still valid");
    let outcomes = run_rule_tests(&protocols, &rules, "findings.yaml");
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(
        failed,
        ["thirty unanswered SSH probes are a scan"],
        "{outcomes:#?}"
    );
    let detail = &outcomes
        .iter()
        .find(|o| !o.passed)
        .expect("one failure")
        .detail;
    assert!(
        detail.contains("expected 1 scan finding(s), got 0"),
        "{detail}"
    );
}
