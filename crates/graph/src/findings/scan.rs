//! `scan`: one source probing many hosts (horizontal) or many ports on one host (vertical),
//! with mostly failed attempts. Detected before roles are inferred, because a scanner is a
//! role.

use std::collections::BTreeMap;

use segscope_core::{AppProto, Transport};
use segscope_rules::ProtocolRules;
use segscope_rules::findings::{FindingKind, FindingRules, Role, Severity};

use crate::edge::{AnalyzedEdge, EdgeStatus};
use crate::findings::{Draft, Finding, label};
use crate::view::View;
use crate::workload::{RoleSource, Workload};

/// A source that scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanHit {
    /// Workload index of the source.
    pub(crate) source: usize,
    /// Distinct hosts probed.
    pub(crate) hosts: u32,
    /// Most ports probed on one host.
    pub(crate) max_ports: u32,
    /// Distinct (host, port) probed.
    pub(crate) probes: u32,
    /// Of those, never answered.
    pub(crate) failed: u32,
    /// Edge indices of the probes.
    pub(crate) edges: Vec<usize>,
}

impl ScanHit {
    /// One line for the role reason and the finding title.
    pub(crate) fn summary(&self) -> String {
        format!(
            "probed {} hosts ({} ports at most on one), {} of {} (host, port) attempts failed",
            self.hosts, self.max_ports, self.failed, self.probes
        )
    }
}

fn is_probe(e: &AnalyzedEdge, protocols: &ProtocolRules) -> bool {
    let echo = e.key.transport.is_icmp() && matches!(e.key.port, 8 | 128);
    matches!(e.status, EdgeStatus::Service | EdgeStatus::AttemptsOnly)
        && (echo || e.app == AppProto::Unknown || !protocols.is_infrastructure(e.app))
}

/// Scanners among the edges. `ends` gives each edge's client and server index; edges are
/// sorted by key, so one client's edges are contiguous.
pub(crate) fn detect(
    edges: &[AnalyzedEdge],
    ends: &[(usize, usize)],
    workloads: &[Workload],
    protocols: &ProtocolRules,
    rules: &FindingRules,
) -> Vec<ScanHit> {
    let r = &rules.scan;
    let mut hits = Vec::new();
    let mut start = 0;
    while start < edges.len() {
        let client = ends.get(start).map_or(0, |e| e.0);
        let mut end = start;
        while ends.get(end).is_some_and(|e| e.0 == client) {
            end += 1;
        }
        let mut per_host: BTreeMap<usize, u32> = BTreeMap::new();
        let mut probes = Vec::new();
        let mut failed = 0u32;
        for i in start..end {
            let (Some(e), Some(&(_, s))) = (edges.get(i), ends.get(i)) else {
                continue;
            };
            if !is_probe(e, protocols) || workloads.get(s).is_none_or(|w| w.scope.is_group()) {
                continue;
            }
            *per_host.entry(s).or_default() += 1;
            probes.push(i);
            if e.status == EdgeStatus::AttemptsOnly {
                failed += 1;
            }
        }
        let hosts = per_host.len() as u32;
        let max_ports = per_host.values().copied().max().unwrap_or_default();
        let n = probes.len() as u32;
        if n > 0
            && (hosts >= r.min_hosts || max_ports >= r.min_ports_on_one_host)
            && f64::from(failed) >= r.min_failed_share.value * f64::from(n)
        {
            hits.push(ScanHit {
                source: client,
                hosts,
                max_ports,
                probes: n,
                failed,
                edges: probes,
            });
        }
        start = end.max(start + 1);
    }
    hits
}

/// Scan findings for the detected scanners.
pub(crate) fn findings(v: &View<'_>, hits: &[ScanHit]) -> Vec<Finding> {
    hits.iter()
        .map(|h| {
            let src = v.workload(h.source);
            let mut answered: Vec<usize> = Vec::new();
            let mut evidence = Vec::new();
            let mut ports: BTreeMap<(Transport, u16), u32> = BTreeMap::new();
            for &i in &h.edges {
                let Some(e) = v.edges.get(i) else { continue };
                *ports.entry((e.key.transport, e.key.port)).or_default() += 1;
                if e.status == EdgeStatus::Service {
                    answered.push(i);
                } else if evidence.len() < v.rules.evidence_per_finding {
                    evidence.extend(e.edge.failed_evidence.flows().iter().take(1).cloned());
                }
            }
            let mut top: Vec<((Transport, u16), u32)> = ports.into_iter().collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let top_text = top
                .iter()
                .take(5)
                .map(|((t, p), n)| format!("{t}/{p} ({n} hosts)"))
                .collect::<Vec<_>>()
                .join(", ");
            let open: Vec<String> = answered
                .iter()
                .filter_map(|&i| v.edges.get(i))
                .take(10)
                .map(|e| format!("{}:{}", e.key.server, e.port_label()))
                .collect();
            for &i in answered.iter().take(3) {
                if let Some(e) = v.edges.get(i) {
                    evidence.extend(e.first_answered().cloned());
                }
            }
            let declared = src.role == Role::Scanner && src.role_source == RoleSource::Inventory;
            let explanation = format!(
                "{} {}. Most probed: {top_text}. {} (host, port) pairs answered{}. A scan maps \
                 what can be reached before an attacker moves; from inside the network it \
                 usually means a compromised host, an unmanaged tool or a forgotten inventory \
                 job.{}",
                label(src),
                h.summary(),
                answered.len(),
                if open.is_empty() {
                    String::new()
                } else {
                    format!(": {}", open.join(", "))
                },
                if declared {
                    " The inventory declares this host a scanner, so the finding is informational."
                } else {
                    ""
                },
            );
            let mut workloads = vec![src.key];
            workloads.extend(
                answered
                    .iter()
                    .filter_map(|&i| v.ends.get(i))
                    .map(|&(_, s)| v.workload(s).key),
            );
            workloads.dedup();
            Draft {
                kind: FindingKind::Scan,
                rule: "scan".to_owned(),
                subject: src.key.to_string(),
                severity: if declared {
                    Severity::Info
                } else {
                    v.rules.scan.severity
                },
                title: format!(
                    "{} scanned {} hosts and {} services",
                    src.display_name,
                    h.hosts,
                    top.len()
                ),
                explanation,
                workloads,
                segments: Vec::new(),
                edges: answered
                    .iter()
                    .filter_map(|&i| v.edges.get(i))
                    .map(|e| e.key)
                    .collect(),
                evidence,
                remediation: format!(
                    "Identify who runs scans from {}; if it is an authorised scanner, declare \
                     it in the inventory (role: scanner) and restrict it to a scanning window; \
                     otherwise isolate and investigate the host. Close or filter the services \
                     that answered.",
                    src.display_name
                ),
            }
            .finish(v.rules.evidence_per_finding, v.basis)
        })
        .collect()
}
