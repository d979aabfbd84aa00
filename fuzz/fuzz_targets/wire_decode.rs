//! The frame decoder on arbitrary bytes: the first byte picks a supported link type (modulo the
//! list's length), the rest is the frame. Decoding must never panic, the payload must be a
//! slice no longer than the headers say, and every frame must be counted exactly once.

#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope_wire::{Decoder, SUPPORTED_LINKTYPES};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let linktype = SUPPORTED_LINKTYPES[usize::from(pick) % SUPPORTED_LINKTYPES.len()];
    let mut decoder = Decoder::new();
    if let Some(p) = decoder.decode(linktype, frame) {
        assert!(p.payload.len() as u64 <= u64::from(p.payload_len));
        assert!(p.tunnel_hops().count() <= segscope_wire::MAX_TUNNELS);
    }
    let s = decoder.stats();
    let malformed: u64 = s.malformed.values().sum();
    let non_ip: u64 = s.non_ip.values().sum();
    assert_eq!(s.frames, 1);
    assert_eq!(s.frames, s.decoded + malformed + non_ip);
});
