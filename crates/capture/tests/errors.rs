//! Inputs that cannot be read give one-line errors that name the input, say where, and say what
//! to do.

mod common;

use std::io::Cursor;
use std::path::Path;

use common::{Ng, Pcap};
use segscope_capture::{CaptureError, InputSpec, ReadOptions, open};

fn open_path(path: &Path) -> CaptureError {
    match open(vec![InputSpec::path(path)], &ReadOptions::default()) {
        Ok(_) => panic!("{} must not open", path.display()),
        Err(e) => e,
    }
}

fn open_file_with(bytes: &[u8], opts: &ReadOptions) -> (String, CaptureError) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("input.cap");
    std::fs::write(&path, bytes).expect("write");
    let name = path.display().to_string();
    match open(vec![InputSpec::path(&path)], opts) {
        Ok(_) => panic!("must not open"),
        Err(e) => (name, e),
    }
}

fn open_file(bytes: &[u8]) -> (String, String) {
    let (name, e) = open_file_with(bytes, &ReadOptions::default());
    (name, e.to_string())
}

fn assert_one_line(msg: &str) {
    assert!(!msg.contains('\n'), "one line: {msg}");
}

#[test]
fn nonexistent_file() {
    let e = open_path(Path::new("/nonexistent/dir/capture.pcap"));
    let msg = e.to_string();
    assert!(matches!(e, CaptureError::NotFound { .. }));
    assert!(
        msg.starts_with("/nonexistent/dir/capture.pcap: no such file; check the path"),
        "{msg}"
    );
    assert_one_line(&msg);
}

#[test]
fn permission_denied() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("secret.pcap");
    std::fs::write(&path, Pcap::new(false, false, 65535, 1).bytes).expect("write");
    let mut perms = std::fs::metadata(&path).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    std::fs::set_permissions(&path, perms).expect("chmod");
    if std::fs::File::open(&path).is_ok() {
        eprintln!(
            "SKIP: running with privileges that bypass file permissions (root); the mapping is unit-tested in src/error.rs"
        );
        return;
    }
    let e = open_path(&path);
    let msg = e.to_string();
    assert!(matches!(e, CaptureError::PermissionDenied { .. }), "{msg}");
    assert!(msg.contains("secret.pcap: permission denied"), "{msg}");
    assert!(msg.contains("chmod a+r"), "{msg}");
}

#[test]
fn directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = open_path(dir.path());
    let msg = e.to_string();
    assert!(matches!(e, CaptureError::IsDirectory { .. }));
    assert!(
        msg.contains(&format!("{}: is a directory", dir.path().display())),
        "{msg}"
    );
    assert!(msg.contains("pass the capture files inside it"), "{msg}");
}

#[test]
fn empty_file_and_empty_stream() {
    let (name, msg) = open_file(&[]);
    assert_eq!(
        msg,
        format!(
            "{name}: empty (0 bytes), so there is nothing to read; check that the capture was written completely"
        )
    );
    let e = open(
        vec![InputSpec::reader("-", Cursor::new(Vec::new()))],
        &ReadOptions::default(),
    )
    .err()
    .expect("empty stream");
    assert!(e.to_string().starts_with("-: empty (0 bytes)"), "{e}");
}

#[test]
fn compressed_files_say_decompress_first() {
    let cases: [(&[u8], &str, &str); 3] = [
        (
            &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0],
            "gzip-compressed data",
            "gunzip -k",
        ),
        (
            &[0x28, 0xb5, 0x2f, 0xfd, 0x24, 0],
            "zstd-compressed data",
            "unzstd",
        ),
        (
            &[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4],
            "xz-compressed data",
            "unxz -k",
        ),
    ];
    for (bytes, looks, tool) in cases {
        let (name, msg) = open_file(bytes);
        assert!(
            msg.starts_with(&format!(
                "{name}: not a pcap or pcapng capture: {looks}; decompress it first"
            )),
            "{msg}"
        );
        assert!(msg.contains(&format!("{tool} {name}")), "{msg}");
        assert_one_line(&msg);
    }
}

#[test]
fn text_snoop_and_unknown_bytes() {
    let (_, msg) = open_file(b"#separator \\x09\n#set_separator\t,\n");
    assert!(msg.contains("text starting with \"#separator"), "{msg}");
    assert!(msg.contains("not a log or a text export"), "{msg}");
    assert_one_line(&msg);

    let (name, msg) = open_file(b"snoop\0\0\0\0\0\0\x02\0\0\0\x04");
    assert!(msg.contains("a Solaris snoop capture"), "{msg}");
    assert!(
        msg.contains(&format!("editcap -F pcapng {name} out.pcapng")),
        "{msg}"
    );

    let (_, msg) = open_file(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
    assert!(
        msg.contains("unrecognised data starting with bytes de ad be ef"),
        "{msg}"
    );
}

#[test]
fn header_cut_short() {
    let header = Pcap::new(false, false, 65535, 1).bytes;
    let (name, msg) = open_file(&header[..10]);
    assert_eq!(
        msg,
        format!(
            "{name}: the input ends inside the 24-byte pcap file header (10 bytes) at byte 0; the capture was cut short before its first packet; copy or capture it again"
        )
    );
    let ng = Ng::new(false).bytes;
    let (_, msg) = open_file(&ng[..20]);
    assert!(
        msg.contains("inside the pcapng section header (20 bytes)"),
        "{msg}"
    );

    let mut bad_bom = Ng::new(false).bytes;
    bad_bom[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let (_, msg) = open_file(&bad_bom);
    assert!(msg.contains("unknown byte-order magic at byte 8"), "{msg}");
}

#[test]
fn unsupported_link_type_of_a_classic_pcap() {
    let bytes = Pcap::new(false, false, 65535, 105)
        .record(1, 0, &[0; 30], 30)
        .bytes;
    let opts = ReadOptions {
        supported_linktypes: Some(vec![1, 113]),
        ..ReadOptions::default()
    };
    let (name, e) = open_file_with(&bytes, &opts);
    let msg = e.to_string();
    assert!(matches!(
        e,
        CaptureError::UnsupportedLinktype { linktype: 105, .. }
    ));
    assert!(
        msg.starts_with(&format!(
            "{name}: link type 105 (IEEE802_11) is not supported (supported: EN10MB (1), LINUX_SLL (113));"
        )),
        "{msg}"
    );
    assert!(msg.contains("convert the file"), "{msg}");
    // Without a list, every link type is accepted.
    let ok = open(
        vec![InputSpec::reader("x", Cursor::new(bytes))],
        &ReadOptions::default(),
    );
    assert!(ok.is_ok());
}

#[test]
fn bad_filter_names_the_expression_and_libpcap_message() {
    let bytes = Pcap::new(false, false, 65535, 1).bytes;
    let opts = ReadOptions {
        filter: Some("tcp prot 80".into()),
        ..ReadOptions::default()
    };
    let (_, e) = open_file_with(&bytes, &opts);
    let msg = e.to_string();
    assert!(matches!(e, CaptureError::BadFilter { .. }), "{msg}");
    assert!(
        msg.starts_with("invalid capture filter \"tcp prot 80\" for link type EN10MB (1): "),
        "{msg}"
    );
    assert!(msg.contains("syntax error"), "{msg}");
    assert!(msg.contains("man pcap-filter"), "{msg}");
}

#[test]
fn no_input() {
    let e = open(Vec::new(), &ReadOptions::default())
        .err()
        .expect("no input");
    assert!(e.to_string().contains("pass at least one capture file"));
}

#[test]
fn first_bad_file_of_several_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.pcap");
    std::fs::write(&good, Pcap::new(false, false, 65535, 1).bytes).expect("write");
    let e = open(
        vec![
            InputSpec::path(&good),
            InputSpec::path(dir.path().join("missing.pcap")),
        ],
        &ReadOptions::default(),
    )
    .err()
    .expect("second input is missing");
    assert!(e.to_string().contains("missing.pcap: no such file"), "{e}");
}
