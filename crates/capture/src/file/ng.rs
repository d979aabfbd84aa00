//! pcapng blocks framed in place: sections, interfaces, packet blocks, statistics, and
//! resynchronisation after blocks with bad lengths.

use segscope_core::Timestamp;

use crate::filter::linktype_name;
use crate::pcap::RESYNC_MAX_RECORD;
use crate::pcapng::{
    self, CB_COPY, CB_NO_COPY, EPB, IDB, ISB, InterfaceDesc, MAX_BLOCK, PB, SHB, SJE, SPB,
    is_known_block, min_block_len, u32_at,
};
use crate::source::Warnings;
use crate::{CaptureError, FrameBatch, FrameMeta};

use super::{Candidate, Core, batch_chunk, chunk_offset};

/// Largest block considered while resynchronising.
const RESYNC_MAX_BLOCK: usize = RESYNC_MAX_RECORD as usize + 64 * 1024;
/// Block header (type, length) plus the byte-order magic of a Section Header Block.
const BLOCK_PEEK: usize = 12;

/// The state of the current pcapng section.
pub(super) struct PcapngReader {
    /// Byte order of the current section.
    big_endian: bool,
    /// Interfaces of the current section, by id.
    interfaces: Vec<Interface>,
    /// A warning about blocks that take a frame number without carrying a packet was given.
    warned_non_packet: bool,
}

/// An interface of the current section.
struct Interface {
    desc: InterfaceDesc,
    /// The caller decodes its link type.
    supported: bool,
    /// The unsupported-link-type warning was given.
    warned: bool,
    /// Last cumulative `isb_osdrop` / `isb_ifdrop` reported.
    osdrop: u64,
    ifdrop: u64,
}

/// The fields of a packet block the reader uses.
struct PacketFields {
    interface: u32,
    /// Timestamp in the interface's units; `None` for a Simple Packet Block, which has none.
    units: Option<u64>,
    caplen: u32,
    origlen: u32,
    /// Offset of the packet data from the start of the block.
    data_at: usize,
}

/// The type of the block at the start of `b` and the byte order to read it in: a Section
/// Header Block declares its own. `None` when a Section Header Block's byte-order magic is bad.
#[inline(always)]
fn block_type(b: &[u8], big_endian: bool) -> Option<(u32, bool)> {
    let raw = u32_at(b, 0, false)?;
    if raw == SHB {
        return Some((SHB, pcapng::section_byte_order(b)?));
    }
    Some((u32_at(b, 0, big_endian)?, big_endian))
}

/// Reads the packet fields of an EPB, PB or SPB; `None` when the captured length does not fit
/// the block (for an SPB: when the block is shorter than its implied captured length).
#[inline(always)]
fn packet_fields(
    block: &[u8],
    btype: u32,
    big_endian: bool,
    spb_snaplen: u32,
) -> Option<PacketFields> {
    let be = big_endian;
    let room = block
        .len()
        .checked_sub(if btype == SPB { 16 } else { 32 })?;
    if btype == SPB {
        // The captured length is implied: the original length, cut to the snap length.
        let origlen = u32_at(block, 8, be)?;
        let caplen = if spb_snaplen != 0 {
            origlen.min(spb_snaplen)
        } else {
            origlen
        };
        if caplen as usize > room {
            return None;
        }
        return Some(PacketFields {
            interface: 0,
            units: None,
            caplen,
            origlen,
            data_at: 12,
        });
    }
    let interface = if btype == PB {
        let v = u32_at(block, 8, be)?;
        if be { v >> 16 } else { v & 0xffff }
    } else {
        u32_at(block, 8, be)?
    };
    let hi = u64::from(u32_at(block, 12, be)?);
    let lo = u64::from(u32_at(block, 16, be)?);
    let caplen = u32_at(block, 20, be)?;
    let origlen = u32_at(block, 24, be)?;
    (caplen as usize <= room).then_some(PacketFields {
        interface,
        units: Some(hi << 32 | lo),
        caplen,
        origlen,
        data_at: 28,
    })
}

impl PcapngReader {
    /// Checks the first Section Header Block (byte order, version); the block itself is read
    /// by [`PcapngReader::fill`] like any later section header.
    pub(super) fn open(c: &mut Core) -> Result<PcapngReader, CaptureError> {
        let head = c.buf.available();
        let bad = |offset: u64, what: String, hint: &'static str| CaptureError::BadHeader {
            path: c.name.to_string(),
            offset,
            what,
            hint,
        };
        if head.len() < min_block_len(SHB) {
            return Err(bad(
                0,
                format!(
                    "the input ends inside the pcapng section header ({} bytes)",
                    head.len()
                ),
                "the capture was cut short before its first packet; copy or capture it again",
            ));
        }
        let Some(big_endian) = pcapng::section_byte_order(head) else {
            return Err(bad(
                8,
                "the pcapng section header has an unknown byte-order magic".into(),
                "the file is damaged at its start; a repair tool such as pcapfix may recover it",
            ));
        };
        let major = u32_at(head, 12, big_endian)
            .map_or(0, |v| if big_endian { v >> 16 } else { v & 0xffff });
        if major != 1 {
            return Err(bad(
                12,
                format!("pcapng major version {major} is not supported (only 1)"),
                "the file is damaged or from an unusual writer; try `editcap -F pcapng` on it",
            ));
        }
        Ok(PcapngReader {
            big_endian,
            interfaces: Vec::new(),
            warned_non_packet: false,
        })
    }

    /// Frames up to `max` packet blocks into `out`; `Ok(false)` at the end of the input.
    pub(super) fn fill(
        &mut self,
        c: &mut Core,
        out: &mut FrameBatch,
        max: usize,
        w: &mut Warnings,
    ) -> Result<bool, CaptureError> {
        let mut examined = 0usize;
        let mut chunk_idx: Option<u16> = None;
        while examined < max {
            let avail = c.buf.available();
            if avail.len() < BLOCK_PEEK {
                if !c.refill(BLOCK_PEEK)? {
                    return Ok(c.end_of_input(w, "block header", BLOCK_PEEK));
                }
                chunk_idx = None;
                continue;
            }
            let Some((btype, be)) = block_type(avail, self.big_endian) else {
                self.resync(
                    c,
                    w,
                    "section header block with an unknown byte-order magic".into(),
                )?;
                chunk_idx = None;
                continue;
            };
            let blen = u32_at(avail, 4, be).map_or(0, |v| v as usize);
            if !blen.is_multiple_of(4) || blen < min_block_len(btype) || blen > MAX_BLOCK {
                self.resync(
                    c,
                    w,
                    format!("block of type {btype:#x} has an impossible length {blen}"),
                )?;
                chunk_idx = None;
                continue;
            }
            if avail.len() < blen {
                if !c.refill(blen)? {
                    self.cut_short(c, w, blen)?;
                }
                chunk_idx = None;
                continue;
            }
            let block = avail.get(..blen).unwrap_or(&[]);
            let trailer = u32_at(block, blen - 4, be).unwrap_or(0);
            if trailer as usize != blen {
                self.resync(
                    c,
                    w,
                    format!(
                        "block of type {btype:#x} says length {blen} at its start and {trailer} at its end"
                    ),
                )?;
                chunk_idx = None;
                continue;
            }
            match btype {
                EPB | PB | SPB => {
                    let spb_snaplen = self.interfaces.first().map_or(0, |i| i.desc.snaplen);
                    let fields = packet_fields(block, btype, be, spb_snaplen);
                    examined += 1;
                    match fields {
                        Some(p) => self.packet(c, out, &mut chunk_idx, p, w)?,
                        None => self.bad_caplen(c, w, btype),
                    }
                }
                IDB => {
                    let (desc, problem) = pcapng::parse_idb(block, be);
                    self.add_interface(c, w, desc, problem);
                }
                ISB => {
                    if let Some((id, osdrop, ifdrop)) = pcapng::parse_isb(block, be) {
                        self.drops(c, id, osdrop, ifdrop);
                    }
                }
                SHB => {
                    let minor_major = u32_at(block, 12, be).unwrap_or(0);
                    self.section(c, w, be, minor_major);
                }
                SJE | CB_COPY | CB_NO_COPY => self.numbered_non_packet(c, w, btype),
                // Name resolution, decryption secrets and unknown blocks carry no frame.
                _ => {}
            }
            c.buf.consume(blen);
        }
        Ok(true)
    }

    /// Numbers, counts, filters and emits one packet.
    #[inline(always)]
    fn packet(
        &mut self,
        c: &mut Core,
        out: &mut FrameBatch,
        chunk_idx: &mut Option<u16>,
        p: PacketFields,
        w: &mut Warnings,
    ) -> Result<(), CaptureError> {
        let Some(iface) = self.interfaces.get_mut(p.interface as usize) else {
            self.unknown_interface(c, w, p.interface);
            return Ok(());
        };
        let ts = match p.units {
            Some(u) => Timestamp(
                iface
                    .desc
                    .units
                    .to_ns(u)
                    .saturating_add(iface.desc.offset_ns),
            ),
            // A Simple Packet Block has no time: it takes the previous packet's.
            None => c.last_ts.unwrap_or_default(),
        };
        let frame_no = c.count_record(ts, p.caplen, p.origlen);
        let linktype = iface.desc.linktype;
        if !iface.supported {
            c.stats.unsupported_linktype += 1;
            if !iface.warned {
                iface.warned = true;
                let interface = p.interface;
                c.warn_frame(
                    w,
                    c.buf.offset(),
                    frame_no,
                    format!(
                        "frames on interface {interface} (link type {} ({linktype})) cannot be decoded and are skipped; they are counted as unsupported_linktype",
                        linktype_name(linktype)
                    ),
                );
            }
            return Ok(());
        }
        let offset = c.buf.pos() + p.data_at;
        if !c.passes_filter(linktype, offset, p.caplen)? {
            return Ok(());
        }
        let chunk = *chunk_idx.get_or_insert_with(|| batch_chunk(out, c.buf.chunk()));
        out.frames.push(FrameMeta {
            ts,
            caplen: p.caplen,
            wirelen: p.origlen,
            linktype,
            source: c.source,
            frame_no,
            chunk,
            offset: chunk_offset(offset),
        });
        Ok(())
    }

    /// Wireshark shows custom blocks and systemd journal entries as frames, so they take a frame
    /// number to keep the numbering equal to Wireshark's; they carry no packet and are skipped.
    #[cold]
    fn numbered_non_packet(&mut self, c: &mut Core, w: &mut Warnings, btype: u32) {
        if !self.warned_non_packet {
            self.warned_non_packet = true;
            let kind = if btype == SJE {
                "systemd journal export"
            } else {
                "custom"
            };
            c.warn(
                w,
                c.buf.offset(),
                format!(
                    "{kind} block: Wireshark numbers such blocks as frames, so it takes a frame number, but it carries no packet and is skipped (later ones are not reported)"
                ),
            );
        }
        c.next_frame += 1;
        c.stats.non_packet_records += 1;
    }

    #[cold]
    fn unknown_interface(&mut self, c: &mut Core, w: &mut Warnings, id: u32) {
        c.stats.corrupt_records += 1;
        c.warn(
            w,
            c.buf.offset(),
            format!(
                "packet block refers to interface {id} but its section describes {}; the packet is skipped",
                self.interfaces.len()
            ),
        );
    }

    #[cold]
    fn bad_caplen(&mut self, c: &mut Core, w: &mut Warnings, btype: u32) {
        c.stats.corrupt_records += 1;
        c.warn(
            w,
            c.buf.offset(),
            format!("packet block of type {btype:#x} has a captured length larger than the block; the packet is skipped"),
        );
    }

    #[cold]
    fn add_interface(
        &mut self,
        c: &mut Core,
        w: &mut Warnings,
        desc: InterfaceDesc,
        problem: Option<String>,
    ) {
        if let Some(problem) = problem {
            c.warn(
                w,
                c.buf.offset(),
                format!("interface {}: {problem}", self.interfaces.len()),
            );
        }
        let supported = c
            .supported
            .as_deref()
            .is_none_or(|s| s.contains(&desc.linktype));
        self.interfaces.push(Interface {
            desc,
            supported,
            warned: false,
            osdrop: 0,
            ifdrop: 0,
        });
    }

    /// Adds what an Interface Statistics Block reports beyond the interface's previous report
    /// (its counters are cumulative).
    #[cold]
    fn drops(&mut self, c: &mut Core, id: u32, osdrop: Option<u64>, ifdrop: Option<u64>) {
        let Some(iface) = self.interfaces.get_mut(id as usize) else {
            return;
        };
        if let Some(v) = osdrop {
            c.stats.kernel_dropped = c
                .stats
                .kernel_dropped
                .saturating_add(v.saturating_sub(iface.osdrop));
            iface.osdrop = iface.osdrop.max(v);
        }
        if let Some(v) = ifdrop {
            c.stats.interface_dropped = c
                .stats
                .interface_dropped
                .saturating_add(v.saturating_sub(iface.ifdrop));
            iface.ifdrop = iface.ifdrop.max(v);
        }
    }

    /// A new section: its own byte order and interfaces.
    #[cold]
    fn section(&mut self, c: &mut Core, w: &mut Warnings, big_endian: bool, version: u32) {
        self.big_endian = big_endian;
        self.interfaces.clear();
        let major = if big_endian {
            version >> 16
        } else {
            version & 0xffff
        };
        if major != 1 {
            c.warn(
                w,
                c.buf.offset(),
                format!("section header declares pcapng major version {major}; its blocks are read as version 1"),
            );
        }
    }

    /// Tests whether a block starts `k` bytes into the available data: a known type, a legal
    /// length within the look-ahead bound, a matching trailing length, and for packet blocks a
    /// known interface and a captured length that fits.
    fn candidate(&self, c: &mut Core, k: usize) -> Result<Candidate, CaptureError> {
        if !c.refill(k + BLOCK_PEEK)? {
            return Ok(Candidate::End);
        }
        let head = c.buf.available().get(k..).unwrap_or(&[]);
        let Some((btype, be)) = block_type(head, self.big_endian) else {
            return Ok(Candidate::No);
        };
        let blen = u32_at(head, 4, be).map_or(0, |v| v as usize);
        if !is_known_block(btype)
            || !blen.is_multiple_of(4)
            || blen < min_block_len(btype)
            || blen > RESYNC_MAX_BLOCK
        {
            return Ok(Candidate::No);
        }
        if !c.refill(k + blen)? {
            return Ok(Candidate::No);
        }
        let Some(block) = c.buf.available().get(k..k + blen) else {
            return Ok(Candidate::No);
        };
        if u32_at(block, blen - 4, be) != Some(blen as u32) {
            return Ok(Candidate::No);
        }
        let plausible = match btype {
            EPB | PB => packet_fields(block, btype, be, 0)
                .is_some_and(|p| (p.interface as usize) < self.interfaces.len()),
            SPB => !self.interfaces.is_empty(),
            _ => true,
        };
        Ok(if plausible {
            Candidate::Yes
        } else {
            Candidate::No
        })
    }

    /// Skips a block with a bad length: scans forward for the next plausible block.
    #[cold]
    fn resync(&mut self, c: &mut Core, w: &mut Warnings, what: String) -> Result<(), CaptureError> {
        let at = c.buf.offset();
        c.stats.corrupt_records += 1;
        let mut skipped = 0u64;
        let found = loop {
            c.buf.consume(1);
            skipped += 1;
            match self.candidate(c, 0)? {
                Candidate::Yes => break true,
                Candidate::No => {}
                Candidate::End => {
                    let rest = c.buf.available().len();
                    c.buf.consume(rest);
                    skipped += rest as u64;
                    break false;
                }
            }
        };
        c.stats.resync_skipped_bytes += skipped;
        c.warn(
            w,
            at,
            format!(
                "{what}; skipped {skipped} bytes to {}",
                if found {
                    "the next plausible block"
                } else {
                    "the end of the input"
                }
            ),
        );
        Ok(())
    }

    /// A block runs past the end of the input: a corrupt length if a complete plausible block
    /// starts inside it, otherwise a truncated tail.
    #[cold]
    fn cut_short(
        &mut self,
        c: &mut Core,
        w: &mut Warnings,
        need: usize,
    ) -> Result<(), CaptureError> {
        let have = c.buf.available().len();
        for k in 1..have {
            match self.candidate(c, k)? {
                Candidate::Yes => {
                    c.stats.corrupt_records += 1;
                    c.stats.resync_skipped_bytes += k as u64;
                    c.warn(
                        w,
                        c.buf.offset(),
                        format!(
                            "block claims {need} bytes but the input ends after {have}, and a plausible block starts {k} bytes in; skipped the {k} bytes as corrupt"
                        ),
                    );
                    c.buf.consume(k);
                    return Ok(());
                }
                Candidate::No => {}
                Candidate::End => break,
            }
        }
        c.truncated(w, have, need, "block");
        Ok(())
    }
}
