//! Community ID flow hashing, version 1 (<https://github.com/corelight/community-id-spec>).
//!
//! The same value appears in Zeek's `conn.log` and Suricata's EVE output, so an assessor can
//! join segscope's evidence with those tools' logs.

use std::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::flow::Transport;

/// Maps an ICMP type to the type of its counterpart message, if it has one (spec table), so that
/// request and reply hash alike. Returns `(port_a, port_b, one_way)`.
fn icmp_ports(transport: Transport, icmp_type: u8, icmp_code: u8) -> (u16, u16, bool) {
    let counterpart = if transport == Transport::ICMP {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    } else {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            131 => Some(130),
            144 => Some(145),
            145 => Some(144),
            146 => Some(147),
            147 => Some(146),
            _ => None,
        }
    };
    match counterpart {
        Some(other) => (icmp_type as u16, other, false),
        None => (icmp_type as u16, icmp_code as u16, true),
    }
}

/// Computes the Community ID (`1:<base64>`) of a flow as seen from its first packet's source and
/// destination. For ICMP, pass type and code as `src_port` and `dst_port`.
pub fn community_id_v1(
    seed: u16,
    src: IpAddr,
    dst: IpAddr,
    transport: Transport,
    src_port: u16,
    dst_port: u16,
) -> String {
    let (mut sp, mut dp, one_way) = if transport.is_icmp() {
        icmp_ports(transport, src_port as u8, dst_port as u8)
    } else {
        (src_port, dst_port, false)
    };
    let (mut a, mut b) = (src, dst);
    // Order the endpoints so that both directions hash alike; one-way ICMP keeps its order.
    let swap = !one_way && (a > b || (a == b && sp > dp));
    if swap {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut sp, &mut dp);
    }
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            h.update(a.octets());
            h.update(b.octets());
        }
        _ => {
            h.update(to_v6(a).octets());
            h.update(to_v6(b).octets());
        }
    }
    h.update([transport.0, 0]);
    if transport.has_ports() || transport.is_icmp() {
        h.update(sp.to_be_bytes());
        h.update(dp.to_be_bytes());
    }
    let digest = h.finalize();
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn to_v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with the reference Python implementation
    // (`pip install communityid`, `CommunityID().calc(FlowTuple.make_tcp(...))`, seed 0).
    #[test]
    fn matches_spec_baseline_tcp_udp() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("test address");
        assert_eq!(
            community_id_v1(
                0,
                ip("128.232.110.120"),
                ip("66.35.250.204"),
                Transport::TCP,
                34855,
                80
            ),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            community_id_v1(
                0,
                ip("66.35.250.204"),
                ip("128.232.110.120"),
                Transport::TCP,
                80,
                34855
            ),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            community_id_v1(
                0,
                ip("192.168.1.52"),
                ip("8.8.8.8"),
                Transport::UDP,
                54585,
                53
            ),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
        assert_eq!(
            community_id_v1(
                0,
                ip("fe80::200:86ff:fe05:80da"),
                ip("fe80::260:97ff:fe07:69ea"),
                Transport::ICMPV6,
                135,
                0
            ),
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
        );
        assert_eq!(
            community_id_v1(
                0,
                ip("192.168.0.89"),
                ip("192.168.0.1"),
                Transport::ICMP,
                8,
                0
            ),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
        );
    }
}
