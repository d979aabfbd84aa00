//! Protocol and authentication evidence for every flow, from the bytes and never from the port
//! alone.
//!
//! The flow table hands each flow's retained payload (the first bytes of each direction, in TCP
//! order) to the [`Classifier`]. A registry of probes looks at those bytes; the first probe that
//! is certain (or, failing that, the best unsure one) analyses the flow and returns the protocol,
//! the authentication verdict and the evidence. Port hints from `rules/protocols.yaml` are used
//! only when no probe recognised the payload.
//!
//! Probes are grouped in families that each own their parsers: [`tls`] (TLS, certificates, JA4,
//! TLS 1.3 indicators, key-log decryption), [`enterprise`] (SMB, NTLMSSP, Kerberos, DCE-RPC,
//! LDAP, RDP, SSH), [`cleartext`] (HTTP, FTP, mail, databases, caches, MQTT, VNC…) and [`infra`]
//! (DNS, DHCP, NTP, NetBIOS, IPsec, WireGuard, OpenVPN, QUIC…). Every parser works on borrowed
//! slices and never panics, whatever the bytes.

pub mod bytes;
pub mod cleartext;
pub mod enterprise;
pub mod infra;
mod probe;
mod registry;
pub mod tls;

use std::sync::Arc;

use segscope_core::{
    AppProto, AuthClass, AuthEvidence, Classification, Classify, Confidence, DirPayload, FlowMeta,
};
use segscope_rules::{ProtocolRules, RuleTestOutcome};

pub use probe::{Analysis, Ctx, Probe, Verdict};

/// How many bytes of each direction a probe may look at to recognise a protocol. Analysis of a
/// recognised protocol reads the whole retained payload.
pub const PROBE_BUDGET: usize = 1024;

/// The flow classifier: immutable, shared by every flow-table shard.
pub struct Classifier {
    rules: Arc<ProtocolRules>,
    keylog: Option<Arc<tls::keylog::KeyLog>>,
}

impl Classifier {
    /// A classifier using `rules`.
    pub fn new(rules: Arc<ProtocolRules>) -> Classifier {
        Classifier {
            rules,
            keylog: None,
        }
    }

    /// Adds TLS key-log secrets (SSLKEYLOGFILE format) used to decrypt TLS 1.3 handshakes.
    pub fn with_keylog(mut self, keylog: Arc<tls::keylog::KeyLog>) -> Classifier {
        self.keylog = Some(keylog);
        self
    }

    /// The rules this classifier uses.
    pub fn rules(&self) -> &ProtocolRules {
        &self.rules
    }
}

impl Classify for Classifier {
    fn classify(
        &self,
        meta: &FlowMeta,
        client: DirPayload<'_>,
        server: DirPayload<'_>,
    ) -> Classification {
        let ctx = Ctx {
            meta,
            client,
            server,
            rules: &self.rules,
            keylog: self.keylog.as_deref(),
        };
        let hint = self.rules.hint(meta.transport, meta.server.port);
        match registry::select(&ctx, hint) {
            Some(probe) => {
                let a = probe.analyze(&ctx);
                let auth = settle_auth(&self.rules, a.app, a.auth);
                Classification {
                    app_proto: a.app,
                    app_confidence: Confidence::Payload,
                    auth,
                    evidence: a.evidence,
                    names: a.names,
                    parse_error: a.parse_error,
                }
            }
            None => {
                let app = if meta.transport.is_icmp() {
                    Some(AppProto::Icmp)
                } else {
                    hint
                };
                let confidence = match app {
                    Some(_) if meta.transport.is_icmp() => Confidence::Payload,
                    Some(_) => Confidence::PortHint,
                    None => Confidence::None,
                };
                let app = app.unwrap_or(AppProto::Unknown);
                let auth = settle_auth(&self.rules, app, AuthClass::Unknown);
                let has_payload = !client.bytes.is_empty() || !server.bytes.is_empty();
                let reason = match (confidence, has_payload) {
                    (Confidence::Payload, _) => "ICMP".to_owned(),
                    (_, false) => "no payload".to_owned(),
                    (_, true) => "payload not recognised by any probe".to_owned(),
                };
                Classification {
                    app_proto: app,
                    app_confidence: confidence,
                    auth,
                    evidence: AuthEvidence {
                        reason,
                        ..AuthEvidence::default()
                    },
                    names: Vec::new(),
                    parse_error: false,
                }
            }
        }
    }
}

/// Runs the `tests:` of `rules/protocols.yaml`: a flow with no payload to each listed port must
/// get the expected protocol and verdict.
pub fn run_rule_tests(rules: &Arc<ProtocolRules>, file: &str) -> Vec<RuleTestOutcome> {
    use std::net::{IpAddr, Ipv4Addr};
    let classifier = Classifier::new(rules.clone());
    rules
        .tests
        .iter()
        .map(|t| {
            let meta = FlowMeta {
                transport: t.transport,
                client: segscope_core::Endpoint {
                    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                    port: 49_152,
                },
                server: segscope_core::Endpoint {
                    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
                    port: t.port.value,
                },
                direction_inferred: false,
                first_ts: segscope_core::Timestamp(0),
                last_ts: segscope_core::Timestamp(0),
                server_answered: false,
            };
            let got = classifier.classify(&meta, DirPayload::default(), DirPayload::default());
            let passed = got.app_proto == t.app && got.auth == t.auth;
            RuleTestOutcome {
                file: file.to_owned(),
                line: t.port.referenced.line() as u32,
                name: t.name.clone(),
                passed,
                detail: format!(
                    "expected {}/{}, got {}/{}",
                    t.app, t.auth, got.app_proto, got.auth
                ),
            }
        })
        .collect()
}

/// Infrastructure protocols are `not_applicable` unless the analysis found something stronger
/// (credentials in clear, a TLS handshake, an authentication exchange).
fn settle_auth(rules: &ProtocolRules, app: AppProto, auth: AuthClass) -> AuthClass {
    match auth {
        AuthClass::Unknown | AuthClass::CleartextUnauthenticated | AuthClass::NotApplicable
            if rules.is_infrastructure(app) =>
        {
            AuthClass::NotApplicable
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segscope_rules::RuleSource;

    #[test]
    fn shipped_protocol_rule_tests_pass() {
        let rules = Arc::new(
            RuleSource::embedded()
                .protocols()
                .expect("shipped rules parse"),
        );
        let outcomes = run_rule_tests(&rules, "rules/protocols.yaml");
        assert!(outcomes.len() >= 7);
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
        assert!(failed.is_empty(), "{failed:#?}");
    }
}
