//! Checked reading of untrusted bytes: every parser in this crate reads through these helpers so
//! that a short or hostile input yields `None`, never a panic.

/// A cursor over a byte slice whose reads fail (return `None`) instead of panicking.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// Reads a big-endian u16.
    pub fn be_u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// Reads a big-endian 24-bit integer.
    pub fn be_u24(&mut self) -> Option<u32> {
        self.take(3)
            .map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// Reads a big-endian u32.
    pub fn be_u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// Reads a little-endian u16.
    pub fn le_u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    /// Reads a little-endian u32.
    pub fn le_u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// Reads a little-endian u64.
    pub fn le_u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// Reads a length-prefixed (u8) field.
    pub fn u8_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }

    /// Reads a length-prefixed (big-endian u16) field.
    pub fn be_u16_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = self.be_u16()? as usize;
        self.take(n)
    }
}

/// Splits text-protocol bytes into lines (without the CR LF or LF terminator). A final
/// unterminated fragment is returned too, so truncated captures still show their last command.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// True when `s` starts with `prefix`, ignoring ASCII case.
pub fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Lossy, printable rendering of protocol text for evidence (control characters dropped,
/// length capped) so hostile bytes cannot corrupt reports.
pub fn printable(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut r = Reader::new(&[0, 1, 2]);
        assert_eq!(r.be_u16(), Some(1));
        assert_eq!(r.be_u16(), None);
        assert_eq!(r.u8(), Some(2));
        assert_eq!(r.u8(), None);
        assert_eq!(r.take(usize::MAX), None);
        let mut r = Reader::new(&[3, b'a', b'b']);
        assert_eq!(r.u8_prefixed(), None);
    }

    #[test]
    fn lines_handle_crlf_and_tails() {
        let v: Vec<&[u8]> = lines(b"USER a\r\nPASS b\r\n").collect();
        assert_eq!(v, [b"USER a" as &[u8], b"PASS b"]);
        let v: Vec<&[u8]> = lines(b"USER a\nPAS").collect();
        assert_eq!(v, [b"USER a" as &[u8], b"PAS"]);
        assert!(starts_with_ignore_case(
            b"Authorization: x",
            b"authorization:"
        ));
        assert_eq!(printable(b"a\x00b\x1bc", 10), "abc");
    }
}
