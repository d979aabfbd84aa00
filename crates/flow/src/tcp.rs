//! TCP endpoint state, history letters, sequence-space byte counts and `conn_state`, following
//! Zeek's TCP analyzer (`TCPSessionAdapter`/`TCP_Endpoint` and `conn_state()` in
//! `base/protocols/conn/main.zeek`) so that a record can be checked against Zeek's `conn.log`
//! field by field:
//!
//! - each endpoint moves through Zeek's states (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
//!   ESTABLISHED, CLOSED, RESET) by the same transitions;
//! - `bytes` is Zeek's `TCP_Endpoint::Size()`: the sequence space from the initial sequence number
//!   to the larger of the highest sequence sent and the highest acknowledged, minus the SYN and
//!   FIN octets, so retransmissions are not counted twice and acknowledged but uncaptured data is;
//! - history letters are added at the same points (`update_history`, retransmissions in
//!   `update_last_seq`, zero windows in `update_window`, content gaps when the peer acknowledges
//!   data never seen while both sides are established).
//!
//! Sequence numbers are tracked as 64-bit offsets from each endpoint's start, so connections
//! larger than 4 GiB count correctly.

use segscope_core::ConnState;
use segscope_wire::{TcpInfo, tcp_flags};

use crate::history::{HistoryLog, mask};

/// Zeek's `TOO_LARGE_SEQ_DELTA`: SYN/RST sequence jumps larger than this are not trusted.
const TOO_LARGE_SEQ_DELTA: i64 = 1_048_576;

/// How far acknowledgements can run ahead of the data seen (the largest TCP window, 2^30 with
/// window scaling); an acknowledgement further behind than this is stale (no ACK seen for over
/// 1 GiB of data, e.g. a one-way capture) and is not trusted for byte counts.
const ACK_HORIZON: i64 = 1 << 30;

/// Zeek's endpoint states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum EpState {
    /// Nothing seen from this side.
    #[default]
    Inactive,
    /// SYN sent.
    SynSent,
    /// SYN-ACK sent by the originator (a reversed handshake).
    SynAckSent,
    /// Traffic seen without its handshake.
    Partial,
    /// Handshake completed.
    Established,
    /// FIN sent.
    Closed,
    /// RST sent.
    Reset,
}

const FIN_SEEN: u8 = 1;
const PENDING: u8 = 1 << 1;

/// One side of a TCP connection (52 bytes, 4-byte aligned so that two pack tightly).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpEndpoint {
    /// One past the highest sequence number sent, relative to `start`, as two halves of an
    /// `i64` (see [`TcpEndpoint::last`]).
    last_lo: u32,
    last_hi: i32,
    /// Highest sequence number the peer acknowledged (raw). Acknowledgements stay within 2 GiB
    /// of the data they acknowledge, so its 64-bit relative value is recovered from `last`.
    ack: u32,
    /// Initial sequence number (or, midstream, one before the first sequence seen).
    start: u32,
    /// End of the data seen without holes (raw sequence number), for gap detection.
    contig: u32,
    /// One range of data seen beyond `contig` (raw), valid when `PENDING` is set.
    pend_start: u32,
    pend_end: u32,
    /// Relative sequence numbers of the last SYN, FIN and RST (truncated), for repeated letters.
    hist_syn: u32,
    hist_fin: u32,
    hist_rst: u32,
    /// Retransmissions seen.
    rxmt: u32,
    /// Zero windows advertised.
    win0: u16,
    /// Content gaps seen.
    gaps: u16,
    state: EpState,
    prev_state: EpState,
    bits: u8,
}

fn seq_delta(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl TcpEndpoint {
    fn set_state(&mut self, state: EpState) {
        if state != self.state {
            self.prev_state = self.state;
            self.state = state;
        }
    }

    fn fin_seen(&self) -> bool {
        self.bits & FIN_SEEN != 0
    }

    /// One past the highest sequence number sent, relative to `start`.
    fn last(&self) -> i64 {
        (i64::from(self.last_hi) << 32) | i64::from(self.last_lo)
    }

    fn set_last(&mut self, last: i64) {
        self.last_lo = last as u32;
        self.last_hi = (last >> 32) as i32;
    }

    /// The highest acknowledged sequence number, relative to `start`.
    fn ack_rel(&self) -> i64 {
        self.last() + seq_delta(self.ack, self.last_raw())
    }

    fn last_raw(&self) -> u32 {
        self.start.wrapping_add(self.last_lo)
    }

    /// `seq` relative to `start`, unwrapped around the highest sequence seen.
    pub(crate) fn rel(&self, seq: u32) -> i64 {
        self.last() + seq_delta(seq, self.last_raw())
    }

    fn init(&mut self, start: u32, last_rel: i64) {
        self.start = start;
        self.ack = start;
        self.set_last(last_rel);
        self.contig = start.wrapping_add(1);
        self.bits &= !PENDING;
    }

    /// Zeek's `TCP_Endpoint::Size()`.
    fn size(&self, peer: &TcpEndpoint) -> u64 {
        let ack = self.ack_rel();
        let no_data_acked = ack == 0 || ack == 1;
        let ahead = ack - self.last();
        let ack = if ahead > 0 && ahead <= ACK_HORIZON {
            ack
        } else {
            self.last()
        };
        if self.prev_state == EpState::SynSent
            && self.state == EpState::Reset
            && peer.state == EpState::Inactive
            && !no_data_acked
        {
            return 0;
        }
        // Neither the SYN's nor (when sent) the FIN's sequence number is data.
        let size = (ack.max(0) as u64).saturating_sub(1);
        if self.fin_seen() {
            size.saturating_sub(1)
        } else {
            size
        }
    }

    /// Records data `[seq, end)` as seen, for gap detection.
    fn saw_data(&mut self, seq: u32, end: u32) {
        if seq_delta(end, seq) <= 0 {
            return;
        }
        if seq_delta(seq, self.contig) <= 0 {
            if seq_delta(end, self.contig) > 0 {
                self.contig = end;
            }
            if self.bits & PENDING != 0 && seq_delta(self.pend_start, self.contig) <= 0 {
                if seq_delta(self.pend_end, self.contig) > 0 {
                    self.contig = self.pend_end;
                }
                self.bits &= !PENDING;
            }
        } else if self.bits & PENDING == 0 {
            self.pend_start = seq;
            self.pend_end = end;
            self.bits |= PENDING;
        } else if seq_delta(seq, self.pend_end) <= 0 && seq_delta(end, self.pend_start) >= 0 {
            if seq_delta(seq, self.pend_start) < 0 {
                self.pend_start = seq;
            }
            if seq_delta(end, self.pend_end) > 0 {
                self.pend_end = end;
            }
        } else if seq_delta(seq, self.pend_start) < 0 {
            self.pend_start = seq;
            self.pend_end = end;
        }
    }

    /// Zeek's reassembler `AckReceived`: the peer acknowledged up to `ack`; data never seen
    /// below it is a content gap. Returns true when a gap was found.
    fn acked(&mut self, ack: u32) -> bool {
        let mut ack = ack;
        if self.fin_seen() && seq_delta(ack, self.last_raw()) >= 0 {
            ack = self.last_raw().wrapping_sub(1);
        }
        let missing = seq_delta(ack, self.contig);
        if missing <= 0 {
            return false;
        }
        self.contig = ack;
        if self.bits & PENDING != 0 && seq_delta(self.pend_start, ack) <= 0 {
            if seq_delta(self.pend_end, ack) > 0 {
                self.contig = self.pend_end;
            }
            self.bits &= !PENDING;
        }
        true
    }
}

/// TCP flag helpers.
#[derive(Clone, Copy)]
struct Flags(u8);

impl Flags {
    fn syn(self) -> bool {
        self.0 & tcp_flags::SYN != 0
    }
    fn ack(self) -> bool {
        self.0 & tcp_flags::ACK != 0
    }
    fn fin(self) -> bool {
        self.0 & tcp_flags::FIN != 0
    }
    fn rst(self) -> bool {
        self.0 & tcp_flags::RST != 0
    }
}

/// What a packet did besides changing state, for the table's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TcpEffects {
    /// The segment carried data already seen (Zeek's `DidRxmit`).
    pub(crate) retransmission: bool,
}

/// Where a TCP flow stands, for its timeout class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpPhase {
    /// No side got past the handshake.
    Attempt,
    /// Established, midstream or half-closed.
    Open,
    /// Closed or reset: written after the linger time.
    Closed,
}

/// Both endpoints; index 0 is the client (Zeek's originator), 1 the server.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TcpConn {
    ep: [TcpEndpoint; 2],
}

impl TcpConn {
    /// One endpoint.
    pub(crate) fn endpoint(&self, side: usize) -> &TcpEndpoint {
        &self.ep[side & 1]
    }

    /// The offset, in `side`'s retained stream, up to which `ack` acknowledges its data (the
    /// FIN's sequence number is not data); `None` before that side sent anything.
    pub(crate) fn acked_data_end(&self, side: usize, ack: u32) -> Option<i64> {
        let ep = &self.ep[side & 1];
        if ep.state == EpState::Inactive {
            return None;
        }
        let mut rel = ep.rel(ack);
        if ep.fin_seen() && rel >= ep.last() {
            rel = ep.last() - 1;
        }
        Some(rel - 1)
    }

    /// Processes one segment from `side` (0 client, 1 server) with `len` payload bytes.
    pub(crate) fn packet(
        &mut self,
        side: usize,
        tcp: &TcpInfo,
        len: u32,
        log: &mut impl HistoryLog,
    ) -> TcpEffects {
        let side = side & 1;
        let f = Flags(tcp.flags);
        let [client, server] = &mut self.ep;
        let (ep, peer) = if side == 0 {
            (client, server)
        } else {
            (server, client)
        };
        let len_i = i64::from(len);
        let mut seg_len = len_i + i64::from(f.syn()) + i64::from(f.fin());
        if f.rst() {
            seg_len -= len_i;
        }
        let seq_end = tcp.seq.wrapping_add(seg_len as u32);

        init_endpoint(ep, f, tcp.seq, seg_len);
        let rel_seq = ep.rel(tcp.seq);
        update_history(f, side, ep, rel_seq, len_i, log);
        if tcp.window == 0
            && !f.rst()
            && peer.state != EpState::Closed
            && ep.state != EpState::Reset
        {
            ep.win0 = ep.win0.saturating_add(1);
            log.scaled(side, u64::from(ep.win0), b'W');
        }
        if f.fin() {
            ep.bits |= FIN_SEEN;
        }
        if f.ack() {
            if peer.state == EpState::Inactive {
                peer.init(tcp.ack.wrapping_sub(1), 0);
            } else if !f.rst() && peer.rel(tcp.ack) >= 0 {
                let delta = seq_delta(tcp.ack, peer.ack);
                let stale = seq_delta(peer.last_raw(), peer.ack) > ACK_HORIZON;
                if !(tcp.ack == 0 && delta > TOO_LARGE_SEQ_DELTA) && (delta > 0 || stale) {
                    peer.ack = tcp.ack;
                }
            }
        }
        let mut effects = TcpEffects::default();
        if update_last_seq(ep, seq_end, f, len_i) {
            ep.rxmt = ep.rxmt.saturating_add(1);
            log.scaled(side, u64::from(ep.rxmt), b'T');
            effects.retransmission = true;
        }
        update_state(ep, peer, len, side == 0, f);
        if len > 0 && !f.rst() {
            let data_seq = tcp.seq.wrapping_add(u32::from(f.syn()));
            ep.saw_data(data_seq, data_seq.wrapping_add(len));
        }
        if f.ack()
            && peer.state == EpState::Established
            && ep.state == EpState::Established
            && peer.acked(tcp.ack)
        {
            peer.gaps = peer.gaps.saturating_add(1);
            log.scaled(side ^ 1, u64::from(peer.gaps), b'G');
        }
        effects
    }

    /// The timeout class of the connection.
    pub(crate) fn phase(&self) -> TcpPhase {
        use EpState::*;
        let (o, r) = (self.ep[0].state, self.ep[1].state);
        let handshake = |s| matches!(s, Inactive | SynSent | SynAckSent);
        if o == Reset
            || r == Reset
            || (o == Closed && r == Closed)
            || (o == Closed && r == Inactive)
            || (r == Closed && o == Inactive)
        {
            TcpPhase::Closed
        } else if handshake(o) && handshake(r) {
            TcpPhase::Attempt
        } else {
            TcpPhase::Open
        }
    }

    /// Sequence-space bytes sent by `side` (Zeek's `orig_bytes`/`resp_bytes`).
    pub(crate) fn bytes(&self, side: usize) -> u64 {
        let side = side & 1;
        self.ep[side].size(&self.ep[side ^ 1])
    }

    /// Zeek's `conn_state` for TCP; `history` is the flow's history string.
    pub(crate) fn conn_state(&self, history: &str) -> ConnState {
        use EpState::*;
        let (os, rs) = (self.ep[0].state, self.ep[1].state);
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent)
                || (os == Reset && self.bytes(0) == 0 && self.bytes(1) == 0)
            {
                ConnState::REJ
            } else if o_inactive {
                ConnState::RSTRH
            } else {
                ConnState::RSTR
            }
        } else if os == Reset {
            if r_inactive {
                if syn_then_reset(history) {
                    ConnState::RSTOS0
                } else {
                    ConnState::OTH
                }
            } else {
                ConnState::RSTO
            }
        } else if rs == Closed && os == Closed {
            ConnState::SF
        } else if os == Closed {
            if r_inactive {
                ConnState::SH
            } else {
                ConnState::S2
            }
        } else if rs == Closed {
            if o_inactive {
                ConnState::SHR
            } else {
                ConnState::S3
            }
        } else if os == SynSent && rs == Inactive {
            ConnState::S0
        } else if os == Established && rs == Established {
            ConnState::S1
        } else {
            ConnState::OTH
        }
    }
}

/// Zeek's pattern `/\^?S[^HAFGIQ]*R.*/` on the history: a client SYN followed by a client RST
/// with no handshake, ACK, FIN, gap or odd flags from the client in between.
fn syn_then_reset(history: &str) -> bool {
    let h = history.strip_prefix('^').unwrap_or(history);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        match c {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}

/// Zeek's `init_endpoint`: (re)initialises sequence tracking when a side starts or restarts.
fn init_endpoint(ep: &mut TcpEndpoint, f: Flags, seq: u32, seg_len: i64) {
    match ep.state {
        EpState::Inactive => {
            if f.syn() {
                ep.init(seq, seg_len);
            } else {
                ep.init(seq.wrapping_sub(1), 1);
            }
        }
        EpState::SynSent | EpState::SynAckSent => {
            if f.syn() && seq != ep.start {
                ep.init(seq, seg_len);
            }
        }
        EpState::Established | EpState::Partial => {
            if f.syn() {
                ep.init(seq, seg_len);
            }
        }
        EpState::Reset => {
            if f.syn() && ep.prev_state == EpState::Inactive {
                ep.init(seq, seg_len);
            }
        }
        EpState::Closed => {}
    }
}

/// Zeek's `update_history`.
fn update_history(
    f: Flags,
    side: usize,
    ep: &mut TcpEndpoint,
    rel_seq: i64,
    len: i64,
    log: &mut impl HistoryLog,
) {
    let bits_set = u8::from(f.syn()) + u8::from(f.fin()) + u8::from(f.rst());
    if bits_set > 1 {
        if f.fin() && f.rst() {
            log.check(side, mask::FIN_RST, b'I');
        } else {
            log.check(side, mask::MULTI, b'Q');
        }
    } else if bits_set == 1 {
        if f.syn() {
            let code = if f.ack() { b'H' } else { b'S' };
            let at = rel_seq as u32;
            if log.check(side, mask::SYN, code) && at != ep.hist_syn {
                log.add(side, code);
            }
            ep.hist_syn = at;
        }
        if f.fin() {
            let at = (rel_seq + len) as u32;
            if log.check(side, mask::FIN, b'F') && at != ep.hist_fin {
                log.add(side, b'F');
            }
            ep.hist_fin = at;
        }
        if f.rst() {
            let at = rel_seq as u32;
            if log.check(side, mask::RST, b'R') && at != ep.hist_rst {
                log.add(side, b'R');
            }
            ep.hist_rst = at;
        }
    } else if len > 0 {
        log.check(side, mask::DATA, b'D');
    } else if f.ack() {
        log.check(side, mask::ACK, b'A');
    }
}

/// Zeek's `update_last_seq`; returns true for a retransmission.
fn update_last_seq(ep: &mut TcpEndpoint, seq_end: u32, f: Flags, len: i64) -> bool {
    let last_raw = ep.last_raw();
    let delta = seq_delta(seq_end, last_raw);
    if (f.syn() || f.rst()) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta) {
        false
    } else if f.fin() && ep.last() == 1 {
        ep.set_last(1 + i64::from(seq_end.wrapping_sub(last_raw)));
        false
    } else if ep.state == EpState::Reset {
        false
    } else if delta > 0 {
        ep.set_last(ep.last() + delta);
        false
    } else {
        len > 0
    }
}

/// Zeek's `UpdateStateMachine` and the per-state handlers it calls.
fn update_state(ep: &mut TcpEndpoint, peer: &mut TcpEndpoint, len: u32, is_orig: bool, f: Flags) {
    match ep.state {
        EpState::Inactive => update_inactive(ep, peer, len, is_orig, f),
        EpState::SynSent | EpState::SynAckSent => {
            if f.fin() {
                ep.set_state(EpState::Closed);
            }
            if f.rst() {
                ep.set_state(EpState::Reset);
            }
        }
        EpState::Established | EpState::Partial => {
            if f.syn()
                && ep.state == EpState::Partial
                && peer.state == EpState::Inactive
                && !f.ack()
            {
                ep.set_state(EpState::SynSent);
            }
            if f.fin() && !f.rst() {
                ep.set_state(EpState::Closed);
                if peer.state == EpState::Reset && peer.prev_state == EpState::Closed {
                    // The peer sent a FIN then a RST: normal termination after all.
                    peer.set_state(EpState::Closed);
                }
            }
            if f.rst() {
                ep.set_state(EpState::Reset);
            }
        }
        EpState::Closed => {
            if f.rst() && peer.state != EpState::Closed {
                ep.set_state(EpState::Reset);
            }
        }
        EpState::Reset => {}
    }
}

/// Zeek's `UpdateInactiveState`. A SYN from the server while the client is in SYN_ACK_SENT is
/// where Zeek detects a reversed handshake and flips the roles; here that cannot happen, because a
/// flow whose first packet is a SYN-ACK is already oriented with its receiver as the client, so
/// such a SYN is treated as Zeek treats a simultaneous open.
fn update_inactive(
    ep: &mut TcpEndpoint,
    peer: &mut TcpEndpoint,
    len: u32,
    is_orig: bool,
    f: Flags,
) {
    if f.syn() {
        if is_orig {
            ep.set_state(if f.ack() {
                EpState::SynAckSent
            } else {
                EpState::SynSent
            });
        } else {
            if peer.state == EpState::SynSent {
                peer.set_state(EpState::Established);
            }
            ep.set_state(EpState::Established);
        }
    }
    if f.fin() {
        ep.set_state(EpState::Closed);
    }
    if f.rst() {
        ep.set_state(EpState::Reset);
    }
    if ep.state == EpState::Inactive {
        if !is_orig && len == 0 && peer.state == EpState::SynSent {
            // Some stacks ACK a SYN before answering it: not a partial connection.
        } else if f.ack() && peer.state == EpState::Established {
            // The SYN was missed but the SYN-ACK was seen: established after all.
            ep.set_state(EpState::Established);
        } else {
            ep.set_state(EpState::Partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rstos0_pattern() {
        assert!(syn_then_reset("SR"));
        assert!(syn_then_reset("^SdR"));
        assert!(syn_then_reset("SsR"));
        assert!(
            syn_then_reset("ShR"),
            "the pattern only excludes originator letters"
        );
        assert!(!syn_then_reset("SHR"));
        assert!(!syn_then_reset("SAR"));
        assert!(!syn_then_reset("R"));
        assert!(!syn_then_reset("DSR"));
    }

    #[test]
    fn sequence_deltas_wrap() {
        assert_eq!(seq_delta(5, u32::MAX), 6);
        assert_eq!(seq_delta(u32::MAX, 5), -6);
    }

    #[test]
    fn last_holds_64_bits() {
        let mut ep = TcpEndpoint::default();
        for v in [
            0i64,
            1,
            -1,
            5_000_000_000,
            -5_000_000_000,
            i64::from(u32::MAX) + 7,
        ] {
            ep.set_last(v);
            assert_eq!(ep.last(), v);
        }
    }

    /// More than 4 GiB sent: sizes count past the 32-bit wrap.
    #[test]
    fn bytes_past_four_gib() {
        struct Nop;
        impl HistoryLog for Nop {
            fn add(&mut self, _: usize, _: u8) {}
            fn check(&mut self, _: usize, _: u16, _: u8) -> bool {
                true
            }
        }
        let mut conn = TcpConn::default();
        let seg = |seq: u32, ack: u32, flags: u8| TcpInfo {
            seq,
            ack,
            flags,
            window: 1000,
        };
        let isn = u32::MAX - 10;
        conn.packet(0, &seg(isn, 0, tcp_flags::SYN), 0, &mut Nop);
        conn.packet(
            1,
            &seg(7, isn.wrapping_add(1), tcp_flags::SYN | tcp_flags::ACK),
            0,
            &mut Nop,
        );
        let mut seq = isn.wrapping_add(1);
        let chunk = 1_000_000_000u32;
        for _ in 0..5 {
            conn.packet(0, &seg(seq, 8, tcp_flags::ACK), chunk, &mut Nop);
            seq = seq.wrapping_add(chunk);
            conn.packet(1, &seg(8, seq, tcp_flags::ACK), 0, &mut Nop);
        }
        assert_eq!(conn.bytes(0), 5 * u64::from(chunk));
        assert_eq!(conn.bytes(1), 0);
        // Three more gigabytes that nobody acknowledges (a one-way capture from here on).
        for _ in 0..3 {
            conn.packet(0, &seg(seq, 8, tcp_flags::ACK), chunk, &mut Nop);
            seq = seq.wrapping_add(chunk);
        }
        assert_eq!(conn.bytes(0), 8 * u64::from(chunk));
    }
}
