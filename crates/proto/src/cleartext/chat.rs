//! Chat: XMPP (RFC 6120 streams, `<starttls/>`, SASL, legacy `jabber:iq:auth`, server dialback)
//! and IRC (RFC 1459/2812 `PASS`/`NICK`/`USER`, IRCv3 `STARTTLS` and SASL `AUTHENTICATE`,
//! NickServ `IDENTIFY`).
//!
//! XMPP server dialback (XEP-0220) verifies a peer server by calling it back through DNS: no
//! credential crosses the wire and nothing is cryptographically verified, so a dialback-only
//! stream is `cleartext_unauthenticated` (with the mechanism recorded).

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{self, for_user};
use super::text::{b64, lines_at, split_word, trim};
use super::{Login, credentials_then_upgrade, tls_from, tls_upgrade, user_name, verdict};
use crate::bytes::starts_with_ignore_case;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// XMPP probe.
pub struct Xmpp;
/// The XMPP probe instance.
pub static XMPP: Xmpp = Xmpp;
/// IRC probe.
pub struct Irc;
/// The IRC probe instance.
pub static IRC: Irc = Irc;

const XMPP_STREAMS_NS: &[u8] = b"http://etherx.jabber.org/streams";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    find(hay.get(from..)?, needle).map(|i| i + from)
}

impl Probe for Xmpp {
    fn name(&self) -> &'static str {
        "xmpp"
    }
    fn app(&self) -> AppProto {
        AppProto::Xmpp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let is_stream = |b: &[u8]| {
            (b.starts_with(b"<?xml") || b.starts_with(b"<stream:stream"))
                && find(b, b"<stream:stream").is_some()
                && find(b, XMPP_STREAMS_NS).is_some()
        };
        if is_stream(ctx.client_head()) || is_stream(ctx.server_head()) {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_xmpp(ctx)
    }
}

/// The text content of every `<tag …>content</tag>` element (an empty `<tag …/>` gives an empty
/// content), with the element's attributes.
fn elements<'a>(b: &'a [u8], tag: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
    let mut pos = 0usize;
    let open: Vec<u8> = [b"<".as_slice(), tag].concat();
    let close: Vec<u8> = [b"</".as_slice(), tag, b">"].concat();
    std::iter::from_fn(move || {
        loop {
            let at = find_from(b, pos, &open)?;
            let after = at + open.len();
            // The tag name must end here (`<auth ` or `<auth>`, not `<authx`).
            if !matches!(
                b.get(after),
                Some(b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n')
            ) {
                pos = after;
                continue;
            }
            let gt = find_from(b, after, b">")?;
            let attrs = b.get(after..gt)?;
            if attrs.ends_with(b"/") {
                pos = gt + 1;
                return Some((attrs, &b""[..]));
            }
            let end = find_from(b, gt + 1, &close)?;
            pos = end + close.len();
            return Some((attrs, b.get(gt + 1..end)?));
        }
    })
}

/// The value of `name='v'` or `name="v"` in an attribute list.
fn attr<'a>(attrs: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let key: Vec<u8> = [name, b"="].concat();
    let at = find(attrs, &key)?;
    let rest = attrs.get(at + key.len()..)?;
    let q = *rest.first()?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let end = rest.get(1..)?.iter().position(|&c| c == q)?;
    rest.get(1..1 + end)
}

fn analyze_xmpp(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let server = ctx.server.bytes;
    let s2s = find(client, b"jabber:server").is_some();
    let mut login: Option<Login> = None;
    if let Some((attrs, content)) = elements(client, b"auth").next() {
        let mech = attr(attrs, b"mechanism").unwrap_or(b"");
        let mut msgs: Vec<Vec<u8>> = Vec::new();
        if !content.is_empty() {
            msgs.push(if content == b"=" {
                Vec::new()
            } else {
                b64(content).unwrap_or_default()
            });
        }
        msgs.extend(
            elements(client, b"response")
                .filter_map(|(_, c)| b64(c))
                .take(16),
        );
        let challenges: Vec<Vec<u8>> = elements(server, b"challenge")
            .filter_map(|(_, c)| b64(c))
            .take(16)
            .collect();
        login = Some(sasl::judge("XMPP", mech, &msgs, &challenges));
    } else if find(client, b"jabber:iq:auth").is_some() {
        let user = elements(client, b"username")
            .next()
            .and_then(|(_, u)| user_name(u));
        if let Some((_, p)) = elements(client, b"password").next() {
            login = Some(Login::credentials(
                "xmpp_iq_auth",
                user.clone(),
                "password",
                p.len(),
                format!(
                    "XMPP legacy jabber:iq:auth{} with the password in clear",
                    for_user(&user)
                ),
            ));
        } else if let Some((_, d)) = elements(client, b"digest").next() {
            login = Some(Login::credentials(
                "xmpp_iq_auth_digest",
                user.clone(),
                "digest_response",
                d.len(),
                format!(
                    "XMPP legacy jabber:iq:auth digest{}: a SHA-1 of the password attackable offline crossed in clear",
                    for_user(&user)
                ),
            ));
        }
    }
    if let Some(st) = find(client, b"<starttls") {
        let after = find_from(client, st, b">").map(|i| i + 1).unwrap_or(st);
        if let Some(c_tls) = tls_from(client, after) {
            if let Some(l) = login.filter(|l| l.auth == AuthClass::CleartextCredentials) {
                return credentials_then_upgrade(l, AppProto::Xmpp, "STARTTLS");
            }
            let s_from = find(server, b"<proceed").unwrap_or(0);
            let s_tls = tls_from(server, s_from).unwrap_or(&[]);
            return tls_upgrade(ctx, AppProto::Xmpp, "STARTTLS", c_tls, s_tls);
        }
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Xmpp),
        None if find(client, b"<db:result").is_some() => {
            let mut a = verdict(
                AppProto::Xmpp,
                AuthClass::CleartextUnauthenticated,
                "XMPP server-to-server dialback without TLS: the peer is verified by a DNS call-back, no credential or cryptographic proof".to_owned(),
            );
            a.evidence.mechanism = Some("xmpp_dialback".to_owned());
            a
        }
        None => verdict(
            AppProto::Xmpp,
            AuthClass::CleartextUnauthenticated,
            format!(
                "XMPP {} stream without SASL or STARTTLS",
                if s2s { "server-to-server" } else { "client" }
            ),
        ),
    }
}

const IRC_FIRST: &[&[u8]] = &[
    b"NICK ",
    b"USER ",
    b"PASS ",
    b"CAP LS",
    b"CAP REQ",
    b"STARTTLS",
];

impl Probe for Irc {
    fn name(&self) -> &'static str {
        "irc"
    }
    fn app(&self) -> AppProto {
        AppProto::Irc
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        let client_irc = IRC_FIRST.iter().any(|p| c.starts_with(p));
        let server_irc = s.starts_with(b":")
            || s.starts_with(b"NOTICE ")
            || s.starts_with(b"PING ")
            || s.starts_with(b"ERROR ");
        let has_nick = lines_at(c).take(8).any(|l| l.text.starts_with(b"NICK "));
        match (client_irc, server_irc) {
            (true, true) if has_nick || c.starts_with(b"CAP ") || c.starts_with(b"STARTTLS") => {
                Verdict::Certain
            }
            (true, true) | (true, false) if has_nick => Verdict::Unsure,
            (false, true) if c.is_empty() => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_irc(ctx)
    }
}

fn analyze_irc(ctx: &Ctx<'_>) -> Analysis {
    let client = ctx.client.bytes;
    let mut nick: Option<String> = None;
    let mut pass_len: Option<usize> = None;
    let mut login: Option<Login> = None;
    let mut sasl_mech: Option<Vec<u8>> = None;
    let mut sasl_msgs: Vec<Vec<u8>> = Vec::new();
    let mut chunk: Vec<u8> = Vec::new();
    for line in lines_at(client) {
        let (cmd, arg) = split_word(line.text);
        match cmd {
            b"NICK" => {
                nick = nick.or_else(|| user_name(trim(arg).strip_prefix(b":").unwrap_or(trim(arg))))
            }
            b"PASS" => pass_len = Some(trim(arg).strip_prefix(b":").unwrap_or(trim(arg)).len()),
            b"AUTHENTICATE" => {
                let a = trim(arg);
                match &sasl_mech {
                    None => sasl_mech = Some(a.to_vec()),
                    Some(_) if a == b"+" => sasl_msgs.push(std::mem::take(&mut chunk)),
                    Some(_) => {
                        // 400-byte chunks; a shorter one ends the message.
                        chunk.extend_from_slice(a);
                        if a.len() < 400 {
                            sasl_msgs.push(b64(&std::mem::take(&mut chunk)).unwrap_or_default());
                        }
                    }
                }
            }
            b"PRIVMSG" if login.is_none() => {
                let (target, text) = split_word(arg);
                let text = text.strip_prefix(b":").unwrap_or(text);
                if target.eq_ignore_ascii_case(b"NickServ")
                    && starts_with_ignore_case(text, b"IDENTIFY ")
                {
                    let args: Vec<&[u8]> = text
                        .split(|&b| b == b' ')
                        .skip(1)
                        .filter(|a| !a.is_empty())
                        .collect();
                    let (account, pass) = match args.as_slice() {
                        [a, p, ..] => (user_name(a), p.len()),
                        [p] => (nick.clone(), p.len()),
                        [] => (nick.clone(), 0),
                    };
                    login = Some(Login::credentials(
                        "irc_nickserv_identify",
                        account.clone(),
                        "password",
                        pass,
                        format!(
                            "IRC NickServ IDENTIFY{} with the password in clear",
                            for_user(&account)
                        ),
                    ));
                }
            }
            b"STARTTLS" => {
                if let Some(c_tls) = tls_from(client, line.end) {
                    if let Some(len) = pass_len {
                        return credentials_then_upgrade(
                            pass_login(&nick, len),
                            AppProto::Irc,
                            "STARTTLS",
                        );
                    }
                    let s_tls = tls_from(ctx.server.bytes, 0).unwrap_or(&[]);
                    return tls_upgrade(ctx, AppProto::Irc, "STARTTLS", c_tls, s_tls);
                }
            }
            _ => {}
        }
    }
    if let Some(mech) = sasl_mech {
        let l = sasl::judge("IRC", &mech, &sasl_msgs, &[]);
        if l.auth != AuthClass::CleartextUnauthenticated || login.is_none() {
            return l.into_analysis(AppProto::Irc);
        }
    }
    if let Some(len) = pass_len {
        return pass_login(&nick, len).into_analysis(AppProto::Irc);
    }
    match login {
        Some(l) => l.into_analysis(AppProto::Irc),
        None => {
            let mut a = verdict(
                AppProto::Irc,
                AuthClass::CleartextUnauthenticated,
                format!(
                    "IRC session{} without PASS, SASL or STARTTLS",
                    nick.as_deref()
                        .map(|n| format!(" of nick {n}"))
                        .unwrap_or_default()
                ),
            );
            a.evidence.user = nick;
            a
        }
    }
}

fn pass_login(nick: &Option<String>, len: usize) -> Login {
    Login::credentials(
        "irc_pass",
        nick.clone(),
        "password",
        len,
        format!(
            "IRC PASS{} with the server password in clear ({len} bytes)",
            for_user(nick)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_elements_and_attributes() {
        let b = b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABy</auth><authx/>";
        let v: Vec<_> = elements(b, b"auth").collect();
        assert_eq!(v.len(), 1);
        assert_eq!(attr(v[0].0, b"mechanism"), Some(&b"PLAIN"[..]));
        assert_eq!(v[0].1, b"AGp1bGlldABy");
        let v: Vec<_> = elements(b"<response/><response>x</response>", b"response").collect();
        assert_eq!(v.len(), 2);
        assert_eq!(
            elements(b"<auth mechanism='x'>unterminated", b"auth").count(),
            0
        );
    }
}
