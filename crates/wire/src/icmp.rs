//! ICMP and ICMPv6 error messages quote the header of the packet that provoked them; reading
//! that quote lets the flow table attribute "port unreachable" or "administratively prohibited"
//! to the flow it answers.

use std::net::IpAddr;

use segscope_core::flow::QuotedFlow;
use segscope_core::{Endpoint, Transport};

use crate::ip;

/// True for ICMPv4 error types: destination unreachable (3), source quench (4), redirect (5),
/// time exceeded (11), parameter problem (12).
pub(crate) fn is_v4_error(icmp_type: u8) -> bool {
    matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
}

/// True for ICMPv6 error types: destination unreachable (1), packet too big (2), time
/// exceeded (3), parameter problem (4).
pub(crate) fn is_v6_error(icmp_type: u8) -> bool {
    matches!(icmp_type, 1..=4)
}

/// What could be read from a quoted header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Quote {
    /// The quoted flow, when the quoted IP header's addresses were readable.
    pub(crate) flow: Option<QuotedFlow>,
    /// The quote stopped short of something it should have held (the IP header, the extension
    /// chain or the transport ports).
    pub(crate) truncated: bool,
}

impl Quote {
    const UNREADABLE: Quote = Quote {
        flow: None,
        truncated: true,
    };
}

/// The ports (or ICMP type and code) at the start of a quoted transport header, if the quote
/// holds them. `None` means the quote was too short for a transport that has them.
fn quoted_ports(proto: u8, transport: &[u8]) -> Option<(u16, u16)> {
    let t = Transport(proto);
    if t.has_ports() {
        let p: &[u8; 4] = transport.first_chunk()?;
        Some((
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        ))
    } else if t.is_icmp() {
        let p: &[u8; 2] = transport.first_chunk()?;
        Some((u16::from(p[0]), u16::from(p[1])))
    } else {
        Some((0, 0))
    }
}

fn flow(src: IpAddr, dst: IpAddr, proto: u8, ports: (u16, u16)) -> QuotedFlow {
    QuotedFlow {
        src: Endpoint {
            ip: src,
            port: ports.0,
        },
        dst: Endpoint {
            ip: dst,
            port: ports.1,
        },
        transport: Transport(proto),
    }
}

/// Reads the IPv4 header (and the first bytes of its transport) quoted by an ICMPv4 error.
pub(crate) fn quote_v4(quoted: &[u8]) -> Quote {
    let Some(h) = quoted.first_chunk::<20>() else {
        return Quote::UNREADABLE;
    };
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if h[0] >> 4 != 4 || ihl < 20 {
        return Quote::UNREADABLE;
    }
    let src = IpAddr::from([h[12], h[13], h[14], h[15]]);
    let dst = IpAddr::from([h[16], h[17], h[18], h[19]]);
    let proto = h[9];
    let later_fragment = u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0;
    let ports = if later_fragment {
        Some((0, 0))
    } else {
        quoted_ports(proto, quoted.get(ihl..).unwrap_or_default())
    };
    Quote {
        flow: Some(flow(src, dst, proto, ports.unwrap_or((0, 0)))),
        truncated: ports.is_none(),
    }
}

/// Reads the IPv6 header (its extension chain, and the first bytes of its transport) quoted by
/// an ICMPv6 error. A chain cut short by the quote keeps the last next-header value known.
pub(crate) fn quote_v6(quoted: &[u8]) -> Quote {
    let Some(fixed) = ip::ipv6_fixed(quoted) else {
        return Quote::UNREADABLE;
    };
    let addrs = ip::Addrs::V6(fixed.addrs);
    let (src, dst) = (addrs.src(), addrs.dst());
    let (proto, ports) = match ip::ipv6_chain(fixed.next_header, fixed.rest, fixed.rest.len()) {
        Ok(end) if matches!(end.fragment, crate::Fragment::Later { .. }) => {
            (end.proto, Some((0, 0)))
        }
        Ok(end) => (
            end.proto,
            quoted_ports(end.proto, fixed.rest.get(end.offset..).unwrap_or_default()),
        ),
        Err(cut) => (cut.proto, None),
    };
    Quote {
        flow: Some(flow(src, dst, proto, ports.unwrap_or((0, 0)))),
        truncated: ports.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_header(proto: u8, flags_offset: u16) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 60, 0, 1];
        h.extend(flags_offset.to_be_bytes());
        h.extend([64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        h
    }

    #[test]
    fn v4_quote_reads_ports_or_reports_truncation() {
        let mut q = v4_header(6, 0);
        q.extend([0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1]);
        let quote = quote_v4(&q);
        assert!(!quote.truncated);
        let f = quote.flow.expect("addresses");
        assert_eq!(
            (f.src.port, f.dst.port, f.transport),
            (1234, 80, Transport::TCP)
        );
        assert_eq!(f.src.ip, IpAddr::from([10, 0, 0, 1]));

        let cut = quote_v4(q.get(..22).expect("22 bytes"));
        assert!(cut.truncated);
        assert_eq!(
            cut.flow.map(|f| (f.src.port, f.transport)),
            Some((0, Transport::TCP))
        );

        assert_eq!(quote_v4(q.get(..19).expect("19 bytes")), Quote::UNREADABLE);
    }

    #[test]
    fn v4_quote_of_a_later_fragment_has_no_ports_and_is_complete() {
        let q = v4_header(17, 0x0010);
        let quote = quote_v4(&q);
        assert!(!quote.truncated);
        assert_eq!(quote.flow.map(|f| f.dst.port), Some(0));
    }
}
