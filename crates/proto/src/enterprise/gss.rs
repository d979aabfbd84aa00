//! GSS-API tokens as they travel inside other protocols (SPNEGO-wrapped or raw NTLMSSP and
//! Kerberos): HTTP `Authorization: NTLM|Negotiate`, WinRM, LDAP SASL, SMB session setup,
//! DCE-RPC auth verifiers.
//!
//! Accepted token shapes (RFC 2743 §3.1, RFC 4178, RFC 4121 §4.1, MS-SPNG, MS-NLMP):
//! - `0x60` InitialContextToken: SPNEGO (1.3.6.1.5.5.2) NegTokenInit, Kerberos
//!   (1.2.840.113554.1.2.2, or Microsoft's 1.2.840.48018.1.2.2) with a 2-byte token id
//!   (`01 00` AP-REQ, `02 00` AP-REP, `03 00` KRB-ERROR) before the Kerberos message, or NTLMSSP
//!   (1.3.6.1.4.1.311.2.2.10);
//! - `0xa0` NegTokenInit and `0xa1` NegTokenResp without the outer header;
//! - raw `NTLMSSP\0` messages and raw Kerberos AP-REQ/AP-REP/KRB-ERROR.
//!
//! Tokens that are none of these (NEGOEX messages, GSS wrap tokens after the handshake) are
//! ignored, never an error.

use der_parser::asn1_rs::{Any, Class, FromBer, Tag};
use segscope_core::auth::{KerberosFacts, NtlmFacts, Weakness};
use segscope_core::{AuthClass, FlowMeta, NameObservation, NameSource};

use super::krb::KerberosExchange;
use super::ntlmssp::{self, Authenticate, NtlmMessage, NtlmVersion};

/// DER contents of the mechanism OIDs.
const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
const OID_KRB5_U2U: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];
const OID_NTLMSSP: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
const OID_NEGOEX: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];

/// NEGOEX messages start with this signature (MS-NEGOEX §2.2.6.1).
const NEGOEX_SIGNATURE: &[u8] = b"NEGOEXTS";

/// SPNEGO nesting is shallow; this bounds recursion on hostile input.
const MAX_DEPTH: u8 = 4;

/// The mechanism a token belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mech {
    Kerberos,
    Ntlm,
}

/// What an exchange of GSS-API tokens showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GssOutcome {
    /// `kerberos` or `ntlm`; `cleartext_unauthenticated` for an anonymous NTLM session (no user,
    /// empty responses), which authenticates nobody.
    pub auth: AuthClass,
    /// Mechanism as recorded in evidence (`ntlmssp`, `kerberos`, `spnego/ntlmssp`…).
    pub mechanism: String,
    /// NTLM details.
    pub ntlm: Option<NtlmFacts>,
    /// Kerberos details.
    pub kerberos: Option<KerberosFacts>,
    /// Authenticated user, where visible.
    pub user: Option<String>,
    /// NTLMv1, Kerberos RC4…
    pub weak: Vec<Weakness>,
    /// Client host (NTLM workstation), for name observations.
    pub client_host: Option<String>,
    /// Server host (Kerberos service principal host, or the NTLM CHALLENGE's DNS or NetBIOS
    /// computer name), for name observations.
    pub server_host: Option<String>,
    /// Where the server host name came from.
    pub server_host_source: Option<NameSource>,
}

impl GssOutcome {
    /// True for an anonymous NTLM session.
    pub fn is_anonymous(&self) -> bool {
        self.auth == AuthClass::CleartextUnauthenticated
    }

    /// One sentence for the evidence (`NTLMv2 (spnego/ntlmssp) as SUSE\administrator from WS1`).
    pub fn describe(&self) -> String {
        match (&self.ntlm, &self.kerberos) {
            (Some(n), _) if self.auth != AuthClass::Kerberos => {
                let version = match n.version.as_deref() {
                    Some("v1") => "NTLMv1",
                    Some("v2") => "NTLMv2",
                    Some("anonymous") => "anonymous NTLM",
                    _ => "NTLM (AUTHENTICATE not seen)",
                };
                let mut s = format!("{version} ({})", self.mechanism);
                if let Some(user) = &n.user {
                    match &n.domain {
                        Some(d) => s.push_str(&format!(" as {d}\\{user}")),
                        None => s.push_str(&format!(" as {user}")),
                    }
                }
                if let Some(ws) = &n.workstation {
                    s.push_str(&format!(" from {ws}"));
                }
                if let Some(server) = &n.server_name {
                    s.push_str(&format!(" to server {server}"));
                }
                s
            }
            (_, Some(k)) => {
                let mut s = format!("Kerberos ({}) {}", self.mechanism, k.messages.join(", "));
                if let Some(svc) = &k.service {
                    s.push_str(&format!(" for {svc}"));
                }
                if let Some(r) = &k.realm {
                    s.push_str(&format!(" in {r}"));
                }
                if let Some(c) = &k.cipher {
                    s.push_str(&format!("; ticket {c}"));
                }
                if let Some(e) = &k.error {
                    s.push_str(&format!("; error {e}"));
                }
                s
            }
            _ => format!("GSS-API ({})", self.mechanism),
        }
    }

    /// Name observations: the NTLM workstation for the client address, the service or NTLM
    /// server name for the server address (see `krb` for the Kerberos rule).
    pub fn names(&self, meta: &FlowMeta) -> Vec<NameObservation> {
        let mut v = Vec::new();
        if let Some(h) = &self.client_host {
            v.push(NameObservation {
                ip: meta.client.ip,
                name: h.to_ascii_lowercase(),
                source: NameSource::SmbHost,
                ts: meta.first_ts,
            });
        }
        if let (Some(h), Some(source)) = (&self.server_host, self.server_host_source) {
            v.push(NameObservation {
                ip: meta.server.ip,
                name: h.to_ascii_lowercase(),
                source,
                ts: meta.first_ts,
            });
        }
        v
    }
}

/// Accumulates the tokens of one authentication exchange, from both sides.
#[derive(Clone, Debug, Default)]
pub struct GssAuth {
    spnego: bool,
    /// The mechanism of the last client token that carried credentials (AP-REQ or
    /// AUTHENTICATE), else of the last recognised token.
    decided: Option<Mech>,
    client_credentials: Option<Mech>,
    ntlm_challenge: Option<NtlmMessage>,
    ntlm_auth: Option<Authenticate>,
    ntlm_seen: bool,
    krb: KerberosExchange,
    negoex: bool,
}

impl GssAuth {
    /// A fresh accumulator.
    pub fn new() -> GssAuth {
        GssAuth::default()
    }

    /// A token the client sent.
    pub fn client_token(&mut self, token: &[u8]) {
        self.token(token, true, 0);
    }

    /// A token the server sent.
    pub fn server_token(&mut self, token: &[u8]) {
        self.token(token, false, 0);
    }

    /// True when a NEGOEX message was seen (SPNEGO extended negotiation).
    pub fn negoex_seen(&self) -> bool {
        self.negoex
    }

    fn token(&mut self, token: &[u8], client: bool, depth: u8) {
        if depth > MAX_DEPTH {
            return;
        }
        if ntlmssp::is_ntlmssp(token) {
            self.ntlm(token, client);
            return;
        }
        if token.starts_with(NEGOEX_SIGNATURE) {
            self.negoex = true;
            return;
        }
        match token.first() {
            Some(0x60) => self.initial_context_token(token, client, depth),
            Some(0xa0 | 0xa1) => self.spnego(token, client, depth),
            Some(_) if super::krb::message_tag(token).is_some() => self.kerberos(token, client),
            _ => {}
        }
    }

    fn initial_context_token(&mut self, token: &[u8], client: bool, depth: u8) {
        let Ok((_, outer)) = Any::from_ber(token) else {
            return;
        };
        if outer.header.class() != Class::Application || outer.header.tag() != Tag(0) {
            return;
        }
        let Ok((inner, oid)) = Any::from_ber(outer.data) else {
            return;
        };
        if oid.header.tag() != Tag::Oid {
            return;
        }
        match oid.data {
            OID_SPNEGO => {
                self.spnego = true;
                self.spnego(inner, client, depth + 1);
            }
            OID_KRB5 | OID_MS_KRB5 | OID_KRB5_U2U => {
                // RFC 4121 §4.1: a 2-byte TOK_ID precedes the Kerberos message.
                if let Some(msg) = inner.get(2..) {
                    self.kerberos(msg, client);
                }
            }
            OID_NTLMSSP => self.ntlm(inner, client),
            _ => {}
        }
    }

    /// NegTokenInit (`[0]`) or NegTokenResp (`[1]`): the mechanism token inside is `[2]` in both.
    fn spnego(&mut self, token: &[u8], client: bool, depth: u8) {
        let Ok((_, choice)) = Any::from_ber(token) else {
            return;
        };
        if choice.header.class() != Class::ContextSpecific {
            return;
        }
        self.spnego = true;
        let Ok((_, seq)) = Any::from_ber(choice.data) else {
            return;
        };
        let is_init = choice.header.tag() == Tag(0);
        let mut rest = seq.data;
        while let Ok((next, field)) = Any::from_ber(rest) {
            rest = next;
            if field.header.class() != Class::ContextSpecific {
                continue;
            }
            match (is_init, field.header.tag().0) {
                (true, 0) => self.mech_types(field.data),
                (false, 1) => {
                    if let Ok((_, oid)) = Any::from_ber(field.data)
                        && oid.data == OID_NEGOEX
                    {
                        self.negoex = true;
                    }
                }
                (_, 2) => {
                    if let Ok((_, octets)) = Any::from_ber(field.data) {
                        self.token(octets.data, client, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    /// mechTypes are only an offer; they decide nothing, but NEGOEX is noted.
    fn mech_types(&mut self, list: &[u8]) {
        let Ok((_, seq)) = Any::from_ber(list) else {
            return;
        };
        let mut rest = seq.data;
        while let Ok((next, oid)) = Any::from_ber(rest) {
            rest = next;
            if oid.data == OID_NEGOEX {
                self.negoex = true;
            }
        }
    }

    fn kerberos(&mut self, msg: &[u8], client: bool) {
        if self.krb.message(msg) {
            self.decide(Mech::Kerberos, client && msg.first() == Some(&0x6e));
        }
    }

    fn ntlm(&mut self, msg: &[u8], client: bool) {
        let Some(parsed) = ntlmssp::parse(msg) else {
            return;
        };
        self.ntlm_seen = true;
        let credentials = matches!(parsed, NtlmMessage::Authenticate(_)) && client;
        match parsed {
            NtlmMessage::Negotiate { .. } => {}
            challenge @ NtlmMessage::Challenge { .. } => self.ntlm_challenge = Some(challenge),
            NtlmMessage::Authenticate(a) => {
                // An authenticated session outranks an anonymous one in the same flow.
                let keep_old = self.ntlm_auth.as_ref().is_some_and(|old| {
                    old.version() != NtlmVersion::Anonymous && a.version() == NtlmVersion::Anonymous
                });
                if !keep_old {
                    self.ntlm_auth = Some(a);
                }
            }
        }
        self.decide(Mech::Ntlm, credentials);
    }

    fn decide(&mut self, mech: Mech, credentials: bool) {
        if credentials {
            self.client_credentials = Some(mech);
        }
        if self.client_credentials.is_none() || credentials {
            self.decided = Some(mech);
        }
    }

    /// The outcome, once a recognisable mechanism was seen.
    pub fn outcome(&self) -> Option<GssOutcome> {
        let mech = self.decided?;
        let prefix = if self.spnego { "spnego/" } else { "" };
        Some(match mech {
            Mech::Kerberos => {
                let k = &self.krb;
                GssOutcome {
                    auth: AuthClass::Kerberos,
                    mechanism: format!("{prefix}kerberos"),
                    kerberos: Some(k.facts.clone()),
                    user: k.facts.client.clone(),
                    weak: k.weak.clone(),
                    server_host: k.ap_service_host.clone(),
                    server_host_source: k
                        .ap_service_host
                        .as_ref()
                        .map(|_| NameSource::KerberosPrincipal),
                    ..GssOutcome::default()
                }
            }
            Mech::Ntlm => self.ntlm_outcome(format!("{prefix}ntlmssp")),
        })
    }

    fn ntlm_outcome(&self, mechanism: String) -> GssOutcome {
        let mut facts = NtlmFacts::default();
        let mut out = GssOutcome {
            auth: AuthClass::Ntlm,
            mechanism,
            ..GssOutcome::default()
        };
        if let Some(NtlmMessage::Challenge {
            nb_computer,
            dns_computer,
            ..
        }) = &self.ntlm_challenge
        {
            facts.server_name = match (nb_computer, dns_computer) {
                (Some(nb), Some(dns)) if !dns.eq_ignore_ascii_case(nb) => {
                    Some(format!("{nb} ({dns})"))
                }
                (Some(nb), _) => Some(nb.clone()),
                (None, dns) => dns.clone(),
            };
            out.server_host = dns_computer.clone().or_else(|| nb_computer.clone());
            out.server_host_source = out.server_host.as_ref().map(|_| NameSource::SmbHost);
        }
        if let Some(a) = &self.ntlm_auth {
            let version = a.version();
            facts.version = Some(version.as_str().to_owned());
            let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            facts.user = non_empty(&a.user);
            facts.domain = non_empty(&a.domain);
            facts.workstation = non_empty(&a.workstation);
            out.user = facts.user.clone();
            out.client_host = facts.workstation.clone();
            match version {
                NtlmVersion::Anonymous => out.auth = AuthClass::CleartextUnauthenticated,
                NtlmVersion::V1 => out.weak.push(Weakness::Ntlmv1),
                NtlmVersion::V2 => {}
            }
        }
        out.ntlm = Some(facts);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minimal DER TLV for hand-built tokens.
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if body.len() < 0x80 {
            v.push(body.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(body);
        v
    }

    fn ntlm_negotiate() -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&0xe208_8297u32.to_le_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[test]
    fn spnego_init_with_ntlm_token_is_ntlm() {
        let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, OID_NTLMSSP)));
        let mech_token = tlv(0xa2, &tlv(0x04, &ntlm_negotiate()));
        let init = tlv(0xa0, &tlv(0x30, &[mech_types, mech_token].concat()));
        let token = tlv(0x60, &[tlv(0x06, OID_SPNEGO), init].concat());
        let mut g = GssAuth::new();
        g.client_token(&token);
        let o = g.outcome().expect("outcome");
        assert_eq!(o.auth, AuthClass::Ntlm);
        assert_eq!(o.mechanism, "spnego/ntlmssp");
        assert_eq!(o.ntlm.and_then(|n| n.version), None);
    }

    #[test]
    fn offers_alone_decide_nothing_and_garbage_is_ignored() {
        let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, OID_KRB5)));
        let init = tlv(0xa0, &tlv(0x30, &mech_types));
        let mut g = GssAuth::new();
        g.server_token(&tlv(0x60, &[tlv(0x06, OID_SPNEGO), init].concat()));
        assert_eq!(g.outcome(), None);
        for junk in [
            &b""[..],
            b"\x60",
            b"\x60\x84\xff\xff\xff\xff",
            b"\xa1\x03\x30\x01",
        ] {
            g.client_token(junk);
        }
        assert_eq!(g.outcome(), None);
    }
}
