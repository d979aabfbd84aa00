//! The simulated enterprise: user VLANs (one dual-stack, one QinQ tenant), a Wi-Fi VLAN, a
//! branch office behind a GRE tunnel, data-centre VLANs for infrastructure, web, application and
//! data servers, and a VXLAN container overlay. Both the bench and flows workloads run on it;
//! only the number of client hosts changes.

use std::net::{Ipv4Addr, Ipv6Addr};

use segscope_core::Transport;

use crate::packet::VlanTags;
use crate::topology::{Attachment, Network, Service, ServiceKind, oui};

/// Port of the database service (PostgreSQL's).
pub const DB_PORT: u16 = 5432;
/// Port of the file service.
pub const FILE_PORT: u16 = 2049;
/// Port of the internal RPC service.
pub const RPC_PORT: u16 = 9000;

/// The network and who plays which role in it.
#[derive(Clone, Debug)]
pub struct Enterprise {
    /// Hosts and subnets.
    pub net: Network,
    /// Client hosts (workstations, laptops, branch PCs, containers).
    pub clients: Vec<usize>,
}

fn svc(transport: Transport, port: u16, kind: ServiceKind) -> Service {
    Service {
        transport,
        port,
        kind,
    }
}

fn ula(subnet: u16) -> Option<Ipv6Addr> {
    Some(Ipv6Addr::new(0xfd00, 0x5e6, 0x5c0, subnet, 0, 0, 0, 0))
}

impl Enterprise {
    /// The enterprise with `clients` client hosts spread over the user subnets and the overlay.
    pub fn new(clients: usize) -> Enterprise {
        let mut net = Network::new("corp.example");
        let users_a = net.add_subnet(
            "users-a",
            (Ipv4Addr::new(10, 10, 0, 0), 18),
            ula(0x10),
            VlanTags::Dot1q(10),
            Attachment::Local,
        );
        let users_b = net.add_subnet(
            "users-b",
            (Ipv4Addr::new(10, 11, 0, 0), 18),
            None,
            VlanTags::Dot1q(11),
            Attachment::Local,
        );
        let wifi = net.add_subnet(
            "wifi",
            (Ipv4Addr::new(10, 20, 0, 0), 18),
            ula(0x20),
            VlanTags::Dot1q(20),
            Attachment::Local,
        );
        let tenant = net.add_subnet(
            "tenant",
            (Ipv4Addr::new(10, 30, 0, 0), 20),
            None,
            VlanTags::QinQ {
                outer: 300,
                inner: 31,
            },
            Attachment::Local,
        );
        let branch = net.add_subnet(
            "branch",
            (Ipv4Addr::new(172, 16, 64, 0), 18),
            None,
            VlanTags::None,
            Attachment::Gre {
                local: Ipv4Addr::new(172, 31, 255, 1),
                remote: Ipv4Addr::new(172, 31, 255, 2),
                key: Some(50),
            },
        );
        let infra = net.add_subnet(
            "infra",
            (Ipv4Addr::new(10, 100, 0, 0), 24),
            ula(0x100),
            VlanTags::Dot1q(100),
            Attachment::Local,
        );
        let web = net.add_subnet(
            "dc-web",
            (Ipv4Addr::new(10, 100, 1, 0), 24),
            ula(0x101),
            VlanTags::Dot1q(101),
            Attachment::Local,
        );
        let app = net.add_subnet(
            "dc-app",
            (Ipv4Addr::new(10, 100, 2, 0), 24),
            None,
            VlanTags::Dot1q(102),
            Attachment::Local,
        );
        let data = net.add_subnet(
            "dc-data",
            (Ipv4Addr::new(10, 100, 3, 0), 24),
            ula(0x103),
            VlanTags::Dot1q(103),
            Attachment::Local,
        );
        let overlay = net.add_subnet(
            "overlay",
            (Ipv4Addr::new(10, 200, 0, 0), 18),
            None,
            VlanTags::None,
            Attachment::Vxlan {
                vni: 5001,
                border: Ipv4Addr::new(10, 255, 0, 1),
            },
        );

        use ServiceKind::*;
        use Transport as T;
        for i in 0..2 {
            net.add_host(
                &format!("ns{}", i + 1),
                infra,
                i,
                oui::VMWARE,
                64,
                vec![svc(T::UDP, 53, Dns)],
            );
        }
        net.add_host(
            "ntp1",
            infra,
            2,
            oui::VMWARE,
            64,
            vec![svc(T::UDP, 123, Ntp)],
        );
        net.add_host(
            "log1",
            infra,
            3,
            oui::VMWARE,
            64,
            vec![svc(T::UDP, 514, Syslog)],
        );
        for i in 0..12 {
            net.add_host(
                &format!("web{:02}", i + 1),
                web,
                i,
                oui::VMWARE,
                64,
                vec![svc(T::TCP, 80, Http)],
            );
        }
        for i in 0..16 {
            net.add_host(
                &format!("app{:02}", i + 1),
                app,
                i,
                oui::VMWARE,
                if i % 4 == 0 { 128 } else { 64 },
                vec![svc(T::TCP, RPC_PORT, Rpc), svc(T::TCP, 8080, Http)],
            );
        }
        for i in 0..6 {
            net.add_host(
                &format!("db{:02}", i + 1),
                data,
                i,
                oui::VMWARE,
                64,
                vec![svc(T::TCP, DB_PORT, Database)],
            );
        }
        for i in 0..4 {
            net.add_host(
                &format!("files{:02}", i + 1),
                data,
                10 + i,
                oui::VMWARE,
                64,
                vec![svc(T::TCP, FILE_PORT, FileServer)],
            );
        }
        let vteps = [
            Ipv4Addr::new(10, 255, 0, 11),
            Ipv4Addr::new(10, 255, 0, 12),
            Ipv4Addr::new(10, 255, 0, 13),
            Ipv4Addr::new(10, 255, 0, 14),
        ];
        for i in 0..4u32 {
            let h = net.add_host(
                &format!("svc{:02}.k8s", i + 1),
                overlay,
                i,
                oui::DOCKER,
                64,
                vec![svc(T::TCP, 8080, Http), svc(T::TCP, RPC_PORT, Rpc)],
            );
            net.set_vtep(h, vteps[(i % 2) as usize]);
        }

        // Clients: 42% users-a, 22% users-b, 17% wifi, 8% tenant, 5% branch, 6% overlay.
        let plan = [
            (users_a, 42u32, oui::DELL, "ws"),
            (users_b, 22, oui::DELL, "pc"),
            (wifi, 17, oui::INTEL, "lt"),
            (tenant, 8, oui::VMWARE, "tn"),
            (branch, 5, oui::DELL, "br"),
            (overlay, 6, oui::DOCKER, "pod"),
        ];
        let mut out = Vec::with_capacity(clients);
        for (k, &(subnet, share, vendor, prefix)) in plan.iter().enumerate() {
            let n = if k + 1 == plan.len() {
                clients.saturating_sub(out.len())
            } else {
                clients * share as usize / 100
            };
            for i in 0..n as u32 {
                // Overlay clients start after the overlay servers' addresses.
                let offset = if subnet == overlay { 100 } else { 0 };
                let ttl = if prefix == "ws" && i % 3 != 0 {
                    128
                } else {
                    64
                };
                let h = net.add_host(
                    &format!("{prefix}{:05}", i + 1),
                    subnet,
                    offset + i,
                    vendor,
                    ttl,
                    vec![],
                );
                if subnet == overlay {
                    net.set_vtep(h, vteps[2 + (i % 2) as usize]);
                }
                out.push(h);
            }
        }
        Enterprise { net, clients: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_unique_and_inside_their_subnets() {
        let e = Enterprise::new(4000);
        assert_eq!(e.clients.len(), 4000);
        let mut v4: Vec<_> = e.net.hosts.iter().map(|h| h.v4).collect();
        v4.sort();
        v4.dedup();
        assert_eq!(v4.len(), e.net.hosts.len());
        for h in &e.net.hosts {
            let s = &e.net.subnets[h.subnet];
            let mask = u32::MAX << (32 - s.v4_len);
            assert_eq!(u32::from(h.v4) & mask, u32::from(s.v4_net), "{}", h.name);
        }
    }
}
