//! Recognising a capture by its first bytes, and saying what a non-capture looks like so that
//! the user knows what to do (decompress it, convert it, or pass the right file).

/// The capture formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Classic libpcap format (any byte order, µs or ns).
    Pcap,
    /// pcapng.
    Pcapng,
}

/// What the first bytes of an input say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// A capture this crate reads.
    Capture(Format),
    /// Something else: what it looks like, and what to do.
    Other {
        /// A short description (`gzip-compressed data`, `text starting with "#sep"`…).
        looks_like: String,
        /// What to do about it.
        hint: String,
    },
}

/// Classic pcap magic numbers as they appear in the file: µs and ns, both byte orders.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];

/// Identifies `head` (the first bytes of input `path`, at least one byte).
pub(crate) fn sniff(head: &[u8], path: &str) -> Sniffed {
    if let Some(magic) = head.first_chunk::<4>() {
        if PCAP_MAGICS.contains(magic) {
            return Sniffed::Capture(Format::Pcap);
        }
        if magic == &[0x0a, 0x0d, 0x0d, 0x0a] {
            return Sniffed::Capture(Format::Pcapng);
        }
    }
    let convert = || format!("convert it first: `editcap -F pcapng {path} out.pcapng`");
    let (looks_like, hint): (String, String) = match head {
        [0x1f, 0x8b, ..] => (
            "gzip-compressed data".into(),
            format!("decompress it first (`gunzip -k {path}`, or `zcat {path} | segscope … -r -`)"),
        ),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => (
            "zstd-compressed data".into(),
            format!("decompress it first (`unzstd {path}`, or `zstdcat {path} | segscope … -r -`)"),
        ),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => (
            "xz-compressed data".into(),
            format!("decompress it first (`unxz -k {path}`, or `xzcat {path} | segscope … -r -`)"),
        ),
        [b'B', b'Z', b'h', ..] => (
            "bzip2-compressed data".into(),
            format!("decompress it first (`bunzip2 -k {path}`)"),
        ),
        [0x04, 0x22, 0x4d, 0x18, ..] => (
            "lz4-compressed data".into(),
            format!("decompress it first (`unlz4 {path}`)"),
        ),
        [b'P', b'K', 0x03, 0x04, ..] => (
            "a zip archive".into(),
            format!("extract the capture first (`unzip {path}`)"),
        ),
        [0x34, 0xcd, 0xb2, 0xa1, ..] | [0xa1, 0xb2, 0xcd, 0x34, ..] => {
            ("a modified (Kuznetzov) libpcap capture".into(), convert())
        }
        [b's', b'n', b'o', b'o', b'p', 0, 0, 0, ..] => ("a Solaris snoop capture".into(), convert()),
        [b'G', b'M', b'B', b'U', ..] | [b'R', b'T', b'S', b'S', ..] => {
            ("a Microsoft Network Monitor capture".into(), convert())
        }
        _ if head.len() < 4 => (
            format!("only {} byte(s) long", head.len()),
            "a capture starts with a 24-byte pcap or 28-byte pcapng header; check the file was written completely".into(),
        ),
        _ if looks_like_text(head) => (
            format!("text starting with {:?}", text_prefix(head)),
            "pass the binary capture file, not a log or a text export".into(),
        ),
        _ => (
            format!(
                "unrecognised data starting with bytes {}",
                head.iter()
                    .take(4)
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            "expected pcap (starting a1b2c3d4 in either byte order) or pcapng (0a0d0d0a); if it is another capture format, convert it with `editcap -F pcapng`".into(),
        ),
    };
    Sniffed::Other { looks_like, hint }
}

/// True when the bytes are printable ASCII or UTF-8 text with ordinary whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
        }
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// The first few characters of a text sample, for the message.
fn text_prefix(head: &[u8]) -> String {
    String::from_utf8_lossy(head).chars().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks(head: &[u8]) -> String {
        match sniff(head, "f") {
            Sniffed::Other { looks_like, .. } => looks_like,
            Sniffed::Capture(f) => format!("{f:?}"),
        }
    }

    #[test]
    fn recognises_captures_and_common_mistakes() {
        assert_eq!(looks(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), "Pcap");
        assert_eq!(looks(&[0xa1, 0xb2, 0x3c, 0x4d]), "Pcap");
        assert_eq!(looks(&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c]), "Pcapng");
        assert_eq!(looks(&[0x1f, 0x8b, 8, 0]), "gzip-compressed data");
        assert_eq!(looks(&[0x28, 0xb5, 0x2f, 0xfd, 0]), "zstd-compressed data");
        assert_eq!(
            looks(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]),
            "xz-compressed data"
        );
        assert_eq!(looks(b"snoop\0\0\0\0\0\0\x02"), "a Solaris snoop capture");
        assert_eq!(
            looks(b"#separator \\x09\n#fields\tts"),
            "text starting with \"#separator \\\\x09\\n#fields\\t\""
        );
        assert_eq!(
            looks(&[0xde, 0xad, 0xbe, 0xef, 0x00]),
            "unrecognised data starting with bytes de ad be ef"
        );
        assert_eq!(looks(&[0xd4]), "only 1 byte(s) long");
    }
}
