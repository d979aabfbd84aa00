//! One NTLMSSP message (NEGOTIATE, CHALLENGE or AUTHENTICATE).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_proto::enterprise::ntlmssp;

fuzz_target!(|data: &[u8]| {
    if let Some(ntlmssp::NtlmMessage::Authenticate(a)) = ntlmssp::parse(data) {
        let _ = a.version();
    }
});
