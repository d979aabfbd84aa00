//! pcapng blocks as checked views over borrowed bytes: block framing, Interface Description
//! Block options (`if_tsresol`, `if_tsoffset`), Interface Statistics Block drop counters, and
//! timestamp conversion.
//!
//! Format: <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/>.

use segscope_core::Timestamp;

/// Section Header Block (the same bytes in both byte orders).
pub(crate) const SHB: u32 = 0x0A0D_0D0A;
/// Interface Description Block.
pub(crate) const IDB: u32 = 0x0000_0001;
/// Obsolete Packet Block.
pub(crate) const PB: u32 = 0x0000_0002;
/// Simple Packet Block.
pub(crate) const SPB: u32 = 0x0000_0003;
/// Name Resolution Block.
const NRB: u32 = 0x0000_0004;
/// Interface Statistics Block.
pub(crate) const ISB: u32 = 0x0000_0005;
/// Enhanced Packet Block.
pub(crate) const EPB: u32 = 0x0000_0006;
/// systemd Journal Export Block.
pub(crate) const SJE: u32 = 0x0000_0009;
/// Decryption Secrets Block.
const DSB: u32 = 0x0000_000A;
/// Custom Block that may be copied.
pub(crate) const CB_COPY: u32 = 0x0000_0BAD;
/// Custom Block that must not be copied.
pub(crate) const CB_NO_COPY: u32 = 0x4000_0BAD;
/// Byte-order magic, as read in the section's own byte order.
pub(crate) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Largest block accepted: the largest record plus room for options.
pub(crate) const MAX_BLOCK: usize = crate::pcap::MAX_RECORD as usize + 64 * 1024;

/// Smallest legal total length of a block of type `t` (header, body fields, trailer).
pub(crate) fn min_block_len(t: u32) -> usize {
    match t {
        SHB => 28,
        IDB => 20,
        EPB | PB => 32,
        SPB => 16,
        ISB => 24,
        _ => 12,
    }
}

/// Block types a resynchronising reader accepts as the next block.
pub(crate) fn is_known_block(t: u32) -> bool {
    matches!(
        t,
        SHB | IDB | PB | SPB | NRB | ISB | EPB | SJE | DSB | CB_COPY | CB_NO_COPY
    )
}

/// Reads a `u32` at `at` in the given byte order; `None` past the end.
#[inline(always)]
pub(crate) fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let v = *b.get(at..)?.first_chunk::<4>()?;
    Some(if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    })
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> Option<u16> {
    let v = *b.get(at..)?.first_chunk::<2>()?;
    Some(if big_endian {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    })
}

fn u64_at(b: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    let v = *b.get(at..)?.first_chunk::<8>()?;
    Some(if big_endian {
        u64::from_be_bytes(v)
    } else {
        u64::from_le_bytes(v)
    })
}

/// The byte order a Section Header Block declares: `Some(true)` for big-endian, `None` when the
/// byte-order magic at offset 8 is neither.
pub(crate) fn section_byte_order(block: &[u8]) -> Option<bool> {
    match u32_at(block, 8, false)? {
        BYTE_ORDER_MAGIC => Some(false),
        0x4D3C_2B1A => Some(true),
        _ => None,
    }
}

/// Walks an options area: `(code, value)` pairs until `opt_endofopt` or the end. Returns `Err`
/// with what was wrong when an option runs past the area.
fn for_each_option(
    area: &[u8],
    big_endian: bool,
    mut f: impl FnMut(u16, &[u8]),
) -> Result<(), String> {
    let mut at = 0usize;
    while at + 4 <= area.len() {
        let (Some(code), Some(len)) = (
            u16_at(area, at, big_endian),
            u16_at(area, at + 2, big_endian),
        ) else {
            break;
        };
        if code == 0 {
            return Ok(());
        }
        let start = at + 4;
        let Some(value) = area.get(start..start + len as usize) else {
            return Err(format!(
                "option {code} of {len} bytes runs past the end of the block"
            ));
        };
        f(code, value);
        at = start + (len as usize).next_multiple_of(4);
    }
    Ok(())
}

/// How an interface's timestamp units become nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TsUnits {
    /// 10^-n with n <= 9: multiply by 10^(9-n).
    Mul(u64),
    /// 10^-n with 9 < n <= 19: divide by 10^(n-9).
    Div(u64),
    /// 2^-n: units per second; exact, rounding down to the nanosecond.
    PerSec(u64),
}

impl TsUnits {
    /// Microseconds, the default when an interface has no `if_tsresol`.
    pub(crate) const MICROS: TsUnits = TsUnits::Mul(1_000);

    /// Decodes an `if_tsresol` byte; `None` for resolutions that do not fit 64 bits.
    pub(crate) fn from_tsresol(v: u8) -> Option<TsUnits> {
        let exp = u32::from(v & 0x7f);
        if v & 0x80 == 0 {
            match exp {
                0..=9 => Some(TsUnits::Mul(10u64.pow(9 - exp))),
                10..=19 => Some(TsUnits::Div(10u64.pow(exp - 9))),
                _ => None,
            }
        } else {
            match exp {
                0 => Some(TsUnits::Mul(1_000_000_000)),
                1..=63 => Some(TsUnits::PerSec(1u64 << exp)),
                _ => None,
            }
        }
    }

    /// Nanoseconds since the epoch of a timestamp counted in these units, saturating.
    #[inline(always)]
    pub(crate) fn to_ns(self, units: u64) -> i64 {
        match self {
            TsUnits::Mul(m) => units
                .checked_mul(m)
                .map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX)),
            TsUnits::Div(d) => i64::try_from(units / d).unwrap_or(i64::MAX),
            TsUnits::PerSec(per) => {
                let secs = i64::try_from(units / per).unwrap_or(i64::MAX);
                Timestamp::from_parts(secs, units % per, per).0
            }
        }
    }
}

/// What an Interface Description Block says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InterfaceDesc {
    /// LINKTYPE_* value.
    pub(crate) linktype: u32,
    /// Snap length (0 = none).
    pub(crate) snaplen: u32,
    /// Timestamp units.
    pub(crate) units: TsUnits,
    /// `if_tsoffset` in nanoseconds (seconds in the file).
    pub(crate) offset_ns: i64,
}

/// Parses an Interface Description Block (the whole block, trailer included). Problems with
/// its options are returned beside the defaults used instead, so the interface stays usable.
pub(crate) fn parse_idb(block: &[u8], big_endian: bool) -> (InterfaceDesc, Option<String>) {
    let mut desc = InterfaceDesc {
        linktype: u32::from(u16_at(block, 8, big_endian).unwrap_or(0)),
        snaplen: u32_at(block, 12, big_endian).unwrap_or(0),
        units: TsUnits::MICROS,
        offset_ns: 0,
    };
    let mut problem = None;
    let area = block.get(16..block.len().saturating_sub(4)).unwrap_or(&[]);
    let walked = for_each_option(area, big_endian, |code, value| match (code, value) {
        (9, [resol, ..]) => match TsUnits::from_tsresol(*resol) {
            Some(units) => desc.units = units,
            None => {
                problem = Some(format!(
                    "if_tsresol {resol:#04x} is out of range; microseconds assumed"
                ));
            }
        },
        (14, v) if v.len() >= 8 => {
            let secs = u64_at(v, 0, big_endian).unwrap_or(0) as i64;
            desc.offset_ns = secs.saturating_mul(1_000_000_000);
        }
        _ => {}
    });
    if let Err(e) = walked {
        problem = Some(e);
    }
    (desc, problem)
}

/// Drop counters from an Interface Statistics Block: `(interface id, isb_osdrop, isb_ifdrop)`.
pub(crate) fn parse_isb(block: &[u8], big_endian: bool) -> Option<(u32, Option<u64>, Option<u64>)> {
    let iface = u32_at(block, 8, big_endian)?;
    let (mut osdrop, mut ifdrop) = (None, None);
    let area = block.get(20..block.len().saturating_sub(4))?;
    for_each_option(area, big_endian, |code, value| match code {
        5 => ifdrop = u64_at(value, 0, big_endian),
        7 => osdrop = u64_at(value, 0, big_endian),
        _ => {}
    })
    .ok()?;
    Some((iface, osdrop, ifdrop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_power_of_ten_and_power_of_two() {
        assert_eq!(TsUnits::from_tsresol(6), Some(TsUnits::Mul(1_000)));
        assert_eq!(TsUnits::from_tsresol(9), Some(TsUnits::Mul(1)));
        assert_eq!(TsUnits::from_tsresol(12), Some(TsUnits::Div(1_000)));
        assert_eq!(TsUnits::from_tsresol(0x8a), Some(TsUnits::PerSec(1024)));
        assert_eq!(TsUnits::from_tsresol(20), None);
        assert_eq!(TsUnits::from_tsresol(0xff), None);
        // 2^-10 s: 1024 units = 1 s; 3 units = 2_929_687.5 ns, rounded down.
        let u = TsUnits::PerSec(1024);
        assert_eq!(u.to_ns(1024 * 1_000 + 3), 1_000_002_929_687);
        assert_eq!(
            TsUnits::Div(1_000).to_ns(1_500_000_000_123_456),
            1_500_000_000_123
        );
        assert_eq!(TsUnits::Mul(1_000).to_ns(u64::MAX), i64::MAX);
    }

    #[test]
    fn idb_options_set_resolution_and_offset() {
        let mut b = Vec::new();
        b.extend_from_slice(&IDB.to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&113u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&8192u32.to_le_bytes());
        b.extend_from_slice(&[9, 0, 1, 0, 0x8a, 0, 0, 0]);
        b.extend_from_slice(&[14, 0, 8, 0]);
        b.extend_from_slice(&(-3600i64).to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&40u32.to_le_bytes());
        let (d, problem) = parse_idb(&b, false);
        assert_eq!(problem, None);
        assert_eq!(d.linktype, 113);
        assert_eq!(d.snaplen, 8192);
        assert_eq!(d.units, TsUnits::PerSec(1024));
        assert_eq!(d.offset_ns, -3_600_000_000_000);
    }

    #[test]
    fn overlong_option_is_reported_not_trusted() {
        let mut b = Vec::new();
        b.extend_from_slice(&IDB.to_le_bytes());
        b.extend_from_slice(&24u32.to_le_bytes());
        b.extend_from_slice(&[1, 0, 0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&[9, 0, 200, 0]);
        b.extend_from_slice(&24u32.to_le_bytes());
        let (d, problem) = parse_idb(&b, false);
        assert_eq!(d.units, TsUnits::MICROS);
        assert!(problem.is_some_and(|p| p.contains("runs past")));
    }
}
