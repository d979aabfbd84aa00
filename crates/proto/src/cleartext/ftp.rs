//! FTP control connections (RFC 959, RFC 4217 `AUTH TLS`) and FTP data connections.
//!
//! `USER`/`PASS` in clear → `cleartext_credentials` (anonymous logins included, see the family
//! documentation). `AUTH TLS`/`AUTH SSL` followed by a TLS handshake → the TLS verdict, with the
//! upgrade recorded. A session without `PASS` → `cleartext_unauthenticated`.
//!
//! Data connections carry file bytes with no protocol of their own. They are recognised only in
//! active mode, where the server connects *from* port 20 (RFC 959 §3.2): a flow whose client
//! port is 20 (or server port 20) that no other probe claims is `ftp_data`, unauthenticated (the
//! data connection itself carries no authentication). Passive-mode data connections go to
//! dynamic ports announced in the control connection (`227`/`229` replies); recognising them
//! needs cross-flow state the classifier does not have (see the report).

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::text::{lines_at, reply_code, split_word, trim};
use super::{Login, credentials_then_upgrade, tls_from, tls_upgrade, user_name, verdict};
use crate::bytes::starts_with_ignore_case;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// FTP control-connection probe.
pub struct Ftp;
/// The FTP probe instance.
pub static FTP: Ftp = Ftp;

/// FTP data-connection probe (active mode, port 20).
pub struct FtpData;
/// The FTP data probe instance.
pub static FTP_DATA: FtpData = FtpData;

/// Client commands that only FTP sends first.
const FTP_FIRST_COMMANDS: &[&[u8]] = &[
    b"USER ", b"AUTH ", b"FEAT", b"SYST", b"OPTS ", b"PASS ", b"CLNT ", b"HOST ",
];

/// FTP data connections' well-known port (active mode).
const FTP_DATA_PORT: u16 = 20;

impl Probe for Ftp {
    fn name(&self) -> &'static str {
        "ftp"
    }
    fn app(&self) -> AppProto {
        AppProto::Ftp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        let client_ftp = FTP_FIRST_COMMANDS
            .iter()
            .any(|p| starts_with_ignore_case(c, p));
        let banner = reply_code(s) == Some(220);
        if banner && client_ftp {
            return Verdict::Certain;
        }
        let first_line = s.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let says_ftp = first_line
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"FTP"));
        if (banner && (says_ftp || c.is_empty())) || (client_ftp && s.is_empty()) {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

impl Probe for FtpData {
    fn name(&self) -> &'static str {
        "ftp_data"
    }
    fn app(&self) -> AppProto {
        AppProto::FtpData
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let m = ctx.meta;
        if m.transport == Transport::TCP
            && (m.client.port == FTP_DATA_PORT || m.server.port == FTP_DATA_PORT)
        {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let bytes = ctx.client.bytes.len() + ctx.server.bytes.len();
        verdict(
            AppProto::FtpData,
            AuthClass::CleartextUnauthenticated,
            format!(
                "FTP active-mode data connection (port {FTP_DATA_PORT}), {bytes} bytes retained in clear; data connections carry no authentication"
            ),
        )
    }
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let mut user: Option<String> = None;
    let mut login: Option<Login> = None;
    let mut commands = 0usize;
    for line in lines_at(client) {
        let (cmd, arg) = split_word(line.text);
        commands += 1;
        if cmd.eq_ignore_ascii_case(b"USER") {
            user = user_name(trim(arg));
        } else if cmd.eq_ignore_ascii_case(b"PASS") && login.is_none() {
            let anonymous = user.as_deref().is_some_and(|u| {
                u.eq_ignore_ascii_case("anonymous") || u.eq_ignore_ascii_case("ftp")
            });
            let note = if anonymous {
                " (anonymous login: the password string still crossed in clear)"
            } else {
                ""
            };
            login = Some(Login::credentials(
                "ftp_user_pass",
                user.clone(),
                "password",
                arg.len(),
                format!(
                    "FTP USER/PASS{} with the password in clear ({} bytes){note}",
                    for_user(&user),
                    arg.len()
                ),
            ));
        } else if cmd.eq_ignore_ascii_case(b"AUTH") {
            let mech = trim(arg);
            let tls = ["TLS", "SSL", "TLS-C", "TLS-P"]
                .iter()
                .any(|m| mech.eq_ignore_ascii_case(m.as_bytes()));
            if tls && let Some(c_tls) = tls_from(client, line.end) {
                if let Some(l) = login {
                    return credentials_then_upgrade(l, AppProto::Ftp, "AUTH TLS");
                }
                let s_tls = tls_from(ctx.server.bytes, 0).unwrap_or(&[]);
                return tls_upgrade(ctx, AppProto::Ftp, "AUTH TLS", c_tls, s_tls);
            }
        }
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Ftp),
        None => {
            let reason = match &user {
                Some(u) => format!("FTP session: USER {u} sent but no PASS seen"),
                None => format!("FTP session without a login ({commands} client lines)"),
            };
            let mut a = verdict(AppProto::Ftp, AuthClass::CleartextUnauthenticated, reason);
            a.evidence.user = user;
            a
        }
    }
}
