//! End-to-end: `segscope zones`, `policy check`, `policy export` and `audit` on the generated
//! lab captures, through the binary, with exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn segscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run segscope: {e}"))
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn zones_check_export_and_audit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let zones_dir = dir.path().join("zones");
    let lab = captures().join("lab.pcapng");
    let out = segscope(&[
        "zones",
        "-q",
        &s(&lab),
        "--out",
        &s(&zones_dir),
        "--name",
        "lab",
    ]);
    assert!(
        out.status.success(),
        "zones: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["zones.json", "policy.yaml", "zones.md"] {
        assert!(zones_dir.join(f).is_file(), "{f} missing");
    }
    let policy = zones_dir.join("policy.yaml");

    let out = segscope(&["policy", "check", &s(&policy)]);
    assert!(
        out.status.success(),
        "check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("valid segscope.policy/1 policy \"lab\"")
    );

    let broken = dir.path().join("broken.yaml");
    let text = std::fs::read_to_string(&policy).unwrap_or_else(|e| panic!("{e}"));
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("to: "))
        .unwrap_or_else(|| panic!("no rule"))
        + 1;
    let bad: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l.replacen("to: ", "to: nowhere-", 1)
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(&broken, bad.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    let out = segscope(&["policy", "check", &s(&broken)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("broken.yaml:{line}:")) && err.contains("unknown zone"),
        "{err}"
    );

    for format in ["k8s", "cilium", "nftables", "aws"] {
        let target = dir.path().join(format!("export.{format}"));
        let out = segscope(&[
            "policy",
            "export",
            &s(&policy),
            "--format",
            format,
            "-o",
            &s(&target),
        ]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::metadata(&target).is_ok_and(|m| m.len() > 0),
            "{format} empty"
        );
    }

    // The lab against its own policy: nothing legitimate is blocked, but lateral movement and
    // scans are, so --fail-on-block fails; the follow-up adds new legitimate traffic.
    let audit_dir = dir.path().join("audit");
    let followup = captures().join("lab-followup.pcapng");
    let out = segscope(&[
        "audit",
        "-q",
        "--policy",
        &s(&policy),
        &s(&followup),
        "--out",
        &s(&audit_dir),
        "--fail-on-block",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(audit_dir.join("audit.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let blocked = json["enforced_blocked"].as_u64().unwrap_or_default();
    assert!(blocked > 0);
    assert_eq!(json["projected"]["basis"], "projected");
    let lines =
        std::fs::read_to_string(audit_dir.join("blocked.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.lines().count() as u64, blocked);
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(
            v["verdict"]
                .as_str()
                .is_some_and(|k| k.starts_with("blocked")),
            "{l}"
        );
        assert!(
            v["community_id"]
                .as_str()
                .is_some_and(|c| c.starts_with("1:")),
            "{l}"
        );
    }
    assert!(
        std::fs::read_to_string(audit_dir.join("audit.md")).is_ok_and(|m| m.contains("projected"))
    );

    let out = segscope(&[
        "audit",
        "-q",
        "--policy",
        &s(&policy),
        &s(&followup),
        "--out",
        &s(&audit_dir),
        "--enforce-zones",
        "no-such-zone",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
