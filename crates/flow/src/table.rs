//! The flow table: packets in, flow records out.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use segscope_core::flow::{IcmpError, IcmpFacts, QuotedFlow, Tunnel};
use segscope_core::stats::FlowStats;
use segscope_core::{Classify, EndReason, FlowRecord, Timestamp, Transport};
use segscope_wire::{Fragment, Packet, tcp_flags};

use crate::config::FlowConfig;
use crate::direction::orient;
use crate::flow::{CLASSES, Class, Flow, FlowHistory, bits};
use crate::frag::{FragKey, FragMap, FragTarget};
use crate::history::{HistoryLog, mask};
use crate::key::{FlowKey, Scope, icmp_ports, key_ports};
use crate::record::{self, RecordCtx, classify_and_keep, is_classified, note_retention};
use crate::retain::{Events, Limits, Pool};
use crate::slab::Slab;

/// True for "administratively prohibited" ICMP errors: a filter said no.
fn admin_prohibited(transport: Transport, icmp_type: u8, icmp_code: u8) -> bool {
    if transport == Transport::ICMP {
        icmp_type == 3 && matches!(icmp_code, 9 | 10 | 13)
    } else {
        icmp_type == 1 && matches!(icmp_code, 1 | 5 | 6)
    }
}

/// When and where a packet was captured.
#[derive(Clone, Copy)]
struct Arrival {
    ts: Timestamp,
    source: u16,
    frame: u64,
}

/// A bidirectional flow table (see the crate documentation).
///
/// Deterministic: the records depend only on the packets (and on `advance` being called with
/// times no later than the next packet's), never on hashing, allocation or how often `advance`
/// is called.
pub struct FlowTable<C: Classify> {
    cfg: FlowConfig,
    classifier: C,
    sources: Vec<Arc<str>>,
    unknown_source: Arc<str>,
    hasher: DefaultHashBuilder,
    index: HashTable<u32>,
    flows: Slab<Flow, CLASSES>,
    frags: FragMap,
    pool: Pool,
    limits: Limits,
    timeouts: [i64; CLASSES],
    /// Latest packet time seen.
    clock: Timestamp,
    stats: FlowStats,
    /// Open flows not yet written by [`FlowTable::flush_until`], latest first.
    pending_flush: Option<Vec<(Timestamp, u32)>>,
}

impl<C: Classify> FlowTable<C> {
    /// A table. `sources[i]` names the capture file (or interface) of packets whose source index
    /// is `i`.
    pub fn new(cfg: FlowConfig, classifier: C, sources: Vec<Arc<str>>) -> Self {
        let mut timeouts = [0i64; CLASSES];
        for class in Class::ALL {
            timeouts[class as usize] = match class {
                Class::TcpAttempt => cfg.tcp_attempt_timeout.0,
                Class::TcpOpen => cfg.tcp_established_timeout.0,
                Class::TcpClosed => cfg.tcp_closed_linger.0,
                Class::Udp => cfg.udp_timeout.0,
                Class::Icmp => cfg.icmp_timeout.0,
                Class::Other => cfg.other_timeout.0,
            }
            .max(0);
        }
        FlowTable {
            limits: Limits {
                budget: cfg.payload_budget,
                reorder: cfg.reorder_segments,
                datagrams: cfg.payload_datagrams,
            },
            pool: Pool::new(cfg.payload_cap),
            frags: FragMap::new(cfg.fragment_cap as usize, cfg.fragment_timeout.0),
            timeouts,
            classifier,
            sources,
            unknown_source: Arc::from("?"),
            hasher: DefaultHashBuilder::default(),
            index: HashTable::new(),
            flows: Slab::new(),
            clock: Timestamp::MIN,
            stats: FlowStats::default(),
            pending_flush: None,
            cfg,
        }
    }

    /// Adds one packet captured at `ts` (frame `frame_no`, 1-based, of source `source`). Records
    /// that became due are appended to `out`: flows that timed out before `ts`, a flow evicted
    /// to make room, an interim record of this packet's flow.
    pub fn process(
        &mut self,
        ts: Timestamp,
        source: u16,
        frame_no: u64,
        pkt: &Packet<'_>,
        out: &mut Vec<FlowRecord>,
    ) {
        if ts < self.clock {
            self.stats.time_went_backwards += 1;
        } else {
            self.clock = ts;
        }
        self.expire_until(self.clock, out);
        let mut scope = Scope::of(pkt);
        if !self.cfg.vlans_in_key {
            scope.vlan = None;
            scope.inner_vlan = None;
        }
        let arrival = Arrival {
            ts,
            source,
            frame: frame_no,
        };
        if let Fragment::Later { id } = pkt.fragment {
            self.later_fragment(arrival, id, scope, pkt, out);
            return;
        }
        if let Some(quoted) = pkt.quoted
            && pkt.transport.is_icmp()
            && self.attribute_icmp_error(ts, frame_no, scope, pkt, &quoted, out)
        {
            return;
        }
        let (sport, dport) = key_ports(pkt);
        let (key, src_is_lo) =
            FlowKey::new(scope, pkt.transport, (pkt.src, sport), (pkt.dst, dport));
        let hash = self.hasher.hash_one(key);
        let idx = match self.live(hash, &key, out) {
            Some(idx) => {
                self.maybe_interim(idx, arrival, out);
                idx
            }
            None => match self.create(arrival, pkt, key, hash, src_is_lo, out) {
                Some(idx) => idx,
                None => return,
            },
        };
        self.apply(idx, ts, pkt, src_is_lo);
        if let Fragment::First { id } = pkt.fragment {
            let fkey = FragKey::new(pkt.src, pkt.dst, pkt.transport.0, id, scope);
            self.frags.register(
                fkey,
                FragTarget {
                    flow: key,
                    src_is_lo,
                },
                self.clock.0,
            );
        }
    }

    /// Writes the flows whose idle timeout or linger ended by `now` (packet time of the input as a
    /// whole; with several tables, the latest time seen by any). Cheap when nothing is due.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<FlowRecord>) {
        self.expire_until(now, out);
    }

    /// Ends the input: writes every open flow (`EndReason::EndOfInput`) in order of the time of
    /// its record's first packet, then flow key.
    pub fn flush(&mut self, out: &mut Vec<FlowRecord>) {
        self.flush_before(None, out);
    }

    /// Ends the input in parts: writes the open flows whose record starts before `until`, in the
    /// order of [`flush`](Self::flush). Calls with increasing `until` hand the end-of-input
    /// records out in bounded chunks instead of building a million at once; whatever the table
    /// is split into, the same time window always selects the same flows. A later
    /// [`process`](Self::process) or [`advance`](Self::advance) call starts over.
    pub fn flush_until(&mut self, until: Timestamp, out: &mut Vec<FlowRecord>) {
        self.flush_before(Some(until), out);
    }

    fn flush_before(&mut self, until: Option<Timestamp>, out: &mut Vec<FlowRecord>) {
        if self.pending_flush.is_none() {
            let mut open: Vec<(Timestamp, u32)> = self
                .flows
                .indices()
                .filter_map(|i| self.flows.get(i).map(|f| (f.first_ts, i)))
                .collect();
            // Latest first, so that the next flow to write is popped from the end.
            open.sort_by(|a, b| {
                let ka = self.flows.get(a.1).map(|f| f.key.sort_key());
                let kb = self.flows.get(b.1).map(|f| f.key.sort_key());
                b.0.cmp(&a.0).then(kb.cmp(&ka))
            });
            self.pending_flush = Some(open);
        }
        while let Some(&(ts, idx)) = self.pending_flush.as_ref().and_then(|p| p.last()) {
            if until.is_some_and(|u| ts >= u) {
                return;
            }
            self.pending_flush.as_mut().map(Vec::pop);
            self.finish(idx, EndReason::EndOfInput, out);
        }
        self.pending_flush = None;
        self.frags.clear();
    }

    /// The table's counters.
    pub fn stats(&self) -> FlowStats {
        FlowStats {
            peak_payload_bytes: self.pool.peak(),
            ..self.stats.clone()
        }
    }

    /// Flows currently open.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Memory currently held for classification: payload buffers and their bookkeeping.
    pub fn retained_bytes(&self) -> u64 {
        self.pool.used()
    }

    fn source_name(&self, source: u16) -> Arc<str> {
        self.sources
            .get(usize::from(source))
            .unwrap_or(&self.unknown_source)
            .clone()
    }

    fn find(&self, hash: u64, key: &FlowKey) -> Option<u32> {
        let flows = &self.flows;
        self.index
            .find(hash, |&i| flows.get(i).is_some_and(|f| f.key == *key))
            .copied()
    }

    /// The open flow with `key`, after writing it first if its timeout already ran out (an
    /// expiry that a packet from the past kept from reaching the head of its list).
    fn live(&mut self, hash: u64, key: &FlowKey, out: &mut Vec<FlowRecord>) -> Option<u32> {
        let idx = self.find(hash, key)?;
        let class = self.flows.get(idx)?.class();
        if self.deadline(idx, class).is_some_and(|d| d <= self.clock.0) {
            self.finish(idx, end_reason(class), out);
            return None;
        }
        Some(idx)
    }

    fn deadline(&self, idx: u32, class: Class) -> Option<i64> {
        let flow = self.flows.get(idx)?;
        Some(flow.last_ts.0.saturating_add(self.timeouts[class as usize]))
    }

    fn expire_until(&mut self, now: Timestamp, out: &mut Vec<FlowRecord>) {
        // Packets or time went on: a flush in parts starts over from the flows then open.
        self.pending_flush = None;
        self.frags.expire(now.0);
        loop {
            let mut due: Option<(i64, Class, u32)> = None;
            for class in Class::ALL {
                let Some(head) = self.flows.head(class as usize) else {
                    continue;
                };
                let Some(deadline) = self.deadline(head, class) else {
                    continue;
                };
                if deadline <= now.0 && due.is_none_or(|(d, _, _)| deadline < d) {
                    due = Some((deadline, class, head));
                }
            }
            let Some((_, class, idx)) = due else {
                break;
            };
            self.finish(idx, end_reason(class), out);
        }
    }

    /// The least recently active flow (ties: class order).
    fn least_recent(&self) -> Option<u32> {
        let mut best: Option<(Timestamp, u32)> = None;
        for class in Class::ALL {
            let Some(head) = self.flows.head(class as usize) else {
                continue;
            };
            let Some(flow) = self.flows.get(head) else {
                continue;
            };
            if best.is_none_or(|(t, _)| flow.last_ts < t) {
                best = Some((flow.last_ts, head));
            }
        }
        best.map(|(_, idx)| idx)
    }

    /// Removes the flow and writes its final record.
    fn finish(&mut self, idx: u32, reason: EndReason, out: &mut Vec<FlowRecord>) {
        let hash = self
            .flows
            .get(idx)
            .map_or(0, |f| self.hasher.hash_one(f.key));
        if let Ok(entry) = self.index.find_entry(hash, |&i| i == idx) {
            entry.remove();
        }
        let Some(mut flow) = self.flows.remove(idx) else {
            return;
        };
        let source = self.source_name(flow.source);
        let rec = record::build(
            &mut flow,
            RecordCtx {
                classifier: &self.classifier,
                pool: &mut self.pool,
                stats: &mut self.stats,
                source,
            },
            reason,
            false,
        );
        flow.release_payload(&mut self.pool);
        self.stats.records += 1;
        match reason {
            EndReason::Closed => self.stats.closed += 1,
            EndReason::IdleTimeout => self.stats.idle_timeouts += 1,
            EndReason::Evicted => self.stats.flows_evicted += 1,
            EndReason::EndOfInput => self.stats.flushed_at_end += 1,
            EndReason::ActiveTimeout => self.stats.interim_records += 1,
        }
        out.push(rec);
    }

    /// Writes an interim record when the flow's current record has lasted the active timeout,
    /// and starts a new slice with the packet at `ts`.
    fn maybe_interim(&mut self, idx: u32, arrival: Arrival, out: &mut Vec<FlowRecord>) {
        let Arrival { ts, source, frame } = arrival;
        let Some(active) = self.cfg.active_timeout else {
            return;
        };
        let Some(flow) = self.flows.get(idx) else {
            return;
        };
        if ts < flow.first_ts.plus(active) {
            return;
        }
        let name = self.source_name(flow.source);
        let Some(flow) = self.flows.get_mut(idx) else {
            return;
        };
        let flow_first = record::flow_first_ts(flow);
        let rec = record::build(
            flow,
            RecordCtx {
                classifier: &self.classifier,
                pool: &mut self.pool,
                stats: &mut self.stats,
                source: name,
            },
            EndReason::ActiveTimeout,
            true,
        );
        flow.extras().flow_first_ts = Some(flow_first);
        flow.stats = Default::default();
        flow.extras().fragments = 0;
        flow.first_ts = ts;
        flow.first_frame = frame;
        flow.source = source;
        self.stats.records += 1;
        self.stats.interim_records += 1;
        out.push(rec);
    }

    fn create(
        &mut self,
        arrival: Arrival,
        pkt: &Packet<'_>,
        key: FlowKey,
        hash: u64,
        src_is_lo: bool,
        out: &mut Vec<FlowRecord>,
    ) -> Option<u32> {
        let max = (self.cfg.max_flows.max(1) as usize).min(u32::MAX as usize - 1);
        while self.flows.len() >= max {
            let victim = self.least_recent()?;
            self.finish(victim, EndReason::Evicted, out);
        }
        let orientation = orient(pkt);
        let client_is_lo = src_is_lo == orientation.src_is_client;
        let mut flow_bits = 0;
        if client_is_lo {
            flow_bits |= bits::CLIENT_IS_LO;
        }
        if orientation.inferred {
            flow_bits |= bits::INFERRED;
        }
        let mut flow = Flow {
            key,
            links: Default::default(),
            list: 0,
            touched: (arrival.ts.0 >> 30) as u32,
            bits: flow_bits,
            history: Default::default(),
            source: arrival.source,
            first_ts: arrival.ts,
            last_ts: arrival.ts,
            first_frame: arrival.frame,
            stats: Default::default(),
            tcp: Default::default(),
            retained: None,
            extras: None,
        };
        if orientation.flipped && !pkt.transport.is_icmp() {
            flow.push_history(b'^');
        }
        if pkt.tunnel_hops().next().is_some() {
            flow.extras().tunnels = pkt
                .tunnel_hops()
                .map(|hop| Tunnel {
                    kind: hop.kind,
                    outer_src: hop.outer_src,
                    outer_dst: hop.outer_dst,
                    id: hop.id,
                })
                .collect();
        }
        if !self.cfg.vlans_in_key && (pkt.vlan.is_some() || pkt.inner_vlan.is_some()) {
            flow.extras().first_vlans = Some((pkt.vlan, pkt.inner_vlan));
        }
        if pkt.transport.is_icmp() {
            let (icmp_type, icmp_code) = (pkt.src_port as u8, pkt.dst_port as u8);
            flow.extras().icmp = Some(IcmpFacts {
                icmp_type,
                icmp_code,
                refers_to: pkt.quoted,
                admin_prohibited: admin_prohibited(pkt.transport, icmp_type, icmp_code),
            });
        }
        let class = flow.class();
        let idx = self.flows.insert(flow, class as usize).ok()?;
        let flows = &self.flows;
        let hasher = &self.hasher;
        self.index.insert_unique(hash, idx, |&i| {
            flows.get(i).map_or(0, |f| hasher.hash_one(f.key))
        });
        self.stats.flows += 1;
        self.stats.peak_open_flows = self.stats.peak_open_flows.max(self.flows.len() as u64);
        Some(idx)
    }

    /// Counts a packet on its flow and runs the transport's state and payload logic.
    fn apply(&mut self, idx: u32, ts: Timestamp, pkt: &Packet<'_>, src_is_lo: bool) {
        let limits = self.limits;
        let Some(flow) = self.flows.get_mut(idx) else {
            return;
        };
        let side = usize::from(src_is_lo != flow.has(bits::CLIENT_IS_LO));
        if ts > flow.last_ts {
            flow.last_ts = ts;
        }
        let dir = &mut flow.stats[side];
        dir.packets += 1;
        dir.ip_bytes += u64::from(pkt.ip_len);
        flow.bits |= if side == 0 {
            bits::CLIENT_SEEN
        } else {
            bits::SERVER_SEEN
        };
        let transport = pkt.transport;
        let mut events = Events::default();
        if transport == Transport::TCP {
            let mut log = FlowHistory {
                history: &mut flow.history,
                extras: &mut flow.extras,
            };
            let effects = flow.tcp.packet(side, &pkt.tcp, pkt.payload_len, &mut log);
            if effects.retransmission {
                self.stats.retransmissions += 1;
            }
            if !is_classified(flow) {
                retain_tcp(flow, side, pkt, limits, &mut self.pool, &mut events);
            }
        } else {
            flow.stats[side].bytes += u64::from(pkt.payload_len);
            if !transport.is_icmp() {
                flow.history_log().check(side, mask::DATA, b'D');
                if !is_classified(flow)
                    && !pkt.payload.is_empty()
                    && let Some(retained) = flow.retention(&mut self.pool)
                {
                    retained.dirs[side].push_datagram(pkt.payload, limits, &mut self.pool);
                }
            }
        }
        self.stats.reorder_overflow += events.reorder_overflow;
        note_retention(flow, &mut self.stats);
        let class = flow.class();
        let both_done = flow
            .retained
            .as_ref()
            .is_some_and(|r| r.dirs.iter().all(|d| d.finished()));
        if both_done || (class == Class::TcpClosed && !is_classified(flow)) {
            classify_and_keep(flow, &self.classifier, &mut self.pool, &mut self.stats);
        }
        if flow.needs_touch(ts, class) {
            self.flows.touch(idx, class as usize);
        }
    }

    fn later_fragment(
        &mut self,
        arrival: Arrival,
        id: u32,
        scope: Scope,
        pkt: &Packet<'_>,
        out: &mut Vec<FlowRecord>,
    ) {
        let fkey = FragKey::new(pkt.src, pkt.dst, pkt.transport.0, id, scope);
        let Some(target) = self.frags.lookup(&fkey, self.clock.0) else {
            self.stats.orphan_fragments += 1;
            return;
        };
        let hash = self.hasher.hash_one(target.flow);
        let Some(idx) = self.live(hash, &target.flow, out) else {
            self.stats.orphan_fragments += 1;
            return;
        };
        self.maybe_interim(idx, arrival, out);
        let Some(flow) = self.flows.get_mut(idx) else {
            return;
        };
        let side = usize::from(target.src_is_lo != flow.has(bits::CLIENT_IS_LO));
        if arrival.ts > flow.last_ts {
            flow.last_ts = arrival.ts;
        }
        // As Zeek counts after reassembly: a fragmented datagram is one packet, and its IP
        // bytes are one header plus all the fragments' data.
        let dir = &mut flow.stats[side];
        dir.ip_bytes += u64::from(pkt.payload_len);
        if pkt.transport != Transport::TCP {
            dir.bytes += u64::from(pkt.payload_len);
        }
        flow.extras().fragments += 1;
        let class = flow.class();
        if flow.needs_touch(arrival.ts, class) {
            self.flows.touch(idx, class as usize);
        }
    }

    /// Attaches an ICMP error to the flow it quotes; false when that flow is not open.
    fn attribute_icmp_error(
        &mut self,
        ts: Timestamp,
        frame_no: u64,
        scope: Scope,
        pkt: &Packet<'_>,
        quoted: &QuotedFlow,
        out: &mut Vec<FlowRecord>,
    ) -> bool {
        let t = quoted.transport;
        let (sport, dport) = if t.is_icmp() {
            let p = icmp_ports(t, quoted.src.port as u8, quoted.dst.port as u8);
            (p.src, p.dst)
        } else if t.has_ports() {
            (quoted.src.port, quoted.dst.port)
        } else {
            (0, 0)
        };
        let (key, _) = FlowKey::new(scope, t, (quoted.src.ip, sport), (quoted.dst.ip, dport));
        let hash = self.hasher.hash_one(key);
        let Some(idx) = self.live(hash, &key, out) else {
            self.stats.icmp_errors_unmatched += 1;
            return false;
        };
        let cap = usize::from(self.cfg.icmp_errors_per_flow);
        let Some(flow) = self.flows.get_mut(idx) else {
            return false;
        };
        let (icmp_type, icmp_code) = (pkt.src_port as u8, pkt.dst_port as u8);
        let errors = &mut flow.extras().icmp_errors;
        if errors.len() < cap {
            errors.push(IcmpError {
                icmp_type,
                icmp_code,
                reporter: pkt.src,
                ts,
                frame: frame_no,
                admin_prohibited: admin_prohibited(pkt.transport, icmp_type, icmp_code),
            });
            self.stats.icmp_errors_attributed += 1;
        } else {
            self.stats.icmp_errors_over_cap += 1;
        }
        true
    }
}

fn end_reason(class: Class) -> EndReason {
    if class == Class::TcpClosed {
        EndReason::Closed
    } else {
        EndReason::IdleTimeout
    }
}

/// Feeds a TCP segment's payload and acknowledgement to the retained streams.
fn retain_tcp(
    flow: &mut Flow,
    side: usize,
    pkt: &Packet<'_>,
    limits: Limits,
    pool: &mut Pool,
    events: &mut Events,
) {
    let flags = pkt.tcp.flags;
    let syn = flags & tcp_flags::SYN != 0;
    if pkt.payload_len > 0 && flags & tcp_flags::RST == 0 && !pkt.payload.is_empty() {
        let data_seq = pkt.tcp.seq.wrapping_add(u32::from(syn));
        let off = flow.tcp.endpoint(side).rel(data_seq) - 1;
        if let Some(retained) = flow.retention(pool) {
            retained.dirs[side].push_stream(
                off,
                pkt.payload,
                pkt.payload_len,
                limits,
                pool,
                events,
            );
        }
    }
    if flags & tcp_flags::ACK != 0 {
        let peer = side ^ 1;
        let acked = flow.tcp.acked_data_end(peer, pkt.tcp.ack);
        if let (Some(acked), Some(retained)) = (acked, flow.retained.as_mut()) {
            retained.dirs[peer].acked(acked, limits, pool);
        }
    }
}
