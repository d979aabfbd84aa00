//! Kerberos: the bytes as one DER message, as a TCP record stream and as kpasswd; then as a
//! UDP flow to 88 (first two bytes: client length).
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::enterprise::{classify_for_fuzzing, krb};

fuzz_target!(|data: &[u8]| {
    let mut ex = krb::KerberosExchange::default();
    ex.message(data);
    for record in krb::tcp_records(data) {
        ex.message(record);
    }
    if let Some(inner) = krb::kpasswd_inner(data) {
        ex.message(inner);
    }
    let _ = ex.describe();
    let _ = classify_for_fuzzing(data, Transport::UDP, 88);
});
