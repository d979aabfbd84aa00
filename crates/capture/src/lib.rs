//! Frames in, batches out: pcap and pcapng files (several merged as one time-ordered stream,
//! `-` for stdin) and live interfaces through libpcap, with tcpdump's BPF filters.
//!
//! The reader owns large chunks of file data and hands out [`FrameBatch`]es that point into
//! them, so a frame is never copied between the page cache and the decoder (live capture copies
//! once, because libpcap reuses its buffer).

pub mod write;

use std::sync::Arc;

use segscope_core::Timestamp;

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
