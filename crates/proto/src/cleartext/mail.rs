//! Mail access and submission: SMTP (RFC 5321, AUTH RFC 4954, STARTTLS RFC 3207), POP3
//! (RFC 1939, STLS RFC 2595, AUTH RFC 5034) and IMAP (RFC 9051, STARTTLS, AUTHENTICATE with
//! SASL-IR).
//!
//! Plain logins (`USER`/`PASS`, IMAP `LOGIN`, SASL PLAIN/LOGIN) → `cleartext_credentials`;
//! APOP and SASL CRAM-MD5/DIGEST-MD5 → `cleartext_credentials` (offline-attackable digests, see
//! the family documentation); SASL GSSAPI/NTLM → NTLM/Kerberos; STARTTLS/STLS followed by a TLS
//! handshake → the TLS verdict with the upgrade recorded; nothing → `cleartext_unauthenticated`
//! (mail relay between servers typically does not authenticate).

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{self, for_user};
use super::text::{b64, lines_at, reply_code, split_word, trim};
use super::{Login, credentials_then_upgrade, tls_from, tls_upgrade, user_name, verdict};
use crate::bytes::starts_with_ignore_case;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// SMTP probe.
pub struct Smtp;
/// The SMTP probe instance.
pub static SMTP: Smtp = Smtp;
/// POP3 probe.
pub struct Pop3;
/// The POP3 probe instance.
pub static POP3: Pop3 = Pop3;
/// IMAP probe.
pub struct Imap;
/// The IMAP probe instance.
pub static IMAP: Imap = Imap;

const SMTP_VERBS: &[&[u8]] = &[
    b"EHLO",
    b"HELO",
    b"LHLO",
    b"MAIL",
    b"RCPT",
    b"DATA",
    b"RSET",
    b"NOOP",
    b"QUIT",
    b"VRFY",
    b"EXPN",
    b"HELP",
    b"AUTH",
    b"STARTTLS",
    b"BDAT",
    b"ETRN",
];
const POP3_VERBS: &[&[u8]] = &[
    b"USER", b"PASS", b"APOP", b"AUTH", b"STLS", b"CAPA", b"STAT", b"LIST", b"RETR", b"DELE",
    b"NOOP", b"RSET", b"QUIT", b"TOP", b"UIDL",
];

fn is_verb(line: &[u8], verbs: &[&[u8]]) -> bool {
    let (w, _) = split_word(line);
    verbs.iter().any(|v| w.eq_ignore_ascii_case(v))
}

impl Probe for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }
    fn app(&self) -> AppProto {
        AppProto::Smtp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        let hello = [b"EHLO ".as_slice(), b"HELO ", b"LHLO "]
            .iter()
            .any(|p| starts_with_ignore_case(c, p));
        let banner = reply_code(s) == Some(220);
        let first_line = s.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let says_smtp = first_line
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"SMTP"));
        if hello && (banner || s.is_empty()) {
            Verdict::Certain
        } else if banner && (says_smtp || c.is_empty()) {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_smtp(ctx)
    }
}

impl Probe for Pop3 {
    fn name(&self) -> &'static str {
        "pop3"
    }
    fn app(&self) -> AppProto {
        AppProto::Pop3
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        if !s.starts_with(b"+OK") {
            return Verdict::NotForUs;
        }
        let first = lines_at(c).next().map_or(&[][..], |l| l.text);
        if c.is_empty() || is_verb(first, POP3_VERBS) {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_pop3(ctx)
    }
}

impl Probe for Imap {
    fn name(&self) -> &'static str {
        "imap"
    }
    fn app(&self) -> AppProto {
        AppProto::Imap
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let s = ctx.server_head();
        if [b"* OK".as_slice(), b"* PREAUTH", b"* BYE"]
            .iter()
            .any(|p| starts_with_ignore_case(s, p))
        {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_imap(ctx)
    }
}

/// Base64 payloads of the server's SASL continuation lines (`334 ` for SMTP, `+ ` for POP3 and
/// IMAP).
fn continuations(server: &[u8], prefix: &[u8]) -> Vec<Vec<u8>> {
    lines_at(server)
        .filter_map(|l| l.text.strip_prefix(prefix))
        .filter_map(b64)
        .take(16)
        .collect()
}

/// The client's SASL responses that follow an AUTH command: base64 lines up to the next line that
/// is a protocol command (`is_command`) or a cancel (`*`).
fn sasl_responses<'a>(
    lines: &mut std::iter::Peekable<impl Iterator<Item = super::text::Line<'a>>>,
    is_command: impl Fn(&[u8]) -> bool,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(l) = lines.peek() {
        if is_command(l.text) || l.text == b"*" || out.len() >= 16 {
            break;
        }
        match b64(l.text) {
            Some(d) => out.push(d),
            None => break,
        }
        lines.next();
    }
    out
}

/// The initial response of `AUTH mech [ir]` (`=` is an empty one).
fn initial_response(arg: &[u8]) -> Option<Vec<u8>> {
    let ir = trim(arg);
    if ir.is_empty() {
        None
    } else if ir == b"=" {
        Some(Vec::new())
    } else {
        b64(ir)
    }
}

fn analyze_smtp(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let mut login: Option<Login> = None;
    let mut helo: Option<String> = None;
    let mut in_data = false;
    let mut lines = lines_at(client).peekable();
    while let Some(line) = lines.next() {
        if in_data {
            in_data = line.text != b".";
            continue;
        }
        let (verb, arg) = split_word(line.text);
        if verb.eq_ignore_ascii_case(b"EHLO") || verb.eq_ignore_ascii_case(b"HELO") {
            helo = helo.or_else(|| user_name(arg));
        } else if verb.eq_ignore_ascii_case(b"DATA") {
            in_data = true;
        } else if verb.eq_ignore_ascii_case(b"AUTH") && login.is_none() {
            let (mech, ir) = split_word(arg);
            let mut msgs: Vec<Vec<u8>> = initial_response(ir).into_iter().collect();
            msgs.extend(sasl_responses(&mut lines, |l| is_verb(l, SMTP_VERBS)));
            let server = continuations(ctx.server.bytes, b"334 ");
            login = Some(sasl::judge("SMTP AUTH", mech, &msgs, &server));
        } else if verb.eq_ignore_ascii_case(b"STARTTLS")
            && let Some(c_tls) = tls_from(client, line.end)
        {
            if let Some(l) = login.filter(|l| l.auth == AuthClass::CleartextCredentials) {
                return credentials_then_upgrade(l, AppProto::Smtp, "STARTTLS");
            }
            let s_tls = tls_from(ctx.server.bytes, 0).unwrap_or(&[]);
            return tls_upgrade(ctx, AppProto::Smtp, "STARTTLS", c_tls, s_tls);
        }
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Smtp),
        None => {
            let from = helo.map(|h| format!(" from {h}")).unwrap_or_default();
            verdict(
                AppProto::Smtp,
                AuthClass::CleartextUnauthenticated,
                format!("SMTP session{from} without AUTH or STARTTLS"),
            )
        }
    }
}

fn analyze_pop3(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let mut user: Option<String> = None;
    let mut login: Option<Login> = None;
    let mut lines = lines_at(client).peekable();
    while let Some(line) = lines.next() {
        let (verb, arg) = split_word(line.text);
        if verb.eq_ignore_ascii_case(b"USER") {
            user = user_name(trim(arg));
        } else if verb.eq_ignore_ascii_case(b"PASS") && login.is_none() {
            login = Some(Login::credentials(
                "pop3_user_pass",
                user.clone(),
                "password",
                arg.len(),
                format!(
                    "POP3 USER/PASS{} with the password in clear ({} bytes)",
                    for_user(&user),
                    arg.len()
                ),
            ));
        } else if verb.eq_ignore_ascii_case(b"APOP") && login.is_none() {
            let (u, digest) = split_word(arg);
            let u = user_name(u);
            login = Some(Login::credentials(
                "pop3_apop",
                u.clone(),
                "apop_digest",
                trim(digest).len(),
                format!(
                    "POP3 APOP{}: an MD5 digest of the password attackable offline crossed in clear",
                    for_user(&u)
                ),
            ));
        } else if verb.eq_ignore_ascii_case(b"AUTH") && login.is_none() && !trim(arg).is_empty() {
            let (mech, ir) = split_word(arg);
            let mut msgs: Vec<Vec<u8>> = initial_response(ir).into_iter().collect();
            msgs.extend(sasl_responses(&mut lines, |l| is_verb(l, POP3_VERBS)));
            let server = continuations(ctx.server.bytes, b"+ ");
            login = Some(sasl::judge("POP3 AUTH", mech, &msgs, &server));
        } else if verb.eq_ignore_ascii_case(b"STLS")
            && let Some(c_tls) = tls_from(client, line.end)
        {
            if let Some(l) = login.filter(|l| l.auth == AuthClass::CleartextCredentials) {
                return credentials_then_upgrade(l, AppProto::Pop3, "STLS");
            }
            let s_tls = tls_from(ctx.server.bytes, 0).unwrap_or(&[]);
            return tls_upgrade(ctx, AppProto::Pop3, "STLS", c_tls, s_tls);
        }
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Pop3),
        None => {
            let mut a = verdict(
                AppProto::Pop3,
                AuthClass::CleartextUnauthenticated,
                format!("POP3 session{} without a password or STLS", for_user(&user)),
            );
            a.evidence.user = user;
            a
        }
    }
}

/// An IMAP `astring` at the start of `b`: a quoted string, a literal (`{n}` or `{n+}` CRLF and n
/// bytes) or an atom. Returns the value and the rest.
fn imap_astring(b: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let b = super::text::trim_start(b);
    match b.first()? {
        b'"' => {
            let mut out = Vec::new();
            let mut i = 1usize;
            loop {
                match *b.get(i)? {
                    b'\\' => {
                        out.push(*b.get(i + 1)?);
                        i += 2;
                    }
                    b'"' => return Some((out, b.get(i + 1..).unwrap_or(&[]))),
                    c => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
        }
        b'{' => {
            let close = b.iter().position(|&c| c == b'}')?;
            let digits = b.get(1..close)?;
            let digits = digits.strip_suffix(b"+").unwrap_or(digits);
            let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
            let rest = b.get(close + 1..)?;
            let rest = rest
                .strip_prefix(b"\r\n")
                .or_else(|| rest.strip_prefix(b"\n"))?;
            Some((rest.get(..n)?.to_vec(), rest.get(n..).unwrap_or(&[])))
        }
        _ => {
            let end = b
                .iter()
                .position(|&c| matches!(c, b' ' | b'\r' | b'\n'))
                .unwrap_or(b.len());
            Some((b.get(..end)?.to_vec(), b.get(end..).unwrap_or(&[])))
        }
    }
}

fn analyze_imap(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let preauth = starts_with_ignore_case(ctx.server.bytes, b"* PREAUTH");
    let mut login: Option<Login> = None;
    let mut lines = lines_at(client).peekable();
    let mut pos = 0usize;
    let is_command = |l: &[u8]| {
        let (_tag, rest) = split_word(l);
        let (cmd, _) = split_word(rest);
        !cmd.is_empty() && cmd.iter().all(u8::is_ascii_alphabetic)
    };
    while let Some(line) = lines.next() {
        let start = pos;
        pos = line.end;
        let (_tag, rest) = split_word(line.text);
        let (cmd, arg) = split_word(rest);
        if cmd.eq_ignore_ascii_case(b"LOGIN") && login.is_none() {
            let arg_off = start + (line.text.len() - arg.len());
            let args = client.get(arg_off..).unwrap_or(&[]);
            let Some((u, after_user)) = imap_astring(args) else {
                continue;
            };
            let user = user_name(&u);
            let pass_len = imap_astring(after_user).map(|(p, _)| p.len()).unwrap_or(0);
            login = Some(Login::credentials(
                "imap_login",
                user.clone(),
                "password",
                pass_len,
                format!(
                    "IMAP LOGIN{} with the password in clear ({pass_len} bytes)",
                    for_user(&user)
                ),
            ));
        } else if cmd.eq_ignore_ascii_case(b"AUTHENTICATE") && login.is_none() {
            let (mech, ir) = split_word(arg);
            let mut msgs: Vec<Vec<u8>> = initial_response(ir).into_iter().collect();
            msgs.extend(sasl_responses(&mut lines, is_command));
            let server = continuations(ctx.server.bytes, b"+ ");
            login = Some(sasl::judge("IMAP AUTHENTICATE", mech, &msgs, &server));
        } else if cmd.eq_ignore_ascii_case(b"STARTTLS")
            && let Some(c_tls) = tls_from(client, line.end)
        {
            if let Some(l) = login.filter(|l| l.auth == AuthClass::CleartextCredentials) {
                return credentials_then_upgrade(l, AppProto::Imap, "STARTTLS");
            }
            let s_tls = tls_from(ctx.server.bytes, 0).unwrap_or(&[]);
            return tls_upgrade(ctx, AppProto::Imap, "STARTTLS", c_tls, s_tls);
        }
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Imap),
        None if preauth => verdict(
            AppProto::Imap,
            AuthClass::CleartextUnauthenticated,
            "IMAP PREAUTH: the server accepted the connection as already authenticated (by address or an outer tunnel), nothing verified on the wire".to_owned(),
        ),
        None => verdict(
            AppProto::Imap,
            AuthClass::CleartextUnauthenticated,
            "IMAP session without LOGIN, AUTHENTICATE or STARTTLS".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_astrings() {
        assert_eq!(
            imap_astring(b"bob pw\r\n").map(|(v, r)| (v, r.len())),
            Some((b"bob".to_vec(), 5))
        );
        assert_eq!(
            imap_astring(b"\"a \\\"b\" x").map(|(v, _)| v),
            Some(b"a \"b".to_vec())
        );
        assert_eq!(
            imap_astring(b"{3}\r\nabc rest"),
            Some((b"abc".to_vec(), &b" rest"[..]))
        );
        assert_eq!(imap_astring(b"{9}\r\nabc"), None);
        assert_eq!(imap_astring(b"\"open"), None);
    }
}
