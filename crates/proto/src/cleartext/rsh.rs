//! The BSD r-services: rlogin (513, RFC 1282), rsh (514) and rexec (512).
//!
//! Their first client bytes are NUL-terminated strings: rlogin `\0client-user\0server-user\0
//! terminal/speed\0`; rsh `stderr-port\0client-user\0server-user\0command\0`; rexec
//! `stderr-port\0user\0password\0command\0`. rlogin and rsh authenticate by host trust
//! (`.rhosts`): the claimed user name *is* the credential, sent in clear — so they are
//! `cleartext_credentials` with the remote account as user and no secret (unless rlogin falls
//! back to a typed password). rexec sends the password itself. rsh and rexec share the format;
//! the server port (512 is rexec) tells which one a flow is.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::telnet::typed_lines;
use super::{Login, secret, user_name};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// rlogin probe.
pub struct Rlogin;
/// The rlogin probe instance.
pub static RLOGIN: Rlogin = Rlogin;
/// rsh/rexec probe.
pub struct Rsh;
/// The rsh probe instance.
pub static RSH: Rsh = Rsh;

/// The rexec port: the only thing that tells rexec from rsh.
const REXEC_PORT: u16 = 512;

/// The first `n` NUL-terminated strings of `b` and the offset after them, if each is printable.
fn nul_strings(b: &[u8], n: usize) -> Option<(Vec<&[u8]>, usize)> {
    let mut out = Vec::with_capacity(n);
    let mut pos = 0usize;
    for _ in 0..n {
        let rest = b.get(pos..)?;
        let end = rest.iter().position(|&c| c == 0)?;
        let s = rest.get(..end)?;
        if end > 1024 || !s.iter().all(|&c| (0x20..0x7f).contains(&c)) {
            return None;
        }
        out.push(s);
        pos = pos.checked_add(end)?.checked_add(1)?;
    }
    Some((out, pos))
}

impl Probe for Rlogin {
    fn name(&self) -> &'static str {
        "rlogin"
    }
    fn app(&self) -> AppProto {
        AppProto::Rlogin
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let c = ctx.client_head();
        if ctx.meta.transport != Transport::TCP || c.first() != Some(&0) {
            return Verdict::NotForUs;
        }
        match nul_strings(c.get(1..).unwrap_or(&[]), 3) {
            Some((s, _))
                if s.get(2).is_some_and(|t| t.contains(&b'/'))
                    && s.get(1).is_some_and(|u| !u.is_empty()) =>
            {
                Verdict::Certain
            }
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let c = ctx.client.bytes;
        let Some((s, used)) = nul_strings(c.get(1..).unwrap_or(&[]), 3) else {
            let mut a = super::verdict(
                AppProto::Rlogin,
                AuthClass::Unknown,
                "rlogin start not parsed".to_owned(),
            );
            a.parse_error = true;
            return a;
        };
        let client_user = s.first().and_then(|u| user_name(u));
        let user = s.get(1).and_then(|u| user_name(u));
        let server_text = super::telnet::strip_iac(ctx.server.bytes);
        let asked = server_text
            .windows(9)
            .any(|w| w.eq_ignore_ascii_case(b"password:"));
        let typed = typed_lines(c.get(used + 1..).unwrap_or(&[]));
        let mut login = Login {
            auth: AuthClass::CleartextCredentials,
            mechanism: Some("rlogin_rhosts".to_owned()),
            user: user.clone(),
            secret: None,
            reason: format!(
                "rlogin{} (client user {}): host-trust login, the claimed user name is the credential, sent in clear",
                for_user(&user),
                client_user.as_deref().unwrap_or("?")
            ),
            gss: None,
        };
        if let (true, Some(pw)) = (asked, typed.first()) {
            login.mechanism = Some("rlogin_password".to_owned());
            login.secret = Some(secret("password", pw.len()));
            login.reason = format!(
                "rlogin{}: host trust refused, password typed in clear ({} bytes)",
                for_user(&user),
                pw.len()
            );
        }
        login.into_analysis(AppProto::Rlogin)
    }
}

impl Probe for Rsh {
    fn name(&self) -> &'static str {
        "rsh"
    }
    fn app(&self) -> AppProto {
        AppProto::Rsh
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let c = ctx.client_head();
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        match nul_strings(c, 4) {
            Some((s, _))
                if s.first()
                    .is_some_and(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
                    && s.get(1).is_some_and(|u| !u.is_empty())
                    && s.get(3).is_some_and(|cmd| !cmd.is_empty()) =>
            {
                Verdict::Unsure
            }
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let Some((s, _)) = nul_strings(ctx.client.bytes, 4) else {
            let mut a = super::verdict(
                AppProto::Rsh,
                AuthClass::Unknown,
                "rsh start not parsed".to_owned(),
            );
            a.parse_error = true;
            return a;
        };
        let field = |i: usize| s.get(i).copied().unwrap_or(&[]);
        if ctx.meta.server.port == REXEC_PORT {
            let user = user_name(field(1));
            let len = field(2).len();
            return Login::credentials(
                "rexec",
                user.clone(),
                "password",
                len,
                format!(
                    "rexec{} with the password in clear ({len} bytes)",
                    for_user(&user)
                ),
            )
            .into_analysis(AppProto::Rsh);
        }
        let user = user_name(field(2));
        Login {
            auth: AuthClass::CleartextCredentials,
            mechanism: Some("rsh_rhosts".to_owned()),
            user: user.clone(),
            secret: None,
            reason: format!(
                "rsh{} (client user {}): host-trust command execution, the claimed user name is the credential, sent in clear",
                for_user(&user),
                user_name(field(1)).as_deref().unwrap_or("?")
            ),
            gss: None,
        }
        .into_analysis(AppProto::Rsh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_separated_fields() {
        let (v, used) = nul_strings(b"bob\0root\0xterm/38400\0rest", 3).expect("three");
        assert_eq!(v, [&b"bob"[..], b"root", b"xterm/38400"]);
        assert_eq!(used, 21);
        assert!(nul_strings(b"bob\0root", 3).is_none());
        assert!(nul_strings(b"b\x01ob\0", 1).is_none());
    }
}
