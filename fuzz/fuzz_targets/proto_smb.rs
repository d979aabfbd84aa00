//! SMB 1/2/3 over NBSS: the stream parser on raw bytes, then the probe and analysis on a flow
//! (first two bytes: client length; client bytes; server bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, smb};

fuzz_target!(|data: &[u8]| {
    let mut conv = smb::SmbConversation::default();
    conv.client(data);
    conv.server(data);
    let _ = (conv.trees(), conv.pipes());
    let _ = classify_for_fuzzing(data, Transport::TCP, 445);
});
