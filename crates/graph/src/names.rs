//! Names the traffic revealed about an address, turned into what a workload is called and
//! whether the address changed hands (DHCP leases, pods) during the capture.

use std::collections::BTreeMap;

use segscope_core::edge::NameBinding;
use segscope_core::{NameSource, Timestamp};
use serde::{Deserialize, Serialize};

/// A name and where it was learned, with the window it was seen in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedName {
    /// The name.
    pub name: String,
    /// Where it was learned.
    pub source: NameSource,
    /// First seen.
    pub first_seen: Timestamp,
    /// Last seen.
    pub last_seen: Timestamp,
    /// Times seen.
    pub count: u64,
}

/// A host name bound to the address over a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostWindow {
    /// Host name (short, lower case).
    pub name: String,
    /// First seen under this name.
    pub first_seen: Timestamp,
    /// Last seen under this name.
    pub last_seen: Timestamp,
}

/// Everything the names say about one address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFacts {
    /// Every name, best first.
    pub names: Vec<LearnedName>,
    /// The address carried different host names in disjoint windows.
    pub address_reused: bool,
    /// Host-name windows, earliest first (only the self-announced sources).
    pub host_windows: Vec<HostWindow>,
}

/// Rank of a source for choosing a display name: what the host says about itself first, then
/// what the directory says, then what clients asked for.
fn rank(source: NameSource) -> u8 {
    match source {
        NameSource::Inventory => 0,
        NameSource::DhcpHostname => 1,
        NameSource::Netbios => 2,
        NameSource::DnsAnswer => 3,
        NameSource::KerberosPrincipal => 4,
        NameSource::SmbHost => 5,
        NameSource::Llmnr => 6,
        NameSource::Mdns => 7,
        NameSource::TlsCertificate => 8,
        NameSource::TlsSni => 9,
        NameSource::HttpHost => 10,
    }
}

/// Sources in which a host announces its own name: one address with two such names in
/// disjoint windows changed hands. DNS answers, SNI and Host headers are not among them: one
/// server legitimately carries many of those at once.
fn is_self_announced(source: NameSource) -> bool {
    matches!(
        source,
        NameSource::DhcpHostname | NameSource::Netbios | NameSource::Llmnr | NameSource::Mdns
    )
}

/// `WS01.corp.local`, `ws01<20>` and `ws01.local` are the same host `ws01`.
fn host_part(name: &str) -> String {
    let base = name.split('<').next().unwrap_or(name);
    let base = base.split('.').next().unwrap_or(base);
    base.trim().to_ascii_lowercase()
}

/// Builds the facts of one address from its bindings.
pub fn facts(bindings: &[&NameBinding]) -> NameFacts {
    let mut names: Vec<LearnedName> = bindings
        .iter()
        .map(|b| LearnedName {
            name: b.name.clone(),
            source: b.source,
            first_seen: b.first_seen,
            last_seen: b.last_seen,
            count: b.count,
        })
        .collect();
    names.sort_by(|a, b| {
        rank(a.source)
            .cmp(&rank(b.source))
            .then(b.count.cmp(&a.count))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.name.cmp(&b.name))
    });
    let mut windows: BTreeMap<String, HostWindow> = BTreeMap::new();
    for b in bindings.iter().filter(|b| is_self_announced(b.source)) {
        let host = host_part(&b.name);
        if host.is_empty() {
            continue;
        }
        windows
            .entry(host.clone())
            .and_modify(|w| {
                w.first_seen = w.first_seen.min(b.first_seen);
                w.last_seen = w.last_seen.max(b.last_seen);
            })
            .or_insert(HostWindow {
                name: host,
                first_seen: b.first_seen,
                last_seen: b.last_seen,
            });
    }
    let mut host_windows: Vec<HostWindow> = windows.into_values().collect();
    host_windows.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.name.cmp(&b.name)));
    // Reused when some window starts after another has ended: sorted by start, it is enough to
    // compare each start with the earliest end before it.
    let mut earliest_end: Option<Timestamp> = None;
    let mut address_reused = false;
    for w in &host_windows {
        if earliest_end.is_some_and(|end| end < w.first_seen) {
            address_reused = true;
        }
        earliest_end = Some(earliest_end.map_or(w.last_seen, |e| e.min(w.last_seen)));
    }
    NameFacts {
        names,
        address_reused,
        host_windows,
    }
}

impl NameFacts {
    /// The name to show: for a reused address the latest host name, otherwise the best name.
    pub fn display(&self) -> Option<&str> {
        if self.address_reused {
            return self
                .host_windows
                .iter()
                .max_by_key(|w| w.last_seen)
                .map(|w| w.name.as_str());
        }
        self.names.first().map(|n| n.name.as_str())
    }

    /// Host names whose window overlaps `[from, to]`.
    pub fn hosts_during(&self, from: Timestamp, to: Timestamp) -> Vec<String> {
        self.host_windows
            .iter()
            .filter(|w| w.first_seen <= to && w.last_seen >= from)
            .map(|w| w.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(name: &str, source: NameSource, first: i64, last: i64, count: u64) -> NameBinding {
        NameBinding {
            ip: "10.0.0.5".parse().expect("address"),
            name: name.to_owned(),
            source,
            first_seen: Timestamp(first),
            last_seen: Timestamp(last),
            count,
        }
    }

    #[test]
    fn disjoint_host_names_mean_a_reused_address() {
        let a = binding("laptop-anna", NameSource::DhcpHostname, 0, 100, 3);
        let b = binding("LAPTOP-ANNA<00>", NameSource::Netbios, 10, 90, 2);
        let c = binding("pc-bob.corp.local", NameSource::DhcpHostname, 200, 300, 1);
        let d = binding("intranet.corp.local", NameSource::TlsSni, 0, 300, 50);
        let f = facts(&[&a, &b, &c, &d]);
        assert!(f.address_reused);
        assert_eq!(
            f.host_windows
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>(),
            ["laptop-anna", "pc-bob"]
        );
        assert_eq!(f.display(), Some("pc-bob"));
        assert_eq!(
            f.hosts_during(Timestamp(50), Timestamp(60)),
            ["laptop-anna"]
        );
        assert_eq!(f.hosts_during(Timestamp(250), Timestamp(260)), ["pc-bob"]);
        assert_eq!(f.names.len(), 4);
    }

    #[test]
    fn overlapping_names_and_service_names_are_not_reuse() {
        let a = binding("ws01", NameSource::DhcpHostname, 0, 100, 3);
        let b = binding("ws01-alias", NameSource::Mdns, 50, 150, 1);
        let c = binding("www.example.com", NameSource::TlsSni, 300, 400, 9);
        let d = binding("api.example.com", NameSource::HttpHost, 0, 10, 9);
        let f = facts(&[&a, &b, &c, &d]);
        assert!(!f.address_reused);
        assert_eq!(f.display(), Some("ws01"), "DHCP host name outranks SNI");
        let f = facts(&[&c, &d]);
        assert!(!f.address_reused);
        assert_eq!(
            f.display(),
            Some("www.example.com"),
            "SNI outranks Host header"
        );
    }
}
