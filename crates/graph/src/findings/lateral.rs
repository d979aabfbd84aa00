//! `lateral_movement`: admin-protocol sessions between workstations (or client-only hosts) or
//! between peer workloads of the same role, workstations reaching servers on admin services
//! from outside the admin path, and one source reaching many peers on the same admin service
//! (fan-out).
//!
//! Answered east-west admin sessions are movement; admin attempts that never got an answer
//! (no reply, reset, ICMP prohibited) towards the same kinds of target are reported once per
//! source as *attempted* movement, at their own severity: the firewall stopped them, but a
//! workstation trying SSH, SMB and RDP on servers is what a compromised host does. Sources
//! that are scanners have their own finding. Sources on the admin path (declared admin sources, inventory jump hosts, and inferred jump hosts when
//! the rules trust them) never produce a finding; admin protocols that are the server's own
//! service (SMB to a file server) are not admin sessions.

use std::collections::{BTreeMap, BTreeSet};

use segscope_core::auth::AuthClass;
use segscope_rules::findings::{FindingKind, Role, Severity};

use crate::edge::EdgeStatus;
use crate::findings::{Draft, Finding, label, list};
use crate::view::View;
use crate::workload::Workload;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sub {
    WorkstationToWorkstation,
    PeerToPeer,
    OutsideAdminPath,
}

impl Sub {
    fn rule(self) -> &'static str {
        match self {
            Sub::WorkstationToWorkstation => "lateral_movement.workstation_to_workstation",
            Sub::PeerToPeer => "lateral_movement.peer_to_peer",
            Sub::OutsideAdminPath => "lateral_movement.outside_admin_path",
        }
    }
}

/// Workstations, and hosts that only originate (too little traffic to say more, but not
/// servers): the end points of workstation-to-workstation movement.
pub(crate) fn workstation_like(r: Role) -> bool {
    matches!(r, Role::Workstation | Role::Client)
}

fn peer_role(r: Role) -> bool {
    r.is_server() || r == Role::Management
}

fn classify(v: &View<'_>, ci: usize, si: usize) -> Option<Sub> {
    let (c, s) = (v.workload(ci), v.workload(si));
    if ci == si || c.admin_source.is_some() {
        return None;
    }
    if workstation_like(c.role) && workstation_like(s.role) {
        return Some(Sub::WorkstationToWorkstation);
    }
    if c.role == s.role && peer_role(c.role) {
        return Some(Sub::PeerToPeer);
    }
    let ws_segment = v
        .segments
        .get(v.seg(ci))
        .is_some_and(|seg| seg.workstation_segment);
    if (workstation_like(c.role) || ws_segment) && s.role.is_server() {
        return Some(Sub::OutsideAdminPath);
    }
    None
}

struct Candidate {
    edge: usize,
    server: usize,
    sub: Option<Sub>,
}

/// Lateral-movement findings over the view.
pub(crate) fn findings(v: &View<'_>) -> Vec<Finding> {
    let rule = &v.rules.lateral_movement;
    let mut groups: BTreeMap<(usize, String), Vec<Candidate>> = BTreeMap::new();
    let mut attempts: BTreeMap<usize, Vec<Candidate>> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        let answered = e.is_admin_session();
        let attempted = e.status == EdgeStatus::AttemptsOnly && !e.expected_service_use;
        if !((answered || attempted) && e.east_west) {
            continue;
        }
        let Some(service) = &e.admin_service else {
            continue;
        };
        let (ci, si) = v.ends.get(i).copied().unwrap_or_default();
        let sub = classify(v, ci, si);
        let (client, server) = (v.workload(ci), v.workload(si));
        let to_workstation = workstation_like(server.role) && client.admin_source.is_none();
        let candidate = Candidate {
            edge: i,
            server: si,
            sub,
        };
        if answered && (sub.is_some() || to_workstation) {
            groups
                .entry((ci, service.clone()))
                .or_default()
                .push(candidate);
        } else if attempted
            && client.role != Role::Scanner
            && client.admin_source.is_none()
            && (sub.is_some() || to_workstation || server.role == Role::Management)
        {
            attempts.entry(ci).or_default().push(candidate);
        }
    }
    let mut out: Vec<Finding> = attempts
        .into_iter()
        .map(|(ci, cands)| attempted(v, ci, &cands))
        .collect();
    for ((ci, service), cands) in groups {
        let peers: BTreeSet<usize> = cands.iter().map(|c| c.server).collect();
        if peers.len() >= rule.fan_out.min_peers as usize {
            let mut severity = rule.fan_out.severity;
            for c in &cands {
                if let Some(sub) = c.sub {
                    severity = severity.max(sub_severity(v, sub));
                }
            }
            let all: Vec<&Candidate> = cands.iter().collect();
            out.push(draft(v, ci, &service, &all, None, severity));
            continue;
        }
        let mut by_sub: BTreeMap<Sub, Vec<&Candidate>> = BTreeMap::new();
        for c in &cands {
            if let Some(sub) = c.sub {
                by_sub.entry(sub).or_default().push(c);
            }
        }
        for (sub, group) in by_sub {
            out.push(draft(
                v,
                ci,
                &service,
                &group,
                Some(sub),
                sub_severity(v, sub),
            ));
        }
    }
    out
}

fn sub_severity(v: &View<'_>, sub: Sub) -> Severity {
    let r = &v.rules.lateral_movement;
    match sub {
        Sub::WorkstationToWorkstation => r.workstation_to_workstation,
        Sub::PeerToPeer => r.peer_to_peer,
        Sub::OutsideAdminPath => r.outside_admin_path,
    }
}

/// One finding per source for its unanswered admin attempts, citing the failed flows.
fn attempted(v: &View<'_>, ci: usize, cands: &[Candidate]) -> Finding {
    let client = v.workload(ci);
    let servers: BTreeSet<usize> = cands.iter().map(|c| c.server).collect();
    let mut services: BTreeSet<String> = BTreeSet::new();
    let (mut flows, mut prohibited, mut rejected, mut no_reply) = (0, 0, 0, 0);
    let mut edges = Vec::new();
    let mut evidence = Vec::new();
    for c in cands {
        if let Some(e) = v.edges.get(c.edge) {
            services.extend(e.admin_service.as_deref().map(str::to_uppercase));
            flows += e.edge.flows;
            prohibited += e.edge.admin_prohibited;
            rejected += e.edge.rejected;
            no_reply += e.edge.no_reply;
            edges.push(e.key);
            evidence.extend(e.edge.failed_evidence.flows().iter().take(2).cloned());
        }
    }
    let services: Vec<String> = services.into_iter().collect();
    let server_labels: Vec<String> = servers.iter().map(|&s| label(v.workload(s))).collect();
    let n = servers.len();
    let plural = if n == 1 { "" } else { "s" };
    Draft {
        kind: FindingKind::LateralMovement,
        subject: format!("{}|attempted", client.key),
        rule: "lateral_movement.attempted".to_owned(),
        severity: v.rules.lateral_movement.attempted,
        title: format!(
            "{} tried {} on {n} host{plural}; no attempt was answered",
            client.display_name,
            services.join(", ")
        ),
        explanation: format!(
            "{} ({}, segment {}) attempted {} to {} and got no session: {flows} flows, {prohibited} \
             refused with ICMP administratively prohibited, {rejected} reset, {no_reply} \
             unanswered. The network stopped these attempts (default-deny evidence), but a \
             {} probing admin services on servers and peers is what a compromised host does \
             before it moves.",
            label(client),
            client.role,
            client.segment,
            services.join(", "),
            list(&server_labels, 8),
            client.role.as_str().replace('_', " "),
        ),
        workloads: std::iter::once(client.key)
            .chain(servers.iter().map(|&s| v.workload(s).key))
            .collect(),
        segments: Vec::new(),
        edges,
        evidence,
        remediation: format!(
            "Find out what on {} opened these connections (endpoint telemetry, the user's \
             session at the first frame cited) and keep the deny rules that stopped them.",
            client.display_name
        ),
    }
    .finish(v.rules.evidence_per_finding, v.basis)
}

fn role_phrase(w: &Workload) -> String {
    format!("a {}", w.role.as_str().replace('_', " "))
}

fn draft(
    v: &View<'_>,
    ci: usize,
    service: &str,
    cands: &[&Candidate],
    sub: Option<Sub>,
    base: Severity,
) -> Finding {
    let rule = &v.rules.lateral_movement;
    let client = v.workload(ci);
    let servers: BTreeSet<usize> = cands.iter().map(|c| c.server).collect();
    let critical: Vec<String> = servers
        .iter()
        .map(|&s| v.workload(s))
        .filter(|w| w.is_critical())
        .map(label)
        .collect();
    let severity = if critical.is_empty() {
        base
    } else {
        base.max(rule.critical_asset)
    };
    let server_labels: Vec<String> = servers.iter().map(|&s| label(v.workload(s))).collect();
    let mut auth: BTreeMap<AuthClass, u64> = BTreeMap::new();
    let mut flows = 0;
    let mut edges = Vec::new();
    let mut evidence = Vec::new();
    let mut users: BTreeSet<String> = BTreeSet::new();
    for c in cands {
        if let Some(e) = v.edges.get(c.edge) {
            for (k, n) in &e.edge.auth {
                *auth.entry(*k).or_default() += n;
            }
            flows += e.edge.flows;
            edges.push(e.key);
            evidence.extend(e.answered_evidence().into_iter().take(2));
            users.extend(e.edge.users.iter().cloned());
        }
    }
    let auth_mix = auth
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let service_up = service.to_uppercase();
    let n = servers.len();
    let plural = if n == 1 { "" } else { "s" };
    let (rule_name, title, why) = match sub {
        None => (
            "lateral_movement.fan_out".to_owned(),
            format!(
                "{} reached {n} peers over {service_up}",
                client.display_name
            ),
            format!(
                "One source opening {service_up} sessions to {n} peers is how worms and \
                 attackers spread (PsExec, WMI, RDP hopping); administration should come from \
                 the admin path, not from {}.",
                role_phrase(client)
            ),
        ),
        Some(Sub::WorkstationToWorkstation) => (
            sub.map(Sub::rule).unwrap_or_default().to_owned(),
            format!(
                "Workstation {} administers {n} other workstation{plural} over {service_up}",
                client.display_name
            ),
            "Workstations rarely need to administer each other; admin protocols between them \
             are the usual path of lateral movement."
                .to_owned(),
        ),
        Some(Sub::PeerToPeer) => (
            sub.map(Sub::rule).unwrap_or_default().to_owned(),
            format!(
                "{} reaches {n} peer{plural} of the same role over {service_up}",
                client.display_name
            ),
            format!(
                "Workloads of the same role ({}) should not need admin sessions to each other; \
                 if one is compromised, the others follow.",
                client.role
            ),
        ),
        Some(Sub::OutsideAdminPath) => (
            sub.map(Sub::rule).unwrap_or_default().to_owned(),
            format!(
                "{} reaches {n} server{plural} over {service_up} outside the admin path",
                client.display_name
            ),
            "Servers should accept admin sessions only from the admin zone or a bastion; a \
             workstation with direct admin access turns any phished laptop into a server \
             foothold."
                .to_owned(),
        ),
    };
    let users_text = if users.is_empty() {
        String::new()
    } else {
        format!(
            " Accounts seen: {}.",
            users.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let critical_text = if critical.is_empty() {
        String::new()
    } else {
        format!(
            " Critical assets among the targets: {}.",
            list(&critical, 5)
        )
    };
    let explanation = format!(
        "{} ({}, segment {}) opened answered {service_up} sessions to {}. {why} \
         {flows} flows; authentication seen: {auth_mix}.{users_text}{critical_text}",
        label(client),
        client.role,
        client.segment,
        list(&server_labels, 8),
    );
    let remediation = format!(
        "Block {service_up} from {} to these targets (host firewall, private VLAN or \
         microsegmentation rule) and allow it only from the admin zone or a bastion. If this \
         path is legitimate administration, declare the source in the configuration's \
         `admin_sources` so it is treated as the admin path.",
        client.display_name
    );
    Draft {
        kind: FindingKind::LateralMovement,
        subject: format!("{}|{service}", client.key),
        rule: rule_name,
        severity,
        title,
        explanation,
        workloads: std::iter::once(client.key)
            .chain(servers.iter().map(|&s| v.workload(s).key))
            .collect(),
        segments: Vec::new(),
        edges,
        evidence,
        remediation,
    }
    .finish(v.rules.evidence_per_finding, v.basis)
}
