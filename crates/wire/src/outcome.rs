//! Why a frame yields no packet: a malformed header (by layer) or a frame that carries no IP
//! (by what it carries). Both are plain `Copy` values so the per-packet path never allocates;
//! names are rendered only when statistics are read.

use segscope_core::stats::Layer;

use crate::linktype::linktype_name;

/// The reason a frame stopped decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A header was truncated or invalid at this layer.
    Malformed(Layer),
    /// The frame carries something other than IP.
    NonIp(NonIp),
}

/// What a non-IP frame carries. Well-known payloads have a name; anything else is kept by its
/// number in the numbering space where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NonIp {
    /// A payload with a well-known name.
    Named(Named),
    /// An EtherType with no name here.
    EtherType(u16),
    /// A link type the decoder does not support.
    LinkType(u32),
    /// A BSD loopback address family other than IPv4/IPv6.
    NullFamily(u32),
    /// A Linux cooked-capture protocol below 0x0600 (not an EtherType), or a non-Ethernet
    /// hardware type.
    SllProtocol(u16),
    /// A PPP protocol other than IPv4/IPv6 inside PPPoE (LCP, PAP, CHAP, IPCP…).
    PppProtocol(u16),
}

impl NonIp {
    /// The key counted in `DecodeStats::non_ip`.
    pub(crate) fn name(self) -> String {
        match self {
            NonIp::Named(n) => n.as_str().to_owned(),
            NonIp::EtherType(t) => format!("ethertype 0x{t:04x}"),
            NonIp::LinkType(t) => format!("linktype {t} ({})", linktype_name(t)),
            NonIp::NullFamily(af) => format!("null address family {af}"),
            NonIp::SllProtocol(p) => format!("linux cooked protocol 0x{p:04x}"),
            NonIp::PppProtocol(p) => format!("ppp 0x{p:04x}"),
        }
    }
}

macro_rules! named_payloads {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// Non-IP payloads with a well-known name (Wireshark's display-filter names where one
        /// exists).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Named {
            $(#[doc = $doc] $variant,)*
        }

        impl Named {
            /// Every name, indexed by discriminant.
            pub(crate) const ALL: &'static [Named] = &[$(Named::$variant,)*];

            /// How many names there are.
            pub(crate) const COUNT: usize = Self::ALL.len();

            /// The name counted in `DecodeStats::non_ip`.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Named::$variant => $name,)*
                }
            }
        }
    };
}

named_payloads! {
    Arp => "arp", "Address Resolution Protocol (0x0806).";
    Rarp => "rarp", "Reverse ARP (0x8035).";
    Lldp => "lldp", "Link Layer Discovery Protocol (0x88cc).";
    Stp => "stp", "Spanning tree (802.2 LLC DSAP 0x42).";
    Cdp => "cdp", "Cisco Discovery Protocol (SNAP, Cisco OUI, PID 0x2000).";
    Snap => "snap", "Other 802.2 SNAP payloads.";
    Llc => "llc", "Other 802.2 LLC payloads.";
    Ipx => "ipx", "Novell IPX (0x8137, raw 802.3, or LLC DSAP 0xe0).";
    NetBios => "netbios", "NetBIOS over LLC (DSAP 0xf0).";
    Osi => "osi", "OSI network layer over LLC (IS-IS, CLNP: DSAP 0xfe).";
    Eapol => "eapol", "802.1X authentication (0x888e).";
    PppoeDiscovery => "pppoed", "PPPoE discovery (0x8863).";
    Loop => "loop", "Ethernet configuration testing protocol (0x9000).";
    Slow => "slow", "Slow protocols: LACP, marker, OAM (0x8809).";
    MacSec => "macsec", "802.1AE MACsec (0x88e5): the payload is encrypted.";
    Ptp => "ptp", "Precision Time Protocol (0x88f7).";
    WakeOnLan => "wol", "Wake-on-LAN (0x0842).";
    FlowControl => "flow-control", "Ethernet PAUSE and priority flow control (0x8808).";
    AppleTalk => "atalk", "AppleTalk and AARP (0x809b, 0x80f3).";
    Cfm => "cfm", "Connectivity fault management (0x8902).";
    Profinet => "pn_rt", "PROFINET real time (0x8892).";
    HomePlug => "homeplug", "HomePlug AV (0x88e1).";
    Netlink => "netlink", "Linux netlink messages in a cooked capture.";
    MplsPwAch => "pwach", "MPLS pseudowire associated channel (first nibble 1).";
}

/// The name of a well-known non-IP EtherType.
pub(crate) fn ethertype_non_ip(ethertype: u16) -> NonIp {
    NonIp::Named(match ethertype {
        0x0806 => Named::Arp,
        0x8035 => Named::Rarp,
        0x88cc => Named::Lldp,
        0x8137 | 0x8138 => Named::Ipx,
        0x888e => Named::Eapol,
        0x8863 => Named::PppoeDiscovery,
        0x9000 => Named::Loop,
        0x8809 => Named::Slow,
        0x88e5 => Named::MacSec,
        0x88f7 => Named::Ptp,
        0x0842 => Named::WakeOnLan,
        0x8808 => Named::FlowControl,
        0x809b | 0x80f3 => Named::AppleTalk,
        0x8902 => Named::Cfm,
        0x8892 => Named::Profinet,
        0x88e1 => Named::HomePlug,
        other => return NonIp::EtherType(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_all_is_in_discriminant_order() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in Named::ALL.iter().enumerate() {
            assert_eq!(*n as usize, i);
            assert!(seen.insert(n.as_str()), "duplicate {}", n.as_str());
        }
    }

    #[test]
    fn numbered_kinds_render_their_number() {
        assert_eq!(ethertype_non_ip(0x88b5).name(), "ethertype 0x88b5");
        assert_eq!(ethertype_non_ip(0x0806).name(), "arp");
        assert_eq!(NonIp::LinkType(105).name(), "linktype 105 (IEEE802_11)");
        assert_eq!(NonIp::PppProtocol(0xc021).name(), "ppp 0xc021");
    }
}
