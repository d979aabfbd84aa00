//! DHCP and DHCPv6 options and host-name bindings on arbitrary datagrams. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::infra;

const PROBES: &[&dyn Probe] = &[&infra::dhcp::DHCP, &infra::dhcp::DHCPV6];
const PORTS: &[u16] = &[67, 68, 547, 546];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::UDP, PORTS);
});
