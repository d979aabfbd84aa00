//! The TLS family: TLS handshakes on any port, certificates, JA4/JA4S, weak versions and suites,
//! client-authentication evidence (mTLS, server-only, TLS 1.3 unknown with passive indicators),
//! and TLS inside in-band upgrades (STARTTLS and friends call [`analyze_handshake`]).
//!
//! Records and handshake messages are parsed by tls-parser, certificates by x509-parser; the
//! record layer here only finds record boundaries and reassembles handshake messages that span
//! records. With a key log (`--keylog`), TLS 1.3 handshakes are decrypted ([`keylog`]) to turn
//! `tls_client_auth_unknown` into `mtls` or `tls_server_only`. [`ResumptionLinker`] links
//! resumed sessions to the earlier full handshake of the same pair, across flows.

mod analysis;
mod cert;
mod decrypt;
mod dtls;
mod hello;
mod iana;
mod indicators;
pub mod ja4;
pub mod keylog;
mod linker;
mod record;
#[cfg(test)]
mod tests;

use segscope_core::auth::{AuthEvidence, Indicator, TlsFacts, Weakness};
use segscope_core::{AppProto, AuthClass, NameObservation, Transport};

use crate::probe::{Analysis, Ctx, Probe, Verdict};

pub use linker::ResumptionLinker;

/// The TLS family's probes.
pub(crate) static PROBES: &[&dyn Probe] = &[&TlsProbe, &dtls::DtlsProbe];

/// What a TLS handshake showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsOutcome {
    /// `mtls`, `tls_server_only`, `tls_client_auth_unknown`, or `unknown` when no handshake
    /// could be parsed.
    pub auth: AuthClass,
    /// Handshake facts.
    pub facts: TlsFacts,
    /// Weak versions or suites.
    pub weak: Vec<Weakness>,
    /// Passive client-authentication indicators (TLS 1.3, resumption).
    pub indicators: Vec<Indicator>,
    /// Names (SNI, certificate names).
    pub names: Vec<NameObservation>,
    /// One sentence explaining `auth`.
    pub reason: String,
    /// The bytes looked like TLS but did not parse.
    pub parse_error: bool,
}

impl TlsOutcome {
    /// The outcome as a probe analysis of protocol `app`.
    pub fn into_analysis(self, app: AppProto) -> Analysis {
        Analysis {
            app,
            auth: self.auth,
            evidence: AuthEvidence {
                reason: self.reason,
                weak: self.weak,
                indicators: self.indicators,
                tls: Some(Box::new(self.facts)),
                ..AuthEvidence::default()
            },
            names: self.names,
            parse_error: self.parse_error,
        }
    }
}

/// Analyses a TLS handshake whose first record starts at the beginning of `client` and
/// `server` (callers strip any cleartext prefix of an in-band upgrade first, see
/// [`find_record_start`]).
pub fn analyze_handshake(client: &[u8], server: &[u8], ctx: &Ctx<'_>) -> TlsOutcome {
    let (client_v2, client_records) = split_client(client);
    let (server_records, server_stop) = record::records(server);
    let (client_records, client_stop) = client_records;

    // The first ServerHello tells whether handshake records after a ChangeCipherSpec are
    // still plaintext (TLS 1.3) or the encrypted Finished (TLS ≤ 1.2).
    let tls13 = {
        let hs = record::handshake_bytes(&server_records, true);
        let (msgs, _) = record::messages(&hs);
        msgs.iter()
            .find(|m| m.typ == record::msg::SERVER_HELLO)
            .and_then(|m| hello::server_hello(m.body))
            .is_some_and(|sh| iana::is_tls13(sh.version()))
    };
    let server_hs = record::handshake_bytes(&server_records, !tls13);
    let client_hs = record::handshake_bytes(&client_records, !tls13);
    let (server_msgs, _) = record::messages(&server_hs);
    let (client_msgs, _) = record::messages(&client_hs);

    let mut parse_error =
        client_stop == record::Stop::Malformed || server_stop == record::Stop::Malformed;
    let client_hello = match client_msgs
        .iter()
        .find(|m| m.typ == record::msg::CLIENT_HELLO)
    {
        Some(m) => {
            let ch = hello::client_hello(m.body);
            parse_error |= ch.is_none();
            ch
        }
        None => None,
    };
    let mut server_hellos = Vec::new();
    for m in server_msgs
        .iter()
        .filter(|m| m.typ == record::msg::SERVER_HELLO)
    {
        match hello::server_hello(m.body) {
            Some(sh) => server_hellos.push(sh),
            None => parse_error = true,
        }
    }
    let any = |rs: &[record::Record<'_>], t: u8| rs.iter().any(|r| r.content_type == t);
    let parsed = analysis::Parsed {
        client_hello,
        sslv2_version: client_v2.map(|h| h.version),
        server_hellos,
        server_ccs: any(&server_records, record::CHANGE_CIPHER_SPEC),
        encrypted_records: any(&server_records, record::APPLICATION_DATA)
            || any(&client_records, record::APPLICATION_DATA),
        client_msgs,
        server_msgs,
        client_records,
        server_records,
        parse_error,
    };
    analysis::decide(&parsed, ctx, ja4::Ja4Transport::Tcp)
}

type Records<'a> = (Vec<record::Record<'a>>, record::Stop);

/// The client direction: an optional SSL 2.0-format ClientHello, then TLS records.
fn split_client(client: &[u8]) -> (Option<record::Sslv2Hello<'_>>, Records<'_>) {
    match record::sslv2_client_hello(client) {
        Some(h) => {
            let rest = client.get(h.len..).unwrap_or_default();
            (Some(h), record::records(rest))
        }
        None => (None, record::records(client)),
    }
}

/// Offset of the first plausible TLS handshake record in `bytes`, for protocols that switch to
/// TLS after a cleartext exchange: a handshake record (content type 22, version 3.0–3.4, a
/// length TLS allows) whose first message is a ClientHello or ServerHello with a hello version
/// 3.0–3.3 and a plausible message length. Random bytes and cleartext rarely pass all of these.
pub fn find_record_start(bytes: &[u8]) -> Option<usize> {
    record::find_hello_record(bytes)
}

/// TLS over TCP on any port.
struct TlsProbe;

impl Probe for TlsProbe {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn app(&self) -> AppProto {
        AppProto::Tls
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        let client_hello =
            record::hello_record_at(c) && c.get(5) == Some(&record::msg::CLIENT_HELLO);
        let server_hello =
            record::hello_record_at(s) && s.get(5) == Some(&record::msg::SERVER_HELLO);
        if client_hello || (c.is_empty() && server_hello) || record::sslv2_client_hello(c).is_some()
        {
            Verdict::Certain
        } else if (c.is_empty() || record::plausible_header(c))
            && (s.is_empty() || record::plausible_header(s))
            && !(c.is_empty() && s.is_empty())
        {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_handshake(ctx.client.bytes, ctx.server.bytes, ctx).into_analysis(AppProto::Tls)
    }
}
