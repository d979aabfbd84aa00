//! `segscope-gen`: writes deterministic captures (bench, flows, demo, ground-truth scenarios,
//! scale) and their ground truth.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use segscope_gen::capture::Format;
use segscope_gen::scenarios::{Named, inventory};
use segscope_gen::{Mode, generate, parse_size};

/// Deterministic, realistic captures for segscope's benchmarks, demo and tests. The same
/// arguments and seed always write the same bytes; the format follows the extension of --out
/// (.pcap: nanosecond pcap, .pcapng: pcapng).
#[derive(Debug, Parser)]
#[command(name = "segscope-gen", version)]
struct Cli {
    #[command(subcommand)]
    mode: ModeArgs,
}

#[derive(Debug, Subcommand)]
enum ModeArgs {
    /// The throughput benchmark capture: an enterprise traffic mix up to a file size.
    Bench {
        /// File size to reach (e.g. 1GiB, 20MB); never exceeded, met to within one frame.
        #[arg(long, default_value = "1GiB", value_parser = parse_size)]
        size: u64,
        #[command(flatten)]
        common: Common,
    },
    /// The flow-table stress capture: COUNT short flows, all open at once.
    Flows {
        /// Number of flows.
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[command(flatten)]
        common: Common,
    },
    /// The small demo capture (one minute of a small enterprise).
    Demo {
        #[command(flatten)]
        common: Common,
    },
    /// Half an hour of an enterprise lab with planted lateral movement, a scan, cleartext
    /// services and a firewall (ground truth with --truth, inventory with --inventory).
    Lab {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// The lab a week later, with new legitimate traffic (for audit mode).
    LabFollowup {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// A flat network with cleartext admin traffic (ZTMM: Traditional).
    Flat {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Zones with default-deny evidence (ZTMM segmentation: Advanced).
    Zoned {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// An all-mTLS service mesh.
    Mesh {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// TLS 1.3 only (client authentication unknown).
    Tls13 {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// FLOWS flows among WORKLOADS workloads, streamed (the analyze scale benchmark).
    Scale {
        /// Number of flows.
        #[arg(long, default_value_t = 1_000_000)]
        flows: u64,
        /// Number of workloads (clients and servers).
        #[arg(long, default_value_t = 10_000)]
        workloads: u64,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
struct ScenarioArgs {
    #[command(flatten)]
    common: Common,
    /// Also write the network's inventory (as its operators would supply it) to FILE; the
    /// format follows the extension (.csv, .yaml or .yml). May be given more than once.
    #[arg(long, value_name = "FILE")]
    inventory: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct Common {
    /// Output capture (.pcap or .pcapng).
    #[arg(long)]
    out: PathBuf,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the ground truth (intended flows) as JSON to this file.
    #[arg(long)]
    truth: Option<PathBuf>,
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| {
        format!(
            "cannot create {}: check the folder exists and is writable",
            path.display()
        )
    })?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Writes the scenario's inventory to each file, CSV or YAML by extension.
fn write_inventories(named: Named, seed: u64, files: &[PathBuf]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let facts = named.build(seed).facts;
    for path in files {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let text = match ext.as_deref() {
            Some("csv") => inventory::csv(&facts),
            Some("yaml" | "yml") => inventory::yaml(&facts),
            _ => bail!(
                "{}: unknown inventory format; name the file *.csv, *.yaml or *.yml",
                path.display()
            ),
        };
        std::fs::write(path, text).with_context(|| {
            format!(
                "cannot write the inventory {}: check the folder exists and is writable",
                path.display()
            )
        })?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let scenario = |named: Named, a: ScenarioArgs| (Mode::Scenario(named), a.common, a.inventory);
    let (mode, common, inventories) = match cli.mode {
        ModeArgs::Bench { size, common } => (Mode::Bench { size }, common, Vec::new()),
        ModeArgs::Flows { count, common } => (Mode::Flows { count }, common, Vec::new()),
        ModeArgs::Demo { common } => (Mode::Demo, common, Vec::new()),
        ModeArgs::Lab { scenario: a } => scenario(Named::Lab, a),
        ModeArgs::LabFollowup { scenario: a } => scenario(Named::LabFollowup, a),
        ModeArgs::Flat { scenario: a } => scenario(Named::Flat, a),
        ModeArgs::Zoned { scenario: a } => scenario(Named::Zoned, a),
        ModeArgs::Mesh { scenario: a } => scenario(Named::Mesh, a),
        ModeArgs::Tls13 { scenario: a } => scenario(Named::Tls13, a),
        ModeArgs::Scale {
            flows,
            workloads,
            common,
        } => (Mode::Scale { flows, workloads }, common, Vec::new()),
    };
    if let Mode::Scenario(named) = mode {
        write_inventories(named, common.seed, &inventories)?;
    }
    let Some(format) = Format::from_path(&common.out) else {
        bail!(
            "{}: unknown capture format; name the file *.pcap (nanosecond pcap) or *.pcapng",
            common.out.display()
        );
    };
    let started = Instant::now();
    let out = create(&common.out)?;
    let done = generate(mode, common.seed, format, out, common.truth.is_some())
        .with_context(|| format!("writing {}", common.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if let (Some(path), Some(truth)) = (&common.truth, &done.truth) {
        let mut w = create(path)?;
        serde_json::to_writer(&mut w, truth)
            .with_context(|| format!("writing ground truth {}", path.display()))?;
        std::io::Write::flush(&mut w)
            .with_context(|| format!("writing ground truth {}", path.display()))?;
    }
    let s = &done.stats;
    eprintln!(
        "segscope-gen {mode} seed {}: wrote {}: {}; generated in {secs:.2} s ({:.0} MB/s)",
        common.seed,
        common.out.display(),
        s.summary_line(),
        s.file_bytes as f64 / 1e6 / secs.max(1e-9),
    );
    Ok(())
}
