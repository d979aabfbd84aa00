//! `cleartext_credentials` and `unauthenticated_service`: services used with secrets in clear
//! or with no authentication at all, one finding per service (server, transport, port), with
//! severity raised when a client crosses a segment or the server is a critical asset
//! (ztmm-networks-rubric.md §3.9).

use std::collections::{BTreeMap, BTreeSet};

use segscope_core::Transport;
use segscope_core::auth::AuthClass;
use segscope_rules::findings::{ExposureRule, FindingKind};

use crate::findings::{Draft, Finding, label, list};
use crate::view::View;

/// Findings for flows of `class` (cleartext credentials or cleartext unauthenticated).
pub(crate) fn findings(v: &View<'_>, kind: FindingKind) -> Vec<Finding> {
    let (class, rule): (AuthClass, &ExposureRule) = match kind {
        FindingKind::CleartextCredentials => (
            AuthClass::CleartextCredentials,
            &v.rules.cleartext_credentials,
        ),
        _ => (
            AuthClass::CleartextUnauthenticated,
            &v.rules.unauthenticated_service,
        ),
    };
    let mut services: BTreeMap<(usize, Transport, u16), Vec<usize>> = BTreeMap::new();
    for (i, e) in v.live_edges() {
        if !e.is_service() || e.auth_count(class) == 0 {
            continue;
        }
        if class == AuthClass::CleartextUnauthenticated && e.infrastructure.is_some() {
            continue;
        }
        let (_, si) = v.ends.get(i).copied().unwrap_or_default();
        services
            .entry((si, e.key.transport, e.key.port))
            .or_default()
            .push(i);
    }
    services
        .into_iter()
        .map(|((si, transport, port), idxs)| {
            let server = v.workload(si);
            let mut clients = Vec::new();
            let mut cross = false;
            let mut flows = 0;
            let mut evidence = Vec::new();
            let mut users: BTreeSet<String> = BTreeSet::new();
            let mut mechanisms: BTreeSet<String> = BTreeSet::new();
            let mut apps: BTreeSet<String> = BTreeSet::new();
            let mut edges = Vec::new();
            for &i in &idxs {
                let Some(e) = v.edges.get(i) else { continue };
                let (ci, _) = v.ends.get(i).copied().unwrap_or_default();
                let c = v.workload(ci);
                cross |= e.crosses_segment;
                clients.push(c);
                flows += e.auth_count(class);
                if let Some(s) = e.edge.evidence.get(&class) {
                    evidence.extend(s.flows().iter().take(2).cloned());
                }
                users.extend(e.edge.users.iter().cloned());
                mechanisms.extend(e.edge.mechanisms.iter().cloned());
                apps.insert(e.app.to_string());
                edges.push(e.key);
            }
            let critical = server.is_critical();
            let severity = rule.severity_for(cross, critical);
            let app = apps.into_iter().collect::<Vec<_>>().join("/");
            let client_labels: Vec<String> = clients.iter().map(|c| label(c)).collect();
            let mut raised = Vec::new();
            if cross {
                raised.push("a client is in another segment");
            }
            if critical {
                raised.push("the server is a critical asset");
            }
            let raised_text = if raised.is_empty() {
                String::new()
            } else {
                format!(" Severity raised: {}.", raised.join("; "))
            };
            let detail = match kind {
                FindingKind::CleartextCredentials => format!(
                    "Credentials crossed the wire in clear ({}). Anyone on the path can replay \
                     them: capture one flow and the account is theirs.{}",
                    if mechanisms.is_empty() {
                        app.clone()
                    } else {
                        mechanisms.iter().cloned().collect::<Vec<_>>().join(", ")
                    },
                    if users.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " Accounts: {}.",
                            users.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    },
                ),
                _ => "No authentication was seen at all: any workload that can reach this port \
                      can use the service (NIST SP 800-207 tenet 2: network location alone does \
                      not imply trust)."
                    .to_owned(),
            };
            let explanation = format!(
                "{} serves {app} on {transport}/{port}; {flows} flow{} from {} client{}: {}. \
                 {detail}{raised_text}",
                label(server),
                if flows == 1 { "" } else { "s" },
                clients.len(),
                if clients.len() == 1 { "" } else { "s" },
                list(&client_labels, 8),
            );
            let (title, remediation) = match kind {
                FindingKind::CleartextCredentials => (
                    format!(
                        "Cleartext {app} credentials to {} on {transport}/{port}",
                        server.display_name
                    ),
                    "Require TLS for this service (STARTTLS, LDAPS, FTPS, HTTPS, SNMPv3) or \
                     replace it, then rotate every account seen here: they must be considered \
                     exposed."
                        .to_owned(),
                ),
                _ => (
                    format!(
                        "Unauthenticated {app} on {} {transport}/{port}",
                        server.display_name
                    ),
                    "Enable authentication on the service (AUTH, SASL, mTLS or tokens) and \
                     restrict who can reach the port to the callers that need it."
                        .to_owned(),
                ),
            };
            Draft {
                kind,
                rule: kind.as_str().to_owned(),
                subject: format!("{}|{transport}/{port}", server.key),
                severity,
                title,
                explanation,
                workloads: std::iter::once(server.key)
                    .chain(clients.iter().map(|c| c.key))
                    .collect(),
                segments: Vec::new(),
                edges,
                evidence,
                remediation,
            }
            .finish(v.rules.evidence_per_finding, v.basis)
        })
        .collect()
}
