//! Zeek-style connection history: one letter per notable event, upper case for the client (Zeek's
//! originator), lower case for the server.
//!
//! Letters: `S` SYN, `H` SYN-ACK, `A` pure ACK, `D` data, `F` FIN, `R` RST, `I` FIN+RST,
//! `Q` other multi-flag packet, `G` content gap, `T` retransmission, `W` zero window, `^` roles
//! flipped. Most letters appear once per side; `S`/`H`/`F`/`R` repeat when they occur again at a
//! different sequence number, and `G`/`T`/`W` are added at their 1st, 10th, 100th… occurrence,
//! as Zeek does. (`C`, bad checksum, is never produced: the decoder does not verify checksums.)
//!
//! The first [`INLINE`] letters live inside the flow; longer histories continue in the flow's
//! boxed extras, up to [`MAX_HISTORY`] letters in all (later letters are dropped).

/// Letters stored inline.
pub(crate) const INLINE: usize = 11;
/// The longest history kept. Zeek does not bound it, but every real history is far shorter; only
/// a peer sending RSTs or SYNs at ever-changing sequence numbers could reach it.
pub const MAX_HISTORY: usize = 128;

/// Once-per-side letters share these bits (server bits are shifted by 8).
pub(crate) mod mask {
    /// `S` or `H`.
    pub(crate) const SYN: u16 = 1;
    /// `F`.
    pub(crate) const FIN: u16 = 1 << 1;
    /// `R`.
    pub(crate) const RST: u16 = 1 << 2;
    /// `I`.
    pub(crate) const FIN_RST: u16 = 1 << 3;
    /// `D`.
    pub(crate) const DATA: u16 = 1 << 4;
    /// `A`.
    pub(crate) const ACK: u16 = 1 << 5;
    /// `Q`.
    pub(crate) const MULTI: u16 = 1 << 6;
}

/// The inline part of a history.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct History {
    seen: u16,
    len: u8,
    inline: [u8; INLINE],
}

impl History {
    /// Marks `bits` seen; returns true when they already were.
    pub(crate) fn check_seen(&mut self, bits: u16) -> bool {
        let seen = self.seen & bits != 0;
        self.seen |= bits;
        seen
    }

    /// Appends inline; returns the letter back when the inline part is full.
    pub(crate) fn push(&mut self, letter: u8) -> Result<(), u8> {
        match self.inline.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = letter;
                self.len += 1;
                Ok(())
            }
            None => Err(letter),
        }
    }

    /// The inline letters.
    pub(crate) fn inline(&self) -> &[u8] {
        self.inline.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// Where TCP and datagram logic write history letters. `side` is 0 for the client and 1 for the
/// server; letters are given in upper case and lowered for the server.
pub(crate) trait HistoryLog {
    /// Appends a letter.
    fn add(&mut self, side: usize, letter: u8);

    /// Zeek's `CheckHistory`: appends `letter` the first time `bits` is seen for `side`; returns
    /// true when it had been seen before (and nothing was appended).
    fn check(&mut self, side: usize, bits: u16, letter: u8) -> bool;

    /// Zeek's `ScaledHistoryEntry` with base 10: appends `letter` when `count` (already
    /// incremented) reaches 1, 10, 100….
    fn scaled(&mut self, side: usize, count: u64, letter: u8) {
        if is_power_of_ten(count) {
            self.add(side, letter);
        }
    }
}

/// The letter as written for `side`.
pub(crate) fn for_side(side: usize, letter: u8) -> u8 {
    if side == 0 {
        letter
    } else {
        letter.to_ascii_lowercase()
    }
}

/// The mask bits of `side`.
pub(crate) fn side_bits(side: usize, bits: u16) -> u16 {
    if side == 0 { bits } else { bits << 8 }
}

fn is_power_of_ten(mut n: u64) -> bool {
    if n == 0 {
        return false;
    }
    while n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten() {
        let hits: Vec<u64> = (0..=1000).filter(|&n| is_power_of_ten(n)).collect();
        assert_eq!(hits, [1, 10, 100, 1000]);
    }

    #[test]
    fn inline_fills_then_refuses() {
        let mut h = History::default();
        for i in 0..INLINE {
            assert_eq!(h.push(b'a' + i as u8), Ok(()));
        }
        assert_eq!(h.push(b'z'), Err(b'z'));
        assert_eq!(h.inline().len(), INLINE);
        assert!(!h.check_seen(mask::DATA));
        assert!(h.check_seen(mask::DATA));
        assert!(!h.check_seen(side_bits(1, mask::DATA)));
    }
}
