//! Errors that stop reading. Each one is a single line that names the input, says where the
//! problem is when that is known, and says what to do about it. Damage that can be read around
//! (corrupt records, truncated tails) is not an error: it is counted and reported as a
//! [`CaptureWarning`](crate::CaptureWarning).

use std::io;

use thiserror::Error;

/// Why a capture could not be opened or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// No inputs were given.
    #[error("no input given; pass at least one capture file, or `-` to read standard input")]
    NoInput,

    /// More inputs than frame metadata can number.
    #[error(
        "{count} inputs given but at most {max} can be read together; merge them in groups with mergecap first"
    )]
    TooManyInputs {
        /// Inputs given.
        count: usize,
        /// The most that can be merged (the range of `FrameMeta::source`).
        max: usize,
    },

    /// The path does not exist.
    #[error("{path}: no such file; check the path (use `-` to read a capture from standard input)")]
    NotFound {
        /// The path as given.
        path: String,
    },

    /// The path exists but this user may not read it.
    #[error(
        "{path}: permission denied; make the file readable by this user (e.g. `chmod a+r {path}`) or run as a user who can read it"
    )]
    PermissionDenied {
        /// The path as given.
        path: String,
    },

    /// The path is a directory.
    #[error("{path}: is a directory; pass the capture files inside it (e.g. `{path}/*.pcap`)")]
    IsDirectory {
        /// The path as given.
        path: String,
    },

    /// The input holds no byte at all.
    #[error(
        "{path}: empty (0 bytes), so there is nothing to read; check that the capture was written completely"
    )]
    EmptyFile {
        /// The input's name.
        path: String,
    },

    /// The input is neither pcap nor pcapng.
    #[error("{path}: not a pcap or pcapng capture: {looks_like}; {hint}")]
    NotACapture {
        /// The input's name.
        path: String,
        /// What the first bytes look like (gzip data, text, a snoop capture, or the bytes in hex).
        looks_like: String,
        /// What to do.
        hint: String,
    },

    /// The input is a capture but its file or section header cannot be used.
    #[error("{path}: {what} at byte {offset}; {hint}")]
    BadHeader {
        /// The input's name.
        path: String,
        /// Byte offset of the header.
        offset: u64,
        /// What is wrong.
        what: String,
        /// What to do.
        hint: &'static str,
    },

    /// The capture's (or interface's) link type is not one the decoder handles.
    #[error(
        "{source_name}: link type {linktype} ({linktype_name}) is not supported (supported: {supported}); {hint}"
    )]
    UnsupportedLinktype {
        /// The input's name (`iface:NAME` for an interface).
        source_name: String,
        /// The LINKTYPE_* value.
        linktype: u32,
        /// libpcap's name for it.
        linktype_name: String,
        /// The supported link types, by name and value.
        supported: String,
        /// What to do.
        hint: &'static str,
    },

    /// Reading failed.
    #[error(
        "{path}: read error at byte {offset}: {source}; check the disk, or the program writing to the pipe"
    )]
    Io {
        /// The input's name.
        path: String,
        /// Byte offset where the read started.
        offset: u64,
        /// The operating system's error.
        source: io::Error,
    },

    /// The `--write` copy of the packets could not be written.
    #[error(
        "{path}: cannot write the packet copy: {source}; check free space and permissions of its folder"
    )]
    Write {
        /// The output path.
        path: String,
        /// The operating system's error.
        source: io::Error,
    },

    /// libpcap rejected the capture filter.
    #[error(
        "invalid capture filter {expr:?} for link type {linktype_name} ({linktype}): {message}; check the expression against tcpdump's filter syntax (`man pcap-filter`)"
    )]
    BadFilter {
        /// The expression as given.
        expr: String,
        /// The link type it was compiled for.
        linktype: u32,
        /// libpcap's name for the link type.
        linktype_name: String,
        /// libpcap's message.
        message: String,
    },

    /// The interface to capture on does not exist.
    #[error(
        "interface {name:?} not found; interfaces libpcap sees: {available}; pick one of those"
    )]
    InterfaceNotFound {
        /// The interface name as given.
        name: String,
        /// The interfaces `pcap_findalldevs` lists, comma-separated.
        available: String,
    },

    /// This process may not capture on the interface.
    #[error(
        "capturing on {name:?} is not permitted ({message}); run as root, or grant the capability once: sudo setcap cap_net_raw,cap_net_admin=eip {exe}"
    )]
    CapturePermission {
        /// The interface name.
        name: String,
        /// libpcap's message.
        message: String,
        /// The path of the running program, for the `setcap` command.
        exe: String,
    },

    /// Any other failure of a live capture.
    #[error(
        "live capture on {name:?} failed: {message}; check that the interface is up and the capture options are valid"
    )]
    Live {
        /// The interface name.
        name: String,
        /// libpcap's message.
        message: String,
    },
}

impl CaptureError {
    /// Maps a failure to open or inspect `path` to the matching error.
    pub(crate) fn from_open(path: &str, err: io::Error) -> CaptureError {
        match err.kind() {
            io::ErrorKind::NotFound => CaptureError::NotFound { path: path.into() },
            io::ErrorKind::PermissionDenied => CaptureError::PermissionDenied { path: path.into() },
            io::ErrorKind::IsADirectory => CaptureError::IsDirectory { path: path.into() },
            _ => CaptureError::Io {
                path: path.into(),
                offset: 0,
                source: err,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_map_to_variants_that_say_what_to_do() {
        let denied = CaptureError::from_open(
            "/x/a.pcap",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        let msg = denied.to_string();
        assert!(matches!(denied, CaptureError::PermissionDenied { .. }));
        assert!(msg.starts_with("/x/a.pcap: permission denied"), "{msg}");
        assert!(msg.contains("chmod a+r /x/a.pcap"), "{msg}");
        assert!(matches!(
            CaptureError::from_open("a", io::Error::from(io::ErrorKind::NotFound)),
            CaptureError::NotFound { .. }
        ));
        assert!(matches!(
            CaptureError::from_open("a", io::Error::from(io::ErrorKind::IsADirectory)),
            CaptureError::IsDirectory { .. }
        ));
        let other = CaptureError::from_open("a", io::Error::other("disk on fire"));
        assert!(other.to_string().contains("disk on fire"), "{other}");
    }
}
