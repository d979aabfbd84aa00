//! `segscope-gen`: writes deterministic captures (bench, flows, demo) and their ground truth.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use segscope_gen::capture::Format;
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    let (mode, common) = match cli.mode {
        ModeArgs::Bench { size, common } => (Mode::Bench { size }, common),
        ModeArgs::Flows { count, common } => (Mode::Flows { count }, common),
        ModeArgs::Demo { common } => (Mode::Demo, common),
    };
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
