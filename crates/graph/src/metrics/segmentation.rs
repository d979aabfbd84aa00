//! Segmentation metrics (ztmm-networks-rubric.md §3.3) over a view of the edges.
//!
//! All of them count only *present, answered, east-west, non-infrastructure* edges (the
//! "segmentation edges"), except S5 (tunnels, any edge) and S6 (critical assets: inbound
//! answered non-infrastructure edges from anywhere, the Internet included).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use segscope_core::{AppProto, FlowRef, Transport, WorkloadKey};
use segscope_rules::findings::Role;
use serde::{Deserialize, Serialize};

use crate::enforcement::{Verdict, ZoneEnforcement};
use crate::findings::lateral::workstation_like;
use crate::metrics::{Earliest, Metric, median, pick_evidence};
use crate::segment::SegmentPair;
use crate::view::View;

/// The exclusions every segmentation metric applies.
pub(crate) const SEGMENTATION_EXCLUSIONS: [&str; 5] = [
    "infrastructure",
    "reply_path",
    "group_address",
    "north_south",
    "attempts_only",
];

/// Communicating segment pairs over the view, sorted by (from, to).
pub(crate) fn segment_pairs(v: &View<'_>) -> Vec<SegmentPair> {
    #[derive(Default)]
    struct Acc {
        edges: u64,
        flows: u64,
        bytes: u64,
        ports: BTreeSet<(Transport, u16)>,
        admin: BTreeSet<String>,
        evidence: Vec<FlowRef>,
    }
    let mut pairs: BTreeMap<(usize, usize), Acc> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        if !v.is_segmentation_edge(i, e) {
            continue;
        }
        let (c, s) = v.ends.get(i).copied().unwrap_or_default();
        let (sc, ss) = (v.seg(c), v.seg(s));
        if sc == ss {
            continue;
        }
        let acc = pairs.entry((sc, ss)).or_default();
        acc.edges += 1;
        acc.flows += e.edge.flows;
        acc.bytes += e.bytes();
        acc.ports.insert((e.key.transport, e.key.port));
        if let Some(a) = &e.admin_service {
            acc.admin.insert(a.clone());
        }
        if acc.evidence.len() < v.rules.evidence_per_finding
            && let Some(f) = e.first_answered()
        {
            acc.evidence.push(f.clone());
        }
    }
    pairs
        .into_iter()
        .map(|((a, b), acc)| SegmentPair {
            from: Arc::from(v.seg_id(a)),
            to: Arc::from(v.seg_id(b)),
            edges: acc.edges,
            flows: acc.flows,
            bytes: acc.bytes,
            ports: acc.ports.iter().map(|(t, p)| format!("{t}/{p}")).collect(),
            admin_services: acc.admin.into_iter().collect(),
            evidence: pick_evidence(acc.evidence, v.rules.evidence_per_finding),
        })
        .collect()
}

/// Active segments: internal segments with at least one workload on a segmentation edge.
pub(crate) fn active_segments(v: &View<'_>) -> BTreeSet<usize> {
    let mut active = BTreeSet::new();
    for (i, e) in v.live_edges() {
        if v.is_segmentation_edge(i, e) {
            let (c, s) = v.ends.get(i).copied().unwrap_or_default();
            active.insert(v.seg(c));
            active.insert(v.seg(s));
        }
    }
    active
}

/// S1: communicating ordered segment pairs ÷ n·(n−1) among active segments.
pub(crate) fn s1(v: &View<'_>, pairs: &[SegmentPair]) -> Metric {
    let n = active_segments(v).len() as f64;
    let m = Metric::new(
        "S1",
        "Segment reachability ratio",
        "ordered pairs of distinct segments (A, B) with at least one answered east-west \
         non-infrastructure service edge from a workload in A to a workload in B, divided by \
         n·(n−1) where n is the number of active internal segments",
        v.coverage,
        v.basis,
    )
    .excluding(&SEGMENTATION_EXCLUSIONS)
    .detail("active_segments", n)
    .evidence(
        pairs
            .iter()
            .flat_map(|p| p.evidence.iter().take(1).cloned())
            .collect(),
        v.rules.evidence_per_finding,
    );
    if n < 2.0 {
        return m.share(pairs.len() as f64, 0.0, "fewer than two active segments");
    }
    m.share(
        pairs.len() as f64,
        n * (n - 1.0),
        "fewer than two active segments",
    )
}

/// S2: median distinct service ports per communicating pair, and the share of pairs using at
/// most `service_specific_max_ports`.
pub(crate) fn s2(v: &View<'_>, pairs: &[SegmentPair]) -> Metric {
    let k = v.rules.segmentation.service_specific_max_ports;
    let mut counts: Vec<u64> = pairs.iter().map(|p| p.ports.len() as u64).collect();
    let narrow = counts.iter().filter(|&&c| c <= u64::from(k)).count() as f64;
    let total = counts.len() as f64;
    let m = Metric::new(
        "S2",
        "Port breadth per segment pair",
        "median number of distinct (transport, server port) per communicating segment pair \
         (as in S1); detail `share_service_specific` is the share of pairs using at most the \
         threshold number of ports",
        v.coverage,
        v.basis,
    )
    .excluding(&SEGMENTATION_EXCLUSIONS)
    .threshold(
        "service-specific pair: at most this many ports",
        f64::from(k),
    )
    .evidence(
        pairs
            .iter()
            .flat_map(|p| p.evidence.iter().take(1).cloned())
            .collect(),
        v.rules.evidence_per_finding,
    );
    match median(&mut counts) {
        Some(med) => m
            .value(med)
            .detail("pairs", total)
            .detail("share_service_specific", narrow / total)
            .detail(
                "max_ports",
                counts.last().copied().unwrap_or_default() as f64,
            ),
        None => m.none("no communicating segment pairs"),
    }
}

/// S3a, S3b and S3c: admin-protocol exposure.
pub(crate) fn s3(v: &View<'_>) -> [Metric; 3] {
    let n = v.workloads.len();
    let mut ws_target = vec![false; n];
    let mut server_target = vec![false; n];
    let mut source_segments: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let n_evidence = v.rules.evidence_per_finding;
    let mut ev_a = Earliest::new(n_evidence);
    let mut ev_b = Earliest::new(n_evidence);
    let mut ev_c = Earliest::new(n_evidence);
    for (i, e) in v.live_edges() {
        if !(e.is_admin_session() && e.east_west) {
            continue;
        }
        let (ci, si) = v.ends.get(i).copied().unwrap_or_default();
        let (c, s) = (v.workload(ci), v.workload(si));
        source_segments.entry(si).or_default().insert(v.seg(ci));
        ev_c.offer_opt(e.first_answered());
        if c.admin_source.is_some() || ci == si {
            continue;
        }
        if workstation_like(c.role) && s.role == Role::Workstation {
            if let Some(t) = ws_target.get_mut(si) {
                *t = true;
            }
            ev_a.offer_opt(e.first_answered());
        }
        let from_ws_segment = workstation_like(c.role)
            || v.segments
                .get(v.seg(ci))
                .is_some_and(|seg| seg.workstation_segment);
        if s.role.is_server() && from_ws_segment {
            if let Some(t) = server_target.get_mut(si) {
                *t = true;
            }
            ev_b.offer_opt(e.first_answered());
        }
    }
    let internal = |w: &&crate::workload::Workload| w.is_internal();
    let workstations = v
        .workloads
        .iter()
        .filter(internal)
        .filter(|w| w.role == Role::Workstation)
        .count() as f64;
    let servers = v
        .workloads
        .iter()
        .filter(internal)
        .filter(|w| w.role.is_server())
        .count() as f64;
    let exclusions = [
        "expected_service_use",
        "admin_path",
        "reply_path",
        "north_south",
    ];
    let n_evidence = v.rules.evidence_per_finding;
    let a = Metric::new(
        "S3a",
        "Workstations accepting admin sessions from workstations",
        "internal workstations that answered an admin-protocol session (SMB, RDP, SSH, WinRM, \
         DCE-RPC, VNC, telnet… per protocols.yaml) from another workstation or client-only \
         host not on the admin path, divided by internal workstations",
        v.coverage,
        v.basis,
    )
    .excluding(&exclusions)
    .evidence(ev_a.into_vec(), n_evidence)
    .share(
        ws_target.iter().filter(|t| **t).count() as f64,
        workstations,
        "no workstations",
    );
    let b = Metric::new(
        "S3b",
        "Servers accepting admin sessions from workstation segments",
        "internal servers (roles domain_controller, dns_server, database, file_server, \
         web_app, infrastructure, server) that answered an admin-protocol session from a \
         workstation or client-only host, or from a workload in a workstation segment, not on \
         the declared or trusted admin path; divided by internal servers",
        v.coverage,
        v.basis,
    )
    .excluding(&exclusions)
    .evidence(ev_b.into_vec(), n_evidence)
    .share(
        server_target.iter().filter(|t| **t).count() as f64,
        servers,
        "no servers",
    );
    let mut per_target: Vec<u64> = source_segments.values().map(|s| s.len() as u64).collect();
    let c = Metric::new(
        "S3c",
        "Source segments per admin target",
        "for each internal workload that answered an admin-protocol session, the number of \
         distinct segments the sessions came from (admin path included); the value is the \
         maximum, detail gives the median and the number of targets",
        v.coverage,
        v.basis,
    )
    .excluding(&["expected_service_use", "reply_path", "north_south"])
    .evidence(ev_c.into_vec(), n_evidence);
    let max = per_target.iter().copied().max();
    let c = match (max, median(&mut per_target)) {
        (Some(max), Some(med)) => c
            .value(max as f64)
            .detail("median", med)
            .detail("targets", per_target.len() as f64),
        _ => c.none("no admin sessions observed"),
    };
    [a, b, c]
}

/// A bulk tunnel (metric S5): a site-to-site or VPN tunnel between two endpoints, which can
/// carry any service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tunnel {
    /// One endpoint (the lower address).
    pub a: WorkloadKey,
    /// The other endpoint.
    pub b: WorkloadKey,
    /// Kinds seen (`esp`, `ike`, `gre`, `wireguard`, `openvpn`).
    pub kinds: Vec<String>,
    /// Flows.
    pub flows: u64,
    /// Bytes.
    pub bytes: u64,
    /// Evidence.
    pub evidence: Vec<FlowRef>,
}

fn tunnel_kind(e: &crate::edge::AnalyzedEdge) -> Option<&'static str> {
    match e.app {
        AppProto::Esp => return Some("esp"),
        AppProto::Ike => return Some("ike"),
        AppProto::Wireguard => return Some("wireguard"),
        AppProto::Openvpn => return Some("openvpn"),
        _ => {}
    }
    match e.key.transport {
        Transport::ESP => Some("esp"),
        Transport::GRE => Some("gre"),
        _ => None,
    }
}

/// Tunnels among present edges.
pub(crate) fn tunnels(v: &View<'_>) -> Vec<Tunnel> {
    let mut by_pair: BTreeMap<(WorkloadKey, WorkloadKey), Tunnel> = BTreeMap::new();
    for (_, e) in v.live_edges() {
        let Some(kind) = tunnel_kind(e) else { continue };
        let (a, b) = if e.key.client <= e.key.server {
            (e.key.client, e.key.server)
        } else {
            (e.key.server, e.key.client)
        };
        let t = by_pair.entry((a, b)).or_insert_with(|| Tunnel {
            a,
            b,
            kinds: Vec::new(),
            flows: 0,
            bytes: 0,
            evidence: Vec::new(),
        });
        if !t.kinds.iter().any(|k| k == kind) {
            t.kinds.push(kind.to_owned());
            t.kinds.sort();
        }
        t.flows += e.edge.flows;
        t.bytes += e.bytes();
        t.evidence.extend(e.edge.all_evidence());
        t.evidence = pick_evidence(
            std::mem::take(&mut t.evidence),
            v.rules.evidence_per_finding,
        );
    }
    by_pair.into_values().collect()
}

/// S5: number of bulk tunnels.
pub(crate) fn s5(v: &View<'_>, tunnels: &[Tunnel]) -> Metric {
    let mut kinds: BTreeMap<&str, f64> = BTreeMap::new();
    for t in tunnels {
        for k in &t.kinds {
            *kinds.entry(k.as_str()).or_default() += 1.0;
        }
    }
    let mut m = Metric::new(
        "S5",
        "Bulk tunnels",
        "distinct endpoint pairs carrying IPsec (ESP, IKE), GRE, WireGuard or OpenVPN; such \
         tunnels can carry any service (ZTMM Traditional: \"bulk traffic VPN tunnels\"). \
         Tunnels that segscope decapsulated (GRE, VXLAN) are not counted: their inner flows \
         are analysed instead",
        v.coverage,
        v.basis,
    )
    .value(tunnels.len() as f64)
    .evidence(
        tunnels
            .iter()
            .flat_map(|t| t.evidence.iter().cloned())
            .collect(),
        v.rules.evidence_per_finding,
    );
    for (k, n) in kinds {
        m = m.detail(k, n);
    }
    m
}

/// A critical asset and how isolated it is (metric S6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalAsset {
    /// The asset.
    pub workload: WorkloadKey,
    /// Declared or suggested, and why.
    pub mark: crate::workload::CriticalMark,
    /// Distinct segments of workloads that reached it (answered, non-infrastructure).
    pub source_segments: Vec<String>,
    /// Distinct service ports reached.
    pub ports: Vec<String>,
    /// Its zone has ingress default-deny evidence, or it showed differential reachability.
    pub enforcement_evidence: bool,
    /// Enforcement evidence and at most `critical_max_source_segments` source segments.
    pub isolated: bool,
    /// Evidence flows.
    pub evidence: Vec<FlowRef>,
}

/// Critical assets over the view, with their isolation facts.
pub(crate) fn critical_assets(v: &View<'_>, zones: &[ZoneEnforcement]) -> Vec<CriticalAsset> {
    struct Acc {
        segments: BTreeSet<usize>,
        ports: BTreeSet<(Transport, u16)>,
        evidence: Earliest,
    }
    let n = v.rules.evidence_per_finding;
    let mut sources: BTreeMap<usize, Acc> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        if !e.is_service() || e.infrastructure.is_some() {
            continue;
        }
        let (ci, si) = v.ends.get(i).copied().unwrap_or_default();
        if !v.workload(si).is_critical() {
            continue;
        }
        let acc = sources.entry(si).or_insert_with(|| Acc {
            segments: BTreeSet::new(),
            ports: BTreeSet::new(),
            evidence: Earliest::new(n),
        });
        acc.segments.insert(v.seg(ci));
        acc.ports.insert((e.key.transport, e.key.port));
        acc.evidence.offer_opt(e.first_answered());
    }
    let max_segments = v.rules.segmentation.critical_max_source_segments as usize;
    v.workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_internal())
        .filter_map(|(i, w)| w.critical.clone().map(|mark| (i, w, mark)))
        .map(|(i, w, mark)| {
            let (segs, ports, evidence) = sources
                .remove(&i)
                .map(|a| (a.segments, a.ports, a.evidence.into_vec()))
                .unwrap_or_default();
            let zone = zones.iter().find(|z| *z.segment == *w.segment);
            let enforcement_evidence = zone.is_some_and(|z| {
                z.ingress.verdict == Verdict::DefaultDeny
                    || z.ingress.differential.iter().any(|d| d.server == w.key)
            });
            CriticalAsset {
                workload: w.key,
                mark,
                isolated: enforcement_evidence && segs.len() <= max_segments,
                source_segments: segs.iter().map(|s| v.seg_id(*s).to_owned()).collect(),
                ports: ports.iter().map(|(t, p)| format!("{t}/{p}")).collect(),
                enforcement_evidence,
                evidence,
            }
        })
        .collect()
}

/// S6: share of critical assets that are isolated.
pub(crate) fn s6(v: &View<'_>, assets: &[CriticalAsset]) -> Metric {
    let isolated = assets.iter().filter(|a| a.isolated).count() as f64;
    let declared = assets
        .iter()
        .filter(|a| a.mark.source == crate::workload::CriticalSource::Declared)
        .count() as f64;
    let max_segs = assets
        .iter()
        .map(|a| a.source_segments.len())
        .max()
        .unwrap_or_default() as f64;
    Metric::new(
        "S6",
        "Critical-asset isolation",
        "critical assets (declared, else suggested from roles) whose segment shows ingress \
         default-deny evidence (S4) or which showed differential reachability, and which were \
         reached from at most the threshold number of source segments; divided by critical \
         assets. Sources include external ones; infrastructure services are left out",
        v.coverage,
        v.basis,
    )
    .excluding(&["infrastructure", "reply_path", "attempts_only"])
    .threshold(
        "isolated: at most this many source segments",
        f64::from(v.rules.segmentation.critical_max_source_segments),
    )
    .detail("declared", declared)
    .detail("suggested", assets.len() as f64 - declared)
    .detail("max_source_segments", max_segs)
    .evidence(
        assets
            .iter()
            .flat_map(|a| a.evidence.iter().cloned())
            .collect(),
        v.rules.evidence_per_finding,
    )
    .share(
        isolated,
        assets.len() as f64,
        "no critical assets declared or suggested",
    )
}
