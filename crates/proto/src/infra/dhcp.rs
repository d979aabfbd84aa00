//! DHCP (RFC 2131/2132) and DHCPv6 (RFC 8415): host names for addresses.
//!
//! DHCPv4: the client's host name (option 12) or FQDN (option 81, ASCII or wire-encoded) is bound
//! to the address the message is about. When the flow also holds the server's answer to the same
//! transaction (`xid`), the answer decides: an ACK binds its `yiaddr`, a NAK binds nothing.
//! Otherwise: a server's ACK binds `yiaddr`; a client's REQUEST binds its requested-address
//! option 50 (or `ciaddr` when renewing) — usually granted, but the answer often travels in
//! another flow (broadcast), so a NAKed request can bind an address that was refused; INFORM and
//! RELEASE bind `ciaddr`. DISCOVER and OFFER bind nothing (no address is committed yet).
//!
//! DHCPv6: the Client FQDN option (39) is bound to the addresses in the message's IA_NA/IAADDR
//! options, or, when there are none, to the client's own (link-local) source address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::names::{NameObservation, NameSource};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};

use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// DHCPv4 probe.
pub struct Dhcp;
/// The DHCPv4 probe instance.
pub static DHCP: Dhcp = Dhcp;
/// DHCPv6 probe.
pub struct Dhcpv6;
/// The DHCPv6 probe instance.
pub static DHCPV6: Dhcpv6 = Dhcpv6;

const MAGIC: [u8; 4] = [99, 130, 83, 99];
const OPT_HOST_NAME: u8 = 12;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_FQDN: u8 = 81;
const V6_CLIENT_PORT: u16 = 546;
const V6_SERVER_PORT: u16 = 547;

/// What one DHCPv4 message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpMessage {
    /// 1 request, 2 reply.
    pub op: u8,
    /// Transaction id.
    pub xid: u32,
    /// Option 53 (1 DISCOVER … 8 INFORM).
    pub message_type: Option<u8>,
    /// `ciaddr`.
    pub ciaddr: Ipv4Addr,
    /// `yiaddr`.
    pub yiaddr: Ipv4Addr,
    /// Option 50.
    pub requested: Option<Ipv4Addr>,
    /// Option 12, or option 81's name.
    pub host_name: Option<String>,
}

impl Default for DhcpMessage {
    fn default() -> DhcpMessage {
        DhcpMessage {
            op: 0,
            xid: 0,
            message_type: None,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            requested: None,
            host_name: None,
        }
    }
}

fn message_type_name(t: Option<u8>) -> &'static str {
    match t {
        Some(1) => "DISCOVER",
        Some(2) => "OFFER",
        Some(3) => "REQUEST",
        Some(4) => "DECLINE",
        Some(5) => "ACK",
        Some(6) => "NAK",
        Some(7) => "RELEASE",
        Some(8) => "INFORM",
        _ => "BOOTP",
    }
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from)
}

/// A host name fit to bind: printable, no spaces, lower-cased, trailing dot removed.
fn host_name(b: &[u8]) -> Option<String> {
    let b = b.split(|&c| c == 0).next().unwrap_or(&[]);
    let ok = !b.is_empty() && b.len() <= 255 && b.iter().all(|c| c.is_ascii_graphic());
    ok.then(|| {
        String::from_utf8_lossy(b)
            .to_ascii_lowercase()
            .trim_end_matches('.')
            .to_owned()
    })
    .filter(|s| !s.is_empty())
}

/// A DNS wire-format name (no compression) as dotted text.
fn wire_name(b: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    let mut r = Reader::new(b);
    while let Some(label) = r.u8_prefixed() {
        if label.is_empty() {
            break;
        }
        if !out.is_empty() {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    }
    host_name(&out)
}

/// Parses a DHCPv4 message.
pub fn parse(d: &[u8]) -> Option<DhcpMessage> {
    let mut r = Reader::new(d);
    let op = r.u8()?;
    let _htype = r.u8()?;
    let hlen = r.u8()?;
    if !(op == 1 || op == 2) || hlen > 16 {
        return None;
    }
    r.skip(1)?;
    let xid = r.be_u32()?;
    r.skip(2 + 2)?;
    let ciaddr = Ipv4Addr::from(r.array::<4>()?);
    let yiaddr = Ipv4Addr::from(r.array::<4>()?);
    r.skip(4 + 4 + 16 + 64 + 128)?;
    if r.array::<4>()? != MAGIC {
        return None;
    }
    let mut m = DhcpMessage {
        op,
        xid,
        ciaddr,
        yiaddr,
        ..DhcpMessage::default()
    };
    let mut fqdn = None;
    while let Some(code) = r.u8() {
        match code {
            0 => continue,
            255 => break,
            _ => {}
        }
        let Some(value) = r.u8_prefixed() else { break };
        match code {
            OPT_MESSAGE_TYPE => m.message_type = value.first().copied(),
            OPT_HOST_NAME => m.host_name = host_name(value),
            OPT_REQUESTED_IP => m.requested = ipv4(value),
            OPT_FQDN => {
                // flags, rcode1, rcode2, name (wire format when the E flag is set).
                let flags = value.first().copied().unwrap_or(0);
                let name = value.get(3..).unwrap_or(&[]);
                fqdn = if flags & 0x04 != 0 {
                    wire_name(name)
                } else {
                    host_name(name)
                };
            }
            _ => {}
        }
    }
    if fqdn.is_some() {
        m.host_name = fqdn;
    }
    Some(m)
}

/// The address a message binds its host name to (see the module documentation).
pub fn bound_address(m: &DhcpMessage) -> Option<Ipv4Addr> {
    let some = |a: Ipv4Addr| (!a.is_unspecified()).then_some(a);
    match (m.op, m.message_type) {
        (2, Some(5)) | (2, None) => some(m.yiaddr).or_else(|| some(m.ciaddr)),
        (1, Some(3)) => m.requested.or_else(|| some(m.ciaddr)),
        (1, Some(7 | 8)) => some(m.ciaddr),
        _ => None,
    }
}

impl Probe for Dhcp {
    fn name(&self) -> &'static str {
        "dhcp"
    }
    fn app(&self) -> AppProto {
        AppProto::Dhcp
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
        if first.and_then(parse).is_some() {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut names = Vec::new();
        let mut kinds: Vec<&str> = Vec::new();
        let messages: Vec<DhcpMessage> = ctx
            .client
            .messages()
            .chain(ctx.server.messages())
            .take(256)
            .filter_map(parse)
            .collect();
        for m in &messages {
            let kind = message_type_name(m.message_type);
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            let Some(name) = m.host_name.clone() else {
                continue;
            };
            // The server's answer to this transaction, when the flow holds it, decides.
            let answer = messages
                .iter()
                .find(|a| a.op == 2 && a.xid == m.xid && matches!(a.message_type, Some(5 | 6)));
            let ip = match answer {
                Some(a) if a.message_type == Some(6) => None,
                Some(a) if m.op == 1 => bound_address(a),
                _ => bound_address(m),
            };
            if let Some(ip) = ip {
                names.push(NameObservation {
                    ip: IpAddr::V4(ip),
                    name,
                    source: NameSource::DhcpHostname,
                    ts: ctx.meta.first_ts,
                });
            }
        }
        names.sort();
        names.dedup();
        Analysis {
            app: AppProto::Dhcp,
            auth: AuthClass::CleartextUnauthenticated,
            evidence: AuthEvidence {
                reason: format!(
                    "DHCP {}; {} host names bound; no authentication (infrastructure)",
                    kinds.join("/"),
                    names.len()
                ),
                ..AuthEvidence::default()
            },
            names,
            parse_error: kinds.is_empty(),
        }
    }
}

/// What one DHCPv6 message says: (message type, client FQDN, addresses).
pub fn parse_v6(d: &[u8]) -> Option<(u8, Option<String>, Vec<Ipv6Addr>)> {
    let mut r = Reader::new(d);
    let kind = r.u8()?;
    if !(1..=11).contains(&kind) {
        return None;
    }
    r.skip(3)?;
    let mut fqdn = None;
    let mut addrs = Vec::new();
    while r.remaining() > 0 {
        let code = r.be_u16()?;
        let value = r.be_u16_prefixed()?;
        match code {
            39 => fqdn = value.get(1..).and_then(wire_name),
            3 => {
                // IA_NA: IAID, T1, T2, then options.
                let mut o = Reader::new(value.get(12..).unwrap_or(&[]));
                while o.remaining() > 0 {
                    let (Some(c), Some(v)) = (o.be_u16(), o.be_u16_prefixed()) else {
                        break;
                    };
                    if c == 5
                        && let Some(a) = v.get(..16).and_then(|a| <[u8; 16]>::try_from(a).ok())
                    {
                        addrs.push(Ipv6Addr::from(a));
                    }
                }
            }
            _ => {}
        }
    }
    Some((kind, fqdn, addrs))
}

impl Probe for Dhcpv6 {
    fn name(&self) -> &'static str {
        "dhcpv6"
    }
    fn app(&self) -> AppProto {
        AppProto::Dhcpv6
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let m = ctx.meta;
        let ports = [m.client.port, m.server.port];
        if m.transport != Transport::UDP
            || !(ports.contains(&V6_CLIENT_PORT) || ports.contains(&V6_SERVER_PORT))
        {
            return Verdict::NotForUs;
        }
        let first = ctx
            .client
            .messages()
            .next()
            .or_else(|| ctx.server.messages().next());
        if first.and_then(parse_v6).is_some() {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut names = Vec::new();
        let mut messages = 0usize;
        let client_is_dhcp_client = ctx.meta.client.port == V6_CLIENT_PORT;
        for d in ctx.client.messages().chain(ctx.server.messages()).take(256) {
            let Some((_, fqdn, addrs)) = parse_v6(d) else {
                continue;
            };
            messages += 1;
            let Some(name) = fqdn else { continue };
            let targets: Vec<IpAddr> = if addrs.is_empty() {
                if client_is_dhcp_client {
                    vec![ctx.meta.client.ip]
                } else {
                    Vec::new()
                }
            } else {
                addrs.into_iter().map(IpAddr::V6).collect()
            };
            for ip in targets {
                names.push(NameObservation {
                    ip,
                    name: name.clone(),
                    source: NameSource::DhcpHostname,
                    ts: ctx.meta.first_ts,
                });
            }
        }
        names.sort();
        names.dedup();
        Analysis {
            app: AppProto::Dhcpv6,
            auth: AuthClass::CleartextUnauthenticated,
            evidence: AuthEvidence {
                reason: format!(
                    "DHCPv6: {messages} messages, {} host names bound; no authentication (infrastructure)",
                    names.len()
                ),
                ..AuthEvidence::default()
            },
            names,
            parse_error: messages == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_and_hosts() {
        assert_eq!(
            wire_name(b"\x04host\x07example\x00"),
            Some("host.example".to_owned())
        );
        assert_eq!(host_name(b"My-PC\0"), Some("my-pc".to_owned()));
        assert_eq!(host_name(b"a b"), None);
    }

    #[test]
    fn bindings() {
        let ack = DhcpMessage {
            op: 2,
            message_type: Some(5),
            yiaddr: Ipv4Addr::new(10, 0, 0, 5),
            ..DhcpMessage::default()
        };
        assert_eq!(bound_address(&ack), Some(Ipv4Addr::new(10, 0, 0, 5)));
        let discover = DhcpMessage {
            op: 1,
            message_type: Some(1),
            requested: Some(Ipv4Addr::new(10, 0, 0, 9)),
            ..DhcpMessage::default()
        };
        assert_eq!(bound_address(&discover), None);
        let request = DhcpMessage {
            message_type: Some(3),
            op: 1,
            ..discover
        };
        assert_eq!(bound_address(&request), Some(Ipv4Addr::new(10, 0, 0, 9)));
    }
}
