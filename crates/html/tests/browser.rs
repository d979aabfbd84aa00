//! report.html in a real browser: headless Chromium opens reports built from a committed
//! scenario capture and from a synthetic network of thousands of workloads, runs the page's
//! self-test (`#selftest`, which drives the page through its own controls) and the test checks
//! what the DOM showed against counts computed here from the analysis. A screenshot of each
//! report is saved under the target directory as an artifact.
//!
//! Skips with a SKIP line when no Chromium is installed (Debian package `chromium`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use segscope_graph::{Analysis, AnalysisInputs, EdgeStatus, analyze, recompute_with, synth};
use segscope_html::{Sections, render};
use serde_json::{Value, json};

/// The Chromium binary: `SEGSCOPE_CHROMIUM`, else the Debian and upstream names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SEGSCOPE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Where artifacts go: `target/tmp/segscope-html/`.
fn artifact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("segscope-html");
    std::fs::create_dir_all(&dir).expect("create the artifact directory");
    dir
}

fn lab_analysis() -> Analysis {
    let capture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/lab.pcapng");
    let rules = segscope_rules::RuleSource::embedded()
        .protocols()
        .expect("shipped protocol rules");
    let (edges, _) = segscope_engine::stages::edges_from_files(
        &[capture.as_path()],
        Arc::new(rules),
        &segscope_engine::EngineConfig::default(),
    )
    .expect("the committed lab capture reads");
    analyze(edges, &AnalysisInputs::embedded().expect("shipped rules"))
}

/// What the browser produced for one page.
struct BrowserRun {
    selftest: Value,
    console_errors: Vec<String>,
}

fn headless(chrome: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=20000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// Opens `page#selftest`, returns the self-test record and console errors; saves a screenshot.
fn open_in_browser(chrome: &Path, page: &Path, screenshot: &Path) -> BrowserRun {
    let profile = tempfile::tempdir().expect("profile directory");
    let url = format!("file://{}#selftest", page.display());
    let out = headless(chrome, profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console_errors = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .map(str::to_owned)
        .collect();
    let start = dom
        .find("id=\"segscope-selftest\"")
        .and_then(|i| dom[i..].find('>').map(|j| i + j + 1))
        .expect("the page keeps its self-test element");
    let end = dom[start..]
        .find("</pre>")
        .map(|j| start + j)
        .expect("self-test element closed");
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let selftest: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("self-test wrote no JSON ({e}); the page's DOM was:\n{dom}");
    });

    let profile = tempfile::tempdir().expect("profile directory");
    let shot = headless(chrome, profile.path())
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg("--window-size=1500,2600")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium for the screenshot");
    assert!(shot.status.success(), "screenshot failed");
    let png = std::fs::read(screenshot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000);
    BrowserRun {
        selftest,
        console_errors,
    }
}

fn num(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_u64()
        .unwrap_or_else(|| panic!("self-test field {} missing in {v}", path.join(".")))
}

/// Distinct (client, server) pairs among edges: what the page draws as lines when every group
/// is expanded.
fn pairs<'a>(edges: impl Iterator<Item = &'a segscope_graph::AnalyzedEdge>) -> usize {
    edges
        .filter(|e| e.key.client != e.key.server)
        .map(|e| (e.key.client, e.key.server))
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn lab_report_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        println!("SKIP: no chromium on PATH (apt-get install chromium, or set SEGSCOPE_CHROMIUM)");
        return;
    };
    let analysis = lab_analysis();
    let html = render(&Sections::new("lab.pcapng", &analysis)).expect("render");
    let dir = artifact_dir();
    let page = dir.join("lab-report.html");
    std::fs::write(&page, &html).expect("write report");
    let run = open_in_browser(&chrome, &page, &dir.join("lab-report.png"));
    let t = &run.selftest;
    println!("self-test: {t}");
    println!("artifacts: {}", dir.display());

    assert_eq!(
        t["problems"],
        Value::Array(vec![]),
        "the page reported problems"
    );
    assert!(
        run.console_errors.is_empty(),
        "console: {:?}",
        run.console_errors
    );
    let workloads = analysis.workloads.len() as u64;
    assert_eq!(num(t, &["workloads"]), workloads);
    // Fewer than 400 workloads: every group starts expanded, one node per workload.
    assert_eq!(num(t, &["default", "nodes"]), workloads);
    assert_eq!(num(t, &["expanded", "nodes"]), workloads);

    // Default filters: answered service edges only.
    let services: Vec<_> = analysis.edges.iter().filter(|e| e.is_service()).collect();
    assert_eq!(num(t, &["default", "edges"]), services.len() as u64);
    assert_eq!(
        num(t, &["default", "lines"]),
        pairs(services.iter().copied()) as u64
    );

    // Authentication filter: nothing, then cleartext credentials only.
    assert_eq!(num(t, &["auth_none", "lines"]), 0);
    assert_eq!(num(t, &["auth_none", "dimmed"]), workloads);
    let creds: Vec<_> = services
        .iter()
        .copied()
        .filter(|e| e.main_auth == segscope_core::AuthClass::CleartextCredentials)
        .collect();
    assert!(!creds.is_empty(), "the lab scenario has cleartext logins");
    assert_eq!(
        num(t, &["auth_cleartext_credentials", "edges"]),
        creds.len() as u64
    );
    assert_eq!(
        num(t, &["auth_cleartext_credentials", "lines"]),
        pairs(creds.iter().copied()) as u64
    );
    assert_eq!(
        t["auth_cleartext_credentials"]["colors"],
        serde_json::json!(["#d7191c"])
    );
    let endpoints: BTreeSet<_> = creds
        .iter()
        .flat_map(|e| [e.key.client, e.key.server])
        .collect();
    assert_eq!(
        num(t, &["auth_cleartext_credentials", "dimmed"]),
        workloads - endpoints.len() as u64
    );
    assert_eq!(
        num(t, &["auth_all", "lines"]),
        num(t, &["default", "lines"])
    );

    // Segment filter: hiding the first group removes exactly its workloads.
    let group = t["group_hidden"]["group"].as_str().expect("group id");
    let in_group = analysis
        .workloads
        .iter()
        .filter(|w| &*w.segment == group)
        .count() as u64;
    assert_eq!(num(t, &["group_hidden", "size"]), in_group);
    assert_eq!(num(t, &["group_hidden", "nodes"]), workloads - in_group);

    // Collapsed: one disc per segment, no workload nodes.
    let segments: BTreeSet<_> = analysis.workloads.iter().map(|w| &w.segment).collect();
    assert_eq!(num(t, &["collapsed", "nodes"]), 0);
    assert_eq!(num(t, &["collapsed", "groups"]), segments.len() as u64);

    // Clicking shows details with evidence (Community ID, file, frame).
    assert_eq!(t["node_details"], t["node_clicked"]);
    assert!(num(t, &["link_evidence_rows"]) > 0);

    // Weaknesses reach the page (the lab's SNMP communities, SMB signing).
    let weak_edges = analysis
        .edges
        .iter()
        .filter(|e| !e.edge.weaknesses.is_empty())
        .count() as u64;
    assert!(weak_edges > 0, "the lab scenario has weak protocols");
    assert_eq!(num(t, &["weak_edges"]), weak_edges);

    // Findings table and its severity filter.
    assert_eq!(num(t, &["findings_rows"]), analysis.findings.len() as u64);
    let critical = analysis
        .findings
        .iter()
        .filter(|f| f.severity.as_str() == "critical")
        .count() as u64;
    assert_eq!(num(t, &["findings_rows_critical"]), critical);

    // Without score, audit or projection their sections are hidden, the others shown.
    let sections: Vec<&str> = t["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        sections,
        [
            "summary", "graph", "findings", "zones", "blast", "metrics", "coverage"
        ]
    );
}

#[test]
fn thousands_of_workloads_start_aggregated_by_segment() {
    let Some(chrome) = chromium() else {
        println!("SKIP: no chromium on PATH (apt-get install chromium, or set SEGSCOPE_CHROMIUM)");
        return;
    };
    // 40 segments of 100 workloads; each workload calls a file server in its own segment and
    // a web server in the next one, and every tenth workload logs in over telnet.
    let mut lines = Vec::new();
    for seg in 0..40u32 {
        let next = (seg + 1) % 40;
        lines.push(format!(
            "10.1.{seg}.5 -> 10.1.{seg}.10..109 tcp/445 app=smb auth=kerberos"
        ));
        lines.push(format!(
            "10.1.{seg}.20 -> 10.1.{next}.10..109 tcp/443 app=tls auth=tls_server_only"
        ));
        lines.push(format!(
            "10.1.{seg}.30 -> 10.1.{seg}.10..19 tcp/23 app=telnet auth=cleartext_credentials"
        ));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let set = synth::edge_set("scale", &refs).expect("valid flow lines");
    let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
    let workloads = analysis.workloads.len() as u64;
    assert!(workloads >= 4000, "{workloads} workloads");

    let started = Instant::now();
    let html = render(&Sections::new("scale", &analysis)).expect("render");
    let render_ms = started.elapsed().as_millis();
    let dir = artifact_dir();
    let page = dir.join("scale-report.html");
    std::fs::write(&page, &html).expect("write report");
    let started = Instant::now();
    let run = open_in_browser(&chrome, &page, &dir.join("scale-report.png"));
    let browser_ms = started.elapsed().as_millis();
    let t = &run.selftest;
    println!(
        "{workloads} workloads, {} edges: render {render_ms} ms, page {} bytes, two browser runs {browser_ms} ms, expand-all draw {} ms",
        analysis.edges.len(),
        html.len(),
        t["expanded"]["ms"]
    );
    assert_eq!(
        t["problems"],
        Value::Array(vec![]),
        "the page reported problems"
    );
    assert!(
        run.console_errors.is_empty(),
        "console: {:?}",
        run.console_errors
    );
    let segments: BTreeSet<_> = analysis.workloads.iter().map(|w| &w.segment).collect();
    assert_eq!(num(t, &["default", "nodes"]), 0);
    assert_eq!(num(t, &["default", "groups"]), segments.len() as u64);
    // Collapsed, a line joins two segments: each segment's tls edges go to the next one.
    let cross: BTreeSet<_> = analysis
        .edges
        .iter()
        .filter(|e| e.status == EdgeStatus::Service && e.crosses_segment)
        .map(|e| (&e.client_segment, &e.server_segment))
        .collect();
    assert_eq!(num(t, &["default", "lines"]), cross.len() as u64);
    assert_eq!(num(t, &["expanded", "nodes"]), workloads);
    assert_eq!(num(t, &["expanded", "groups"]), 0);
}

/// A score with one observed, one attested and five not-assessable functions, following
/// `segscope.score/1`; only what the page reads.
fn score_document() -> Value {
    let not_assessable = |id: &str, name: &str| {
        json!({
            "id": id, "name": name, "ztmm_ref": "ZTMM v2.0 Table 4",
            "assessment": {"status": "not_assessable_from_traffic", "reason": "not visible in packets", "question": "Q?"},
            "confidence": "low", "confidence_reasons": [], "reasons": [], "conditions": [], "metrics": [],
            "evidence": [], "caps": []
        })
    };
    let steps: Vec<Value> = (1..=7)
        .map(|rank| json!({"rank": rank, "action": format!("step {rank}"), "towards": "initial", "addresses": [], "completes_stage": rank == 7, "evidence": []}))
        .collect();
    json!({
        "schema": "segscope.score/1", "model": "CISA ZTMM v2.0", "rubric": "rules/ztmm/networks.yaml", "method": "weakest assessed function",
        "functions": [
            {"id": "network_segmentation", "name": "Network Segmentation", "ztmm_ref": "row 1",
             "assessment": {"status": "observed", "stage": "traditional"}, "confidence": "medium", "confidence_reasons": ["one vantage point"],
             "reasons": ["S3a = 0.5 > 0.05"], "conditions": [{"id": "c1", "stage": "traditional", "says": "workstations administer workstations", "metric": "S3a", "value": 0.5, "op": ">", "threshold": 0.05, "outcome": "holds"}],
             "metrics": [{"id": "S3a", "name": "admin exposure", "definition": "d", "value": 0.5, "thresholds": ["S3a > 0.05 (traditional)"], "exclusions": [], "evidence": [], "source": "analysis"}],
             "reached": {"stage": "traditional", "text": "macro-segmentation"}, "next": {"stage": "initial", "text": "isolate critical workloads"},
             "evidence": [], "caps": [{"id": "optimal_requires_control_plane", "description": "d"}], "next_steps": steps},
            not_assessable("network_traffic_management", "Network Traffic Management"),
            {"id": "traffic_encryption", "name": "Traffic Encryption", "ztmm_ref": "row 3",
             "assessment": {"status": "attested", "stage": "advanced", "observed": "initial"}, "confidence": "medium", "confidence_reasons": [],
             "reasons": [], "conditions": [], "metrics": [], "evidence": [], "caps": []},
            not_assessable("network_resilience", "Network Resilience"),
            not_assessable("visibility_and_analytics", "Visibility and Analytics Capability"),
            not_assessable("automation_and_orchestration", "Automation and Orchestration Capability"),
            not_assessable("governance", "Governance Capability")
        ],
        "rollup": {"method": "minimum", "observed": "traditional", "weakest": ["network_segmentation"], "with_attested": "traditional", "excluded": []},
        "authentication": [],
        "projection": {"label": "projected", "edges_blocked": 3, "flows_blocked": 3,
            "functions": [{"function": "network_segmentation", "label": "projected", "observed": "traditional", "projected": "initial", "note": "as if enforced", "conditions": [], "metrics": []}]},
        "crosswalk": {"kind": "mapping", "note": "a mapping", "rows": []}
    })
}

#[test]
fn optional_documents_fill_their_sections() {
    let Some(chrome) = chromium() else {
        println!("SKIP: no chromium on PATH (apt-get install chromium, or set SEGSCOPE_CHROMIUM)");
        return;
    };
    let set = synth::edge_set(
        "sections",
        &[
            "10.0.1.10 -> 10.0.1.11..13 tcp/445 app=smb auth=ntlm",
            "10.0.1.10 -> 10.0.2.10 tcp/443 app=tls auth=tls_server_only",
            "10.0.1.11 -> 10.0.2.10 tcp/443 app=tls auth=tls_server_only",
            "10.0.1.12 -> 10.0.2.20 tcp/23 app=telnet auth=cleartext_credentials",
            "10.0.1.13 -> 10.0.2.20 tcp/3389 app=rdp auth=tls_server_only",
        ],
    )
    .expect("valid flow lines");
    let inputs = AnalysisInputs::embedded().expect("shipped rules");
    let analysis = analyze(set, &inputs);
    let projected = recompute_with(&analysis, &inputs.rules, |k| k.port == 443);
    let projected = serde_json::to_value(&projected).expect("projection serializes");
    let score = score_document();
    // 10.0.2.20 is zoned through the subnet only.
    let zones = json!({"zones": [
        {"name": "workstations", "source": "behaviour", "description": "", "subnets": ["10.0.1.0/24"],
         "hosts": [{"ip": "10.0.1.10", "name": "a", "role": "workstation", "reason": "r"}, {"ip": "10.0.1.11", "name": "b", "role": "workstation", "reason": "r"},
                   {"ip": "10.0.1.12", "name": "c", "role": "workstation", "reason": "r"}, {"ip": "10.0.1.13", "name": "d", "role": "workstation", "reason": "r"}]},
        {"name": "servers", "source": "behaviour", "description": "", "subnets": ["10.0.2.0/24"],
         "hosts": [{"ip": "10.0.2.10", "name": "web", "role": "web_app", "reason": "r"}]}
    ]});
    let policy = json!({"schema": "segscope.policy/1", "name": "sections", "default_action": "deny",
        "zones": [{"name": "workstations", "members": [{"cidr": "10.0.1.0/24"}]}, {"name": "servers", "members": [{"ip": "10.0.2.10"}, {"ip": "10.0.2.20"}]}],
        "rules": [
            {"id": "web", "action": "allow", "from": "workstations", "to": "servers", "service": "tcp/443", "kind": "service",
             "evidence": {"edges": 2, "flows": 2, "clients": 2, "servers": 1}},
            {"id": "dns", "action": "allow", "from": "*", "to": "servers", "service": "udp/53", "kind": "infrastructure", "infrastructure": "dns"}
        ],
        "denied_by_design": [{"reason": "lateral_movement", "summary": "SMB between workstations", "from": "workstations", "to": "workstations", "flows": 3, "edges": []}]});
    let audit = json!({"schema": "segscope.audit/1", "policy": "sections", "options": {}, "flows": 7,
        "by_verdict": {"allowed": 2, "blocked_by_default": 5}, "enforced_blocked": 5,
        "summary": [
            {"from": "workstations", "to": "workstations", "service": "tcp/445", "verdict": "blocked_by_default", "flows": 3, "bytes": 300, "host_pairs": 3, "enforced_flows": 3, "first_seen": null, "last_seen": null, "examples": []},
            {"from": "workstations", "to": "servers", "service": "tcp/23", "verdict": "blocked_by_default", "flows": 1, "bytes": 100, "host_pairs": 1, "enforced_flows": 1, "first_seen": null, "last_seen": null, "examples": []},
            {"from": "workstations", "to": "servers", "service": "tcp/443", "verdict": "allowed", "flows": 2, "bytes": 200, "host_pairs": 2, "enforced_flows": 2, "first_seen": null, "last_seen": null, "examples": []}
        ],
        "rule_hits": {"web": {"flows": 2, "ports": [443], "examples": []}, "dns": {"flows": 0, "ports": [], "examples": []}},
        "unused_rules": ["dns"], "broader_than_needed": [], "shadowed_rules": [],
        "zones": {"workstations": {"ingress_blocked": 0, "egress_blocked": 1, "intra_blocked": 3, "allowed": 2}}});

    let mut sections = Sections::new("sections", &analysis);
    sections.score = Some(&score);
    sections.zones = Some(&zones);
    sections.policy = Some(&policy);
    sections.audit = Some(&audit);
    sections.projected = Some(&projected);
    let html = render(&sections).expect("render");
    let dir = artifact_dir();
    let page = dir.join("sections-report.html");
    std::fs::write(&page, &html).expect("write report");
    let run = open_in_browser(&chrome, &page, &dir.join("sections-report.png"));
    let t = &run.selftest;
    println!("self-test: {t}");
    assert_eq!(
        t["problems"],
        Value::Array(vec![]),
        "the page reported problems"
    );
    assert!(
        run.console_errors.is_empty(),
        "console: {:?}",
        run.console_errors
    );
    assert_eq!(
        t["sections"],
        json!([
            "summary", "graph", "maturity", "findings", "zones", "audit", "blast", "metrics",
            "coverage"
        ])
    );
    // Seven functions; a bar for the observed and the attested stage, none for the five
    // not assessable; one projected outline.
    assert_eq!(num(t, &["maturity", "cards"]), 7);
    assert_eq!(num(t, &["maturity", "observed_bars"]), 2);
    assert_eq!(num(t, &["maturity", "projected_marks"]), 1);
    assert_eq!(num(t, &["zones", "proposed_rows"]), 2);
    assert_eq!(num(t, &["zones", "rule_rows"]), 2);
    assert_eq!(num(t, &["audit", "summary_rows"]), 3);
    // Grouped by proposed zone: two groups, 10.0.2.20 placed by its subnet.
    assert_eq!(t["by_zone"]["names"], json!(["servers", "workstations"]));
    assert_eq!(num(t, &["by_zone", "groups"]), 2);
    // Before and after: one bar each per foothold shown.
    let footholds = analysis.blast_radius.workloads.len().min(15) as u64;
    assert!(footholds > 0, "the telnet and SMB edges give footholds");
    assert_eq!(num(t, &["blast", "observed_bars"]), footholds);
    assert_eq!(num(t, &["blast", "projected_bars"]), footholds);
}
