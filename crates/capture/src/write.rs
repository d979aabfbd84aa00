//! Capture writers: classic pcap (nanosecond) and pcapng, for `--write` copies of live traffic
//! and for the generator. Both write little-endian files with nanosecond timestamps so that no
//! precision is lost between capture and analysis.

use std::io::{self, Write};

use segscope_core::Timestamp;

/// Classic pcap with nanosecond timestamps (magic `0xa1b23c4d`).
pub struct PcapWriter<W: Write> {
    out: W,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for one link type.
    pub fn new(mut out: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_3c4du32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, snaplen })
    }

    /// Writes one record; `data` longer than the snap length is cut, `wirelen` is kept.
    pub fn write_frame(&mut self, ts: Timestamp, data: &[u8], wirelen: u32) -> io::Result<()> {
        let cap = data.len().min(self.snaplen as usize);
        let secs = ts.0.div_euclid(1_000_000_000);
        let nanos = ts.0.rem_euclid(1_000_000_000);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(nanos as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(cap as u32).to_le_bytes());
        h[12..16].copy_from_slice(&wirelen.max(cap as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(&data[..cap])
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// pcapng with one Section Header Block and any number of interfaces, each with nanosecond
/// timestamp resolution (`if_tsresol = 9`).
pub struct PcapngWriter<W: Write> {
    out: W,
    snaplens: Vec<u32>,
}

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut b = Vec::with_capacity(28);
        b.extend_from_slice(&SHB.to_le_bytes());
        b.extend_from_slice(&28u32.to_le_bytes());
        b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(-1i64).to_le_bytes());
        b.extend_from_slice(&28u32.to_le_bytes());
        out.write_all(&b)?;
        Ok(PcapngWriter {
            out,
            snaplens: Vec::new(),
        })
    }

    /// Adds an interface and returns its id for [`PcapngWriter::write_frame`].
    pub fn add_interface(
        &mut self,
        linktype: u32,
        snaplen: u32,
        name: Option<&str>,
    ) -> io::Result<u32> {
        let mut opts = Vec::new();
        // if_tsresol (code 9): 10^-9 seconds.
        opts.extend_from_slice(&9u16.to_le_bytes());
        opts.extend_from_slice(&1u16.to_le_bytes());
        opts.extend_from_slice(&[9, 0, 0, 0]);
        if let Some(name) = name {
            // if_name (code 2).
            let bytes = name.as_bytes();
            let len = bytes.len().min(u16::MAX as usize);
            opts.extend_from_slice(&2u16.to_le_bytes());
            opts.extend_from_slice(&(len as u16).to_le_bytes());
            opts.extend_from_slice(&bytes[..len]);
            opts.resize(opts.len() + pad4(len), 0);
        }
        opts.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        let total = 20 + opts.len();
        let mut b = Vec::with_capacity(total);
        b.extend_from_slice(&IDB.to_le_bytes());
        b.extend_from_slice(&(total as u32).to_le_bytes());
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&snaplen.to_le_bytes());
        b.extend_from_slice(&opts);
        b.extend_from_slice(&(total as u32).to_le_bytes());
        self.out.write_all(&b)?;
        self.snaplens.push(snaplen);
        Ok(self.snaplens.len() as u32 - 1)
    }

    /// Writes an Enhanced Packet Block on interface `iface`.
    pub fn write_frame(
        &mut self,
        iface: u32,
        ts: Timestamp,
        data: &[u8],
        wirelen: u32,
    ) -> io::Result<()> {
        let snaplen = self.snaplens.get(iface as usize).copied().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("pcapng interface {iface} was not added"),
            )
        })?;
        let cap = if snaplen == 0 {
            data.len()
        } else {
            data.len().min(snaplen as usize)
        };
        let total = 32 + cap + pad4(cap);
        let t = ts.0 as u64;
        let mut h = [0u8; 28];
        h[0..4].copy_from_slice(&EPB.to_le_bytes());
        h[4..8].copy_from_slice(&(total as u32).to_le_bytes());
        h[8..12].copy_from_slice(&iface.to_le_bytes());
        h[12..16].copy_from_slice(&((t >> 32) as u32).to_le_bytes());
        h[16..20].copy_from_slice(&(t as u32).to_le_bytes());
        h[20..24].copy_from_slice(&(cap as u32).to_le_bytes());
        h[24..28].copy_from_slice(&wirelen.max(cap as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(&data[..cap])?;
        self.out.write_all(&[0u8; 3][..pad4(cap)])?;
        self.out.write_all(&(total as u32).to_le_bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_layout_is_byte_exact() {
        let mut w = PcapWriter::new(Vec::new(), 1, 65535).expect("in-memory write");
        w.write_frame(Timestamp(1_000_000_002_000_000_003), b"abc", 60)
            .expect("in-memory write");
        let b = w.finish().expect("in-memory write");
        assert_eq!(b.len(), 24 + 16 + 3);
        assert_eq!(&b[0..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
        assert_eq!(
            u32::from_le_bytes([b[24], b[25], b[26], b[27]]),
            1_000_000_002
        );
        assert_eq!(u32::from_le_bytes([b[28], b[29], b[30], b[31]]), 3);
        assert_eq!(u32::from_le_bytes([b[32], b[33], b[34], b[35]]), 3);
        assert_eq!(u32::from_le_bytes([b[36], b[37], b[38], b[39]]), 60);
        assert_eq!(&b[40..], b"abc");
    }

    #[test]
    fn pcapng_blocks_are_padded_and_framed() {
        let mut w = PcapngWriter::new(Vec::new()).expect("in-memory write");
        let i = w
            .add_interface(1, 0, Some("eth0"))
            .expect("in-memory write");
        w.write_frame(i, Timestamp(5), b"hello", 5)
            .expect("in-memory write");
        let b = w.finish().expect("in-memory write");
        // SHB 28 + IDB (20 + 8 tsresol + 8 name + 4 end) + EPB (32 + 5 + 3 pad).
        assert_eq!(b.len(), 28 + 40 + 40);
        let epb = &b[68..];
        assert_eq!(u32::from_le_bytes([epb[4], epb[5], epb[6], epb[7]]), 40);
        assert_eq!(&epb[28..33], b"hello");
        assert_eq!(&epb[36..40], &40u32.to_le_bytes());
        assert!(w_rejects_unknown_interface());
    }

    fn w_rejects_unknown_interface() -> bool {
        let mut w = PcapngWriter::new(Vec::new()).expect("in-memory write");
        w.write_frame(3, Timestamp(0), b"x", 1).is_err()
    }
}
