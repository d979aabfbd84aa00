//! MQTT CONNECT/CONNACK (3.1, 3.1.1, 5 with properties) on arbitrary bytes. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[&cleartext::mqtt::MQTT];
const PORTS: &[u16] = &[1883];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::TCP, PORTS);
});
