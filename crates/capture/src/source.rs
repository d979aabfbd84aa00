//! The interface every frame source offers the engine, and the bounded warning list that keeps
//! damage visible without letting a badly broken file flood memory.

use std::fmt;
use std::sync::Arc;

use segscope_core::stats::CaptureStats;

use crate::{CaptureError, FrameBatch};

/// Something that yields frames in batches: capture files (merged by time) or a live interface.
pub trait FrameSource: Send {
    /// Clears `out` and fills it with the next frames. Returns `Ok(false)`, with `out` empty, once
    /// the input is exhausted (or a live capture was stopped). A batch may be empty while the
    /// source still has more to give: live capture returns at least every ~100 ms so that the
    /// caller can check for Ctrl-C or a time limit, and a file whose frames are all filtered out
    /// returns after a bounded amount of work so the progress bar keeps moving.
    fn next_batch(&mut self, out: &mut FrameBatch) -> Result<bool, CaptureError>;

    /// Counters so far. Cheap; call it after each batch if needed.
    fn stats(&self) -> CaptureStats;

    /// Names of the sources, indexed by [`FrameMeta::source`](crate::FrameMeta::source): file
    /// paths as given, `-` for standard input, `iface:NAME` for an interface.
    fn source_names(&self) -> &[Arc<str>];

    /// How far reading has got, for a progress bar.
    fn progress(&self) -> Progress;

    /// The first [`MAX_WARNINGS`] warnings (corruption, truncation, unsupported interfaces…).
    fn warnings(&self) -> &[CaptureWarning];

    /// Warnings that were counted but not kept because the list was full.
    fn warnings_not_kept(&self) -> u64;

    /// Called once when the caller stops reading (end of input, Ctrl-C, time limit), so that a
    /// source that also writes (see [`TeeSource`](crate::tee::TeeSource)) can complete its
    /// output. Reading sources have nothing to do.
    fn close(&mut self) -> Result<(), CaptureError> {
        Ok(())
    }
}

/// Bytes read so far and, when every input has a known size, the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed from the inputs.
    pub bytes_read: u64,
    /// Sum of the input sizes, `None` when an input is a pipe or a live interface.
    pub bytes_total: Option<u64>,
}

/// The most warnings a source keeps; later ones are only counted.
pub const MAX_WARNINGS: usize = 100;

/// Something wrong with the input that did not stop reading, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureWarning {
    /// The input's name.
    pub source: Arc<str>,
    /// Byte offset in the input, when the problem is at a place in the file.
    pub offset: Option<u64>,
    /// Frame number the problem is at (the next frame to be numbered, for damage between
    /// frames).
    pub frame: Option<u64>,
    /// What happened and what was done about it.
    pub message: String,
}

impl fmt::Display for CaptureWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(offset) = self.offset {
            write!(f, ": byte {offset}")?;
        }
        if let Some(frame) = self.frame {
            write!(f, ", frame {frame}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A bounded list of warnings plus a count of those dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct Warnings {
    pub(crate) kept: Vec<CaptureWarning>,
    pub(crate) not_kept: u64,
}

impl Warnings {
    /// Records a warning (cold path: warnings are rare by construction).
    #[cold]
    pub(crate) fn push(
        &mut self,
        source: &Arc<str>,
        offset: Option<u64>,
        frame: Option<u64>,
        message: String,
    ) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(CaptureWarning {
                source: Arc::clone(source),
                offset,
                frame,
                message,
            });
        } else {
            self.not_kept += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_bounded_and_counted() {
        let name: Arc<str> = Arc::from("a.pcap");
        let mut w = Warnings::default();
        for i in 0..(MAX_WARNINGS as u64 + 7) {
            w.push(&name, Some(i), None, "x".into());
        }
        assert_eq!(w.kept.len(), MAX_WARNINGS);
        assert_eq!(w.not_kept, 7);
        assert_eq!(w.kept[3].to_string(), "a.pcap: byte 3: x");
    }

    #[test]
    fn warning_display_names_offset_and_frame() {
        let w = CaptureWarning {
            source: Arc::from("f.pcap"),
            offset: Some(5035),
            frame: Some(7),
            message: "corrupt".into(),
        };
        assert_eq!(w.to_string(), "f.pcap: byte 5035, frame 7: corrupt");
    }
}
