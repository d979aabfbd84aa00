//! Capture files as one time-ordered stream: a k-way merge by timestamp over per-file readers.
//! Each file keeps its own record order (a file whose clock steps back is not re-sorted), and
//! equal timestamps go to the file given first. One file is passed through without merging.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use segscope_core::Timestamp;
use segscope_core::stats::CaptureStats;

use crate::file::FileReader;
use crate::input::{InputSpec, MERGE_MEMORY_BUDGET, ReadOptions, open_input};
use crate::source::{CaptureWarning, FrameSource, Progress, Warnings};
use crate::{CaptureError, FrameBatch};

/// Smallest chunk a merged file gets, whatever the number of files.
const MIN_MERGE_CHUNK: usize = 256 * 1024;
/// Largest chunk accepted from the options (frame offsets are 32-bit).
const MAX_CHUNK: usize = 1024 * 1024 * 1024;

/// Frames from capture files and standard input, in time order across files.
pub struct FileSource {
    lanes: Vec<Lane>,
    names: Vec<Arc<str>>,
    /// Next frame time of each lane that has one; ties go to the lower lane index.
    heads: BinaryHeap<Reverse<(Timestamp, usize)>>,
    warnings: Warnings,
    batch_frames: usize,
    primed: bool,
}

/// One file and the frames read ahead from it.
struct Lane {
    reader: FileReader,
    staged: FrameBatch,
    next: usize,
    /// Index in the output batch of each staged chunk, or `u16::MAX` when not added yet.
    chunk_map: Vec<u16>,
    more: bool,
}

/// Opens capture files (`-` for standard input) or streams, to be read as one time-ordered
/// stream. Every input is opened and its header checked before this returns, so a bad file is
/// reported before any work is done.
pub fn open(inputs: Vec<InputSpec>, opts: &ReadOptions) -> Result<FileSource, CaptureError> {
    if inputs.is_empty() {
        return Err(CaptureError::NoInput);
    }
    let max_sources = usize::from(u16::MAX) + 1;
    if inputs.len() > max_sources {
        return Err(CaptureError::TooManyInputs {
            count: inputs.len(),
            max: max_sources,
        });
    }
    let base_chunk = opts.chunk_size.clamp(4096, MAX_CHUNK);
    let per_file = if inputs.len() > 1 {
        (MERGE_MEMORY_BUDGET / inputs.len()).max(MIN_MERGE_CHUNK)
    } else {
        MAX_CHUNK
    };
    let supported: Option<Arc<[u32]>> = opts.supported_linktypes.as_deref().map(Arc::from);
    let batch_frames = opts.batch_frames.clamp(1, usize::from(u16::MAX));
    let mut lanes = Vec::with_capacity(inputs.len());
    for (i, spec) in inputs.into_iter().enumerate() {
        let opened = open_input(spec)?;
        let chunk = base_chunk.min(per_file);
        let source = u16::try_from(i).unwrap_or(u16::MAX);
        let reader = FileReader::open(
            opened,
            source,
            chunk,
            supported.clone(),
            opts.filter.as_deref(),
        )?;
        lanes.push(Lane {
            reader,
            staged: FrameBatch::default(),
            next: 0,
            chunk_map: Vec::new(),
            more: true,
        });
    }
    Ok(FileSource {
        names: lanes.iter().map(|l| Arc::clone(l.reader.name())).collect(),
        heads: BinaryHeap::with_capacity(lanes.len()),
        lanes,
        warnings: Warnings::default(),
        batch_frames,
        primed: false,
    })
}

impl Lane {
    /// Reads the next frames of this file into `staged`, until some are read or the file ends.
    fn refill(&mut self, batch_frames: usize, w: &mut Warnings) -> Result<(), CaptureError> {
        self.staged.clear();
        self.chunk_map.clear();
        self.next = 0;
        while self.more && self.staged.is_empty() {
            self.more = self.reader.fill(&mut self.staged, batch_frames, w)?;
        }
        Ok(())
    }

    fn head_ts(&self) -> Option<Timestamp> {
        self.staged.frames.get(self.next).map(|f| f.ts)
    }
}

impl FileSource {
    fn next_merged(&mut self, out: &mut FrameBatch) -> Result<bool, CaptureError> {
        if !self.primed {
            self.primed = true;
            for (i, lane) in self.lanes.iter_mut().enumerate() {
                lane.refill(self.batch_frames, &mut self.warnings)?;
                if let Some(ts) = lane.head_ts() {
                    self.heads.push(Reverse((ts, i)));
                }
            }
        }
        for lane in &mut self.lanes {
            lane.chunk_map.clear();
        }
        while out.frames.len() < self.batch_frames {
            let Some(Reverse((_, i))) = self.heads.pop() else {
                break;
            };
            let Some(lane) = self.lanes.get_mut(i) else {
                break;
            };
            if let Some(frame) = lane.staged.frames.get(lane.next).copied() {
                let c = usize::from(frame.chunk);
                if lane.chunk_map.len() <= c {
                    lane.chunk_map.resize(c + 1, u16::MAX);
                }
                let mapped = match lane.chunk_map.get(c).copied() {
                    Some(m) if m != u16::MAX => m,
                    _ => {
                        let Some(chunk) = lane.staged.chunks.get(c) else {
                            break;
                        };
                        out.chunks.push(Arc::clone(chunk));
                        let m = u16::try_from(out.chunks.len() - 1).unwrap_or(u16::MAX);
                        if let Some(slot) = lane.chunk_map.get_mut(c) {
                            *slot = m;
                        }
                        m
                    }
                };
                out.frames.push(crate::FrameMeta {
                    chunk: mapped,
                    ..frame
                });
                lane.next += 1;
            }
            if lane.next >= lane.staged.frames.len() {
                lane.refill(self.batch_frames, &mut self.warnings)?;
            }
            if let Some(ts) = lane.head_ts() {
                self.heads.push(Reverse((ts, i)));
            }
        }
        Ok(!out.is_empty() || !self.heads.is_empty())
    }
}

impl FrameSource for FileSource {
    fn next_batch(&mut self, out: &mut FrameBatch) -> Result<bool, CaptureError> {
        out.clear();
        if let [lane] = self.lanes.as_mut_slice() {
            if !lane.more {
                return Ok(false);
            }
            lane.more = lane
                .reader
                .fill(out, self.batch_frames, &mut self.warnings)?;
            return Ok(lane.more || !out.is_empty());
        }
        self.next_merged(out)
    }

    fn stats(&self) -> CaptureStats {
        let mut total = CaptureStats::default();
        for lane in &self.lanes {
            total.merge(lane.reader.stats());
        }
        total
    }

    fn source_names(&self) -> &[Arc<str>] {
        &self.names
    }

    fn progress(&self) -> Progress {
        Progress {
            bytes_read: self.lanes.iter().map(|l| l.reader.bytes_read()).sum(),
            bytes_total: self.lanes.iter().map(|l| l.reader.size()).sum(),
        }
    }

    fn warnings(&self) -> &[CaptureWarning] {
        &self.warnings.kept
    }

    fn warnings_not_kept(&self) -> u64 {
        self.warnings.not_kept
    }
}
