//! SASL (RFC 4422) mechanisms as they appear inside SMTP, POP3, IMAP, XMPP, IRC, Memcached and
//! MongoDB: one judge for every carrier, fed with the decoded client and server messages.

use segscope_core::AuthClass;

use super::{CHALLENGE_RESPONSE_CLASS, Login, gss_login, user_name};
use crate::enterprise::gss::GssAuth;

/// Judges a SASL exchange. `client` holds the client's messages in order (the initial response
/// first, when there is one), `server` the server's challenges; both already base64-decoded.
pub(crate) fn judge(
    carrier: &str,
    mechanism: &[u8],
    client: &[Vec<u8>],
    server: &[Vec<u8>],
) -> Login {
    let mech = String::from_utf8_lossy(mechanism)
        .trim()
        .to_ascii_uppercase();
    let first = client.first().map(Vec::as_slice).unwrap_or(&[]);
    let label = format!("sasl_{}", mech.to_ascii_lowercase());
    match mech.as_str() {
        "PLAIN" => {
            // authzid NUL authcid NUL passwd
            let mut parts = first.splitn(3, |&b| b == 0);
            let authzid = parts.next().unwrap_or(&[]);
            let authcid = parts.next();
            let passwd = parts.next();
            match (authcid, passwd) {
                (Some(authcid), Some(passwd)) => {
                    let user = user_name(authcid).or_else(|| user_name(authzid));
                    Login::credentials(
                        &label,
                        user.clone(),
                        "password",
                        passwd.len(),
                        format!(
                            "{carrier} SASL PLAIN login{} with the password in clear ({} bytes)",
                            for_user(&user),
                            passwd.len()
                        ),
                    )
                }
                _ => not_seen(carrier, &mech, &label, None),
            }
        }
        "LOGIN" => {
            let user = client.first().and_then(|u| user_name(u));
            match client.get(1) {
                Some(p) => Login::credentials(
                    &label,
                    user.clone(),
                    "password",
                    p.len(),
                    format!(
                        "{carrier} SASL LOGIN{} with the password in clear ({} bytes)",
                        for_user(&user),
                        p.len()
                    ),
                ),
                None => not_seen(carrier, &mech, &label, user),
            }
        }
        "CRAM-MD5" => match first.iter().rposition(|&b| b == b' ') {
            Some(i) => {
                let (u, digest) = first.split_at(i);
                let user = user_name(u);
                Login::credentials(
                    &label,
                    user.clone(),
                    "cram_md5_response",
                    digest.len().saturating_sub(1),
                    format!(
                        "{carrier} SASL CRAM-MD5{}: an HMAC-MD5 response attackable offline crossed in clear",
                        for_user(&user)
                    ),
                )
            }
            None => not_seen(carrier, &mech, &label, None),
        },
        "DIGEST-MD5" => match client.iter().find(|m| contains(m, b"response=")) {
            Some(m) => {
                let user = quoted_param(m, b"username=").and_then(user_name);
                Login::credentials(
                    &label,
                    user.clone(),
                    "digest_response",
                    m.len(),
                    format!(
                        "{carrier} SASL DIGEST-MD5{}: an MD5 digest response attackable offline crossed in clear",
                        for_user(&user)
                    ),
                )
            }
            None => not_seen(carrier, &mech, &label, None),
        },
        m if m.starts_with("SCRAM-") => {
            let user = scram_user(first);
            Login::other(
                CHALLENGE_RESPONSE_CLASS,
                &m.to_ascii_lowercase(),
                user.clone(),
                format!(
                    "{carrier} {m} challenge-response{}: no password or offline-attackable hash in clear (reported as {CHALLENGE_RESPONSE_CLASS}, the class for challenge-response on an unencrypted session)",
                    for_user(&user)
                ),
            )
        }
        "GSSAPI" | "GSS-SPNEGO" | "NTLM" => {
            let mut gss = GssAuth::new();
            let n = client.len().max(server.len());
            for i in 0..n {
                if let Some(c) = client.get(i) {
                    gss.client_token(c);
                }
                if let Some(s) = server.get(i) {
                    gss.server_token(s);
                }
            }
            gss_login(&gss, &format!("{carrier} SASL {mech}")).unwrap_or_else(|| {
                Login::other(
                    AuthClass::Unknown,
                    &label,
                    None,
                    format!("{carrier} SASL {mech}: GSS-API tokens not recognised"),
                )
            })
        }
        "XOAUTH2" | "OAUTHBEARER" => {
            let token = bearer_token(first);
            let user = oauth_user(first);
            match token {
                Some(len) => Login::credentials(
                    &label,
                    user.clone(),
                    "bearer_token",
                    len,
                    format!(
                        "{carrier} SASL {mech}{}: an OAuth bearer token crossed in clear",
                        for_user(&user)
                    ),
                ),
                None => not_seen(carrier, &mech, &label, user),
            }
        }
        "ANONYMOUS" => Login::other(
            AuthClass::CleartextUnauthenticated,
            &label,
            None,
            format!("{carrier} SASL ANONYMOUS login: no authentication"),
        ),
        "EXTERNAL" => Login::other(
            AuthClass::CleartextUnauthenticated,
            &label,
            user_name(first),
            format!(
                "{carrier} SASL EXTERNAL outside TLS: identity asserted by the transport, nothing verified on the wire"
            ),
        ),
        _ => Login::other(
            AuthClass::Unknown,
            &label,
            None,
            format!("{carrier} SASL mechanism {mech} not analysed"),
        ),
    }
}

/// The mechanism was named but its credentials were not seen (capture cut, cancelled).
fn not_seen(carrier: &str, mech: &str, label: &str, user: Option<String>) -> Login {
    let reason = format!(
        "{carrier} SASL {mech} started{} but no credentials were seen",
        for_user(&user)
    );
    Login::other(AuthClass::CleartextUnauthenticated, label, user, reason)
}

/// " for user X" or "".
pub(crate) fn for_user(user: &Option<String>) -> String {
    match user {
        Some(u) => format!(" for user {u}"),
        None => String::new(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The value of `key="value"` (or `key=value`) in a comma-separated parameter list.
pub(crate) fn quoted_param<'a>(s: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = s
        .windows(key.len())
        .position(|w| w.eq_ignore_ascii_case(key))?;
    let rest = s.get(at.checked_add(key.len())?..)?;
    if let Some(q) = rest.strip_prefix(b"\"") {
        let end = q.iter().position(|&b| b == b'"')?;
        q.get(..end)
    } else {
        let end = rest
            .iter()
            .position(|&b| b == b',' || b == b' ')
            .unwrap_or(rest.len());
        rest.get(..end)
    }
}

/// The `n=` attribute of a SCRAM client-first message (`n,,n=user,r=nonce`).
fn scram_user(first: &[u8]) -> Option<String> {
    first
        .split(|&b| b == b',')
        .find_map(|a| a.strip_prefix(b"n="))
        .and_then(user_name)
}

/// Length of the token in `auth=Bearer <token>` (XOAUTH2, OAUTHBEARER).
fn bearer_token(msg: &[u8]) -> Option<usize> {
    msg.split(|&b| b == 0x01)
        .find_map(|kv| kv.strip_prefix(b"auth="))
        .map(|v| {
            let v = v.strip_prefix(b"Bearer ").unwrap_or(v);
            v.len()
        })
}

/// The user of XOAUTH2 (`user=`) or OAUTHBEARER (`a=` in the GS2 header).
fn oauth_user(msg: &[u8]) -> Option<String> {
    msg.split(|&b| b == 0x01 || b == b',')
        .find_map(|kv| kv.strip_prefix(b"user=").or_else(|| kv.strip_prefix(b"a=")))
        .and_then(user_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(m: &[u8]) -> Vec<Vec<u8>> {
        vec![m.to_vec()]
    }

    #[test]
    fn plain_records_user_and_length_only() {
        let l = judge("SMTP", b"plain", &one(b"\0bob\0hunter22"), &[]);
        assert_eq!(l.auth, AuthClass::CleartextCredentials);
        assert_eq!(l.user.as_deref(), Some("bob"));
        assert_eq!(l.secret.as_ref().map(|s| s.length), Some(8));
        assert!(!l.reason.contains("hunter22"));
        let l = judge("SMTP", b"PLAIN", &one(b"bob"), &[]);
        assert_eq!(l.auth, AuthClass::CleartextUnauthenticated);
    }

    #[test]
    fn login_cram_scram_oauth() {
        let l = judge("IMAP", b"LOGIN", &[b"al".to_vec(), b"pw".to_vec()], &[]);
        assert_eq!(
            (l.auth, l.user.as_deref()),
            (AuthClass::CleartextCredentials, Some("al"))
        );
        let l = judge(
            "IMAP",
            b"CRAM-MD5",
            &one(b"tim b913a602c7eda7a495b4e6e7334d3890"),
            &[],
        );
        assert_eq!(
            l.secret.map(|s| s.kind),
            Some("cram_md5_response".to_owned())
        );
        assert_eq!(l.user.as_deref(), Some("tim"));
        let l = judge(
            "XMPP",
            b"SCRAM-SHA-1",
            &one(b"n,,n=juliet,r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AA"),
            &[],
        );
        assert_eq!(
            (l.auth, l.user.as_deref()),
            (CHALLENGE_RESPONSE_CLASS, Some("juliet"))
        );
        let l = judge(
            "IMAP",
            b"XOAUTH2",
            &one(b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01"),
            &[],
        );
        assert_eq!(l.user.as_deref(), Some("someuser@example.com"));
        assert_eq!(
            l.secret.map(|s| (s.kind, s.length)),
            Some(("bearer_token".to_owned(), 12))
        );
        let l = judge("IMAP", b"FOO", &[], &[]);
        assert_eq!(l.auth, AuthClass::Unknown);
        assert_eq!(
            quoted_param(b"realm=\"x\",username=\"chris\",nonce", b"username="),
            Some(&b"chris"[..])
        );
    }
}
