//! From an analysis and its zones to a default-deny policy: the minimal allow rules that let
//! the legitimate observed traffic pass, and the observed traffic left denied on purpose.
//!
//! An observed edge becomes (part of) an allow rule when it is an answered service and none of
//! these holds: it belongs to a lateral-movement or scan finding; it is an admin protocol in
//! cleartext; its server port is ephemeral with no protocol recognised (a reply or a dynamic
//! port, never a rule). Rules are per (client zone, server zone, transport, port); adjacent
//! ports of the same zone pair and kind are folded into one range, gaps never are (a range
//! must not open ports nobody used). Every observed edge the resulting policy blocks is listed
//! in `denied_by_design` with its reason and findings.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use segscope_core::{EdgeKey, FlowRef, Timestamp, Transport};
use segscope_graph::{Analysis, AnalyzedEdge, EdgeStatus, FindingKind};
use segscope_rules::PortSpec;

use crate::model::{
    Action, DeniedTraffic, Policy, Provenance, Rule, RuleEvidence, RuleKind, SCHEMA,
};
use crate::verdict::{Evaluator, Verdict, ZoneMatch};
use crate::zones::ZoneProposal;

/// First port of the dynamic range (IANA); unrecognised services above it are not ruled.
pub const EPHEMERAL_FROM: u16 = 49152;

/// Example flows kept per rule and per denied group.
const EXAMPLES: usize = 3;

/// What the proposal does with one observed edge.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Disposition {
    /// Becomes part of an allow rule of this kind, with the infrastructure reason if any.
    Allow(RuleKind, Option<String>),
    /// Left denied, with the reason and the findings behind it.
    Deny(&'static str, Vec<String>),
}

/// What the proposal needs to know of the findings: per edge, (kind, id, rule).
struct Findings {
    by_edge: BTreeMap<EdgeKey, Vec<(FindingKind, String, String)>>,
    /// Addresses on the legitimate admin path (jump hosts, admin sources).
    admin_hosts: BTreeSet<IpAddr>,
}

/// The rule that flags admin sessions from outside the admin path. A session *into* a jump
/// host is how the admin path starts, not movement away from it.
const OUTSIDE_ADMIN_PATH: &str = "lateral_movement.outside_admin_path";

fn disposition(e: &AnalyzedEdge, findings: &Findings) -> Disposition {
    let on_edge = findings
        .by_edge
        .get(&e.key)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ids = |kind: FindingKind| -> Vec<String> {
        on_edge
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, id, _)| id.clone())
            .collect()
    };
    let lateral: Vec<&(FindingKind, String, String)> = on_edge
        .iter()
        .filter(|(k, _, _)| *k == FindingKind::LateralMovement)
        .collect();
    let into_jump_host = findings.admin_hosts.contains(&e.key.server.ip)
        && lateral
            .iter()
            .all(|(_, _, rule)| rule == OUTSIDE_ADMIN_PATH);
    let from_jump_host = findings.admin_hosts.contains(&e.key.client.ip);
    let admin_path = (into_jump_host || from_jump_host) && e.is_service();
    if !lateral.is_empty() && !admin_path {
        return Disposition::Deny("lateral_movement", ids(FindingKind::LateralMovement));
    }
    let scan = ids(FindingKind::Scan);
    if !scan.is_empty() {
        return Disposition::Deny("scan", scan);
    }
    match e.status {
        EdgeStatus::Service => {}
        // One-way datagram services (syslog, SNMP traps, NetFlow) are never answered; their
        // payload is recognised, unlike a probe's.
        EdgeStatus::AttemptsOnly if one_way_datagram(e) => {}
        EdgeStatus::AttemptsOnly => return Disposition::Deny("unanswered", Vec::new()),
        EdgeStatus::ReplyPath => return Disposition::Deny("reply_path", Vec::new()),
        EdgeStatus::Group => return Disposition::Deny("group_address", Vec::new()),
    }
    if e.admin_service.is_some() && !e.expected_service_use && e.main_auth.is_cleartext() {
        let mut cred = ids(FindingKind::CleartextCredentials);
        cred.extend(ids(FindingKind::UnauthenticatedService));
        return Disposition::Deny("cleartext_admin", cred);
    }
    if e.key.port >= EPHEMERAL_FROM && e.app == segscope_core::AppProto::Unknown {
        return Disposition::Deny("ephemeral_port", Vec::new());
    }
    if let Some(why) = &e.infrastructure {
        return Disposition::Allow(RuleKind::Infrastructure, Some(why.clone()));
    }
    if e.is_admin_session() || !lateral.is_empty() {
        return Disposition::Allow(RuleKind::Admin, None);
    }
    Disposition::Allow(RuleKind::Service, None)
}

/// An unanswered UDP edge whose payload a probe recognised: a one-way service.
pub fn one_way_datagram(e: &AnalyzedEdge) -> bool {
    e.key.transport == Transport::UDP && e.app != segscope_core::AppProto::Unknown
}

/// Fewest servers in other subnets a host must administer to be taken for a jump host.
const JUMP_HOST_TARGETS: usize = 3;

/// Hosts on the legitimate admin path: those the analysis marks (admin source, management
/// role), and those that behave as jump hosts — answered admin sessions to at least
/// [`JUMP_HOST_TARGETS`] non-workstation servers outside their own subnet, while being neither
/// a workstation nor the source of a scan. A workstation administering its peers is lateral
/// movement; a jump host administering servers is the admin path.
fn admin_hosts(analysis: &Analysis) -> BTreeSet<IpAddr> {
    use segscope_graph::Role;
    let role_of: BTreeMap<IpAddr, Role> = analysis
        .workloads
        .iter()
        .map(|w| (w.key.ip, w.role))
        .collect();
    let excluded: BTreeSet<IpAddr> = analysis
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Scan)
        .filter_map(|f| f.workloads.first().map(|w| w.ip))
        .chain(
            analysis
                .workloads
                .iter()
                .filter(|w| matches!(w.role, Role::Scanner | Role::Workstation))
                .map(|w| w.key.ip),
        )
        .collect();
    let cfg = &analysis.config;
    let subnet = |ip| crate::zones::prefix_of(ip, cfg.segment_prefix_v4, cfg.segment_prefix_v6);
    let mut targets: BTreeMap<IpAddr, BTreeSet<IpAddr>> = BTreeMap::new();
    for e in analysis.edges.iter().filter(|e| e.is_admin_session()) {
        let (c, s) = (e.key.client.ip, e.key.server.ip);
        if subnet(c) != subnet(s) && role_of.get(&s).is_some_and(|r| *r != Role::Workstation) {
            targets.entry(c).or_default().insert(s);
        }
    }
    let inferred = targets
        .into_iter()
        .filter(|(ip, t)| t.len() >= JUMP_HOST_TARGETS && !excluded.contains(ip))
        .map(|(ip, _)| ip);
    analysis
        .workloads
        .iter()
        .filter(|w| w.admin_source.is_some() || w.role == Role::Management)
        .map(|w| w.key.ip)
        .chain(inferred)
        .collect()
}

/// Accumulates the evidence of the edges behind one rule or one denied group.
#[derive(Default)]
struct Tally {
    edges: BTreeSet<EdgeKey>,
    flows: u64,
    clients: BTreeSet<IpAddr>,
    servers: BTreeSet<IpAddr>,
    apps: BTreeMap<String, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    examples: Vec<FlowRef>,
    infra: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, e: &AnalyzedEdge) {
        self.edges.insert(e.key);
        self.flows += e.edge.flows;
        self.clients.insert(e.key.client.ip);
        self.servers.insert(e.key.server.ip);
        *self.apps.entry(e.app.to_string()).or_default() += e.edge.flows;
        self.first = min_opt(self.first, e.edge.first_seen);
        self.last = max_opt(self.last, e.edge.last_seen);
        let mut ex = e.answered_evidence();
        if ex.is_empty() {
            ex = e.edge.all_evidence();
        }
        self.examples.extend(ex);
        self.examples.sort_by_key(|f| (f.ts, f.flow_id));
        self.examples.dedup_by_key(|f| f.flow_id);
        self.examples.truncate(EXAMPLES);
        if let Some(why) = &e.infrastructure {
            *self.infra.entry(why.clone()).or_default() += e.edge.flows;
        }
    }

    fn evidence(&self) -> RuleEvidence {
        RuleEvidence {
            edges: self.edges.len() as u64,
            flows: self.flows,
            clients: self.clients.len() as u64,
            servers: self.servers.len() as u64,
            apps: self.apps.clone(),
            first_seen: self.first,
            last_seen: self.last,
            example_flows: self.examples.clone(),
        }
    }
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// `CLIENT -> SERVER tcp/PORT`.
pub fn edge_label(k: &EdgeKey) -> String {
    format!(
        "{} -> {} {}/{}",
        k.client.ip, k.server.ip, k.transport, k.port
    )
}

/// Proposes the default-deny policy named `name` for `analysis` with the zones of `zones`.
pub fn propose_policy(
    analysis: &Analysis,
    zones: &ZoneProposal,
    name: &str,
    provenance: Provenance,
) -> Policy {
    let mut policy = Policy {
        schema: SCHEMA.to_owned(),
        name: name.to_owned(),
        description: "Proposed by segscope from observed traffic: default deny in both directions, between zones and inside them; each allow rule cites the flows that justify it.".to_owned(),
        default_action: Action::Deny,
        generated: Some(provenance),
        zones: zones.policy_zones(),
        rules: Vec::new(),
        denied_by_design: Vec::new(),
    };
    let mut findings = Findings {
        by_edge: BTreeMap::new(),
        admin_hosts: admin_hosts(analysis),
    };
    for f in &analysis.findings {
        for k in &f.edges {
            findings
                .by_edge
                .entry(*k)
                .or_default()
                .push((f.kind, f.id.clone(), f.rule.clone()));
        }
    }
    let eval = Evaluator::new(&policy);
    // (from, to, kind, transport) → port → tally.
    type Key = (String, String, RuleKind, Transport);
    let mut allowed: BTreeMap<Key, BTreeMap<u16, Tally>> = BTreeMap::new();
    for e in &analysis.edges {
        let (ZoneMatch::Zone(from), ZoneMatch::Zone(to)) =
            (eval.zone_of(e.key.client.ip), eval.zone_of(e.key.server.ip))
        else {
            continue;
        };
        if let Disposition::Allow(kind, _) = disposition(e, &findings) {
            allowed
                .entry((from.to_owned(), to.to_owned(), kind, e.key.transport))
                .or_default()
                .entry(e.key.port)
                .or_default()
                .add(e);
        }
    }
    let mut rules = Vec::new();
    for ((from, to, kind, transport), ports) in allowed {
        for (lo, hi, tally) in fold_runs(ports) {
            let service = PortSpec { transport, lo, hi };
            let infrastructure = tally
                .infra
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(w, _)| w.clone())
                .filter(|_| kind == RuleKind::Infrastructure);
            let ports = if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            };
            let apps: Vec<&str> = tally.apps.keys().map(String::as_str).collect();
            rules.push(Rule {
                id: format!("allow-{from}-to-{to}-{transport}-{ports}"),
                action: Action::Allow,
                from: from.clone(),
                to: to.clone(),
                service,
                kind,
                infrastructure,
                comment: format!(
                    "{} {from} → {to} {service} ({}): {} flows on {} host pairs",
                    kind.as_str(),
                    apps.join(", "),
                    tally.flows,
                    tally.edges.len()
                ),
                evidence: Some(tally.evidence()),
            });
        }
    }
    policy.rules = rules;
    policy.denied_by_design = denied(analysis, &policy, &findings);
    policy
}

/// Folds runs of adjacent ports into ranges, keeping the tallies together.
fn fold_runs(ports: BTreeMap<u16, Tally>) -> Vec<(u16, u16, Tally)> {
    let mut out: Vec<(u16, u16, Tally)> = Vec::new();
    for (p, t) in ports {
        match out.last_mut() {
            Some((_, hi, acc)) if u32::from(*hi) + 1 == u32::from(p) => {
                *hi = p;
                acc.edges.extend(t.edges);
                acc.flows += t.flows;
                acc.clients.extend(t.clients);
                acc.servers.extend(t.servers);
                for (a, n) in t.apps {
                    *acc.apps.entry(a).or_default() += n;
                }
                acc.first = min_opt(acc.first, t.first);
                acc.last = max_opt(acc.last, t.last);
                acc.examples.extend(t.examples);
                acc.examples.sort_by_key(|f| (f.ts, f.flow_id));
                acc.examples.dedup_by_key(|f| f.flow_id);
                acc.examples.truncate(EXAMPLES);
                for (w, n) in t.infra {
                    *acc.infra.entry(w).or_default() += n;
                }
            }
            _ => out.push((p, p, t)),
        }
    }
    out
}

/// Every observed edge the policy blocks, grouped by (reason, findings, client zone, server
/// zone).
fn denied(analysis: &Analysis, policy: &Policy, findings: &Findings) -> Vec<DeniedTraffic> {
    let eval = Evaluator::new(policy);
    type Key = (&'static str, Vec<String>, String, String);
    let mut groups: BTreeMap<Key, Tally> = BTreeMap::new();
    for e in &analysis.edges {
        let verdict = eval.verdict(
            e.key.client.ip,
            e.key.server.ip,
            e.key.transport,
            e.key.port,
        );
        if !verdict.is_blocked() && !matches!(verdict, Verdict::UnmatchedZone { .. }) {
            continue;
        }
        let zone = |ip| match eval.zone_of(ip) {
            ZoneMatch::Zone(z) => z.to_owned(),
            _ => "(none)".to_owned(),
        };
        let (reason, ids) = match (&verdict, disposition(e, findings)) {
            (Verdict::UnmatchedZone { .. }, _) => ("unzoned", Vec::new()),
            (_, Disposition::Deny(r, ids)) => (r, ids),
            (_, Disposition::Allow(..)) => ("no_rule", Vec::new()),
        };
        groups
            .entry((reason, ids, zone(e.key.client.ip), zone(e.key.server.ip)))
            .or_default()
            .add(e);
    }
    groups
        .into_iter()
        .map(|((reason, findings, from, to), t)| {
            let services: BTreeSet<String> = t
                .edges
                .iter()
                .map(|k| format!("{}/{}", k.transport, k.port))
                .collect();
            let mut services: Vec<String> = services.into_iter().collect();
            if services.len() > 6 {
                let more = services.len() - 6;
                services.truncate(6);
                services.push(format!("{more} more"));
            }
            DeniedTraffic {
                reason: reason.to_owned(),
                summary: format!(
                    "{}: {} flows from {} to {} host(s), {from} → {to}, on {}",
                    describe_reason(reason),
                    t.flows,
                    t.clients.len(),
                    t.servers.len(),
                    services.join(", ")
                ),
                findings,
                from,
                to,
                flows: t.flows,
                edges: t.edges.iter().map(edge_label).collect(),
                example_flows: t.examples,
            }
        })
        .collect()
}

fn describe_reason(reason: &str) -> &'static str {
    match reason {
        "lateral_movement" => "lateral movement",
        "scan" => "scan",
        "cleartext_admin" => "administration in cleartext",
        "unanswered" => "attempts never answered (not a service)",
        "reply_path" => "reply half of a conversation (never a rule)",
        "group_address" => "to a multicast or broadcast address",
        "ephemeral_port" => "unrecognised traffic to an ephemeral port",
        "unzoned" => "an endpoint in no zone",
        _ => "no rule",
    }
}
