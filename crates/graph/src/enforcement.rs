//! Default-deny evidence per zone (metric S4, ztmm-networks-rubric.md §3.3).
//!
//! Observed is not permitted: the absence of a flow proves nothing. Only *failed attempts*
//! show a control. For each internal segment Z, the attempts from outside Z to live hosts in Z
//! (hosts seen answering or originating anything) are split by destination port:
//!
//! * *allowed ports*: (transport, port) pairs that answered some source outside Z;
//! * *attempts*: distinct (source, destination, port) edges to other ports — all of them failed
//!   by construction. An attempt is *denied-looking* when its failures were mostly silence (S0)
//!   or ICMP administratively prohibited; an attempt answered by resets is a closed port on a
//!   live host, not a filter, and is reported as such.
//!
//! Z has ingress default-deny evidence when attempts ≥ `min_attempts`, denied share ≥
//! `min_denied_share` and allowed ports ≤ `max_allowed_ports`. *Differential reachability* — the
//! same (server, port) answering some sources and silently dropping others from outside Z — is
//! listed separately: it shows a filter on that service. Egress applies the same test to
//! attempts leaving Z.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use segscope_core::{FlowRef, Transport, WorkloadKey};
use serde::{Deserialize, Serialize};

use crate::edge::{AnalyzedEdge, EdgeStatus};
use crate::metrics::{Earliest, Metric};
use crate::view::View;

/// What the attempts show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Enough attempts, nearly all denied-looking, few allowed ports.
    DefaultDeny,
    /// Too few attempts for the test, but differential reachability shows a filter.
    DifferentialOnly,
    /// Enough attempts, mostly answered by resets: closed ports, no filter seen
    /// ("unenforced/incidental").
    ClosedPorts,
    /// Enough attempts, but too many allowed ports or too few denied.
    NoDefaultDeny,
    /// Some attempts, fewer than the test needs.
    InsufficientAttempts,
    /// No failed attempts at all: nothing to judge from.
    NoAttempts,
}

/// Differential reachability of one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Differential {
    /// The server.
    pub server: WorkloadKey,
    /// `tcp/5432`.
    pub service: String,
    /// Sources it answered.
    pub answered_sources: u32,
    /// Sources outside the zone whose attempts were dropped or prohibited.
    pub dropped_sources: u32,
    /// Evidence: dropped attempts first, then an answered flow.
    pub evidence: Vec<FlowRef>,
}

/// One direction of one zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enforcement {
    /// Verdict.
    pub verdict: Verdict,
    /// Distinct (source, destination, port) attempts to ports that never answered.
    pub attempts: u32,
    /// Of those, silently dropped or administratively prohibited.
    pub denied: u32,
    /// Of those, answered by ICMP administratively prohibited.
    pub admin_prohibited: u32,
    /// Of those, answered by resets (closed ports).
    pub closed: u32,
    /// Ports that answered sources across the boundary.
    pub allowed_ports: Vec<String>,
    /// Services answering some sources and dropping others.
    pub differential: Vec<Differential>,
    /// Evidence flows (denied attempts).
    pub evidence: Vec<FlowRef>,
}

/// Default-deny evidence of one internal segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneEnforcement {
    /// Segment id.
    pub segment: Arc<str>,
    /// Workloads in it.
    pub hosts: u32,
    /// Attempts into the zone.
    pub ingress: Enforcement,
    /// Attempts out of the zone.
    pub egress: Enforcement,
}

impl ZoneEnforcement {
    /// True when the zone shows ingress default-deny evidence.
    pub fn has_ingress_evidence(&self) -> bool {
        self.ingress.verdict == Verdict::DefaultDeny
    }
}

/// Answered and dropped sources of one (server, service).
struct ServiceAcc {
    answered: u32,
    dropped: u32,
    dropped_evidence: Earliest,
    answered_evidence: Earliest,
}

fn denied_looking(e: &AnalyzedEdge) -> bool {
    e.edge.no_reply + e.edge.admin_prohibited > 0
        && e.edge.no_reply + e.edge.admin_prohibited >= e.edge.rejected
}

/// Evaluates one direction over the given boundary-crossing edges, each with its server.
fn evaluate(v: &View<'_>, crossing: &[(usize, usize)]) -> Enforcement {
    let rule = &v.rules.segmentation.default_deny;
    let edges = v.edges;
    let mut allowed: BTreeSet<(Transport, u16)> = BTreeSet::new();
    for &(i, _) in crossing {
        if let Some(e) = edges.get(i)
            && e.status == EdgeStatus::Service
        {
            allowed.insert((e.key.transport, e.key.port));
        }
    }
    let (mut attempts, mut denied, mut prohibited, mut closed) = (0u32, 0u32, 0u32, 0u32);
    let n = v.rules.evidence_per_finding;
    let mut evidence = Earliest::new(n);
    // Per (server, service): answered sources and dropped sources (differential).
    let mut per_service: BTreeMap<(usize, Transport, u16), ServiceAcc> = BTreeMap::new();
    for &(i, target) in crossing {
        let Some(e) = edges.get(i) else { continue };
        let slot = per_service
            .entry((target, e.key.transport, e.key.port))
            .or_insert_with(|| ServiceAcc {
                answered: 0,
                dropped: 0,
                dropped_evidence: Earliest::new(n.saturating_sub(1).max(1)),
                answered_evidence: Earliest::new(1),
            });
        match e.status {
            EdgeStatus::Service => {
                slot.answered += 1;
                slot.answered_evidence.offer_opt(e.first_answered());
            }
            EdgeStatus::AttemptsOnly => {
                if denied_looking(e) {
                    slot.dropped += 1;
                    slot.dropped_evidence
                        .offer_opt(e.edge.failed_evidence.flows().first());
                }
                if allowed.contains(&(e.key.transport, e.key.port)) {
                    continue;
                }
                attempts += 1;
                if denied_looking(e) {
                    denied += 1;
                    if e.edge.admin_prohibited > 0 {
                        prohibited += 1;
                    }
                    evidence.offer_opt(e.edge.failed_evidence.flows().first());
                } else {
                    closed += 1;
                }
            }
            EdgeStatus::ReplyPath | EdgeStatus::Group => {}
        }
    }
    let differential: Vec<Differential> = per_service
        .into_iter()
        .filter(|(_, acc)| acc.answered > 0 && acc.dropped > 0)
        .map(|((server, t, p), acc)| {
            let mut ev = acc.dropped_evidence.into_vec();
            ev.extend(acc.answered_evidence.into_vec());
            Differential {
                server: v.workload(server).key,
                service: format!("{t}/{p}"),
                answered_sources: acc.answered,
                dropped_sources: acc.dropped,
                evidence: ev,
            }
        })
        .collect();
    let share = if attempts > 0 {
        f64::from(denied) / f64::from(attempts)
    } else {
        0.0
    };
    let verdict = if attempts >= rule.min_attempts {
        if share >= rule.min_denied_share.value && allowed.len() <= rule.max_allowed_ports as usize
        {
            Verdict::DefaultDeny
        } else if closed > denied {
            Verdict::ClosedPorts
        } else {
            Verdict::NoDefaultDeny
        }
    } else if !differential.is_empty() {
        Verdict::DifferentialOnly
    } else if attempts == 0 {
        Verdict::NoAttempts
    } else {
        Verdict::InsufficientAttempts
    };
    Enforcement {
        verdict,
        attempts,
        denied,
        admin_prohibited: prohibited,
        closed,
        allowed_ports: allowed.iter().map(|(t, p)| format!("{t}/{p}")).collect(),
        differential,
        evidence: evidence.into_vec(),
    }
}

/// Default-deny evidence for every internal segment.
pub(crate) fn zones(v: &View<'_>) -> Vec<ZoneEnforcement> {
    let n = v.workloads.len();
    let mut alive = vec![false; n];
    for (i, e) in v.live_edges() {
        if e.is_service() {
            let (c, s) = v.ends.get(i).copied().unwrap_or_default();
            for w in [c, s] {
                if let Some(a) = alive.get_mut(w) {
                    *a = true;
                }
            }
        }
    }
    let mut ingress: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut egress: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        if matches!(e.status, EdgeStatus::ReplyPath | EdgeStatus::Group) {
            continue;
        }
        let (c, s) = v.ends.get(i).copied().unwrap_or_default();
        let (sc, ss) = (v.seg(c), v.seg(s));
        if sc == ss || !alive.get(s).copied().unwrap_or(false) {
            continue;
        }
        if v.workload(s).is_internal() {
            ingress.entry(ss).or_default().push((i, s));
        }
        if v.workload(c).is_internal() {
            egress.entry(sc).or_default().push((i, s));
        }
    }
    v.segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.internal)
        .map(|(si, s)| ZoneEnforcement {
            segment: s.id.clone(),
            hosts: s.workloads,
            ingress: evaluate(v, ingress.get(&si).map_or(&[], Vec::as_slice)),
            egress: evaluate(v, egress.get(&si).map_or(&[], Vec::as_slice)),
        })
        .collect()
}

/// S4: share of active internal zones with ingress default-deny evidence.
pub(crate) fn s4(v: &View<'_>, zones: &[ZoneEnforcement]) -> Metric {
    let rule = &v.rules.segmentation.default_deny;
    let active: Vec<&ZoneEnforcement> = zones
        .iter()
        .filter(|z| {
            v.segments
                .iter()
                .find(|s| s.id == z.segment)
                .is_some_and(|s| s.active)
        })
        .collect();
    let with: Vec<&&ZoneEnforcement> = active.iter().filter(|z| z.has_ingress_evidence()).collect();
    let hosts: u32 = active.iter().map(|z| z.hosts).sum();
    let hosts_with: u32 = with.iter().map(|z| z.hosts).sum();
    let count =
        |f: &dyn Fn(&ZoneEnforcement) -> bool| active.iter().filter(|z| f(z)).count() as f64;
    Metric::new(
        "S4",
        "Default-deny evidence per zone",
        "active internal segments whose inbound attempts from other segments to live hosts \
         show default deny: at least min_attempts distinct (source, destination, port) \
         attempts to ports that never answered across the boundary, at least min_denied_share \
         of them silently dropped or ICMP administratively prohibited, and at most \
         max_allowed_ports ports answering; divided by active internal segments. Resets from \
         live hosts are closed ports, not deny. Observed only: never projected",
        v.coverage,
        v.basis,
    )
    .excluding(&["reply_path", "group_address"])
    .threshold("min_attempts", f64::from(rule.min_attempts))
    .threshold("min_denied_share", rule.min_denied_share.value)
    .threshold("max_allowed_ports", f64::from(rule.max_allowed_ports))
    .detail(
        "hosts_share",
        if hosts > 0 {
            f64::from(hosts_with) / f64::from(hosts)
        } else {
            0.0
        },
    )
    .detail(
        "zones_with_differential",
        count(&|z| !z.ingress.differential.is_empty()),
    )
    .detail(
        "zones_with_egress_evidence",
        count(&|z| z.egress.verdict == Verdict::DefaultDeny),
    )
    .detail(
        "zones_closed_ports_only",
        count(&|z| z.ingress.verdict == Verdict::ClosedPorts),
    )
    .evidence(
        active
            .iter()
            .flat_map(|z| {
                z.ingress
                    .evidence
                    .iter()
                    .chain(
                        z.ingress
                            .differential
                            .iter()
                            .flat_map(|d| d.evidence.iter()),
                    )
                    .cloned()
            })
            .collect(),
        v.rules.evidence_per_finding,
    )
    .share(
        with.len() as f64,
        active.len() as f64,
        "no active internal segments",
    )
}
