//! LDAP (RFC 4511) and CLDAP through `ldap-parser`: simple binds (cleartext credentials or
//! anonymous), SASL binds (GSS-SPNEGO/GSSAPI/NTLM tokens through [`GssAuth`]; PLAIN and
//! DIGEST-MD5 responses), operations without any bind, and StartTLS (RFC 4511 §4.14), after
//! which the TLS handshake decides.

use ldap_parser::FromBer;
use ldap_parser::ldap::{AuthenticationChoice, LdapMessage, ProtocolOp, ResultCode};
use segscope_core::auth::{SecretSeen, Upgrade};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};

use super::gss::GssAuth;
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// The StartTLS extended operation.
pub const STARTTLS_OID: &str = "1.3.6.1.4.1.1466.20037";

/// Request operation tags (APPLICATION class) that open an LDAP client stream.
const REQUEST_TAGS: [u8; 10] = [0x60, 0x42, 0x63, 0x66, 0x68, 0x4a, 0x6c, 0x6e, 0x50, 0x77];
/// Response operation tags.
const RESPONSE_TAGS: [u8; 10] = [0x61, 0x64, 0x65, 0x73, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78];

/// The protocol-op tag of the LDAPMessage at the start of `b`, if its envelope looks right.
pub fn op_tag(b: &[u8]) -> Option<u8> {
    let mut r = Reader::new(b);
    if r.u8()? != 0x30 {
        return None;
    }
    skip_len(&mut r)?;
    if r.u8()? != 0x02 {
        return None;
    }
    let id_len = r.u8()?;
    if !(1..=4).contains(&id_len) {
        return None;
    }
    r.skip(usize::from(id_len))?;
    r.u8()
}

fn skip_len(r: &mut Reader<'_>) -> Option<()> {
    let first = r.u8()?;
    if first & 0x80 != 0 {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        r.skip(n)?;
    }
    Some(())
}

/// Parses consecutive LDAP messages; returns them with the offset just after each.
pub fn messages(stream: &[u8]) -> Vec<(LdapMessage<'_>, usize)> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let Ok((next, msg)) = LdapMessage::from_ber(rest) else {
            break;
        };
        rest = next;
        out.push((msg, stream.len() - rest.len()));
    }
    out
}

/// What one LDAP session showed.
#[derive(Default)]
struct LdapSession {
    /// First credential seen in clear: (mechanism, user, secret kind, secret length).
    cleartext: Option<(String, String, &'static str, u32)>,
    /// SASL mechanism of GSS binds.
    sasl_gss: Option<String>,
    /// Other SASL mechanism seen (EXTERNAL…).
    sasl_other: Option<String>,
    gss: GssAuth,
    anonymous_binds: u32,
    unauthenticated_binds: u32,
    operations: u32,
    binds: u32,
    bind_results: Vec<u32>,
    /// Message id of the StartTLS request and the client offset after it.
    starttls_request: Option<(u32, usize)>,
    /// Server offset after a successful StartTLS response.
    starttls_response: Option<usize>,
    parsed: u32,
}

impl LdapSession {
    fn client_message(&mut self, msg: &LdapMessage<'_>, end: usize) {
        self.parsed += 1;
        match &msg.protocol_op {
            ProtocolOp::BindRequest(bind) => {
                self.binds += 1;
                match &bind.authentication {
                    AuthenticationChoice::Simple(pw) if !pw.is_empty() => {
                        self.cleartext.get_or_insert((
                            "ldap_simple".to_owned(),
                            bind.name.0.to_string(),
                            "password",
                            u32::try_from(pw.len()).unwrap_or(u32::MAX),
                        ));
                    }
                    AuthenticationChoice::Simple(_) if bind.name.0.is_empty() => {
                        self.anonymous_binds += 1;
                    }
                    AuthenticationChoice::Simple(_) => self.unauthenticated_binds += 1,
                    AuthenticationChoice::Sasl(sasl) => self.sasl(
                        &sasl.mechanism.0,
                        sasl.credentials.as_deref().unwrap_or(&[]),
                    ),
                }
            }
            ProtocolOp::ExtendedRequest(ext) if ext.request_name.0 == STARTTLS_OID => {
                self.starttls_request.get_or_insert((msg.message_id.0, end));
            }
            ProtocolOp::UnbindRequest | ProtocolOp::AbandonRequest(_) => {}
            _ => self.operations += 1,
        }
    }

    fn sasl(&mut self, mechanism: &str, creds: &[u8]) {
        let upper = mechanism.to_ascii_uppercase();
        let label = format!("ldap_sasl_{}", upper.to_ascii_lowercase().replace('-', "_"));
        match upper.as_str() {
            "GSS-SPNEGO" | "GSSAPI" | "NTLM" | "GSS-NTLM" => {
                self.sasl_gss.get_or_insert(label);
                if !creds.is_empty() {
                    self.gss.client_token(creds);
                }
            }
            // RFC 4616: [authzid] NUL authcid NUL passwd.
            "PLAIN" => {
                let mut parts = creds.splitn(3, |&b| b == 0);
                let (_authz, authc, pw) = (parts.next(), parts.next(), parts.next());
                if let (Some(authc), Some(pw)) = (authc, pw) {
                    self.cleartext.get_or_insert((
                        label,
                        crate::bytes::printable(authc, 256),
                        "password",
                        u32::try_from(pw.len()).unwrap_or(u32::MAX),
                    ));
                }
            }
            // A hashed challenge response, which an observer can attack offline (as with
            // PostgreSQL's MD5): the user name is in the response.
            "DIGEST-MD5" | "CRAM-MD5" if !creds.is_empty() => {
                let user = digest_user(creds).unwrap_or_default();
                self.cleartext.get_or_insert((
                    label,
                    user,
                    "challenge_response",
                    u32::try_from(creds.len()).unwrap_or(u32::MAX),
                ));
            }
            _ => {
                self.sasl_other.get_or_insert(label);
            }
        }
    }

    fn server_message(&mut self, msg: &LdapMessage<'_>, end: usize) {
        self.parsed += 1;
        match &msg.protocol_op {
            ProtocolOp::BindResponse(resp) => {
                self.bind_results.push(resp.result.result_code.0);
                if let Some(creds) = resp.server_sasl_creds.as_deref()
                    && !creds.is_empty()
                {
                    self.gss.server_token(creds);
                }
            }
            ProtocolOp::ExtendedResponse(resp)
                if self
                    .starttls_request
                    .is_some_and(|(id, _)| id == msg.message_id.0)
                    && resp.result.result_code == ResultCode::Success =>
            {
                self.starttls_response.get_or_insert(end);
            }
            _ => {}
        }
    }
}

/// The user name in a DIGEST-MD5 response (`username="…"`) or CRAM-MD5 response (`user hex`).
fn digest_user(creds: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(creds);
    if let Some(i) = text.find("username=\"") {
        let rest = &text[i + 10..];
        return rest
            .split('"')
            .next()
            .map(|u| crate::bytes::printable(u.as_bytes(), 256));
    }
    text.split(' ')
        .next()
        .map(|u| crate::bytes::printable(u.as_bytes(), 256))
}

/// The LDAP probe (TCP, and CLDAP over UDP).
pub(crate) struct LdapProbe;

impl Probe for LdapProbe {
    fn name(&self) -> &'static str {
        "ldap"
    }

    fn app(&self) -> AppProto {
        AppProto::Ldap
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let t = ctx.meta.transport;
        if t != Transport::TCP && t != Transport::UDP {
            return Verdict::NotForUs;
        }
        let client = op_tag(ctx.client_head()).is_some_and(|t| REQUEST_TAGS.contains(&t));
        let server = op_tag(ctx.server_head()).is_some_and(|t| RESPONSE_TAGS.contains(&t));
        if client || server {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut s = LdapSession::default();
        for stream in ctx.client.messages() {
            for (m, end) in messages(stream) {
                s.client_message(&m, end);
            }
        }
        for stream in ctx.server.messages() {
            for (m, end) in messages(stream) {
                s.server_message(&m, end);
            }
        }
        verdict(s, ctx)
    }
}

fn verdict(mut s: LdapSession, ctx: &Ctx<'_>) -> Analysis {
    let mut ev = AuthEvidence::default();
    let mut names = Vec::new();
    let mut parse_error = s.parsed == 0;
    let cldap = ctx.meta.transport == Transport::UDP;
    let proto = if cldap { "CLDAP" } else { "LDAP" };
    let results = if s.bind_results.is_empty() {
        String::new()
    } else {
        let r: Vec<String> = s.bind_results.iter().map(|&c| result_name(c)).collect();
        format!(" (bind result {})", r.join(", "))
    };
    let auth = if let Some((mech, user, kind, length)) = s.cleartext.take() {
        ev.reason = format!("{proto} {mech} bind as {user:?} sent a {kind} in clear{results}");
        ev.mechanism = Some(mech);
        ev.user = (!user.is_empty()).then_some(user);
        ev.secret = Some(SecretSeen {
            kind: kind.to_owned(),
            length,
        });
        AuthClass::CleartextCredentials
    } else if let (Some(mech), Some(o)) = (&s.sasl_gss, s.gss.outcome()) {
        ev.reason = format!("{proto} SASL bind: {}{results}", o.describe());
        ev.mechanism = Some(mech.clone());
        ev.user = o.user.clone();
        ev.weak = o.weak.clone();
        ev.ntlm = o.ntlm.clone().map(Box::new);
        ev.kerberos = o.kerberos.clone().map(Box::new);
        names = o.names(ctx.meta);
        o.auth
    } else if let (Some((_, c_off)), Some(s_off)) = (s.starttls_request, s.starttls_response) {
        let client = ctx.client.bytes.get(c_off..).unwrap_or(&[]);
        let server = ctx.server.bytes.get(s_off..).unwrap_or(&[]);
        let client = crate::tls::find_record_start(client).map_or(&[][..], |i| &client[i..]);
        let server = crate::tls::find_record_start(server).map_or(&[][..], |i| &server[i..]);
        let tls = crate::tls::analyze_handshake(client, server, ctx);
        ev.reason = format!("LDAP StartTLS; {}", tls.reason);
        ev.upgrade = Some(Upgrade {
            from: AppProto::Ldap,
            how: "LDAP StartTLS".to_owned(),
        });
        ev.weak = tls.weak;
        ev.indicators = tls.indicators;
        ev.tls = Some(Box::new(tls.facts));
        names = tls.names;
        parse_error |= tls.parse_error;
        tls.auth
    } else if let Some(mech) = s.sasl_gss.clone().or(s.sasl_other.clone()) {
        ev.reason = format!("{proto} SASL bind ({mech}) without a recognisable token{results}");
        ev.mechanism = Some(mech);
        AuthClass::Unknown
    } else if s.anonymous_binds + s.unauthenticated_binds > 0 || s.operations > 0 {
        ev.mechanism = Some("ldap_anonymous".to_owned());
        ev.reason = if s.binds == 0 {
            format!(
                "{proto}: {} operation(s) without any bind (anonymous)",
                s.operations
            )
        } else if s.unauthenticated_binds > 0 {
            format!("{proto} unauthenticated simple bind (name without password){results}")
        } else {
            format!("{proto} anonymous simple bind (empty name and password){results}")
        };
        AuthClass::CleartextUnauthenticated
    } else {
        ev.reason = format!("{proto} messages without a bind or operation");
        AuthClass::Unknown
    };
    Analysis {
        app: AppProto::Ldap,
        auth,
        evidence: ev,
        names,
        parse_error,
    }
}

fn result_name(code: u32) -> String {
    match code {
        0 => "success".to_owned(),
        7 => "authMethodNotSupported".to_owned(),
        8 => "strongerAuthRequired".to_owned(),
        14 => "saslBindInProgress".to_owned(),
        48 => "inappropriateAuthentication".to_owned(),
        49 => "invalidCredentials".to_owned(),
        50 => "insufficientAccessRights".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4511 BindRequest, simple, hand-encoded: id 1, version 3, "cn=a", password "pw".
    const SIMPLE_BIND: &[u8] = &[
        0x30, 0x12, 0x02, 0x01, 0x01, 0x60, 0x0d, 0x02, 0x01, 0x03, 0x04, 0x04, b'c', b'n', b'=',
        b'a', 0x80, 0x02, b'p', b'w',
    ];

    #[test]
    fn envelope_and_simple_bind() {
        assert_eq!(op_tag(SIMPLE_BIND), Some(0x60));
        let msgs = messages(SIMPLE_BIND);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].1, SIMPLE_BIND.len());
        let mut s = LdapSession::default();
        s.client_message(&msgs[0].0, msgs[0].1);
        let (mech, user, kind, len) = s.cleartext.expect("credentials");
        assert_eq!(
            (mech.as_str(), user.as_str(), kind, len),
            ("ldap_simple", "cn=a", "password", 2)
        );
        assert_eq!(
            op_tag(&[0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00]),
            Some(0x04)
        );
        for n in 0..SIMPLE_BIND.len() {
            let _ = messages(&SIMPLE_BIND[..n]);
        }
    }

    #[test]
    fn digest_user_is_extracted() {
        assert_eq!(
            digest_user(b"username=\"bob\",realm=\"x\"").as_deref(),
            Some("bob")
        );
        assert_eq!(digest_user(b"alice 0123").as_deref(), Some("alice"));
    }
}
