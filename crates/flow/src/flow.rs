//! The state of one open flow: a compact hot part (272 bytes) and two optional boxes, one for
//! payload waiting for classification and one for rarely needed facts.

use segscope_core::flow::{IcmpError, IcmpFacts, Tunnel};
use segscope_core::{Classification, ConnState, DirStats, Timestamp, Transport};

use crate::history::{History, HistoryLog, INLINE, MAX_HISTORY, for_side, side_bits};
use crate::key::FlowKey;
use crate::retain::{DirBuf, Pool};
use crate::slab::{Linked, Links};
use crate::tcp::{TcpConn, TcpPhase};

/// The timeout classes; each is one activity-ordered list in the slab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    TcpAttempt = 0,
    TcpOpen = 1,
    TcpClosed = 2,
    Udp = 3,
    Icmp = 4,
    Other = 5,
}

/// Number of classes.
pub(crate) const CLASSES: usize = 6;

impl Class {
    /// Every class, in tie-break order.
    pub(crate) const ALL: [Class; CLASSES] = [
        Class::TcpAttempt,
        Class::TcpOpen,
        Class::TcpClosed,
        Class::Udp,
        Class::Icmp,
        Class::Other,
    ];
}

/// Flag bits of [`Flow::bits`].
pub(crate) mod bits {
    /// The client is the key's `lo` endpoint.
    pub(crate) const CLIENT_IS_LO: u8 = 1;
    /// The client was chosen by the port or message-order heuristic.
    pub(crate) const INFERRED: u8 = 1 << 1;
    /// The client sent at least one packet.
    pub(crate) const CLIENT_SEEN: u8 = 1 << 2;
    /// The server sent at least one packet.
    pub(crate) const SERVER_SEEN: u8 = 1 << 3;
    /// Retained payload stopped at a gap.
    pub(crate) const PAYLOAD_GAP: u8 = 1 << 4;
    /// Retained payload hit the budget (counted once).
    pub(crate) const BUDGET_COUNTED: u8 = 1 << 5;
    /// The payload cap refused this flow (counted once).
    pub(crate) const DENIED_COUNTED: u8 = 1 << 6;
    /// The payload cap refused this flow its buffers altogether: it retains nothing.
    pub(crate) const RETENTION_REFUSED: u8 = 1 << 7;
}

/// Payload retained for both directions (0 client, 1 server).
#[derive(Debug, Default)]
pub(crate) struct Retained {
    pub(crate) dirs: [DirBuf; 2],
}

/// Facts most flows never need.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// `record_seq` of the next record.
    pub(crate) record_seq: u32,
    /// Time of the flow's first packet, once a record was written (the hot `first_ts` then
    /// holds the start of the current slice).
    pub(crate) flow_first_ts: Option<Timestamp>,
    /// Non-first fragments counted in the current record.
    pub(crate) fragments: u64,
    /// TCP sequence-space bytes already reported in earlier records, per side.
    pub(crate) tcp_bytes_reported: [u64; 2],
    /// ICMP facts of an ICMP flow.
    pub(crate) icmp: Option<IcmpFacts>,
    /// ICMP errors quoting this flow, for the current record.
    pub(crate) icmp_errors: Vec<IcmpError>,
    /// Encapsulations of the first packet.
    pub(crate) tunnels: Vec<Tunnel>,
    /// VLAN tags of the first packet, when VLANs are not part of the key.
    pub(crate) first_vlans: Option<(Option<u16>, Option<u16>)>,
    /// History letters past the inline ones.
    pub(crate) history_tail: Vec<u8>,
    /// The classification, once made.
    pub(crate) classification: Option<Box<Classification>>,
}

/// One open flow.
#[derive(Debug)]
pub(crate) struct Flow {
    pub(crate) key: FlowKey,
    pub(crate) links: Links,
    /// The timeout class list the flow is on.
    pub(crate) list: u8,
    /// Packet time (in units of 2^30 ns, about 1.07 s) when the flow was last moved to the tail
    /// of its list (see [`Flow::needs_touch`]).
    pub(crate) touched: u32,
    pub(crate) bits: u8,
    pub(crate) history: History,
    /// Source index of the first packet of the current record.
    pub(crate) source: u16,
    /// Time of the first packet of the current record.
    pub(crate) first_ts: Timestamp,
    /// Time of the latest packet (the largest seen: a packet from the past does not move it back).
    pub(crate) last_ts: Timestamp,
    /// Frame number of the first packet of the current record.
    pub(crate) first_frame: u64,
    /// Counters of the current record: client, server.
    pub(crate) stats: [DirStats; 2],
    pub(crate) tcp: TcpConn,
    /// Payload waiting for classification. In the hot part rather than in [`Extras`]: most
    /// flows carry payload, and their facts box would otherwise be allocated for it alone.
    pub(crate) retained: Option<Box<Retained>>,
    pub(crate) extras: Option<Box<Extras>>,
}

impl Linked for Flow {
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }

    fn list(&mut self) -> &mut u8 {
        &mut self.list
    }
}

impl Flow {
    /// True when `bit` is set.
    pub(crate) fn has(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    /// Whether a packet at `ts` must move the flow to the tail of the `class` list. A flow is
    /// moved at most once per 2^30 ns of packet time (and whenever its class changes), which
    /// spares the list's random memory writes for most packets of busy flows; a list is then in
    /// activity order within 1.07 s, so an expiry may be written up to that much late, but never
    /// differently: a packet of an overdue flow still finds it expired.
    pub(crate) fn needs_touch(&mut self, ts: Timestamp, class: Class) -> bool {
        let unit = (ts.0 >> 30) as u32;
        if unit == self.touched && self.list == class as u8 {
            return false;
        }
        self.touched = unit;
        true
    }

    /// The boxed extras, created on first use.
    pub(crate) fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// The timeout class the flow belongs in now.
    pub(crate) fn class(&self) -> Class {
        let t = self.key.transport();
        if t == Transport::TCP {
            match self.tcp.phase() {
                TcpPhase::Attempt => Class::TcpAttempt,
                TcpPhase::Open => Class::TcpOpen,
                TcpPhase::Closed => Class::TcpClosed,
            }
        } else if t == Transport::UDP {
            Class::Udp
        } else if t.is_icmp() {
            Class::Icmp
        } else {
            Class::Other
        }
    }

    /// The history string.
    pub(crate) fn history_string(&self) -> String {
        let tail = self.extras.as_ref().map(|e| e.history_tail.as_slice());
        let mut s =
            String::with_capacity(self.history.inline().len() + tail.map_or(0, <[u8]>::len));
        s.extend(self.history.inline().iter().map(|&b| char::from(b)));
        s.extend(tail.unwrap_or_default().iter().map(|&b| char::from(b)));
        s
    }

    /// Appends a history letter as is (no case change).
    pub(crate) fn push_history(&mut self, letter: u8) {
        self.history_log().append(letter);
    }

    /// The history writer for TCP and datagram logic.
    pub(crate) fn history_log(&mut self) -> FlowHistory<'_> {
        FlowHistory {
            history: &mut self.history,
            extras: &mut self.extras,
        }
    }

    /// Zeek's `conn_state`. UDP and other transports: `S0` when only the client spoke, `SF` when
    /// both did, `SHR` when only the server did (a reply whose request was not captured).
    pub(crate) fn conn_state(&self, history: &str) -> ConnState {
        if self.key.transport() == Transport::TCP {
            return self.tcp.conn_state(history);
        }
        match (self.has(bits::CLIENT_SEEN), self.has(bits::SERVER_SEEN)) {
            (true, true) => ConnState::SF,
            (false, true) => ConnState::SHR,
            _ => ConnState::S0,
        }
    }

    /// Frees retained payload, returning its bytes to the pool.
    pub(crate) fn release_payload(&mut self, pool: &mut Pool) {
        if let Some(retained) = self.retained.take() {
            let Retained { dirs: [a, b] } = *retained;
            a.release(pool);
            b.release(pool);
            pool.give(size_of::<Retained>());
        }
    }

    /// The flow's retention state, created at its first payload byte and charged to the pool;
    /// `None` when the pool refused it (the flow then retains nothing, ever).
    pub(crate) fn retention(&mut self, pool: &mut Pool) -> Option<&mut Retained> {
        if self.retained.is_none() {
            if self.has(bits::RETENTION_REFUSED) {
                return None;
            }
            if !pool.take(size_of::<Retained>()) {
                self.bits |= bits::RETENTION_REFUSED;
                return None;
            }
        }
        Some(self.retained.get_or_insert_with(Box::default))
    }
}

/// Writes history letters into a flow (borrowing only its history parts, so the TCP state can
/// be updated at the same time).
pub(crate) struct FlowHistory<'a> {
    pub(crate) history: &'a mut History,
    pub(crate) extras: &'a mut Option<Box<Extras>>,
}

impl FlowHistory<'_> {
    fn append(&mut self, letter: u8) {
        if let Err(letter) = self.history.push(letter) {
            let tail = &mut self.extras.get_or_insert_with(Box::default).history_tail;
            if tail.len() + INLINE < MAX_HISTORY {
                tail.push(letter);
            }
        }
    }
}

impl HistoryLog for FlowHistory<'_> {
    fn add(&mut self, side: usize, letter: u8) {
        self.append(for_side(side, letter));
    }

    fn check(&mut self, side: usize, bits: u16, letter: u8) -> bool {
        if self.history.check_seen(side_bits(side, bits)) {
            true
        } else {
            self.add(side, letter);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    /// The hot state stays small: with the hash index (about 10 bytes per flow) and allocator
    /// overhead it must fit the 300-byte budget per open flow.
    #[test]
    fn hot_state_is_compact() {
        assert!(
            size_of::<super::Flow>() <= 272,
            "{}",
            size_of::<super::Flow>()
        );
        assert_eq!(size_of::<Option<super::Flow>>(), size_of::<super::Flow>());
    }
}
