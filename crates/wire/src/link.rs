//! Link layers: the capture's link-type header (Ethernet, Linux cooked v1/v2, BSD null and
//! loop, raw IP), then 802.1Q/802.1ad tags, 802.2 LLC/SNAP, MPLS label stacks and PPPoE
//! sessions down to IP.

use segscope_core::stats::Layer;

use crate::linktype;
use crate::network::{Hop, Next};
use crate::outcome::{Named, NonIp, Stop, ethertype_non_ip};
use crate::walk::Walk;

/// 802.1Q, 802.1ad, and the pre-standard QinQ tag types 0x9100/0x9200.
const VLAN_TPIDS: [u16; 4] = [0x8100, 0x88a8, 0x9100, 0x9200];
/// Tags read before a stack is called malformed (QinQ uses two).
const MAX_VLAN_TAGS: usize = 8;
/// MPLS labels read before a stack is called malformed.
const MAX_MPLS_LABELS: usize = 16;
/// Linux `ARPHRD_NETLINK`: cooked captures of netlink sockets.
const ARPHRD_NETLINK: u16 = 824;

/// Reads the capture's link-type header and says what follows it.
#[inline(always)]
pub(crate) fn frame<'a>(w: &mut Walk, linktype: u32, bytes: &'a [u8]) -> Result<Next<'a>, Stop> {
    match linktype {
        linktype::ETHERNET => Next::to(Hop::Ethernet, bytes),
        linktype::RAW | linktype::RAW_DLT12 | linktype::RAW_DLT14 => {
            Next::to(Hop::IpByVersion, bytes)
        }
        linktype::IPV4 => Next::to(Hop::Ipv4, bytes),
        linktype::IPV6 => Next::to(Hop::Ipv6, bytes),
        linktype::LINUX_SLL => {
            let (h, rest) = bytes.split_first_chunk::<16>().ok_or(LINK)?;
            let hatype = u16::from_be_bytes([h[2], h[3]]);
            cooked(w, hatype, u16::from_be_bytes([h[14], h[15]]), rest)
        }
        linktype::LINUX_SLL2 => {
            let (h, rest) = bytes.split_first_chunk::<20>().ok_or(LINK)?;
            let hatype = u16::from_be_bytes([h[8], h[9]]);
            cooked(w, hatype, u16::from_be_bytes([h[0], h[1]]), rest)
        }
        linktype::NULL => {
            let (h, rest) = bytes.split_first_chunk::<4>().ok_or(LINK)?;
            // The writer's byte order is unknown: the family is the smaller reading.
            let family = u32::from_le_bytes(*h).min(u32::from_be_bytes(*h));
            address_family(family, rest)
        }
        linktype::LOOP => {
            let (h, rest) = bytes.split_first_chunk::<4>().ok_or(LINK)?;
            address_family(u32::from_be_bytes(*h), rest)
        }
        other => Err(Stop::NonIp(NonIp::LinkType(other))),
    }
}

const LINK: Stop = Stop::Malformed(Layer::Link);

/// BSD `AF_INET` is 2 everywhere; `AF_INET6` is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30
/// (macOS).
#[inline(always)]
fn address_family(family: u32, rest: &[u8]) -> Result<Next<'_>, Stop> {
    match family {
        2 => Next::to(Hop::Ipv4, rest),
        24 | 28 | 30 => Next::to(Hop::Ipv6, rest),
        other => Err(Stop::NonIp(NonIp::NullFamily(other))),
    }
}

/// Linux cooked capture: the protocol field is an EtherType, or for values below 0x0600 one of
/// Linux's `ETH_P_*` pseudo-types (0x0004: an 802.2 LLC frame follows).
#[inline(always)]
fn cooked<'a>(w: &mut Walk, hatype: u16, protocol: u16, rest: &'a [u8]) -> Result<Next<'a>, Stop> {
    if hatype == ARPHRD_NETLINK {
        return Err(Stop::NonIp(NonIp::Named(Named::Netlink)));
    }
    match protocol {
        0x0004 => llc(w, rest),
        0x0001 => Err(Stop::NonIp(NonIp::Named(Named::Ipx))),
        p if p >= 0x0600 => ethertype(w, p, rest),
        p => Err(Stop::NonIp(NonIp::SllProtocol(p))),
    }
}

/// An Ethernet II or IEEE 802.3 frame.
#[inline(always)]
pub(crate) fn ethernet<'a>(w: &mut Walk, bytes: &'a [u8]) -> Result<Next<'a>, Stop> {
    w.enter_ethernet();
    let (h, rest) = bytes.split_first_chunk::<14>().ok_or(LINK)?;
    let type_or_len = u16::from_be_bytes([h[12], h[13]]);
    if type_or_len <= 1500 {
        return llc(w, rest.get(..usize::from(type_or_len)).unwrap_or(rest));
    }
    ethertype(w, type_or_len, rest)
}

/// Dispatches on an EtherType, peeling VLAN tags first.
#[inline(always)]
fn ethertype<'a>(w: &mut Walk, mut ethertype: u16, mut rest: &'a [u8]) -> Result<Next<'a>, Stop> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ethertype {
            0x0800 => return Next::to(Hop::Ipv4, rest),
            0x86dd => return Next::to(Hop::Ipv6, rest),
            t if VLAN_TPIDS.contains(&t) => {
                let (tag, after) = rest
                    .split_first_chunk::<4>()
                    .ok_or(Stop::Malformed(Layer::Vlan))?;
                w.tag(u16::from_be_bytes([tag[0], tag[1]]) & 0x0fff);
                ethertype = u16::from_be_bytes([tag[2], tag[3]]);
                rest = after;
                if ethertype <= 1500 {
                    return llc(w, rest.get(..usize::from(ethertype)).unwrap_or(rest));
                }
            }
            0x8847 | 0x8848 => return Next::to(Hop::Mpls, rest),
            0x8864 => return pppoe_session(rest),
            other => return Err(Stop::NonIp(ethertype_non_ip(other))),
        }
    }
    Err(Stop::Malformed(Layer::Vlan))
}

/// An IEEE 802.2 LLC frame: spanning tree, CDP and friends, or IP in SNAP with a zero OUI.
#[inline(always)]
fn llc<'a>(w: &mut Walk, bytes: &'a [u8]) -> Result<Next<'a>, Stop> {
    let named = |n| Err(Stop::NonIp(NonIp::Named(n)));
    // Novell's "raw 802.3" puts the IPX checksum 0xffff where the LLC header would be.
    if bytes.starts_with(&[0xff, 0xff]) {
        return named(Named::Ipx);
    }
    let (h, rest) = bytes.split_first_chunk::<3>().ok_or(LINK)?;
    match h[0] {
        0x42 => named(Named::Stp),
        0xe0 => named(Named::Ipx),
        0xf0 => named(Named::NetBios),
        0xfe => named(Named::Osi),
        0xaa => {
            let (snap, rest) = rest.split_first_chunk::<5>().ok_or(LINK)?;
            let pid = u16::from_be_bytes([snap[3], snap[4]]);
            match (snap[0], snap[1], snap[2], pid) {
                (0, 0, 0, p) if p >= 0x0600 => ethertype(w, p, rest),
                (0x00, 0x00, 0x0c, 0x2000) => named(Named::Cdp),
                _ => named(Named::Snap),
            }
        }
        _ => named(Named::Llc),
    }
}

/// An MPLS label stack down to bottom-of-stack, then IPv4/IPv6 by the first nibble, an Ethernet
/// pseudowire with a control word (nibble 0), the associated channel (nibble 1), or an Ethernet
/// pseudowire without control word.
#[inline(always)]
pub(crate) fn mpls<'a>(w: &mut Walk, mut bytes: &'a [u8]) -> Result<Next<'a>, Stop> {
    const BAD: Stop = Stop::Malformed(Layer::Mpls);
    w.labelled = true;
    let mut bottom = false;
    for _ in 0..MAX_MPLS_LABELS {
        let (label, rest) = bytes.split_first_chunk::<4>().ok_or(BAD)?;
        bytes = rest;
        if label[2] & 0x01 != 0 {
            bottom = true;
            break;
        }
    }
    if !bottom {
        return Err(BAD);
    }
    match bytes.first().ok_or(BAD)? >> 4 {
        4 => Next::to(Hop::Ipv4, bytes),
        6 => Next::to(Hop::Ipv6, bytes),
        0 => Next::to(Hop::Ethernet, bytes.get(4..).ok_or(BAD)?),
        1 => Err(Stop::NonIp(NonIp::Named(Named::MplsPwAch))),
        _ => Next::to(Hop::Ethernet, bytes),
    }
}

/// A PPPoE session frame (RFC 2516): version/type 0x11, code 0, then PPP carrying IPv4 (0x0021)
/// or IPv6 (0x0057), bounded by the PPPoE length.
#[inline(always)]
fn pppoe_session(bytes: &[u8]) -> Result<Next<'_>, Stop> {
    let (h, rest) = bytes.split_first_chunk::<8>().ok_or(LINK)?;
    if h[0] != 0x11 || h[1] != 0 {
        return Err(LINK);
    }
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let rest = rest.get(..len.saturating_sub(2)).unwrap_or(rest);
    match u16::from_be_bytes([h[6], h[7]]) {
        0x0021 => Next::to(Hop::Ipv4, rest),
        0x0057 => Next::to(Hop::Ipv6, rest),
        other => Err(Stop::NonIp(NonIp::PppProtocol(other))),
    }
}
