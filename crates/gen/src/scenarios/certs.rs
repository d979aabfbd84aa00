//! Certificates a passive observer can see in a replayed conversation: those of TLS 1.2 (and
//! earlier) handshakes, sent in clear; TLS 1.3 encrypts them. The encryption rubric's
//! "validity ≤ 90 days" condition (ztmm-networks-rubric.md §3.4) is judged on these, so the
//! expected stage follows the bytes actually replayed rather than an assumption about them.
//!
//! Parsing uses `tls-parser` for the records and `x509-parser` for the certificates (the same
//! crates segscope's TLS probe uses), on bytes this crate made itself.

use serde::{Deserialize, Serialize};
use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_plaintext,
    parse_tls_server_hello_extensions,
};

use crate::app::{RecordedTurn, Side};

/// One certificate seen in clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisibleCertificate {
    /// The conversation it was seen in.
    pub conversation: String,
    /// `server` or `client`.
    pub sent_by: String,
    /// Position in the chain (0: the leaf).
    pub depth: usize,
    /// Subject distinguished name.
    pub subject: String,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// Validity span in whole days.
    pub validity_days: i64,
}

/// The certificates sent in clear in `turns`.
pub fn visible(conversation: &str, turns: &[RecordedTurn]) -> Vec<VisibleCertificate> {
    let mut out = Vec::new();
    for t in turns {
        let mut rest: &[u8] = &t.bytes;
        // Each turn is one write; TLS records start it when it carries TLS at all (the
        // plaintext prelude of an upgraded protocol is its own turn).
        while rest.first() == Some(&0x16) {
            let Ok((next, record)) = parse_tls_plaintext(rest) else {
                break;
            };
            for msg in &record.msg {
                let TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)) = msg else {
                    continue;
                };
                for (depth, raw) in c.cert_chain.iter().enumerate() {
                    let Ok((_, cert)) = x509_parser::parse_x509_certificate(raw.data) else {
                        continue;
                    };
                    let v = cert.validity();
                    let (nb, na) = (v.not_before.timestamp(), v.not_after.timestamp());
                    out.push(VisibleCertificate {
                        conversation: conversation.to_owned(),
                        sent_by: match t.from {
                            Side::Client => "client",
                            Side::Server => "server",
                        }
                        .to_owned(),
                        depth,
                        subject: cert.subject().to_string(),
                        not_before: nb,
                        not_after: na,
                        validity_days: na.saturating_sub(nb) / 86_400,
                    });
                }
            }
            rest = next;
        }
    }
    out
}

/// The version the server's hello in `turns` negotiated (`TLS 1.2`, `TLS 1.3`…), reading the
/// supported_versions extension that TLS 1.3 uses instead of the legacy field.
pub fn negotiated_version(turns: &[RecordedTurn]) -> Option<&'static str> {
    for t in turns.iter().filter(|t| t.from == Side::Server) {
        let mut rest: &[u8] = &t.bytes;
        while rest.first() == Some(&0x16) {
            let Ok((next, record)) = parse_tls_plaintext(rest) else {
                break;
            };
            for msg in &record.msg {
                let TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) = msg else {
                    continue;
                };
                let mut code = sh.version.0;
                if let Some(Ok((_, exts))) = sh.ext.map(parse_tls_server_hello_extensions) {
                    for e in exts {
                        if let TlsExtension::SupportedVersions(v) = e
                            && let Some(first) = v.first()
                        {
                            code = first.0;
                        }
                    }
                }
                return Some(match code {
                    0x0300 => "SSL 3.0",
                    0x0301 => "TLS 1.0",
                    0x0302 => "TLS 1.1",
                    0x0303 => "TLS 1.2",
                    0x0304 => "TLS 1.3",
                    _ => "unknown",
                });
            }
            rest = next;
        }
    }
    None
}

/// True for versions the rubric calls broken (TLS 1.1 and older).
pub fn is_outdated(version: &str) -> bool {
    matches!(version, "SSL 3.0" | "TLS 1.0" | "TLS 1.1")
}
