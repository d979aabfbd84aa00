//! `tcp/445`, `udp/623`, `tcp/5985-5986`: a transport and a port range, as rule files write them.

use std::fmt;
use std::str::FromStr;

use segscope_core::Transport;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A transport and an inclusive port range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSpec {
    /// Transport.
    pub transport: Transport,
    /// First port.
    pub lo: u16,
    /// Last port (equal to `lo` for a single port).
    pub hi: u16,
}

impl PortSpec {
    /// True when `port` on `transport` is in the range.
    pub fn contains(&self, transport: Transport, port: u16) -> bool {
        self.transport == transport && (self.lo..=self.hi).contains(&port)
    }
}

impl FromStr for PortSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected `tcp/PORT`, `udp/PORT` or `tcp/LO-HI`, got {s:?}");
        let (t, ports) = s.split_once('/').ok_or_else(bad)?;
        let transport = Transport::parse(t).ok_or_else(bad)?;
        let (lo, hi) = match ports.split_once('-') {
            Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
            None => {
                let p = ports.parse().map_err(|_| bad())?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(format!("port range {s:?} runs backwards"));
        }
        Ok(PortSpec { transport, lo, hi })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}/{}", self.transport, self.lo)
        } else {
            write!(f, "{}/{}-{}", self.transport, self.lo, self.hi)
        }
    }
}

impl Serialize for PortSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports_and_ranges() {
        let p: PortSpec = "tcp/5985-5986".parse().expect("valid");
        assert!(p.contains(Transport::TCP, 5986));
        assert!(!p.contains(Transport::UDP, 5986));
        assert!(!p.contains(Transport::TCP, 5987));
        assert_eq!(p.to_string(), "tcp/5985-5986");
        assert_eq!(
            "udp/623".parse::<PortSpec>().expect("valid").to_string(),
            "udp/623"
        );
        assert!("tcp/9-1".parse::<PortSpec>().is_err());
        assert!("445".parse::<PortSpec>().is_err());
        assert!("tcp/70000".parse::<PortSpec>().is_err());
    }
}
