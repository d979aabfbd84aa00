//! The rule files in `rules/`: protocol knowledge, detection thresholds and the scoring rubric,
//! kept as data that users can read and edit, loaded with errors that point at the line and
//! column of the mistake.
//!
//! The files shipped in the repository are embedded in the binary, so segscope works from
//! anywhere; `--rules DIR` replaces any of them with the user's copy. Each file carries its own
//! `tests:` list, run by `segscope rules test` and by the test suite.

pub mod findings;
mod port;
pub mod protocols;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use findings::FindingRules;
pub use port::PortSpec;
pub use protocols::ProtocolRules;
pub use serde_saphyr::Spanned;

/// A rule file that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// File name as the user would look for it (`rules/protocols.yaml` or the override path).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// What is wrong, and what is expected instead.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl RuleError {
    /// An error at the location of a spanned value (for checks made after parsing).
    pub fn at<T>(file: &str, value: &Spanned<T>, message: impl Into<String>) -> RuleError {
        RuleError {
            file: file.to_owned(),
            line: value.referenced.line() as u32,
            column: value.referenced.column() as u32,
            message: message.into(),
        }
    }
}

/// The result of one `tests:` entry of a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTestOutcome {
    /// Rule file.
    pub file: String,
    /// Line of the test entry.
    pub line: u32,
    /// Test name.
    pub name: String,
    /// Whether the expectation held.
    pub passed: bool,
    /// What was expected and what happened.
    pub detail: String,
}

/// Parses YAML text into `T`, turning parser errors into [`RuleError`]s with line and column.
pub fn parse_yaml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, RuleError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
        // The first line of the library's message is the summary; the rest is a source snippet
        // that we re-create ourselves in the CLI.
        let full = e.to_string();
        let summary = full.lines().next().unwrap_or("invalid YAML");
        let message = summary
            .strip_prefix("error: ")
            .map(|s| match s.split_once(": ") {
                Some((loc, rest)) if loc.starts_with("line ") => rest,
                _ => s,
            })
            .unwrap_or(summary)
            .to_owned();
        RuleError {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    })
}

/// The rule files shipped with segscope, embedded at build time. Paths are relative to `rules/`.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "protocols.yaml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../rules/protocols.yaml"
        )),
    ),
    (
        "findings.yaml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../rules/findings.yaml"
        )),
    ),
    (
        "ztmm/networks.yaml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../rules/ztmm/networks.yaml"
        )),
    ),
];

/// Where rule files are read from: the embedded defaults, overridden file by file by a user
/// directory.
#[derive(Clone, Debug, Default)]
pub struct RuleSource {
    dir: Option<PathBuf>,
}

impl RuleSource {
    /// Only the embedded defaults.
    pub fn embedded() -> RuleSource {
        RuleSource { dir: None }
    }

    /// Files in `dir` replace the embedded ones of the same relative path.
    pub fn with_dir(dir: &Path) -> RuleSource {
        RuleSource {
            dir: Some(dir.to_path_buf()),
        }
    }

    /// Reads one rule file; returns its display name and text.
    pub fn read(&self, rel: &str) -> Result<(String, String), RuleError> {
        if let Some(dir) = &self.dir {
            let path = dir.join(rel);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| RuleError {
                    file: path.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read: {e}"),
                })?;
                return Ok((path.display().to_string(), text));
            }
        }
        EMBEDDED
            .iter()
            .find(|(name, _)| *name == rel)
            .map(|(name, text)| (format!("rules/{name} (built in)"), (*text).to_owned()))
            .ok_or_else(|| RuleError {
                file: format!("rules/{rel}"),
                line: 0,
                column: 0,
                message: "no such rule file".to_owned(),
            })
    }

    /// Reads and parses the protocol knowledge file.
    pub fn protocols(&self) -> Result<ProtocolRules, RuleError> {
        let (name, text) = self.read("protocols.yaml")?;
        ProtocolRules::parse(&name, &text)
    }

    /// Reads and parses the detection thresholds file.
    pub fn findings(&self) -> Result<FindingRules, RuleError> {
        let (name, text) = self.read("findings.yaml")?;
        FindingRules::parse(&name, &text)
    }
}
