//! Deterministic, realistic captures for benchmarks, the demo and tests; and test-data helpers.
//!
//! The same arguments and seed always give a byte-identical file: all randomness comes from the
//! crate's own xoshiro256** ([`rng`]), all ordering from a time-ordered event queue with
//! insertion-order tie-breaks ([`sim`]), never from hash-map iteration or the clock.
//!
//! # Layers
//!
//! - [`topology`] and [`enterprise`]: the simulated network (subnets, VLANs, QinQ, a VXLAN
//!   overlay, a GRE-attached branch, dual-stack hosts with ULA addresses, servers and their
//!   services) and the headers a flow carries at the capture point.
//! - [`scenario`]: [`scenario::PlannedSession`] says who talks to whom, when, saying what
//!   ([`app::AppSpec`]), and how a TCP connection ends; a [`scenario::Scenario`] is a network
//!   plus a list of them, written as data ([`demo`] is one). The bench and flows
//!   [`workload`]s produce sessions on the fly through the same [`scenario::SessionSource`].
//! - [`app`]: the application seam. An [`app::AppSession`] yields the messages of one
//!   conversation (side, bytes, think time); HTTP/1.1, DNS, NTP, syslog, ICMP echo payloads and
//!   opaque high-entropy exchanges are built in. Protocols with real bytes made elsewhere (TLS
//!   handshakes made with rustls, SMB, Kerberos, LDAP…, such as [`convo`]'s labelled
//!   conversations) are replayed through [`app::AppSpec::Recorded`]; protocols whose bytes
//!   depend on the session get their own `AppSession`. The transport never changes. A
//!   scenario with ground truth for lateral movement, scans or cleartext credentials is then a
//!   list of planned sessions naming those specs.
//! - [`sim`]: turns sessions into TCP/UDP/ICMP packets (handshakes, MSS segmentation, ACKs,
//!   FIN/RST, retransmissions, reordering, IP fragments) and interleaves all flows in time.
//! - [`packet`]: frame layout and checksums; [`capture`]: pcap/pcapng output through
//!   `segscope-capture`'s writers; [`truth`]: the intended flows, with Zeek-style states and
//!   counts, for tests to compare against.
//! - [`scenarios`]: ground-truth scenarios (an enterprise lab and its follow-up, captures
//!   whose ZTMM stages are known, a million-flow scale workload): zones, roles, a firewall,
//!   planted lateral movement, scans and cleartext services, with the truth derived from
//!   the same data.

pub mod app;
pub mod capture;
pub mod convo;
pub mod demo;
pub mod enterprise;
pub mod packet;
pub mod rng;
pub mod scenario;
pub mod scenarios;
pub mod sim;
pub mod testdata;
pub mod topology;
pub mod truth;
pub mod workload;

use std::fmt;
use std::io::{self, Write};

use segscope_core::Timestamp;

use crate::capture::{CaptureSink, Format};
use crate::scenario::{PlannedList, SessionSource};
use crate::scenarios::Named;
use crate::scenarios::catalog::Catalog;
use crate::scenarios::scale::ScaleWorkload;
use crate::scenarios::truth::ScenarioFacts;
use crate::sim::{Simulator, Stats};
use crate::topology::Network;
use crate::truth::Truth;
use crate::workload::{BenchWorkload, FlowsWorkload};

/// Start time of the bench and flows captures: 2024-03-04T09:00:00Z.
pub const CAPTURE_START: Timestamp = demo::DEMO_START;

/// Client hosts of the bench network ("hundreds of hosts").
pub const BENCH_CLIENTS: usize = 600;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The throughput benchmark mix, until the file reaches `size` bytes.
    Bench {
        /// Target file size in bytes (met to within one frame, never exceeded).
        size: u64,
    },
    /// `count` short flows, all open at once.
    Flows {
        /// Number of flows.
        count: u64,
    },
    /// The small demo scenario.
    Demo,
    /// A ground-truth scenario.
    Scenario(Named),
    /// `flows` flows among `workloads` workloads, streamed (the analyze scale benchmark).
    Scale {
        /// Number of flows.
        flows: u64,
        /// Number of workloads (clients and servers).
        workloads: u64,
    },
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Bench { size } => write!(f, "bench --size {size}"),
            Mode::Flows { count } => write!(f, "flows --count {count}"),
            Mode::Demo => f.write_str("demo"),
            Mode::Scenario(n) => write!(f, "{n}"),
            Mode::Scale { flows, workloads } => {
                write!(f, "scale --flows {flows} --workloads {workloads}")
            }
        }
    }
}

/// The result of a generation run.
#[derive(Debug)]
pub struct Generated<W> {
    /// The writer, flushed.
    pub out: W,
    /// Figures of the run.
    pub stats: Stats,
    /// The ground truth, when asked for.
    pub truth: Option<Truth>,
}

/// Writes the capture of `mode` with `seed` to `out` in `format`; keeps the ground truth when
/// `with_truth`.
pub fn generate<W: Write>(
    mode: Mode,
    seed: u64,
    format: Format,
    out: W,
    with_truth: bool,
) -> io::Result<Generated<W>> {
    let sink = CaptureSink::new(out, format)?;
    let mut facts: Option<ScenarioFacts> = None;
    let (sink, stats, flows) = match mode {
        Mode::Bench { size } => {
            let mut w = BenchWorkload::new(BENCH_CLIENTS);
            let net = w.enterprise().net.clone();
            run(
                &net,
                CAPTURE_START,
                seed,
                sink,
                Some(size),
                with_truth,
                &mut w,
            )?
        }
        Mode::Flows { count } => {
            let mut w = FlowsWorkload::new(count);
            let net = w.enterprise().net.clone();
            run(&net, CAPTURE_START, seed, sink, None, with_truth, &mut w)?
        }
        Mode::Demo => {
            let sc = demo::demo();
            let mut list = PlannedList::new(sc.sessions);
            run(
                &sc.network,
                sc.start,
                seed,
                sink,
                None,
                with_truth,
                &mut list,
            )?
        }
        Mode::Scenario(named) => {
            let built = named.build(seed);
            let sc = built.scenario;
            let mut list = PlannedList::new(sc.sessions);
            let done = run(
                &sc.network,
                sc.start,
                seed,
                sink,
                None,
                with_truth,
                &mut list,
            )?;
            if with_truth {
                facts = Some(named.complete(built.facts, &done.2));
            }
            done
        }
        Mode::Scale { flows, workloads } => {
            let mut catalog = Catalog::new();
            let mut w = ScaleWorkload::new(
                flows,
                usize::try_from(workloads).unwrap_or(usize::MAX),
                &mut catalog,
            );
            let net = w.network().clone();
            // A million flows are not listed in the truth: only the summary is kept.
            let done = run(&net, CAPTURE_START, seed, sink, None, false, &mut w)?;
            if with_truth {
                facts = Some(scenarios::scale::facts(&w, catalog.uses()));
            }
            done
        }
    };
    let out = sink.finish()?;
    let truth = with_truth.then(|| Truth {
        generator: format!("segscope-gen {}", env!("CARGO_PKG_VERSION")),
        mode: mode.to_string(),
        seed,
        frames: stats.frames,
        flows,
        scenario: facts,
    });
    Ok(Generated { out, stats, truth })
}

type RunResult<W> = (CaptureSink<W>, Stats, Vec<truth::TruthFlow>);

fn run<W: Write>(
    net: &Network,
    start: Timestamp,
    seed: u64,
    sink: CaptureSink<W>,
    budget: Option<u64>,
    with_truth: bool,
    source: &mut dyn SessionSource,
) -> io::Result<RunResult<W>> {
    Simulator::new(net, start, seed, sink, budget, with_truth).run(source)
}

/// Parses a size such as `1GiB`, `500MiB`, `20MB`, `64k` or `1000000` (bytes): decimal
/// suffixes (k, M, G) are powers of 1000, binary ones (KiB, MiB, GiB) powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| {
        format!("size {s:?}: expected a number followed by an optional unit (e.g. 1GiB)")
    })?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "size {s:?}: unknown unit {other:?} (use B, kB, KiB, MB, MiB, GB or GiB)"
            ));
        }
    };
    Ok((value * mult as f64).round() as u64)
}

impl Stats {
    /// Mean frame length in bytes.
    pub fn avg_frame(&self) -> f64 {
        self.frame_bytes as f64 / self.frames.max(1) as f64
    }

    /// The one-line summary the binary prints.
    pub fn summary_line(&self) -> String {
        let pct = |n: u64, d: u64| 100.0 * n as f64 / d.max(1) as f64;
        format!(
            "{} packets, {} flows ({} tcp, {} udp, {} icmp), avg frame {:.1} B, {} bytes, {:.1} s simulated; \
             flows: IPv6 {:.1}%, VLAN {:.1}% (QinQ {:.1}%), tunnelled {:.1}%; packets: IPv6 {:.1}%, VLAN {:.1}%, tunnelled {:.1}%, fragments {}",
            self.frames,
            self.flows,
            self.tcp_flows,
            self.udp_flows,
            self.icmp_flows,
            self.avg_frame(),
            self.file_bytes,
            self.duration_ns as f64 / 1e9,
            pct(self.v6_flows, self.flows),
            pct(self.vlan_flows, self.flows),
            pct(self.qinq_flows, self.flows),
            pct(self.tunnel_flows, self.flows),
            pct(self.v6_frames, self.frames),
            pct(self.vlan_frames, self.frames),
            pct(self.tunnel_frames, self.frames),
            self.fragment_frames,
        ) + &if self.icmp_errors > 0 {
            format!(", ICMP errors {}", self.icmp_errors)
        } else {
            String::new()
        } + &if self.sessions_skipped > 0 {
            format!(
                "; {} planned sessions skipped (no address of the requested family, or nothing to send)",
                self.sessions_skipped
            )
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("1.5 MiB"), Ok(1_572_864));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("GiB").is_err());
    }
}
