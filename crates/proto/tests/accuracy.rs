//! Precision and recall of the `auth` verdict over every labelled conversation: the bytes come
//! from real encoders (see `segscope_gen::convo`), the labels from how each session was built.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use segscope_core::{AuthClass, Classify, DirPayload, Endpoint, FlowMeta, Timestamp, Transport};
use segscope_gen::convo::{self, Conversation};
use segscope_proto::Classifier;
use segscope_rules::RuleSource;

fn classify(c: &Classifier, conv: &Conversation) -> segscope_core::Classification {
    let (cb, cl) = conv.side(true);
    let (sb, sl) = conv.side(false);
    let udp = conv.transport != Transport::TCP;
    let meta = FlowMeta {
        transport: conv.transport,
        client: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 1, 1, 10)),
            port: 50_000,
        },
        server: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 2, 2, 20)),
            port: conv.server_port,
        },
        direction_inferred: false,
        first_ts: Timestamp(1_700_000_000_000_000_000),
        last_ts: Timestamp(1_700_000_001_000_000_000),
        server_answered: !sb.is_empty(),
    };
    let dir = |b: &[u8], l: &[u32]| -> (Vec<u8>, Vec<u32>) {
        (b.to_vec(), if udp { l.to_vec() } else { Vec::new() })
    };
    let (cb, cl) = dir(&cb, &cl);
    let (sb, sl) = dir(&sb, &sl);
    c.classify(
        &meta,
        DirPayload {
            bytes: &cb,
            datagrams: &cl,
            ..Default::default()
        },
        DirPayload {
            bytes: &sb,
            datagrams: &sl,
            ..Default::default()
        },
    )
}

#[test]
fn auth_precision_and_recall_over_labelled_conversations() {
    let rules = Arc::new(RuleSource::embedded().protocols().expect("shipped rules"));
    let classifier = Classifier::new(rules);
    let convs = convo::all();
    // (expected, got) → count
    let mut confusion: BTreeMap<(AuthClass, AuthClass), u32> = BTreeMap::new();
    let mut wrong = Vec::new();
    for conv in &convs {
        let got = classify(&classifier, conv);
        *confusion.entry((conv.auth, got.auth)).or_default() += 1;
        if got.auth != conv.auth || got.app_proto != conv.app {
            wrong.push(format!(
                "{}: expected {}/{}, got {}/{} ({})",
                conv.name, conv.app, conv.auth, got.app_proto, got.auth, got.evidence.reason
            ));
        }
    }
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>9} {:>7}",
        "auth class", "truth", "found", "right", "precision", "recall"
    );
    let mut failures = Vec::new();
    for class in AuthClass::ALL {
        let truth: u32 = confusion
            .iter()
            .filter(|((e, _), _)| *e == class)
            .map(|(_, n)| n)
            .sum();
        let found: u32 = confusion
            .iter()
            .filter(|((_, g), _)| *g == class)
            .map(|(_, n)| n)
            .sum();
        let right = confusion.get(&(class, class)).copied().unwrap_or(0);
        if truth == 0 && found == 0 {
            continue;
        }
        let precision = if found == 0 {
            0.0
        } else {
            right as f64 / found as f64
        };
        let recall = if truth == 0 {
            0.0
        } else {
            right as f64 / truth as f64
        };
        println!(
            "{:<28} {truth:>6} {found:>6} {right:>6} {:>8.1}% {:>6.1}%",
            class.as_str(),
            precision * 100.0,
            recall * 100.0
        );
        let goal = if class == AuthClass::CleartextCredentials {
            1.0
        } else {
            0.99
        };
        if precision < goal || recall < goal {
            failures.push(format!(
                "{class}: precision {precision:.3}, recall {recall:.3}, goal {goal}"
            ));
        }
    }
    for w in &wrong {
        println!("MISCLASSIFIED {w}");
    }
    println!("{} labelled conversations", convs.len());
    assert!(convs.len() >= 100, "the labelled set is present");
    assert!(
        failures.is_empty(),
        "accuracy goals missed: {failures:#?}\n{wrong:#?}"
    );
}
