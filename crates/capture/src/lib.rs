//! Frames in, batches out: pcap and pcapng files (several merged as one time-ordered stream,
//! `-` for stdin) and live interfaces through libpcap, with tcpdump's BPF filters.
//!
//! The reader owns large chunks of file data and hands out [`FrameBatch`]es that point into
//! them, so a frame is never copied between the page cache and the decoder (live capture copies
//! once, because libpcap reuses its buffer).
//!
//! Entry points: [`open`] for files, standard input and any `Read` ([`InputSpec`]), and
//! [`open_live`] for an interface. Both return a [`FrameSource`]:
//!
//! ```no_run
//! use segscope_capture::{FrameBatch, FrameSource, InputSpec, ReadOptions};
//!
//! let mut source = segscope_capture::open(vec![InputSpec::path("a.pcap")], &ReadOptions::default())?;
//! let mut batch = FrameBatch::default();
//! while source.next_batch(&mut batch)? {
//!     for (meta, bytes) in batch.iter() {
//!         println!("frame {} at {}: {} bytes", meta.frame_no, meta.ts, bytes.len());
//!     }
//! }
//! println!("{:?}", source.stats());
//! # Ok::<(), segscope_capture::CaptureError>(())
//! ```
//!
//! Damaged input is read around rather than refused: corrupt records and truncated tails are
//! counted in [`CaptureStats`](segscope_core::stats::CaptureStats) and described in
//! [`FrameSource::warnings`]. Inputs that cannot be read at all give a [`CaptureError`] whose
//! message names the input and says what to do.

mod chunk;
mod error;
mod file;
mod filter;
mod input;
mod live;
mod merge;
mod pcap;
mod pcapng;
mod sniff;
mod source;
pub mod tee;
pub mod write;

use std::sync::Arc;

use segscope_core::Timestamp;

pub use error::CaptureError;
pub use input::{DEFAULT_CHUNK_SIZE, InputSpec, MERGE_MEMORY_BUDGET, ReadOptions};
pub use live::{BATCH_INTERVAL, IDLE_POLL, LiveOptions, LiveSource, StopHandle, open_live};
pub use merge::{FileSource, open};
pub use source::{CaptureWarning, FrameSource, MAX_WARNINGS, Progress};

/// Where one frame lies and what the capture said about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMeta {
    /// Capture timestamp.
    pub ts: Timestamp,
    /// Captured length (bytes present).
    pub caplen: u32,
    /// Original length on the wire.
    pub wirelen: u32,
    /// LINKTYPE_* value of the interface the frame was captured on.
    pub linktype: u32,
    /// Index into [`FrameSource::source_names`].
    pub source: u16,
    /// 1-based frame number within its source (Wireshark's `frame.number`).
    pub frame_no: u64,
    /// Index of the chunk in [`FrameBatch::chunks`] holding the frame.
    pub chunk: u16,
    /// Offset of the frame's first byte in that chunk.
    pub offset: u32,
}

/// A batch of frames and the chunks they point into. Cheap to send to other threads: chunks are
/// reference counted and never mutated once shared.
#[derive(Clone, Debug, Default)]
pub struct FrameBatch {
    /// Data chunks referenced by `frames`.
    pub chunks: Vec<Arc<[u8]>>,
    /// Frames in capture order (time order across merged files).
    pub frames: Vec<FrameMeta>,
}

impl FrameBatch {
    /// The bytes of one frame. Returns an empty slice for a frame that does not point into this
    /// batch (never happens for batches built by this crate).
    pub fn data(&self, f: &FrameMeta) -> &[u8] {
        self.chunks
            .get(f.chunk as usize)
            .and_then(|c| c.get(f.offset as usize..f.offset as usize + f.caplen as usize))
            .unwrap_or(&[])
    }

    /// Frames with their bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&FrameMeta, &[u8])> {
        self.frames.iter().map(move |f| (f, self.data(f)))
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when the batch holds no frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.frames.clear();
    }
}
