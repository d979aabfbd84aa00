//! Zero-copy decoding of captured frames into a [`Packet`]: the addresses, ports, flags and
//! payload slice the flow table needs, with tunnels peeled off and ICMP errors' quoted headers
//! extracted.
//!
//! Invariants: decoding never panics and never allocates, whatever the bytes; a frame that cannot
//! be decoded is counted (by layer) in [`Decoder::stats`] and yields `None`.

use std::net::IpAddr;

use segscope_core::Transport;
use segscope_core::flow::{QuotedFlow, TunnelKind};

/// TCP flag bits, as in the TCP header's flags byte.
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
}

/// The TCP header fields the flow table uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags byte (see [`tcp_flags`]).
    pub flags: u8,
    /// Advertised window (unscaled).
    pub window: u16,
}

/// Where this packet stands in IP fragmentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fragment {
    /// Not fragmented.
    #[default]
    None,
    /// First fragment (offset 0, more fragments follow): carries the transport header.
    First {
        /// IPv4 identification or IPv6 fragment identification.
        id: u32,
    },
    /// A later fragment: no transport header; ports are 0 and `payload` is fragment data.
    Later {
        /// IPv4 identification or IPv6 fragment identification.
        id: u32,
    },
}

/// One level of encapsulation that was peeled off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelHop {
    /// Encapsulation type.
    pub kind: TunnelKind,
    /// Outer source address.
    pub outer_src: IpAddr,
    /// Outer destination address.
    pub outer_dst: IpAddr,
    /// VNI, GRE key or ERSPAN session id.
    pub id: Option<u32>,
}

/// The most tunnel levels decoded; deeper nesting is counted as malformed at the tunnel layer.
pub const MAX_TUNNELS: usize = 3;

/// A decoded packet, borrowing the frame it came from.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Source address of the innermost IP header.
    pub src: IpAddr,
    /// Destination address of the innermost IP header.
    pub dst: IpAddr,
    /// Innermost transport protocol.
    pub transport: Transport,
    /// Source port (ICMP/ICMPv6: type).
    pub src_port: u16,
    /// Destination port (ICMP/ICMPv6: code).
    pub dst_port: u16,
    /// Outer VLAN id (of the innermost Ethernet frame that carried the IP packet).
    pub vlan: Option<u16>,
    /// Inner VLAN id of a QinQ stack.
    pub inner_vlan: Option<u16>,
    /// Tunnels peeled off, outermost first; only the first `tunnel_count` entries are valid.
    pub tunnels: [Option<TunnelHop>; MAX_TUNNELS],
    /// IP total length from the innermost IP header (IPv6: payload length + 40).
    pub ip_len: u32,
    /// Transport payload as captured (may be shorter than `payload_len` under a snaplen).
    pub payload: &'a [u8],
    /// Transport payload length according to the headers.
    pub payload_len: u32,
    /// TCP header fields (all zero for other transports).
    pub tcp: TcpInfo,
    /// Fragmentation.
    pub fragment: Fragment,
    /// For ICMP/ICMPv6 error messages: the five-tuple of the packet the error quotes.
    pub quoted: Option<QuotedFlow>,
}

impl Packet<'_> {
    /// The tunnels peeled off, outermost first.
    pub fn tunnel_hops(&self) -> impl Iterator<Item = &TunnelHop> {
        self.tunnels.iter().map_while(Option::as_ref)
    }
}
