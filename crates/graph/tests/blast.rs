//! Blast radius: multi-hop paths to a critical asset through admin and unauthenticated edges,
//! cycles, and the projection "as if enforced".

mod common;

use common::{close, key, run};
use segscope_graph::{AnalysisInputs, Basis, reachable_from, recompute_with};

const INVENTORY: &str = "cidr,zone,criticality\n\
    10.1.0.0/24,users,\n\
    10.2.0.0/24,app,\n\
    10.3.0.0/24,data,\n\
    10.3.0.10,,critical\n";

const FLOWS: &[&str] = &[
    // A workstation administers an app server...
    "10.1.0.11 -> 10.2.0.10 tcp/22 app=ssh auth=ssh",
    // ...the app servers administer each other (a cycle)...
    "10.2.0.10 -> 10.2.0.11 tcp/22 app=ssh auth=ssh",
    "10.2.0.11 -> 10.2.0.10 tcp/22 app=ssh auth=ssh",
    // ...and one of them uses Redis on the critical database without authentication.
    "10.2.0.11 -> 10.3.0.10 tcp/6379 app=redis auth=cleartext_unauthenticated",
    // Authenticated TLS is not a movement edge.
    "10.1.0.12 -> 10.2.0.10 tcp/443 app=tls auth=mtls",
];

#[test]
fn paths_to_the_critical_asset_are_shortest_and_multi_hop() {
    let a = run(FLOWS, Some(INVENTORY), None);
    let b = &a.blast_radius;
    assert_eq!(b.basis, Basis::Observed);
    assert_eq!(b.movement_edges, 4);
    let ws = b.of(&key("10.1.0.11")).expect("workstation reaches");
    assert_eq!((ws.reachable, ws.reachable_critical), (3, 1));
    assert_eq!(ws.paths.len(), 1);
    let path = &ws.paths[0];
    assert_eq!(path.target, key("10.3.0.10"));
    let hops: Vec<(String, String, String)> = path
        .hops
        .iter()
        .map(|h| (h.client.to_string(), h.server.to_string(), h.via.clone()))
        .collect();
    assert_eq!(
        hops,
        [
            ("10.1.0.11".into(), "10.2.0.10".into(), "ssh".into()),
            ("10.2.0.10".into(), "10.2.0.11".into(), "ssh".into()),
            (
                "10.2.0.11".into(),
                "10.3.0.10".into(),
                "cleartext_unauthenticated redis".into()
            ),
        ]
    );
    // Both app servers are in one strongly connected component: each reaches the other and
    // the database.
    for ip in ["10.2.0.10", "10.2.0.11"] {
        let r = b.of(&key(ip)).expect("app server reaches");
        assert_eq!((r.reachable, r.reachable_critical), (2, 1), "{ip}");
    }
    assert_eq!(
        b.of(&key("10.2.0.11")).map(|r| r.paths[0].hops.len()),
        Some(1)
    );
    assert!(b.of(&key("10.1.0.12")).is_none(), "mTLS is not followed");
    assert!(
        b.of(&key("10.3.0.10")).is_none(),
        "the database reaches nothing"
    );
    assert_eq!(
        b.top_footholds,
        [key("10.1.0.11"), key("10.2.0.10"), key("10.2.0.11")]
    );
}

#[test]
fn projection_blocks_edges_and_labels_everything_projected() {
    let a = run(FLOWS, Some(INVENTORY), None);
    let rules = AnalysisInputs::embedded().expect("rules").rules;
    let redis = |k: &segscope_core::EdgeKey| k.port != 6379;
    let p = recompute_with(&a, &rules, redis);
    assert_eq!(p.basis, Basis::Projected);
    assert_eq!((p.edges_blocked, p.flows_blocked), (1, 1));
    assert_eq!(p.edges_allowed, a.edges.len() as u64 - 1);
    assert_eq!(p.blast_radius.basis, Basis::Projected);
    let ws = p.blast_radius.of(&key("10.1.0.11")).expect("still reaches");
    assert_eq!((ws.reachable, ws.reachable_critical), (2, 0));
    assert!(p.metrics.iter().all(|m| m.basis == Basis::Projected));
    assert!(
        p.metrics.iter().all(|m| m.id != "S4"),
        "S4 is never projected"
    );
    // Observed S1: users->app, app->data, users->app(TLS) = 2 pairs of 3·2.
    close(a.metric("S1").and_then(|m| m.value), 2.0 / 6.0);
    // Projected: app->data is gone, and data is no longer active: 1 pair of 2·1.
    close(
        p.metrics
            .iter()
            .find(|m| m.id == "S1")
            .and_then(|m| m.value),
        1.0 / 2.0,
    );
    // The whole analysis is untouched by a projection.
    assert_eq!(
        a.blast_radius.of(&key("10.1.0.11")).map(|r| r.reachable),
        Some(3)
    );

    let mut reach = reachable_from(&a, &rules, &key("10.1.0.11"), |_| true);
    reach.sort();
    assert_eq!(
        reach,
        [key("10.2.0.10"), key("10.2.0.11"), key("10.3.0.10")]
    );
    let reach = reachable_from(&a, &rules, &key("10.1.0.11"), redis);
    assert_eq!(reach, [key("10.2.0.10"), key("10.2.0.11")]);
    let none = recompute_with(&a, &rules, |_| false);
    assert!(none.blast_radius.workloads.is_empty());
    assert_eq!(
        none.metrics
            .iter()
            .find(|m| m.id == "S1")
            .and_then(|m| m.value),
        None
    );
}

#[test]
fn a_damaged_analysis_is_recomputed_without_panicking() {
    let mut a = run(FLOWS, Some(INVENTORY), None);
    let rules = AnalysisInputs::embedded().expect("rules").rules;
    // An analysis read back from a file whose workloads were cut: edges now dangle.
    a.workloads.retain(|w| w.key != key("10.2.0.11"));
    let p = recompute_with(&a, &rules, |_| true);
    let ws = p
        .blast_radius
        .of(&key("10.1.0.11"))
        .expect("still reaches 10.2.0.10");
    assert_eq!(ws.reachable, 1);
    a.workloads.clear();
    let p = recompute_with(&a, &rules, |_| true);
    assert!(p.blast_radius.workloads.is_empty());
    assert!(reachable_from(&a, &rules, &key("10.1.0.11"), |_| true).is_empty());
}
