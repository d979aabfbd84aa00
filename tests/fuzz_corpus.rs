//! Replays the decoder and protocol fuzz corpora (`fuzz/corpus/`) on stable, so every input
//! fuzzing found interesting stays a regression test without nightly: no input may panic, and
//! the decoder's counters must account for every frame. (The capture-reader and flow-table
//! corpora are replayed by their own crates' tests.)

use std::path::{Path, PathBuf};

use segscope_core::Transport;
use segscope_proto::enterprise::classify_for_fuzzing;
use segscope_wire::{Decoder, SUPPORTED_LINKTYPES};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("read corpus file");
            (e.path(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// The `wire_decode` target: the first byte picks the link type, the rest is the frame.
#[test]
fn wire_corpus_decodes_without_panic_and_counts_every_frame() {
    let files = corpus("wire_decode");
    assert!(files.len() >= 20, "wire corpus present");
    let mut decoded = 0;
    for (path, data) in &files {
        let Some((&pick, frame)) = data.split_first() else {
            continue;
        };
        let linktype = SUPPORTED_LINKTYPES[usize::from(pick) % SUPPORTED_LINKTYPES.len()];
        let mut decoder = Decoder::new();
        if let Some(p) = decoder.decode(linktype, frame) {
            assert!(
                p.payload.len() as u64 <= u64::from(p.payload_len),
                "{}",
                path.display()
            );
            decoded += 1;
        }
        let s = decoder.stats();
        let malformed: u64 = s.malformed.values().sum();
        let non_ip: u64 = s.non_ip.values().sum();
        assert_eq!(
            (s.frames, s.decoded + malformed + non_ip),
            (1, 1),
            "{}",
            path.display()
        );
    }
    assert!(decoded > 0, "some seeds are valid frames");
}

/// Every protocol corpus through the whole classifier, as TCP and as UDP, on the ports its
/// target drives and on an unrelated one (probing must not depend on the port).
#[test]
fn protocol_corpora_classify_without_panic() {
    let targets: &[(&str, &[u16])] = &[
        ("proto_db", &[5432, 3306, 1433, 27017, 6379, 11211]),
        ("proto_dcerpc", &[135]),
        ("proto_dhcp", &[67, 547]),
        ("proto_dns", &[53, 5353, 137]),
        ("proto_gss", &[445, 389]),
        ("proto_http", &[80, 443]),
        ("proto_kerberos", &[88]),
        ("proto_ldap", &[389]),
        ("proto_mqtt", &[1883]),
        ("proto_ntlmssp", &[445]),
        ("proto_quic", &[443, 123, 500]),
        ("proto_rdp", &[3389]),
        ("proto_smb", &[445]),
        ("proto_snmp", &[161]),
        ("proto_ssh", &[22]),
        ("proto_text", &[21, 23, 25, 110, 143]),
        ("proto_tls", &[443, 8443]),
        ("proto_vnc", &[5900]),
    ];
    let mut replayed = 0;
    for (target, ports) in targets {
        let files = corpus(target);
        assert!(!files.is_empty(), "{target}: corpus present");
        for (_, data) in &files {
            for &port in ports.iter().chain([&40_000]) {
                for transport in [Transport::TCP, Transport::UDP] {
                    classify_for_fuzzing(data, transport, port);
                    replayed += 1;
                }
            }
        }
    }
    eprintln!("replayed {replayed} classifications");
}
