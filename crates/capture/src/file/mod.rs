//! One capture file (or stream) read as frames: classic pcap or pcapng, framed in place in the
//! chunks of a [`ChunkBuf`], with corruption counted and read around.
//!
//! Damage handling, in short:
//! - A record whose lengths are impossible (classic pcap) or a block whose length is impossible
//!   or whose trailing length differs (pcapng) is counted in `corrupt_records`; the reader then
//!   scans forward byte by byte for the next plausible record or block, counting the bytes it
//!   passes in `resync_skipped_bytes`.
//! - A record that runs past the end of the input is a truncated tail (`truncated_tail`) unless
//!   a complete, plausible record starts inside it, in which case its header was corrupt.
//! - Each of these leaves a warning with the byte offset and the frame number.
//!
//! Frame numbers count every record read, including filtered ones, those on unsupported
//! interfaces, and the pcapng custom and systemd-journal blocks that Wireshark also shows as
//! frames, so they match Wireshark's `frame.number`. Corrupt records get no number.

use std::io;
use std::sync::Arc;

use segscope_core::Timestamp;
use segscope_core::stats::CaptureStats;

mod classic;
mod ng;

use crate::chunk::ChunkBuf;
use crate::filter::FilterSet;
use crate::input::Opened;
use crate::sniff::{Format, Sniffed, sniff};
use crate::source::Warnings;
use crate::{CaptureError, FrameBatch};

use classic::PcapReader;
use ng::PcapngReader;

/// Bytes examined to recognise the format.
const SNIFF_LEN: usize = 64;

/// A reader for one input.
pub(crate) struct FileReader {
    core: Core,
    format: FormatReader,
}

/// State shared by both formats.
struct Core {
    name: Arc<str>,
    source: u16,
    buf: ChunkBuf,
    next_frame: u64,
    last_ts: Option<Timestamp>,
    stats: CaptureStats,
    filter: Option<FilterSet>,
    supported: Option<Arc<[u32]>>,
    size: Option<u64>,
    done: bool,
}

enum FormatReader {
    Pcap(PcapReader),
    Pcapng(PcapngReader),
}

/// The outcome of testing a position as the start of the next record or block.
enum Candidate {
    Yes,
    No,
    /// Too few bytes remain before the end of the input for a record to start here.
    End,
}

impl FileReader {
    /// Recognises the format, reads the file header and checks the link type (classic pcap).
    pub(crate) fn open(
        input: Opened,
        source: u16,
        chunk_size: usize,
        supported: Option<Arc<[u32]>>,
        filter: Option<&str>,
    ) -> Result<FileReader, CaptureError> {
        let name: Arc<str> = Arc::from(input.name);
        let mut core = Core {
            name,
            source,
            buf: ChunkBuf::new(input.reader, chunk_size),
            next_frame: 1,
            last_ts: None,
            stats: CaptureStats {
                sources: 1,
                ..CaptureStats::default()
            },
            filter: filter.map(FilterSet::new),
            supported,
            size: input.size,
            done: false,
        };
        core.refill(SNIFF_LEN)?;
        let head = core.buf.available();
        if head.is_empty() {
            return Err(CaptureError::EmptyFile {
                path: core.name.to_string(),
            });
        }
        let format = match sniff(head.get(..SNIFF_LEN).unwrap_or(head), &core.name) {
            Sniffed::Capture(Format::Pcap) => FormatReader::Pcap(PcapReader::open(&mut core)?),
            Sniffed::Capture(Format::Pcapng) => {
                FormatReader::Pcapng(PcapngReader::open(&mut core)?)
            }
            Sniffed::Other { looks_like, hint } => {
                return Err(CaptureError::NotACapture {
                    path: core.name.to_string(),
                    looks_like,
                    hint,
                });
            }
        };
        Ok(FileReader { core, format })
    }

    /// Appends up to `max` frames (after examining at most `max` records) to `out`. Returns
    /// `Ok(false)` once the input is exhausted.
    pub(crate) fn fill(
        &mut self,
        out: &mut FrameBatch,
        max: usize,
        warnings: &mut Warnings,
    ) -> Result<bool, CaptureError> {
        if self.core.done {
            return Ok(false);
        }
        let more = match &mut self.format {
            FormatReader::Pcap(r) => r.fill(&mut self.core, out, max, warnings)?,
            FormatReader::Pcapng(r) => r.fill(&mut self.core, out, max, warnings)?,
        };
        self.core.done = !more;
        Ok(more)
    }

    /// The input's name.
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.core.name
    }

    /// Counters for this input.
    pub(crate) fn stats(&self) -> &CaptureStats {
        &self.core.stats
    }

    /// Bytes taken from the input so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.core.buf.bytes_read()
    }

    /// The input's size, when known.
    pub(crate) fn size(&self) -> Option<u64> {
        self.core.size
    }
}

impl Core {
    /// [`ChunkBuf::fill`], with read errors named and located.
    fn refill(&mut self, need: usize) -> Result<bool, CaptureError> {
        match self.buf.fill(need) {
            Ok(complete) => Ok(complete),
            Err(e) => Err(self.io_error(e)),
        }
    }

    #[cold]
    fn io_error(&self, source: io::Error) -> CaptureError {
        CaptureError::Io {
            path: self.name.to_string(),
            offset: self.buf.bytes_read(),
            source,
        }
    }

    /// Numbers a record and counts it.
    #[inline(always)]
    fn count_record(&mut self, ts: Timestamp, caplen: u32, origlen: u32) -> u64 {
        let n = self.next_frame;
        self.next_frame += 1;
        self.stats.records += 1;
        self.stats.captured_bytes += u64::from(caplen);
        self.stats.wire_bytes += u64::from(origlen);
        self.stats.snaplen_truncated += u64::from(caplen < origlen);
        self.last_ts = Some(ts);
        n
    }

    /// True when the frame at `offset..offset+caplen` of the current chunk passes the filter
    /// (always, without one); counts it otherwise.
    #[inline(always)]
    fn passes_filter(
        &mut self,
        linktype: u32,
        offset: usize,
        caplen: u32,
    ) -> Result<bool, CaptureError> {
        let Some(filter) = self.filter.as_mut() else {
            return Ok(true);
        };
        let data = self
            .buf
            .chunk()
            .get(offset..offset + caplen as usize)
            .unwrap_or(&[]);
        let pass = filter.matches(linktype, data)?;
        self.stats.filtered_out += u64::from(!pass);
        Ok(pass)
    }

    /// Records a warning at `offset`, about the next frame to be numbered.
    #[cold]
    fn warn(&self, w: &mut Warnings, offset: u64, message: String) {
        self.warn_frame(w, offset, self.next_frame, message);
    }

    /// Records a warning at `offset` about frame `frame`.
    #[cold]
    fn warn_frame(&self, w: &mut Warnings, offset: u64, frame: u64, message: String) {
        w.push(&self.name, Some(offset), Some(frame), message);
    }

    /// Handles the bytes left when the input ends between records: none is the normal end, a
    /// few are a truncated tail. Returns false (no more frames).
    fn end_of_input(&mut self, w: &mut Warnings, unit: &str, need: usize) -> bool {
        let have = self.buf.available().len();
        if have > 0 {
            self.truncated(w, have, need, unit);
        }
        false
    }

    /// Counts and skips a record cut short by the end of the input.
    #[cold]
    fn truncated(&mut self, w: &mut Warnings, have: usize, need: usize, unit: &str) {
        self.stats.truncated_tail += 1;
        self.warn(
            w,
            self.buf.offset(),
            format!(
                "the input ends inside a {unit}: {have} of {need} bytes present; the partial {unit} is not read (was the capture still being written, or copied incompletely?)"
            ),
        );
        self.buf.consume(have);
    }
}

/// Records the index in `out.chunks` of `chunk`, adding it if it is not the last one there.
#[inline]
fn batch_chunk(out: &mut FrameBatch, chunk: &Arc<[u8]>) -> u16 {
    if !out.chunks.last().is_some_and(|c| Arc::ptr_eq(c, chunk)) {
        out.chunks.push(Arc::clone(chunk));
    }
    u16::try_from(out.chunks.len() - 1).unwrap_or(u16::MAX)
}

/// Offset of a frame inside its chunk (chunks are far smaller than 4 GiB).
#[inline(always)]
fn chunk_offset(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}
