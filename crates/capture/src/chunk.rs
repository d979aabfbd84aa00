//! Large reads into shared chunks.
//!
//! The reader fills a chunk with as few `read()` calls as it can, frames records in place, and
//! hands out batches that hold a reference to the chunk. A chunk is never written once a batch
//! may see it: when more data is needed, the unread tail (at most one partial record) is copied
//! to the start of a fresh chunk. Chunks whose batches have all been dropped are recycled, so in
//! steady state no memory is allocated and no page is faulted in.
//!
//! Works on any `Read` (pipes included) and never seeks or maps the file.

use std::io::{self, Read};
use std::sync::Arc;

/// Retired chunks kept for reuse: enough for the chunks of several batches in flight.
const POOL_MAX: usize = 32;

/// A window over an input stream, backed by reference-counted chunks.
pub(crate) struct ChunkBuf {
    input: Box<dyn Read + Send>,
    chunk_size: usize,
    data: Arc<[u8]>,
    /// Next unconsumed byte in `data`.
    pos: usize,
    /// End of the valid bytes in `data`.
    end: usize,
    /// Stream offset of `data[0]`.
    base: u64,
    eof: bool,
    pool: Vec<Arc<[u8]>>,
}

impl ChunkBuf {
    /// Wraps `input`; nothing is read until [`ChunkBuf::fill`].
    pub(crate) fn new(input: Box<dyn Read + Send>, chunk_size: usize) -> ChunkBuf {
        ChunkBuf {
            input,
            chunk_size: chunk_size.max(4096),
            data: Arc::from([]),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            pool: Vec::new(),
        }
    }

    /// The unconsumed bytes.
    #[inline]
    pub(crate) fn available(&self) -> &[u8] {
        self.data.get(self.pos..self.end).unwrap_or(&[])
    }

    /// The chunk the available bytes lie in.
    #[inline]
    pub(crate) fn chunk(&self) -> &Arc<[u8]> {
        &self.data
    }

    /// Position of the first available byte within [`ChunkBuf::chunk`].
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Stream offset of the first available byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes taken from the input so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.base + self.end as u64
    }

    /// Marks `n` available bytes as used (clamped to what is available).
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.end);
    }

    /// Makes at least `need` bytes available. Returns `Ok(false)` when the input ends first; all
    /// remaining bytes are then available. May move the available bytes to another chunk, so
    /// positions taken from [`ChunkBuf::pos`] before the call are stale after it.
    pub(crate) fn fill(&mut self, need: usize) -> io::Result<bool> {
        loop {
            let have = self.end - self.pos;
            if have >= need {
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            // Grow towards `need` geometrically: a length claimed by a damaged header near the
            // end of a short input then costs a little memory, not hundreds of megabytes.
            let step = need.min(self.chunk_size.max(have.saturating_mul(2)));
            self.make_room(step);
            self.read_into_chunk(need)?;
        }
    }

    /// Reads until the chunk is full or the input ends. A regular file fills the chunk in one
    /// call; a pipe returns what it holds, so stop at the first short read once `need` is met
    /// rather than wait for a slow writer.
    fn read_into_chunk(&mut self, need: usize) -> io::Result<()> {
        while let Some(buf) = Arc::get_mut(&mut self.data) {
            let Some(space) = buf.get_mut(self.end..) else {
                break;
            };
            if space.is_empty() {
                break;
            }
            let asked = space.len();
            match self.input.read(space) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.end += n.min(asked);
                    if n < asked && self.end - self.pos >= need {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Ensures `data` is a chunk this reader alone holds, with room for `need` bytes from `pos`.
    fn make_room(&mut self, need: usize) {
        let have = self.end - self.pos;
        let fits = self.data.len() >= need;
        if let (true, Some(buf)) = (fits, Arc::get_mut(&mut self.data)) {
            // No batch holds this chunk: slide the tail to the front and keep reading into it.
            buf.copy_within(self.pos..self.end, 0);
        } else {
            let size = self.chunk_size.max(need.next_multiple_of(4096));
            let mut fresh = self.take_spare(size);
            if let (Some(dst), Some(src)) = (
                Arc::get_mut(&mut fresh).and_then(|b| b.get_mut(..have)),
                self.data.get(self.pos..self.end),
            ) {
                dst.copy_from_slice(src);
            }
            let old = std::mem::replace(&mut self.data, fresh);
            if self.pool.len() < POOL_MAX && !old.is_empty() {
                self.pool.push(old);
            }
        }
        self.base += self.pos as u64;
        self.pos = 0;
        self.end = have;
    }

    /// A chunk of at least `size` bytes that nobody else holds: a recycled one if possible.
    fn take_spare(&mut self, size: usize) -> Arc<[u8]> {
        let reusable = self
            .pool
            .iter_mut()
            .position(|c| c.len() >= size && Arc::get_mut(c).is_some());
        match reusable {
            Some(i) => self.pool.swap_remove(i),
            None => std::iter::repeat_n(0u8, size).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `step` bytes per call, like a pipe.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn shared_chunk_is_never_written_and_tail_moves_to_a_new_chunk() {
        let src = bytes(10_000);
        let mut b = ChunkBuf::new(Box::new(io::Cursor::new(src.clone())), 4096);
        assert!(b.fill(100).expect("in-memory read"));
        assert_eq!(
            b.available().len(),
            4096,
            "a regular reader fills the whole chunk"
        );
        let held = Arc::clone(b.chunk());
        b.consume(4000);
        assert!(b.fill(200).expect("in-memory read"));
        assert!(
            !Arc::ptr_eq(&held, b.chunk()),
            "held chunk must not be reused"
        );
        assert_eq!(&held[..], &src[..4096], "held chunk unchanged");
        assert_eq!(b.offset(), 4000);
        assert_eq!(&b.available()[..200], &src[4000..4200]);
    }

    #[test]
    fn unshared_chunk_is_reused_in_place() {
        let mut b = ChunkBuf::new(Box::new(io::Cursor::new(bytes(10_000))), 4096);
        assert!(b.fill(10).expect("in-memory read"));
        let ptr = Arc::as_ptr(b.chunk());
        b.consume(4090);
        assert!(b.fill(100).expect("in-memory read"));
        assert_eq!(Arc::as_ptr(b.chunk()), ptr);
        assert_eq!(b.available()[0], (4090 % 251) as u8);
    }

    #[test]
    fn released_chunks_are_recycled() {
        let mut b = ChunkBuf::new(Box::new(io::Cursor::new(bytes(100_000))), 4096);
        assert!(b.fill(10).expect("in-memory read"));
        let first = Arc::as_ptr(b.chunk());
        let held = Arc::clone(b.chunk());
        b.consume(4096);
        assert!(b.fill(10).expect("in-memory read"));
        let second = Arc::clone(b.chunk());
        drop(held);
        b.consume(4096);
        assert!(b.fill(10).expect("in-memory read"));
        assert_eq!(Arc::as_ptr(b.chunk()), first, "first chunk recycled");
        drop(second);
    }

    #[test]
    fn pipe_reads_stop_once_the_need_is_met() {
        let src = bytes(50_000);
        let mut b = ChunkBuf::new(
            Box::new(Trickle {
                data: src.clone(),
                at: 0,
                step: 1000,
            }),
            8192,
        );
        assert!(b.fill(1500).expect("in-memory read"));
        assert_eq!(b.available().len(), 2000);
        b.consume(1999);
        assert!(
            b.fill(9000).expect("in-memory read"),
            "grows past chunk size"
        );
        assert_eq!(&b.available()[..9000], &src[1999..10_999]);
        assert_eq!(b.offset(), 1999);
    }

    #[test]
    fn a_huge_need_on_a_short_input_does_not_allocate_it() {
        let mut b = ChunkBuf::new(Box::new(io::Cursor::new(bytes(5000))), 4096);
        assert!(b.fill(10).expect("in-memory read"));
        assert!(!b.fill(200 * 1024 * 1024).expect("in-memory read"));
        assert_eq!(b.available().len(), 5000);
        assert!(b.chunk().len() <= 16 * 1024, "grew to {}", b.chunk().len());
    }

    #[test]
    fn end_of_input_leaves_the_rest_available() {
        let mut b = ChunkBuf::new(Box::new(io::Cursor::new(bytes(10))), 4096);
        assert!(!b.fill(11).expect("in-memory read"));
        assert_eq!(b.available().len(), 10);
        assert_eq!(b.bytes_read(), 10);
        b.consume(100);
        assert!(b.available().is_empty());
    }
}
