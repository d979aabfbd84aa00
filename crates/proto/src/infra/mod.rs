//! The infrastructure family: name services (DNS, mDNS, LLMNR, NetBIOS), address assignment
//! (DHCP, DHCPv6), time, logging, discovery and flow export (NTP, syslog, SSDP, NetFlow/IPFIX,
//! sFlow), and encrypted tunnels without a visible TLS handshake (IKE, ESP, WireGuard,
//! OpenVPN) plus QUIC.
//!
//! Infrastructure protocols return `cleartext_unauthenticated` and the rules' infrastructure
//! list turns them into `not_applicable`; what they contribute is names: every answer or
//! registration that binds a name to an address becomes a
//! [`segscope_core::NameObservation`].

pub mod dhcp;
pub mod dns;
pub mod nbns;
pub mod quic;
pub mod services;
pub mod vpn;

use crate::probe::Probe;

/// The infra family's probes: exact signatures first, then DNS-format messages (NBNS before
/// DNS, whose format it shares), then the services recognised by shorter headers.
pub(crate) static PROBES: &[&dyn Probe] = &[
    &vpn::ESP_IP,
    &quic::QUIC,
    &vpn::WIREGUARD,
    &vpn::IKE,
    &vpn::ESP_UDP,
    &vpn::OPENVPN,
    &dhcp::DHCP,
    &dhcp::DHCPV6,
    &nbns::NBNS,
    &nbns::NETBIOS_DGM,
    &dns::MDNS,
    &dns::LLMNR,
    &dns::DNS,
    &services::NETFLOW,
    &services::SSDP,
    &services::NTP,
    &services::SFLOW,
    &services::SYSLOG,
];
