//! RDP X.224 Connection Request/Confirm, then a flow to 3389 (first two bytes: client length).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, rdp};

fuzz_target!(|data: &[u8]| {
    let _ = rdp::parse_request(data);
    let _ = rdp::parse_confirm(data);
    let _ = rdp::is_rdpeudp_syn(data);
    let _ = classify_for_fuzzing(data, Transport::TCP, 3389);
});
