//! RFB version and security-type negotiation (VNC auth, VeNCrypt, ARD, TLS) on arbitrary bytes. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[&cleartext::vnc::VNC];
const PORTS: &[u16] = &[5900];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::TCP, PORTS);
});
