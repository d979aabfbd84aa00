//! VNC / RFB (RFC 6143): version handshake and security-type negotiation.
//!
//! - None (1) → `cleartext_unauthenticated`.
//! - VNC Authentication (2): the 16-byte DES response to the server's challenge →
//!   `cleartext_credentials` (`vnc_challenge_response`, attackable offline); a challenge the
//!   client never answered → `cleartext_unauthenticated` (nothing crossed, the login was
//!   abandoned).
//! - VeNCrypt (19): Plain (256) → `cleartext_credentials` (`password`, with the user);
//!   TLS/X509 subtypes → the TLS handshake decides (`how: "VeNCrypt"`). Anonymous TLS (18) →
//!   the TLS handshake (`how: "RFB TLS"`).
//! - Apple Remote Desktop (30): user and password encrypted under an unauthenticated
//!   Diffie-Hellman key — nothing in clear for a passive observer →
//!   [`super::CHALLENGE_RESPONSE_CLASS`].
//! - Other types → `unknown`, with the type named.
//!
//! Version 3.3 (and anything below 3.7) has the server impose a 32-bit type; 3.7+ lists the types
//! and lets the client choose one byte. The effective version is the lower of the two.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::{CHALLENGE_RESPONSE_CLASS, Login, tls_from, tls_upgrade, user_name, verdict};
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// VNC probe.
pub struct Vnc;
/// The VNC probe instance.
pub static VNC: Vnc = Vnc;

const NONE: u32 = 1;
const VNC_AUTH: u32 = 2;
const TLS: u32 = 18;
const VENCRYPT: u32 = 19;
const APPLE_ARD: u32 = 30;
const VENCRYPT_PLAIN: u32 = 256;

/// Parses `RFB xxx.yyy\n` into (major, minor).
pub fn parse_version(b: &[u8]) -> Option<(u16, u16)> {
    let v = b.get(..12)?;
    if !v.starts_with(b"RFB ") || v.get(7) != Some(&b'.') || v.get(11) != Some(&b'\n') {
        return None;
    }
    let num = |s: &[u8]| -> Option<u16> { std::str::from_utf8(s).ok()?.parse().ok() };
    Some((num(v.get(4..7)?)?, num(v.get(8..11)?)?))
}

fn type_name(t: u32) -> String {
    match t {
        0 => "Invalid".into(),
        1 => "None".into(),
        2 => "VNC Authentication".into(),
        5 | 6 => "RA2".into(),
        16 => "Tight".into(),
        17 => "Ultra".into(),
        18 => "TLS".into(),
        19 => "VeNCrypt".into(),
        30 => "Apple Remote Desktop".into(),
        n => format!("type {n}"),
    }
}

impl Probe for Vnc {
    fn name(&self) -> &'static str {
        "vnc"
    }
    fn app(&self) -> AppProto {
        AppProto::Vnc
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport == Transport::TCP && parse_version(ctx.server_head()).is_some() {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let server_v = parse_version(ctx.server.bytes).unwrap_or((3, 3));
    let Some(client_v) = parse_version(ctx.client.bytes) else {
        return verdict(
            AppProto::Vnc,
            AuthClass::Unknown,
            format!(
                "RFB server {}.{} answered by no client version",
                server_v.0, server_v.1
            ),
        );
    };
    let v = server_v.min(client_v);
    let mut s = Reader::new(ctx.server.bytes.get(12..).unwrap_or(&[]));
    let mut c = Reader::new(ctx.client.bytes.get(12..).unwrap_or(&[]));
    let chosen = if v < (3, 7) {
        s.be_u32()
    } else {
        let n = s.u8().unwrap_or(0);
        s.skip(usize::from(n)).and_then(|()| c.u8()).map(u32::from)
    };
    let version = format!("RFB {}.{}", v.0, v.1);
    let Some(t) = chosen else {
        return verdict(
            AppProto::Vnc,
            AuthClass::Unknown,
            format!("{version}: security type not seen"),
        );
    };
    let reason = |what: &str| format!("{version}, security type {}: {what}", type_name(t));
    match t {
        NONE => verdict(AppProto::Vnc, AuthClass::CleartextUnauthenticated, reason("no authentication")),
        VNC_AUTH => {
            let has_challenge = s.take(16).is_some();
            match c.take(16) {
                Some(resp) if has_challenge || ctx.server.bytes.is_empty() => {
                    let result = match s.be_u32() {
                        Some(0) => "accepted",
                        Some(_) => "refused",
                        None => "result not seen",
                    };
                    Login::credentials(
                        "vnc_auth",
                        None,
                        "vnc_challenge_response",
                        resp.len(),
                        reason(&format!("DES challenge-response attackable offline crossed in clear ({result})")),
                    )
                    .into_analysis(AppProto::Vnc)
                }
                _ => verdict(
                    AppProto::Vnc,
                    AuthClass::CleartextUnauthenticated,
                    reason("the server sent its challenge but the client never answered (login abandoned)"),
                ),
            }
        }
        TLS => {
            let c_tls = tls_from(ctx.client.bytes, 12 + c.position()).unwrap_or(&[]);
            let s_tls = tls_from(ctx.server.bytes, 12 + s.position()).unwrap_or(&[]);
            tls_upgrade(ctx, AppProto::Vnc, "RFB TLS", c_tls, s_tls)
        }
        VENCRYPT => vencrypt(ctx, &mut s, &mut c, &version),
        APPLE_ARD => Login::other(
            CHALLENGE_RESPONSE_CLASS,
            "apple_ard_dh",
            None,
            reason(&format!(
                "user and password encrypted under an anonymous Diffie-Hellman key, nothing in clear (reported as {CHALLENGE_RESPONSE_CLASS})"
            )),
        )
        .into_analysis(AppProto::Vnc),
        _ => verdict(AppProto::Vnc, AuthClass::Unknown, reason("not analysed")),
    }
}

/// VeNCrypt: version exchange, subtype list, the client's choice, then Plain credentials or TLS.
fn vencrypt(ctx: &Ctx<'_>, s: &mut Reader<'_>, c: &mut Reader<'_>, version: &str) -> Analysis {
    let Some(sub) = vencrypt_subtype(s, c) else {
        return verdict(
            AppProto::Vnc,
            AuthClass::Unknown,
            format!("{version}, VeNCrypt: subtype not seen"),
        );
    };
    if sub == VENCRYPT_PLAIN {
        return match plain_credentials(c) {
            Some((user, plen)) => Login::credentials(
                "vencrypt_plain",
                user.clone(),
                "password",
                plen,
                format!(
                    "{version}, VeNCrypt Plain{} with the password in clear ({plen} bytes)",
                    for_user(&user)
                ),
            )
            .into_analysis(AppProto::Vnc),
            None => verdict(
                AppProto::Vnc,
                AuthClass::CleartextUnauthenticated,
                format!("{version}, VeNCrypt Plain chosen but no credentials were sent"),
            ),
        };
    }
    if (257..=262).contains(&sub) {
        let c_tls = tls_from(ctx.client.bytes, 12 + c.position()).unwrap_or(&[]);
        let s_tls = tls_from(ctx.server.bytes, 12 + s.position()).unwrap_or(&[]);
        return tls_upgrade(ctx, AppProto::Vnc, "VeNCrypt", c_tls, s_tls);
    }
    verdict(
        AppProto::Vnc,
        AuthClass::Unknown,
        format!("{version}, VeNCrypt subtype {sub} not analysed"),
    )
}

/// VeNCrypt version exchange and subtype list; the client's chosen subtype.
fn vencrypt_subtype(s: &mut Reader<'_>, c: &mut Reader<'_>) -> Option<u32> {
    s.skip(2)?; // server version 0.2
    c.skip(2)?; // client version
    s.skip(1)?; // ack
    let n = s.u8()?;
    s.skip(usize::from(n) * 4)?;
    c.be_u32()
}

/// VeNCrypt Plain: user length, password length, user, password.
fn plain_credentials(c: &mut Reader<'_>) -> Option<(Option<String>, usize)> {
    let ulen = c.be_u32()? as usize;
    let plen = c.be_u32()? as usize;
    let user = c.take(ulen)?;
    c.take(plen)?;
    Some((user_name(user), plen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version(b"RFB 003.008\n"), Some((3, 8)));
        assert_eq!(parse_version(b"RFB 003.889\n"), Some((3, 889)));
        assert_eq!(parse_version(b"RFB 003.008"), None);
        assert_eq!(parse_version(b"RFB 0x3.008\n"), None);
    }
}
