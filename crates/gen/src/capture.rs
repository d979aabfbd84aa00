//! Where frames go: a pcap (nanosecond) or pcapng file through segscope-capture's writers,
//! with exact accounting of the bytes written so that a size target is met to the frame.

use std::io::{self, Write};
use std::path::Path;

use segscope_capture::write::{PcapWriter, PcapngWriter};
use segscope_core::Timestamp;

/// Ethernet link type.
const LINKTYPE_ETHERNET: u32 = 1;
/// Snap length declared in the file headers.
const SNAPLEN: u32 = 262_144;

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap, nanosecond timestamps.
    Pcap,
    /// pcapng, one Ethernet interface, nanosecond timestamps.
    Pcapng,
}

impl Format {
    /// The format named by a file extension (`.pcap`, `.pcapng`), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "pcap" => Some(Format::Pcap),
            "pcapng" => Some(Format::Pcapng),
            _ => None,
        }
    }

    /// Bytes the file headers take.
    fn header_len(self) -> u64 {
        match self {
            Format::Pcap => 24,
            // SHB 28 + IDB (20 + tsresol 8 + name "eth0" 8 + end 4).
            Format::Pcapng => 28 + 40,
        }
    }

    /// Bytes one frame record of `len` bytes takes.
    pub fn record_len(self, len: usize) -> u64 {
        match self {
            Format::Pcap => 16 + len as u64,
            Format::Pcapng => 32 + (len as u64).div_ceil(4) * 4,
        }
    }
}

/// Receives the frames of a simulation in time order.
pub trait FrameSink {
    /// Bytes written so far (file headers included).
    fn written(&self) -> u64;
    /// Bytes a frame of `len` bytes will add.
    fn cost(&self, len: usize) -> u64;
    /// Writes one frame.
    fn write_frame(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()>;
}

enum Writer<W: Write> {
    Pcap(PcapWriter<W>),
    Pcapng(PcapngWriter<W>, u32),
}

/// A capture file being written.
pub struct CaptureSink<W: Write> {
    writer: Writer<W>,
    format: Format,
    written: u64,
}

impl<W: Write> CaptureSink<W> {
    /// Writes the file headers of `format` to `out`.
    pub fn new(out: W, format: Format) -> io::Result<CaptureSink<W>> {
        let writer = match format {
            Format::Pcap => Writer::Pcap(PcapWriter::new(out, LINKTYPE_ETHERNET, SNAPLEN)?),
            Format::Pcapng => {
                let mut w = PcapngWriter::new(out)?;
                let iface = w.add_interface(LINKTYPE_ETHERNET, SNAPLEN, Some("eth0"))?;
                Writer::Pcapng(w, iface)
            }
        };
        Ok(CaptureSink {
            writer,
            format,
            written: format.header_len(),
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        match self.writer {
            Writer::Pcap(w) => w.finish(),
            Writer::Pcapng(w, _) => w.finish(),
        }
    }
}

impl<W: Write> FrameSink for CaptureSink<W> {
    fn written(&self) -> u64 {
        self.written
    }

    fn cost(&self, len: usize) -> u64 {
        self.format.record_len(len)
    }

    fn write_frame(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        let len = u32::try_from(frame.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
        match &mut self.writer {
            Writer::Pcap(w) => w.write_frame(ts, frame, len)?,
            Writer::Pcapng(w, iface) => w.write_frame(*iface, ts, frame, len)?,
        }
        self.written += self.format.record_len(frame.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_matches_the_bytes_written() {
        for format in [Format::Pcap, Format::Pcapng] {
            let mut sink = CaptureSink::new(Vec::new(), format).expect("in memory");
            for len in [60usize, 61, 62, 63, 1514] {
                sink.write_frame(Timestamp(1), &vec![0u8; len])
                    .expect("in memory");
            }
            let counted = sink.written();
            let bytes = sink.finish().expect("in memory");
            assert_eq!(counted, bytes.len() as u64, "{format:?}");
        }
    }
}
