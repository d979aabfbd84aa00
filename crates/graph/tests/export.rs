//! Exporters: GraphML is well-formed XML whose every attribute is declared with a type, DOT
//! names every node and edge, JSON round-trips, Markdown carries findings with evidence, and
//! hostile names are escaped everywhere.

mod common;

use std::collections::BTreeMap;

use common::{inputs, run};
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use segscope_core::names::NameObservation;
use segscope_core::{NameSource, Timestamp};
use segscope_graph::{Analysis, analyze, markdown_section, synth, to_dot, to_graphml};

const FLOWS: &[&str] = &[
    "10.0.0.11 -> 10.0.0.12 tcp/445 app=smb auth=ntlm",
    "10.0.0.11 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.12 -> 10.0.0.50 tcp/80 app=http auth=cleartext_unauthenticated",
    "10.0.0.12 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.11 -> 10.0.0.53 udp/53 app=dns auth=not_applicable",
    "10.0.0.66 -> 10.0.1.1..25 tcp/22 outcome=no_reply",
];

fn hostile() -> Analysis {
    let mut set = synth::edge_set("cap<&>\".pcap", FLOWS).expect("flows");
    set.observe_name(&NameObservation {
        ip: "10.0.0.50".parse().expect("address"),
        name: "web\"<&>'|\u{1}\\n".to_owned(),
        source: NameSource::HttpHost,
        ts: Timestamp(0),
    });
    analyze(set, &inputs(None, None))
}

#[test]
fn graphml_is_well_formed_and_typed() {
    let a = hostile();
    let xml = to_graphml(&a);
    let mut reader = Reader::from_str(&xml);
    let mut keys: BTreeMap<String, (String, String)> = BTreeMap::new();
    let (mut nodes, mut edges) = (0, 0);
    let mut used: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut current = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let attr = |name: &str| {
                    e.attributes()
                        .filter_map(Result::ok)
                        .find(|a| a.key.as_ref() == name)
                        .and_then(|a| {
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                match e.name().as_ref() {
                    "key" => {
                        let id = attr("id").expect("key id");
                        let ty = attr("attr.type").expect("key type");
                        assert!(
                            ["string", "int", "long", "double", "boolean"].contains(&ty.as_str()),
                            "{ty}"
                        );
                        assert_eq!(attr("attr.name").as_deref(), Some(id.as_str()));
                        keys.insert(id, (attr("for").expect("for"), ty));
                    }
                    "node" => nodes += 1,
                    "edge" => edges += 1,
                    "data" => {
                        used.push(attr("key").expect("data key"));
                        current.clear();
                    }
                    _ => {}
                }
            }
            Ok(Event::Text(t)) => current.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                let name = r.xml10_content();
                current.push_str(
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .unwrap_or_else(|| panic!("unexpected entity {name}")),
                );
            }
            Ok(Event::End(e)) if e.name().as_ref() == "data" => texts.push(current.clone()),
            Ok(_) => {}
            Err(e) => panic!("malformed GraphML at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(nodes, a.workloads.len());
    let drawn = a
        .edges
        .iter()
        .filter(|e| {
            matches!(
                e.status,
                segscope_graph::EdgeStatus::Service | segscope_graph::EdgeStatus::AttemptsOnly
            )
        })
        .count();
    assert_eq!(edges, drawn);
    for k in &used {
        assert!(keys.contains_key(k), "data key {k} not declared");
    }
    assert_eq!(keys.get("port").map(|k| k.1.as_str()), Some("int"));
    assert_eq!(keys.get("flows").map(|k| k.1.as_str()), Some("long"));
    assert_eq!(keys.get("critical").map(|k| k.1.as_str()), Some("boolean"));
    assert!(
        texts.iter().any(|t| t.starts_with("web\"<&>'|\u{fffd}")),
        "hostile name survives escaping: {texts:?}"
    );
}

#[test]
fn dot_names_every_node_and_escapes_labels() {
    let a = hostile();
    let dot = to_dot(&a);
    assert!(dot.starts_with("digraph segscope {"));
    assert!(dot.trim_end().ends_with('}'));
    for w in &a.workloads {
        assert!(dot.contains(&format!("\"{}\" [label=", w.key)), "{}", w.key);
    }
    assert!(dot.contains("\"10.0.0.11\" -> \"10.0.0.12\""));
    assert!(dot.contains("web\\\"<&>'|\u{fffd}\\\\n"), "escaped name");
    assert!(!dot.contains('\u{1}'));
    // Every quote inside labels is escaped: quotes are balanced per line.
    for line in dot.lines() {
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(unescaped.matches('"').count() % 2, 0, "{line}");
    }
}

#[test]
fn json_round_trips_and_is_deterministic() {
    let a = run(FLOWS, None, None);
    let json = serde_json::to_string(&a).expect("serialise");
    let back: Analysis = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, a);
    assert_eq!(
        json,
        serde_json::to_string(&run(FLOWS, None, None)).expect("again")
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("value");
    assert_eq!(v["schema"], "segscope.analysis/1");
    let edge = &v["edges"][0];
    for field in [
        "key",
        "status",
        "flows",
        "established",
        "auth",
        "evidence",
        "client_segment",
    ] {
        assert!(edge.get(field).is_some(), "edge field {field}");
    }
    let f = &v["findings"][0];
    for field in [
        "id",
        "kind",
        "severity",
        "title",
        "explanation",
        "workloads",
        "edges",
        "evidence",
        "remediation",
    ] {
        assert!(f.get(field).is_some(), "finding field {field}");
    }
    let ev = &f["evidence"][0];
    for field in ["flow_id", "community_id", "file", "first_frame"] {
        assert!(ev.get(field).is_some(), "evidence field {field}");
    }
}

#[test]
fn markdown_lists_metrics_findings_and_evidence() {
    let a = hostile();
    let md = markdown_section(&a);
    assert!(md.starts_with("## Workloads, segmentation and lateral movement"));
    assert!(md.contains("| S1 |") && md.contains("| A2 |"));
    for f in &a.findings {
        assert!(md.contains(&f.id), "{}", f.id);
    }
    assert!(md.contains("Community ID `1:"));
    assert!(md.contains("Remediation:"));
    assert!(md.contains("less than 7 days"));
    assert!(md.contains("web\"<&>'\\|"), "pipes escaped in tables");
}
