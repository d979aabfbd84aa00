//! The decode loop: link layers hand over to IP, IP either hands a tunnel's payload back to a
//! link or IP layer, or ends at the transport.
//!
//! Each layer returns a small [`Next`] (where to go and the bytes to go there with) instead of
//! calling the next layer. Decoding is therefore a loop, not a recursion, and the transport
//! result is built in exactly one place, so it never has to be copied back up through the
//! layers: that copy, through memory, was most of the decode time.

use segscope_core::flow::TunnelKind;
use segscope_core::stats::Layer;

use crate::ip::{self, IpView};
use crate::outcome::Stop;
use crate::transport::{self, Found};
use crate::tunnel::{self, Decap, Inner};
use crate::walk::Walk;
use crate::{Fragment, TunnelHop, link};

/// The layer a header hands its payload to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hop {
    /// An Ethernet II or IEEE 802.3 frame.
    Ethernet,
    /// An MPLS label stack.
    Mpls,
    /// An IPv4 packet.
    Ipv4,
    /// An IPv6 packet.
    Ipv6,
    /// IPv4 or IPv6 by the version nibble (raw-IP link types); anything else is malformed at
    /// the link layer.
    IpByVersion,
}

/// Where decoding goes next, and with which bytes. A plain struct of word-sized fields, so that
/// it stays in registers between layers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Next<'a> {
    pub(crate) hop: Hop,
    pub(crate) bytes: &'a [u8],
}

impl<'a> Next<'a> {
    pub(crate) fn to(hop: Hop, bytes: &'a [u8]) -> Result<Next<'a>, Stop> {
        Ok(Next { hop, bytes })
    }
}

/// Decodes a frame down to its innermost transport. Every step consumes at least one header,
/// so the loop ends with the bytes.
#[inline(always)]
pub(crate) fn decode<'a>(w: &mut Walk, linktype: u32, frame: &'a [u8]) -> Result<Found<'a>, Stop> {
    let mut next = link::frame(w, linktype, frame)?;
    loop {
        let bytes = next.bytes;
        let ip = match next.hop {
            Hop::Ethernet => {
                next = link::ethernet(w, bytes)?;
                continue;
            }
            Hop::Mpls => {
                next = link::mpls(w, bytes)?;
                continue;
            }
            Hop::Ipv4 => ip::ipv4(bytes).map_err(Stop::Malformed)?,
            Hop::Ipv6 => ip::ipv6(bytes).map_err(Stop::Malformed)?,
            Hop::IpByVersion => match bytes.first().map(|b| b >> 4) {
                Some(4) => ip::ipv4(bytes).map_err(Stop::Malformed)?,
                Some(6) => ip::ipv6(bytes).map_err(Stop::Malformed)?,
                _ => return Err(Stop::Malformed(Layer::Link)),
            },
        };
        // A fragment of a tunnel packet holds only part of the inner packet: the outer packet
        // is the packet, and the flow table pairs its fragments by id.
        if ip.fragment == Fragment::None
            && let Some(decap) = tunnel_header(&ip)
        {
            next = decapsulate(w, &ip, decap)?;
            continue;
        }
        return transport::transport(w, ip);
    }
}

/// Records a tunnel level (refused past [`crate::MAX_TUNNELS`]) and says where its payload
/// goes.
#[inline(always)]
fn decapsulate<'a>(w: &mut Walk, ip: &IpView<'a>, decap: Decap<'a>) -> Result<Next<'a>, Stop> {
    let layer = match decap.kind {
        TunnelKind::Gre | TunnelKind::Erspan => Layer::Gre,
        TunnelKind::Vxlan => Layer::Vxlan,
        TunnelKind::Geneve => Layer::Geneve,
        TunnelKind::IpInIp | TunnelKind::Other => ip.layer,
    };
    let hop = TunnelHop {
        kind: decap.kind,
        outer_src: ip.addrs.src(),
        outer_dst: ip.addrs.dst(),
        id: decap.id,
    };
    w.push_tunnel(hop, layer)?;
    let next = match decap.inner {
        Inner::Ethernet => Hop::Ethernet,
        Inner::Ipv4 => Hop::Ipv4,
        Inner::Ipv6 => Hop::Ipv6,
        Inner::Mpls => Hop::Mpls,
    };
    Next::to(next, decap.bytes)
}

/// A well-formed tunnel header in this IP packet's payload, if there is one.
#[inline(always)]
fn tunnel_header<'a>(ip: &IpView<'a>) -> Option<Decap<'a>> {
    match ip.proto {
        4 | 41 => {
            let (want, inner) = if ip.proto == 4 {
                (4, Inner::Ipv4)
            } else {
                (6, Inner::Ipv6)
            };
            (ip.data.first()? >> 4 == want).then_some(Decap {
                kind: TunnelKind::IpInIp,
                id: None,
                inner,
                bytes: ip.data,
            })
        }
        47 => tunnel::gre(ip.data),
        17 => {
            let (h, body) = ip.data.split_first_chunk::<8>()?;
            let dst_port = u16::from_be_bytes([h[2], h[3]]);
            if tunnel::VXLAN_PORTS.contains(&dst_port) {
                tunnel::vxlan(body)
            } else if dst_port == tunnel::GENEVE_PORT {
                tunnel::geneve(body)
            } else {
                None
            }
        }
        _ => None,
    }
}
