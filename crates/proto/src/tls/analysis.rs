//! From the handshake messages of both directions to a verdict with its evidence.
//!
//! TLS ≤ 1.2 shows client authentication in clear: the server's CertificateRequest and the
//! client's Certificate. The client side alone usually decides (a client sends Certificate only
//! when asked, and always before ClientKeyExchange), so a server flight cut short by the capture
//! budget still gives an answer. TLS 1.3 encrypts everything after the ServerHello: the verdict
//! stays `tls_client_auth_unknown` with passive indicators, unless a key log decrypts it.

use segscope_core::auth::{CertInfo, ClientCertStatus, TlsFacts, Weakness};
use segscope_core::{AuthClass, NameObservation, NameSource};
use tls_parser::{TlsMessageHandshake, parse_tls_handshake_msg_certificate};

use super::TlsOutcome;
use super::cert::{self, ParsedCert};
use super::decrypt::{DecryptError, handshake_plaintext};
use super::hello::{ClientHello, ServerHello, ext};
use super::iana::{cipher_name, group_name, is_tls13, version_name, version_words};
use super::indicators;
use super::ja4::{Ja4Client, Ja4Server, Ja4Transport, ja4, ja4s};
use super::record::{APPLICATION_DATA, HANDSHAKE, Message, Record, messages, msg};
use crate::bytes::Reader;
use crate::probe::Ctx;

/// Everything both directions showed, ready for a verdict.
#[derive(Debug, Default)]
pub(crate) struct Parsed<'a> {
    /// The first ClientHello.
    pub(crate) client_hello: Option<ClientHello<'a>>,
    /// Version offered by an SSL 2.0-format ClientHello.
    pub(crate) sslv2_version: Option<u16>,
    /// ServerHellos in order (a HelloRetryRequest first, when there was one).
    pub(crate) server_hellos: Vec<ServerHello<'a>>,
    /// The client's plaintext handshake messages.
    pub(crate) client_msgs: Vec<Message<'a>>,
    /// The server's plaintext handshake messages.
    pub(crate) server_msgs: Vec<Message<'a>>,
    /// The client's records (TLS over TCP only).
    pub(crate) client_records: Vec<Record<'a>>,
    /// The server's records (TLS over TCP only).
    pub(crate) server_records: Vec<Record<'a>>,
    /// The server sent ChangeCipherSpec.
    pub(crate) server_ccs: bool,
    /// Application-data records were seen (encrypted traffic flowed).
    pub(crate) encrypted_records: bool,
    /// Something that looked like TLS did not parse.
    pub(crate) parse_error: bool,
}

/// A chain from a Certificate message.
#[derive(Debug, Default)]
struct Chain {
    /// Certificates in the message (parsed or not).
    count: usize,
    /// The ones x509-parser read, leaf first.
    parsed: Vec<ParsedCert>,
    /// The message or a certificate did not parse.
    error: bool,
}

impl Chain {
    fn infos(&self) -> Vec<CertInfo> {
        self.parsed.iter().map(|c| c.info.clone()).collect()
    }

    /// `(CN=…)` of the leaf, for sentences.
    fn leaf_label(&self) -> String {
        match self.parsed.first() {
            Some(c) => match c.common_names.first() {
                Some(cn) => format!(" (CN={cn})"),
                None => format!(" ({})", c.info.subject),
            },
            None if self.count > 0 => " (not parseable)".to_owned(),
            None => String::new(),
        }
    }
}

/// A TLS ≤ 1.2 Certificate message: tls-parser reads the list, x509-parser each certificate.
fn chain12(body: &[u8]) -> Chain {
    match parse_tls_handshake_msg_certificate(body) {
        Ok((_, TlsMessageHandshake::Certificate(c))) => {
            chain_of(c.cert_chain.iter().map(|r| r.data), false)
        }
        _ => Chain {
            // The list length says whether the client sent anything, even if the list is bad.
            count: usize::from(body.get(..3).is_some_and(|l| l != [0, 0, 0])),
            parsed: Vec::new(),
            error: true,
        },
    }
}

/// A TLS 1.3 Certificate message (RFC 8446 §4.4.2): context, then entries with extensions.
fn chain13(body: &[u8]) -> Chain {
    let mut ders = Vec::new();
    let mut r = Reader::new(body);
    let list = r.u8_prefixed().and_then(|_| {
        let len = r.be_u24()?;
        r.take(len as usize)
    });
    let Some(list) = list else {
        return Chain {
            error: true,
            ..Chain::default()
        };
    };
    let mut r = Reader::new(list);
    let mut error = false;
    while r.remaining() > 0 {
        let entry = r.be_u24().and_then(|l| r.take(l as usize));
        let exts = r.be_u16_prefixed();
        match (entry, exts) {
            (Some(der), Some(_)) => ders.push(der),
            _ => {
                error = true;
                break;
            }
        }
    }
    chain_of(ders.into_iter(), error)
}

fn chain_of<'a>(ders: impl Iterator<Item = &'a [u8]>, mut error: bool) -> Chain {
    let mut count = 0;
    let mut parsed = Vec::new();
    for der in ders {
        count += 1;
        match cert::parse(der) {
            Some(p) => parsed.push(p),
            None => error = true,
        }
    }
    Chain {
        count,
        parsed,
        error,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn find<'m, 'a>(msgs: &'m [Message<'a>], typ: u8) -> Option<&'m Message<'a>> {
    msgs.iter().find(|m| m.typ == typ)
}

fn has(msgs: &[Message<'_>], typ: u8) -> bool {
    msgs.iter().any(|m| m.typ == typ)
}

/// What client authentication looked like.
struct Verdict {
    auth: AuthClass,
    status: Option<ClientCertStatus>,
    /// Clauses of the reason sentence after the version.
    clauses: Vec<String>,
}

/// Decides the verdict and gathers the evidence.
pub(crate) fn decide(p: &Parsed<'_>, ctx: &Ctx<'_>, transport: Ja4Transport) -> TlsOutcome {
    let mut out = TlsOutcome {
        parse_error: p.parse_error,
        ..TlsOutcome::default()
    };
    let mut facts = TlsFacts::default();
    let ch = p.client_hello.as_ref();
    if let Some(ch) = ch {
        out.parse_error |= ch.malformed;
        facts.sni = ch.sni.clone();
        facts.alpn_offered = ch.alpn.iter().map(|a| lossy(a)).collect();
        let exts: Vec<u16> = ch.extensions.iter().map(|(t, _)| *t).collect();
        facts.ja4 = Some(ja4(&Ja4Client {
            transport,
            legacy_version: ch.legacy_version,
            supported_versions: ch
                .has(ext::SUPPORTED_VERSIONS)
                .then_some(ch.supported_versions.as_slice()),
            ciphers: &ch.ciphers,
            extensions: &exts,
            signature_algorithms: &ch.signature_algorithms,
            first_alpn: ch.alpn.first().copied(),
        }));
    }
    if let Some(first) = p.server_hellos.first() {
        let exts: Vec<u16> = first.extensions.iter().map(|(t, _)| *t).collect();
        facts.ja4s = Some(ja4s(&Ja4Server {
            transport,
            version: first.version(),
            cipher: first.cipher,
            extensions: &exts,
            alpn: first.alpn,
        }));
    }
    for sh in &p.server_hellos {
        out.parse_error |= sh.malformed;
    }
    let sh = p
        .server_hellos
        .iter()
        .rev()
        .find(|s| !s.is_retry_request())
        .or(p.server_hellos.last());

    let verdict = match sh {
        None => no_server_hello(p, ch.is_some()),
        Some(sh) => {
            let version = sh.version();
            facts.version = Some(version_name(version));
            facts.cipher = Some(cipher_name(sh.cipher));
            facts.group = sh.group.map(group_name);
            facts.alpn_selected = sh.alpn.map(lossy);
            let mut v = if is_tls13(version) {
                tls13(p, ctx, sh, &mut facts, &mut out)
            } else {
                tls12(p, sh, &mut facts, &mut out)
            };
            v.clauses.insert(0, version_words(version));
            v
        }
    };

    if verdict.auth == AuthClass::TlsClientAuthUnknown {
        out.indicators.extend(indicators::cleartext(
            ch,
            ctx.rules,
            ctx.meta.transport,
            ctx.meta.server.port,
        ));
    }
    if let Some(v) = &facts.version
        && ctx.rules.is_weak_tls_version(v)
    {
        out.weak.push(Weakness::TlsVersion(v.clone()));
    }
    if let Some(c) = &facts.cipher
        && ctx.rules.is_weak_cipher(c)
    {
        out.weak.push(Weakness::TlsCipher(c.clone()));
    }
    names(&facts, ctx, &mut out.names);
    facts.client_cert = verdict.status;
    out.auth = verdict.auth;
    let mut reason = verdict.clauses.join("; ");
    reason.push('.');
    out.reason = reason;
    out.facts = facts;
    out
}

fn no_server_hello(p: &Parsed<'_>, client_hello: bool) -> Verdict {
    let clause = match (client_hello, p.sslv2_version) {
        (true, _) => "TLS ClientHello seen, but no ServerHello in the captured bytes",
        (false, Some(_)) => {
            "SSL 2.0-format ClientHello seen, but no ServerHello in the captured bytes"
        }
        (false, None) if p.encrypted_records => {
            "TLS records without a visible handshake (the capture started after it)"
        }
        (false, None) => "TLS records seen, but no ClientHello or ServerHello could be read",
    };
    let auth = if p.encrypted_records && !client_hello && p.sslv2_version.is_none() {
        AuthClass::TlsClientAuthUnknown
    } else {
        AuthClass::Unknown
    };
    Verdict {
        auth,
        status: (auth == AuthClass::TlsClientAuthUnknown).then_some(ClientCertStatus::NotVisible),
        clauses: vec![format!("{clause}; client authentication cannot be judged")],
    }
}

fn tls12(
    p: &Parsed<'_>,
    sh: &ServerHello<'_>,
    facts: &mut TlsFacts,
    out: &mut TlsOutcome,
) -> Verdict {
    let server_chain = find(&p.server_msgs, msg::CERTIFICATE).map(|m| chain12(m.body));
    if let Some(c) = &server_chain {
        out.parse_error |= c.error;
        facts.server_certs = c.infos();
    }
    let ch_sid = p
        .client_hello
        .as_ref()
        .map(|c| c.session_id)
        .unwrap_or_default();
    let sid_resumed = !sh.session_id.is_empty() && sh.session_id == ch_sid;
    let full_server_flight = [
        msg::CERTIFICATE,
        msg::SERVER_KEY_EXCHANGE,
        msg::SERVER_HELLO_DONE,
    ]
    .iter()
    .any(|t| has(&p.server_msgs, *t));
    if sid_resumed || (p.server_ccs && !full_server_flight) {
        facts.resumed = true;
        let how = if sid_resumed {
            "session id"
        } else {
            "session ticket"
        };
        return Verdict {
            auth: AuthClass::TlsClientAuthUnknown,
            status: Some(ClientCertStatus::NotVisible),
            clauses: vec![format!(
                "session resumed by {how}: an abbreviated handshake exchanges no certificates, so \
                 client authentication is that of the original session"
            )],
        };
    }

    let requested = has(&p.server_msgs, msg::CERTIFICATE_REQUEST);
    let request_clause = if requested {
        "server sent CertificateRequest"
    } else {
        "server sent no CertificateRequest"
    };
    let client_chain = find(&p.client_msgs, msg::CERTIFICATE).map(|m| chain12(m.body));
    let key_exchange = has(&p.client_msgs, msg::CLIENT_KEY_EXCHANGE);
    match client_chain {
        Some(c) if c.count > 0 => {
            out.parse_error |= c.error;
            facts.client_certs = c.infos();
            let n = c.count;
            let plural = if n == 1 { "" } else { "s" };
            Verdict {
                auth: AuthClass::Mtls,
                status: Some(ClientCertStatus::Presented),
                clauses: vec![
                    "server sent CertificateRequest".to_owned(),
                    format!("client sent {n} certificate{plural}{}", c.leaf_label()),
                ],
            }
        }
        Some(_) => Verdict {
            auth: AuthClass::TlsServerOnly,
            status: Some(ClientCertStatus::RequestedEmpty),
            clauses: vec![
                "server sent CertificateRequest".to_owned(),
                "client answered with an empty Certificate".to_owned(),
            ],
        },
        None if key_exchange && requested => Verdict {
            auth: AuthClass::TlsServerOnly,
            status: Some(ClientCertStatus::RequestedEmpty),
            clauses: vec![
                request_clause.to_owned(),
                "client sent no Certificate before its key exchange".to_owned(),
            ],
        },
        None if key_exchange || has(&p.server_msgs, msg::SERVER_HELLO_DONE) && !requested => {
            Verdict {
                auth: AuthClass::TlsServerOnly,
                status: Some(ClientCertStatus::NotRequested),
                clauses: vec![request_clause.to_owned()],
            }
        }
        None if requested => Verdict {
            auth: AuthClass::TlsClientAuthUnknown,
            status: Some(ClientCertStatus::RequestedNoAnswerSeen),
            clauses: vec![
                request_clause.to_owned(),
                "the client's answer is not in the captured bytes, so client authentication is \
                 left unknown rather than guessed"
                    .to_owned(),
            ],
        },
        None => Verdict {
            auth: AuthClass::TlsClientAuthUnknown,
            status: Some(ClientCertStatus::NotVisible),
            clauses: vec![
                "the handshake is cut short in the captured bytes before client authentication \
                 could be seen"
                    .to_owned(),
            ],
        },
    }
}

fn tls13(
    p: &Parsed<'_>,
    ctx: &Ctx<'_>,
    sh: &ServerHello<'_>,
    facts: &mut TlsFacts,
    out: &mut TlsOutcome,
) -> Verdict {
    facts.resumed = sh.psk_accepted;
    let ch = p.client_hello.as_ref();
    let early_data = ch.is_some_and(|c| c.has(ext::EARLY_DATA));
    facts.client_flight_len = client_flight_len(&p.client_records);
    let mut clauses = Vec::new();
    if p.server_hellos.iter().any(ServerHello::is_retry_request) {
        clauses.push("after a HelloRetryRequest".to_owned());
    }
    if let (Some(keylog), Some(ch)) = (ctx.keylog, ch) {
        match keylog.handshake(ch.random) {
            Some(secrets) => match decrypted(p, sh, secrets, facts, out) {
                Ok(v) => {
                    facts.decrypted = true;
                    clauses.extend(v.clauses);
                    return Verdict { clauses, ..v };
                }
                Err(why) => clauses.push(format!("key log: {why}")),
            },
            None => clauses.push("the key log has no secrets for this session".to_owned()),
        }
    }
    if facts.resumed {
        clauses.push(
            "session resumed with a pre-shared key: no certificates are exchanged, so client \
             authentication is that of the original session"
                .to_owned(),
        );
    } else {
        clauses.push(
            "client authentication is encrypted after the ServerHello and cannot be seen"
                .to_owned(),
        );
        if let Some(len) = facts.client_flight_len {
            if early_data {
                clauses.push(format!(
                    "client flight {len} bytes not judged (0-RTT early data offered)"
                ));
            } else if let Some(i) = indicators::flight(len, &ctx.rules.tls13_client_flight) {
                clauses.push(format!(
                    "{} suggests {}",
                    i.detail,
                    i.suggests.replace('_', " ")
                ));
                out.indicators.push(i);
            } else {
                clauses.push(format!("client flight {len} bytes is not conclusive"));
            }
        }
    }
    Verdict {
        auth: AuthClass::TlsClientAuthUnknown,
        status: Some(ClientCertStatus::NotVisible),
        clauses,
    }
}

/// Payload length of the client's first application-data record after its last plaintext
/// handshake record (the middlebox-compatibility ChangeCipherSpec is skipped).
fn client_flight_len(records: &[Record<'_>]) -> Option<u32> {
    let last_hs = records.iter().rposition(|r| r.content_type == HANDSHAKE)?;
    records
        .get(last_hs + 1..)?
        .iter()
        .find(|r| r.content_type == APPLICATION_DATA)
        .filter(|r| r.complete)
        .and_then(|r| u32::try_from(r.payload.len()).ok())
}

/// Decrypts both directions' handshakes and decides from what they show.
fn decrypted(
    p: &Parsed<'_>,
    sh: &ServerHello<'_>,
    secrets: &super::keylog::HandshakeSecrets,
    facts: &mut TlsFacts,
    out: &mut TlsOutcome,
) -> Result<Verdict, String> {
    let server_secret = secrets
        .server
        .as_deref()
        .ok_or("the key log lacks SERVER_HANDSHAKE_TRAFFIC_SECRET for this session")?;
    let server_plain = handshake_plaintext(sh.cipher, server_secret, &p.server_records)
        .map_err(DecryptError::describe)?;
    let (server_msgs, _) = messages(&server_plain);
    if let Some(ee) = find(&server_msgs, msg::ENCRYPTED_EXTENSIONS) {
        facts.alpn_selected = encrypted_extensions_alpn(ee.body);
    }
    if let Some(c) = find(&server_msgs, msg::CERTIFICATE).map(|m| chain13(m.body)) {
        out.parse_error |= c.error;
        facts.server_certs = c.infos();
    }
    let requested = has(&server_msgs, msg::CERTIFICATE_REQUEST);
    let past_request = [msg::CERTIFICATE, msg::CERTIFICATE_VERIFY, msg::FINISHED]
        .iter()
        .any(|t| has(&server_msgs, *t));
    let mut clauses = vec!["handshake decrypted with the key log".to_owned()];
    if facts.resumed {
        clauses.push(
            "session resumed with a pre-shared key: no certificates are exchanged, so client \
             authentication is that of the original session"
                .to_owned(),
        );
        return Ok(Verdict {
            auth: AuthClass::TlsClientAuthUnknown,
            status: Some(ClientCertStatus::NotVisible),
            clauses,
        });
    }
    if !requested {
        if !past_request {
            return Err("the decrypted server handshake ends before its certificate".to_owned());
        }
        clauses.push("server sent no CertificateRequest".to_owned());
        return Ok(Verdict {
            auth: AuthClass::TlsServerOnly,
            status: Some(ClientCertStatus::NotRequested),
            clauses,
        });
    }
    clauses.push("server sent CertificateRequest".to_owned());
    let client_plain = secrets
        .client
        .as_deref()
        .ok_or_else(|| {
            DecryptError::describe(DecryptError::BadSecret)
                + " (CLIENT_HANDSHAKE_TRAFFIC_SECRET missing)"
        })
        .and_then(|s| {
            handshake_plaintext(sh.cipher, s, &p.client_records).map_err(DecryptError::describe)
        });
    let client_chain = client_plain.ok().and_then(|plain| {
        let (msgs, _) = messages(&plain);
        find(&msgs, msg::CERTIFICATE).map(|m| chain13(m.body))
    });
    Ok(match client_chain {
        Some(c) if c.count > 0 => {
            out.parse_error |= c.error;
            facts.client_certs = c.infos();
            let n = c.count;
            let plural = if n == 1 { "" } else { "s" };
            clauses.push(format!(
                "client sent {n} certificate{plural}{}",
                c.leaf_label()
            ));
            Verdict {
                auth: AuthClass::Mtls,
                status: Some(ClientCertStatus::Presented),
                clauses,
            }
        }
        Some(_) => {
            clauses.push("client answered with an empty Certificate".to_owned());
            Verdict {
                auth: AuthClass::TlsServerOnly,
                status: Some(ClientCertStatus::RequestedEmpty),
                clauses,
            }
        }
        None => {
            clauses.push(
                "the client's answer could not be decrypted, so client authentication is left \
                 unknown"
                    .to_owned(),
            );
            Verdict {
                auth: AuthClass::TlsClientAuthUnknown,
                status: Some(ClientCertStatus::RequestedNoAnswerSeen),
                clauses,
            }
        }
    })
}

/// The ALPN value in EncryptedExtensions.
fn encrypted_extensions_alpn(body: &[u8]) -> Option<String> {
    let mut r = Reader::new(body);
    let block = r.be_u16_prefixed()?;
    let (exts, _) = super::hello::split_extensions(block);
    let data = exts.iter().find(|(t, _)| *t == ext::ALPN)?.1;
    let mut r = Reader::new(data);
    let list = r.be_u16_prefixed()?;
    let mut r = Reader::new(list);
    r.u8_prefixed().map(lossy)
}

/// SNI and server certificate names for the server address, client certificate names (and
/// SPIFFE ids) for the client address.
fn names(facts: &TlsFacts, ctx: &Ctx<'_>, out: &mut Vec<NameObservation>) {
    let ts = ctx.meta.first_ts;
    let mut push = |ip, name: String, source| {
        let obs = NameObservation {
            ip,
            name,
            source,
            ts,
        };
        if !out.contains(&obs) {
            out.push(obs);
        }
    };
    let server = ctx.meta.server.ip;
    let client = ctx.meta.client.ip;
    if let Some(sni) = &facts.sni
        && !sni.is_empty()
    {
        push(server, sni.clone(), NameSource::TlsSni);
    }
    if let Some(leaf) = facts.server_certs.first() {
        for n in cert_names(leaf, false) {
            push(server, n, NameSource::TlsCertificate);
        }
    }
    if let Some(leaf) = facts.client_certs.first() {
        for n in cert_names(leaf, true) {
            push(client, n, NameSource::TlsCertificate);
        }
    }
}

/// The subject CN and DNS SANs of a leaf (and, for clients, URI SANs such as SPIFFE ids).
/// Wildcards name no single address and are left out.
fn cert_names(c: &CertInfo, client: bool) -> Vec<String> {
    let mut v = Vec::new();
    for part in unescaped_attributes(&c.subject) {
        if let Some(cn) = part.strip_prefix("CN=") {
            v.push(cn.to_owned());
        }
    }
    for s in &c.san {
        if let Some(d) = s.strip_prefix("DNS:") {
            v.push(d.to_ascii_lowercase());
        } else if client && let Some(u) = s.strip_prefix("URI:") {
            v.push(u.to_owned());
        }
    }
    v.retain(|n| !n.contains('*') && !n.is_empty());
    let mut seen = Vec::new();
    v.retain(|n| {
        let fresh = !seen.contains(n);
        seen.push(n.clone());
        fresh
    });
    v
}

/// The `TYPE=value` attributes of an RFC 4514 string, with `\` escapes removed.
fn unescaped_attributes(dn: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for ch in dn.chars() {
        match ch {
            _ if escaped => {
                cur.push(ch);
                escaped = false;
            }
            '\\' => escaped = true,
            ',' | '+' => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_separators_stay_in_values() {
        assert_eq!(
            unescaped_attributes("CN=Acme\\, Inc.+OU=x,C=US"),
            ["CN=Acme, Inc.", "OU=x", "C=US"]
        );
    }
}
