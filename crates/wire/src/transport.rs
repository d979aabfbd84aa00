//! Transport headers (TCP, UDP, ICMP, ICMPv6, SCTP) on top of a parsed IP header.

use segscope_core::Transport;
use segscope_core::stats::Layer;

use crate::icmp;
use crate::ip::{Addrs, IpView};
use crate::outcome::Stop;
use crate::walk::Walk;
use crate::{Fragment, TcpInfo};

/// The innermost packet's addresses and transport: the compact result every layer passes back
/// up. The [`crate::Packet`] (with its tunnel array) is built from it once, at the top, so the
/// large struct is not copied through every layer of the descent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found<'a> {
    pub(crate) addrs: Addrs<'a>,
    pub(crate) transport: Transport,
    pub(crate) ip_len: u32,
    pub(crate) l4: L4<'a>,
}

/// What a transport header says: ports (ICMP: type and code), TCP fields and the payload.
///
/// Every parser returns one by value, built in one expression: mutating a struct through a
/// reference that escapes to an out-of-line call forces it into memory, and the wide copy
/// that follows stalls on the narrow writes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct L4<'a> {
    pub(crate) src_port: u16,
    pub(crate) dst_port: u16,
    pub(crate) tcp: TcpInfo,
    /// As captured (may be shorter than `payload_len` under a snaplen).
    pub(crate) payload: &'a [u8],
    /// By the headers.
    pub(crate) payload_len: u32,
}

impl<'a> L4<'a> {
    /// No transport header: the IP payload is the payload.
    fn none(ip: &IpView<'a>) -> L4<'a> {
        L4 {
            src_port: 0,
            dst_port: 0,
            tcp: TcpInfo::default(),
            payload: ip.data,
            payload_len: ip.data_len,
        }
    }

    /// Ports and the payload after a `header_len`-byte header, `payload_len` bytes by the
    /// headers.
    #[inline(always)]
    fn after(ip: &IpView<'a>, ports: (u16, u16), header_len: u32, payload_len: u32) -> L4<'a> {
        let rest = ip.data.get(header_len as usize..).unwrap_or_default();
        L4 {
            src_port: ports.0,
            dst_port: ports.1,
            tcp: TcpInfo::default(),
            payload: rest.get(..payload_len as usize).unwrap_or(rest),
            payload_len,
        }
    }
}

/// Reads the transport header above an IP header whose payload is not a tunnel, unless this is
/// a non-first fragment (whose payload is fragment data). The fragment status goes to the
/// walk: carried in the result, its two halves stalled the copy at the top.
#[inline(always)]
pub(crate) fn transport<'a>(w: &mut Walk, ip: IpView<'a>) -> Result<Found<'a>, Stop> {
    w.fragment = ip.fragment;
    let l4 = if matches!(ip.fragment, Fragment::Later { .. }) {
        L4::none(&ip)
    } else {
        match Transport(ip.proto) {
            Transport::TCP => tcp(&ip)?,
            Transport::UDP => udp(&ip)?,
            Transport::ICMP => icmp(w, &ip, Layer::Icmp)?,
            Transport::ICMPV6 => icmp(w, &ip, Layer::Icmpv6)?,
            Transport::SCTP => sctp(&ip)?,
            _ => L4::none(&ip),
        }
    };
    Ok(Found {
        addrs: ip.addrs,
        transport: Transport(ip.proto),
        ip_len: ip.ip_len,
        l4,
    })
}

#[inline(always)]
fn tcp<'a>(ip: &IpView<'a>) -> Result<L4<'a>, Stop> {
    const BAD: Stop = Stop::Malformed(Layer::Tcp);
    let h: &[u8; 20] = ip.data.first_chunk().ok_or(BAD)?;
    let data_offset = u32::from(h[12] >> 4) * 4;
    if data_offset < 20 || data_offset > ip.data_len {
        return Err(BAD);
    }
    let ports = (
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
    );
    let l4 = L4::after(ip, ports, data_offset, ip.data_len - data_offset);
    Ok(L4 {
        tcp: TcpInfo {
            seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            flags: h[13],
            window: u16::from_be_bytes([h[14], h[15]]),
        },
        ..l4
    })
}

/// The UDP length field is used when it fits the IP payload; otherwise (a first fragment, a
/// jumbogram's 0, or a lie) the IP length decides.
#[inline(always)]
fn udp<'a>(ip: &IpView<'a>) -> Result<L4<'a>, Stop> {
    const BAD: Stop = Stop::Malformed(Layer::Udp);
    let h: &[u8; 8] = ip.data.first_chunk().ok_or(BAD)?;
    if ip.data_len < 8 {
        return Err(BAD);
    }
    let udp_len = u32::from(u16::from_be_bytes([h[4], h[5]]));
    let payload_len = if (8..=ip.data_len).contains(&udp_len) {
        udp_len - 8
    } else {
        ip.data_len - 8
    };
    let ports = (
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
    );
    Ok(L4::after(ip, ports, 8, payload_len))
}

/// ICMP/ICMPv6: type and code become the ports; errors record the quoted flow in the walk.
#[inline(always)]
fn icmp<'a>(w: &mut Walk, ip: &IpView<'a>, layer: Layer) -> Result<L4<'a>, Stop> {
    let h: &[u8; 4] = ip.data.first_chunk().ok_or(Stop::Malformed(layer))?;
    if ip.data_len < 8 {
        return Err(Stop::Malformed(layer));
    }
    let (icmp_type, code) = (h[0], h[1]);
    let l4 = L4::after(
        ip,
        (u16::from(icmp_type), u16::from(code)),
        8,
        ip.data_len - 8,
    );
    let quote = match layer {
        Layer::Icmp if icmp::is_v4_error(icmp_type) => icmp::quote_v4(l4.payload),
        Layer::Icmpv6 if icmp::is_v6_error(icmp_type) => icmp::quote_v6(l4.payload),
        _ => return Ok(l4),
    };
    w.icmp_error = true;
    w.quote_truncated = quote.truncated;
    w.quoted = quote.flow;
    Ok(l4)
}

/// SCTP's common header: ports, verification tag, checksum. There is no SCTP layer counter, so
/// an IP payload too short for it is malformed at the IP layer.
#[inline(always)]
fn sctp<'a>(ip: &IpView<'a>) -> Result<L4<'a>, Stop> {
    let bad = Stop::Malformed(ip.layer);
    let h: &[u8; 12] = ip.data.first_chunk().ok_or(bad)?;
    if ip.data_len < 12 {
        return Err(bad);
    }
    let ports = (
        u16::from_be_bytes([h[0], h[1]]),
        u16::from_be_bytes([h[2], h[3]]),
    );
    Ok(L4::after(ip, ports, 12, ip.data_len - 12))
}
