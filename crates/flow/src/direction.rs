//! Who opened a flow: the client/server decision for a flow's first packet.
//!
//! - TCP SYN: the sender is the client.
//! - TCP SYN-ACK: the receiver is the client (the SYN was missed); Zeek marks such a flip with
//!   `^` in the history, and so does segscope.
//! - Midstream TCP, UDP and other transports with ports: the side on the ephemeral port is the
//!   client. A port is a *service port* when it is below 1024 or in [`SERVICE_PORTS`]. When only
//!   the source uses a service port the packet is a reply and the roles flip; when both do, the
//!   lower port is the server (Zeek's rule for midstream TCP); otherwise the sender is the client.
//!   These choices set `direction_inferred`.
//! - DNS (UDP port 53, mDNS 5353, LLMNR 5355) where the ports do not tell (both are service
//!   ports, as in server-to-server DNS from port 53 to port 53): the header's QR bit says whether
//!   the first packet is a query or a response. This is the flow table's only look into a
//!   payload; Zeek's DNS analyzer flips roles the same way (its baseline for `dns53.pcap`, a lone
//!   response from port 53 to port 53, names the querier as originator).
//! - ICMP: the sender of a request (echo, timestamp…) is the client; a reply seen first flips.
//! - A broadcast or multicast address is never made the client: it cannot have opened anything
//!   (this keeps a DHCP server's broadcast offer from becoming a flow "opened" by 255.255.255.255,
//!   as in Zeek's output for `dhcp-dhcp.pcap`).

use std::net::IpAddr;

use segscope_core::Transport;
use segscope_wire::{Packet, tcp_flags};

use crate::key::icmp_ports;

/// Registered service ports at or above 1024 that are commonly servers. Sorted.
pub const SERVICE_PORTS: [u16; 52] = [
    1080, 1194, 1433, 1434, 1521, 1645, 1646, 1701, 1723, 1812, 1813, 1883, 2049, 2181, 2375, 2376,
    2379, 2380, 3128, 3268, 3269, 3306, 3389, 3478, 4500, 4789, 5060, 5061, 5222, 5269, 5353, 5355,
    5432, 5671, 5672, 5900, 5985, 5986, 6081, 6379, 6443, 6514, 6667, 8000, 8008, 8080, 8443, 8883,
    9092, 9200, 11211, 27017,
];

/// True for ports that identify a server: below 1024 or listed in [`SERVICE_PORTS`].
pub fn is_service_port(port: u16) -> bool {
    port < 1024 || SERVICE_PORTS.binary_search(&port).is_ok()
}

/// How the first packet of a flow orients it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Orientation {
    /// The packet's source is the client.
    pub(crate) src_is_client: bool,
    /// The choice came from ports or message order rather than a handshake.
    pub(crate) inferred: bool,
    /// The first packet came from the server (Zeek's `^`).
    pub(crate) flipped: bool,
}

fn can_be_client(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_broadcast() || v4.is_multicast()),
        IpAddr::V6(v6) => !v6.is_multicast(),
    }
}

/// Orients a new flow from its first packet.
pub(crate) fn orient(pkt: &Packet<'_>) -> Orientation {
    let t = pkt.transport;
    let (flip, inferred) = if t == Transport::TCP {
        let flags = pkt.tcp.flags;
        let syn = flags & tcp_flags::SYN != 0;
        let ack = flags & tcp_flags::ACK != 0;
        match (syn, ack) {
            (true, false) => (false, false),
            (true, true) => (true, false),
            _ => (ports_say_flip(pkt.src_port, pkt.dst_port), true),
        }
    } else if t.is_icmp() {
        let reply = icmp_ports(t, pkt.src_port as u8, pkt.dst_port as u8).is_reply;
        (reply, reply)
    } else if t.has_ports() {
        let one_service_port = is_service_port(pkt.src_port) != is_service_port(pkt.dst_port);
        match dns_reply(pkt) {
            Some(reply) if !one_service_port => (reply, true),
            _ => (ports_say_flip(pkt.src_port, pkt.dst_port), true),
        }
    } else {
        (false, true)
    };
    let flip = flip && can_be_client(pkt.dst);
    Orientation {
        src_is_client: !flip,
        inferred,
        flipped: flip,
    }
}

/// For a UDP packet to or from a DNS port carrying at least a DNS header: whether it is a
/// response (QR bit set).
fn dns_reply(pkt: &Packet<'_>) -> Option<bool> {
    const DNS_PORTS: [u16; 3] = [53, 5353, 5355];
    if pkt.transport != Transport::UDP
        || !(DNS_PORTS.contains(&pkt.src_port) || DNS_PORTS.contains(&pkt.dst_port))
        || pkt.payload.len() < 12
    {
        return None;
    }
    pkt.payload.get(2).map(|flags| flags & 0x80 != 0)
}

/// True when a packet from `src_port` to `dst_port` looks like a server's answer.
fn ports_say_flip(src_port: u16, dst_port: u16) -> bool {
    match (is_service_port(src_port), is_service_port(dst_port)) {
        (true, false) => true,
        (true, true) => src_port < dst_port,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ports_are_sorted_and_above_1023() {
        assert!(SERVICE_PORTS.windows(2).all(|w| w[0] < w[1]));
        assert!(SERVICE_PORTS.iter().all(|&p| p >= 1024));
        assert!(is_service_port(443));
        assert!(is_service_port(3389));
        assert!(!is_service_port(49152));
        assert!(!is_service_port(3000));
    }

    #[test]
    fn port_rule() {
        assert!(ports_say_flip(53, 50000));
        assert!(!ports_say_flip(50000, 53));
        assert!(ports_say_flip(67, 68));
        assert!(!ports_say_flip(68, 67));
        assert!(!ports_say_flip(123, 123));
        assert!(!ports_say_flip(40000, 50000));
    }
}
