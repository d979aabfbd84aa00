//! Encryption metrics (ztmm-networks-rubric.md §3.4) over answered east-west edges.
//!
//! Flows are bucketed by their authentication class, which the classifier set from the parsed
//! protocol, never from the port: *encrypted* (mTLS, server-only TLS, TLS 1.3 with unknown
//! client auth, SSH, other encryption), *authenticated but not encrypted* (Kerberos, NTLM),
//! *cleartext* (cleartext credentials, cleartext unauthenticated), *opaque* (answered flows no
//! probe recognised) and *not applicable* (infrastructure). Opaque flows are never counted as
//! encrypted: the values are lower bounds and `upper_bound` shows what they would be if every
//! opaque flow were encrypted.
//!
//! Edges keep flow counts per class but one byte total, so byte shares apportion an edge's
//! bytes to its classes in proportion to flows (exact for the usual single-class edge).

use segscope_core::auth::{AuthClass, Weakness};
use segscope_core::{AppProto, FlowRef};

use crate::edge::AnalyzedEdge;
use crate::findings::Finding;
use crate::metrics::{Earliest, Metric};
use crate::view::View;
use segscope_rules::findings::FindingKind;

const EXCLUSIONS: [&str; 3] = ["reply_path", "group_address", "north_south"];

#[derive(Default, Clone, Copy)]
struct Buckets {
    encrypted: f64,
    authenticated: f64,
    cleartext: f64,
    opaque: f64,
    not_applicable: f64,
}

impl Buckets {
    fn of(e: &AnalyzedEdge) -> Buckets {
        let mut b = Buckets::default();
        for (class, n) in &e.edge.auth {
            let n = *n as f64;
            match class {
                c if c.is_encrypted() => b.encrypted += n,
                AuthClass::Kerberos | AuthClass::Ntlm => b.authenticated += n,
                c if c.is_cleartext() => b.cleartext += n,
                AuthClass::NotApplicable => b.not_applicable += n,
                _ => {}
            }
        }
        b.opaque = e.opaque_flows() as f64;
        b
    }

    fn applicable(&self) -> f64 {
        self.encrypted + self.authenticated + self.cleartext + self.opaque
    }

    fn total(&self) -> f64 {
        self.applicable() + self.not_applicable
    }

    fn scaled(&self, factor: f64) -> Buckets {
        Buckets {
            encrypted: self.encrypted * factor,
            authenticated: self.authenticated * factor,
            cleartext: self.cleartext * factor,
            opaque: self.opaque * factor,
            not_applicable: self.not_applicable * factor,
        }
    }

    fn add(&mut self, o: &Buckets) {
        self.encrypted += o.encrypted;
        self.authenticated += o.authenticated;
        self.cleartext += o.cleartext;
        self.opaque += o.opaque;
        self.not_applicable += o.not_applicable;
    }
}

/// Answered east-west edges of the view.
fn east_west<'a, 'v>(v: &'v View<'a>) -> impl Iterator<Item = &'a AnalyzedEdge> + 'v {
    v.live_edges()
        .filter(|(_, e)| e.is_service() && e.east_west)
        .map(|(_, e)| e)
}

fn first_evidence(e: &AnalyzedEdge, class: AuthClass) -> Option<&FlowRef> {
    e.edge.evidence.get(&class).and_then(|s| s.flows().first())
}

/// E1 (flows), E1_bytes, E2, E3, E4 and E5.
pub(crate) fn metrics(v: &View<'_>, findings: &[Finding]) -> Vec<Metric> {
    let n = v.rules.evidence_per_finding;
    let mut flows = Buckets::default();
    let mut bytes = Buckets::default();
    let mut clear_evidence = Earliest::new(n);
    let (mut http_clear, mut web_encrypted) = (0.0, 0.0);
    let mut http_evidence = Earliest::new(n);
    let (mut tls_flows, mut weak_tls) = (0.0, 0.0);
    let mut weak_evidence = Earliest::new(n);
    let (mut dns, mut dot) = (0.0, 0.0);
    let mut kerberos_ntlm = 0.0;
    for e in east_west(v) {
        let b = Buckets::of(e);
        flows.add(&b);
        kerberos_ntlm += b.authenticated;
        if b.total() > 0.0 {
            bytes.add(&b.scaled(e.bytes() as f64 / b.total()));
        }
        if b.cleartext > 0.0 {
            for c in [
                AuthClass::CleartextCredentials,
                AuthClass::CleartextUnauthenticated,
            ] {
                clear_evidence.offer_opt(first_evidence(e, c));
            }
        }
        match e.app {
            AppProto::Http | AppProto::Http2 => {
                http_clear += b.cleartext;
                if b.cleartext > 0.0 {
                    http_evidence.offer_opt(first_evidence(e, AuthClass::CleartextUnauthenticated));
                    http_evidence.offer_opt(first_evidence(e, AuthClass::CleartextCredentials));
                }
            }
            AppProto::Tls | AppProto::Quic => web_encrypted += b.encrypted,
            AppProto::Dns => dns += b.total(),
            _ => {}
        }
        if e.key.port == 853 && e.key.transport == segscope_core::Transport::TCP {
            dot += b.encrypted;
        }
        let tls_here = [
            AuthClass::Mtls,
            AuthClass::TlsServerOnly,
            AuthClass::TlsClientAuthUnknown,
        ]
        .iter()
        .map(|c| e.auth_count(*c))
        .sum::<u64>();
        tls_flows += tls_here as f64;
        let versions: u64 = e
            .edge
            .weaknesses
            .iter()
            .filter(|(w, _)| matches!(w, Weakness::TlsVersion(_)))
            .map(|(_, n)| *n)
            .sum();
        let ciphers: u64 = e
            .edge
            .weaknesses
            .iter()
            .filter(|(w, _)| matches!(w, Weakness::TlsCipher(_)))
            .map(|(_, n)| *n)
            .sum();
        let weak_here = versions.max(ciphers).min(tls_here);
        weak_tls += weak_here as f64;
        if weak_here > 0 {
            for (_, s) in e
                .edge
                .weak_evidence
                .iter()
                .filter(|(w, _)| matches!(w, Weakness::TlsVersion(_) | Weakness::TlsCipher(_)))
            {
                weak_evidence.offer_opt(s.flows().first());
            }
        }
    }
    let clear_evidence = clear_evidence.into_vec();
    let e1 = Metric::new(
        "E1",
        "Encrypted share of east-west flows",
        "answered east-west flows whose class is encrypted (mtls, tls_server_only, \
         tls_client_auth_unknown, ssh, encrypted_other), divided by answered east-west flows \
         other than not_applicable; Kerberos and NTLM authenticate but do not encrypt; opaque \
         flows count as not encrypted (upper_bound counts them as encrypted)",
        v.coverage,
        v.basis,
    )
    .excluding(&EXCLUSIONS)
    .detail("opaque_share", share(flows.opaque, flows.applicable()))
    .detail(
        "upper_bound",
        share(flows.encrypted + flows.opaque, flows.applicable()),
    )
    .detail("kerberos_or_ntlm_flows", kerberos_ntlm)
    .detail("cleartext_flows", flows.cleartext)
    .detail("not_applicable_flows", flows.not_applicable)
    .evidence(clear_evidence.clone(), n)
    .share(
        flows.encrypted,
        flows.applicable(),
        "no answered east-west flows",
    );
    let e1b = Metric::new(
        "E1_bytes",
        "Encrypted share of east-west bytes",
        "as E1, weighting each flow by bytes; an edge's bytes are apportioned to its \
         classes in proportion to their flows",
        v.coverage,
        v.basis,
    )
    .excluding(&EXCLUSIONS)
    .detail("opaque_share", share(bytes.opaque, bytes.applicable()))
    .detail(
        "upper_bound",
        share(bytes.encrypted + bytes.opaque, bytes.applicable()),
    )
    .evidence(clear_evidence, n)
    .share(
        bytes.encrypted,
        bytes.applicable(),
        "no answered east-west bytes",
    );
    let e2 = Metric::new(
        "E2",
        "Internal cleartext HTTP share",
        "answered east-west cleartext flows on HTTP edges, divided by those plus encrypted \
         flows on TLS and QUIC edges (TLS on any port counts as web; ZTMM footnote 27, M-22-09)",
        v.coverage,
        v.basis,
    )
    .excluding(&EXCLUSIONS)
    .evidence(http_evidence.into_vec(), n)
    .share(
        http_clear,
        http_clear + web_encrypted,
        "no internal HTTP or TLS flows",
    );
    let e3 = e3(v, findings);
    let e4 = Metric::new(
        "E4",
        "Weak TLS share",
        "answered east-west TLS flows that negotiated SSLv3/TLS 1.0/TLS 1.1 or a NULL, \
         EXPORT, anonymous, RC4, DES or 3DES suite (protocols.yaml weak_tls), divided by \
         answered east-west TLS flows; per edge the larger of the two weakness counts is used, \
         so the value is a lower bound. Certificate validity is not carried by edges",
        v.coverage,
        v.basis,
    )
    .excluding(&EXCLUSIONS)
    .evidence(weak_evidence.into_vec(), n)
    .share(weak_tls, tls_flows, "no east-west TLS flows");
    let e5 = Metric::new(
        "E5",
        "Encrypted DNS share",
        "answered east-west DNS-over-TLS flows (tcp/853), divided by those plus answered \
         east-west DNS flows; DNS over HTTPS is indistinguishable from other HTTPS and is not \
         counted",
        v.coverage,
        v.basis,
    )
    .excluding(&EXCLUSIONS)
    .share(dot, dot + dns, "no internal DNS flows");
    vec![e1, e1b, e2, e3, e4, e5]
}

fn share(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

/// E3: cleartext-credential and unauthenticated-service findings on internal servers.
fn e3(v: &View<'_>, findings: &[Finding]) -> Metric {
    let relevant: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::CleartextCredentials | FindingKind::UnauthenticatedService
            )
        })
        .filter(|f| {
            f.workloads
                .first()
                .and_then(|k| v.workloads.binary_search_by(|w| w.key.cmp(k)).ok())
                .is_some_and(|i| v.workload(i).is_internal())
        })
        .collect();
    let creds = relevant
        .iter()
        .filter(|f| f.kind == FindingKind::CleartextCredentials)
        .count() as f64;
    let serving = v
        .workloads
        .iter()
        .filter(|w| w.is_internal() && !w.services.is_empty())
        .count() as f64;
    Metric::new(
        "E3",
        "Cleartext-credential and unauthenticated services",
        "number of cleartext_credentials and unauthenticated_service findings whose server is \
         internal (one finding per service); detail `servers_with_cleartext_credentials_share` \
         is the share of internal workloads serving anything that received credentials in \
         clear",
        v.coverage,
        v.basis,
    )
    .value(relevant.len() as f64)
    .detail("cleartext_credentials", creds)
    .detail("unauthenticated_service", relevant.len() as f64 - creds)
    .detail(
        "servers_with_cleartext_credentials_share",
        share(creds, serving),
    )
    .evidence(
        relevant
            .iter()
            .flat_map(|f| f.evidence.iter().take(1).cloned())
            .collect(),
        v.rules.evidence_per_finding,
    )
}
