//! Replays the `capture_reader` fuzz corpus on stable (seeds plus inputs fuzzing found
//! interesting): no input may panic, and each seed's outcome is pinned.

mod common;

use std::io::Cursor;
use std::path::PathBuf;

use common::{Trickle, read_inputs};
use segscope_capture::{InputSpec, ReadOptions};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/capture_reader");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).expect("read corpus file");
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_never_panics_whole_or_piped() {
    let files = corpus();
    assert!(files.len() >= 11, "seed corpus present");
    let small = ReadOptions {
        chunk_size: 4096,
        batch_frames: 3,
        ..ReadOptions::default()
    };
    for (name, bytes) in &files {
        let whole = read_inputs(
            vec![InputSpec::reader(name.clone(), Cursor::new(bytes.clone()))],
            &small,
        );
        let piped = read_inputs(
            vec![
                InputSpec::reader("a", Trickle::new(bytes.clone(), 97)),
                InputSpec::reader("b", Cursor::new(bytes.clone())),
            ],
            &small,
        );
        if let (Ok(w), Ok(p)) = (&whole, &piped) {
            assert_eq!(p.frames.len(), 2 * w.frames.len(), "{name}");
        }
    }
}

#[test]
fn seeds_read_as_designed() {
    let expect: [(&str, usize, u64, u64); 11] = [
        // (seed, frames, corrupt_records, truncated_tail)
        ("be_nsec_sll.pcap", 2, 0, 0),
        ("corrupt_middle.pcap", 3, 1, 0),
        ("corrupt_middle.pcapng", 3, 2, 0),
        ("false_length_midfile.pcap", 3, 1, 0),
        ("header_only.pcap", 0, 0, 0),
        ("le_usec.pcap", 3, 0, 0),
        ("multi_iface.pcapng", 3, 0, 0),
        ("truncated_tail.pcap", 1, 0, 1),
        ("truncated_tail.pcapng", 1, 0, 1),
        ("two_sections.pcapng", 4, 0, 0),
        ("unknown_interface.pcapng", 1, 1, 0),
    ];
    let files = corpus();
    for (seed, frames, corrupt, truncated) in expect {
        let (_, bytes) = files
            .iter()
            .find(|(n, _)| n == seed)
            .unwrap_or_else(|| panic!("seed {seed} missing"));
        let r = common::read_bytes(bytes.clone());
        assert_eq!(
            (
                r.frames.len(),
                r.stats.corrupt_records,
                r.stats.truncated_tail
            ),
            (frames, corrupt, truncated),
            "{seed}"
        );
    }
}
