//! Helpers shared by the line-oriented protocols (FTP, mail, chat, HTTP headers): lines with
//! their byte offsets (to find where an in-band TLS upgrade starts), command words, lenient
//! base64.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// One line of a text protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The line without its CR LF or LF.
    pub(crate) text: &'a [u8],
    /// Offset just after the line terminator (or the end of the bytes for a final fragment).
    pub(crate) end: usize,
}

/// Lines of `bytes` with the offset after each; a final unterminated fragment is included.
pub(crate) fn lines_at(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let rest = bytes.get(pos..).filter(|r| !r.is_empty())?;
        let (raw, consumed) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (rest.get(..i).unwrap_or(rest), i.saturating_add(1)),
            None => (rest, rest.len()),
        };
        pos = pos.saturating_add(consumed);
        Some(Line {
            text: raw.strip_suffix(b"\r").unwrap_or(raw),
            end: pos,
        })
    })
}

/// Splits a command line into its first word and the rest (leading spaces of the rest
/// removed).
pub(crate) fn split_word(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b' ') {
        Some(i) => {
            let (w, rest) = line.split_at(i);
            (w, trim_start(rest))
        }
        None => (line, &[]),
    }
}

/// `line` without leading spaces and tabs.
pub(crate) fn trim_start(line: &[u8]) -> &[u8] {
    let n = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    line.get(n..).unwrap_or(&[])
}

/// `line` without surrounding spaces and tabs.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let t = trim_start(line);
    let n = t
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    t.get(..t.len().saturating_sub(n)).unwrap_or(&[])
}

/// Decodes standard base64, with or without padding; `None` when it is not base64.
pub(crate) fn b64(bytes: &[u8]) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(trim(bytes)).ok()
}

/// True when `line` starts with three digits followed by a space, a dash or the end: a reply
/// of FTP, SMTP and friends.
pub(crate) fn reply_code(line: &[u8]) -> Option<u16> {
    let code = line.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match line.get(3) {
        None | Some(b' ') | Some(b'-') => {}
        Some(_) => return None,
    }
    code.iter()
        .try_fold(0u16, |acc, &d| Some(acc * 10 + u16::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_offsets() {
        let v: Vec<_> = lines_at(b"AUTH TLS\r\n\x16\x03").collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].text, b"AUTH TLS");
        assert_eq!(v[0].end, 10);
        assert_eq!(v[1].end, 12);
        assert_eq!(lines_at(b"").count(), 0);
    }

    #[test]
    fn words_and_codes() {
        assert_eq!(split_word(b"USER  bob"), (&b"USER"[..], &b"bob"[..]));
        assert_eq!(split_word(b"QUIT"), (&b"QUIT"[..], &b""[..]));
        assert_eq!(reply_code(b"220-hello"), Some(220));
        assert_eq!(reply_code(b"220"), Some(220));
        assert_eq!(reply_code(b"22x"), None);
        assert_eq!(reply_code(b"2200"), None);
        assert_eq!(b64(b"dGVzdDoxOjM0"), Some(b"test:1:34".to_vec()));
        assert_eq!(b64(b"AGJvYgBzZWNyZXQ"), Some(b"\0bob\0secret".to_vec()));
        assert_eq!(b64(b"not base64!"), None);
        assert_eq!(trim(b"  x y \t"), b"x y");
    }
}
