//! What to read and how: input specifications (paths, `-`, or any `Read`) and reading options.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::CaptureError;

/// One input to read.
pub enum InputSpec {
    /// A capture file; `-` reads standard input.
    Path(PathBuf),
    /// Any byte stream (a decompressor, a socket, a test buffer, a fuzz input).
    Reader {
        /// Name used in frame sources, warnings and errors.
        name: String,
        /// The stream.
        reader: Box<dyn Read + Send>,
        /// Its length when known (for progress).
        size: Option<u64>,
    },
}

impl InputSpec {
    /// A path, or `-` for standard input.
    pub fn path(path: impl Into<PathBuf>) -> InputSpec {
        InputSpec::Path(path.into())
    }

    /// A named stream of unknown length.
    pub fn reader(name: impl Into<String>, reader: impl Read + Send + 'static) -> InputSpec {
        InputSpec::Reader {
            name: name.into(),
            reader: Box::new(reader),
            size: None,
        }
    }
}

impl fmt::Debug for InputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSpec::Path(p) => f.debug_tuple("Path").field(p).finish(),
            InputSpec::Reader { name, size, .. } => f
                .debug_struct("Reader")
                .field("name", name)
                .field("size", size)
                .finish_non_exhaustive(),
        }
    }
}

/// How to read capture files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Link types the caller can decode (the decoder crate owns this list). A classic pcap file
    /// of another link type is refused when opened; pcapng frames on an interface of another
    /// link type are counted in `unsupported_linktype` and skipped. `None` accepts every link
    /// type.
    pub supported_linktypes: Option<Vec<u32>>,
    /// tcpdump-syntax filter; frames it rejects are counted in `filtered_out`.
    pub filter: Option<String>,
    /// Bytes per read chunk (merged files share [`MERGE_MEMORY_BUDGET`]). A chunk grows when a
    /// record is larger.
    pub chunk_size: usize,
    /// Most frames per batch (at most 65,535).
    pub batch_frames: usize,
}

/// Default chunk size. Large enough that system calls cost nothing measurable, small enough
/// that the records the kernel just copied are still in the CPU's L2 cache when they are framed:
/// on a 1 GiB pcap, 1 MiB chunks take 0.05 s of user time where 8 MiB chunks take 0.21 s (each
/// record header is then a cache miss).
pub const DEFAULT_CHUNK_SIZE: usize = 1024 * 1024;
/// Memory shared by the chunks of merged files (each file still gets at least 256 KiB).
pub const MERGE_MEMORY_BUDGET: usize = 256 * 1024 * 1024;

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            supported_linktypes: None,
            filter: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            batch_frames: 4096,
        }
    }
}

/// An opened input: its name, stream, and size when known.
pub(crate) struct Opened {
    pub(crate) name: String,
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) size: Option<u64>,
}

/// Opens one input, turning the usual mistakes into errors that say what to do.
pub(crate) fn open_input(spec: InputSpec) -> Result<Opened, CaptureError> {
    match spec {
        InputSpec::Reader { name, reader, size } => Ok(Opened { name, reader, size }),
        InputSpec::Path(path) if path.as_os_str() == "-" => Ok(Opened {
            name: "-".into(),
            reader: Box::new(io::stdin()),
            size: None,
        }),
        InputSpec::Path(path) => {
            let name = path.display().to_string();
            let meta = std::fs::metadata(&path).map_err(|e| CaptureError::from_open(&name, e))?;
            if meta.is_dir() {
                return Err(CaptureError::IsDirectory { path: name });
            }
            if meta.is_file() && meta.len() == 0 {
                return Err(CaptureError::EmptyFile { path: name });
            }
            let file = File::open(&path).map_err(|e| CaptureError::from_open(&name, e))?;
            Ok(Opened {
                name,
                reader: Box::new(file),
                size: meta.is_file().then_some(meta.len()),
            })
        }
    }
}
