//! Connection-oriented DCE-RPC PDUs, then a flow to 135 (first two bytes: client length).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, dcerpc};

fuzz_target!(|data: &[u8]| {
    for pdu in dcerpc::pdus(data) {
        let _ = dcerpc::bind_interfaces(&pdu);
    }
    let _ = classify_for_fuzzing(data, Transport::TCP, 135);
});
