//! The decoder's counters: fixed arrays bumped on the per-packet path, turned into the
//! map-based [`DecodeStats`] only when someone asks.

use std::collections::BTreeMap;

use segscope_core::flow::TunnelKind;
use segscope_core::stats::{DecodeStats, Layer};

use crate::outcome::{Named, NonIp};

/// Distinct numbered non-IP kinds (unnamed EtherTypes, link types…) counted by number; further
/// kinds share one overflow bucket so that the table stays fixed-size whatever the input.
const NUMBERED_SLOTS: usize = 32;

/// The `non_ip` key of frames whose kind did not fit in the numbered table.
pub(crate) const NUMBERED_OVERFLOW: &str = "other (too many distinct kinds)";

/// Every `TunnelKind`, indexed by discriminant.
const TUNNEL_KINDS: [TunnelKind; 6] = [
    TunnelKind::Gre,
    TunnelKind::Erspan,
    TunnelKind::Vxlan,
    TunnelKind::Geneve,
    TunnelKind::IpInIp,
    TunnelKind::Other,
];

/// The `tunnelled` key of a tunnel kind (its serialized name).
pub(crate) fn tunnel_kind_name(kind: TunnelKind) -> &'static str {
    match kind {
        TunnelKind::Gre => "gre",
        TunnelKind::Erspan => "erspan",
        TunnelKind::Vxlan => "vxlan",
        TunnelKind::Geneve => "geneve",
        TunnelKind::IpInIp => "ip_in_ip",
        TunnelKind::Other => "other",
    }
}

/// Allocation-free counters; see [`crate::Decoder::stats`] for what each means.
#[derive(Clone, Debug)]
pub(crate) struct Counters {
    pub(crate) frames: u64,
    pub(crate) decoded: u64,
    pub(crate) malformed: [u64; Layer::ALL.len()],
    pub(crate) named: [u64; Named::COUNT],
    pub(crate) numbered: [(NonIp, u64); NUMBERED_SLOTS],
    pub(crate) numbered_used: usize,
    pub(crate) numbered_overflow: u64,
    pub(crate) tunnelled: [u64; TUNNEL_KINDS.len()],
    pub(crate) icmp_errors: u64,
    pub(crate) quotes_truncated: u64,
    pub(crate) first_fragments: u64,
    pub(crate) later_fragments: u64,
    pub(crate) vlan_tagged: u64,
    pub(crate) mpls_labelled: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            frames: 0,
            decoded: 0,
            malformed: [0; Layer::ALL.len()],
            named: [0; Named::COUNT],
            numbered: [(NonIp::EtherType(0), 0); NUMBERED_SLOTS],
            numbered_used: 0,
            numbered_overflow: 0,
            tunnelled: [0; TUNNEL_KINDS.len()],
            icmp_errors: 0,
            quotes_truncated: 0,
            first_fragments: 0,
            later_fragments: 0,
            vlan_tagged: 0,
            mpls_labelled: 0,
        }
    }
}

impl Counters {
    pub(crate) fn count_malformed(&mut self, layer: Layer) {
        if let Some(c) = self.malformed.get_mut(layer as usize) {
            *c += 1;
        }
    }

    pub(crate) fn count_tunnel(&mut self, kind: TunnelKind) {
        if let Some(c) = self.tunnelled.get_mut(kind as usize) {
            *c += 1;
        }
    }

    /// Non-IP frames are rare next to IP, so a linear scan of the numbered table is fine.
    pub(crate) fn count_non_ip(&mut self, what: NonIp) {
        if let NonIp::Named(n) = what {
            if let Some(c) = self.named.get_mut(n as usize) {
                *c += 1;
            }
            return;
        }
        let used = self
            .numbered
            .get_mut(..self.numbered_used)
            .unwrap_or_default();
        if let Some((_, c)) = used.iter_mut().find(|(k, _)| *k == what) {
            *c += 1;
        } else if let Some(slot) = self.numbered.get_mut(self.numbered_used) {
            *slot = (what, 1);
            self.numbered_used += 1;
        } else {
            self.numbered_overflow += 1;
        }
    }

    pub(crate) fn to_stats(&self) -> DecodeStats {
        let mut non_ip = BTreeMap::new();
        for (n, &c) in Named::ALL.iter().zip(&self.named) {
            if c > 0 {
                non_ip.insert(n.as_str().to_owned(), c);
            }
        }
        for &(k, c) in self.numbered.iter().take(self.numbered_used) {
            non_ip.insert(k.name(), c);
        }
        if self.numbered_overflow > 0 {
            non_ip.insert(NUMBERED_OVERFLOW.to_owned(), self.numbered_overflow);
        }
        let malformed = Layer::ALL
            .iter()
            .zip(&self.malformed)
            .filter(|(_, c)| **c > 0)
            .map(|(l, c)| (*l, *c))
            .collect();
        let tunnelled = TUNNEL_KINDS
            .iter()
            .zip(&self.tunnelled)
            .filter(|(_, c)| **c > 0)
            .map(|(k, c)| (tunnel_kind_name(*k).to_owned(), *c))
            .collect();
        DecodeStats {
            frames: self.frames,
            decoded: self.decoded,
            non_ip,
            malformed,
            first_fragments: self.first_fragments,
            later_fragments: self.later_fragments,
            tunnelled,
            icmp_errors: self.icmp_errors,
            icmp_quotes_truncated: self.quotes_truncated,
            vlan_tagged: self.vlan_tagged,
            mpls_labelled: self.mpls_labelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_and_tunnel_discriminants_index_their_tables() {
        for (i, l) in Layer::ALL.iter().enumerate() {
            assert_eq!(*l as usize, i);
        }
        for (i, k) in TUNNEL_KINDS.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }

    #[test]
    fn numbered_table_overflows_into_one_bucket() {
        let mut c = Counters::default();
        for t in 0..NUMBERED_SLOTS as u16 + 5 {
            c.count_non_ip(NonIp::EtherType(0x9100 + t));
        }
        c.count_non_ip(NonIp::EtherType(0x9100));
        let s = c.to_stats();
        assert_eq!(s.non_ip.len(), NUMBERED_SLOTS + 1);
        assert_eq!(s.non_ip["ethertype 0x9100"], 2);
        assert_eq!(s.non_ip[NUMBERED_OVERFLOW], 5);
    }
}
