//! Classic pcap records framed in place, with resynchronisation after corrupt headers.

use crate::filter::{linktype_list, linktype_name};
use crate::pcap::{FileHeader, RECORD_HEADER_LEN, RecordHeader, RecordLimits};
use crate::source::Warnings;
use crate::{CaptureError, FrameBatch, FrameMeta};

use super::{Candidate, Core, batch_chunk, chunk_offset};

/// What a classic pcap file's header fixes for all its records.
pub(super) struct PcapReader {
    limits: RecordLimits,
    linktype: u32,
}

impl PcapReader {
    /// Reads the file header: version, link type (refused when unsupported), snap length.
    pub(super) fn open(c: &mut Core) -> Result<PcapReader, CaptureError> {
        let head = c.buf.available();
        let Some(h) = FileHeader::parse(head) else {
            return Err(CaptureError::BadHeader {
                path: c.name.to_string(),
                offset: 0,
                what: format!(
                    "the input ends inside the 24-byte pcap file header ({} bytes)",
                    head.len()
                ),
                hint: "the capture was cut short before its first packet; copy or capture it again",
            });
        };
        if h.version.0 != 2 {
            return Err(CaptureError::BadHeader {
                path: c.name.to_string(),
                offset: 4,
                what: format!(
                    "pcap format version {}.{} is not supported (libpcap reads 2.x)",
                    h.version.0, h.version.1
                ),
                hint: "the header is damaged or from an unusual writer; try `editcap -F pcap` on it",
            });
        }
        if let Some(supported) = c.supported.as_deref()
            && !supported.contains(&h.linktype)
        {
            return Err(CaptureError::UnsupportedLinktype {
                source_name: c.name.to_string(),
                linktype: h.linktype,
                linktype_name: linktype_name(h.linktype),
                supported: linktype_list(supported),
                hint: "segscope cannot decode these frames; capture on an interface with a supported link type, or convert the file (e.g. `tcprewrite --dlt=enet`)",
            });
        }
        if let Some(filter) = c.filter.as_mut() {
            filter.prepare(h.linktype)?;
        }
        c.buf.consume(crate::pcap::FILE_HEADER_LEN);
        Ok(PcapReader {
            limits: h.limits(),
            linktype: h.linktype,
        })
    }

    /// Frames up to `max` records into `out`; `Ok(false)` at the end of the input.
    pub(super) fn fill(
        &mut self,
        c: &mut Core,
        out: &mut FrameBatch,
        max: usize,
        w: &mut Warnings,
    ) -> Result<bool, CaptureError> {
        let limits = self.limits;
        let mut examined = 0usize;
        let mut chunk_idx: Option<u16> = None;
        while examined < max {
            let avail = c.buf.available();
            let Some(h) = RecordHeader::parse(avail, limits.big_endian) else {
                if !c.refill(RECORD_HEADER_LEN)? {
                    return Ok(c.end_of_input(w, "record header", RECORD_HEADER_LEN));
                }
                chunk_idx = None;
                continue;
            };
            if !h.is_possible(&limits) {
                self.resync(c, w, h)?;
                chunk_idx = None;
                continue;
            }
            let rec_len = RECORD_HEADER_LEN + h.caplen as usize;
            if avail.len() < rec_len {
                if !c.refill(rec_len)? {
                    self.cut_short(c, w, rec_len)?;
                }
                chunk_idx = None;
                continue;
            }
            examined += 1;
            let ts = h.timestamp(&limits);
            let frame_no = c.count_record(ts, h.caplen, h.origlen);
            let offset = c.buf.pos() + RECORD_HEADER_LEN;
            c.buf.consume(rec_len);
            if !c.passes_filter(self.linktype, offset, h.caplen)? {
                continue;
            }
            let chunk = *chunk_idx.get_or_insert_with(|| batch_chunk(out, c.buf.chunk()));
            out.frames.push(FrameMeta {
                ts,
                caplen: h.caplen,
                wirelen: h.origlen,
                linktype: self.linktype,
                source: c.source,
                frame_no,
                chunk,
                offset: chunk_offset(offset),
            });
        }
        Ok(true)
    }

    /// Tests whether a record starts `k` bytes into the available data. With `allow_cut`, a
    /// record (or the header after it) that the end of the input cuts short is accepted when its
    /// time is close to the last good record's; the caller then reports the truncated tail.
    fn candidate(
        &self,
        c: &mut Core,
        k: usize,
        allow_cut: bool,
    ) -> Result<Candidate, CaptureError> {
        let l = &self.limits;
        if !c.refill(k + RECORD_HEADER_LEN)? {
            return Ok(Candidate::End);
        }
        let Some(h) = c
            .buf
            .available()
            .get(k..)
            .and_then(|b| RecordHeader::parse(b, l.big_endian))
        else {
            return Ok(Candidate::End);
        };
        if !h.is_resync_candidate(l, c.last_ts) {
            return Ok(Candidate::No);
        }
        let rec_end = k + RECORD_HEADER_LEN + h.caplen as usize;
        if c.refill(rec_end + RECORD_HEADER_LEN)? {
            let next = c
                .buf
                .available()
                .get(rec_end..)
                .and_then(|b| RecordHeader::parse(b, l.big_endian));
            return Ok(match next {
                Some(n) if n.is_plausible_successor(l) => Candidate::Yes,
                _ => Candidate::No,
            });
        }
        let have = c.buf.available().len();
        Ok(if have == rec_end || (allow_cut && c.last_ts.is_some()) {
            Candidate::Yes
        } else {
            Candidate::No
        })
    }

    /// Skips a corrupt record header: scans forward for the next plausible record.
    #[cold]
    fn resync(
        &mut self,
        c: &mut Core,
        w: &mut Warnings,
        bad: RecordHeader,
    ) -> Result<(), CaptureError> {
        let at = c.buf.offset();
        c.stats.corrupt_records += 1;
        let mut skipped = 0u64;
        let found = loop {
            c.buf.consume(1);
            skipped += 1;
            match self.candidate(c, 0, true)? {
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
                "corrupt record header (captured length {}, original length {}, largest accepted {}); skipped {skipped} bytes to {}",
                bad.caplen,
                bad.origlen,
                self.limits.max_caplen,
                if found {
                    "the next plausible record"
                } else {
                    "the end of the input"
                }
            ),
        );
        Ok(())
    }

    /// A record runs past the end of the input: a corrupt header if a complete plausible
    /// record starts inside it, otherwise a truncated tail.
    #[cold]
    fn cut_short(
        &mut self,
        c: &mut Core,
        w: &mut Warnings,
        need: usize,
    ) -> Result<(), CaptureError> {
        let have = c.buf.available().len();
        for k in 1..have {
            match self.candidate(c, k, false)? {
                Candidate::Yes => {
                    c.stats.corrupt_records += 1;
                    c.stats.resync_skipped_bytes += k as u64;
                    c.warn(
                        w,
                        c.buf.offset(),
                        format!(
                            "record header claims {need} bytes but the input ends after {have}, and a plausible record starts {k} bytes in; skipped the {k} bytes as corrupt"
                        ),
                    );
                    c.buf.consume(k);
                    return Ok(());
                }
                Candidate::No => {}
                Candidate::End => break,
            }
        }
        c.truncated(w, have, need, "record");
        Ok(())
    }
}
