//! LDAP messages, then a flow to 389 over TCP and as CLDAP over UDP (first two bytes: client
//! length).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, ldap};

fuzz_target!(|data: &[u8]| {
    let _ = ldap::op_tag(data);
    let _ = ldap::messages(data);
    let _ = classify_for_fuzzing(data, Transport::TCP, 389);
    let _ = classify_for_fuzzing(data, Transport::UDP, 389);
});
