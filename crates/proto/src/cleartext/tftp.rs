//! TFTP (RFC 1350): no authentication at all, so every TFTP flow is `cleartext_unauthenticated`.
//!
//! The request (`RRQ`/`WRQ` with file name and mode) goes to port 69; the transfer itself runs
//! between two new ports, so it is a separate flow whose first datagrams are `DATA` block 1 one
//! way and `ACK` block 1 (or `ACK` block 0 then `DATA` block 1 for a write) the other way.

use segscope_core::{AppProto, AuthClass, Transport};

use super::verdict;
use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// TFTP probe.
pub struct Tftp;
/// The TFTP probe instance.
pub static TFTP: Tftp = Tftp;

const RRQ: u16 = 1;
const WRQ: u16 = 2;
const DATA: u16 = 3;
const ACK: u16 = 4;

/// A read or write request: (opcode, file name, mode).
pub fn parse_request(d: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let mut r = Reader::new(d);
    let op = r.be_u16()?;
    if op != RRQ && op != WRQ {
        return None;
    }
    let rest = r.rest();
    let mut parts = rest.splitn(3, |&b| b == 0);
    let file = parts.next()?;
    let mode = parts.next()?;
    parts.next()?;
    let mode_ok = [b"netascii".as_slice(), b"octet", b"mail"]
        .iter()
        .any(|m| mode.eq_ignore_ascii_case(m));
    (mode_ok && !file.is_empty()).then_some((op, file, mode))
}

/// Opcode and block number of a `DATA`/`ACK` datagram.
fn data_or_ack(d: &[u8]) -> Option<(u16, u16)> {
    let mut r = Reader::new(d);
    let op = r.be_u16()?;
    let block = r.be_u16()?;
    (op == DATA || op == ACK).then_some((op, block))
}

impl Probe for Tftp {
    fn name(&self) -> &'static str {
        "tftp"
    }
    fn app(&self) -> AppProto {
        AppProto::Tftp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let c = ctx.client.messages().next();
        if c.and_then(parse_request).is_some() {
            return Verdict::Certain;
        }
        let s = ctx.server.messages().next();
        match (c.and_then(data_or_ack), s.and_then(data_or_ack)) {
            (Some((DATA, 1)), Some((ACK, 1))) | (Some((ACK, 0)), Some((DATA, 1))) => {
                Verdict::Certain
            }
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let reason = match ctx.client.messages().next().and_then(parse_request) {
            Some((op, file, mode)) => format!(
                "TFTP {} of {:?} ({}): TFTP has no authentication",
                if op == RRQ { "read" } else { "write" },
                printable(file, 128),
                printable(mode, 16)
            ),
            None => "TFTP transfer: TFTP has no authentication".to_owned(),
        };
        verdict(AppProto::Tftp, AuthClass::CleartextUnauthenticated, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(
            parse_request(b"\x00\x01pxelinux.0\x00octet\x00"),
            Some((1, &b"pxelinux.0"[..], &b"octet"[..]))
        );
        assert_eq!(parse_request(b"\x00\x01f\x00weird\x00"), None);
        assert_eq!(parse_request(b"\x00\x03\x00\x01"), None);
        assert_eq!(data_or_ack(b"\x00\x04\x00\x01"), Some((4, 1)));
    }
}
