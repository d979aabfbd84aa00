//! Classic pcap: the 24-byte file header and 16-byte record headers, as checked views over
//! borrowed bytes, plus the plausibility rules used to detect and skip corrupt records.
//!
//! Format: <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/>.

use segscope_core::Timestamp;

/// Size of the file header.
pub(crate) const FILE_HEADER_LEN: usize = 24;
/// Size of a record header.
pub(crate) const RECORD_HEADER_LEN: usize = 16;
/// No record may be larger than this, whatever the header's snap length says (libpcap and
/// Wireshark use the same order of magnitude for their largest link types).
pub(crate) const MAX_RECORD: u32 = 256 * 1024 * 1024;
/// Captured lengths up to this are accepted even when the header's snap length is smaller:
/// writers get the header wrong (Zeek's `krb/smb2_krb.pcap` says 9999 and holds 10014-byte
/// records; `trunc-trunc-hdr.pcap` says 1). This is libpcap's and Wireshark's usual maximum.
const SNAPLEN_SLACK: u32 = 262_144;
/// While resynchronising, a candidate record's timestamp must lie within this many seconds of
/// the last good record's.
const RESYNC_TS_WINDOW_SECS: i64 = 86_400;
/// While resynchronising, candidates larger than this are not considered, which bounds how far
/// the reader looks ahead to verify one.
pub(crate) const RESYNC_MAX_RECORD: u32 = 16 * 1024 * 1024;

/// The parts of the file header the reader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileHeader {
    /// Fields are big-endian.
    pub(crate) big_endian: bool,
    /// Sub-second field counts nanoseconds (magic `a1b23c4d`) rather than microseconds.
    pub(crate) nanos: bool,
    /// Format version (major, minor); libpcap reads major 2 only.
    pub(crate) version: (u16, u16),
    /// Snap length from the header.
    pub(crate) snaplen: u32,
    /// Link type with the FCS-length bits masked off (as libpcap's `LT_LINKTYPE`).
    pub(crate) linktype: u32,
}

impl FileHeader {
    /// Parses the file header; `None` when the magic is not a classic pcap one or `b` is short.
    pub(crate) fn parse(b: &[u8]) -> Option<FileHeader> {
        let h = b.first_chunk::<FILE_HEADER_LEN>()?;
        let magic = [h[0], h[1], h[2], h[3]];
        let (big_endian, nanos) = match u32::from_le_bytes(magic) {
            0xa1b2_c3d4 => (false, false),
            0xd4c3_b2a1 => (true, false),
            0xa1b2_3c4d => (false, true),
            0x4d3c_b2a1 => (true, true),
            _ => return None,
        };
        let u16_at = |i: usize| {
            let v = [h[i], h[i + 1]];
            if big_endian {
                u16::from_be_bytes(v)
            } else {
                u16::from_le_bytes(v)
            }
        };
        let u32_at = |i: usize| read_u32(&[h[i], h[i + 1], h[i + 2], h[i + 3]], big_endian);
        Some(FileHeader {
            big_endian,
            nanos,
            version: (u16_at(4), u16_at(6)),
            snaplen: u32_at(16),
            linktype: u32_at(20) & 0x03ff_ffff,
        })
    }

    /// The rules records of this file are checked against.
    pub(crate) fn limits(&self) -> RecordLimits {
        RecordLimits {
            big_endian: self.big_endian,
            max_caplen: self.snaplen.clamp(SNAPLEN_SLACK, MAX_RECORD),
            frac_per_sec: if self.nanos { 1_000_000_000 } else { 1_000_000 },
            ns_per_frac: if self.nanos { 1 } else { 1_000 },
        }
    }
}

#[inline(always)]
fn read_u32(b: &[u8; 4], big_endian: bool) -> u32 {
    if big_endian {
        u32::from_be_bytes(*b)
    } else {
        u32::from_le_bytes(*b)
    }
}

/// A record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    /// Seconds since the epoch (unsigned, as in the format draft).
    pub(crate) secs: u32,
    /// Microseconds or nanoseconds.
    pub(crate) frac: u32,
    /// Captured length.
    pub(crate) caplen: u32,
    /// Original length.
    pub(crate) origlen: u32,
}

/// Per-file constants for reading and checking record headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordLimits {
    /// Fields are big-endian.
    pub(crate) big_endian: bool,
    /// Largest captured length accepted: the header's snap length with slack, capped.
    pub(crate) max_caplen: u32,
    /// Sub-second units per second.
    pub(crate) frac_per_sec: u32,
    /// Nanoseconds per sub-second unit.
    pub(crate) ns_per_frac: i64,
}

impl RecordHeader {
    /// Reads the record header at the start of `b`; `None` when fewer than 16 bytes remain.
    #[inline(always)]
    pub(crate) fn parse(b: &[u8], big_endian: bool) -> Option<RecordHeader> {
        let h = b.first_chunk::<RECORD_HEADER_LEN>()?;
        Some(RecordHeader {
            secs: read_u32(&[h[0], h[1], h[2], h[3]], big_endian),
            frac: read_u32(&[h[4], h[5], h[6], h[7]], big_endian),
            caplen: read_u32(&[h[8], h[9], h[10], h[11]], big_endian),
            origlen: read_u32(&[h[12], h[13], h[14], h[15]], big_endian),
        })
    }

    /// The record's time. The sub-second field is not range-checked (libpcap and Wireshark do
    /// not check it either), and the arithmetic cannot overflow: both fields are 32-bit.
    #[inline(always)]
    pub(crate) fn timestamp(&self, l: &RecordLimits) -> Timestamp {
        Timestamp(self.secs as i64 * 1_000_000_000 + self.frac as i64 * l.ns_per_frac)
    }

    /// False when the lengths cannot belong to a real record: the record is corrupt and the
    /// reader must resynchronise.
    #[inline(always)]
    pub(crate) fn is_possible(&self, l: &RecordLimits) -> bool {
        self.caplen <= l.max_caplen && self.caplen <= self.origlen && self.origlen <= MAX_RECORD
    }

    /// The stricter test a candidate must pass while resynchronising: possible lengths, a
    /// non-empty packet, a sub-second field in range, a size bounded for look-ahead, and (when a
    /// good record was read before) a time close to that record's.
    pub(crate) fn is_resync_candidate(&self, l: &RecordLimits, last: Option<Timestamp>) -> bool {
        self.is_possible(l)
            && self.origlen > 0
            && self.caplen <= RESYNC_MAX_RECORD
            && self.frac < l.frac_per_sec
            && last.is_none_or(|t| {
                (self.secs as i64 - t.0.div_euclid(1_000_000_000)).abs() <= RESYNC_TS_WINDOW_SECS
            })
    }

    /// The weaker test for the record after a candidate.
    pub(crate) fn is_plausible_successor(&self, l: &RecordLimits) -> bool {
        self.is_possible(l) && self.frac < l.frac_per_sec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_four_magics_and_masks_fcs_bits() {
        let mut h = [0u8; 24];
        h[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&65535u32.to_le_bytes());
        // LINKTYPE_ETHERNET with the F bit and an FCS length of 4 (0x4 << 28 | 1 << 26).
        h[20..24].copy_from_slice(&(0x4000_0000u32 | 0x0400_0000 | 1).to_le_bytes());
        let p = FileHeader::parse(&h).expect("valid header");
        assert_eq!(
            (p.big_endian, p.nanos, p.version, p.snaplen, p.linktype),
            (false, false, (2, 4), 65535, 1)
        );

        let mut be = [0u8; 24];
        be[..4].copy_from_slice(&0xa1b2_3c4du32.to_be_bytes());
        be[4..6].copy_from_slice(&2u16.to_be_bytes());
        be[16..20].copy_from_slice(&1500u32.to_be_bytes());
        be[20..24].copy_from_slice(&113u32.to_be_bytes());
        let p = FileHeader::parse(&be).expect("valid header");
        assert_eq!(
            (p.big_endian, p.nanos, p.snaplen, p.linktype),
            (true, true, 1500, 113)
        );
        assert!(FileHeader::parse(&be[..23]).is_none());
        assert!(FileHeader::parse(&[0u8; 24]).is_none());
    }

    #[test]
    fn limits_allow_slack_over_a_small_snaplen_but_not_absurd_lengths() {
        let h = FileHeader {
            big_endian: false,
            nanos: false,
            version: (2, 4),
            snaplen: 9999,
            linktype: 1,
        };
        let l = h.limits();
        assert_eq!(l.max_caplen, 262_144);
        let rec = |caplen, origlen| RecordHeader {
            secs: 1,
            frac: 0,
            caplen,
            origlen,
        };
        assert!(rec(10_014, 10_014).is_possible(&l));
        assert!(!rec(4_325_376, 4_325_376).is_possible(&l));
        assert!(!rec(100, 50).is_possible(&l), "caplen > origlen");
        let huge = FileHeader {
            snaplen: u32::MAX,
            ..h
        };
        assert_eq!(huge.limits().max_caplen, MAX_RECORD);
    }

    #[test]
    fn resync_candidates_need_a_close_timestamp() {
        let l = RecordLimits {
            big_endian: false,
            max_caplen: 65535,
            frac_per_sec: 1_000_000,
            ns_per_frac: 1000,
        };
        let r = RecordHeader {
            secs: 1_429_518_024,
            frac: 29_514,
            caplen: 73,
            origlen: 73,
        };
        let last = Some(Timestamp(1_429_518_024_029_385_000));
        assert!(r.is_resync_candidate(&l, last));
        assert!(r.is_resync_candidate(&l, None));
        let far = RecordHeader {
            secs: 1_928_287_540,
            ..r
        };
        assert!(!far.is_resync_candidate(&l, last));
        let bad_frac = RecordHeader {
            frac: 1_000_000,
            ..r
        };
        assert!(!bad_frac.is_resync_candidate(&l, last));
        assert_eq!(r.timestamp(&l), Timestamp(1_429_518_024_029_514_000));
    }
}
