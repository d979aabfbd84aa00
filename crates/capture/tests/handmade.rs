//! Hand-built captures with hand-computed expectations: byte orders, resolutions, pcapng block
//! kinds, corruption and truncation, chunk straddles, merging and filters. Valid files are also
//! read by tshark when it is installed, as an independent check of the expectations.

mod common;

use std::io::Cursor;

use common::{Frame, Ng, Pcap, Trickle, assert_tshark_agrees, eth_ipv4, payload, read_bytes};
use segscope_capture::{InputSpec, ReadOptions};

const T0: u32 = 1_700_000_000;
const T0_NS: i64 = 1_700_000_000_000_000_000;

fn lengths(frames: &[Frame]) -> Vec<(u64, u32, u32)> {
    frames
        .iter()
        .map(|f| (f.frame_no, f.caplen, f.wirelen))
        .collect()
}

#[test]
fn big_endian_microsecond_pcap() {
    let f = Pcap::new(true, false, 65535, 1)
        .record(T0, 123_456, &payload(1, 60), 60)
        .record(T0 + 1, 999_999, &payload(2, 100), 1514)
        .record(T0 + 1, 0, &payload(3, 42), 42);
    let r = read_bytes(f.bytes.clone());
    let ts: Vec<i64> = r.frames.iter().map(|f| f.ts).collect();
    assert_eq!(
        ts,
        [
            T0_NS + 123_456_000,
            T0_NS + 1_999_999_000,
            T0_NS + 1_000_000_000
        ],
        "times kept in file order even when they step back"
    );
    assert_eq!(
        lengths(&r.frames),
        [(1, 60, 60), (2, 100, 1514), (3, 42, 42)]
    );
    assert_eq!(r.frames[1].data, payload(2, 100));
    assert!(r.frames.iter().all(|f| f.linktype == 1 && f.source == 0));
    assert_eq!(r.stats.records, 3);
    assert_eq!(r.stats.captured_bytes, 202);
    assert_eq!(r.stats.wire_bytes, 1616);
    assert_eq!(r.stats.snaplen_truncated, 1);
    assert_eq!(r.stats.sources, 1);
    assert!(r.warnings.is_empty());
    assert_eq!(r.names, ["mem"]);
    assert_tshark_agrees(&f.bytes, &r.frames);
}

#[test]
fn nanosecond_pcap_both_byte_orders() {
    for be in [false, true] {
        let f = Pcap::new(be, true, 262_144, 113)
            .record(T0, 123_456_789, &payload(1, 44), 44)
            .record(T0 + 2, 1, &payload(2, 50), 50);
        let r = read_bytes(f.bytes.clone());
        let ts: Vec<i64> = r.frames.iter().map(|f| f.ts).collect();
        assert_eq!(ts, [T0_NS + 123_456_789, T0_NS + 2_000_000_001]);
        assert!(r.frames.iter().all(|f| f.linktype == 113));
        assert_tshark_agrees(&f.bytes, &r.frames);
    }
}

#[test]
fn fcs_bits_of_the_link_type_field_are_masked() {
    let lt = 0x4000_0000 | 0x0400_0000 | 1;
    let r = read_bytes(
        Pcap::new(false, false, 65535, lt)
            .record(T0, 0, &[0; 60], 60)
            .bytes,
    );
    assert_eq!(r.frames[0].linktype, 1);
}

#[test]
fn pcapng_power_of_two_resolution_and_offsets() {
    let f = Ng::new(false)
        // 2^-10 s units, +100 s offset.
        .idb(1, 0, Some(0x8a), Some(100))
        // ns units, -10 s offset.
        .idb(1, 0, Some(9), Some(-10))
        // Default µs units.
        .idb(1, 0, None, None)
        .epb(0, u64::from(T0) * 1024 + 512, &payload(1, 60), 60)
        .epb(0, u64::from(T0) * 1024 + 3, &payload(2, 60), 60)
        .epb(1, 1_700_000_000_123_456_789, &payload(3, 60), 60)
        .epb(2, 1_700_000_000_000_001, &payload(4, 60), 60);
    let r = read_bytes(f.bytes.clone());
    let ts: Vec<i64> = r.frames.iter().map(|f| f.ts).collect();
    assert_eq!(
        ts,
        [
            T0_NS + 100_500_000_000,
            // 3/1024 s = 2_929_687.5 ns, rounded down.
            T0_NS + 100_002_929_687,
            T0_NS - 10_000_000_000 + 123_456_789,
            T0_NS + 1_000,
        ]
    );
    assert_tshark_agrees(&f.bytes, &r.frames);
}

#[test]
fn pcapng_picosecond_resolution() {
    // Only relative times fit 64 bits of picoseconds, so the offset carries the epoch. Not
    // compared with tshark: Wireshark 4.0 computes `(units % 10^12) * 10^9` in 64 bits, which
    // overflows here (it shows .012776324).
    let f = Ng::new(false).idb(1, 0, Some(12), Some(i64::from(T0))).epb(
        0,
        5_123_456_789_012,
        &payload(1, 60),
        60,
    );
    let r = read_bytes(f.bytes);
    assert_eq!(r.frames[0].ts, T0_NS + 5_123_456_789);
}

#[test]
fn pcapng_sections_reset_interfaces_and_byte_order() {
    let f = Ng::new(false)
        .idb(1, 0, None, None)
        .epb(0, 1_700_000_000_000_001, &payload(1, 60), 60)
        .section(true)
        .idb(113, 0, Some(9), None)
        .idb(1, 0, None, None)
        .epb(1, 1_700_000_000_000_002, &payload(2, 61), 61)
        .epb(0, 1_700_000_000_000_000_003, &payload(3, 62), 62);
    let r = read_bytes(f.bytes.clone());
    let got: Vec<(u64, u32, i64)> = r
        .frames
        .iter()
        .map(|f| (f.frame_no, f.linktype, f.ts))
        .collect();
    assert_eq!(
        got,
        [
            (1, 1, T0_NS + 1_000),
            (2, 1, T0_NS + 2_000),
            (3, 113, T0_NS + 3)
        ]
    );
    assert_eq!(r.frames[2].data, payload(3, 62));
    assert_tshark_agrees(&f.bytes, &r.frames);
}

#[test]
fn simple_and_obsolete_packet_blocks() {
    let f = Ng::new(false)
        .idb(1, 64, None, None)
        .epb(0, 1_700_000_000_000_007, &payload(1, 60), 60)
        // SPB: no time (it takes the previous packet's), captured length = min(orig, snaplen).
        .spb(&payload(2, 64), 100)
        .pb(0, 1_700_000_000_000_009, &payload(3, 30), 30);
    let r = read_bytes(f.bytes.clone());
    assert_eq!(lengths(&r.frames), [(1, 60, 60), (2, 64, 100), (3, 30, 30)]);
    let ts: Vec<i64> = r.frames.iter().map(|f| f.ts).collect();
    assert_eq!(ts, [T0_NS + 7_000, T0_NS + 7_000, T0_NS + 9_000]);
    assert_eq!(r.frames[1].data, payload(2, 64));
    assert_eq!(r.frames[2].data, payload(3, 30));
    assert_eq!(r.stats.snaplen_truncated, 1);
    assert_tshark_agrees(&f.bytes, &r.frames);
}

#[test]
fn pcapng_skips_blocks_without_packets_but_numbers_them_as_wireshark_does() {
    let f = Ng::new(false)
        .idb(1, 0, None, None)
        .block(4, &[0, 0, 0, 0])
        .epb(0, 1_700_000_000_000_001, &payload(1, 60), 60)
        // Decryption secrets: not a frame.
        .block(0x0A, &[0x4b, 0x53, 0x4c, 0x54, 0, 0, 0, 0])
        // Custom blocks (both kinds) and a systemd journal entry: Wireshark numbers them.
        .block(0x0BAD, &[0, 0, 0x7f, 0xff, 1, 2, 3])
        .block(0x4000_0BAD, &[0, 0, 0x7f, 0xff])
        .block(9, b"__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=x\n")
        // Unknown block type and an interface statistics block without options: not frames.
        .block(0x1234, &[9; 8])
        .block(5, &[0; 12])
        .epb(0, 1_700_000_000_000_002, &payload(2, 60), 60);
    let r = read_bytes(f.bytes.clone());
    assert_eq!(lengths(&r.frames), [(1, 60, 60), (5, 60, 60)]);
    assert_eq!(r.stats.records, 2, "only packets are records");
    assert_eq!(r.stats.corrupt_records, 0);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0]
            .message
            .contains("Wireshark numbers such blocks as frames")
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("blocks.pcapng");
    std::fs::write(&path, &f.bytes).expect("write");
    if let Some(rows) =
        segscope_gen::testdata::tshark_fields(&path, Some("frame.cap_len == 60"), &["frame.number"])
    {
        assert_eq!(rows, [["1"], ["5"]], "tshark's numbers of the two packets");
    }
}

#[test]
fn interface_statistics_give_drop_counts() {
    let f = Ng::new(false)
        .idb(1, 0, None, None)
        .epb(0, 1, &payload(1, 60), 60)
        .isb(0, 5, 1)
        .epb(0, 2, &payload(2, 60), 60)
        .isb(0, 12, 3);
    let r = read_bytes(f.bytes);
    assert_eq!(r.frames.len(), 2);
    assert_eq!(
        r.stats.kernel_dropped, 12,
        "cumulative counters: the last report"
    );
    assert_eq!(r.stats.interface_dropped, 3);
}

#[test]
fn pcapng_frames_on_unsupported_interfaces_are_counted_and_warned_once() {
    let f = Ng::new(false)
        .idb(1, 0, None, None)
        .idb(105, 0, None, None)
        .epb(0, 1, &payload(1, 60), 60)
        .epb(1, 2, &payload(2, 60), 60)
        .epb(1, 3, &payload(3, 60), 60)
        .epb(0, 4, &payload(4, 60), 60);
    let opts = ReadOptions {
        supported_linktypes: Some(vec![1, 113]),
        ..ReadOptions::default()
    };
    let r = common::read_inputs(vec![InputSpec::reader("ng", Cursor::new(f.bytes))], &opts)
        .expect("reads");
    let numbers: Vec<u64> = r.frames.iter().map(|f| f.frame_no).collect();
    assert_eq!(numbers, [1, 4], "skipped frames still take their numbers");
    assert_eq!(r.stats.records, 4);
    assert_eq!(r.stats.unsupported_linktype, 2);
    assert_eq!(r.warnings.len(), 1);
    let w = r.warnings[0].to_string();
    assert!(w.contains("interface 1") && w.contains("IEEE802_11"), "{w}");
    assert_eq!(r.warnings[0].frame, Some(2));
}

#[test]
fn pcap_corruption_in_the_middle_is_skipped_and_counted() {
    let head = Pcap::new(false, false, 65535, 1)
        .record(T0, 1, &payload(1, 60), 60)
        .record(T0, 2, &payload(2, 70), 70);
    let bad_at = head.len() as u64;
    // 16 bytes of impossible header and 10 more bytes of garbage.
    let f = head
        .raw(&[0xee; 26])
        .record(T0, 3, &payload(3, 80), 80)
        .record(T0, 4, &payload(4, 90), 90);
    let r = read_bytes(f.bytes);
    assert_eq!(
        lengths(&r.frames),
        [(1, 60, 60), (2, 70, 70), (3, 80, 80), (4, 90, 90)]
    );
    assert_eq!(r.frames[2].data, payload(3, 80));
    assert_eq!(r.stats.corrupt_records, 1);
    assert_eq!(r.stats.resync_skipped_bytes, 26);
    assert_eq!(r.stats.truncated_tail, 0);
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].offset, Some(bad_at));
    assert_eq!(r.warnings[0].frame, Some(3));
    assert!(
        r.warnings[0].message.contains("corrupt record header")
            && r.warnings[0].message.contains("skipped 26 bytes"),
        "{}",
        r.warnings[0]
    );
}

#[test]
fn pcap_header_claiming_more_than_the_file_holds_is_corrupt_when_records_follow() {
    // A possible (under the snap length) but false length in the middle: without the check it
    // would swallow the rest of the file as one truncated record.
    let f = Pcap::new(false, false, 262_144, 1)
        .record(T0, 1, &payload(1, 60), 60)
        .header_only(T0, 2, 200_000, 200_000)
        .record(T0, 3, &payload(3, 61), 61)
        .record(T0, 4, &payload(4, 62), 62);
    let r = read_bytes(f.bytes);
    assert_eq!(lengths(&r.frames), [(1, 60, 60), (2, 61, 61), (3, 62, 62)]);
    assert_eq!(r.stats.corrupt_records, 1);
    assert_eq!(r.stats.resync_skipped_bytes, 16);
    assert_eq!(r.stats.truncated_tail, 0);
}

#[test]
fn pcap_truncated_tail_is_counted_not_an_error() {
    let full = Pcap::new(false, false, 65535, 1)
        .record(T0, 1, &payload(1, 60), 60)
        .record(T0, 2, &payload(2, 60), 60);
    let cut_at = full.len() as u64;
    let f = full.header_only(T0, 3, 100, 100).raw(&payload(3, 10));
    let r = read_bytes(f.bytes);
    assert_eq!(r.frames.len(), 2);
    assert_eq!(r.stats.truncated_tail, 1);
    assert_eq!(r.stats.corrupt_records, 0);
    assert_eq!(r.stats.records, 2);
    assert_eq!(r.warnings[0].offset, Some(cut_at));
    assert_eq!(r.warnings[0].frame, Some(3));
    assert!(
        r.warnings[0].message.contains("26 of 116 bytes"),
        "{}",
        r.warnings[0]
    );

    let header_cut = Pcap::new(false, false, 65535, 1)
        .record(T0, 1, &payload(1, 60), 60)
        .raw(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let r = read_bytes(header_cut.bytes);
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.stats.truncated_tail, 1);
    assert!(r.warnings[0].message.contains("record header: 8 of 16"));
}

#[test]
fn pcapng_corruption_in_the_middle_is_skipped_and_counted() {
    let head = Ng::new(false)
        .idb(1, 0, None, None)
        .epb(0, 1, &payload(1, 60), 60)
        .epb(0, 2, &payload(2, 60), 60);
    let bad_at = head.len();
    let mut f = head
        .epb(0, 3, &payload(3, 16), 16)
        .epb(0, 4, &payload(4, 60), 60);
    // Break the trailing length of the 48-byte block at `bad_at`.
    f.bytes[bad_at + 44..bad_at + 48].copy_from_slice(&52u32.to_le_bytes());
    let second_bad_at = f.len();
    let f = f.raw(&[0xff; 8]).epb(0, 5, &payload(5, 60), 60);
    let r = read_bytes(f.bytes);
    let numbers: Vec<u64> = r.frames.iter().map(|f| f.frame_no).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(r.frames[2].data, payload(4, 60));
    assert_eq!(r.frames[3].data, payload(5, 60));
    assert_eq!(r.stats.corrupt_records, 2);
    assert_eq!(r.stats.resync_skipped_bytes, 48 + 8);
    let offsets: Vec<Option<u64>> = r.warnings.iter().map(|w| w.offset).collect();
    assert_eq!(offsets, [Some(bad_at as u64), Some(second_bad_at as u64)]);
    assert!(
        r.warnings[0].message.contains("at its end"),
        "{}",
        r.warnings[0]
    );
    assert!(
        r.warnings[1].message.contains("impossible length"),
        "{}",
        r.warnings[1]
    );
}

#[test]
fn pcapng_truncated_tail_and_bad_packet_fields() {
    let whole = Ng::new(false)
        .idb(1, 0, None, None)
        .epb(0, 1, &payload(1, 60), 60)
        // A packet on an interface that does not exist, and one whose caplen exceeds its block.
        .epb(7, 2, &payload(2, 60), 60)
        .epb(0, 3, &payload(3, 60), 60);
    let mut bytes = whole.bytes;
    let last = bytes.len() - 92;
    bytes[last + 20..last + 24].copy_from_slice(&61u32.to_le_bytes());
    let next = Ng::new(false).epb(0, 4, &payload(4, 60), 60).bytes;
    let epb = &next[28..];
    bytes.extend_from_slice(&epb[..40]);
    let r = read_bytes(bytes);
    assert_eq!(lengths(&r.frames), [(1, 60, 60)]);
    assert_eq!(r.stats.corrupt_records, 2);
    assert_eq!(r.stats.truncated_tail, 1);
    let messages: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages[0].contains("interface 7"), "{messages:?}");
    assert!(
        messages[1].contains("captured length larger"),
        "{messages:?}"
    );
    assert!(messages[2].contains("40 of 92 bytes"), "{messages:?}");
}

/// Records of awkward sizes, some larger than a chunk.
fn straddling_records() -> Vec<Vec<u8>> {
    let sizes = [1usize, 17, 999, 1500, 3000, 4090, 4096, 10_000, 0, 64];
    (0..120)
        .map(|i| payload(i as u32, sizes[i % sizes.len()]))
        .collect()
}

#[test]
fn records_straddling_small_chunks_are_copied_whole() {
    let records = straddling_records();
    let mut pcap = Pcap::new(false, true, 262_144, 1);
    let mut ng = Ng::new(true).idb(1, 0, Some(9), None);
    for (i, r) in records.iter().enumerate() {
        pcap = pcap.record(T0, i as u32, r, r.len() as u32);
        ng = ng.epb(0, i as u64, r, r.len() as u32);
    }
    let opts = ReadOptions {
        chunk_size: 4096,
        batch_frames: 7,
        ..ReadOptions::default()
    };
    for (name, bytes) in [("pcap", pcap.bytes), ("pcapng", ng.bytes)] {
        for step in [usize::MAX, 7, 4096] {
            let input = if step == usize::MAX {
                InputSpec::reader(name, Cursor::new(bytes.clone()))
            } else {
                InputSpec::reader(name, Trickle::new(bytes.clone(), step))
            };
            let r = common::read_inputs(vec![input], &opts).expect("reads");
            assert_eq!(r.frames.len(), records.len(), "{name} step {step}");
            for (i, (f, want)) in r.frames.iter().zip(&records).enumerate() {
                assert_eq!(&f.data, want, "{name} step {step} frame {}", i + 1);
                assert_eq!(f.frame_no, i as u64 + 1);
            }
            assert!(r.batches >= records.len() / 7);
            assert!(r.warnings.is_empty());
        }
    }
}

#[test]
fn files_merge_by_time_keeping_each_files_order_and_breaking_ties_by_file_order() {
    let a = Pcap::new(false, false, 65535, 1)
        .record(10, 0, &payload(1, 60), 60)
        .record(30, 0, &payload(2, 60), 60)
        .record(20, 0, &payload(3, 60), 60);
    let b = Ng::new(false)
        .idb(113, 0, Some(9), None)
        .epb(0, 15_000_000_000, &payload(4, 60), 60)
        .epb(0, 25_000_000_000, &payload(5, 60), 60)
        .epb(0, 30_000_000_000, &payload(6, 60), 60);
    for batch_frames in [1, 2, 4096] {
        let opts = ReadOptions {
            batch_frames,
            ..ReadOptions::default()
        };
        let r = common::read_inputs(
            vec![
                InputSpec::reader("a.pcap", Cursor::new(a.bytes.clone())),
                InputSpec::reader("b.pcapng", Trickle::new(b.bytes.clone(), 5)),
            ],
            &opts,
        )
        .expect("reads");
        let order: Vec<(u16, u64, i64, u32)> = r
            .frames
            .iter()
            .map(|f| (f.source, f.frame_no, f.ts / 1_000_000_000, f.linktype))
            .collect();
        assert_eq!(
            order,
            [
                (0, 1, 10, 1),
                (1, 1, 15, 113),
                (1, 2, 25, 113),
                (0, 2, 30, 1),
                (0, 3, 20, 1),
                (1, 3, 30, 113),
            ],
            "batch_frames {batch_frames}"
        );
        assert_eq!(r.frames[5].data, payload(6, 60));
        assert_eq!(r.frames[4].data, payload(3, 60));
        assert_eq!(r.names, ["a.pcap", "b.pcapng"]);
        assert_eq!(r.stats.sources, 2);
        assert_eq!(r.stats.records, 6);
    }
}

#[test]
fn reads_any_reader_as_standard_input_would_be() {
    let f = Pcap::new(false, false, 65535, 1)
        .record(T0, 1, &payload(1, 60), 60)
        .record(T0, 2, &payload(2, 61), 61);
    let r = common::read_inputs(
        vec![InputSpec::reader("-", Trickle::new(f.bytes, 3))],
        &ReadOptions::default(),
    )
    .expect("reads");
    assert_eq!(lengths(&r.frames), [(1, 60, 60), (2, 61, 61)]);
    assert_eq!(r.names, ["-"]);
}

#[test]
fn progress_reports_bytes_and_the_total_of_regular_files() {
    let f = Pcap::new(false, false, 65535, 1).record(T0, 1, &payload(1, 60), 60);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("p.pcap");
    std::fs::write(&path, &f.bytes).expect("write");
    let mut src = segscope_capture::open(vec![InputSpec::path(&path)], &ReadOptions::default())
        .expect("opens");
    common::drain(&mut src).expect("reads");
    use segscope_capture::FrameSource;
    let p = src.progress();
    assert_eq!(p.bytes_total, Some(f.bytes.len() as u64));
    assert_eq!(p.bytes_read, f.bytes.len() as u64);
    let piped = segscope_capture::open(
        vec![InputSpec::reader("-", Cursor::new(f.bytes))],
        &ReadOptions::default(),
    )
    .expect("opens");
    assert_eq!(piped.progress().bytes_total, None);
}

#[test]
fn bpf_filter_keeps_matching_frames_and_counts_the_rest() {
    let f = Pcap::new(false, false, 65535, 1)
        .record(T0, 1, &eth_ipv4(6, 40000, 443), 54)
        .record(T0, 2, &eth_ipv4(6, 40000, 80), 54)
        .record(T0, 3, &eth_ipv4(17, 5353, 53), 42)
        .record(T0, 4, &eth_ipv4(6, 80, 40000), 54);
    let opts = ReadOptions {
        filter: Some("tcp port 80".into()),
        ..ReadOptions::default()
    };
    let r = common::read_inputs(vec![InputSpec::reader("f", Cursor::new(f.bytes))], &opts)
        .expect("reads");
    let numbers: Vec<u64> = r.frames.iter().map(|f| f.frame_no).collect();
    assert_eq!(numbers, [2, 4]);
    assert_eq!(r.stats.filtered_out, 2);
    assert_eq!(r.stats.records, 4);
}
