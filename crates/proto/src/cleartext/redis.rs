//! Redis RESP2/RESP3: client commands (arrays of bulk strings, or inline commands) and the
//! server's replies, paired in order.
//!
//! `AUTH password`, `AUTH user password` and `HELLO … AUTH user password` →
//! `cleartext_credentials` (the user of the accepted AUTH when one was accepted, else of the
//! first); commands without AUTH → `cleartext_unauthenticated`. A capture that starts mid-stream
//! may have missed an earlier AUTH: the reason says how many commands were seen.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::{Login, user_name, verdict};
use crate::bytes::printable;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// Redis probe.
pub struct Redis;
/// The Redis probe instance.
pub static REDIS: Redis = Redis;

/// Commands recognised in inline form (telnet-style `PING\r\n`).
const INLINE_COMMANDS: &[&[u8]] = &[
    b"PING",
    b"AUTH",
    b"HELLO",
    b"SELECT",
    b"INFO",
    b"GET",
    b"SET",
    b"KEYS",
    b"SCAN",
    b"CONFIG",
    b"CLIENT",
    b"COMMAND",
    b"DBSIZE",
    b"FLUSHALL",
    b"MONITOR",
    b"SUBSCRIBE",
    b"QUIT",
    b"EXISTS",
    b"DEL",
    b"INCR",
    b"LPUSH",
    b"RPUSH",
    b"HGET",
    b"HSET",
];
const MAX_ARGS: usize = 1024;

/// Reads one line (without CR LF) and the offset after it.
fn line(b: &[u8]) -> Option<(&[u8], usize)> {
    let nl = b.windows(2).position(|w| w == b"\r\n")?;
    Some((b.get(..nl)?, nl + 2))
}

fn decimal(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// One client command (its arguments) and its encoded length.
pub fn command(b: &[u8]) -> Option<(Vec<&[u8]>, usize)> {
    if b.first() == Some(&b'*') {
        let (l, mut pos) = line(b)?;
        let n = usize::try_from(decimal(l.get(1..)?)?).ok()?;
        if n > MAX_ARGS {
            return None;
        }
        let mut args = Vec::with_capacity(n);
        for _ in 0..n {
            let rest = b.get(pos..)?;
            if rest.first() != Some(&b'$') {
                return None;
            }
            let (l, used) = line(rest)?;
            let len = usize::try_from(decimal(l.get(1..)?)?).ok()?;
            let start = pos.checked_add(used)?;
            let end = start.checked_add(len)?;
            args.push(b.get(start..end)?);
            if b.get(end..end + 2)? != b"\r\n" {
                return None;
            }
            pos = end + 2;
        }
        Some((args, pos))
    } else {
        let (l, used) = line(b)?;
        if l.is_empty() || !l.iter().all(|&c| (0x20..0x7f).contains(&c) || c == b'\t') {
            return None;
        }
        Some((
            l.split(|&c| c == b' ').filter(|a| !a.is_empty()).collect(),
            used,
        ))
    }
}

/// The length of one RESP reply and its first byte (`+`, `-`, `:`, `$`, `*`, RESP3 types).
pub fn reply(b: &[u8], depth: u8) -> Option<(u8, usize)> {
    let kind = *b.first()?;
    let (l, mut pos) = line(b)?;
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some((kind, pos)),
        b'$' | b'!' | b'=' => {
            let n = decimal(l.get(1..)?)?;
            if n < 0 {
                return Some((kind, pos));
            }
            let end = pos.checked_add(usize::try_from(n).ok()?)?.checked_add(2)?;
            (end <= b.len()).then_some((kind, end))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = decimal(l.get(1..)?)?;
            if n < 0 {
                return Some((kind, pos));
            }
            if depth > 8 || n > MAX_ARGS as i64 {
                return None;
            }
            let items = if kind == b'%' || kind == b'|' {
                n * 2
            } else {
                n
            };
            for _ in 0..items {
                let (_, used) = reply(b.get(pos..)?, depth + 1)?;
                pos = pos.checked_add(used)?;
            }
            Some((kind, pos))
        }
        _ => None,
    }
}

impl Probe for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }
    fn app(&self) -> AppProto {
        AppProto::Redis
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let s = ctx.server_head();
        if c.first() == Some(&b'*') && c.get(1).is_some_and(u8::is_ascii_digit) {
            if let Some((args, _)) = command(c)
                && args.first().is_some_and(|a| !a.is_empty())
            {
                return Verdict::Certain;
            }
            return Verdict::NotForUs;
        }
        let first_word = c.split(|&b| b == b' ' || b == b'\r').next().unwrap_or(&[]);
        if INLINE_COMMANDS
            .iter()
            .any(|k| first_word.eq_ignore_ascii_case(k))
        {
            if s.starts_with(b"+PONG") || s.starts_with(b"-NOAUTH") {
                return Verdict::Certain;
            }
            if reply(s, 0).is_some() {
                return Verdict::Unsure;
            }
        }
        Verdict::NotForUs
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

struct Auth {
    user: Option<String>,
    len: usize,
    accepted: Option<bool>,
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let mut replies = Vec::new();
    let mut pos = 0usize;
    while let Some((kind, used)) = ctx.server.bytes.get(pos..).and_then(|b| reply(b, 0)) {
        let text = ctx.server.bytes.get(pos..pos + used).unwrap_or(&[]);
        replies.push((kind, text));
        pos += used;
        if replies.len() >= 4096 {
            break;
        }
    }
    let mut auths: Vec<Auth> = Vec::new();
    let mut commands = 0usize;
    let mut first_command: Option<String> = None;
    let mut noauth = false;
    let mut pos = 0usize;
    while let Some((args, used)) = ctx.client.bytes.get(pos..).and_then(command) {
        pos += used;
        let reply = replies.get(commands).copied();
        commands += 1;
        if reply.is_some_and(|(_, t)| t.starts_with(b"-NOAUTH")) {
            noauth = true;
        }
        let name = args.first().copied().unwrap_or(&[]);
        let accepted = reply.map(|(k, _)| k != b'-');
        if name.eq_ignore_ascii_case(b"AUTH") {
            match args.as_slice() {
                [_, pass] => auths.push(Auth {
                    user: None,
                    len: pass.len(),
                    accepted,
                }),
                [_, user, pass, ..] => auths.push(Auth {
                    user: user_name(user),
                    len: pass.len(),
                    accepted,
                }),
                _ => {}
            }
        } else if name.eq_ignore_ascii_case(b"HELLO") {
            if let Some(i) = args.iter().position(|a| a.eq_ignore_ascii_case(b"AUTH"))
                && let (Some(u), Some(p)) = (args.get(i + 1), args.get(i + 2))
            {
                auths.push(Auth {
                    user: user_name(u),
                    len: p.len(),
                    accepted,
                });
            }
        } else if first_command.is_none() {
            first_command = Some(printable(name, 32).to_ascii_uppercase());
        }
        if commands >= 4096 {
            break;
        }
    }
    if !auths.is_empty() {
        let n = auths.len();
        let ok = auths.iter().filter(|a| a.accepted == Some(true)).count();
        let chosen = auths
            .iter()
            .find(|a| a.accepted == Some(true))
            .or(auths.first());
        if let Some(a) = chosen {
            let user = a.user.clone();
            return Login::credentials(
                "redis_auth",
                user.clone(),
                "password",
                a.len,
                format!(
                    "Redis AUTH{} with the password in clear ({n} AUTH commands, {ok} accepted)",
                    for_user(&user)
                ),
            )
            .into_analysis(AppProto::Redis);
        }
    }
    let first = first_command
        .map(|c| format!(" (first: {c})"))
        .unwrap_or_default();
    let refused = if noauth {
        "; the server answered NOAUTH (authentication required)"
    } else {
        ""
    };
    verdict(
        AppProto::Redis,
        AuthClass::CleartextUnauthenticated,
        format!("Redis: {commands} commands without AUTH{first}{refused}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_replies() {
        let (args, used) =
            command(b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\nX").expect("parsed");
        assert_eq!(args, [&b"AUTH"[..], b"u", b"pw"]);
        assert_eq!(used, 29);
        assert_eq!(
            command(b"PING\r\n").map(|(a, u)| (a.len(), u)),
            Some((1, 6))
        );
        assert!(command(b"*1\r\n$9\r\nAUTH\r\n").is_none());
        assert!(command(b"*99999999\r\n").is_none());
        assert_eq!(reply(b"+OK\r\n", 0), Some((b'+', 5)));
        assert_eq!(reply(b"$-1\r\n", 0), Some((b'$', 5)));
        assert_eq!(reply(b"*2\r\n$1\r\na\r\n:5\r\n", 0), Some((b'*', 15)));
        assert_eq!(reply(b"$5\r\nab", 0), None);
    }
}
