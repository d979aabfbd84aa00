//! The cleartext family: application protocols that start in clear — HTTP/1.x and HTTP/2 with
//! prior knowledge (with WinRM and Elasticsearch on top), FTP, mail (SMTP, POP3, IMAP), chat
//! (XMPP, IRC), remote shells (telnet, rlogin, rsh, rexec), TFTP, databases and caches
//! (PostgreSQL, MySQL, MSSQL, MongoDB, Redis, Memcached), MQTT, VNC, raw printing and SNMP.
//!
//! Each protocol's analysis answers one question: did credentials cross the wire in clear
//! (`cleartext_credentials`, with the user name and only the kind and length of the secret), did
//! the session authenticate some other way (NTLM/Kerberos through [`crate::enterprise::gss`],
//! challenge-response, see [`CHALLENGE_RESPONSE_CLASS`]), did it switch to TLS in-band (then the
//! TLS handshake decides, see [`crate::tls::analyze_handshake`]), or did nothing authenticate
//! (`cleartext_unauthenticated`)?
//!
//! Decisions an assessor may question, in one place:
//! - Challenge-response exchanges whose response can be attacked offline from the capture
//!   (PostgreSQL MD5, MySQL native password scramble, VNC DES challenge, HTTP Digest, SASL
//!   CRAM-MD5/DIGEST-MD5, POP3 APOP, MongoDB-CR) count as `cleartext_credentials`: the issue lists
//!   the PostgreSQL MD5 response and VNC among cleartext credentials, and the others have the same
//!   property (an unsalted or weakly salted hash of the password, with the user name, in clear).
//! - SCRAM (PostgreSQL, MongoDB, SASL) and SNMPv3 authNoPriv authenticate with a salted,
//!   iterated proof that reveals no reusable secret: see [`CHALLENGE_RESPONSE_CLASS`].
//! - Anonymous FTP (`USER anonymous` + `PASS`) is `cleartext_credentials`: a password string
//!   crossed the wire (often a real e-mail address or a reused password), and the server may not
//!   treat the account as a guest.

pub mod chat;
pub mod ftp;
pub mod http;
pub mod mail;
pub mod memcached;
pub mod mongodb;
pub mod mqtt;
pub mod mssql;
pub mod mysql;
pub mod postgres;
pub mod printing;
pub mod redis;
pub mod rsh;
pub(crate) mod sasl;
pub mod snmp;
pub mod telnet;
pub(crate) mod text;
pub mod tftp;
pub mod vnc;

use segscope_core::auth::{SecretSeen, Upgrade};
use segscope_core::{AppProto, AuthClass, AuthEvidence};

use crate::bytes::printable;
use crate::enterprise::gss::{GssAuth, GssOutcome};
use crate::probe::{Analysis, Ctx, Probe};

/// The cleartext family's probes. Specific signatures first; the generic text protocols whose
/// first bytes overlap (a `220` banner is FTP or SMTP) come last and are `Unsure` when the bytes
/// do not decide.
pub(crate) static PROBES: &[&dyn Probe] = &[
    &http::HTTP2,
    &http::HTTP,
    &postgres::POSTGRES,
    &mysql::MYSQL,
    &mssql::MSSQL,
    &mongodb::MONGODB,
    &redis::REDIS,
    &memcached::MEMCACHED,
    &mqtt::MQTT,
    &vnc::VNC,
    &snmp::SNMP,
    &telnet::TELNET,
    &printing::RAW_PRINTING,
    &chat::XMPP,
    &chat::IRC,
    &mail::SMTP,
    &mail::POP3,
    &mail::IMAP,
    &ftp::FTP,
    &tftp::TFTP,
    &rsh::RLOGIN,
    &rsh::RSH,
    &ftp::FTP_DATA,
];

/// The verdict for authentication that proves knowledge of a secret without revealing it or a
/// hash attackable offline, on a session that is not encrypted: SCRAM-SHA-1/SCRAM-SHA-256
/// (PostgreSQL, MongoDB, SASL) and SNMPv3 authNoPriv (HMAC-authenticated messages).
///
/// The class set has no value for this. `ntlm` is the closest honest one: like NTLM these are
/// challenge-response (keyed-MAC) authentications on an unencrypted session —
/// [`AuthClass::is_authenticated`] is true and [`AuthClass::is_encrypted`] false, exactly the
/// properties metrics need — and the evidence's `mechanism` (`scram-sha-256`, `snmpv3_usm_auth`)
/// and `reason` say what was really seen. If `crates/core` gains a `challenge_response` class,
/// this constant is the one place to change.
pub const CHALLENGE_RESPONSE_CLASS: AuthClass = AuthClass::Ntlm;

/// What a login showed, before it becomes evidence.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Login {
    /// Verdict.
    pub(crate) auth: AuthClass,
    /// Mechanism recorded in evidence.
    pub(crate) mechanism: Option<String>,
    /// User name.
    pub(crate) user: Option<String>,
    /// Secret seen in clear.
    pub(crate) secret: Option<SecretSeen>,
    /// One sentence.
    pub(crate) reason: String,
    /// NTLM/Kerberos details when the login went through GSS-API.
    pub(crate) gss: Option<GssOutcome>,
}

impl Login {
    /// Credentials crossed the wire in clear.
    pub(crate) fn credentials(
        mechanism: &str,
        user: Option<String>,
        secret_kind: &str,
        secret_len: usize,
        reason: String,
    ) -> Login {
        Login {
            auth: AuthClass::CleartextCredentials,
            mechanism: Some(mechanism.to_owned()),
            user,
            secret: Some(secret(secret_kind, secret_len)),
            reason,
            gss: None,
        }
    }

    /// A login with a verdict other than cleartext credentials.
    pub(crate) fn other(
        auth: AuthClass,
        mechanism: &str,
        user: Option<String>,
        reason: String,
    ) -> Login {
        Login {
            auth,
            mechanism: Some(mechanism.to_owned()),
            user,
            secret: None,
            reason,
            gss: None,
        }
    }

    /// The evidence for `app`.
    pub(crate) fn into_analysis(self, app: AppProto) -> Analysis {
        let mut evidence = AuthEvidence {
            reason: self.reason,
            mechanism: self.mechanism,
            user: self.user,
            secret: self.secret,
            ..AuthEvidence::default()
        };
        if let Some(g) = self.gss {
            evidence.ntlm = g.ntlm.map(Box::new);
            evidence.kerberos = g.kerberos.map(Box::new);
            evidence.weak = g.weak;
            if evidence.user.is_none() {
                evidence.user = g.user;
            }
        }
        Analysis {
            app,
            auth: self.auth,
            evidence,
            names: Vec::new(),
            parse_error: false,
        }
    }
}

/// "Seen, N bytes long" — never the value.
pub(crate) fn secret(kind: &str, len: usize) -> SecretSeen {
    SecretSeen {
        kind: kind.to_owned(),
        length: u32::try_from(len).unwrap_or(u32::MAX),
    }
}

/// A user name fit for evidence (printable, capped), or `None` when empty.
pub(crate) fn user_name(bytes: &[u8]) -> Option<String> {
    let s = printable(bytes, 256);
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A plain verdict with a reason.
pub(crate) fn verdict(app: AppProto, auth: AuthClass, reason: String) -> Analysis {
    Analysis {
        app,
        auth,
        evidence: AuthEvidence {
            reason,
            ..AuthEvidence::default()
        },
        names: Vec::new(),
        parse_error: false,
    }
}

/// The outcome of GSS-API tokens carried by a cleartext protocol, as a login.
pub(crate) fn gss_login(gss: &GssAuth, carrier: &str) -> Option<Login> {
    let g = gss.outcome()?;
    let reason = format!(
        "{carrier} carried {} authentication ({})",
        g.auth, g.mechanism
    );
    Some(Login {
        auth: g.auth,
        mechanism: Some(g.mechanism.clone()),
        user: g.user.clone(),
        secret: None,
        reason,
        gss: Some(g),
    })
}

/// A flow that switched to TLS in-band: the TLS handshake decides the verdict, the evidence
/// records how the switch happened. `client_tls`/`server_tls` start at the first TLS record
/// (or are empty when that side's handshake was not retained).
pub(crate) fn tls_upgrade(
    ctx: &Ctx<'_>,
    app: AppProto,
    how: &str,
    client_tls: &[u8],
    server_tls: &[u8],
) -> Analysis {
    let out = crate::tls::analyze_handshake(client_tls, server_tls, ctx);
    let evidence = AuthEvidence {
        reason: format!("{app} switched to TLS with {how}; {}", out.reason),
        upgrade: Some(Upgrade {
            from: app,
            how: how.to_owned(),
        }),
        weak: out.weak,
        indicators: out.indicators,
        tls: Some(Box::new(out.facts)),
        ..AuthEvidence::default()
    };
    Analysis {
        app,
        auth: out.auth,
        evidence,
        names: out.names,
        parse_error: out.parse_error,
    }
}

/// Credentials sent in clear before an in-band switch to TLS: still cleartext credentials, with
/// the upgrade recorded.
pub(crate) fn credentials_then_upgrade(l: Login, app: AppProto, how: &str) -> Analysis {
    let mut a = l.into_analysis(app);
    a.evidence
        .reason
        .push_str(&format!(", before the switch to TLS with {how}"));
    a.evidence.upgrade = Some(Upgrade {
        from: app,
        how: how.to_owned(),
    });
    a
}

/// The bytes from the first TLS record at or after `from`, if any.
pub(crate) fn tls_from(bytes: &[u8], from: usize) -> Option<&[u8]> {
    let tail = bytes.get(from..)?;
    let start = crate::tls::find_record_start(tail)?;
    tail.get(start..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_keep_only_kind_and_length() {
        let s = secret("password", 12);
        assert_eq!(s.kind, "password");
        assert_eq!(s.length, 12);
        assert_eq!(user_name(b"  \x01 "), None);
        assert_eq!(user_name(b"alice\x00").as_deref(), Some("alice"));
    }

    #[test]
    fn tls_is_found_after_the_upgrade_point() {
        // A real ClientHello (written by rustls in the generator) after a STARTTLS line.
        let convo = segscope_gen::convo::tls::conversations().remove(0);
        let (hello, _) = convo.side(true);
        let mut b = b"STARTTLS\r\n".to_vec();
        b.extend_from_slice(&hello);
        assert_eq!(tls_from(&b, 10).map(<[u8]>::len), Some(hello.len()));
        assert_eq!(tls_from(&b, b.len() + 1), None);
        assert_eq!(tls_from(b"no tls here", 0), None);
    }
}
