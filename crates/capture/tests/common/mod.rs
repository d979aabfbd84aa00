//! Hand-built capture bytes (written field by field from the format drafts, independently of
//! the crate's writers) and a helper that drains a source into owned frames.

#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read};

use segscope_capture::{
    CaptureError, CaptureWarning, FrameBatch, FrameSource, InputSpec, ReadOptions,
};
use segscope_core::stats::CaptureStats;

/// A frame copied out of its batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub source: u16,
    pub frame_no: u64,
    pub ts: i64,
    pub caplen: u32,
    pub wirelen: u32,
    pub linktype: u32,
    pub data: Vec<u8>,
}

/// Everything a source gave.
#[derive(Debug)]
pub struct Drained {
    pub frames: Vec<Frame>,
    pub stats: CaptureStats,
    pub warnings: Vec<CaptureWarning>,
    pub names: Vec<String>,
    pub batches: usize,
}

/// Reads every batch of a source, checking the batch invariants on the way.
pub fn drain(source: &mut dyn FrameSource) -> Result<Drained, CaptureError> {
    let mut batch = FrameBatch::default();
    let mut frames = Vec::new();
    let mut batches = 0;
    while source.next_batch(&mut batch)? {
        batches += 1;
        for (meta, data) in batch.iter() {
            assert_eq!(data.len(), meta.caplen as usize, "frame bytes match caplen");
            frames.push(Frame {
                source: meta.source,
                frame_no: meta.frame_no,
                ts: meta.ts.0,
                caplen: meta.caplen,
                wirelen: meta.wirelen,
                linktype: meta.linktype,
                data: data.to_vec(),
            });
        }
    }
    assert!(batch.is_empty(), "the final call leaves the batch empty");
    Ok(Drained {
        frames,
        stats: source.stats(),
        warnings: source.warnings().to_vec(),
        names: source
            .source_names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        batches,
    })
}

/// Opens and drains inputs.
pub fn read_inputs(inputs: Vec<InputSpec>, opts: &ReadOptions) -> Result<Drained, CaptureError> {
    let mut source = segscope_capture::open(inputs, opts)?;
    drain(&mut source)
}

/// Reads one in-memory capture with default options.
pub fn read_bytes(bytes: Vec<u8>) -> Drained {
    read_inputs(
        vec![InputSpec::reader("mem", io::Cursor::new(bytes))],
        &ReadOptions::default(),
    )
    .expect("in-memory capture reads")
}

/// A reader that returns at most `step` bytes per call, like a pipe.
pub struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Trickle {
    pub fn new(data: Vec<u8>, step: usize) -> Trickle {
        Trickle { data, at: 0, step }
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Deterministic frame bytes of length `n`, distinct per `seed`.
pub fn payload(seed: u32, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (seed as usize * 31 + i * 7 % 251) as u8)
        .collect()
}

/// Classic pcap built field by field.
pub struct Pcap {
    pub bytes: Vec<u8>,
    be: bool,
}

impl Pcap {
    /// File header: `ns` selects magic a1b23c4d.
    pub fn new(be: bool, ns: bool, snaplen: u32, linktype: u32) -> Pcap {
        let mut p = Pcap {
            bytes: Vec::new(),
            be,
        };
        p.u32(if ns { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        p.u16(2);
        p.u16(4);
        p.u32(0);
        p.u32(0);
        p.u32(snaplen);
        p.u32(linktype);
        p
    }

    fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    pub fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }

    /// A record with captured bytes `data` and original length `origlen`.
    pub fn record(mut self, secs: u32, frac: u32, data: &[u8], origlen: u32) -> Pcap {
        self.u32(secs);
        self.u32(frac);
        self.u32(data.len() as u32);
        self.u32(origlen);
        self.bytes.extend_from_slice(data);
        self
    }

    /// A record header with arbitrary lengths and no data.
    pub fn header_only(mut self, secs: u32, frac: u32, caplen: u32, origlen: u32) -> Pcap {
        self.u32(secs);
        self.u32(frac);
        self.u32(caplen);
        self.u32(origlen);
        self
    }

    /// Raw bytes (garbage, partial records).
    pub fn raw(mut self, b: &[u8]) -> Pcap {
        self.bytes.extend_from_slice(b);
        self
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// pcapng built block by block.
pub struct Ng {
    pub bytes: Vec<u8>,
    be: bool,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl Ng {
    /// A file starting with a Section Header Block in the given byte order.
    pub fn new(be: bool) -> Ng {
        Ng {
            bytes: Vec::new(),
            be,
        }
        .section(be)
    }

    fn u16b(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A block of type `t` with `body` (padded), both lengths set correctly.
    pub fn block(mut self, t: u32, body: &[u8]) -> Ng {
        let total = (12 + body.len() + pad4(body.len())) as u32;
        let head = [self.u32b(t), self.u32b(total)].concat();
        self.bytes.extend_from_slice(&head);
        self.bytes.extend_from_slice(body);
        self.bytes
            .extend(std::iter::repeat_n(0u8, pad4(body.len())));
        let tail = self.u32b(total);
        self.bytes.extend_from_slice(&tail);
        self
    }

    /// A new section (Section Header Block) in byte order `be`.
    pub fn section(mut self, be: bool) -> Ng {
        self.be = be;
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32b(0x1A2B_3C4D));
        body.extend_from_slice(&self.u16b(1));
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        self.block(0x0A0D_0D0A, &body)
    }

    /// Options area from `(code, value)` pairs, with `opt_endofopt`.
    fn options(&self, opts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = Vec::new();
        for (code, value) in opts {
            b.extend_from_slice(&self.u16b(*code));
            b.extend_from_slice(&self.u16b(value.len() as u16));
            b.extend_from_slice(value);
            b.extend(std::iter::repeat_n(0u8, pad4(value.len())));
        }
        if !opts.is_empty() {
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        b
    }

    /// An Interface Description Block; `tsresol` and `tsoffset` become options when given.
    pub fn idb(
        self,
        linktype: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> Ng {
        let mut opts = Vec::new();
        if let Some(r) = tsresol {
            opts.push((9u16, vec![r]));
        }
        if let Some(o) = tsoffset {
            let v = if self.be {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            opts.push((14u16, v.to_vec()));
        }
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16b(linktype));
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&self.u32b(snaplen));
        body.extend_from_slice(&self.options(&opts));
        self.block(1, &body)
    }

    fn packet_body(&self, iface_field: [u8; 4], units: u64, data: &[u8], origlen: u32) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&iface_field);
        body.extend_from_slice(&self.u32b((units >> 32) as u32));
        body.extend_from_slice(&self.u32b(units as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(origlen));
        body.extend_from_slice(data);
        body
    }

    /// An Enhanced Packet Block.
    pub fn epb(self, iface: u32, units: u64, data: &[u8], origlen: u32) -> Ng {
        let body = self.packet_body(self.u32b(iface), units, data, origlen);
        self.block(6, &body)
    }

    /// An obsolete Packet Block (16-bit interface id and drop count).
    pub fn pb(self, iface: u16, units: u64, data: &[u8], origlen: u32) -> Ng {
        let field = [self.u16b(iface), self.u16b(0)].concat();
        let body = self.packet_body(
            [field[0], field[1], field[2], field[3]],
            units,
            data,
            origlen,
        );
        self.block(2, &body)
    }

    /// A Simple Packet Block.
    pub fn spb(self, data: &[u8], origlen: u32) -> Ng {
        let mut body = self.u32b(origlen).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// An Interface Statistics Block with `isb_osdrop` and `isb_ifdrop`.
    pub fn isb(self, iface: u32, osdrop: u64, ifdrop: u64) -> Ng {
        let enc = |v: u64| {
            if self.be {
                v.to_be_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        };
        let opts = self.options(&[(5, enc(ifdrop)), (7, enc(osdrop))]);
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32b(iface));
        body.extend_from_slice(&[0u8; 8]);
        body.extend_from_slice(&opts);
        self.block(5, &body)
    }

    /// Raw bytes (garbage, partial blocks).
    pub fn raw(mut self, b: &[u8]) -> Ng {
        self.bytes.extend_from_slice(b);
        self
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// `frame.time_epoch` as tshark prints it.
pub fn epoch(ts: i64) -> String {
    format!(
        "{}.{:09}",
        ts.div_euclid(1_000_000_000),
        ts.rem_euclid(1_000_000_000)
    )
}

/// tshark's `frame.time_epoch`, `frame.cap_len`, `frame.len` for every frame of a file, or
/// `None` (after a skip line) when tshark is missing. Dissectors are disabled: the frame fields
/// come from wiretap alone, and tshark starts faster.
pub fn tshark_view(path: &std::path::Path) -> Option<Vec<(String, u32, u32)>> {
    let text = segscope_gen::testdata::tshark_raw(
        path,
        &[
            "--disable-protocol",
            "ALL",
            "-T",
            "fields",
            "-E",
            "separator=\t",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.len",
        ],
    )?;
    Some(
        text.lines()
            .map(|line| {
                let r: Vec<&str> = line.split('\t').collect();
                let n = |i: usize| r.get(i).and_then(|v| v.parse().ok()).unwrap_or(u32::MAX);
                (
                    r.first().map(|s| s.to_string()).unwrap_or_default(),
                    n(1),
                    n(2),
                )
            })
            .collect(),
    )
}

/// Asserts that tshark reads the same frames from `bytes` (when tshark is installed). tshark
/// shows no time for a Simple Packet Block; those rows compare lengths only.
pub fn assert_tshark_agrees(bytes: &[u8], frames: &[Frame]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("handmade.cap");
    std::fs::write(&path, bytes).expect("write temp capture");
    let Some(rows) = tshark_view(&path) else {
        return;
    };
    assert_eq!(rows.len(), frames.len(), "tshark frame count");
    for (i, (row, f)) in rows.iter().zip(frames).enumerate() {
        if !row.0.is_empty() {
            assert_eq!(row.0, epoch(f.ts), "frame {} time", i + 1);
        }
        assert_eq!(
            (row.1, row.2),
            (f.caplen, f.wirelen),
            "frame {} lengths",
            i + 1
        );
    }
}

/// An Ethernet/IPv4 frame carrying a minimal TCP (proto 6) or UDP (17) header.
pub fn eth_ipv4(proto: u8, sport: u16, dport: u16) -> Vec<u8> {
    let l4 = if proto == 6 { 20 } else { 8 };
    let mut f = vec![0u8; 14 + 20 + l4];
    f[12] = 0x08;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((20 + l4) as u16).to_be_bytes());
    f[22] = 64;
    f[23] = proto;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[10, 0, 0, 2]);
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&dport.to_be_bytes());
    if proto == 6 {
        f[46] = 0x50;
    } else {
        f[38..40].copy_from_slice(&8u16.to_be_bytes());
    }
    f
}
