//! HTTP/1.x (httparse heads, bodies, chunked encoding, forms, JSON, Authorization schemes, WinRM, Elasticsearch) and HTTP/2 frames with HPACK on arbitrary bytes. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[&cleartext::http::HTTP, &cleartext::http::HTTP2];
const PORTS: &[u16] = &[80, 5985, 9200, 443];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::TCP, PORTS);
});
