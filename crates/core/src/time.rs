//! Time taken from packets, never from the wall clock.
//!
//! Every timeout, interval and ordering decision in segscope uses [`Timestamp`]s that come from
//! capture records, so the same capture always produces the same output, however fast the machine
//! reads it. Only the capture and CLI layers may read a clock, and only to stamp live packets.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds since the Unix epoch (UTC). Signed so that arithmetic on odd captures (timestamps
/// before 1970, clock steps backwards) never wraps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A span of packet time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub i64);

impl Timestamp {
    /// The earliest representable time; used as "never".
    pub const MIN: Timestamp = Timestamp(i64::MIN);

    /// Builds a timestamp from seconds and a sub-second part counted in `units_per_sec`
    /// (10^6 for classic pcap, 10^9 for nanosecond pcap, any power of ten or two for pcapng).
    pub fn from_parts(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
        let nanos = if units_per_sec == 1_000_000_000 {
            frac as i128
        } else if units_per_sec == 0 {
            0
        } else {
            (frac as i128 * 1_000_000_000) / units_per_sec as i128
        };
        let total = secs as i128 * 1_000_000_000 + nanos;
        Timestamp(total.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// Seconds since the epoch as a float, for human-facing durations and rates.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self - earlier`, saturating.
    pub fn since(self, earlier: Timestamp) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }

    /// `self + span`, saturating.
    pub fn plus(self, span: Span) -> Timestamp {
        Timestamp(self.0.saturating_add(span.0))
    }

    /// Formats as RFC 3339 UTC with nanoseconds, e.g. `2024-03-01T12:00:00.000000001Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// Parses the output of [`Timestamp::to_rfc3339`] (and any RFC 3339 UTC time with 0-9
    /// fractional digits and a `Z` suffix).
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || !s.ends_with('Z') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
        if b[4] != b'-'
            || b[7] != b'-'
            || (b[10] != b'T' && b[10] != b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        let mut nanos = 0i64;
        let rest = &s[19..s.len() - 1];
        if let Some(frac) = rest.strip_prefix('.') {
            if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            nanos = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
        } else if !rest.is_empty() {
            return None;
        }
        let days = days_from_civil(y, m as u32, d as u32);
        let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
        Some(Timestamp(
            secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
        ))
    }
}

impl Span {
    /// Builds a span from whole seconds.
    pub const fn from_secs(s: i64) -> Span {
        Span(s * 1_000_000_000)
    }

    /// Builds a span from milliseconds.
    pub const fn from_millis(ms: i64) -> Span {
        Span(ms * 1_000_000)
    }

    /// The span in seconds, as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Parses a human duration: `30s`, `5m`, `2h`, `1d`, `250ms`, or a bare number of seconds.
    pub fn parse_human(s: &str) -> Option<Span> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let n: f64 = n.parse().ok()?;
        let mult = match unit.trim() {
            "" | "s" | "sec" | "secs" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "m" | "min" | "mins" => 60e9,
            "h" | "hr" | "hrs" => 3600e9,
            "d" | "day" | "days" => 86_400e9,
            _ => return None,
        };
        let v = n * mult;
        (v.is_finite() && v >= 0.0 && v < i64::MAX as f64).then_some(Span(v as i64))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 UTC time: {s:?}")))
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_secs_f64())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        Ok(Span((secs * 1e9).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000000Z");
        // 2000-02-29T12:34:56.000000789Z, computed with `date -u -d @951827696`.
        let t = Timestamp(951_827_696_000_000_789);
        assert_eq!(t.to_string(), "2000-02-29T12:34:56.000000789Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn parses_what_it_formats() {
        for ns in [
            0i64,
            1,
            951_827_696_000_000_789,
            1_700_000_000_123_456_789,
            -86_400_000_000_001,
        ] {
            let t = Timestamp(ns);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2000-02-29T12:34:56.5Z"),
            Some(Timestamp(951_827_696_500_000_000))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2000-02-29T12:34:56Z"),
            Some(Timestamp(951_827_696_000_000_000))
        );
        assert_eq!(Timestamp::parse_rfc3339("2000-13-29T12:34:56Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("garbage"), None);
    }

    #[test]
    fn from_parts_scales_units() {
        assert_eq!(
            Timestamp::from_parts(1, 500_000, 1_000_000),
            Timestamp(1_500_000_000)
        );
        assert_eq!(Timestamp::from_parts(1, 5, 10), Timestamp(1_500_000_000));
        assert_eq!(
            Timestamp::from_parts(2, 7, 1_000_000_000),
            Timestamp(2_000_000_007)
        );
    }

    #[test]
    fn parses_human_spans() {
        assert_eq!(Span::parse_human("30s"), Some(Span::from_secs(30)));
        assert_eq!(Span::parse_human("5m"), Some(Span::from_secs(300)));
        assert_eq!(Span::parse_human("250ms"), Some(Span::from_millis(250)));
        assert_eq!(Span::parse_human("2"), Some(Span::from_secs(2)));
        assert_eq!(Span::parse_human("1.5h"), Some(Span::from_secs(5400)));
        assert_eq!(Span::parse_human("3 weeks"), None);
        assert_eq!(Span::parse_human("-1s"), None);
    }
}
