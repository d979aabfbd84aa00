//! The `segscope` binary end to end on the project's generated captures: flow records against
//! the generator's ground truth (every flow, state, endpoint and counter known by
//! construction), the same records whatever the input format, the worker count or the way the
//! input arrives, and the documented exit codes and messages for bad input.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use segscope_core::FlowRecord;
use segscope_gen::capture::Format;
use segscope_gen::truth::{Truth, TruthFlow};
use segscope_gen::{Mode, generate};

use common::{flows, parse_jsonl, run, segscope};

fn captures() -> PathBuf {
    segscope_gen::testdata::project_captures()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn truth_of(mode: Mode) -> Truth {
    generate(mode, 1, Format::Pcapng, std::io::sink(), true)
        .expect("generate")
        .truth
        .expect("truth kept")
}

/// Every truth flow is one record starting at the same frame, with the same endpoints,
/// transport, VLANs, state and per-direction packets and bytes; no extra records.
fn assert_flows_match_truth(records: &[FlowRecord], truth: &[TruthFlow]) {
    let by_frame: BTreeMap<u64, &FlowRecord> =
        records.iter().map(|r| (r.source.first_frame, r)).collect();
    let mut diffs = Vec::new();
    for t in truth {
        let Some(r) = by_frame.get(&t.first_frame) else {
            diffs.push(format!("frame {}: no record", t.first_frame));
            continue;
        };
        let got = (
            r.transport,
            r.client,
            r.server,
            r.vlan,
            r.inner_vlan,
            r.state,
            (r.client_stats.packets, r.client_stats.bytes),
            (r.server_stats.packets, r.server_stats.bytes),
        );
        let want = (
            t.transport,
            t.client,
            t.server,
            t.vlan,
            t.inner_vlan,
            t.state,
            (t.client_stats.packets, t.client_stats.bytes),
            (t.server_stats.packets, t.server_stats.bytes),
        );
        if got != want {
            diffs.push(format!(
                "frame {}: segscope {got:?}\n          truth    {want:?}",
                t.first_frame
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert_eq!(records.len(), truth.len(), "records vs truth flows");
}

#[test]
fn demo_flows_match_the_generator_truth() {
    let truth = truth_of(Mode::Demo);
    let records = flows(&[&captures().join("demo.pcapng")], &[]);
    assert_flows_match_truth(&records, &truth.flows);
    let states = records.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.state.as_str()).or_insert(0) += 1;
        m
    });
    // Stated in captures/README.md, by construction.
    assert_eq!(
        states,
        BTreeMap::from([
            ("REJ", 2),
            ("RSTO", 1),
            ("RSTR", 1),
            ("S0", 4),
            ("S1", 1),
            ("SF", 54)
        ])
    );
}

#[test]
fn lab_flows_and_protocols_match_the_scenario_truth() {
    let text = std::fs::read_to_string(captures().join("lab.json")).expect("lab.json");
    let truth: Truth = serde_json::from_str(&text).expect("truth");
    let records = flows(&[&captures().join("lab.pcapng")], &[]);
    assert_flows_match_truth(&records, &truth.flows);
    let by_frame: BTreeMap<u64, &FlowRecord> =
        records.iter().map(|r| (r.source.first_frame, r)).collect();
    let wrong: Vec<String> = truth
        .flows
        .iter()
        .filter(|t| t.client_stats.bytes + t.server_stats.bytes > 0)
        .filter_map(|t| {
            let r = by_frame.get(&t.first_frame)?;
            (r.app_proto != t.app).then(|| {
                format!(
                    "frame {}: {} expected, got {}",
                    t.first_frame, t.app, r.app_proto
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Records without the input's name (which differs between the runs compared).
fn without_file(mut records: Vec<FlowRecord>) -> Vec<FlowRecord> {
    for r in &mut records {
        r.source.file = "".into();
    }
    records
}

#[test]
fn pcap_and_pcapng_give_the_same_flows() {
    let pcap = scratch("demo.pcap");
    let out = generate(Mode::Demo, 1, Format::Pcap, Vec::new(), false).expect("generate");
    std::fs::write(&pcap, out.out).expect("write pcap");
    let a = without_file(flows(&[&pcap], &[]));
    let b = without_file(flows(&[&captures().join("demo.pcapng")], &[]));
    assert_eq!(a.len(), 63);
    assert_eq!(a, b);
}

#[test]
fn worker_count_does_not_change_the_output() {
    let lab = captures().join("lab.pcapng");
    let one = run(&[
        "flows",
        "--quiet",
        "--workers",
        "1",
        lab.to_str().expect("utf-8"),
    ]);
    let three = run(&[
        "flows",
        "--quiet",
        "--workers",
        "3",
        lab.to_str().expect("utf-8"),
    ]);
    assert!(one.status.success() && three.status.success());
    assert!(!one.stdout.is_empty());
    assert!(one.stdout == three.stdout, "1 and 3 workers differ");
}

#[test]
fn standard_input_reads_like_a_file() {
    let demo = captures().join("demo.pcapng");
    let mut child = segscope()
        .args(["flows", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let bytes = std::fs::read(&demo).expect("demo");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write stdin");
    assert!(out.status.success());
    let piped = parse_jsonl(&out.stdout);
    assert!(piped.iter().all(|r| &*r.source.file == "-"));
    assert_eq!(without_file(piped), without_file(flows(&[&demo], &[])));
}

#[test]
fn csv_and_table_have_a_header_and_one_line_per_flow() {
    let demo = captures().join("demo.pcapng");
    let demo = demo.to_str().expect("utf-8");
    for format in ["csv", "table"] {
        let out = run(&["flows", "--quiet", "--format", format, demo]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 64, "{format}: header + 63 flows");
        let key_column = if format == "csv" {
            "community_id"
        } else {
            "FLOW"
        };
        assert!(
            lines[0].contains(key_column),
            "{format} header: {}",
            lines[0]
        );
    }
}

#[test]
fn bpf_filter_keeps_only_matching_flows() {
    // tcpdump semantics: a tagged frame matches only behind the `vlan` keyword.
    let demo = captures().join("demo.pcapng");
    let records = flows(&[&demo], &["--filter", "vlan 10 and udp port 53"]);
    let expected = flows(&[&demo], &[])
        .into_iter()
        .filter(|r| {
            r.vlan == Some(10)
                && r.inner_vlan.is_none()
                && r.tunnels.is_empty()
                && r.transport == segscope_core::Transport::UDP
                && r.server.port == 53
        })
        .count();
    assert!(expected > 0);
    assert_eq!(records.len(), expected);
    assert!(
        records
            .iter()
            .all(|r| r.vlan == Some(10) && r.server.port == 53)
    );
}

/// Exit code and the words the error message must contain.
fn assert_fails(args: &[&str], code: i32, words: &[&str]) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    for w in words {
        assert!(err.contains(w), "{args:?}: {w:?} not in {err}");
    }
}

#[test]
fn bad_inputs_give_documented_exit_codes() {
    assert_fails(&["flows", "no/such/file.pcap"], 3, &["no/such/file.pcap"]);
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    assert_fails(&["flows", manifest], 3, &["Cargo.toml"]);
    let demo = captures().join("demo.pcapng");
    let demo = demo.to_str().expect("utf-8");
    assert_fails(
        &["flows", "--filter", "tcp port nope", demo],
        2,
        &["filter"],
    );
    assert_fails(
        &[
            "flows",
            "--interface",
            "segscope-no-such-if0",
            "--duration",
            "1s",
        ],
        4,
        &["segscope-no-such-if0"],
    );
    assert_fails(&["flows"], 2, &["no input"]);
    assert_fails(
        &["flows", "-o", "/proc/segscope/denied.jsonl", demo],
        5,
        &["/proc/segscope"],
    );
}

#[test]
fn truncated_last_record_is_reported_and_the_rest_is_kept() {
    let bytes = std::fs::read(captures().join("demo.pcapng")).expect("demo");
    let cut = scratch("demo-truncated.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let stats = scratch("truncated-stats.json");
    let out = segscope()
        .args(["flows", "--stats"])
        .arg(&stats)
        .arg(&cut)
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated"), "{err}");
    let records = parse_jsonl(&out.stdout);
    assert!(records.len() >= 60, "{} flows kept", records.len());
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&stats).expect("stats")).expect("json");
    assert_eq!(
        stats["capture"]["records"].as_u64(),
        Some(957),
        "958 frames, the last cut"
    );
}

fn analyze(out: &Path, extra: &[&str]) -> std::process::Output {
    let lab = captures().join("lab.pcapng");
    segscope()
        .args(["analyze", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .arg(lab)
        .output()
        .expect("run analyze")
}

#[test]
fn analyze_writes_every_report_file_and_gates_on_severity() {
    let dir = scratch("analyze-lab");
    let out = analyze(&dir, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "report.json",
        "findings.json",
        "graph.json",
        "graph.dot",
        "graph.graphml",
        "report.md",
    ] {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(report["schema"], "segscope.analysis/1");
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        let evidence = f["evidence"].as_array().expect("evidence");
        assert!(
            evidence
                .iter()
                .all(|e| e["first_frame"].as_u64().is_some_and(|n| n > 0)),
            "finding {} cites frames",
            f["id"]
        );
    }
    let worst = findings
        .iter()
        .filter_map(|f| f["severity"].as_str())
        .map(|s| {
            ["info", "low", "medium", "high", "critical"]
                .iter()
                .position(|l| *l == s)
                .expect("known severity")
        })
        .max()
        .expect("a severity");
    let levels = ["info", "low", "medium", "high", "critical"];
    let at = analyze(&dir, &["--fail-on", levels[worst]]);
    assert_eq!(at.status.code(), Some(1), "--fail-on the worst severity");
    if let Some(above) = levels.get(worst + 1) {
        assert_eq!(analyze(&dir, &["--fail-on", above]).status.code(), Some(0));
    }
    assert_eq!(
        analyze(&dir, &["--fail-on", "severe"]).status.code(),
        Some(2)
    );
}

#[test]
fn analyze_reports_bad_inventory_with_line_and_column() {
    let inv = scratch("bad-inventory.yaml");
    std::fs::write(&inv, "- cidr: 10.0.0.0/33\n  name: x\n").expect("write");
    let out = analyze(
        &scratch("analyze-bad-inv"),
        &["--inventory", inv.to_str().expect("utf-8")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad-inventory.yaml:1:"), "{err}");
}
