//! Where the test data is: the project's own captures, and the real captures from public projects
//! that sit beside a CI checkout in `../shared/captures/real` (never copied into the project).
//!
//! Tests that need the real captures call [`real_capture`]; when the folder is absent (a user's
//! clone) it prints one `SKIP` line naming what is missing and the test returns early.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).unwrap_or(here).to_path_buf()
}

/// The project's own captures folder (`captures/`).
pub fn project_captures() -> PathBuf {
    workspace_root().join("captures")
}

/// The real-captures folder: `$SEGSCOPE_REAL_CAPTURES`, else `<root>/../shared/captures/real`.
pub fn real_captures_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SEGSCOPE_REAL_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/captures/real"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// The path of one real capture (`"zeek/http-get.pcap"`), or `None` after printing a skip line.
pub fn real_capture(rel: &str) -> Option<PathBuf> {
    match real_captures_dir() {
        Some(dir) if dir.join(rel).is_file() => Some(dir.join(rel)),
        Some(dir) => {
            eprintln!("SKIP: {rel} not found in {}", dir.display());
            None
        }
        None => {
            eprintln!("SKIP: ../shared/captures/real not found; test needing {rel} skipped");
            None
        }
    }
}

/// One row of `MANIFEST.tsv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Path relative to the real-captures folder.
    pub path: String,
    /// File format description (`pcap(LE,usec) linktype=1(EN10MB) …`).
    pub format: String,
    /// Packet count stated by the manifest.
    pub packets: u64,
    /// What the capture contains.
    pub contains: String,
    /// Where the expected output is.
    pub expected_output: String,
}

/// All manifest rows, or an empty list (with a skip line) when the folder is absent.
pub fn manifest() -> Vec<ManifestEntry> {
    let Some(dir) = real_captures_dir() else {
        eprintln!("SKIP: ../shared/captures/real not found; manifest-driven test skipped");
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Some(ManifestEntry {
                path: cols.first()?.to_string(),
                format: cols.get(5)?.to_string(),
                packets: cols.get(6)?.parse().ok()?,
                contains: cols.get(7)?.to_string(),
                expected_output: cols.get(9).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

/// True when `tshark` can be run.
pub fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `tshark -n -r FILE [-Y FILTER] -T fields -e F1 -e F2 …` and returns one row per packet,
/// or `None` (with a skip line) when tshark is not installed.
pub fn tshark_fields(
    file: &Path,
    display_filter: Option<&str>,
    fields: &[&str],
) -> Option<Vec<Vec<String>>> {
    if !tshark_available() {
        eprintln!("SKIP: tshark not installed; cross-check against tshark skipped");
        return None;
    }
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(file);
    if let Some(f) = display_filter {
        cmd.args(["-Y", f]);
    }
    cmd.args(["-T", "fields", "-E", "separator=\t"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect(),
    )
}

/// Runs tshark with arbitrary arguments on a file and returns its standard output, or `None`
/// (with a skip line) when tshark is not installed.
pub fn tshark_raw(file: &Path, args: &[&str]) -> Option<String> {
    if !tshark_available() {
        eprintln!("SKIP: tshark not installed; cross-check against tshark skipped");
        return None;
    }
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_rows_parse_when_present() {
        let rows = manifest();
        if rows.is_empty() {
            return;
        }
        assert_eq!(
            rows.len(),
            79,
            "README of the real captures says 79 captures"
        );
        let total: u64 = rows.iter().map(|r| r.packets).sum();
        assert_eq!(
            total, 8_929,
            "README of the real captures says 8,929 packets"
        );
    }
}
