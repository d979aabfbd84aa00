//! Zero-copy decoding of captured frames into a [`Packet`]: the addresses, ports, flags and
//! payload slice the flow table needs, with tunnels peeled off and ICMP errors' quoted headers
//! extracted.
//!
//! Invariants: decoding never panics and never allocates, whatever the bytes; a frame that cannot
//! be decoded is counted (by layer) in [`Decoder::stats`] and yields `None`.
//!
//! Headers are read at fixed offsets from borrowed slices (smoltcp style): every read is a
//! length-checked `first_chunk`/`split_first_chunk` followed by constant indexing into the
//! resulting array, which the compiler checks. etherparse, which validates more than the flow
//! table needs and knows neither MPLS, tunnels, BSD null nor Linux cooked v2, is used by the
//! tests and benchmark as an independent reference instead.
//!
//! Decoding is a loop, not a recursion: each layer returns where to go next (a small value), and
//! the transport result is built once, so nothing large is copied back through the layers
//! (which, through memory, cost more than all the parsing). See `benches/decode.rs`.
//!
//! ```
//! use segscope_wire::{Decoder, linktype};
//!
//! // Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, UDP 53 -> 5353 with 2 payload bytes.
//! let frame = [
//!     0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00, // Ethernet
//!     0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
//!     0, 53, 0x14, 0xe9, 0, 10, 0, 0, // UDP
//!     0xab, 0xcd,
//! ];
//! let mut decoder = Decoder::default();
//! let p = decoder.decode(linktype::ETHERNET, &frame).expect("a UDP packet");
//! assert_eq!((p.src_port, p.dst_port, p.payload), (53, 5353, &[0xab, 0xcd][..]));
//! assert_eq!(decoder.stats().decoded, 1);
//! ```

use std::net::IpAddr;

use segscope_core::Transport;
use segscope_core::flow::{QuotedFlow, TunnelKind};
use segscope_core::stats::DecodeStats;

mod counters;
mod icmp;
mod ip;
mod link;
pub mod linktype;
mod network;
mod outcome;
mod transport;
mod tunnel;
mod walk;

pub use linktype::{SUPPORTED_LINKTYPES, linktype_name};

use counters::Counters;
use outcome::Stop;
use walk::Walk;

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
    /// Tunnels peeled off, outermost first; filled from the front, `None` after the last.
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

/// Decodes frames into [`Packet`]s and counts what it could not decode.
///
/// Every frame handed to [`Decoder::decode`] is counted exactly once in one of three places,
/// so that `frames == decoded + Σ malformed + Σ non_ip` always holds:
/// - `decoded`: an IP packet came out (any IP protocol; fragments and ICMP errors included);
/// - `malformed[layer]`: a header was truncated or invalid (including a tunnel nested deeper
///   than [`MAX_TUNNELS`], counted at the tunnel's layer);
/// - `non_ip[name]`: the frame carries no IP (ARP, LLDP, STP…), or its link type is not
///   supported (`"linktype N (NAME)"`).
///
/// The other counters describe frames, not outcomes, and overlap: `vlan_tagged`,
/// `mpls_labelled` and `tunnelled` count every frame in which a tag, label or well-formed
/// tunnel header was seen (whatever came after it); `first_fragments`, `later_fragments` and
/// `icmp_errors` count decoded packets.
#[derive(Clone, Debug, Default)]
pub struct Decoder {
    counters: Counters,
}

impl Decoder {
    /// A decoder with zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one frame captured with link type `linktype` (see [`SUPPORTED_LINKTYPES`]).
    /// Returns `None`, counted, for frames that are malformed or carry no IP.
    pub fn decode<'a>(&mut self, linktype: u32, frame: &'a [u8]) -> Option<Packet<'a>> {
        let mut walk = Walk::default();
        let result = network::decode(&mut walk, linktype, frame);
        let c = &mut self.counters;
        c.frames += 1;
        c.vlan_tagged += u64::from(walk.tagged);
        c.mpls_labelled += u64::from(walk.labelled);
        for kind in walk.tunnel_kinds() {
            c.count_tunnel(kind);
        }
        match result {
            Ok(found) => {
                c.decoded += 1;
                match walk.fragment {
                    Fragment::None => {}
                    Fragment::First { .. } => c.first_fragments += 1,
                    Fragment::Later { .. } => c.later_fragments += 1,
                }
                c.icmp_errors += u64::from(walk.icmp_error);
                c.quotes_truncated += u64::from(walk.quote_truncated);
                // Tunnels and quotes are rare: copying their (mostly unwritten) storage only
                // when present keeps the common case free of wide reads of narrow writes.
                Some(Packet {
                    src: found.addrs.src(),
                    dst: found.addrs.dst(),
                    transport: found.transport,
                    src_port: found.l4.src_port,
                    dst_port: found.l4.dst_port,
                    vlan: walk.vlan,
                    inner_vlan: walk.inner_vlan,
                    tunnels: if walk.depth == 0 {
                        [None; MAX_TUNNELS]
                    } else {
                        walk.tunnels
                    },
                    ip_len: found.ip_len,
                    payload: found.l4.payload,
                    payload_len: found.l4.payload_len,
                    tcp: found.l4.tcp,
                    fragment: walk.fragment,
                    quoted: if walk.icmp_error { walk.quoted } else { None },
                })
            }
            Err(Stop::Malformed(layer)) => {
                c.count_malformed(layer);
                None
            }
            Err(Stop::NonIp(what)) => {
                c.count_non_ip(what);
                None
            }
        }
    }

    /// The counters so far, as the run statistics report them.
    pub fn stats(&self) -> DecodeStats {
        self.counters.to_stats()
    }
}
