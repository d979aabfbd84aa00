//! Where an address sits: inside or outside the organisation, a host or a group, and which
//! address prefix it belongs to when no zone or VLAN says more.

use std::net::IpAddr;

use ipnet::IpNet;
use prefix_trie::joint::map::JointPrefixMap;
use serde::{Deserialize, Serialize};

/// The kind of an address, as the segmentation metrics need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressScope {
    /// RFC 1918, RFC 6598 (100.64/10), IPv6 ULA (fc00::/7) or a configured internal range.
    Internal,
    /// Link-local (169.254/16, fe80::/10): on the same link, so internal too.
    LinkLocal,
    /// Loopback.
    Loopback,
    /// Anything else: the Internet or a partner.
    External,
    /// A multicast group (224/4, ff00::/8): not a workload.
    Multicast,
    /// The limited broadcast address: not a workload.
    Broadcast,
    /// 0.0.0.0 or `::` (DHCP clients before they have an address).
    Unspecified,
}

impl AddressScope {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressScope::Internal => "internal",
            AddressScope::LinkLocal => "link_local",
            AddressScope::Loopback => "loopback",
            AddressScope::External => "external",
            AddressScope::Multicast => "multicast",
            AddressScope::Broadcast => "broadcast",
            AddressScope::Unspecified => "unspecified",
        }
    }

    /// True for addresses of the organisation's own hosts (east-west endpoints).
    pub fn is_internal(self) -> bool {
        matches!(
            self,
            AddressScope::Internal | AddressScope::LinkLocal | AddressScope::Loopback
        )
    }

    /// True for addresses that name a group or nobody, never one host.
    pub fn is_group(self) -> bool {
        matches!(
            self,
            AddressScope::Multicast | AddressScope::Broadcast | AddressScope::Unspecified
        )
    }
}

/// The ranges that are internal by default (ztmm-networks-rubric.md §3.2).
pub const DEFAULT_INTERNAL: [&str; 5] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// The internal address space: the defaults plus configured ranges.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    internal: JointPrefixMap<IpNet, ()>,
}

impl AddressSpace {
    /// The default internal ranges plus `extra`.
    pub fn new(extra: &[IpNet]) -> AddressSpace {
        let mut internal = JointPrefixMap::new();
        for net in DEFAULT_INTERNAL
            .iter()
            .filter_map(|s| s.parse::<IpNet>().ok())
        {
            internal.insert(net, ());
        }
        for net in extra {
            internal.insert(net.trunc(), ());
        }
        AddressSpace { internal }
    }

    /// The scope of `ip`.
    pub fn scope(&self, ip: IpAddr) -> AddressScope {
        if ip.is_unspecified() {
            return AddressScope::Unspecified;
        }
        if ip.is_multicast() {
            return AddressScope::Multicast;
        }
        if ip.is_loopback() {
            return AddressScope::Loopback;
        }
        match ip {
            IpAddr::V4(v4) if v4.is_broadcast() => return AddressScope::Broadcast,
            IpAddr::V4(v4) if v4.is_link_local() => return AddressScope::LinkLocal,
            IpAddr::V6(v6) if v6.is_unicast_link_local() => return AddressScope::LinkLocal,
            _ => {}
        }
        if self.internal.get_lpm(&IpNet::from(ip)).is_some() {
            AddressScope::Internal
        } else {
            AddressScope::External
        }
    }
}

/// The network of `ip` at the given prefix lengths (`10.1.2.3` at /24 is `10.1.2.0/24`).
pub fn prefix_of(ip: IpAddr, v4_len: u8, v6_len: u8) -> IpNet {
    let len = match ip {
        IpAddr::V4(_) => v4_len.min(32),
        IpAddr::V6(_) => v6_len.min(128),
    };
    IpNet::new(ip, len).map_or_else(|_| IpNet::from(ip), |n| n.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn scopes_follow_the_rubric_ranges() {
        let space = AddressSpace::new(&["203.0.113.0/24".parse().expect("net")]);
        assert_eq!(space.scope(ip("10.1.2.3")), AddressScope::Internal);
        assert_eq!(space.scope(ip("172.31.255.1")), AddressScope::Internal);
        assert_eq!(space.scope(ip("172.32.0.1")), AddressScope::External);
        assert_eq!(space.scope(ip("100.64.0.1")), AddressScope::Internal);
        assert_eq!(space.scope(ip("100.128.0.1")), AddressScope::External);
        assert_eq!(space.scope(ip("fd00::1")), AddressScope::Internal);
        assert_eq!(space.scope(ip("2001:db8::1")), AddressScope::External);
        assert_eq!(space.scope(ip("203.0.113.9")), AddressScope::Internal);
        assert_eq!(space.scope(ip("8.8.8.8")), AddressScope::External);
        assert_eq!(space.scope(ip("224.0.0.251")), AddressScope::Multicast);
        assert_eq!(space.scope(ip("ff02::fb")), AddressScope::Multicast);
        assert_eq!(space.scope(ip("255.255.255.255")), AddressScope::Broadcast);
        assert_eq!(space.scope(ip("0.0.0.0")), AddressScope::Unspecified);
        assert_eq!(space.scope(ip("169.254.1.1")), AddressScope::LinkLocal);
        assert_eq!(space.scope(ip("fe80::1")), AddressScope::LinkLocal);
        assert!(AddressScope::LinkLocal.is_internal());
        assert!(!AddressScope::External.is_internal());
    }

    #[test]
    fn prefixes_truncate_to_the_network() {
        assert_eq!(prefix_of(ip("10.1.2.3"), 24, 64).to_string(), "10.1.2.0/24");
        assert_eq!(prefix_of(ip("10.1.2.3"), 16, 64).to_string(), "10.1.0.0/16");
        assert_eq!(
            prefix_of(ip("fd00:1:2:3:4::9"), 24, 64).to_string(),
            "fd00:1:2:3::/64"
        );
        assert_eq!(prefix_of(ip("10.1.2.3"), 40, 64).to_string(), "10.1.2.3/32");
    }
}
