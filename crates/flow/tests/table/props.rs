//! Properties over random packet sequences.

use proptest::prelude::*;

use segscope_core::{ConnState, Transport};

use crate::support::{Pkt, cfg, one, run};
use crate::synth;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary sequences never panic, and every packet is accounted for exactly once.
    #[test]
    fn random_sequences_account_for_every_packet(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let run = synth::drive(&data, synth::tiny_config());
        if let Err(e) = synth::check(&run) {
            prop_assert!(false, "{}", e);
        }
    }

    /// The same with a roomy table (no eviction, no payload cap).
    #[test]
    fn random_sequences_roomy(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let cfg = segscope_flow::FlowConfig { max_flows: 10_000, ..cfg() };
        let run = synth::drive(&data, cfg);
        if let Err(e) = synth::check(&run) {
            prop_assert!(false, "{}", e);
        }
    }

    /// A packet and its reverse belong to one flow, whatever the addresses and ports.
    #[test]
    fn key_is_symmetric(a in any::<[u8; 4]>(), b in any::<[u8; 4]>(), pa in any::<u16>(), pb in any::<u16>(), kind in 0u8..3, v6 in any::<bool>()) {
        let addr = |o: [u8; 4]| if v6 {
            format!("2001:db8::{:x}:{:x}", u16::from_be_bytes([o[0], o[1]]), u16::from_be_bytes([o[2], o[3]]))
        } else {
            format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])
        };
        let (sa, sb) = (addr(a), addr(b));
        let p = match kind {
            0 => Pkt::tcp(&sa, pa, &sb, pb, crate::support::ACK, 1, 1),
            1 => Pkt::udp(&sa, pa, &sb, pb, b"x"),
            _ => Pkt::icmp(&sa, &sb, if v6 { 128 } else { 8 }, 0),
        };
        let r = if kind == 2 {
            Pkt::icmp(&sb, &sa, if v6 { 129 } else { 0 }, 0)
        } else {
            p.reversed()
        };
        let (records, _, _) = run(cfg(), &[(0.0, p), (0.1, r)]);
        let rec = one(&records);
        prop_assert_eq!(rec.packets(), 2);
        if rec.transport != Transport::TCP && rec.client.ip != rec.server.ip {
            prop_assert_eq!(rec.state, ConnState::SF);
        }
    }
}

/// The fuzz target's seed corpus, replayed on stable with the same checks.
#[test]
fn fuzz_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/flow_table");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIP: {} not found", dir.display());
        return;
    };
    let mut replayed = 0;
    for entry in entries.flatten() {
        let data = std::fs::read(entry.path()).unwrap_or_default();
        let run = synth::drive(&data, synth::tiny_config());
        if let Err(e) = synth::check(&run) {
            panic!("{}: {e}", entry.path().display());
        }
        replayed += 1;
    }
    assert!(replayed > 0);
}
