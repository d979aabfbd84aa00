//! Link-layer header types (the `LINKTYPE_*` values of pcap and pcapng files, and the `DLT_*`
//! values libpcap hands back for them) and their names, so that the capture reader and the CLI
//! can reject an unsupported capture with a message naming its link type.

/// BSD loopback: a 4-byte address family in the writer's byte order.
pub const NULL: u32 = 0;
/// Ethernet II and IEEE 802.3.
pub const ETHERNET: u32 = 1;
/// Raw IP as `DLT_RAW` on most systems.
pub const RAW_DLT12: u32 = 12;
/// Raw IP as `DLT_RAW` on OpenBSD.
pub const RAW_DLT14: u32 = 14;
/// Raw IP (`LINKTYPE_RAW`): IPv4 or IPv6 by the version nibble.
pub const RAW: u32 = 101;
/// OpenBSD loopback: a 4-byte address family in network byte order.
pub const LOOP: u32 = 108;
/// Linux cooked capture v1 (`any` device, 16-byte header).
pub const LINUX_SLL: u32 = 113;
/// Raw IPv4 only.
pub const IPV4: u32 = 228;
/// Raw IPv6 only.
pub const IPV6: u32 = 229;
/// Linux cooked capture v2 (20-byte header with interface index).
pub const LINUX_SLL2: u32 = 276;

/// Every link type [`crate::Decoder::decode`] understands.
pub const SUPPORTED_LINKTYPES: &[u32] = &[
    NULL, ETHERNET, RAW_DLT12, RAW_DLT14, RAW, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2,
];

/// The libpcap name of a link type (`EN10MB`, `LINUX_SLL2`, `IEEE802_11_RADIOTAP`…), or
/// `"unknown"`. Covers the supported types and the unsupported ones people meet most, so an error
/// can say "link type 127 (IEEE802_11_RADIOTAP) is not supported" rather than a bare number.
pub fn linktype_name(linktype: u32) -> &'static str {
    match linktype {
        NULL => "NULL",
        ETHERNET => "EN10MB",
        3 => "AX25",
        6 => "IEEE802_5",
        7 => "ARCNET_BSD",
        8 => "SLIP",
        9 => "PPP",
        10 => "FDDI",
        RAW_DLT12 | RAW_DLT14 | RAW => "RAW",
        50 => "PPP_HDLC",
        51 => "PPP_ETHER",
        100 => "ATM_RFC1483",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        LOOP => "LOOP",
        LINUX_SLL => "LINUX_SLL",
        119 => "PRISM_HEADER",
        127 => "IEEE802_11_RADIOTAP",
        143 => "DOCSIS",
        147..=162 => "USER",
        163 => "IEEE802_11_AVS",
        187 => "BLUETOOTH_HCI_H4",
        189 => "USB_LINUX",
        192 => "PPI",
        195 => "IEEE802_15_4_WITHFCS",
        197 => "ERF",
        201 => "BLUETOOTH_HCI_H4_WITH_PHDR",
        204 => "PPP_WITH_DIR",
        215 => "IEEE802_15_4_NONASK_PHY",
        220 => "USB_LINUX_MMAPPED",
        IPV4 => "IPV4",
        IPV6 => "IPV6",
        249 => "USBPCAP",
        253 => "NETLINK",
        263 => "NFLOG",
        LINUX_SLL2 => "LINUX_SLL2",
        274 => "ETHERNET_MPACKET",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_type_has_a_name() {
        for &lt in SUPPORTED_LINKTYPES {
            assert_ne!(linktype_name(lt), "unknown", "link type {lt}");
        }
        assert_eq!(linktype_name(127), "IEEE802_11_RADIOTAP");
        assert_eq!(linktype_name(65_000), "unknown");
    }
}
