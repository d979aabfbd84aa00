//! The address space each zone really owns, for enforcement points that match prefixes only.
//!
//! In the policy, the most specific member wins: a scanner listed as `ip: 10.10.11.30` in its
//! own zone is not part of the zone that owns `10.10.11.0/24`. A firewall set holding
//! `10.10.11.0/24` would let the scanner pass as that zone, so each zone's prefixes are cut
//! down by the more specific members of other zones, and the remainder is written as the
//! smallest list of prefixes.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::Policy;

/// An inclusive range of addresses of one family, as integers.
type Range = (u128, u128);

fn bounds(net: &IpNet) -> (bool, Range) {
    match net {
        IpNet::V4(n) => (
            false,
            (
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
        ),
        IpNet::V6(n) => (true, (u128::from(n.network()), u128::from(n.broadcast()))),
    }
}

/// Subtracts `cut` from every range of `ranges`.
fn subtract(ranges: Vec<Range>, cut: Range) -> Vec<Range> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    for (lo, hi) in ranges {
        if cut.1 < lo || hi < cut.0 {
            out.push((lo, hi));
            continue;
        }
        if lo < cut.0 {
            out.push((lo, cut.0 - 1));
        }
        if cut.1 < hi {
            out.push((cut.1 + 1, hi));
        }
    }
    out
}

/// The fewest prefixes covering exactly `lo..=hi` of one family.
fn to_prefixes(v6: bool, (mut lo, hi): Range) -> Vec<IpNet> {
    let bits: u32 = if v6 { 128 } else { 32 };
    let mut out = Vec::new();
    loop {
        // Largest aligned block starting at `lo` that does not pass `hi`.
        let mut size_log = if lo == 0 {
            bits
        } else {
            lo.trailing_zeros().min(bits)
        };
        while size_log > 0 {
            let last = if size_log >= 128 {
                u128::MAX
            } else {
                lo.saturating_add((1u128 << size_log) - 1)
            };
            if last <= hi {
                break;
            }
            size_log -= 1;
        }
        let prefix = (bits - size_log) as u8;
        let net = if v6 {
            IpNet::new(IpAddr::V6(Ipv6Addr::from(lo)), prefix)
        } else {
            IpNet::new(IpAddr::V4(Ipv4Addr::from(lo as u32)), prefix)
        };
        if let Ok(n) = net {
            out.push(n);
        }
        let last = if size_log >= 128 {
            u128::MAX
        } else {
            lo.saturating_add((1u128 << size_log) - 1)
        };
        if last >= hi {
            return out;
        }
        lo = last + 1;
    }
}

/// For each zone, the prefixes it owns once more specific members of other zones are taken
/// out, IPv4 first, sorted. Label members are not addresses and are left out.
pub fn effective_prefixes(policy: &Policy) -> BTreeMap<String, Vec<IpNet>> {
    let members: Vec<(&str, IpNet)> = policy
        .zones
        .iter()
        .flat_map(|z| {
            z.members
                .iter()
                .filter_map(|m| m.selector.net())
                .map(move |n| (z.name.as_str(), n))
        })
        .collect();
    let mut out = BTreeMap::new();
    for z in &policy.zones {
        let mut v4: Vec<Range> = Vec::new();
        let mut v6: Vec<Range> = Vec::new();
        for (_, net) in members.iter().filter(|(n, _)| *n == z.name) {
            let (is6, range) = bounds(net);
            let list = if is6 { &mut v6 } else { &mut v4 };
            let mut own = vec![range];
            for (other, inner) in &members {
                if *other == z.name
                    || inner.prefix_len() <= net.prefix_len()
                    || !net.contains(inner)
                {
                    continue;
                }
                let (_, cut) = bounds(inner);
                own = subtract(own, cut);
            }
            list.extend(own);
        }
        let mut nets = Vec::new();
        for (is6, list) in [(false, v4), (true, v6)] {
            for r in merge(list) {
                nets.extend(to_prefixes(is6, r));
            }
        }
        out.insert(z.name.clone(), nets);
    }
    out
}

/// Sorts and merges overlapping or adjacent ranges.
fn merge(mut v: Vec<Range>) -> Vec<Range> {
    v.sort_unstable();
    let mut out: Vec<Range> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(v: &[&str]) -> Vec<IpNet> {
        v.iter().filter_map(|s| s.parse().ok()).collect()
    }

    #[test]
    fn a_host_of_another_zone_is_cut_out_of_a_subnet() {
        // 10.10.11.0/24 minus 10.10.11.30: .0-.29 and .31-.255, hand-decomposed.
        let (_, r) = bounds(&"10.10.11.0/24".parse().unwrap_or_else(|_| IpNet::default()));
        let (_, cut) = bounds(
            &"10.10.11.30/32"
                .parse()
                .unwrap_or_else(|_| IpNet::default()),
        );
        let mut got = Vec::new();
        for x in subtract(vec![r], cut) {
            got.extend(to_prefixes(false, x));
        }
        assert_eq!(
            got,
            nets(&[
                "10.10.11.0/28",
                "10.10.11.16/29",
                "10.10.11.24/30",
                "10.10.11.28/31",
                "10.10.11.31/32",
                "10.10.11.32/27",
                "10.10.11.64/26",
                "10.10.11.128/25",
            ])
        );
    }

    #[test]
    fn whole_spaces_decompose_to_one_prefix() {
        assert_eq!(
            to_prefixes(false, (0, u128::from(u32::MAX))),
            nets(&["0.0.0.0/0"])
        );
        assert_eq!(to_prefixes(true, (0, u128::MAX)), nets(&["::/0"]));
    }
}
