//! Payload retention for classification: the first bytes of each direction, kept until the flow
//! is classified.
//!
//! - TCP: an in-order byte stream from the first byte after the SYN (or, midstream, the first
//!   byte seen). Segments that arrive early wait in a small bounded queue; bytes already held are
//!   never replaced (the first copy wins, as a receiver's stack would see it). The stream stops
//!   for good at a hole the peer acknowledged (the capture lost it) or that is still open when the
//!   flow is classified (`gap`).
//! - Datagram transports: the first datagrams concatenated, with their lengths.
//!
//! Memory is bounded per direction (`payload_budget`, datagram and segment counts) and across
//! the table ([`Pool`]); buffers are allocated at the first payload byte and freed at
//! classification.

use segscope_core::DirPayload;

/// Per-direction limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bytes per direction.
    pub(crate) budget: u32,
    /// Out-of-order segments held per direction.
    pub(crate) reorder: u16,
    /// Datagrams per direction.
    pub(crate) datagrams: u16,
}

/// The table-wide retained-bytes account.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pool {
    used: u64,
    peak: u64,
    cap: u64,
}

impl Pool {
    /// A pool of `cap` bytes.
    pub(crate) fn new(cap: u64) -> Pool {
        Pool {
            used: 0,
            peak: 0,
            cap,
        }
    }

    /// Bytes currently retained.
    pub(crate) fn used(&self) -> u64 {
        self.used
    }

    /// The most bytes retained at once.
    pub(crate) fn peak(&self) -> u64 {
        self.peak
    }

    pub(crate) fn take(&mut self, n: usize) -> bool {
        let n = n as u64;
        if self.used.saturating_add(n) > self.cap {
            return false;
        }
        self.used += n;
        self.peak = self.peak.max(self.used);
        true
    }

    pub(crate) fn give(&mut self, n: usize) {
        self.used = self.used.saturating_sub(n as u64);
    }
}

/// What a call changed, for the table's counters.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Events {
    /// Out-of-order segments dropped because the queue was full.
    pub(crate) reorder_overflow: u64,
}

#[derive(Debug)]
struct Segment {
    off: u32,
    data: Vec<u8>,
}

/// One direction's retained payload.
#[derive(Debug, Default)]
pub(crate) struct DirBuf {
    bytes: Vec<u8>,
    datagrams: Vec<u32>,
    queue: Vec<Segment>,
    /// Stopped at a hole.
    pub(crate) gap: bool,
    /// More payload followed than was retained.
    pub(crate) budget_reached: bool,
    /// The table-wide cap refused more bytes.
    pub(crate) denied: bool,
    /// The stream or datagram list is full: nothing more fits.
    full: bool,
}

impl DirBuf {
    /// True when nothing more will be retained.
    pub(crate) fn finished(&self) -> bool {
        self.gap || self.denied || self.full
    }

    /// Bytes accounted to the pool (capacity of the stream buffer plus queued segments).
    fn held(&self) -> usize {
        self.bytes.capacity()
            + self.datagrams.capacity() * 4
            + self.queue.iter().map(|s| s.data.capacity()).sum::<usize>()
    }

    /// Grows the stream buffer to hold `extra` more bytes within `budget`; false when the pool
    /// refuses. The first allocation is what the first payload needs (most flows carry a few
    /// small messages and end there: a million open flows must not cost a large buffer each);
    /// after that the buffer grows fourfold, so a bulk transfer filling the budget reallocates
    /// and copies its bytes about three times, not seven.
    fn reserve(&mut self, extra: usize, budget: usize, pool: &mut Pool) -> bool {
        let need = self.bytes.len() + extra;
        let cap = self.bytes.capacity();
        if need <= cap {
            return true;
        }
        let grown = if cap == 0 {
            need
        } else {
            need.max(cap * 4).max(1024).min(budget).max(need)
        };
        let target = if pool.take(grown - cap) {
            grown
        } else if pool.take(need - cap) {
            need
        } else {
            self.denied = true;
            return false;
        };
        self.bytes.reserve_exact(target - self.bytes.len());
        true
    }

    /// Adds TCP payload `data` starting `off` bytes into the stream. `declared` is the payload
    /// length from the headers (more than `data.len()` when the capture truncated the packet).
    pub(crate) fn push_stream(
        &mut self,
        off: i64,
        data: &[u8],
        declared: u32,
        lim: Limits,
        pool: &mut Pool,
        ev: &mut Events,
    ) {
        let budget = i64::from(lim.budget);
        let end = off.saturating_add(i64::from(declared));
        if declared == 0 || self.gap || self.denied {
            return;
        }
        if end > budget {
            self.budget_reached = true;
        }
        if self.full {
            return;
        }
        // Keep only the part inside [0, budget) that was captured.
        let start = off.max(0);
        let stop = end.min(budget).min(off.saturating_add(data.len() as i64));
        if stop <= start {
            return;
        }
        let (Ok(from), Ok(to)) = (usize::try_from(start - off), usize::try_from(stop - off)) else {
            return;
        };
        let Some(piece) = data.get(from..to) else {
            return;
        };
        if start <= self.bytes.len() as i64 {
            self.append_in_order(start, stop, piece, lim, pool);
        } else {
            self.enqueue(start as u32, piece, lim, pool, ev);
        }
        if self.bytes.len() >= lim.budget as usize {
            self.full = true;
            self.free_queue(pool);
        }
    }

    /// Appends `piece` (covering `[start, stop)`, `start` not beyond the stream's end) where it
    /// extends the stream, deferring to queued bytes that arrived earlier for the same offsets.
    fn append_in_order(
        &mut self,
        start: i64,
        stop: i64,
        piece: &[u8],
        lim: Limits,
        pool: &mut Pool,
    ) {
        loop {
            if !self.drain_queue(lim, pool) {
                return;
            }
            let pos = self.bytes.len() as i64;
            if pos >= stop {
                return;
            }
            let limit = self
                .queue
                .first()
                .map_or(stop, |q| i64::from(q.off).min(stop));
            let (Ok(from), Ok(to)) = (usize::try_from(pos - start), usize::try_from(limit - start))
            else {
                return;
            };
            let Some(new) = piece.get(from..to) else {
                return;
            };
            if new.is_empty() || !self.reserve(new.len(), lim.budget as usize, pool) {
                return;
            }
            self.bytes.extend_from_slice(new);
        }
    }

    /// Holds an early segment, keeping bytes already queued (first copy wins).
    fn enqueue(&mut self, off: u32, piece: &[u8], lim: Limits, pool: &mut Pool, ev: &mut Events) {
        let mut cur = off;
        let end = off.saturating_add(piece.len() as u32);
        let mut pieces: Vec<(u32, u32)> = Vec::new();
        for seg in &self.queue {
            let s_end = seg.off.saturating_add(seg.data.len() as u32);
            if s_end <= cur {
                continue;
            }
            if seg.off >= end {
                break;
            }
            if seg.off > cur {
                pieces.push((cur, seg.off));
            }
            cur = cur.max(s_end);
        }
        if cur < end {
            pieces.push((cur, end));
        }
        for (s, e) in pieces {
            if self.queue.len() >= usize::from(lim.reorder) {
                ev.reorder_overflow += 1;
                return;
            }
            let (Some(from), Some(to)) = (s.checked_sub(off), e.checked_sub(off)) else {
                return;
            };
            let Some(bytes) = piece.get(from as usize..to as usize) else {
                return;
            };
            if !pool.take(bytes.len()) {
                self.denied = true;
                return;
            }
            let at = self.queue.partition_point(|q| q.off < s);
            self.queue.insert(
                at,
                Segment {
                    off: s,
                    data: bytes.to_vec(),
                },
            );
        }
    }

    /// Appends queued segments that now continue the stream; false when the pool refused.
    fn drain_queue(&mut self, lim: Limits, pool: &mut Pool) -> bool {
        while let Some(first) = self.queue.first() {
            let len = self.bytes.len();
            let off = first.off as usize;
            if off > len {
                break;
            }
            let seg = self.queue.remove(0);
            pool.give(seg.data.capacity());
            let skip = len - off;
            if let Some(new) = seg.data.get(skip..)
                && !new.is_empty()
            {
                if !self.reserve(new.len(), lim.budget as usize, pool) {
                    self.free_queue(pool);
                    return false;
                }
                self.bytes.extend_from_slice(new);
            }
        }
        true
    }

    fn free_queue(&mut self, pool: &mut Pool) {
        for seg in self.queue.drain(..) {
            pool.give(seg.data.capacity());
        }
    }

    /// The peer acknowledged the stream up to offset `acked`: bytes below it that were never
    /// seen are lost from the capture, so the stream stops there.
    pub(crate) fn acked(&mut self, acked: i64, lim: Limits, pool: &mut Pool) {
        if self.finished() {
            return;
        }
        let len = self.bytes.len() as i64;
        if acked > len && len < i64::from(lim.budget) {
            self.gap = true;
            self.free_queue(pool);
        }
    }

    /// Adds one datagram's payload.
    pub(crate) fn push_datagram(&mut self, data: &[u8], lim: Limits, pool: &mut Pool) {
        if data.is_empty() || self.gap || self.denied {
            return;
        }
        if self.full || self.budget_reached {
            self.budget_reached = true;
            return;
        }
        let room = (lim.budget as usize).saturating_sub(self.bytes.len());
        if room == 0 || self.datagrams.len() >= usize::from(lim.datagrams) {
            self.budget_reached = true;
            self.full = true;
            return;
        }
        if data.len() >= room {
            self.full = true;
        }
        let take = data.len().min(room);
        if self.datagrams.capacity() == 0 {
            let slots = usize::from(lim.datagrams).min(8);
            if !pool.take(slots * 4) {
                self.denied = true;
                return;
            }
            self.datagrams.reserve_exact(slots);
        } else if self.datagrams.len() == self.datagrams.capacity() {
            let extra = self
                .datagrams
                .capacity()
                .min(usize::from(lim.datagrams) - self.datagrams.len());
            if !pool.take(extra * 4) {
                self.denied = true;
                return;
            }
            self.datagrams.reserve_exact(extra);
        }
        if !self.reserve(take, lim.budget as usize, pool) {
            return;
        }
        if let Some(piece) = data.get(..take) {
            self.bytes.extend_from_slice(piece);
            self.datagrams.push(take as u32);
        }
        if take < data.len() {
            self.budget_reached = true;
        }
        if self.datagrams.len() >= usize::from(lim.datagrams) {
            self.full = true;
        }
    }

    /// Ends retention before classification: a segment still waiting for missing bytes means the
    /// stream stopped at a hole.
    pub(crate) fn close(&mut self, pool: &mut Pool) {
        if !self.queue.is_empty() {
            if !self.finished() {
                self.gap = true;
            }
            self.free_queue(pool);
        }
    }

    /// The view handed to the classifier.
    pub(crate) fn view(&self) -> DirPayload<'_> {
        DirPayload {
            bytes: &self.bytes,
            datagrams: &self.datagrams,
            gap: self.gap,
            budget_reached: self.budget_reached,
        }
    }

    /// Returns every byte to the pool.
    pub(crate) fn release(self, pool: &mut Pool) {
        pool.give(self.held());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        budget: 10,
        reorder: 2,
        datagrams: 3,
    };

    fn stream(buf: &DirBuf) -> &[u8] {
        &buf.bytes
    }

    #[test]
    fn in_order_and_out_of_order() {
        let mut pool = Pool::new(1 << 20);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(0, b"ab", 2, LIM, &mut pool, &mut ev);
        b.push_stream(4, b"ef", 2, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"ab");
        b.push_stream(2, b"cd", 2, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"abcdef");
        assert!(!b.finished());
        b.push_stream(5, b"XYZ", 3, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"abcdefYZ", "the first copy of byte 5 wins");
        let mut q = DirBuf::default();
        q.push_stream(0, b"ab", 2, LIM, &mut pool, &mut ev);
        q.push_stream(4, b"ef", 2, LIM, &mut pool, &mut ev);
        q.push_stream(2, b"CDEFGH", 6, LIM, &mut pool, &mut ev);
        assert_eq!(
            stream(&q),
            b"abCDefGH",
            "queued bytes arrived first and win"
        );
        q.release(&mut pool);
        b.push_stream(8, b"ghijk", 5, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"abcdefYZgh");
        assert!(b.budget_reached);
        let mut exact = DirBuf::default();
        exact.push_stream(0, b"0123456789", 10, LIM, &mut pool, &mut ev);
        assert!(
            exact.finished() && !exact.budget_reached,
            "full, but nothing followed"
        );
        exact.release(&mut pool);
        let held = b.held();
        assert_eq!(pool.used(), held as u64);
        b.release(&mut pool);
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn queue_overflow_and_gap() {
        let mut pool = Pool::new(1 << 20);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(2, b"c", 1, LIM, &mut pool, &mut ev);
        b.push_stream(4, b"e", 1, LIM, &mut pool, &mut ev);
        b.push_stream(6, b"g", 1, LIM, &mut pool, &mut ev);
        assert_eq!(ev.reorder_overflow, 1);
        b.close(&mut pool);
        assert!(b.gap);
        assert!(stream(&b).is_empty());
        b.release(&mut pool);
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn ack_beyond_stream_is_a_gap() {
        let mut pool = Pool::new(1 << 20);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(0, b"ab", 2, LIM, &mut pool, &mut ev);
        b.acked(2, LIM, &mut pool);
        assert!(!b.gap);
        b.acked(4, LIM, &mut pool);
        assert!(b.gap);
        b.push_stream(2, b"cd", 2, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"ab", "nothing is retained after a gap");
    }

    #[test]
    fn snaplen_truncated_segment_leaves_a_hole() {
        let mut pool = Pool::new(1 << 20);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(0, b"ab", 4, LIM, &mut pool, &mut ev);
        b.push_stream(4, b"ef", 2, LIM, &mut pool, &mut ev);
        assert_eq!(stream(&b), b"ab");
        b.close(&mut pool);
        assert!(b.gap);
    }

    #[test]
    fn datagrams_keep_boundaries() {
        let mut pool = Pool::new(1 << 20);
        let mut b = DirBuf::default();
        b.push_datagram(b"abc", LIM, &mut pool);
        b.push_datagram(b"", LIM, &mut pool);
        b.push_datagram(b"defgh", LIM, &mut pool);
        b.push_datagram(b"ijk", LIM, &mut pool);
        let v = b.view();
        assert_eq!(v.bytes, b"abcdefghij");
        assert_eq!(v.datagrams, [3, 5, 2]);
        assert!(v.budget_reached);
    }

    #[test]
    fn buffers_start_exact_grow_fourfold_and_peak_is_kept() {
        let lim = Limits {
            budget: 16 * 1024,
            ..LIM
        };
        let mut pool = Pool::new(1 << 20);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(0, &[7; 100], 100, lim, &mut pool, &mut ev);
        assert_eq!(pool.used(), 100, "the first payload gets what it needs");
        b.push_stream(100, &[7; 100], 100, lim, &mut pool, &mut ev);
        assert_eq!(pool.used(), 1024);
        b.push_stream(200, &[7; 1000], 1000, lim, &mut pool, &mut ev);
        assert_eq!(pool.used(), 4096);
        b.push_stream(1200, &[7; 9000], 9000, lim, &mut pool, &mut ev);
        assert_eq!(pool.used(), 16 * 1024, "never beyond the budget");
        assert_eq!(stream(&b).len(), 10_200);
        b.release(&mut pool);
        assert_eq!((pool.used(), pool.peak()), (0, 16 * 1024));
    }

    #[test]
    fn pool_cap_denies() {
        let mut pool = Pool::new(4);
        let mut ev = Events::default();
        let mut b = DirBuf::default();
        b.push_stream(0, b"abcdef", 6, LIM, &mut pool, &mut ev);
        assert!(b.denied);
        assert!(stream(&b).is_empty());
        assert_eq!(pool.used(), 0);
    }
}
