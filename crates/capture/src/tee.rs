//! `--write copy.pcapng`: a frame source that also writes every frame it yields to a pcapng
//! file, atomically (the file appears complete when the run ends, also after Ctrl-C).

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use segscope_core::stats::CaptureStats;
use tempfile::NamedTempFile;

use crate::write::PcapngWriter;
use crate::{CaptureError, CaptureWarning, FrameBatch, FrameSource, Progress};

/// Wraps a source; every frame it returns is also written to a pcapng file.
pub struct TeeSource {
    inner: Box<dyn FrameSource>,
    path: PathBuf,
    writer: Option<PcapngWriter<BufWriter<NamedTempFile>>>,
    /// pcapng interface id per link type.
    interfaces: BTreeMap<u32, u32>,
}

fn write_error(path: &Path, e: std::io::Error) -> CaptureError {
    CaptureError::Write {
        path: path.display().to_string(),
        source: e,
    }
}

impl TeeSource {
    /// Starts writing `path` (through a temporary file in the same folder).
    pub fn new(inner: Box<dyn FrameSource>, path: &Path) -> Result<TeeSource, CaptureError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp =
            segscope_report::atomic::output_tempfile(dir).map_err(|e| write_error(path, e))?;
        let writer = PcapngWriter::new(BufWriter::with_capacity(1 << 20, tmp))
            .map_err(|e| write_error(path, e))?;
        Ok(TeeSource {
            inner,
            path: path.to_path_buf(),
            writer: Some(writer),
            interfaces: BTreeMap::new(),
        })
    }
}

impl FrameSource for TeeSource {
    fn next_batch(&mut self, out: &mut FrameBatch) -> Result<bool, CaptureError> {
        let more = self.inner.next_batch(out)?;
        if let Some(w) = self.writer.as_mut() {
            for (meta, data) in out.iter() {
                let iface = match self.interfaces.get(&meta.linktype) {
                    Some(&i) => i,
                    None => {
                        let i = w
                            .add_interface(meta.linktype, 0, None)
                            .map_err(|e| write_error(&self.path, e))?;
                        self.interfaces.insert(meta.linktype, i);
                        i
                    }
                };
                w.write_frame(iface, meta.ts, data, meta.wirelen)
                    .map_err(|e| write_error(&self.path, e))?;
            }
        }
        Ok(more)
    }

    fn stats(&self) -> CaptureStats {
        self.inner.stats()
    }

    fn source_names(&self) -> &[Arc<str>] {
        self.inner.source_names()
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }

    fn warnings(&self) -> &[CaptureWarning] {
        self.inner.warnings()
    }

    fn warnings_not_kept(&self) -> u64 {
        self.inner.warnings_not_kept()
    }

    fn close(&mut self) -> Result<(), CaptureError> {
        self.inner.close()?;
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        let tmp = w
            .finish()
            .map_err(|e| write_error(&self.path, e))?
            .into_inner()
            .map_err(|e| write_error(&self.path, e.into_error()))?;
        tmp.persist(&self.path)
            .map(|_| ())
            .map_err(|e| write_error(&self.path, e.error))
    }
}
