//! The simulated network: subnets (VLANs, QinQ, a VXLAN overlay, a GRE-attached branch), hosts
//! with MAC, IPv4 and optional IPv6 ULA addresses, and the services they offer; and the headers
//! a flow between two hosts carries at the capture point.
//!
//! The capture point is the client's side: the client's access trunk for routed traffic (so a
//! flow carries the client subnet's VLAN tags), the underlay for overlay and branch traffic (so
//! the flow is seen inside VXLAN or GRE).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::Transport;
use segscope_core::flow::{Tunnel, TunnelKind};

use crate::packet::{Encap, IpHdr, L2, Mac, VlanTags};
use crate::rng::{Rng, splitmix64};

/// How a subnet reaches the capture point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// Directly, on a (possibly tagged) Ethernet segment.
    Local,
    /// Through a VXLAN overlay: hosts sit behind VTEPs; traffic to hosts elsewhere goes through
    /// the border VTEP.
    Vxlan {
        /// VXLAN network identifier.
        vni: u32,
        /// Border VTEP (the overlay's gateway to the rest of the network).
        border: Ipv4Addr,
    },
    /// Through a GRE tunnel between the subnet's router and the data-centre router.
    Gre {
        /// The subnet's tunnel endpoint.
        local: Ipv4Addr,
        /// The data-centre tunnel endpoint.
        remote: Ipv4Addr,
        /// GRE key, if the tunnel uses one.
        key: Option<u32>,
    },
}

/// One IP subnet / VLAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    /// Short name (`users-a`, `dc-web`…).
    pub name: String,
    /// IPv4 network address.
    pub v4_net: Ipv4Addr,
    /// IPv4 prefix length.
    pub v4_len: u8,
    /// IPv6 ULA /64 prefix, for dual-stack subnets.
    pub v6_net: Option<Ipv6Addr>,
    /// VLAN tags on the access trunk.
    pub tags: VlanTags,
    /// How the subnet reaches the capture point.
    pub attachment: Attachment,
    /// The default gateway's MAC address (a VRRP virtual MAC).
    pub gateway_mac: Mac,
}

/// What a server runs on a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// HTTP/1.1 web server.
    Http,
    /// DNS resolver.
    Dns,
    /// NTP server.
    Ntp,
    /// Syslog collector.
    Syslog,
    /// A database (small queries, larger result sets).
    Database,
    /// A file server (bulk reads and writes).
    FileServer,
    /// An internal RPC service (small exchanges).
    Rpc,
}

/// One listening service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// Transport.
    pub transport: Transport,
    /// Port.
    pub port: u16,
    /// What it is.
    pub kind: ServiceKind,
}

/// One host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Fully qualified name (what DNS answers for).
    pub name: String,
    /// Index into [`Network::subnets`].
    pub subnet: usize,
    /// MAC address.
    pub mac: Mac,
    /// IPv4 address.
    pub v4: Ipv4Addr,
    /// IPv6 ULA address (SLAAC, EUI-64 from the MAC), on dual-stack subnets.
    pub v6: Option<Ipv6Addr>,
    /// Initial TTL of its packets (64: Linux, 128: Windows).
    pub ttl: u8,
    /// The VTEP in front of it, for overlay hosts.
    pub vtep: Option<Ipv4Addr>,
    /// Services it offers (empty for clients).
    pub services: Vec<Service>,
}

impl Host {
    /// The address of the requested family, if the host has one.
    pub fn addr(&self, v6: bool) -> Option<IpAddr> {
        if v6 {
            self.v6.map(IpAddr::V6)
        } else {
            Some(IpAddr::V4(self.v4))
        }
    }

    /// The first service of a kind.
    pub fn service(&self, kind: ServiceKind) -> Option<&Service> {
        self.services.iter().find(|s| s.kind == kind)
    }
}

/// The tunnel a flow travels in, as the ground truth records it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowTunnel {
    /// Kind, outer addresses (of the client-to-server direction) and VNI or key.
    #[serde(flatten)]
    pub tunnel: Tunnel,
    /// Outer UDP source port (VXLAN). Each VTEP sends with this source port to port 4789, so
    /// a reader counting UDP conversations sees one outer conversation per direction that
    /// carried packets.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub outer_udp_src_port: Option<u16>,
}

/// The headers of one direction of a flow at the capture point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirPath {
    /// (Inner) Ethernet header.
    pub l2: L2,
    /// Tunnel.
    pub encap: Encap,
    /// (Inner) IP header; `id` is advanced per packet by the simulator.
    pub ip: IpHdr,
}

/// Both directions of a flow, and what they imply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowPath {
    /// Client to server.
    pub c2s: DirPath,
    /// Server to client.
    pub s2c: DirPath,
    /// Largest TCP payload per segment.
    pub mss: u16,
    /// Largest inner IP packet.
    pub mtu: usize,
    /// VLAN tags seen (none inside tunnels).
    pub tags: VlanTags,
    /// Tunnel, if any.
    pub tunnel: Option<FlowTunnel>,
}

/// Hosts and subnets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    /// DNS domain of all hosts.
    pub domain: String,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Hosts; servers are those with services.
    pub hosts: Vec<Host>,
}

fn vtep_mac(ip: Ipv4Addr) -> Mac {
    let o = ip.octets();
    [0x00, 0x1B, 0x21, o[1], o[2], o[3]]
}

fn eui64(prefix: Ipv6Addr, mac: Mac) -> Ipv6Addr {
    let p = prefix.segments();
    let iid = [
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xFF]),
        u16::from_be_bytes([0xFE, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    ];
    Ipv6Addr::new(p[0], p[1], p[2], p[3], iid[0], iid[1], iid[2], iid[3])
}

impl Network {
    /// An empty network in `domain`.
    pub fn new(domain: &str) -> Network {
        Network {
            domain: domain.to_string(),
            ..Network::default()
        }
    }

    /// Adds a subnet; returns its index. The gateway MAC is the VRRP virtual MAC of group
    /// `index + 1`.
    pub fn add_subnet(
        &mut self,
        name: &str,
        v4: (Ipv4Addr, u8),
        v6_net: Option<Ipv6Addr>,
        tags: VlanTags,
        attachment: Attachment,
    ) -> usize {
        let index = self.subnets.len();
        self.subnets.push(Subnet {
            name: name.to_string(),
            v4_net: v4.0,
            v4_len: v4.1,
            v6_net,
            tags,
            attachment,
            gateway_mac: [0x00, 0x00, 0x5E, 0x00, 0x01, (index + 1) as u8],
        });
        index
    }

    /// Adds a host named `name` in the network's domain, with the `n`-th address of `subnet` (counting from .10 so that gateways
    /// keep the low addresses); returns its index. `oui` is the vendor part of its MAC.
    pub fn add_host(
        &mut self,
        name: &str,
        subnet: usize,
        n: u32,
        oui: [u8; 3],
        ttl: u8,
        services: Vec<Service>,
    ) -> usize {
        let index = self.hosts.len();
        let Some(net) = self.subnets.get(subnet) else {
            return index;
        };
        let v4 = Ipv4Addr::from(u32::from(net.v4_net) + 10 + n);
        let h = splitmix64(u64::from(u32::from(v4))).to_be_bytes();
        let mac = [oui[0], oui[1], oui[2], h[0], h[1], h[2]];
        let v6 = net.v6_net.map(|p| eui64(p, mac));
        let fqdn = format!("{name}.{}", self.domain);
        self.hosts.push(Host {
            name: fqdn,
            subnet,
            mac,
            v4,
            v6,
            ttl,
            vtep: None,
            services,
        });
        index
    }

    /// Places an overlay host behind a VTEP.
    pub fn set_vtep(&mut self, host: usize, vtep: Ipv4Addr) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.vtep = Some(vtep);
        }
    }

    /// Indices of the hosts offering a service of `kind`.
    pub fn servers_of(&self, kind: ServiceKind) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|&i| self.hosts[i].service(kind).is_some())
            .collect()
    }

    /// The headers of a flow from `client` to `server` over IPv6 (`v6`) or IPv4, or `None` when
    /// a host lacks an address of that family or an index is out of range. `ports` (the flow's
    /// ports, or the ICMP echo identifier) choose the VXLAN source port; IP ids start at random
    /// values.
    pub fn path(
        &self,
        client: usize,
        server: usize,
        v6: bool,
        ports: (u16, u16),
        rng: &mut Rng,
    ) -> Option<FlowPath> {
        let c = self.hosts.get(client)?;
        let s = self.hosts.get(server)?;
        let cn = self.subnets.get(c.subnet)?;
        let sn = self.subnets.get(s.subnet)?;
        let (cip, sip) = (c.addr(v6)?, s.addr(v6)?);
        let same = c.subnet == s.subnet;
        let routed_ttl = if same { 0 } else { 1 };
        let c2s_l2 = L2 {
            src: c.mac,
            dst: if same { s.mac } else { cn.gateway_mac },
            tags: cn.tags,
        };
        let s2c_l2 = L2 {
            src: if same { s.mac } else { cn.gateway_mac },
            dst: c.mac,
            tags: cn.tags,
        };
        let c2s_ip = IpHdr {
            src: cip,
            dst: sip,
            ttl: c.ttl,
            id: rng.next_u16(),
            df: true,
        };
        let s2c_ip = IpHdr {
            src: sip,
            dst: cip,
            ttl: s.ttl - routed_ttl,
            id: rng.next_u16(),
            df: true,
        };
        let base_mtu = 1500usize;
        let ip_hdr = if v6 { 40 } else { 20 };
        let mut path = FlowPath {
            c2s: DirPath {
                l2: c2s_l2,
                encap: Encap::None,
                ip: c2s_ip,
            },
            s2c: DirPath {
                l2: s2c_l2,
                encap: Encap::None,
                ip: s2c_ip,
            },
            mss: (base_mtu - ip_hdr - 20) as u16,
            mtu: base_mtu,
            tags: cn.tags,
            tunnel: None,
        };
        let overlay = |n: &Subnet, h: &Host| match n.attachment {
            Attachment::Vxlan { vni, border } => Some((vni, h.vtep.unwrap_or(border), border)),
            _ => None,
        };
        let gre = |n: &Subnet| match n.attachment {
            Attachment::Gre { local, remote, key } => Some((local, remote, key)),
            _ => None,
        };
        if let Some((vni, outer_c, outer_s)) = match (overlay(cn, c), overlay(sn, s)) {
            (Some((vni, cv, _)), Some((_, sv, _))) => Some((vni, cv, sv)),
            (Some((vni, cv, border)), None) => Some((vni, cv, border)),
            (None, Some((vni, sv, border))) => Some((vni, border, sv)),
            (None, None) => None,
        } {
            let sport =
                49152 + (splitmix64(u64::from(ports.0) << 16 | u64::from(ports.1)) % 16384) as u16;
            let outer = |src: Ipv4Addr, dst: Ipv4Addr, rng: &mut Rng| {
                (
                    L2 {
                        src: vtep_mac(src),
                        dst: vtep_mac(dst),
                        tags: VlanTags::None,
                    },
                    IpHdr {
                        src: IpAddr::V4(src),
                        dst: IpAddr::V4(dst),
                        ttl: 64,
                        id: rng.next_u16(),
                        df: true,
                    },
                )
            };
            let (l2a, ipa) = outer(outer_c, outer_s, rng);
            let (l2b, ipb) = outer(outer_s, outer_c, rng);
            path.c2s.encap = Encap::Vxlan {
                outer_l2: l2a,
                outer_ip: ipa,
                sport,
                vni,
            };
            path.s2c.encap = Encap::Vxlan {
                outer_l2: l2b,
                outer_ip: ipb,
                sport,
                vni,
            };
            // Inside the overlay the inner frames are untagged; the inner MTU shrinks by 50.
            path.c2s.l2.tags = VlanTags::None;
            path.s2c.l2.tags = VlanTags::None;
            path.tags = VlanTags::None;
            path.mtu = base_mtu - 50;
            path.tunnel = Some(FlowTunnel {
                tunnel: Tunnel {
                    kind: TunnelKind::Vxlan,
                    outer_src: IpAddr::V4(outer_c),
                    outer_dst: IpAddr::V4(outer_s),
                    id: Some(vni),
                },
                outer_udp_src_port: Some(sport),
            });
        } else if let Some((local, remote, key)) =
            gre(cn).or_else(|| gre(sn).map(|(l, r, k)| (r, l, k)))
        {
            let outer = |src: Ipv4Addr, dst: Ipv4Addr, rng: &mut Rng| {
                (
                    L2 {
                        src: vtep_mac(src),
                        dst: vtep_mac(dst),
                        tags: VlanTags::None,
                    },
                    IpHdr {
                        src: IpAddr::V4(src),
                        dst: IpAddr::V4(dst),
                        ttl: 255,
                        id: rng.next_u16(),
                        df: false,
                    },
                )
            };
            let (l2a, ipa) = outer(local, remote, rng);
            let (l2b, ipb) = outer(remote, local, rng);
            path.c2s.encap = Encap::Gre {
                outer_l2: l2a,
                outer_ip: ipa,
                key,
            };
            path.s2c.encap = Encap::Gre {
                outer_l2: l2b,
                outer_ip: ipb,
                key,
            };
            path.tags = VlanTags::None;
            path.mtu = base_mtu - 24 - if key.is_some() { 4 } else { 0 };
            path.tunnel = Some(FlowTunnel {
                tunnel: Tunnel {
                    kind: TunnelKind::Gre,
                    outer_src: IpAddr::V4(local),
                    outer_dst: IpAddr::V4(remote),
                    id: key,
                },
                outer_udp_src_port: None,
            });
        }
        path.mss = (path.mtu - ip_hdr - 20) as u16;
        Some(path)
    }
}

/// Vendor prefixes for MAC addresses.
pub mod oui {
    /// VMware virtual NICs (data-centre VMs).
    pub const VMWARE: [u8; 3] = [0x00, 0x50, 0x56];
    /// Dell (desktops).
    pub const DELL: [u8; 3] = [0xF4, 0x8E, 0x38];
    /// Intel wireless (laptops).
    pub const INTEL: [u8; 3] = [0x3C, 0x6A, 0xA7];
    /// Docker containers (overlay).
    pub const DOCKER: [u8; 3] = [0x02, 0x42, 0xAC];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_subnets() -> Network {
        let mut n = Network::new("corp.example");
        let a = n.add_subnet(
            "users",
            (Ipv4Addr::new(10, 10, 0, 0), 20),
            Some(Ipv6Addr::new(0xfd00, 0, 0, 0x10, 0, 0, 0, 0)),
            VlanTags::Dot1q(10),
            Attachment::Local,
        );
        let b = n.add_subnet(
            "branch",
            (Ipv4Addr::new(172, 16, 50, 0), 22),
            None,
            VlanTags::None,
            Attachment::Gre {
                local: Ipv4Addr::new(172, 31, 255, 1),
                remote: Ipv4Addr::new(172, 31, 255, 2),
                key: Some(50),
            },
        );
        n.add_host("ws1", a, 0, oui::DELL, 128, vec![]);
        n.add_host("ws2", a, 1, oui::DELL, 64, vec![]);
        n.add_host("br1", b, 0, oui::DELL, 64, vec![]);
        n
    }

    #[test]
    fn eui64_flips_the_universal_bit() {
        let a = eui64(
            Ipv6Addr::new(0xfd00, 0, 0, 0x10, 0, 0, 0, 0),
            [0x00, 0x50, 0x56, 0xAB, 0xCD, 0xEF],
        );
        assert_eq!(
            a,
            "fd00:0:0:10:250:56ff:feab:cdef"
                .parse::<Ipv6Addr>()
                .expect("literal")
        );
    }

    #[test]
    fn same_subnet_uses_host_macs_and_routed_uses_gateway_and_gre() {
        let n = two_subnets();
        let mut rng = Rng::new(1);
        let p = n.path(0, 1, false, (40000, 80), &mut rng).expect("path");
        assert_eq!(p.c2s.l2.dst, n.hosts[1].mac);
        assert_eq!(p.tags, VlanTags::Dot1q(10));
        assert_eq!(p.s2c.ip.ttl, 64, "same subnet: no hop");
        assert_eq!(p.mss, 1460);
        assert!(
            n.path(0, 2, true, (40000, 80), &mut rng).is_none(),
            "branch has no v6"
        );
        let g = n.path(2, 0, false, (40000, 80), &mut rng).expect("path");
        let t = g.tunnel.expect("gre");
        assert_eq!(t.tunnel.kind, TunnelKind::Gre);
        assert_eq!(
            t.tunnel.outer_src,
            IpAddr::V4(Ipv4Addr::new(172, 31, 255, 1))
        );
        assert_eq!(g.mss, 1500 - 28 - 40);
        assert_eq!(g.s2c.ip.ttl, 127, "routed: one hop from the Windows host");
    }
}
