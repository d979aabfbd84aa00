//! SSH identification and KEXINIT, then a flow to 22 (first two bytes: client length).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, ssh};

fuzz_target!(|data: &[u8]| {
    if let Some(id) = ssh::identification(data) {
        let _ = data.get(id.end..).map(ssh::kexinit);
    }
    let _ = ssh::kexinit(data);
    let _ = classify_for_fuzzing(data, Transport::TCP, 22);
});
