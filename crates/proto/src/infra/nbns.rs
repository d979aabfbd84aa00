//! NetBIOS over TCP/IP (RFC 1001/1002): the name service (UDP 137) and the datagram service's
//! browser announcements (UDP 138).
//!
//! Names are bound to addresses from: name registrations, refreshes and positive query
//! responses (the NB record's address); node-status responses (every unique name the responder
//! lists, for the responder's address); and datagram headers (the source name, for the header's
//! source address) and browser host announcements. Only workstation (`<00>`) and server
//! (`<20>`) names of unique (not group) registrations name a host; domain and group names are
//! skipped.

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::names::{NameObservation, NameSource};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Timestamp, Transport};

use super::dns::{self, Message, is_netbios_encoded};
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// NetBIOS name service probe.
pub struct Nbns;
/// The NBNS probe instance.
pub static NBNS: Nbns = Nbns;
/// NetBIOS datagram service probe.
pub struct NetbiosDgm;
/// The NetBIOS datagram probe instance.
pub static NETBIOS_DGM: NetbiosDgm = NetbiosDgm;

const NBNS_PORT: u16 = 137;
const TYPE_NB: u16 = 0x20;
const TYPE_NBSTAT: u16 = 0x21;
const SUFFIX_WORKSTATION: u8 = 0x00;
const SUFFIX_SERVER: u8 = 0x20;

/// Decodes a first-level encoded NetBIOS name (32 letters A–P) into its 15 name characters
/// (trailing spaces removed) and its suffix byte.
pub fn decode_name(encoded: &[u8]) -> Option<(String, u8)> {
    let label = encoded.split(|&b| b == b'.').next()?;
    if label.len() != 32 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, pair) in label.chunks_exact(2).enumerate() {
        let [hi, lo] = pair else { return None };
        let (hi, lo) = (hi.checked_sub(b'A')?, lo.checked_sub(b'A')?);
        if hi > 15 || lo > 15 {
            return None;
        }
        *raw.get_mut(i)? = (hi << 4) | lo;
    }
    let (name, suffix) = raw.split_at(15);
    host_label(name).map(|n| (n, *suffix.first().unwrap_or(&0)))
}

/// A 15-byte NetBIOS name as a host name (trailing spaces and NULs removed), if printable.
fn host_label(name: &[u8]) -> Option<String> {
    let end = name.iter().rposition(|&b| b != b' ' && b != 0)? + 1;
    let n = name.get(..end)?;
    (n.iter().all(|&b| b.is_ascii_graphic() || b == b' ') && !n.starts_with(b"*"))
        .then(|| String::from_utf8_lossy(n).into_owned())
}

fn hostish(suffix: u8) -> bool {
    suffix == SUFFIX_WORKSTATION || suffix == SUFFIX_SERVER
}

/// Name observations in one NBNS message; `sender` is the address that sent it.
pub fn nbns_names(msg: &Message<'_>, sender: IpAddr, ts: Timestamp) -> Vec<NameObservation> {
    let mut out = Vec::new();
    let records = msg.answers.iter().chain(msg.additionals.iter());
    for r in records {
        let Some((name, suffix)) = decode_name(&r.name) else {
            continue;
        };
        match r.rtype {
            TYPE_NB if hostish(suffix) => {
                // NB_FLAGS (G bit = group) then an IPv4 address, repeated.
                for entry in r.rdata.chunks_exact(6) {
                    let [flags_hi, _, a, b, c, d] = entry else {
                        continue;
                    };
                    let ip = Ipv4Addr::new(*a, *b, *c, *d);
                    if flags_hi & 0x80 == 0 && !ip.is_unspecified() {
                        out.push(NameObservation {
                            ip: IpAddr::V4(ip),
                            name: name.clone(),
                            source: NameSource::Netbios,
                            ts,
                        });
                    }
                }
            }
            TYPE_NBSTAT => {
                let mut rd = Reader::new(r.rdata);
                let count = rd.u8().unwrap_or(0);
                for _ in 0..count {
                    let (Some(n), Some(flags)) = (rd.take(16), rd.be_u16()) else {
                        break;
                    };
                    let (label, suffix) = n.split_at(15);
                    if flags & 0x8000 == 0
                        && suffix.first().is_some_and(|s| hostish(*s))
                        && let Some(host) = host_label(label)
                    {
                        out.push(NameObservation {
                            ip: sender,
                            name: host,
                            source: NameSource::Netbios,
                            ts,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn is_nbns(m: &[u8]) -> bool {
    // Cheap first: the first name (question or record) is a 32-byte encoded label.
    if m.get(12) != Some(&32) {
        return false;
    }
    dns::parse(m).is_some_and(|msg| {
        msg.trailing == 0
            && (msg.questions.iter().any(|(q, _)| is_netbios_encoded(q))
                || msg
                    .answers
                    .iter()
                    .chain(msg.additionals.iter())
                    .any(|r| is_netbios_encoded(&r.name)))
    })
}

impl Probe for Nbns {
    fn name(&self) -> &'static str {
        "nbns"
    }
    fn app(&self) -> AppProto {
        AppProto::Nbns
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let first = ctx
            .client
            .messages()
            .next()
            .or_else(|| ctx.server.messages().next());
        match first {
            Some(m) if is_nbns(m) => Verdict::Certain,
            Some(m)
                if (ctx.meta.server.port == NBNS_PORT || ctx.meta.client.port == NBNS_PORT)
                    && dns::parse(m).is_some() =>
            {
                Verdict::Unsure
            }
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut names = Vec::new();
        let mut messages = 0usize;
        let mut malformed = 0usize;
        let sides = [
            (&ctx.client, ctx.meta.client.ip),
            (&ctx.server, ctx.meta.server.ip),
        ];
        for (dir, sender) in sides {
            for m in dir.messages().take(256) {
                match dns::parse(m) {
                    Some(msg) => {
                        messages += 1;
                        names.extend(nbns_names(&msg, sender, ctx.meta.first_ts));
                    }
                    None => malformed += 1,
                }
            }
        }
        names.sort();
        names.dedup();
        Analysis {
            app: AppProto::Nbns,
            auth: AuthClass::CleartextUnauthenticated,
            evidence: AuthEvidence {
                reason: format!(
                    "NetBIOS name service: {messages} messages, {} names learned{}; no authentication (infrastructure)",
                    names.len(),
                    if malformed > 0 {
                        format!(", {malformed} malformed")
                    } else {
                        String::new()
                    }
                ),
                ..AuthEvidence::default()
            },
            names,
            parse_error: messages == 0,
        }
    }
}

/// A datagram-service packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Source address from the header.
    pub source: Ipv4Addr,
    /// Source name and suffix (direct and broadcast datagrams).
    pub name: Option<(String, u8)>,
    /// User data (the SMB mailslot message).
    pub data: &'a [u8],
}

/// Parses a datagram-service packet.
pub fn parse_datagram(d: &[u8]) -> Option<Datagram<'_>> {
    let mut r = Reader::new(d);
    let kind = r.u8()?;
    if !(0x10..=0x16).contains(&kind) {
        return None;
    }
    r.skip(1 + 2)?;
    let [a, b, c, e] = r.array::<4>()?;
    r.skip(2)?;
    if kind > 0x12 {
        return Some(Datagram {
            source: Ipv4Addr::new(a, b, c, e),
            name: None,
            data: &[],
        });
    }
    r.skip(4)?;
    let mut name = Vec::new();
    let after = dns::read_name(d, r.position(), &mut name)?;
    r.skip(after - r.position())?;
    let mut dest = Vec::new();
    let after = dns::read_name(d, r.position(), &mut dest)?;
    r.skip(after - r.position())?;
    Some(Datagram {
        source: Ipv4Addr::new(a, b, c, e),
        name: decode_name(&name),
        data: r.rest(),
    })
}

/// The server name of a browser host or local-master announcement inside the SMB mailslot
/// payload.
fn announcement(user_data: &[u8]) -> Option<String> {
    const MAILSLOT: &[u8] = b"\\MAILSLOT\\BROWSE\0";
    let at = user_data
        .windows(MAILSLOT.len())
        .position(|w| w == MAILSLOT)?;
    let mut r = Reader::new(user_data.get(at + MAILSLOT.len()..)?);
    let opcode = r.u8()?;
    if opcode != 0x01 && opcode != 0x0f {
        return None;
    }
    r.skip(1 + 4)?;
    let name = r.take(16)?;
    host_label(name.split(|&b| b == 0).next()?)
}

impl Probe for NetbiosDgm {
    fn name(&self) -> &'static str {
        "netbios_dgm"
    }
    fn app(&self) -> AppProto {
        AppProto::NetbiosDgm
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        match ctx.client.messages().next().and_then(parse_datagram) {
            Some(Datagram { name: Some(_), .. }) => Verdict::Certain,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut names = Vec::new();
        let mut datagrams = 0usize;
        for d in ctx.client.messages().chain(ctx.server.messages()).take(256) {
            let Some(Datagram {
                source: src,
                name,
                data,
            }) = parse_datagram(d)
            else {
                continue;
            };
            datagrams += 1;
            let ip = IpAddr::V4(src);
            if let Some((n, _)) = name.filter(|(_, s)| hostish(*s)) {
                names.push(NameObservation {
                    ip,
                    name: n,
                    source: NameSource::Netbios,
                    ts: ctx.meta.first_ts,
                });
            }
            if let Some(host) = announcement(data) {
                names.push(NameObservation {
                    ip,
                    name: host,
                    source: NameSource::Netbios,
                    ts: ctx.meta.first_ts,
                });
            }
        }
        names.sort();
        names.dedup();
        Analysis {
            app: AppProto::NetbiosDgm,
            auth: AuthClass::CleartextUnauthenticated,
            evidence: AuthEvidence {
                reason: format!(
                    "NetBIOS datagram service: {datagrams} datagrams, {} names learned; no authentication (infrastructure)",
                    names.len()
                ),
                ..AuthEvidence::default()
            },
            names,
            parse_error: datagrams == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_level_encoding() {
        // "FRED" padded with spaces, suffix 0x00.
        let enc = b"EGFCEFEECACACACACACACACACACACAAA";
        assert_eq!(decode_name(enc), Some(("FRED".to_owned(), 0)));
        assert_eq!(decode_name(b"EGFC"), None);
        assert_eq!(decode_name(b"ZZFCEFEECACACACACACACACACACACAAA"), None);
        assert_eq!(
            decode_name(b"CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            None,
            "* is the wildcard name"
        );
    }
}
