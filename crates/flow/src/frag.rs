//! First fragments remembered so that later fragments (which carry no ports) find their flow.
//!
//! Bounded in entries and in time: the oldest registration is forgotten first, and registrations
//! older than the timeout are dropped. Expiry and eviction follow registration order (a FIFO), so
//! both are O(1) per entry.

use std::collections::VecDeque;
use std::net::IpAddr;

use hashbrown::DefaultHashBuilder;
use hashbrown::HashMap;

use crate::key::{FlowKey, Scope};

/// Identifies an IP datagram being fragmented: addresses, protocol, IP id and scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    transport: u8,
    id: u32,
    vlan: Option<u16>,
    inner_vlan: Option<u16>,
    realm: Option<(u8, Option<u32>)>,
}

impl FragKey {
    /// The key of a fragment.
    pub(crate) fn new(src: IpAddr, dst: IpAddr, transport: u8, id: u32, scope: Scope) -> Self {
        FragKey {
            src,
            dst,
            transport,
            id,
            vlan: scope.vlan,
            inner_vlan: scope.inner_vlan,
            realm: scope.realm.map(|(kind, id)| (kind as u8, id)),
        }
    }
}

/// The flow a fragmented datagram belongs to, and whether its sender is the key's `lo` side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FragTarget {
    pub(crate) flow: FlowKey,
    pub(crate) src_is_lo: bool,
}

#[derive(Debug)]
struct Entry {
    target: FragTarget,
    serial: u64,
}

/// The bounded map.
#[derive(Debug)]
pub(crate) struct FragMap {
    map: HashMap<FragKey, Entry, DefaultHashBuilder>,
    order: VecDeque<(FragKey, u64, i64)>,
    serial: u64,
    cap: usize,
    timeout: i64,
}

impl FragMap {
    /// A map of at most `cap` entries kept `timeout_ns` each.
    pub(crate) fn new(cap: usize, timeout_ns: i64) -> Self {
        FragMap {
            map: HashMap::default(),
            order: VecDeque::new(),
            serial: 0,
            cap: cap.max(1),
            timeout: timeout_ns,
        }
    }

    /// Remembers a first fragment seen at `now`.
    pub(crate) fn register(&mut self, key: FragKey, target: FragTarget, now: i64) {
        self.expire(now);
        while self.map.len() >= self.cap || self.order.len() >= self.cap.saturating_mul(2) {
            if !self.pop_oldest() {
                break;
            }
        }
        self.serial += 1;
        self.map.insert(
            key,
            Entry {
                target,
                serial: self.serial,
            },
        );
        self.order
            .push_back((key, self.serial, now.saturating_add(self.timeout)));
    }

    /// The flow of a later fragment, if its first fragment is remembered.
    pub(crate) fn lookup(&mut self, key: &FragKey, now: i64) -> Option<FragTarget> {
        self.expire(now);
        self.map.get(key).map(|e| e.target)
    }

    /// Forgets registrations whose time is up.
    pub(crate) fn expire(&mut self, now: i64) {
        while let Some(&(_, _, deadline)) = self.order.front() {
            if deadline > now {
                break;
            }
            self.pop_oldest();
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    fn pop_oldest(&mut self) -> bool {
        let Some((key, serial, _)) = self.order.pop_front() else {
            return false;
        };
        if self.map.get(&key).is_some_and(|e| e.serial == serial) {
            self.map.remove(&key);
        }
        true
    }

    /// Entries held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segscope_core::Transport;
    use std::net::Ipv4Addr;

    fn target(port: u16) -> FragTarget {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let (flow, src_is_lo) = FlowKey::new(Scope::default(), Transport::UDP, (a, port), (b, 53));
        FragTarget { flow, src_is_lo }
    }

    fn key(id: u32) -> FragKey {
        FragKey::new(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            17,
            id,
            Scope::default(),
        )
    }

    #[test]
    fn bounded_and_timed() {
        let mut m = FragMap::new(2, 10);
        m.register(key(1), target(1), 0);
        m.register(key(2), target(2), 1);
        m.register(key(3), target(3), 2);
        assert_eq!(m.len(), 2);
        assert_eq!(m.lookup(&key(1), 2), None, "the oldest was forgotten");
        assert_eq!(m.lookup(&key(2), 2), Some(target(2)));
        assert_eq!(m.lookup(&key(2), 11), None, "timed out");
        assert_eq!(m.lookup(&key(3), 11), Some(target(3)));
        m.register(key(3), target(4), 11);
        assert_eq!(
            m.lookup(&key(3), 12),
            Some(target(4)),
            "re-registration wins"
        );
        assert_eq!(
            m.lookup(&key(3), 20),
            Some(target(4)),
            "the stale FIFO entry did not remove it"
        );
        m.clear();
        assert_eq!(m.len(), 0);
    }
}
