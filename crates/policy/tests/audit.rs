//! The audit report on hand-made traffic: per-rule hits, unused and broader-than-needed
//! rules, staging by zone, and the flows counted once.

use std::collections::BTreeSet;
use std::sync::Arc;

use segscope_core::FlowRecord;
use segscope_graph::synth::parse_flow_spec;
use segscope_policy::audit::{AuditOptions, AuditReport, AuditTally};
use segscope_policy::verdict::Evaluator;

const POLICY: &str = "\
schema: segscope.policy/1
name: audit-test
zones:
  - name: users
    members:
      - cidr: 10.1.0.0/24
  - name: apps
    members:
      - cidr: 10.2.0.0/24
  - name: data
    members:
      - cidr: 10.3.0.0/24
rules:
  - id: users-apps-range
    from: users
    to: apps
    service: tcp/9000-9010
  - id: apps-data
    from: apps
    to: data
    service: tcp/5432
  - id: never-used
    from: users
    to: data
    service: tcp/6379
";

fn records(lines: &[&str]) -> Vec<FlowRecord> {
    let file: Arc<str> = Arc::from("hand-made");
    let mut id = 0;
    lines
        .iter()
        .flat_map(|l| {
            parse_flow_spec(l)
                .unwrap_or_else(|e| panic!("{l}: {e}"))
                .records(&file, &mut id)
        })
        .collect()
}

fn audit(options: AuditOptions) -> AuditReport {
    let policy = segscope_policy::parse("p.yaml", POLICY).unwrap_or_else(|e| panic!("{e}"));
    let flows = records(&[
        "10.1.0.5 -> 10.2.0.10 tcp/9000 app=http auth=cleartext_unauthenticated count=3",
        "10.1.0.6 -> 10.2.0.10 tcp/9002 app=http auth=cleartext_unauthenticated",
        "10.2.0.10 -> 10.3.0.20 tcp/5432 app=postgresql auth=tls_server_only count=2",
        "10.1.0.5 -> 10.3.0.20 tcp/5432 outcome=no_reply",
        "10.1.0.5 -> 10.1.0.6 tcp/445 app=smb auth=ntlm",
        "192.168.9.9 -> 10.2.0.10 tcp/9000 outcome=no_reply",
    ]);
    let eval = Evaluator::new(&policy);
    let mut tally = AuditTally::default();
    for r in &flows {
        tally.observe(&eval, &options, r);
    }
    AuditReport::new(&policy, options, tally)
}

#[test]
fn hits_unused_and_broader_rules() {
    let r = audit(AuditOptions::default());
    assert_eq!(r.flows, 9);
    assert_eq!(r.by_verdict.get("allowed"), Some(&6));
    // users → data tcp/5432 (default deny) and users → users tcp/445 (intra-zone, default deny).
    assert_eq!(r.by_verdict.get("blocked_by_default"), Some(&2));
    assert_eq!(r.by_verdict.get("unmatched_zone"), Some(&1));
    assert_eq!(r.enforced_blocked, 2);
    assert_eq!(
        r.rule_hits.get("users-apps-range").map(|h| h.flows),
        Some(4)
    );
    assert_eq!(r.unused_rules, vec!["never-used".to_owned()]);
    assert_eq!(r.broader_than_needed.len(), 1);
    let b = &r.broader_than_needed[0];
    assert_eq!(
        (b.rule.as_str(), b.used_ports.clone(), b.unused_ports),
        ("users-apps-range", vec![9000, 9002], 9)
    );
    let users = r.zones.get("users").cloned().unwrap_or_default();
    assert_eq!((users.egress_blocked, users.intra_blocked), (1, 1));
    assert_eq!(r.zones.get("data").map(|z| z.ingress_blocked), Some(1));
    // Blocked rows come first.
    assert!(r.summary[0].verdict.starts_with("blocked"));
}

#[test]
fn staging_enforces_only_the_chosen_zones() {
    let only_data = AuditOptions {
        enforce_zones: Some(BTreeSet::from(["data".to_owned()])),
    };
    let r = audit(only_data);
    // users → data is blocked at data's ingress; users → users is not enforced yet.
    assert_eq!(r.enforced_blocked, 1);
    assert_eq!(r.by_verdict.get("blocked_by_default"), Some(&2));
    let only_apps = AuditOptions {
        enforce_zones: Some(BTreeSet::from(["apps".to_owned()])),
    };
    assert_eq!(audit(only_apps).enforced_blocked, 0);
}

#[test]
fn tallies_merge_in_any_order() {
    let policy = segscope_policy::parse("p.yaml", POLICY).unwrap_or_else(|e| panic!("{e}"));
    let eval = Evaluator::new(&policy);
    let flows = records(&[
        "10.1.0.5 -> 10.2.0.10 tcp/9000 count=4",
        "10.1.0.5 -> 10.3.0.20 tcp/80 count=3",
    ]);
    let opts = AuditOptions::default();
    let (mut a, mut b, mut whole) = (
        AuditTally::default(),
        AuditTally::default(),
        AuditTally::default(),
    );
    for (i, r) in flows.iter().enumerate() {
        whole.observe(&eval, &opts, r);
        if i % 2 == 0 {
            a.observe(&eval, &opts, r);
        } else {
            b.observe(&eval, &opts, r);
        }
    }
    let mut ab = a.clone();
    ab.merge(&b);
    let mut ba = b;
    ba.merge(&a);
    assert_eq!(ab, whole);
    assert_eq!(ba, whole);
}
