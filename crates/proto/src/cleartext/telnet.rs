//! Telnet (RFC 854): option negotiation (IAC sequences) and interactive logins.
//!
//! The login is read from the two directions without their interleaving: when the server's
//! text (IAC sequences removed) shows a password prompt, the client's typed lines are the
//! answers — the first is the user name when a login prompt came first, the next is the
//! password (only its length is kept). Character-at-a-time clients (each keystroke its own
//! segment, echoed by the server) give the same client byte stream as line-mode ones, and
//! backspaces are applied. A session without a password prompt is `cleartext_unauthenticated`.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::{Login, user_name, verdict};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// Telnet probe.
pub struct Telnet;
/// The Telnet probe instance.
pub static TELNET: Telnet = Telnet;

const IAC: u8 = 0xff;
const SB: u8 = 0xfa;
const SE: u8 = 0xf0;

/// Prompts that ask for a user name.
const LOGIN_PROMPTS: &[&[u8]] = &[b"login:", b"username:", b"user name:", b"user:"];
/// Prompts that ask for a password.
const PASSWORD_PROMPTS: &[&[u8]] = &[b"password:", b"passcode:", b"password for"];

impl Probe for Telnet {
    fn name(&self) -> &'static str {
        "telnet"
    }
    fn app(&self) -> AppProto {
        AppProto::Telnet
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let best =
            negotiation_commands(ctx.client_head()).max(negotiation_commands(ctx.server_head()));
        match best {
            0 => Verdict::NotForUs,
            1 => Verdict::Unsure,
            _ => Verdict::Certain,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

/// How many well-formed option negotiations (`IAC WILL|WONT|DO|DONT opt`, `IAC SB … IAC SE`)
/// open `head`, before any other byte.
fn negotiation_commands(head: &[u8]) -> usize {
    let mut n = 0usize;
    let mut i = 0usize;
    while head.get(i) == Some(&IAC) {
        match head.get(i + 1) {
            Some(0xfb..=0xfe) if head.get(i + 2).is_some() => i += 3,
            Some(&SB) => {
                let Some(end) = head
                    .get(i + 2..)
                    .and_then(|r| r.windows(2).position(|w| w == [IAC, SE]))
                else {
                    break;
                };
                i += 2 + end + 2;
            }
            _ => break,
        }
        n += 1;
    }
    n
}

/// The data bytes of a telnet stream: IAC commands and subnegotiations removed, `IAC IAC` kept
/// as one 0xff.
pub fn strip_iac(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        if c != IAC {
            out.push(c);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(&IAC) => {
                out.push(IAC);
                i += 2;
            }
            Some(0xfb..=0xfe) => i += 3,
            Some(&SB) => {
                match b
                    .get(i + 2..)
                    .and_then(|r| r.windows(2).position(|w| w == [IAC, SE]))
                {
                    Some(end) => i += 2 + end + 2,
                    None => break,
                }
            }
            Some(_) => i += 2,
            None => break,
        }
    }
    out
}

/// The lines a user typed: CR LF, CR NUL, CR and LF end a line; backspace and DEL erase.
pub fn typed_lines(data: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut cur = Vec::new();
    let mut prev_cr = false;
    for &c in data {
        match c {
            b'\n' if prev_cr => {}
            0 if prev_cr => {}
            b'\r' | b'\n' => lines.push(std::mem::take(&mut cur)),
            0x08 | 0x7f => {
                cur.pop();
            }
            0 => {}
            _ => cur.push(c),
        }
        prev_cr = c == b'\r';
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn contains_any(hay: &[u8], needles: &[&[u8]]) -> Option<usize> {
    needles
        .iter()
        .filter_map(|n| hay.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n)))
        .min()
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let server_text = strip_iac(ctx.server.bytes);
    let client_text = strip_iac(ctx.client.bytes);
    let lines = typed_lines(&client_text);
    let login_at = contains_any(&server_text, LOGIN_PROMPTS);
    let password_at = contains_any(&server_text, PASSWORD_PROMPTS);
    match password_at {
        Some(p) => {
            let asked_user = login_at.is_some_and(|l| l < p);
            let (user, pass) = if asked_user {
                (lines.first().and_then(|u| user_name(u)), lines.get(1))
            } else {
                (None, lines.first())
            };
            let Some(pass) = pass else {
                let mut a = verdict(
                    AppProto::Telnet,
                    AuthClass::CleartextUnauthenticated,
                    format!(
                        "telnet password prompt{} but no password typed in the retained bytes",
                        for_user(&user)
                    ),
                );
                a.evidence.user = user;
                return a;
            };
            Login::credentials(
                "telnet_login",
                user.clone(),
                "password",
                pass.len(),
                format!(
                    "telnet login{} with the password typed in clear ({} bytes)",
                    for_user(&user),
                    pass.len()
                ),
            )
            .into_analysis(AppProto::Telnet)
        }
        None => verdict(
            AppProto::Telnet,
            AuthClass::CleartextUnauthenticated,
            format!(
                "telnet session without a password prompt ({} client lines)",
                lines.len()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iac_is_removed() {
        let b = b"\xff\xfd\x03\xff\xfa\x18\x00xterm\xff\xf0login: \xff\xff!";
        assert_eq!(strip_iac(b), b"login: \xff!");
        assert_eq!(negotiation_commands(b), 2);
        assert_eq!(negotiation_commands(b"login:"), 0);
        assert_eq!(strip_iac(b"\xff\xfa\x18unterminated"), b"");
    }

    #[test]
    fn typed_lines_apply_edits() {
        assert_eq!(
            typed_lines(b"fx\x08ake\r\0pw\r\nls\n"),
            vec![b"fake".to_vec(), b"pw".to_vec(), b"ls".to_vec()]
        );
        assert_eq!(
            typed_lines(b"a\r\n\r\nb"),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
    }
}
