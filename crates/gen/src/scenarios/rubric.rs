//! The Networks-pillar rubric (ztmm-networks-rubric.md §3.3–3.5) applied to what a scenario
//! planted, so that the expected stage of each function is derived from the construction
//! — the firewall rules, the edges, the replayed bytes — with every metric and reason
//! written down, instead of being asserted by hand. segscope's scorer computes the same
//! metrics from the capture; a difference is a finding about one of the two.
//!
//! Definitions (the rubric's, made precise where it leaves a choice):
//! - east-west: both ends in internal (non-external) zones; segments are the scenario's zones;
//! - infrastructure services (left out of S1–S3 and S6): DNS, NTP, DHCP, syslog, and Kerberos
//!   and LDAP to domain controllers;
//! - an attempt across a zone boundary counts for S4 when its (destination, transport, port)
//!   never answered a session crossing that boundary; denied-looking means no reply or ICMP
//!   administratively prohibited; evidence needs ≥ 20 attempts, ≥ 95 % denied-looking and at
//!   most 5 answering service ports (the defaults of `rules/findings.yaml`);
//! - encryption counts established east-west flows that carried payload, leaving out the
//!   not-applicable class (DNS, NTP, syslog).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use segscope_core::{AppProto, AuthClass, Transport};

use crate::scenarios::truth::{
    AuthBuckets, EdgeFacts, Enforcement, Expected, FunctionStage, HostFacts, Outcome, ScenarioFacts,
};
use crate::truth::TruthFlow;

/// S4: least attempts for evidence.
pub const MIN_ATTEMPTS: usize = 20;
/// S4: least denied-looking share.
pub const MIN_DENIED_SHARE: f64 = 0.95;
/// S4: most service ports answering across the boundary.
pub const MAX_ALLOWED_PORTS: usize = 5;

/// A Networks function the rubric scores from traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// Network Segmentation (§3.3).
    Segmentation,
    /// Traffic Encryption (§3.4).
    Encryption,
}

impl Function {
    /// The name used in the truth.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Segmentation => "network_segmentation",
            Function::Encryption => "traffic_encryption",
        }
    }
}

/// Admin protocols (rubric §3.2).
fn is_admin(t: Transport, port: u16) -> bool {
    if t == Transport::UDP {
        return port == 623;
    }
    matches!(
        port,
        22 | 23 | 135 | 139 | 445 | 512..=514 | 2375 | 2376 | 3389 | 5900..=5903 | 5985 | 5986 | 10250
    )
}

fn is_infrastructure(e: &EdgeFacts, server_role: &str) -> bool {
    match e.app {
        AppProto::Dns | AppProto::Ntp | AppProto::Dhcp | AppProto::Dhcpv6 | AppProto::Syslog => {
            true
        }
        AppProto::Kerberos | AppProto::Ldap => server_role == "domain_controller",
        _ => false,
    }
}

/// Enforcement evidence of `zone` for traffic entering it (`ingress`) or leaving it.
pub fn enforcement(edges: &[EdgeFacts], zone: &str, ingress: bool) -> Enforcement {
    let crossing: Vec<&EdgeFacts> = edges
        .iter()
        .filter(|e| {
            let (inside, outside) = if ingress {
                (&e.server_zone, &e.client_zone)
            } else {
                (&e.client_zone, &e.server_zone)
            };
            inside == zone && outside != zone
        })
        .collect();
    let answered: BTreeSet<(IpAddr, Transport, u16)> = crossing
        .iter()
        .filter(|e| e.outcome == Outcome::Established)
        .map(|e| (e.server_ip, e.transport, e.port))
        .collect();
    let mut attempts: BTreeMap<(IpAddr, IpAddr, Transport, u16), Outcome> = BTreeMap::new();
    for e in &crossing {
        if !answered.contains(&(e.server_ip, e.transport, e.port)) {
            attempts.insert((e.client_ip, e.server_ip, e.transport, e.port), e.outcome);
        }
    }
    let count = |o: Outcome| attempts.values().filter(|&&x| x == o).count();
    let (no_reply, admin_prohibited, refused) = (
        count(Outcome::NoReply),
        count(Outcome::AdminProhibited),
        count(Outcome::Refused),
    );
    let allowed: BTreeSet<(Transport, u16)> = answered.iter().map(|&(_, t, p)| (t, p)).collect();
    let differential: BTreeSet<String> = crossing
        .iter()
        .filter(|e| {
            e.outcome.denied_looking() && answered.contains(&(e.server_ip, e.transport, e.port))
        })
        .map(|e| format!("{} {}/{}", e.server_ip, e.transport, e.port))
        .collect();
    let n = attempts.len();
    let denied = no_reply + admin_prohibited;
    Enforcement {
        attempts: n,
        no_reply,
        admin_prohibited,
        refused,
        allowed_ports: allowed.iter().map(|(t, p)| format!("{t}/{p}")).collect(),
        differential: differential.into_iter().collect(),
        evidence: n >= MIN_ATTEMPTS
            && denied as f64 >= MIN_DENIED_SHARE * n as f64
            && allowed.len() <= MAX_ALLOWED_PORTS,
    }
}

struct View<'a> {
    facts: &'a ScenarioFacts,
    hosts: BTreeMap<&'a str, &'a HostFacts>,
    internal: BTreeSet<&'a str>,
}

impl<'a> View<'a> {
    fn new(facts: &'a ScenarioFacts) -> View<'a> {
        View {
            facts,
            hosts: facts.hosts.iter().map(|h| (h.name.as_str(), h)).collect(),
            internal: facts
                .zones
                .iter()
                .filter(|z| !z.external)
                .map(|z| z.name.as_str())
                .collect(),
        }
    }

    fn role(&self, name: &str) -> &str {
        self.hosts.get(name).map_or("", |h| h.role.as_str())
    }

    fn east_west(&self, e: &EdgeFacts) -> bool {
        self.internal.contains(e.client_zone.as_str())
            && self.internal.contains(e.server_zone.as_str())
    }

    /// Established east-west edges, infrastructure services left out.
    fn service_edges(&self) -> Vec<&'a EdgeFacts> {
        self.facts
            .edges
            .iter()
            .filter(|e| {
                e.outcome == Outcome::Established
                    && self.east_west(e)
                    && e.app != AppProto::Unknown
                    && !is_infrastructure(e, self.role(&e.server))
            })
            .collect()
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn segmentation(v: &View<'_>) -> FunctionStage {
    let est = v.service_edges();
    let mut active = BTreeSet::new();
    let mut pairs: BTreeMap<(&str, &str), BTreeSet<(Transport, u16)>> = BTreeMap::new();
    for e in &est {
        active.insert(e.client_zone.as_str());
        active.insert(e.server_zone.as_str());
        if e.client_zone != e.server_zone {
            pairs
                .entry((&e.client_zone, &e.server_zone))
                .or_default()
                .insert((e.transport, e.port));
        }
    }
    let n = active.len();
    let s1 = ratio(pairs.len(), n * n.saturating_sub(1));
    let narrow = pairs.values().filter(|p| p.len() <= 2).count();
    let s2 = if pairs.is_empty() {
        1.0
    } else {
        ratio(narrow, pairs.len())
    };
    let internal_hosts: Vec<&HostFacts> = v
        .facts
        .hosts
        .iter()
        .filter(|h| v.internal.contains(h.zone.as_str()))
        .collect();
    let workstations: Vec<&str> = internal_hosts
        .iter()
        .filter(|h| h.role == "workstation")
        .map(|h| h.name.as_str())
        .collect();
    let admin_in = |target: &str, from_workstation: bool| {
        est.iter().any(|e| {
            e.server == target
                && is_admin(e.transport, e.port)
                && (v.role(&e.client) == "workstation") == from_workstation
        })
    };
    let s3a_hosts = workstations.iter().filter(|w| admin_in(w, true)).count();
    let s3a = ratio(s3a_hosts, workstations.len());
    let servers: Vec<&str> = internal_hosts
        .iter()
        .filter(|h| !matches!(h.role.as_str(), "workstation" | "scanner"))
        .map(|h| h.name.as_str())
        .collect();
    let s3b_hosts = servers.iter().filter(|s| admin_in(s, true)).count();
    let zones: Vec<_> = v
        .facts
        .zones
        .iter()
        .filter(|z| !z.external && z.hosts > 0)
        .collect();
    let with_evidence: Vec<_> = zones.iter().filter(|z| z.ingress.evidence).collect();
    let zone_share = ratio(with_evidence.len(), zones.len());
    let host_share = ratio(
        with_evidence.iter().map(|z| z.hosts).sum(),
        zones.iter().map(|z| z.hosts).sum(),
    );
    let critical: Vec<&HostFacts> = internal_hosts
        .iter()
        .copied()
        .filter(|h| matches!(h.criticality.as_str(), "high" | "critical"))
        .collect();
    let zone_evidence = |name: &str, ingress: bool| {
        v.facts.zones.iter().any(|z| {
            z.name == name
                && if ingress {
                    z.ingress.evidence
                } else {
                    z.egress.evidence
                }
        })
    };
    let mut critical_ok = 0;
    let mut reasons_critical = Vec::new();
    for h in &critical {
        let sources: BTreeSet<&str> = est
            .iter()
            .filter(|e| e.server == h.name)
            .map(|e| e.client_zone.as_str())
            .collect();
        let s4 = zone_evidence(&h.zone, true);
        if s4 && sources.len() <= 3 {
            critical_ok += 1;
        } else {
            reasons_critical.push(format!(
                "critical asset {} ({}): ingress evidence {s4}, {} source segments",
                h.name,
                h.zone,
                sources.len()
            ));
        }
    }
    let critical_zones: BTreeSet<&str> = critical.iter().map(|h| h.zone.as_str()).collect();
    let egress_ok = critical_zones.iter().all(|z| zone_evidence(z, false));

    let mut metrics = BTreeMap::new();
    metrics.insert("active_segments".to_owned(), n as f64);
    metrics.insert("s1_reachability".to_owned(), round(s1));
    metrics.insert("s2_pairs".to_owned(), pairs.len() as f64);
    metrics.insert("s2_share_pairs_le_2_ports".to_owned(), round(s2));
    metrics.insert("s3a_workstation_admin_share".to_owned(), round(s3a));
    metrics.insert(
        "s3b_servers_admin_from_workstations".to_owned(),
        s3b_hosts as f64,
    );
    metrics.insert(
        "s4_zone_share_with_ingress_evidence".to_owned(),
        round(zone_share),
    );
    metrics.insert(
        "s4_host_share_in_zones_with_evidence".to_owned(),
        round(host_share),
    );
    metrics.insert("s6_critical_assets".to_owned(), critical.len() as f64);
    metrics.insert("s6_critical_assets_isolated".to_owned(), critical_ok as f64);

    let mut reasons = Vec::new();
    let any_evidence = !with_evidence.is_empty();
    let traditional_s3 = s3a > 0.05;
    let traditional_flat = s1 > 0.5 && !any_evidence;
    if traditional_s3 {
        reasons.push(format!(
            "traditional: S3a = {:.2} > 0.05 ({s3a_hosts} of {} workstations accept admin sessions from other workstations)",
            s3a,
            workstations.len()
        ));
    }
    if traditional_flat {
        reasons.push(format!(
            "traditional: S1 = {s1:.2} > 0.5 ({} of {} ordered segment pairs communicate) with no default-deny evidence in any zone",
            pairs.len(),
            n * n.saturating_sub(1)
        ));
    }
    let stage = if traditional_s3 || traditional_flat {
        "traditional"
    } else {
        let initial = critical_ok == critical.len();
        if initial {
            reasons.push(format!(
                "initial: all {} critical assets have ingress default-deny evidence and at most 3 source segments; S3a = {s3a:.2} <= 0.05",
                critical.len()
            ));
        } else {
            reasons.push("not initial: a critical asset lacks isolation".to_owned());
            reasons.extend(reasons_critical);
        }
        let wide = zone_share >= 0.7 && host_share >= 0.8;
        let advanced = initial && wide && s2 >= 0.8 && s3a == 0.0 && s3b_hosts == 0 && egress_ok;
        reasons.push(format!(
            "{}: ingress evidence in {:.0}% of zones holding {:.0}% of hosts (needs 70% / 80%); {:.0}% of segment pairs use <= 2 service ports (needs 80%); S3a = {s3a:.2}, {s3b_hosts} servers take admin sessions from workstations; egress evidence for every critical zone: {egress_ok}",
            if advanced { "advanced" } else { "not advanced" },
            zone_share * 100.0,
            host_share * 100.0,
            s2 * 100.0
        ));
        reasons.push(
            "optimal is never reached from traffic alone (needs control-plane evidence)".to_owned(),
        );
        match (initial, advanced) {
            (_, true) => "advanced",
            (true, false) => "initial",
            (false, false) => "traditional",
        }
    };
    FunctionStage {
        function: Function::Segmentation.as_str().to_owned(),
        stage: stage.to_owned(),
        reasons,
        metrics,
    }
}

/// Established east-west flows with payload, each with its edge.
fn applicable<'a>(v: &View<'a>, flows: &'a [TruthFlow]) -> Vec<(&'a TruthFlow, &'a EdgeFacts)> {
    let by: BTreeMap<(IpAddr, IpAddr, Transport, u16), &EdgeFacts> = v
        .facts
        .edges
        .iter()
        .filter(|e| e.outcome == Outcome::Established && v.east_west(e))
        .map(|e| ((e.client_ip, e.server_ip, e.transport, e.port), e))
        .collect();
    flows
        .iter()
        .filter(|f| f.client_stats.bytes + f.server_stats.bytes > 0)
        .filter_map(|f| {
            by.get(&(f.client.ip, f.server.ip, f.transport, f.server.port))
                .map(|e| (f, *e))
        })
        .collect()
}

fn buckets(flows: &[(&TruthFlow, &EdgeFacts)]) -> AuthBuckets {
    let mut b = AuthBuckets::default();
    for (_, e) in flows {
        let slot = match e.auth {
            AuthClass::Mtls => &mut b.mtls_confirmed,
            AuthClass::TlsClientAuthUnknown => &mut b.tls_client_auth_unknown,
            AuthClass::TlsServerOnly => &mut b.tls_no_client_auth,
            AuthClass::Ssh | AuthClass::Kerberos | AuthClass::Ntlm => &mut b.other_authenticated,
            AuthClass::EncryptedOther => &mut b.encrypted_other,
            AuthClass::CleartextCredentials => &mut b.cleartext_credentials,
            AuthClass::CleartextUnauthenticated => &mut b.cleartext_unauthenticated,
            AuthClass::NotApplicable | AuthClass::Unknown => &mut b.not_applicable,
        };
        *slot += 1;
    }
    b
}

fn encryption(v: &View<'_>, all: &[(&TruthFlow, &EdgeFacts)]) -> FunctionStage {
    let flows: Vec<&(&TruthFlow, &EdgeFacts)> = all
        .iter()
        .filter(|(_, e)| e.auth != AuthClass::NotApplicable)
        .collect();
    let bytes = |f: &TruthFlow| f.client_stats.bytes + f.server_stats.bytes;
    let enc: Vec<_> = flows
        .iter()
        .filter(|(_, e)| e.auth.is_encrypted())
        .collect();
    let e1 = ratio(enc.len(), flows.len());
    let total_bytes: u64 = flows.iter().map(|(f, _)| bytes(f)).sum();
    let enc_bytes: u64 = enc.iter().map(|(f, _)| bytes(f)).sum();
    let e1_bytes = if total_bytes == 0 {
        0.0
    } else {
        enc_bytes as f64 / total_bytes as f64
    };
    let http = flows
        .iter()
        .filter(|(_, e)| matches!(e.app, AppProto::Http | AppProto::Http2))
        .count();
    let tls = flows.iter().filter(|(_, e)| e.app == AppProto::Tls).count();
    let e2 = ratio(http, http + tls);
    let servers: BTreeSet<IpAddr> = flows.iter().map(|(_, e)| e.server_ip).collect();
    let cred_servers: BTreeSet<IpAddr> = flows
        .iter()
        .filter(|(_, e)| e.auth == AuthClass::CleartextCredentials)
        .map(|(_, e)| e.server_ip)
        .collect();
    let cred_share = ratio(cred_servers.len(), servers.len());
    let findings: BTreeSet<(IpAddr, Transport, u16)> = flows
        .iter()
        .filter(|(_, e)| e.auth.is_cleartext())
        .map(|(_, e)| (e.server_ip, e.transport, e.port))
        .collect();
    let used: BTreeSet<&str> = flows
        .iter()
        .filter_map(|(_, e)| e.conversation.as_deref())
        .collect();
    let certs: Vec<_> = v
        .facts
        .certificates
        .iter()
        .filter(|c| used.contains(c.conversation.as_str()))
        .collect();
    let outdated: Vec<&str> = used
        .iter()
        .copied()
        .filter(|c| {
            v.facts
                .tls_versions
                .get(*c)
                .is_some_and(|ver| crate::scenarios::certs::is_outdated(ver))
        })
        .collect();
    let short = certs.iter().filter(|c| c.validity_days <= 90).count();
    let cert_share = ratio(short, certs.len());
    let longest = certs.iter().map(|c| c.validity_days).max().unwrap_or(0);

    let mut metrics = BTreeMap::new();
    metrics.insert("applicable_flows".to_owned(), flows.len() as f64);
    metrics.insert("e1_encrypted_flow_share".to_owned(), round(e1));
    metrics.insert("e1_encrypted_byte_share".to_owned(), round(e1_bytes));
    metrics.insert("e2_cleartext_http_share".to_owned(), round(e2));
    metrics.insert("e3_findings".to_owned(), findings.len() as f64);
    metrics.insert(
        "e3_cleartext_credential_server_share".to_owned(),
        round(cred_share),
    );
    metrics.insert("e4_visible_certificates".to_owned(), certs.len() as f64);
    metrics.insert(
        "e4_outdated_tls_conversations".to_owned(),
        outdated.len() as f64,
    );
    metrics.insert(
        "e4_short_lived_certificate_share".to_owned(),
        round(cert_share),
    );

    let mut reasons = Vec::new();
    let trad_e1 = e1 < 0.5;
    let trad_cred = cred_share > 0.05;
    if trad_e1 {
        reasons.push(format!(
            "traditional: E1 = {e1:.2} < 0.50 ({} of {} applicable east-west flows encrypted)",
            enc.len(),
            flows.len()
        ));
    }
    if trad_cred {
        reasons.push(format!(
            "traditional: cleartext credentials on {} of {} internal servers ({:.0}% > 5%)",
            cred_servers.len(),
            servers.len(),
            cred_share * 100.0
        ));
    }
    let stage = if trad_e1 || trad_cred {
        "traditional"
    } else {
        let initial = e1 >= 0.9 && e2 < 0.1 && cred_servers.is_empty();
        reasons.push(format!(
            "{}: E1 = {e1:.2} (needs >= 0.90), E2 = {e2:.2} (needs < 0.10), {} servers take cleartext credentials outside a declared legacy zone (needs 0)",
            if initial { "initial" } else { "not initial" },
            cred_servers.len()
        ));
        let certs_ok = certs.is_empty() || cert_share >= 0.8;
        let advanced = initial
            && e1 >= 0.99
            && e1_bytes >= 0.99
            && findings.is_empty()
            && outdated.is_empty()
            && certs_ok;
        reasons.push(format!(
            "{}: E1 = {e1:.4} of flows and {e1_bytes:.4} of bytes (needs >= 0.99), {} cleartext findings (needs 0), {} TLS <= 1.1 conversations (needs 0), {}",
            if advanced { "advanced" } else { "not advanced" },
            findings.len(),
            outdated.len(),
            if certs.is_empty() {
                "no certificate visible (TLS 1.3 encrypts them): the validity condition does not apply".to_owned()
            } else {
                format!(
                    "{short} of {} visible certificates valid <= 90 days (needs 80%; longest {longest} days)",
                    certs.len()
                )
            }
        ));
        reasons.push(
            "optimal is never reached from traffic alone (key management is not visible)"
                .to_owned(),
        );
        match (initial, advanced) {
            (_, true) => "advanced",
            (true, false) => "initial",
            (false, false) => "traditional",
        }
    };
    FunctionStage {
        function: Function::Encryption.as_str().to_owned(),
        stage: stage.to_owned(),
        reasons,
        metrics,
    }
}

/// The expected stages of `functions` and the authentication buckets, from the scenario's
/// truth and its simulated flows (for byte shares).
pub fn evaluate(facts: &ScenarioFacts, flows: &[TruthFlow], functions: &[Function]) -> Expected {
    let v = View::new(facts);
    let app = applicable(&v, flows);
    Expected {
        functions: functions
            .iter()
            .map(|f| match f {
                Function::Segmentation => segmentation(&v),
                Function::Encryption => encryption(&v, &app),
            })
            .collect(),
        authentication: buckets(&app),
    }
}
