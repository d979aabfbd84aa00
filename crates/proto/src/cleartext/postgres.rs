//! PostgreSQL frontend/backend protocol 3.0 (and the 2.0 startup packet).
//!
//! - `SSLRequest` answered `S` → TLS follows (`how: "SSLRequest"`): the TLS handshake decides;
//!   answered `N` → the session continues in clear.
//! - `GSSENCRequest` answered `G` → GSSAPI (Kerberos) encryption: `encrypted_other`.
//! - AuthenticationCleartextPassword + PasswordMessage → `cleartext_credentials` (`password`).
//! - AuthenticationMD5Password + PasswordMessage → `cleartext_credentials` (`md5_response`: the
//!   response `md5(md5(password‖user)‖salt)` is attackable offline, and the stored hash
//!   `md5(password‖user)` it proves knowledge of is itself password-equivalent).
//! - AuthenticationSASL (SCRAM-SHA-256) → [`CHALLENGE_RESPONSE_CLASS`] (no secret in clear).
//! - AuthenticationGSS/SSPI → the tokens go to [`GssAuth`] → `kerberos`/`ntlm`.
//! - AuthenticationOk without any challenge (`trust`) → `cleartext_unauthenticated`.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{self, for_user};
use super::{
    CHALLENGE_RESPONSE_CLASS, Login, gss_login, tls_from, tls_upgrade, user_name, verdict,
};
use crate::bytes::Reader;
use crate::enterprise::gss::GssAuth;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// PostgreSQL probe.
pub struct Postgres;
/// The PostgreSQL probe instance.
pub static POSTGRES: Postgres = Postgres;

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;
const PROTOCOL_3: u32 = 0x0003_0000;
const PROTOCOL_2: u32 = 0x0002_0000;
/// Largest startup packet accepted (the server's own limit is 10,000 bytes).
const MAX_STARTUP: u32 = 10_000;

/// The untyped first message of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Startup<'a> {
    /// `SSLRequest`.
    Ssl,
    /// `GSSENCRequest`.
    GssEnc,
    /// `CancelRequest`.
    Cancel,
    /// `StartupMessage` with its `key\0value\0` parameters.
    Startup {
        /// Protocol version (`0x00030000`).
        version: u32,
        /// Raw parameter bytes.
        params: &'a [u8],
    },
}

/// Parses the untyped first message; returns it and its length.
pub fn parse_startup(b: &[u8]) -> Option<(Startup<'_>, usize)> {
    let mut r = Reader::new(b);
    let len = r.be_u32()?;
    let code = r.be_u32()?;
    let msg = match (len, code) {
        (8, SSL_REQUEST) => Startup::Ssl,
        (8, GSSENC_REQUEST) => Startup::GssEnc,
        (16, CANCEL_REQUEST) => Startup::Cancel,
        (9..=MAX_STARTUP, PROTOCOL_3) | (296, PROTOCOL_2) => Startup::Startup {
            version: code,
            params: b.get(8..len as usize)?,
        },
        _ => return None,
    };
    Some((msg, len as usize))
}

/// The value of startup parameter `key`.
fn param<'a>(params: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut it = params.split(|&b| b == 0);
    while let Some(k) = it.next() {
        let v = it.next()?;
        if k == key {
            return Some(v);
        }
        if k.is_empty() {
            return None;
        }
    }
    None
}

/// Typed messages (`type`, payload) from `b`, stopping at the first malformed one.
pub fn messages(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut r = Reader::new(b);
    std::iter::from_fn(move || {
        let kind = r.u8()?;
        let len = r.be_u32()?;
        if !(4..=(1 << 24)).contains(&len) {
            return None;
        }
        let payload = r.take(len as usize - 4)?;
        Some((kind, payload))
    })
}

impl Probe for Postgres {
    fn name(&self) -> &'static str {
        "postgresql"
    }
    fn app(&self) -> AppProto {
        AppProto::Postgresql
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        match parse_startup(c) {
            Some((Startup::Startup { params, .. }, _)) if param(params, b"user").is_some() => {
                Verdict::Certain
            }
            Some((Startup::Ssl | Startup::GssEnc, _))
                if matches!(ctx.server_head().first(), None | Some(b'S' | b'N' | b'G')) =>
            {
                Verdict::Certain
            }
            Some((Startup::Cancel, 16)) if c.len() == 16 => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let mut c = ctx.client.bytes;
    let mut s = ctx.server.bytes;
    let mut refused = Vec::new();
    // At most two negotiation requests (GSSENC then SSL) precede the startup.
    for _ in 0..3 {
        let Some((first, len)) = parse_startup(c) else {
            let mut a = verdict(
                AppProto::Postgresql,
                AuthClass::Unknown,
                "PostgreSQL startup not parsed".to_owned(),
            );
            a.parse_error = true;
            return a;
        };
        match first {
            Startup::Ssl | Startup::GssEnc => {
                let ssl = first == Startup::Ssl;
                match s.first() {
                    Some(b'S') if ssl => {
                        let c_tls = tls_from(c, len).unwrap_or(&[]);
                        let s_tls = tls_from(s, 1).unwrap_or(&[]);
                        return tls_upgrade(ctx, AppProto::Postgresql, "SSLRequest", c_tls, s_tls);
                    }
                    Some(b'G') if !ssl => {
                        let mut a = verdict(
                            AppProto::Postgresql,
                            AuthClass::EncryptedOther,
                            "PostgreSQL GSSENCRequest accepted: the session is encrypted with GSSAPI (Kerberos)".to_owned(),
                        );
                        a.evidence.mechanism = Some("gssenc".to_owned());
                        return a;
                    }
                    Some(b'N') => {
                        refused.push(if ssl { "SSLRequest" } else { "GSSENCRequest" });
                        c = c.get(len..).unwrap_or(&[]);
                        s = s.get(1..).unwrap_or(&[]);
                    }
                    _ => {
                        return verdict(
                            AppProto::Postgresql,
                            AuthClass::Unknown,
                            "PostgreSQL encryption request without a retained answer".to_owned(),
                        );
                    }
                }
            }
            Startup::Cancel => {
                return verdict(
                    AppProto::Postgresql,
                    AuthClass::CleartextUnauthenticated,
                    "PostgreSQL CancelRequest: a query cancellation keyed by the session's backend secret, no authentication".to_owned(),
                );
            }
            Startup::Startup { params, .. } => {
                let rest = c.get(len..).unwrap_or(&[]);
                let mut a = session(params, rest, s);
                if !refused.is_empty() {
                    a.evidence.reason =
                        format!("{} refused; {}", refused.join(" and "), a.evidence.reason);
                }
                return a;
            }
        }
    }
    verdict(
        AppProto::Postgresql,
        AuthClass::Unknown,
        "PostgreSQL negotiation loop".to_owned(),
    )
}

/// The session after the startup message: authentication requests from the server, answers from
/// the client.
fn session(params: &[u8], client: &[u8], server: &[u8]) -> Analysis {
    let user = param(params, b"user").and_then(user_name);
    let database = param(params, b"database").and_then(user_name);
    let on = database
        .map(|d| format!(" to database {d}"))
        .unwrap_or_default();
    let mut requests: Vec<(u32, &[u8])> = Vec::new();
    let mut ok = false;
    let mut error = false;
    for (kind, payload) in messages(server).take(64) {
        match kind {
            b'R' => {
                let mut r = Reader::new(payload);
                let Some(code) = r.be_u32() else { continue };
                if code == 0 {
                    ok = true;
                    break;
                }
                requests.push((code, r.rest()));
            }
            b'E' => {
                error = true;
                break;
            }
            _ => {}
        }
    }
    let answers: Vec<&[u8]> = messages(client)
        .filter(|(k, _)| *k == b'p')
        .map(|(_, p)| p)
        .take(16)
        .collect();
    let outcome = if ok {
        "accepted"
    } else if error {
        "refused"
    } else {
        "outcome not seen"
    };
    let login = match requests.first().map(|(code, _)| *code) {
        None if ok => {
            let mut a = verdict(
                AppProto::Postgresql,
                AuthClass::CleartextUnauthenticated,
                format!(
                    "PostgreSQL login{}{on} accepted without any authentication request (trust)",
                    for_user(&user)
                ),
            );
            a.evidence.user = user;
            return a;
        }
        None => {
            let mut a = verdict(
                AppProto::Postgresql,
                AuthClass::Unknown,
                format!(
                    "PostgreSQL startup{}{on}; no authentication request retained",
                    for_user(&user)
                ),
            );
            a.evidence.user = user;
            return a;
        }
        Some(3) => match answers.first() {
            Some(p) => {
                let len = p.strip_suffix(&[0]).unwrap_or(p).len();
                Login::credentials(
                    "postgresql_password",
                    user.clone(),
                    "password",
                    len,
                    format!(
                        "PostgreSQL cleartext password{}{on} ({len} bytes, login {outcome})",
                        for_user(&user)
                    ),
                )
            }
            None => no_answer(&user, "cleartext password"),
        },
        Some(5) => match answers.first() {
            Some(p) => Login::credentials(
                "postgresql_md5",
                user.clone(),
                "md5_response",
                p.strip_suffix(&[0]).unwrap_or(p).len(),
                format!(
                    "PostgreSQL MD5 password response{}{on}: attackable offline, login {outcome}",
                    for_user(&user)
                ),
            ),
            None => no_answer(&user, "MD5 password"),
        },
        Some(10) => {
            // SASLInitialResponse: mechanism\0, int32 length, data.
            let first = answers.first().copied().unwrap_or(&[]);
            let mut parts = first.splitn(2, |&b| b == 0);
            let mech = parts.next().unwrap_or(&[]);
            let data = parts.next().and_then(|d| d.get(4..)).unwrap_or(&[]);
            let mut l = sasl::judge("PostgreSQL", mech, &[data.to_vec()], &[]);
            if l.auth == CHALLENGE_RESPONSE_CLASS || l.user.is_none() {
                l.user = user.clone().or(l.user);
            }
            l.reason = format!("{}{on}, login {outcome}", l.reason);
            l
        }
        Some(7 | 9) => {
            let mut gss = GssAuth::new();
            let server_tokens: Vec<&[u8]> = requests
                .iter()
                .filter(|(c, _)| *c == 8)
                .map(|(_, d)| *d)
                .collect();
            for i in 0..answers.len().max(server_tokens.len()) {
                if let Some(t) = answers.get(i) {
                    gss.client_token(t);
                }
                if let Some(t) = server_tokens.get(i) {
                    gss.server_token(t);
                }
            }
            gss_login(&gss, "PostgreSQL GSSAPI/SSPI").unwrap_or_else(|| {
                Login::other(
                    AuthClass::Unknown,
                    "postgresql_gss",
                    user.clone(),
                    "PostgreSQL GSSAPI/SSPI authentication; tokens not recognised".to_owned(),
                )
            })
        }
        Some(code) => Login::other(
            AuthClass::Unknown,
            "postgresql_other",
            user.clone(),
            format!("PostgreSQL authentication request {code} not analysed"),
        ),
    };
    let mut a = login.into_analysis(AppProto::Postgresql);
    if a.evidence.user.is_none() {
        a.evidence.user = user;
    }
    a
}

fn no_answer(user: &Option<String>, what: &str) -> Login {
    Login::other(
        AuthClass::CleartextUnauthenticated,
        "postgresql_password",
        user.clone(),
        format!(
            "PostgreSQL asked for a {what}{} but none was sent",
            for_user(user)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_messages() {
        assert_eq!(
            parse_startup(&[0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]),
            Some((Startup::Ssl, 8))
        );
        let mut m = vec![0, 0, 0, 0, 0, 3, 0, 0];
        m.extend_from_slice(b"user\0bob\0database\0db\0\0");
        let n = m.len() as u8;
        m[3] = n;
        match parse_startup(&m) {
            Some((Startup::Startup { params, .. }, len)) => {
                assert_eq!(len, m.len());
                assert_eq!(param(params, b"user"), Some(&b"bob"[..]));
                assert_eq!(param(params, b"database"), Some(&b"db"[..]));
                assert_eq!(param(params, b"x"), None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_startup(&[0, 0, 0, 8, 0, 3, 0, 0]), None);
        assert_eq!(messages(b"R\0\0\0\x08\0\0\0\x03p\0\0\0\x02").count(), 1);
    }
}
