//! SNMP v1/v2c/v3 (snmp-parser and the lenient BER fallback) on arbitrary datagrams. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[&cleartext::snmp::SNMP];
const PORTS: &[u16] = &[161, 162];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::UDP, PORTS);
});
