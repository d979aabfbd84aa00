//! Key-log parsing (SSLKEYLOGFILE) on arbitrary text: never panics, and an error always names
//! a line of the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope_proto::tls::keylog::KeyLog;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match KeyLog::parse(&text) {
        Ok(log) => assert!(log.sessions() <= text.lines().count()),
        Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count(), "{e}"),
    }
});
