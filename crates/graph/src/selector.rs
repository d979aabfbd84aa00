//! Selectors: how users point at workloads in the configuration — by address, by segment or
//! zone, by inventory label or by role — because people reason in labels, not IPs.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use segscope_rules::findings::Role;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::workload::Workload;

/// One way of naming a set of workloads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selector {
    /// An address or a network: `10.0.5.7`, `10.0.5.0/24`, `fd00::/64`.
    Net(IpNet),
    /// A segment id: `zone:admin`, `vlan:10`, `net:10.0.1.0/24`, `external`.
    Segment(String),
    /// An inventory label: `label:team=ops`.
    Label {
        /// Label key.
        key: String,
        /// Label value.
        value: String,
    },
    /// A role (declared or inferred): `role:domain_controller`.
    Role(Role),
}

impl Selector {
    /// True when `w` is selected.
    pub fn matches(&self, w: &Workload) -> bool {
        match self {
            Selector::Net(net) => net.contains(&w.key.ip),
            Selector::Segment(id) => &*w.segment == id.as_str(),
            Selector::Label { key, value } => w.labels.get(key) == Some(value),
            Selector::Role(r) => w.role == *r,
        }
    }

    /// True when the selector names a segment by id.
    pub fn is_segment(&self, segment: &str) -> bool {
        matches!(self, Selector::Segment(id) if id == segment)
    }
}

impl FromStr for Selector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("label:") {
            let (key, value) = rest
                .split_once('=')
                .ok_or_else(|| format!("label selector {s:?} must be `label:KEY=VALUE`"))?;
            return Ok(Selector::Label {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
        if let Some(rest) = s.strip_prefix("role:") {
            return rest.parse().map(Selector::Role);
        }
        if let Some(rest) = s.strip_prefix("net:") {
            let net: IpNet = rest
                .parse()
                .map_err(|_| format!("{s:?}: `net:` must be followed by a CIDR"))?;
            return Ok(Selector::Segment(format!("net:{}", net.trunc())));
        }
        if let Some(rest) = s.strip_prefix("vlan:") {
            let vlan: u16 = rest
                .parse()
                .ok()
                .filter(|v| *v < 4096)
                .ok_or_else(|| format!("{s:?}: `vlan:` must be followed by 0-4095"))?;
            return Ok(Selector::Segment(format!("vlan:{vlan}")));
        }
        if s.starts_with("zone:") || s == "external" || s == "multicast" {
            return Ok(Selector::Segment(s.to_owned()));
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Selector::Net(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Selector::Net(IpNet::from(ip)));
        }
        Err(format!(
            "cannot read selector {s:?}: expected an address or CIDR, `zone:NAME`, `vlan:N`, \
             `net:CIDR`, `external`, `label:KEY=VALUE` or `role:ROLE`"
        ))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Net(n) if n.prefix_len() == n.max_prefix_len() => write!(f, "{}", n.addr()),
            Selector::Net(n) => write!(f, "{n}"),
            Selector::Segment(s) => f.write_str(s),
            Selector::Label { key, value } => write!(f, "label:{key}={value}"),
            Selector::Role(r) => write!(f, "role:{r}"),
        }
    }
}

impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_prints_back() {
        for s in [
            "10.0.5.7",
            "10.0.5.0/24",
            "fd00::/64",
            "zone:admin",
            "vlan:10",
            "net:10.0.1.0/24",
            "external",
            "label:team=ops",
            "role:domain_controller",
        ] {
            let sel: Selector = s.parse().expect(s);
            assert_eq!(sel.to_string(), s);
        }
        assert_eq!(
            "net:10.0.1.7/24".parse::<Selector>().map(|s| s.to_string()),
            Ok("net:10.0.1.0/24".to_owned())
        );
        assert!("vlan:5000".parse::<Selector>().is_err());
        assert!("label:team".parse::<Selector>().is_err());
        assert!(
            "role:jumphost"
                .parse::<Selector>()
                .expect_err("unknown role")
                .contains("management")
        );
        assert!("admins".parse::<Selector>().is_err());
    }
}
