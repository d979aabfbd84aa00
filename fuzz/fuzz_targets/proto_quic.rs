//! QUIC Initial decryption (header protection, AES-GCM, CRYPTO reassembly, ClientHello), IKE, ESP, WireGuard, OpenVPN and the small infrastructure services, and TFTP, on arbitrary datagrams. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::{cleartext, infra};

const PROBES: &[&dyn Probe] = &[
    &infra::quic::QUIC,
    &infra::vpn::IKE,
    &infra::vpn::ESP_UDP,
    &infra::vpn::WIREGUARD,
    &infra::vpn::OPENVPN,
    &infra::services::NTP,
    &infra::services::SYSLOG,
    &infra::services::SSDP,
    &infra::services::NETFLOW,
    &infra::services::SFLOW,
    &cleartext::tftp::TFTP,
];
const PORTS: &[u16] = &[443, 500, 4500, 51820, 1194, 123, 514, 1900, 2055, 6343, 69];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::UDP, PORTS);
});
