//! The reader against independent tools on the real captures from public projects
//! (`../shared/captures/real`, see its MANIFEST.tsv): tshark's view of every file, editcap's
//! pcap/pcapng conversions, and tcpdump/tshark for BPF filters.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Drained, Frame, epoch, read_inputs, tshark_view};
use segscope_capture::{InputSpec, ReadOptions};
use segscope_gen::testdata::{manifest, real_capture, tshark_fields};

fn read_path(path: &Path, opts: &ReadOptions) -> Drained {
    read_inputs(vec![InputSpec::path(path)], opts)
        .unwrap_or_else(|e| panic!("{} must read: {e}", path.display()))
}

/// Files where this reader differs from tshark on purpose, handled by their own tests below.
const DIFFERENT_ON_PURPOSE: [&str; 2] = [
    // tshark stops at a record claiming 4,325,376 bytes after frame 6; this reader skips 80 bytes
    // of damage and recovers the 7 records after it.
    "suricata-verify/bug-1450-04_tls_DER-incomplete-header.pcap",
    // A fuzzed file: tshark's format heuristics read a second, bogus 1-byte frame; this reader
    // reads frame 1, then counts the corrupt header and the truncated record after it.
    "suricata-verify/bug-6875-01_fuzz.pcap",
];

#[test]
fn every_real_capture_matches_tsharks_frames() {
    let entries = manifest();
    let paths: Vec<(String, PathBuf)> = entries
        .iter()
        .filter(|e| !DIFFERENT_ON_PURPOSE.contains(&e.path.as_str()))
        .filter_map(|e| real_capture(&e.path).map(|p| (e.path.clone(), p)))
        .collect();
    if paths.is_empty() {
        return;
    }
    assert_eq!(paths.len(), entries.len() - DIFFERENT_ON_PURPOSE.len());
    // tshark takes a second to start; two at a time halves the wait on two cores.
    let (first, second) = paths.split_at(paths.len() / 2);
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            first
                .iter()
                .for_each(|(rel, p)| compare_with_tshark(rel, p))
        });
        let b = s.spawn(|| {
            second
                .iter()
                .for_each(|(rel, p)| compare_with_tshark(rel, p))
        });
        for h in [a, b] {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

fn compare_with_tshark(rel: &str, path: &Path) {
    let Some(rows) = tshark_view(path) else {
        return;
    };
    let r = read_path(path, &ReadOptions::default());
    assert_eq!(
        r.frames.len(),
        rows.len(),
        "{rel}: frame count (tshark {})",
        rows.len()
    );
    for (i, (f, row)) in r.frames.iter().zip(&rows).enumerate() {
        let got = (epoch(f.ts), f.caplen, f.wirelen);
        assert_eq!(&got, row, "{rel} frame {}", i + 1);
        assert_eq!(f.frame_no, i as u64 + 1, "{rel}");
    }
    // Everything tshark reads fully is clean: nothing to report.
    assert!(
        r.warnings.is_empty(),
        "{rel}: unexpected warnings {:?}",
        r.warnings
    );
    assert_eq!(r.stats.corrupt_records + r.stats.truncated_tail, 0, "{rel}");
    assert_eq!(r.stats.records, rows.len() as u64, "{rel}");
}

/// Frames as tshark and the manifest describe them for the files named in the brief.
#[test]
fn files_that_trip_other_readers() {
    // 126 interfaces with different snap lengths and link types; libpcap refuses the file,
    // tshark reads 18 packets, all on interface 48 (Ethernet).
    if let Some(path) = real_capture("zeek/ldap-gap-data-missing.pcapng") {
        let r = read_path(&path, &ReadOptions::default());
        assert_eq!(r.frames.len(), 18);
        assert!(r.frames.iter().all(|f| f.linktype == 1));
        assert!(r.warnings.is_empty());
    }
    // One interface with nanosecond and one with microsecond timestamps.
    if let Some(path) = real_capture("zeek/pcapng-multi-interface.pcapng") {
        let r = read_path(&path, &ReadOptions::default());
        assert_eq!(r.frames.len(), 6);
        let sub_us = r.frames.iter().filter(|f| f.ts % 1_000 != 0).count();
        assert!(sub_us > 0, "the nanosecond interface keeps its precision");
    }
    // Header snap length 1 and one 8-byte record of a 78-byte packet: read, not corrupt.
    if let Some(path) = real_capture("zeek/trunc-trunc-hdr.pcap") {
        let r = read_path(&path, &ReadOptions::default());
        assert_eq!(
            r.frames
                .iter()
                .map(|f| (f.caplen, f.wirelen))
                .collect::<Vec<_>>(),
            [(8, 78)]
        );
        assert_eq!(r.stats.snaplen_truncated, 1);
        assert_eq!(r.stats.corrupt_records, 0);
    }
    // Header only.
    if let Some(path) = real_capture("zeek/empty.pcap") {
        let r = read_path(&path, &ReadOptions::default());
        assert!(r.frames.is_empty());
        assert_eq!(r.stats.records, 0);
        assert_eq!(r.batches, 0);
    }
}

#[test]
fn corrupt_suricata_file_is_read_past_its_bad_record() {
    let Some(path) = real_capture("suricata-verify/bug-1450-04_tls_DER-incomplete-header.pcap")
    else {
        return;
    };
    let r = read_path(&path, &ReadOptions::default());
    // tshark agrees on the 6 frames before the damage.
    if let Some(rows) = tshark_view(&path) {
        assert_eq!(rows.len(), 6);
        for (f, row) in r.frames.iter().zip(&rows) {
            assert_eq!((epoch(f.ts), f.caplen, f.wirelen), row.clone());
        }
    }
    // The record header at byte 5035 claims 4,325,376 bytes; the next plausible header is at
    // byte 5115 (found by walking the file by hand), followed by 7 records that end exactly at
    // the end of the 5,696-byte file.
    assert_eq!(r.stats.corrupt_records, 1);
    assert_eq!(r.stats.resync_skipped_bytes, 80);
    assert_eq!(r.stats.truncated_tail, 0);
    let recovered: Vec<(u64, String, u32)> = r.frames[6..]
        .iter()
        .map(|f| (f.frame_no, epoch(f.ts), f.caplen))
        .collect();
    assert_eq!(
        recovered,
        [
            (7, "1429518024.029514000".to_string(), 73),
            (8, "1429518024.029822000".to_string(), 66),
            (9, "1429518024.039165000".to_string(), 66),
            (10, "1429518024.039181000".to_string(), 78),
            (11, "1429518026.031196000".to_string(), 66),
            (12, "1429518026.031220000".to_string(), 66),
            (13, "1429518026.031227000".to_string(), 54),
        ]
    );
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].offset, Some(5035));
    assert_eq!(r.warnings[0].frame, Some(7));
}

#[test]
fn fuzzed_suricata_file_reads_one_frame_and_counts_the_rest() {
    let Some(path) = real_capture("suricata-verify/bug-6875-01_fuzz.pcap") else {
        return;
    };
    let r = read_path(&path, &ReadOptions::default());
    // Frame 1 as tshark reads it; tshark's second frame (1 byte of a 1,048,576-byte packet at
    // a negative time) comes from a record layout guessed by its heuristics, which libpcap
    // (and this reader) do not apply.
    if let Some(rows) = tshark_view(&path) {
        assert_eq!(
            (
                epoch(r.frames[0].ts),
                r.frames[0].caplen,
                r.frames[0].wirelen
            ),
            rows[0]
        );
    }
    assert_eq!(r.frames.len(), 1);
    // Hand-walked: the header at byte 228 claims 1,409,179,648 bytes (as tcpdump reports); a
    // plausible header with frame 1's time follows at byte 334 but its 330 bytes run past the
    // 385-byte end.
    assert_eq!(r.stats.corrupt_records, 1);
    assert_eq!(r.stats.resync_skipped_bytes, 334 - 228);
    assert_eq!(r.stats.truncated_tail, 1);
    let offsets: Vec<Option<u64>> = r.warnings.iter().map(|w| w.offset).collect();
    assert_eq!(offsets, [Some(228), Some(334)]);
}

fn editcap(args: &[&str], input: &Path, output: &Path) -> bool {
    Command::new("editcap")
        .args(args)
        .arg(input)
        .arg(output)
        .status()
        .is_ok_and(|s| s.success())
}

fn same_frames(a: &[Frame], b: &[Frame], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: frame count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x, y, "{what}: frame {}", i + 1);
    }
}

#[test]
fn pcap_and_pcapng_renderings_of_the_same_traffic_read_the_same() {
    if Command::new("editcap").arg("-h").output().is_err() {
        eprintln!("SKIP: editcap not installed; pcap/pcapng equivalence not checked");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("zeek/http-get.pcap", "pcapng"),
        ("zeek/dce-rpc-mapi.pcap", "pcapng"),
        ("zeek/tls-openjdk-25.0.2-zeek.org.pcap", "pcapng"),
        ("tcpdump/quic_handshake_truncated.pcap", "pcapng"),
        ("zeek/redis-django-cloud.pcapng", "pcap"),
        ("zeek/redis-django-cloud.pcapng", "nsecpcap"),
        ("zeek/dce-rpc-mapi.pcap", "nsecpcap"),
    ];
    for (rel, format) in cases {
        let Some(path) = real_capture(rel) else {
            return;
        };
        let out: PathBuf = dir.path().join(format!("converted.{format}"));
        assert!(
            editcap(&["-F", format], &path, &out),
            "editcap -F {format} {rel}"
        );
        let original = read_path(&path, &ReadOptions::default());
        let converted = read_path(&out, &ReadOptions::default());
        assert!(!original.frames.is_empty());
        same_frames(
            &original.frames,
            &converted.frames,
            &format!("{rel} as {format}"),
        );
    }
}

#[test]
fn merged_real_files_interleave_by_time() {
    let (Some(a), Some(b)) = (
        real_capture("zeek/ftp-ipv4.pcap"),
        real_capture("zeek/http-get.pcap"),
    ) else {
        return;
    };
    let r = read_inputs(
        vec![InputSpec::path(&a), InputSpec::path(&b)],
        &ReadOptions {
            batch_frames: 10,
            ..ReadOptions::default()
        },
    )
    .expect("reads");
    let alone_a = read_path(&a, &ReadOptions::default());
    let alone_b = read_path(&b, &ReadOptions::default());
    assert_eq!(r.frames.len(), alone_a.frames.len() + alone_b.frames.len());
    // Each file's frames come out in their own order, unchanged.
    let from = |s: u16| -> Vec<Frame> {
        r.frames
            .iter()
            .filter(|f| f.source == s)
            .cloned()
            .map(|f| Frame { source: 0, ..f })
            .collect()
    };
    same_frames(&from(0), &alone_a.frames, "first file inside the merge");
    same_frames(&from(1), &alone_b.frames, "second file inside the merge");
    // Both files are time-sorted, so the merge is too.
    assert!(r.frames.windows(2).all(|w| w[0].ts <= w[1].ts));
}

/// Timestamps (µs) of the packets tcpdump prints for a filter.
fn tcpdump_times(path: &Path, filter: &str) -> Option<Vec<String>> {
    let out = Command::new("tcpdump")
        .args(["-n", "-tt", "-r"])
        .arg(path)
        .arg(filter)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect(),
    )
}

#[test]
fn bpf_filter_matches_tshark_and_tcpdump() {
    let opts = ReadOptions {
        filter: Some("tcp port 80".into()),
        ..ReadOptions::default()
    };
    // tshark's display filter on http-get.pcap keeps the same frame numbers.
    if let Some(path) = real_capture("zeek/http-get.pcap") {
        let r = read_path(&path, &opts);
        if let Some(rows) = tshark_fields(&path, Some("tcp.port==80"), &["frame.number"]) {
            let want: Vec<u64> = rows
                .iter()
                .filter_map(|r| r.first().and_then(|n| n.parse().ok()))
                .collect();
            let got: Vec<u64> = r.frames.iter().map(|f| f.frame_no).collect();
            assert_eq!(got, want);
            assert!(!got.is_empty());
        }
        assert_eq!(
            r.stats.filtered_out + r.frames.len() as u64,
            r.stats.records
        );
    }
    // On a busy enterprise capture the filter is selective; tcpdump is the reference.
    for rel in [
        "zeek/dce-rpc-mapi.pcap",
        "zeek/tls-openjdk-25.0.2-zeek.org.pcap",
    ] {
        let Some(path) = real_capture(rel) else {
            return;
        };
        let r = read_path(&path, &opts);
        let Some(want) = tcpdump_times(&path, "tcp port 80") else {
            eprintln!("SKIP: tcpdump not available; BPF cross-check skipped");
            return;
        };
        let got: Vec<String> = r
            .frames
            .iter()
            .map(|f| {
                format!(
                    "{}.{:06}",
                    f.ts / 1_000_000_000,
                    f.ts % 1_000_000_000 / 1_000
                )
            })
            .collect();
        assert_eq!(got, want, "{rel}");
        assert!(
            r.stats.filtered_out > 0,
            "{rel}: the filter rejects something"
        );
    }
}
