//! Helpers shared by the end-to-end tests: run the real `segscope` binary and read its output.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::{Command, Output};

use segscope_core::FlowRecord;

/// The binary under test.
pub(crate) fn segscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segscope"))
}

/// Runs `segscope flows --quiet ARGS… FILES…` and parses the JSONL records.
pub(crate) fn flows(files: &[&Path], args: &[&str]) -> Vec<FlowRecord> {
    let out = segscope()
        .arg("flows")
        .arg("--quiet")
        .args(args)
        .args(files)
        .output()
        .expect("run segscope");
    assert!(
        out.status.success(),
        "segscope flows failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_jsonl(&out.stdout)
}

/// Parses JSONL flow records.
pub(crate) fn parse_jsonl(bytes: &[u8]) -> Vec<FlowRecord> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l}: {e}")))
        .collect()
}

/// Runs segscope with arguments and returns the raw output.
pub(crate) fn run(args: &[&str]) -> Output {
    segscope().args(args).output().expect("run segscope")
}
