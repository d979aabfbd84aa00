//! DNS-format messages (DNS, mDNS, LLMNR, NBNS with name compression) and NetBIOS datagrams on arbitrary datagrams. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::infra;

const PROBES: &[&dyn Probe] = &[
    &infra::dns::DNS,
    &infra::dns::MDNS,
    &infra::dns::LLMNR,
    &infra::nbns::NBNS,
    &infra::nbns::NETBIOS_DGM,
];
const PORTS: &[u16] = &[53, 5353, 5355, 137, 138, 40000];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::UDP, PORTS);
});
