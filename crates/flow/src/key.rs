//! The canonical bidirectional flow key and the stable flow id derived from it.
//!
//! Both directions of a conversation map to one key: the two endpoints are stored in a fixed
//! order (lower address/port first). The key also carries the flow's scope: outer and inner VLAN
//! and the tunnel realm (kind and id of the innermost tunnel), so that overlapping tenant address
//! spaces in different VXLAN VNIs or GRE keys stay different flows.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::Transport;
use segscope_core::flow::TunnelKind;
use sha1::{Digest, Sha1};

use segscope_wire::Packet;

const TAG_V6: u8 = 1;
const TAG_VLAN: u8 = 1 << 1;
const TAG_INNER_VLAN: u8 = 1 << 2;
const TAG_REALM_ID: u8 = 1 << 3;
const REALM_KIND_SHIFT: u8 = 4;

/// Where a flow lives besides its addresses: VLAN tags and tunnel realm. Copied from the first
/// packet; every packet of a flow has the same scope by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Scope {
    pub(crate) vlan: Option<u16>,
    pub(crate) inner_vlan: Option<u16>,
    /// Innermost tunnel kind, and its id when the id names a network (a VXLAN or GENEVE VNI:
    /// overlapping tenant address spaces). GRE keys and ERSPAN session ids are left out: they
    /// may differ per direction (each end of a GRE tunnel, each mirror session), and would
    /// split one conversation in two.
    pub(crate) realm: Option<(TunnelKind, Option<u32>)>,
}

impl Scope {
    /// The scope of a decoded packet.
    pub(crate) fn of(pkt: &Packet<'_>) -> Scope {
        Scope {
            vlan: pkt.vlan,
            inner_vlan: pkt.inner_vlan,
            realm: pkt.tunnel_hops().last().map(|hop| match hop.kind {
                TunnelKind::Vxlan | TunnelKind::Geneve => (hop.kind, hop.id),
                _ => (hop.kind, None),
            }),
        }
    }
}

fn kind_code(kind: TunnelKind) -> u8 {
    match kind {
        TunnelKind::Gre => 1,
        TunnelKind::Erspan => 2,
        TunnelKind::Vxlan => 3,
        TunnelKind::Geneve => 4,
        TunnelKind::IpInIp => 5,
        TunnelKind::Other => 6,
    }
}

/// One side of a key: an address in IPv6 form (IPv4 mapped) and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Side {
    ip: [u8; 16],
    port: u16,
}

/// The canonical key (48 bytes). `lo` is the endpoint that sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FlowKey {
    lo_ip: [u8; 16],
    hi_ip: [u8; 16],
    lo_port: u16,
    hi_port: u16,
    vlan: u16,
    inner_vlan: u16,
    realm_id: u32,
    transport: u8,
    tags: u8,
}

impl FlowKey {
    /// Builds the key of a packet from `src` to `dst` (ports already mapped for ICMP). Returns the
    /// key and whether `src` is the key's `lo` side.
    pub(crate) fn new(
        scope: Scope,
        transport: Transport,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
    ) -> (FlowKey, bool) {
        let a = Side {
            ip: v6_octets(src.0),
            port: src.1,
        };
        let b = Side {
            ip: v6_octets(dst.0),
            port: dst.1,
        };
        let src_is_lo = a <= b;
        let (lo, hi) = if src_is_lo { (a, b) } else { (b, a) };
        let mut tags = if src.0.is_ipv6() { TAG_V6 } else { 0 };
        if scope.vlan.is_some() {
            tags |= TAG_VLAN;
        }
        if scope.inner_vlan.is_some() {
            tags |= TAG_INNER_VLAN;
        }
        let mut realm_id = 0;
        if let Some((kind, id)) = scope.realm {
            tags |= kind_code(kind) << REALM_KIND_SHIFT;
            if let Some(id) = id {
                tags |= TAG_REALM_ID;
                realm_id = id;
            }
        }
        let key = FlowKey {
            lo_ip: lo.ip,
            hi_ip: hi.ip,
            lo_port: lo.port,
            hi_port: hi.port,
            vlan: scope.vlan.unwrap_or(0),
            inner_vlan: scope.inner_vlan.unwrap_or(0),
            realm_id,
            transport: transport.0,
            tags,
        };
        (key, src_is_lo)
    }

    /// The IP protocol.
    pub(crate) fn transport(&self) -> Transport {
        Transport(self.transport)
    }

    /// The `lo` endpoint (true) or the `hi` endpoint (false) as address and port.
    pub(crate) fn endpoint(&self, lo: bool) -> (IpAddr, u16) {
        let (ip, port) = if lo {
            (self.lo_ip, self.lo_port)
        } else {
            (self.hi_ip, self.hi_port)
        };
        (self.ip(ip), port)
    }

    fn ip(&self, octets: [u8; 16]) -> IpAddr {
        let v6 = Ipv6Addr::from(octets);
        if self.tags & TAG_V6 != 0 {
            IpAddr::V6(v6)
        } else {
            let [.., a, b, c, d] = octets;
            IpAddr::V4(Ipv4Addr::new(a, b, c, d))
        }
    }

    /// Outer VLAN.
    pub(crate) fn vlan(&self) -> Option<u16> {
        (self.tags & TAG_VLAN != 0).then_some(self.vlan)
    }

    /// Inner VLAN.
    pub(crate) fn inner_vlan(&self) -> Option<u16> {
        (self.tags & TAG_INNER_VLAN != 0).then_some(self.inner_vlan)
    }

    /// The stable flow id: the first 8 bytes (big-endian) of
    /// SHA-1(`"segscope-flow-id/1"` ‖ canonical key bytes ‖ first packet time as i64 ns, big-endian).
    /// The canonical key bytes are: tags, transport, lo address (16 bytes, IPv4 mapped), lo port,
    /// hi address, hi port, outer VLAN, inner VLAN (u16 each) and realm id (u32), integers
    /// big-endian. It depends only on the packets, never on a random seed, the machine or the
    /// number of shards.
    pub(crate) fn flow_id(&self, first_ts: i64) -> u64 {
        let mut h = Sha1::new();
        h.update(b"segscope-flow-id/1");
        h.update([self.tags, self.transport]);
        h.update(self.lo_ip);
        h.update(self.lo_port.to_be_bytes());
        h.update(self.hi_ip);
        h.update(self.hi_port.to_be_bytes());
        h.update(self.vlan.to_be_bytes());
        h.update(self.inner_vlan.to_be_bytes());
        h.update(self.realm_id.to_be_bytes());
        h.update(first_ts.to_be_bytes());
        let digest = h.finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(id)
    }

    /// A total order independent of hashing, used to make output order deterministic.
    pub(crate) fn sort_key(&self) -> impl Ord + use<> {
        (
            self.lo_ip,
            self.lo_port,
            self.hi_ip,
            self.hi_port,
            self.transport,
            self.tags,
            self.vlan,
            self.inner_vlan,
            self.realm_id,
        )
    }
}

fn v6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The request type that `icmp_type` answers, for the paired ICMP messages of the Community ID
/// specification (echo, timestamp, information, address mask, router and neighbor discovery,
/// multicast listener, node information).
fn icmp_request_of_reply(transport: Transport, icmp_type: u8) -> Option<u8> {
    if transport == Transport::ICMP {
        match icmp_type {
            0 => Some(8),
            14 => Some(13),
            16 => Some(15),
            18 => Some(17),
            9 => Some(10),
            _ => None,
        }
    } else {
        match icmp_type {
            129 => Some(128),
            134 => Some(133),
            136 => Some(135),
            131 => Some(130),
            145 => Some(144),
            147 => Some(146),
            _ => None,
        }
    }
}

/// The reply type that answers request `icmp_type`.
fn icmp_reply_of_request(transport: Transport, icmp_type: u8) -> Option<u8> {
    if transport == Transport::ICMP {
        match icmp_type {
            8 => Some(0),
            13 => Some(14),
            15 => Some(16),
            17 => Some(18),
            10 => Some(9),
            _ => None,
        }
    } else {
        match icmp_type {
            128 => Some(129),
            133 => Some(134),
            135 => Some(136),
            130 => Some(131),
            144 => Some(145),
            146 => Some(147),
            _ => None,
        }
    }
}

/// How an ICMP message keys: paired messages give the request sender the request type and the
/// other side the reply type (so request and reply share a key, as in the Community ID
/// specification); other messages give the sender the type and the receiver the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IcmpPorts {
    /// Key port of the packet's source.
    pub(crate) src: u16,
    /// Key port of the packet's destination.
    pub(crate) dst: u16,
    /// The message is a reply (its destination sent the request).
    pub(crate) is_reply: bool,
}

/// Maps an ICMP type and code to key ports.
pub(crate) fn icmp_ports(transport: Transport, icmp_type: u8, icmp_code: u8) -> IcmpPorts {
    if let Some(reply) = icmp_reply_of_request(transport, icmp_type) {
        IcmpPorts {
            src: u16::from(icmp_type),
            dst: u16::from(reply),
            is_reply: false,
        }
    } else if let Some(request) = icmp_request_of_reply(transport, icmp_type) {
        IcmpPorts {
            src: u16::from(icmp_type),
            dst: u16::from(request),
            is_reply: true,
        }
    } else {
        IcmpPorts {
            src: u16::from(icmp_type),
            dst: u16::from(icmp_code),
            is_reply: false,
        }
    }
}

/// The key ports of a packet: real ports for TCP/UDP/SCTP, mapped type/code for ICMP, zero for
/// transports without ports.
pub(crate) fn key_ports(pkt: &Packet<'_>) -> (u16, u16) {
    let t = pkt.transport;
    if t.is_icmp() {
        let p = icmp_ports(t, pkt.src_port as u8, pkt.dst_port as u8);
        (p.src, p.dst)
    } else if t.has_ports() {
        (pkt.src_port, pkt.dst_port)
    } else {
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn both_directions_share_a_key() {
        let scope = Scope::default();
        let (k1, lo1) = FlowKey::new(
            scope,
            Transport::TCP,
            (ip("10.0.0.2"), 40000),
            (ip("10.0.0.1"), 80),
        );
        let (k2, lo2) = FlowKey::new(
            scope,
            Transport::TCP,
            (ip("10.0.0.1"), 80),
            (ip("10.0.0.2"), 40000),
        );
        assert_eq!(k1, k2);
        assert_ne!(lo1, lo2);
        assert_eq!(k1.endpoint(true), (ip("10.0.0.1"), 80));
        assert_eq!(k1.endpoint(false), (ip("10.0.0.2"), 40000));
    }

    #[test]
    fn scope_separates_flows_and_round_trips() {
        let a = (ip("192.168.1.1"), 1234);
        let b = (ip("192.168.1.2"), 53);
        let plain = FlowKey::new(Scope::default(), Transport::UDP, a, b).0;
        let vni_1 = Scope {
            realm: Some((TunnelKind::Vxlan, Some(1))),
            ..Scope::default()
        };
        let vni_2 = Scope {
            realm: Some((TunnelKind::Vxlan, Some(2))),
            ..Scope::default()
        };
        let vlan = Scope {
            vlan: Some(0),
            inner_vlan: Some(7),
            ..Scope::default()
        };
        let k1 = FlowKey::new(vni_1, Transport::UDP, a, b).0;
        let k2 = FlowKey::new(vni_2, Transport::UDP, a, b).0;
        let k3 = FlowKey::new(vlan, Transport::UDP, a, b).0;
        assert_ne!(plain, k1);
        assert_ne!(k1, k2);
        assert_ne!(plain, k3);
        assert_eq!(k3.vlan(), Some(0));
        assert_eq!(plain.vlan(), None);
    }

    #[test]
    fn ipv4_and_mapped_ipv6_differ() {
        let v4 = FlowKey::new(
            Scope::default(),
            Transport::UDP,
            (ip("1.2.3.4"), 1),
            (ip("5.6.7.8"), 2),
        )
        .0;
        let v6 = FlowKey::new(
            Scope::default(),
            Transport::UDP,
            (ip("::ffff:1.2.3.4"), 1),
            (ip("::ffff:5.6.7.8"), 2),
        )
        .0;
        assert_ne!(v4, v6);
        assert_eq!(v4.endpoint(true).0, ip("1.2.3.4"));
        assert_eq!(v6.endpoint(true).0, ip("::ffff:1.2.3.4"));
    }

    #[test]
    fn echo_request_and_reply_share_ports() {
        let req = icmp_ports(Transport::ICMP, 8, 0);
        let rep = icmp_ports(Transport::ICMP, 0, 0);
        assert_eq!((req.src, req.dst, req.is_reply), (8, 0, false));
        assert_eq!((rep.src, rep.dst, rep.is_reply), (0, 8, true));
        let v6req = icmp_ports(Transport::ICMPV6, 128, 0);
        let v6rep = icmp_ports(Transport::ICMPV6, 129, 0);
        assert_eq!((v6req.src, v6req.dst), (128, 129));
        assert_eq!((v6rep.src, v6rep.dst), (129, 128));
        let unreachable = icmp_ports(Transport::ICMP, 3, 13);
        assert_eq!((unreachable.src, unreachable.dst), (3, 13));
    }

    #[test]
    fn flow_id_is_fixed() {
        let k = FlowKey::new(
            Scope::default(),
            Transport::TCP,
            (ip("10.0.0.1"), 1),
            (ip("10.0.0.2"), 2),
        )
        .0;
        // Stable across runs and machines: no seed is involved.
        assert_eq!(k.flow_id(5), k.flow_id(5));
        assert_ne!(k.flow_id(5), k.flow_id(6));
    }
}
