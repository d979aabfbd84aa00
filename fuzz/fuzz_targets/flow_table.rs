//! Drives a flow table with a tiny flow cap, payload budget and fragment map through the
//! synthetic packets that the fuzz input encodes (see `crates/flow/tests/table/synth.rs`), and
//! checks the accounting invariants: never a panic, every packet counted exactly once, nothing
//! left open or retained after the flush.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/flow/tests/table/synth.rs"]
mod synth;

fuzz_target!(|data: &[u8]| {
    let run = synth::drive(data, synth::tiny_config());
    if let Err(violation) = synth::check(&run) {
        panic!("{violation}");
    }
});
