//! Command-line arguments, as parsed (validation and defaults that need the whole picture happen
//! in `run.rs`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// How flat is your network, who talks without authentication, and which default-deny zones
/// would fix it — from the traffic itself.
#[derive(Parser, Debug)]
#[command(name = "segscope", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug); SEGSCOPE_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Flow records (with protocol and authentication evidence) from captures or an interface.
    Flows(FlowsArgs),
    /// Workload graph, flat-network metrics and lateral-movement findings, written to a directory.
    Analyze(AnalyzeArgs),
    /// ZTMM v2.0 Networks-pillar score (score.json) recomputed from a report.json.
    Score(ScoreArgs),
    /// Default-deny zones and policy proposed from the traffic (zones.json, policy.yaml, zones.md).
    Zones(crate::zones::ZonesArgs),
    /// Check a policy.yaml, or export it for Kubernetes, Cilium, nftables or AWS.
    Policy(crate::policy::PolicyArgs),
    /// Replay traffic against a policy without enforcing it (audit.json, audit.md, blocked.jsonl).
    Audit(crate::audit::AuditArgs),
    /// Check the rule files and run the test cases they carry (exit 1 when one fails).
    Rules(crate::rules::RulesArgs),
}

/// Where packets come from and how the pipeline treats them (shared by every command that
/// reads traffic).
#[derive(Args, Debug, Clone)]
pub(crate) struct InputArgs {
    /// Capture files (pcap or pcapng), read as one time-ordered stream; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Capture live from this interface instead of reading files.
    #[arg(short = 'i', long, value_name = "IF", conflicts_with = "files")]
    pub(crate) interface: Option<String>,
    /// tcpdump-syntax filter (BPF), applied to files and interfaces alike.
    #[arg(short = 'f', long, value_name = "BPF")]
    pub(crate) filter: Option<String>,
    /// Stop a live capture after this long (e.g. 30s, 5m, 2h); open flows are then written.
    #[arg(long, value_name = "DURATION", requires = "interface")]
    pub(crate) duration: Option<String>,
    /// Also write the live packets to this pcapng file.
    #[arg(long, value_name = "FILE", requires = "interface")]
    pub(crate) write: Option<PathBuf>,
    /// TLS key log (SSLKEYLOGFILE format) to decrypt TLS 1.3 handshakes and confirm client
    /// certificates.
    #[arg(long, value_name = "FILE")]
    pub(crate) keylog: Option<PathBuf>,
    /// Directory whose rule files replace the built-in ones (see `rules/`).
    #[arg(long, value_name = "DIR")]
    pub(crate) rules: Option<PathBuf>,
    /// Worker threads (flow-table shards); default: one per core.
    #[arg(long, value_name = "N")]
    pub(crate) workers: Option<usize>,
    /// Write an interim record for flows open longer than this (packet time).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub(crate) active_timeout: String,
    /// Most flows tracked at once; beyond it the least recently active flow is written early
    /// (counted as evicted).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub(crate) max_flows: u32,
    /// Bytes of payload kept per flow direction for protocol classification.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024)]
    pub(crate) payload_budget: u32,
    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// `segscope flows`.
#[derive(Args, Debug)]
pub(crate) struct FlowsArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "jsonl", value_parser = ["jsonl", "csv", "table"])]
    pub(crate) format: String,
    /// Output file (written atomically); default standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the run statistics as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats: Option<PathBuf>,
}

/// `segscope analyze`.
#[derive(Args, Debug)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Directory for report.json, findings.json, graph.json/.dot/.graphml and report.md
    /// (created if missing; each file is replaced atomically).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Inventory (CSV or YAML: CIDR or IP → name, role, zone, criticality, labels).
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// Analysis configuration (YAML: internal ranges, segment prefix lengths, admin zones…).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Exit with code 1 when a finding reaches this severity (info, low, medium, high,
    /// critical), for CI gating.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<String>,
}

/// `segscope score`.
#[derive(Args, Debug)]
pub(crate) struct ScoreArgs {
    /// report.json written by `segscope analyze`.
    #[arg(value_name = "REPORT")]
    pub(crate) report: PathBuf,
    /// Questionnaire answers (YAML) for what traffic cannot show; stages taken from it are
    /// labelled `attested`, never `observed`.
    #[arg(long, value_name = "FILE")]
    pub(crate) attest: Option<PathBuf>,
    /// Output file (written atomically); default standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Directory whose rule files replace the built-in ones (the rubric is
    /// `ztmm/networks.yaml`).
    #[arg(long, value_name = "DIR")]
    pub(crate) rules: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}
