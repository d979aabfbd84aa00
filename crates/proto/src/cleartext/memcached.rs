//! Memcached: the text protocol (TCP, and UDP behind its 8-byte frame header) and the binary
//! protocol with its SASL opcodes.
//!
//! Binary SASL authentication (`SASL Auth`/`SASL Step`) → judged as SASL (PLAIN →
//! `cleartext_credentials`); everything else → `cleartext_unauthenticated`. The ASCII
//! authentication of memcached ≥ 1.5.15 (a `set` whose data is `user password`) cannot be told
//! from an ordinary `set` by the bytes alone and is reported as unauthenticated.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl;
use super::verdict;
use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// Memcached probe.
pub struct Memcached;
/// The Memcached probe instance.
pub static MEMCACHED: Memcached = Memcached;

const TEXT_COMMANDS: &[&[u8]] = &[
    b"get",
    b"gets",
    b"gat",
    b"gats",
    b"set",
    b"add",
    b"replace",
    b"append",
    b"prepend",
    b"cas",
    b"incr",
    b"decr",
    b"delete",
    b"touch",
    b"stats",
    b"version",
    b"flush_all",
    b"verbosity",
    b"mg",
    b"ms",
    b"md",
    b"ma",
    b"mn",
    b"me",
    b"lru_crawler",
    b"watch",
];
const TEXT_REPLIES: &[&[u8]] = &[
    b"VALUE ",
    b"END\r\n",
    b"STORED",
    b"NOT_STORED",
    b"EXISTS",
    b"NOT_FOUND",
    b"DELETED",
    b"TOUCHED",
    b"ERROR",
    b"CLIENT_ERROR",
    b"SERVER_ERROR",
    b"STAT ",
    b"VERSION ",
    b"OK\r\n",
    b"HD",
    b"VA ",
    b"EN\r\n",
    b"NF",
    b"NS",
    b"MN\r\n",
];
const MAGIC_REQUEST: u8 = 0x80;
const OP_SASL_AUTH: u8 = 0x21;
const OP_SASL_STEP: u8 = 0x22;

/// A binary-protocol packet: (opcode, key, value) with extras skipped, and its length.
pub fn binary_packet(b: &[u8]) -> Option<(u8, &[u8], &[u8], usize)> {
    let mut r = Reader::new(b);
    let magic = r.u8()?;
    if magic != MAGIC_REQUEST && magic != 0x81 {
        return None;
    }
    let op = r.u8()?;
    let key_len = usize::from(r.be_u16()?);
    let extras_len = usize::from(r.u8()?);
    let data_type = r.u8()?;
    r.skip(2)?;
    let body_len = r.be_u32()? as usize;
    r.skip(12)?;
    if data_type != 0 || key_len.checked_add(extras_len)? > body_len || body_len > (1 << 20) {
        return None;
    }
    let body = r.take(body_len)?;
    let key = body.get(extras_len..extras_len + key_len)?;
    let value = body.get(extras_len + key_len..)?;
    Some((op, key, value, 24 + body_len))
}

/// The text payload of a datagram (UDP frame header removed) or stream.
fn text_payload<'a>(ctx: &Ctx<'a>, client: bool) -> &'a [u8] {
    let d = if client { ctx.client } else { ctx.server };
    if ctx.meta.transport == Transport::UDP {
        d.messages().next().and_then(|m| m.get(8..)).unwrap_or(&[])
    } else if client {
        ctx.client_head()
    } else {
        ctx.server_head()
    }
}

fn is_text_command(c: &[u8]) -> bool {
    let first = c.split(|&b| b == b' ' || b == b'\r').next().unwrap_or(&[]);
    TEXT_COMMANDS.contains(&first) && c.windows(2).any(|w| w == b"\r\n")
}

impl Probe for Memcached {
    fn name(&self) -> &'static str {
        "memcached"
    }
    fn app(&self) -> AppProto {
        AppProto::Memcached
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let t = ctx.meta.transport;
        if t != Transport::TCP && t != Transport::UDP {
            return Verdict::NotForUs;
        }
        if t == Transport::TCP && binary_packet(ctx.client_head()).is_some_and(|(op, ..)| op < 0x50)
        {
            return Verdict::Certain;
        }
        let c = text_payload(ctx, true);
        let s = text_payload(ctx, false);
        if !is_text_command(c) {
            return Verdict::NotForUs;
        }
        if TEXT_REPLIES.iter().any(|r| s.starts_with(r)) {
            Verdict::Certain
        } else if s.is_empty() {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut pos = 0usize;
        let mut mech: Option<&[u8]> = None;
        let mut msgs = Vec::new();
        let mut packets = 0usize;
        while let Some((op, key, value, used)) = ctx.client.bytes.get(pos..).and_then(binary_packet)
        {
            pos += used;
            packets += 1;
            if op == OP_SASL_AUTH {
                mech = mech.or(Some(key));
                msgs.push(value.to_vec());
            } else if op == OP_SASL_STEP {
                msgs.push(value.to_vec());
            }
            if packets >= 1024 {
                break;
            }
        }
        if let Some(m) = mech {
            return sasl::judge("Memcached binary SASL", m, &msgs, &[])
                .into_analysis(AppProto::Memcached);
        }
        let what = if packets > 0 {
            format!("{packets} binary-protocol requests")
        } else {
            let first = text_payload(ctx, true)
                .split(|&b| b == b' ' || b == b'\r')
                .next()
                .unwrap_or(&[]);
            format!("text protocol (first command: {})", printable(first, 32))
        };
        verdict(
            AppProto::Memcached,
            AuthClass::CleartextUnauthenticated,
            format!("Memcached {what} without SASL authentication"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_packets() {
        let mut p = vec![0x80, 0x21, 0, 5, 0, 0, 0, 0, 0, 0, 0, 16];
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(b"PLAIN\0bob\0secret");
        let (op, key, value, used) = binary_packet(&p).expect("parsed");
        assert_eq!(
            (op, key, value, used),
            (0x21, &b"PLAIN"[..], &b"\0bob\0secret"[..], p.len())
        );
        p[11] = 3;
        assert!(binary_packet(&p).is_none());
        assert!(is_text_command(b"get foo\r\n"));
        assert!(!is_text_command(b"GET / HTTP/1.1\r\n"));
    }
}
