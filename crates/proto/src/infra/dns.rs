//! DNS (RFC 1035) over UDP and TCP on any port, multicast DNS (RFC 6762, port 5353) and LLMNR
//! (RFC 4795, port 5355): the message format they share, with name compression (loop-protected),
//! and the names their answers bind to addresses.
//!
//! Every A/AAAA record in an answer or additional section gives a [`NameObservation`] for the
//! record's address, named by its owner (and, when a CNAME chain from the question leads to that
//! owner, by the question's name too); a PTR record names the address its owner encodes
//! (`4.3.2.1.in-addr.arpa`, `ip6.arpa` nibbles). Only responses bind names. The three protocols
//! are told apart by port (and multicast group): the bytes are identical.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::names::{NameObservation, NameSource};
use segscope_core::{AppProto, AuthClass, Transport};

use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// A DNS-format probe for one of DNS, mDNS and LLMNR.
pub struct DnsLike {
    app: AppProto,
}
/// Unicast DNS on any port.
pub static DNS: DnsLike = DnsLike { app: AppProto::Dns };
/// Multicast DNS (5353).
pub static MDNS: DnsLike = DnsLike {
    app: AppProto::Mdns,
};
/// LLMNR (5355).
pub static LLMNR: DnsLike = DnsLike {
    app: AppProto::Llmnr,
};

const MDNS_PORT: u16 = 5353;
const LLMNR_PORT: u16 = 5355;
const DNS_PORT: u16 = 53;
/// Longest name (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;
/// Most compression pointers followed in one name.
const MAX_POINTERS: usize = 32;
/// Most records read per section.
const MAX_RECORDS: u16 = 256;

/// Record types segscope reads.
pub const TYPE_A: u16 = 1;
/// CNAME.
pub const TYPE_CNAME: u16 = 5;
/// PTR.
pub const TYPE_PTR: u16 = 12;
/// AAAA.
pub const TYPE_AAAA: u16 = 28;

/// The fixed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message id.
    pub id: u16,
    /// Flags (QR, opcode, AA, TC, RD, RA, Z, RCODE).
    pub flags: u16,
    /// Question count.
    pub questions: u16,
    /// Answer count.
    pub answers: u16,
    /// Authority count.
    pub authorities: u16,
    /// Additional count.
    pub additionals: u16,
}

impl Header {
    /// True for a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode.
    pub fn opcode(&self) -> u16 {
        (self.flags >> 11) & 0xf
    }
}

/// A resource record; `rdata_at` is the offset of its data in the message (for names inside
/// it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Owner name, dotted, as on the wire (case kept).
    pub name: Vec<u8>,
    /// Type.
    pub rtype: u16,
    /// Class (the mDNS cache-flush bit included).
    pub class: u16,
    /// Record data.
    pub rdata: &'a [u8],
    /// Offset of `rdata` in the message.
    pub rdata_at: usize,
}

/// A parsed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Header.
    pub header: Header,
    /// Questions: (name, type).
    pub questions: Vec<(Vec<u8>, u16)>,
    /// Answer records.
    pub answers: Vec<Record<'a>>,
    /// Authority records.
    pub authorities: Vec<Record<'a>>,
    /// Additional records.
    pub additionals: Vec<Record<'a>>,
    /// Bytes after the last record (0 for a well-formed message).
    pub trailing: usize,
}

/// Reads a possibly compressed name at `pos` of `msg` into `out` (labels joined by dots).
/// Returns the offset after the name at its original position. Pointers must point backwards and
/// are followed at most [`MAX_POINTERS`] times, so hostile loops end.
pub fn read_name(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut at = pos;
    let mut end_after: Option<usize> = None;
    let mut jumps = 0usize;
    loop {
        let len = *msg.get(at)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Some(end_after.unwrap_or(at + 1));
                }
                let label = msg.get(at + 1..at + 1 + usize::from(len))?;
                if !out.is_empty() {
                    out.push(b'.');
                }
                out.extend_from_slice(label);
                if out.len() > MAX_NAME {
                    return None;
                }
                at += 1 + usize::from(len);
            }
            0xc0 => {
                let target = usize::from(u16::from_be_bytes([len & 0x3f, *msg.get(at + 1)?]));
                jumps += 1;
                if target >= at || jumps > MAX_POINTERS {
                    return None;
                }
                end_after.get_or_insert(at + 2);
                at = target;
            }
            _ => return None,
        }
    }
}

fn records<'a>(msg: &'a [u8], r: &mut Reader<'a>, count: u16) -> Option<Vec<Record<'a>>> {
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_RECORDS) {
        let mut name = Vec::new();
        let after = read_name(msg, r.position(), &mut name)?;
        r.skip(after - r.position())?;
        let rtype = r.be_u16()?;
        let class = r.be_u16()?;
        r.skip(4)?;
        let rdlen = usize::from(r.be_u16()?);
        let rdata_at = r.position();
        let rdata = r.take(rdlen)?;
        out.push(Record {
            name,
            rtype,
            class,
            rdata,
            rdata_at,
        });
    }
    Some(out)
}

/// Parses a DNS-format message (also NBNS, mDNS, LLMNR).
pub fn parse(msg: &[u8]) -> Option<Message<'_>> {
    let mut r = Reader::new(msg);
    let header = Header {
        id: r.be_u16()?,
        flags: r.be_u16()?,
        questions: r.be_u16()?,
        answers: r.be_u16()?,
        authorities: r.be_u16()?,
        additionals: r.be_u16()?,
    };
    if header.questions > 64
        || [header.answers, header.authorities, header.additionals]
            .iter()
            .any(|&n| n > MAX_RECORDS)
    {
        return None;
    }
    let mut questions = Vec::new();
    for _ in 0..header.questions {
        let mut name = Vec::new();
        let after = read_name(msg, r.position(), &mut name)?;
        r.skip(after - r.position())?;
        let qtype = r.be_u16()?;
        r.skip(2)?;
        questions.push((name, qtype));
    }
    let answers = records(msg, &mut r, header.answers)?;
    let authorities = records(msg, &mut r, header.authorities)?;
    let additionals = records(msg, &mut r, header.additionals)?;
    Some(Message {
        header,
        questions,
        answers,
        authorities,
        additionals,
        trailing: r.remaining(),
    })
}

/// True when a name is a plausible host name (printable, no spaces).
fn is_host_name(n: &[u8]) -> bool {
    !n.is_empty() && n.iter().all(|&b| b.is_ascii_graphic())
}

fn lower(n: &[u8]) -> String {
    String::from_utf8_lossy(n).to_ascii_lowercase()
}

/// The address a PTR owner name encodes.
pub fn ptr_address(owner: &str) -> Option<IpAddr> {
    if let Some(v4) = owner.strip_suffix(".in-addr.arpa") {
        let parts: Vec<u8> = v4
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let [d, c, b, a] = parts.as_slice() else {
            return None;
        };
        return Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d)));
    }
    let v6 = owner.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<u8> = v6
        .split('.')
        .map(|p| {
            u8::from_str_radix(p, 16)
                .ok()
                .filter(|n| *n < 16 && p.len() == 1)
        })
        .collect::<Option<_>>()?;
    if nibbles.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, pair) in nibbles.rchunks(2).enumerate() {
        if let ([lo, hi], Some(b)) = (pair, bytes.get_mut(i)) {
            *b = (hi << 4) | lo;
        }
    }
    Some(IpAddr::V6(Ipv6Addr::from(bytes)))
}

/// Name observations from one response message.
pub fn names(
    msg: &Message<'_>,
    raw: &[u8],
    source: NameSource,
    ts: segscope_core::Timestamp,
) -> Vec<NameObservation> {
    let mut out = Vec::new();
    if !msg.header.is_response() {
        return out;
    }
    let records = || msg.answers.iter().chain(msg.additionals.iter());
    // CNAME chains: owner → target.
    let cnames: Vec<(String, String)> = records()
        .filter(|r| r.rtype == TYPE_CNAME)
        .filter_map(|r| {
            let mut t = Vec::new();
            read_name(raw, r.rdata_at, &mut t)?;
            Some((lower(&r.name), lower(&t)))
        })
        .collect();
    let aliases_of = |owner: &str| -> Vec<String> {
        msg.questions
            .iter()
            .map(|(q, _)| lower(q))
            .filter(|q| {
                let mut cur = q.clone();
                for _ in 0..8 {
                    match cnames.iter().find(|(o, _)| *o == cur) {
                        Some((_, t)) => cur = t.clone(),
                        None => break,
                    }
                }
                cur == owner && q != owner
            })
            .collect()
    };
    for r in records() {
        let ip = match (r.rtype, r.rdata) {
            (TYPE_A, [a, b, c, d]) => Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d))),
            (TYPE_AAAA, d) if d.len() == 16 => <[u8; 16]>::try_from(d)
                .ok()
                .map(|b| IpAddr::V6(Ipv6Addr::from(b))),
            _ => None,
        };
        if let Some(ip) = ip {
            if !is_host_name(&r.name) {
                continue;
            }
            let owner = lower(&r.name);
            for name in aliases_of(&owner).into_iter().chain(std::iter::once(owner)) {
                out.push(NameObservation {
                    ip,
                    name: name.trim_end_matches('.').to_owned(),
                    source,
                    ts,
                });
            }
        } else if r.rtype == TYPE_PTR {
            let mut target = Vec::new();
            if read_name(raw, r.rdata_at, &mut target).is_some()
                && is_host_name(&target)
                && let Some(ip) = ptr_address(&lower(&r.name))
            {
                out.push(NameObservation {
                    ip,
                    name: lower(&target).trim_end_matches('.').to_owned(),
                    source,
                    ts,
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The DNS messages of one direction: datagrams, or length-prefixed messages over TCP.
pub fn dir_messages<'a>(transport: Transport, d: &segscope_core::DirPayload<'a>) -> Vec<&'a [u8]> {
    if transport == Transport::TCP {
        let mut r = Reader::new(d.bytes);
        let mut v = Vec::new();
        while let Some(m) = r.be_u16_prefixed() {
            v.push(m);
            if v.len() >= 256 {
                break;
            }
        }
        v
    } else {
        d.messages().take(256).collect()
    }
}

/// True when the first label of a parsed question is a NetBIOS first-level encoded name (32
/// letters A–P): the message is NBNS, not DNS.
pub fn is_netbios_encoded(name: &[u8]) -> bool {
    let first = name.split(|&b| b == b'.').next().unwrap_or(&[]);
    first.len() == 32 && first.iter().all(|b| (b'A'..=b'P').contains(b))
}

/// A strictly well-formed DNS message with at least one question or answer.
fn plausible(m: &[u8]) -> bool {
    match parse(m) {
        Some(msg) => {
            msg.trailing == 0
                && matches!(msg.header.opcode(), 0 | 1 | 2 | 4 | 5)
                && (msg.header.questions > 0 || msg.header.answers > 0)
                && msg
                    .questions
                    .iter()
                    .all(|(q, _)| q.is_empty() || is_host_name(q))
                && !msg.questions.iter().any(|(q, _)| is_netbios_encoded(q))
        }
        None => false,
    }
}

fn ports(ctx: &Ctx<'_>) -> (u16, u16) {
    (ctx.meta.client.port, ctx.meta.server.port)
}

fn is_mdns_group(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::new(224, 0, 0, 251))
        || ip == IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb))
}

fn is_llmnr_group(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::new(224, 0, 0, 252))
        || ip == IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 3))
}

/// Which of the three a flow is, by port and multicast group.
fn variant(ctx: &Ctx<'_>) -> AppProto {
    let (c, s) = ports(ctx);
    if s == MDNS_PORT || c == MDNS_PORT || is_mdns_group(ctx.meta.server.ip) {
        AppProto::Mdns
    } else if s == LLMNR_PORT || c == LLMNR_PORT || is_llmnr_group(ctx.meta.server.ip) {
        AppProto::Llmnr
    } else {
        AppProto::Dns
    }
}

impl Probe for DnsLike {
    fn name(&self) -> &'static str {
        match self.app {
            AppProto::Mdns => "mdns",
            AppProto::Llmnr => "llmnr",
            _ => "dns",
        }
    }
    fn app(&self) -> AppProto {
        self.app
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let t = ctx.meta.transport;
        if (t != Transport::UDP && t != Transport::TCP) || variant(ctx) != self.app {
            return Verdict::NotForUs;
        }
        let first = |d: &segscope_core::DirPayload<'_>| -> Option<bool> {
            if t == Transport::TCP {
                let mut r = Reader::new(
                    d.bytes
                        .get(..d.bytes.len().min(crate::PROBE_BUDGET))
                        .unwrap_or(&[]),
                );
                let m = r.be_u16_prefixed()?;
                Some(plausible(m))
            } else {
                d.messages().next().map(plausible)
            }
        };
        let ok = first(&ctx.client)
            .or_else(|| first(&ctx.server))
            .unwrap_or(false);
        if !ok {
            return Verdict::NotForUs;
        }
        let (c, s) = ports(ctx);
        let well_known = [DNS_PORT, MDNS_PORT, LLMNR_PORT]
            .iter()
            .any(|p| *p == c || *p == s);
        if well_known || self.app != AppProto::Dns {
            Verdict::Certain
        } else {
            Verdict::Unsure
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let app = variant(ctx);
        let source = match app {
            AppProto::Mdns => NameSource::Mdns,
            AppProto::Llmnr => NameSource::Llmnr,
            _ => NameSource::DnsAnswer,
        };
        let t = ctx.meta.transport;
        let mut names = Vec::new();
        let (mut queries, mut responses, mut malformed) = (0usize, 0usize, 0usize);
        let mut first_question: Option<String> = None;
        for m in dir_messages(t, &ctx.client)
            .into_iter()
            .chain(dir_messages(t, &ctx.server))
        {
            let Some(msg) = parse(m) else {
                malformed += 1;
                continue;
            };
            if msg.header.is_response() {
                responses += 1;
            } else {
                queries += 1;
            }
            if first_question.is_none() {
                first_question = msg.questions.first().map(|(q, _)| lower(q));
            }
            names.extend(self::names(&msg, m, source, ctx.meta.first_ts));
        }
        names.sort();
        names.dedup();
        let q = first_question
            .map(|q| format!(" for {q}"))
            .unwrap_or_default();
        let reason = format!(
            "{app}: {queries} queries, {responses} responses{q}, {} names learned{}; no authentication (infrastructure)",
            names.len(),
            if malformed > 0 {
                format!(", {malformed} malformed messages")
            } else {
                String::new()
            }
        );
        Analysis {
            app,
            auth: AuthClass::CleartextUnauthenticated,
            evidence: segscope_core::AuthEvidence {
                reason,
                ..Default::default()
            },
            names,
            parse_error: malformed > 0 && queries + responses == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_pointers_cannot_loop() {
        // A name that points at itself.
        let msg = [0u8, 0, 0xc0, 0x02];
        assert_eq!(read_name(&msg, 2, &mut Vec::new()), None);
        // A forward pointer.
        let msg = [0xc0u8, 0x02, 0x00];
        assert_eq!(read_name(&msg, 0, &mut Vec::new()), None);
        // "a" then pointer back to "b".
        let msg = [1u8, b'b', 0, 1, b'a', 0xc0, 0x00];
        let mut out = Vec::new();
        assert_eq!(read_name(&msg, 3, &mut out), Some(7));
        assert_eq!(out, b"a.b");
    }

    #[test]
    fn ptr_owner_names() {
        assert_eq!(
            ptr_address("4.3.2.1.in-addr.arpa"),
            Some("1.2.3.4".parse().expect("ip"))
        );
        let v6 = "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa";
        assert_eq!(
            ptr_address(v6),
            Some("4321:0:1:2:3:4:567:89ab".parse().expect("ip"))
        );
        assert_eq!(ptr_address("1.2.3.in-addr.arpa"), None);
        assert_eq!(ptr_address("x.ip6.arpa"), None);
    }
}
