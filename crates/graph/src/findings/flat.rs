//! `flat_network`: the network as a whole is flat (broad segment reachability, or workstations
//! administering each other, or everything in one segment) and no zone shows default-deny
//! evidence; and segment pairs that reach each other on many ports into zones without such
//! evidence ("any-to-any").

use std::collections::{BTreeMap, BTreeSet};

use segscope_core::EdgeKey;
use segscope_rules::findings::FindingKind;

use crate::enforcement::ZoneEnforcement;
use crate::findings::{Draft, Finding, list};
use crate::metrics::Metric;
use crate::segment::SegmentPair;
use crate::view::View;

/// Flat-network findings, from the segmentation metrics and the default-deny evidence.
pub(crate) fn findings(
    v: &View<'_>,
    s1: &Metric,
    s3a: &Metric,
    pairs: &[SegmentPair],
    zones: &[ZoneEnforcement],
) -> Vec<Finding> {
    let rule = &v.rules.flat_network;
    let n = v.rules.evidence_per_finding;
    let mut out = Vec::new();
    let any_evidence = zones.iter().any(ZoneEnforcement::has_ingress_evidence);
    let active: Vec<&str> = v
        .segments
        .iter()
        .filter(|s| s.active)
        .map(|s| &*s.id)
        .collect();
    let mut reasons = Vec::new();
    if let Some(r) = s1.value
        && r > rule.max_reachability.value
    {
        reasons.push(format!(
            "{:.0}% of ordered segment pairs communicate (S1 = {r:.2} > {})",
            r * 100.0,
            rule.max_reachability.value
        ));
    }
    if let Some(a) = s3a.value
        && a > rule.max_workstation_admin_share.value
    {
        reasons.push(format!(
            "{:.0}% of workstations accept admin sessions from other workstations \
             (S3a = {a:.2} > {})",
            a * 100.0,
            rule.max_workstation_admin_share.value
        ));
    }
    let single = active.len() == 1
        && v.segments
            .iter()
            .find(|s| s.active)
            .is_some_and(|s| s.workloads >= 3);
    if single {
        reasons.push(format!(
            "every active workload shares one segment ({})",
            active.first().copied().unwrap_or_default()
        ));
    }
    if !any_evidence && !reasons.is_empty() {
        let mut evidence: Vec<_> = pairs
            .iter()
            .flat_map(|p| p.evidence.iter().take(1).cloned())
            .collect();
        evidence.extend(s3a.evidence.iter().cloned());
        evidence.extend(s1.evidence.iter().cloned());
        let edges = v
            .live_edges()
            .filter(|(i, e)| v.is_segmentation_edge(*i, e) && (e.crosses_segment || single))
            .map(|(_, e)| e.key)
            .take(n)
            .collect();
        out.push(
            Draft {
                kind: FindingKind::FlatNetwork,
                rule: "flat_network".to_owned(),
                subject: "network".to_owned(),
                severity: rule.severity,
                title: "The network is flat: broad reachability and no default-deny evidence"
                    .to_owned(),
                explanation: format!(
                    "{}. No zone shows default-deny evidence (S4): no segment silently drops \
                     or prohibits the attempts it does not serve. Any foothold can reach most \
                     of the network; this is ZTMM's Traditional stage (\"minimal restrictions \
                     on reachability within network segments\"). Active segments: {}.",
                    reasons.join("; "),
                    list(
                        &active.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                        10
                    )
                ),
                workloads: Vec::new(),
                segments: active.iter().map(|s| (*s).to_owned()).collect(),
                edges,
                evidence,
                remediation: "Start default-deny at the most critical zone: allow only the \
                              service ports its callers use (segscope's zone proposal lists \
                              them with evidence), block admin protocols between workstations, \
                              and confirm enforcement by re-running segscope: denied attempts \
                              become S4 evidence."
                    .to_owned(),
            }
            .finish(n, v.basis),
        );
    }
    // Any-to-any pairs: broad port use into a zone without ingress default-deny evidence.
    let denies: BTreeSet<&str> = zones
        .iter()
        .filter(|z| z.has_ingress_evidence())
        .map(|z| &*z.segment)
        .collect();
    let broad: Vec<&SegmentPair> = pairs
        .iter()
        .filter(|p| p.ports.len() >= rule.broad_pair_min_ports as usize && !denies.contains(&*p.to))
        .collect();
    // Sample edges of the broad pairs in one pass (not one pass per pair).
    let broad_ids: BTreeSet<(&str, &str)> = broad.iter().map(|p| (&*p.from, &*p.to)).collect();
    let mut samples: BTreeMap<(&str, &str), Vec<EdgeKey>> = BTreeMap::new();
    if !broad_ids.is_empty() {
        for (i, e) in v.live_edges() {
            let id = (&*e.client_segment, &*e.server_segment);
            if broad_ids.contains(&id) && v.is_segmentation_edge(i, e) {
                let list = samples.entry(id).or_default();
                if list.len() < n {
                    list.push(e.key);
                }
            }
        }
    }
    let mut done: BTreeSet<(&str, &str)> = BTreeSet::new();
    for p in &broad {
        let (a, b) = if p.from <= p.to {
            (&*p.from, &*p.to)
        } else {
            (&*p.to, &*p.from)
        };
        if !done.insert((a, b)) {
            continue;
        }
        let reverse = broad.iter().find(|q| q.from == p.to && q.to == p.from);
        let both = reverse.is_some();
        let mut evidence = p.evidence.clone();
        let mut ports = p.ports.clone();
        if let Some(r) = reverse {
            evidence.extend(r.evidence.iter().cloned());
            ports.extend(r.ports.iter().cloned());
            ports.sort();
            ports.dedup();
        }
        let mut edges: Vec<EdgeKey> = samples
            .get(&(&*p.from, &*p.to))
            .cloned()
            .unwrap_or_default();
        if both && let Some(back) = samples.get(&(&*p.to, &*p.from)) {
            edges.extend(back.iter().copied());
        }
        let title = if both {
            format!("Segments {a} and {b} reach each other any-to-any")
        } else {
            format!(
                "Segment {} reaches {} on {} ports",
                p.from,
                p.to,
                p.ports.len()
            )
        };
        out.push(
            Draft {
                kind: FindingKind::FlatNetwork,
                rule: "flat_network.broad_pair".to_owned(),
                subject: format!("{a}|{b}"),
                severity: rule.broad_pair_severity,
                title,
                explanation: format!(
                    "Answered traffic from {} to {} uses {} distinct service ports ({}){}, and \
                     the destination shows no default-deny evidence. Service-specific \
                     interconnections use a handful of ports (ZTMM Initial).",
                    p.from,
                    p.to,
                    p.ports.len(),
                    list(&p.ports, 12),
                    if both {
                        format!(
                            "; the reverse direction is as broad ({} ports)",
                            ports.len()
                        )
                    } else {
                        String::new()
                    },
                ),
                workloads: Vec::new(),
                segments: vec![a.to_owned(), b.to_owned()],
                edges,
                evidence,
                remediation: format!(
                    "Replace the broad path between {a} and {b} with allow rules for the \
                     services actually used, and deny the rest."
                ),
            }
            .finish(n, v.basis),
        );
    }
    out
}
