//! The discrete-event simulator: planned sessions become flows, each flow a small state machine
//! that emits one packet per event; a time-ordered queue interleaves the packets of all open
//! flows, as a capture point sees them, and streams them to a [`FrameSink`].
//!
//! TCP: a real three-way handshake (MSS, SACK-permitted and window-scale options), each
//! message cut at the MSS with an ACK every second segment (none when the response
//! piggybacks it), optional retransmissions and swapped segments, and the planned end (FIN
//! exchange, RST, left open, refused, unanswered). UDP: one datagram per message, IPv4 fragments
//! when it exceeds the path MTU. ICMP: echo requests and replies.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::IpAddr;

use segscope_core::flow::{ConnState, DirStats, Endpoint};
use segscope_core::{Timestamp, Transport};

use crate::app::{AppSession, Message, Side};
use crate::capture::FrameSink;
use crate::packet::{
    Encap, FrameSpec, IpHdr, L2, L4, Mac, build_fragments, build_frame, build_ip_packet, tcp_flags,
};
use crate::rng::Rng;
use crate::scenario::{IcmpReject, Impairments, PlannedSession, Reporter, SessionSource, TcpEnd};
use crate::topology::{DirPath, FlowPath, Network};
use crate::truth::{TruthFlow, TruthIcmpError};

/// Lowest ephemeral port (Linux default range 32768–60999).
const EPHEMERAL_LO: u16 = 32768;
/// Highest ephemeral port.
const EPHEMERAL_HI: u16 = 60999;
/// Segments acknowledged one by one at the start of a connection (quick-ack mode).
const QUICKACK_SEGMENTS: u32 = 16;
/// Delayed-ACK timer: a reply later than this is preceded by a pure ACK.
const DELAYED_ACK_NS: i64 = 40_000_000;
/// Initial retransmission timeout seen before a segment is sent again.
const RTO_NS: i64 = 200_000_000;

/// Figures of a finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames written.
    pub frames: u64,
    /// Sum of frame lengths.
    pub frame_bytes: u64,
    /// Bytes of the capture file.
    pub file_bytes: u64,
    /// Flows with at least one frame.
    pub flows: u64,
    /// TCP flows.
    pub tcp_flows: u64,
    /// UDP flows.
    pub udp_flows: u64,
    /// ICMP/ICMPv6 flows.
    pub icmp_flows: u64,
    /// Flows over IPv6.
    pub v6_flows: u64,
    /// Flows carrying VLAN tags.
    pub vlan_flows: u64,
    /// Flows with a QinQ stack.
    pub qinq_flows: u64,
    /// Flows inside VXLAN or GRE.
    pub tunnel_flows: u64,
    /// Frames of IPv6 flows.
    pub v6_frames: u64,
    /// Frames of VLAN-tagged flows.
    pub vlan_frames: u64,
    /// Frames of tunnelled flows.
    pub tunnel_frames: u64,
    /// IP fragments (all pieces of fragmented datagrams).
    pub fragment_frames: u64,
    /// Simulated time from the first to the last frame.
    pub duration_ns: i64,
    /// Planned sessions that could not be played: a host without an address of the requested
    /// family, or a UDP/ICMP application with nothing to send.
    pub sessions_skipped: u64,
    /// ICMP destination-unreachable errors sent in answer to attempts.
    pub icmp_errors: u64,
}

/// Which flags each side has sent, to derive the Zeek state of what was written.
#[derive(Clone, Copy, Debug, Default)]
struct FlagsSeen {
    syn: bool,
    synack: bool,
    fin: [bool; 2],
    rst: [bool; 2],
}

fn idx(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl FlagsSeen {
    fn note(&mut self, side: Side, flags: u8) {
        let i = idx(side);
        if flags & tcp_flags::SYN != 0 {
            if side == Side::Client {
                self.syn = true;
            } else {
                self.synack = true;
            }
        }
        if flags & tcp_flags::FIN != 0 {
            self.fin[i] = true;
        }
        if flags & tcp_flags::RST != 0 {
            self.rst[i] = true;
        }
    }

    fn tcp_state(&self) -> ConnState {
        if !self.synack {
            return if self.rst[1] {
                ConnState::REJ
            } else if self.rst[0] {
                ConnState::RSTOS0
            } else if self.fin[0] {
                ConnState::SH
            } else {
                ConnState::S0
            };
        }
        if self.rst[0] {
            ConnState::RSTO
        } else if self.rst[1] {
            ConnState::RSTR
        } else {
            match (self.fin[0], self.fin[1]) {
                (true, true) => ConnState::SF,
                (true, false) => ConnState::S2,
                (false, true) => ConnState::S3,
                (false, false) => ConnState::S1,
            }
        }
    }
}

/// Per-flow facts the wire needs and the truth it accumulates.
struct FlowMeta {
    path: FlowPath,
    truth: TruthFlow,
    flags: FlagsSeen,
    v6: bool,
}

impl FlowMeta {
    fn dir(&mut self, side: Side) -> &mut DirPath {
        match side {
            Side::Client => &mut self.path.c2s,
            Side::Server => &mut self.path.s2c,
        }
    }

    fn stats(&mut self, side: Side) -> &mut DirStats {
        match side {
            Side::Client => &mut self.truth.client_stats,
            Side::Server => &mut self.truth.server_stats,
        }
    }
}

/// The sink and what has been written to it.
struct Out<S: FrameSink> {
    sink: S,
    budget: u64,
    stopped: bool,
    error: Option<io::Error>,
    stats: Stats,
    first_ns: Option<i64>,
    last_ns: i64,
}

impl<S: FrameSink> Out<S> {
    /// True when `frames` fit in the budget; otherwise stops the run.
    fn fits<'a>(&mut self, frames: impl Iterator<Item = &'a [u8]>) -> bool {
        let cost: u64 = frames.map(|f| self.sink.cost(f.len())).sum();
        if self.sink.written() + cost > self.budget {
            self.stopped = true;
        }
        !self.stopped
    }

    fn write(&mut self, ts: Timestamp, frame: &[u8]) -> bool {
        if let Err(e) = self.sink.write_frame(ts, frame) {
            self.error = Some(e);
            self.stopped = true;
            return false;
        }
        self.stats.frames += 1;
        self.stats.frame_bytes += frame.len() as u64;
        self.first_ns.get_or_insert(ts.0);
        self.last_ns = ts.0;
        true
    }
}

/// Builds frames and writes them within the byte budget.
struct Wire<S: FrameSink> {
    out: Out<S>,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    frags: Vec<Vec<u8>>,
}

impl<S: FrameSink> Wire<S> {
    /// Sends one packet of `meta`'s flow from `side`; `new_bytes` of its payload are new
    /// application bytes (zero for retransmissions). Returns false when the budget is spent.
    fn send(
        &mut self,
        ts: Timestamp,
        meta: &mut FlowMeta,
        side: Side,
        l4: &L4<'_>,
        payload: &[u8],
        new_bytes: u64,
    ) -> bool {
        if self.out.stopped {
            return false;
        }
        let mtu = meta.path.mtu;
        let dir = *meta.dir(side);
        let spec = FrameSpec {
            l2: &dir.l2,
            encap: &dir.encap,
            ip: &dir.ip,
            l4,
        };
        let is_udp = matches!(l4, L4::Udp { .. });
        let pieces;
        let ip_len;
        if is_udp && !meta.v6 && matches!(dir.encap, Encap::None) && 28 + payload.len() > mtu {
            let mut frames = std::mem::take(&mut self.frags);
            frames.clear();
            let mut ip = dir.ip;
            ip.df = false;
            let spec = FrameSpec { ip: &ip, ..spec };
            pieces = build_fragments(&mut self.buf, &mut self.scratch, &spec, payload, mtu, |f| {
                frames.push(f.to_vec())
            });
            self.frags = frames;
            if !self.out.fits(self.frags.iter().map(Vec::as_slice)) {
                return false;
            }
            for f in &self.frags {
                if !self.out.write(ts, f) {
                    return false;
                }
            }
            self.out.stats.fragment_frames += pieces as u64;
            ip_len = 28 + payload.len();
        } else {
            ip_len = build_frame(&mut self.buf, &spec, payload);
            pieces = 1;
            if !self.out.fits(std::iter::once(self.buf.as_slice()))
                || !self.out.write(ts, &self.buf)
            {
                return false;
            }
        }
        let d = meta.dir(side);
        d.ip.id = d.ip.id.wrapping_add(1);
        match &mut d.encap {
            Encap::None => {}
            Encap::Vxlan { outer_ip, .. } | Encap::Gre { outer_ip, .. } => {
                outer_ip.id = outer_ip.id.wrapping_add(1);
            }
        }
        if meta.truth.first_frame == 0 {
            meta.truth.first_frame = self.out.stats.frames + 1 - pieces as u64;
            meta.truth.first_ts = ts;
        }
        meta.truth.last_ts = ts;
        meta.truth.fragments += pieces as u64 - 1;
        if let L4::Tcp { flags, .. } = l4 {
            meta.flags.note(side, *flags);
        }
        let st = meta.stats(side);
        st.packets += 1;
        st.bytes += new_bytes;
        st.ip_bytes += ip_len as u64;
        let st = &mut self.out.stats;
        if meta.v6 {
            st.v6_frames += pieces as u64;
        }
        if meta.path.tags.outer().is_some() {
            st.vlan_frames += pieces as u64;
        }
        if meta.path.tunnel.is_some() {
            st.tunnel_frames += pieces as u64;
        }
        true
    }
}

/// Largest quote of the offending packet in an ICMPv4 error (RFC 1812: the error fits in 576
/// bytes).
const ICMP4_QUOTE_MAX: usize = 576 - 20 - 8;
/// Largest quote in an ICMPv6 error (RFC 4443: the error fits in the minimum MTU, 1280).
const ICMP6_QUOTE_MAX: usize = 1280 - 40 - 8;

/// Who answers a flow's first packet with an ICMP error, and how.
#[derive(Clone, Copy, Debug)]
struct RejectPlan {
    icmp_type: u8,
    icmp_code: u8,
    reporter: IpAddr,
    reporter_mac: Mac,
    ttl: u8,
}

impl RejectPlan {
    fn new(reject: IcmpReject, net: &Network, client: usize, path: &FlowPath, v6: bool) -> Self {
        let (icmp_type, icmp_code) = reject.reason.type_code(v6);
        let subnet = net
            .hosts
            .get(client)
            .and_then(|h| net.subnets.get(h.subnet));
        let gateway_mac = subnet.map_or(path.s2c.l2.src, |n| n.gateway_mac);
        let gateway = match (subnet, v6) {
            (Some(n), false) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(n.v4_net) + 1)),
            (Some(n), true) => match n.v6_net {
                Some(p) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(p) + 1)),
                None => path.s2c.ip.src,
            },
            (None, _) => path.s2c.ip.src,
        };
        let (reporter, reporter_mac, ttl) = match reject.from {
            Reporter::Gateway => (gateway, gateway_mac, 64),
            Reporter::Router(ip) => (ip, gateway_mac, 63),
            Reporter::Server => (path.s2c.ip.src, path.s2c.l2.src, path.s2c.ip.ttl),
        };
        RejectPlan {
            icmp_type,
            icmp_code,
            reporter,
            reporter_mac,
            ttl,
        }
    }
}

/// The IP packet `l4` + `payload` of the client's direction as it goes out now (before its IP
/// id advances), truncated to what an ICMP error quotes.
fn quote_of(meta: &FlowMeta, l4: &L4<'_>, payload: &[u8], out: &mut Vec<u8>) {
    build_ip_packet(out, &meta.path.c2s.ip, l4, payload);
    out.truncate(if meta.v6 {
        ICMP6_QUOTE_MAX
    } else {
        ICMP4_QUOTE_MAX
    });
}

impl<S: FrameSink> Wire<S> {
    /// Sends the ICMP error `plan` describes, quoting `quote`, to the flow's client, and
    /// records it in the flow's truth.
    fn send_icmp_error(
        &mut self,
        ts: Timestamp,
        meta: &mut FlowMeta,
        plan: &RejectPlan,
        quote: &[u8],
        ip_id: u16,
    ) -> bool {
        if self.out.stopped {
            return false;
        }
        let l2 = L2 {
            src: plan.reporter_mac,
            dst: meta.path.c2s.l2.src,
            tags: meta.path.s2c.l2.tags,
        };
        let ip = IpHdr {
            src: plan.reporter,
            dst: meta.path.c2s.ip.src,
            ttl: plan.ttl,
            id: ip_id,
            df: false,
        };
        let l4 = L4::Icmp {
            icmp_type: plan.icmp_type,
            code: plan.icmp_code,
            ident: 0,
            seq: 0,
        };
        let spec = FrameSpec {
            l2: &l2,
            encap: &meta.path.s2c.encap,
            ip: &ip,
            l4: &l4,
        };
        build_frame(&mut self.buf, &spec, quote);
        if !self.out.fits(std::iter::once(self.buf.as_slice())) || !self.out.write(ts, &self.buf) {
            return false;
        }
        meta.truth.icmp_error = Some(TruthIcmpError {
            frame: self.out.stats.frames,
            ts,
            reporter: plan.reporter,
            icmp_type: plan.icmp_type,
            icmp_code: plan.icmp_code,
        });
        let st = &mut self.out.stats;
        st.icmp_errors += 1;
        if meta.v6 {
            st.v6_frames += 1;
        }
        if meta.path.tags.outer().is_some() {
            st.vlan_frames += 1;
        }
        if meta.path.tunnel.is_some() {
            st.tunnel_frames += 1;
        }
        true
    }
}

/// Phases of a TCP connection; each emits one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Syn,
    RejectRst,
    SynAck,
    HandshakeAck,
    Data,
    HeldBack { off: u64, len: u64, resume: u64 },
    Retransmit { off: u64, len: u64 },
    Ack,
    FinFirst,
    FinSecond,
    FinalAck,
    Reset(Side),
    IcmpError,
}

/// One TCP segment to send: who, flags, sequence number, options, and how many of its payload
/// bytes are new.
struct Seg<'a> {
    side: Side,
    flags: u8,
    seq: u32,
    options: &'a [u8],
    new_bytes: u64,
}

impl Seg<'_> {
    fn bare(side: Side, flags: u8, seq: u32) -> Seg<'static> {
        Seg {
            side,
            flags,
            seq,
            options: &[],
            new_bytes: 0,
        }
    }
}

struct Tcp {
    end: TcpEnd,
    imp: Impairments,
    mss: u64,
    iss: [u32; 2],
    /// Stream bytes sent per side (the next sequence offset).
    stream: [u64; 2],
    phase: Phase,
    msg: Option<Message>,
    msg_base: u64,
    off: u64,
    unacked: u32,
    /// Data segments sent per side, for quick-ack mode.
    segments: [u32; 2],
    pending: Option<Message>,
    last_from: Side,
    syn_tries: u8,
    rtt: i64,
    ports: (u16, u16),
    /// The ICMP error answering the SYN, for [`TcpEnd::IcmpUnreachable`].
    reject: Option<RejectPlan>,
    /// What that error quotes: the SYN.
    quote: Vec<u8>,
}

/// SYN options: MSS, NOP, NOP, SACK permitted, NOP, window scale 7.
fn syn_options(mss: u16) -> [u8; 12] {
    let m = mss.to_be_bytes();
    [2, 4, m[0], m[1], 1, 1, 4, 2, 1, 3, 3, 7]
}

enum Kind {
    Tcp(Box<Tcp>),
    Dgram(Dgram),
}

struct Dgram {
    /// `Some(ident)` for ICMP echo.
    icmp_ident: Option<u16>,
    icmp_seq: u16,
    ports: (u16, u16),
    next: Option<Message>,
    rtt: i64,
    /// The server's datagrams are dropped before the capture point sees them.
    server_silent: bool,
    /// The ICMP error answering the first datagram.
    reject: Option<RejectPlan>,
    /// The quote of the first datagram, once sent, until the error goes out.
    error_due: Option<Vec<u8>>,
}

struct Flow {
    meta: FlowMeta,
    app: Box<dyn AppSession>,
    kind: Kind,
}

/// Scratch space and shared state a flow step uses.
struct Ctx<'a, S: FrameSink> {
    wire: &'a mut Wire<S>,
    rng: &'a mut Rng,
    payload: &'a mut Vec<u8>,
}

impl Tcp {
    fn pos_seq(&self, side: Side, pos: u64) -> u32 {
        self.iss[idx(side)].wrapping_add(1).wrapping_add(pos as u32)
    }

    /// The acknowledgement `side` sends: everything the peer has sent (FIN included).
    fn ack_of(&self, side: Side, meta: &FlowMeta) -> u32 {
        let peer = side.peer();
        let fin = u32::from(meta.flags.fin[idx(peer)]);
        self.pos_seq(peer, self.stream[idx(peer)]).wrapping_add(fin)
    }

    fn segment<S: FrameSink>(
        &mut self,
        now: Timestamp,
        meta: &mut FlowMeta,
        cx: &mut Ctx<'_, S>,
        seg: Seg<'_>,
    ) -> bool {
        let Seg {
            side,
            flags,
            seq,
            options,
            new_bytes,
        } = seg;
        let (sport, dport) = match side {
            Side::Client => self.ports,
            Side::Server => (self.ports.1, self.ports.0),
        };
        let window = if flags & tcp_flags::SYN != 0 {
            if side == Side::Client { 64240 } else { 65160 }
        } else {
            502
        };
        let l4 = L4::Tcp {
            sport,
            dport,
            seq,
            ack: self.ack_of(side, meta),
            flags,
            window,
            options,
        };
        cx.wire.send(now, meta, side, &l4, cx.payload, new_bytes)
    }

    fn control<S: FrameSink>(
        &mut self,
        now: Timestamp,
        meta: &mut FlowMeta,
        cx: &mut Ctx<'_, S>,
        side: Side,
        flags: u8,
    ) -> bool {
        cx.payload.clear();
        let seq = self.pos_seq(side, self.stream[idx(side)]);
        self.segment(now, meta, cx, Seg::bare(side, flags, seq))
    }

    /// Sends bytes `off..off+len` of the current message.
    fn data<S: FrameSink>(
        &mut self,
        now: Timestamp,
        meta: &mut FlowMeta,
        cx: &mut Ctx<'_, S>,
        off: u64,
        len: u64,
        new: bool,
    ) -> bool {
        let Some(msg) = &self.msg else {
            return false;
        };
        let side = msg.from;
        msg.body.copy_range(off, len as usize, cx.payload);
        let last = off + len >= msg.body.len();
        let flags = tcp_flags::ACK | if last { tcp_flags::PSH } else { 0 };
        let seq = self.pos_seq(side, self.msg_base + off);
        let new_bytes = if new { len } else { 0 };
        self.segment(
            now,
            meta,
            cx,
            Seg {
                side,
                flags,
                seq,
                options: &[],
                new_bytes,
            },
        )
    }

    fn gap(&self, len: u64, rng: &mut Rng) -> i64 {
        // Serialisation at 1 Gbit/s plus a little host jitter.
        (len as i64 + 54) * 8 + rng.below(4000) as i64
    }

    /// Starts the next message (or the close) and returns when its first packet goes out.
    fn begin_next<S: FrameSink>(
        &mut self,
        now: i64,
        app: &mut dyn AppSession,
        cx: &mut Ctx<'_, S>,
    ) -> Option<i64> {
        if let Some(m) = &self.msg {
            self.stream[idx(m.from)] = self.msg_base + m.body.len();
            self.last_from = m.from;
        }
        self.msg = None;
        let next = self.pending.take().or_else(|| app.next_message(cx.rng));
        match next {
            Some(m) if !m.body.is_empty() => {
                let turn = if m.from != self.last_from {
                    self.rtt / 2
                } else {
                    0
                };
                let at = now + m.delay.0.max(0) + turn + 1000;
                self.msg_base = self.stream[idx(m.from)];
                self.off = 0;
                self.msg = Some(m);
                self.phase = Phase::Data;
                Some(at)
            }
            Some(_) => self.begin_next(now, app, cx),
            None => {
                let at = now + self.rtt / 2 + cx.rng.below(2_000_000) as i64;
                self.phase = match self.end {
                    TcpEnd::Fin { .. } => Phase::FinFirst,
                    TcpEnd::ClientReset => Phase::Reset(Side::Client),
                    TcpEnd::ServerReset => Phase::Reset(Side::Server),
                    _ => return None,
                };
                Some(at)
            }
        }
    }

    /// After a data segment: next segment, an ACK, or the next message.
    fn after_segment<S: FrameSink>(
        &mut self,
        now: i64,
        app: &mut dyn AppSession,
        cx: &mut Ctx<'_, S>,
        len: u64,
    ) -> Option<i64> {
        let Some(msg) = &self.msg else {
            return self.begin_next(now, app, cx);
        };
        let from = msg.from;
        if self.off >= msg.body.len() {
            self.pending = app.next_message(cx.rng);
            let piggyback =
                matches!(&self.pending, Some(p) if p.from != from && p.delay.0 < DELAYED_ACK_NS);
            if self.unacked > 0 && !piggyback {
                self.phase = Phase::Ack;
                return Some(now + self.rtt / 2 + 20_000);
            }
            return self.begin_next(now, app, cx);
        }
        // Linux acknowledges every segment in quick-ack mode (the first segments of a
        // connection), then every second one.
        let ack_every = if self.segments[idx(from)] < QUICKACK_SEGMENTS {
            1
        } else {
            2
        };
        if self.unacked >= ack_every {
            self.phase = Phase::Ack;
            return Some(now + 20_000 + cx.rng.below(20_000) as i64);
        }
        self.phase = Phase::Data;
        Some(now + self.gap(len, cx.rng))
    }

    fn step<S: FrameSink>(
        &mut self,
        now: i64,
        meta: &mut FlowMeta,
        app: &mut dyn AppSession,
        cx: &mut Ctx<'_, S>,
    ) -> Option<i64> {
        let ts = Timestamp(now);
        match self.phase {
            Phase::Syn => {
                cx.payload.clear();
                let opts = syn_options(meta.path.mss);
                let seq = self.iss[0];
                let syn = Seg {
                    side: Side::Client,
                    flags: tcp_flags::SYN,
                    seq,
                    options: &opts,
                    new_bytes: 0,
                };
                if self.reject.is_some() {
                    let l4 = L4::Tcp {
                        sport: self.ports.0,
                        dport: self.ports.1,
                        seq,
                        ack: 0,
                        flags: tcp_flags::SYN,
                        window: 64240,
                        options: &opts,
                    };
                    quote_of(meta, &l4, &[], &mut self.quote);
                }
                if !self.segment(ts, meta, cx, syn) {
                    return None;
                }
                self.syn_tries += 1;
                match self.end {
                    TcpEnd::IcmpUnreachable(_) => {
                        self.phase = Phase::IcmpError;
                        Some(now + self.rtt / 4 + cx.rng.below(50_000) as i64)
                    }
                    TcpEnd::Unanswered { syn_retries } => {
                        if self.syn_tries > syn_retries {
                            return None;
                        }
                        Some(now + (1_000_000_000i64 << (self.syn_tries - 1).min(6)))
                    }
                    TcpEnd::Refused => {
                        self.phase = Phase::RejectRst;
                        Some(now + self.rtt)
                    }
                    _ => {
                        self.phase = Phase::SynAck;
                        Some(now + self.rtt)
                    }
                }
            }
            Phase::RejectRst => {
                cx.payload.clear();
                // RST-ACK with sequence zero, acknowledging the SYN.
                let rst = Seg::bare(Side::Server, tcp_flags::RST | tcp_flags::ACK, 0);
                self.segment(ts, meta, cx, rst);
                None
            }
            Phase::SynAck => {
                cx.payload.clear();
                let opts = syn_options(meta.path.mss);
                let seq = self.iss[1];
                // The SYN occupies one sequence number: acknowledge iss + 1.
                let flags = tcp_flags::SYN | tcp_flags::ACK;
                let (sport, dport) = (self.ports.1, self.ports.0);
                let l4 = L4::Tcp {
                    sport,
                    dport,
                    seq,
                    ack: self.iss[0].wrapping_add(1),
                    flags,
                    window: 65160,
                    options: &opts,
                };
                if !cx.wire.send(ts, meta, Side::Server, &l4, cx.payload, 0) {
                    return None;
                }
                if self.end == (TcpEnd::HandshakeOnly { final_ack: false }) {
                    return None;
                }
                self.phase = Phase::HandshakeAck;
                Some(now + 30_000 + cx.rng.below(100_000) as i64)
            }
            Phase::HandshakeAck => {
                if !self.control(ts, meta, cx, Side::Client, tcp_flags::ACK) {
                    return None;
                }
                if let TcpEnd::HandshakeOnly { .. } = self.end {
                    return None;
                }
                self.last_from = Side::Client;
                self.begin_next(now, app, cx)
            }
            Phase::Data => {
                let (len, from) = match &self.msg {
                    Some(m) => (m.body.len(), m.from),
                    None => return self.begin_next(now, app, cx),
                };
                let remaining = len - self.off;
                let seg = remaining.min(self.mss);
                if remaining > seg && cx.rng.chance(self.imp.reorder) {
                    let seg2 = (remaining - seg).min(self.mss);
                    if !self.data(ts, meta, cx, self.off + seg, seg2, true) {
                        return None;
                    }
                    meta.truth.reordered += 1;
                    self.phase = Phase::HeldBack {
                        off: self.off,
                        len: seg,
                        resume: self.off + seg + seg2,
                    };
                    return Some(now + self.gap(seg2, cx.rng));
                }
                if !self.data(ts, meta, cx, self.off, seg, true) {
                    return None;
                }
                self.off += seg;
                self.unacked += 1;
                self.segments[idx(from)] += 1;
                self.last_from = from;
                if cx.rng.chance(self.imp.retransmit) {
                    self.phase = Phase::Retransmit {
                        off: self.off - seg,
                        len: seg,
                    };
                    return Some(now + RTO_NS + self.rtt);
                }
                self.after_segment(now, app, cx, seg)
            }
            Phase::HeldBack { off, len, resume } => {
                if !self.data(ts, meta, cx, off, len, true) {
                    return None;
                }
                self.off = resume;
                self.unacked += 2;
                if let Some(m) = &self.msg {
                    self.segments[idx(m.from)] += 2;
                }
                self.after_segment(now, app, cx, len)
            }
            Phase::Retransmit { off, len } => {
                if !self.data(ts, meta, cx, off, len, false) {
                    return None;
                }
                meta.truth.retransmissions += 1;
                self.after_segment(now, app, cx, len)
            }
            Phase::Ack => {
                let receiver = match &self.msg {
                    Some(m) => m.from.peer(),
                    None => self.last_from.peer(),
                };
                // The sender's bytes so far count as received: advance its stream first.
                if let Some(m) = &self.msg {
                    self.stream[idx(m.from)] = self.msg_base + self.off;
                }
                if !self.control(ts, meta, cx, receiver, tcp_flags::ACK) {
                    return None;
                }
                self.unacked = 0;
                let done = self.msg.as_ref().is_none_or(|m| self.off >= m.body.len());
                if done {
                    return self.begin_next(now, app, cx);
                }
                self.phase = Phase::Data;
                Some(now + self.gap(0, cx.rng))
            }
            Phase::FinFirst => {
                let closer = self.closer();
                if !self.control(ts, meta, cx, closer, tcp_flags::FIN | tcp_flags::ACK) {
                    return None;
                }
                self.phase = Phase::FinSecond;
                Some(now + self.rtt / 2 + cx.rng.below(200_000) as i64)
            }
            Phase::FinSecond => {
                let other = self.closer().peer();
                if !self.control(ts, meta, cx, other, tcp_flags::FIN | tcp_flags::ACK) {
                    return None;
                }
                self.phase = Phase::FinalAck;
                Some(now + self.rtt / 2 + 10_000)
            }
            Phase::FinalAck => {
                let closer = self.closer();
                // The closer's own FIN advanced its sequence by one.
                cx.payload.clear();
                let seq = self
                    .pos_seq(closer, self.stream[idx(closer)])
                    .wrapping_add(1);
                self.segment(ts, meta, cx, Seg::bare(closer, tcp_flags::ACK, seq));
                None
            }
            Phase::Reset(side) => {
                self.control(ts, meta, cx, side, tcp_flags::RST | tcp_flags::ACK);
                None
            }
            Phase::IcmpError => {
                if let Some(plan) = &self.reject {
                    let id = cx.rng.next_u16();
                    cx.wire.send_icmp_error(ts, meta, plan, &self.quote, id);
                }
                None
            }
        }
    }

    fn closer(&self) -> Side {
        match self.end {
            TcpEnd::Fin { server_first: true } => Side::Server,
            _ => Side::Client,
        }
    }
}

impl Dgram {
    fn step<S: FrameSink>(
        &mut self,
        now: i64,
        meta: &mut FlowMeta,
        app: &mut dyn AppSession,
        cx: &mut Ctx<'_, S>,
    ) -> Option<i64> {
        if let (Some(quote), Some(plan)) = (self.error_due.take(), &self.reject) {
            let id = cx.rng.next_u16();
            cx.wire
                .send_icmp_error(Timestamp(now), meta, plan, &quote, id);
            return None;
        }
        let msg = self.next.take()?;
        msg.body.copy_range(0, msg.body.len() as usize, cx.payload);
        let l4 = match (self.icmp_ident, msg.from) {
            (Some(ident), side) => {
                if side == Side::Client {
                    self.icmp_seq = self.icmp_seq.wrapping_add(1);
                }
                let icmp_type = match (meta.v6, side) {
                    (false, Side::Client) => 8,
                    (false, Side::Server) => 0,
                    (true, Side::Client) => 128,
                    (true, Side::Server) => 129,
                };
                L4::Icmp {
                    icmp_type,
                    code: 0,
                    ident,
                    seq: self.icmp_seq,
                }
            }
            (None, Side::Client) => L4::Udp {
                sport: self.ports.0,
                dport: self.ports.1,
            },
            (None, Side::Server) => L4::Udp {
                sport: self.ports.1,
                dport: self.ports.0,
            },
        };
        let new = cx.payload.len() as u64;
        let quote_first = self.reject.is_some() && meta.truth.first_frame == 0;
        if quote_first {
            let mut quote = Vec::new();
            quote_of(meta, &l4, cx.payload, &mut quote);
            self.error_due = Some(quote);
        }
        if !cx
            .wire
            .send(Timestamp(now), meta, msg.from, &l4, cx.payload, new)
        {
            return None;
        }
        if quote_first {
            return Some(now + self.rtt / 4 + cx.rng.below(50_000) as i64);
        }
        let mut next = app.next_message(cx.rng)?;
        while self.server_silent && next.from == Side::Server {
            next = app.next_message(cx.rng)?;
        }
        let turn = if next.from != msg.from {
            self.rtt / 2
        } else {
            0
        };
        let at = now + next.delay.0.max(0) + turn + 1000;
        self.next = Some(next);
        Some(at)
    }
}

/// Runs sessions through the event queue into a sink.
pub struct Simulator<'n, S: FrameSink> {
    net: &'n Network,
    start: Timestamp,
    rng: Rng,
    wire: Wire<S>,
    queue: BinaryHeap<Reverse<(i64, u64, usize)>>,
    slots: Vec<Option<Flow>>,
    free: Vec<usize>,
    seq: u64,
    ports: Vec<u16>,
    keep_truth: bool,
    truth: Vec<TruthFlow>,
    payload: Vec<u8>,
}

impl<'n, S: FrameSink> Simulator<'n, S> {
    /// A simulator over `net` whose capture starts at `start`; stops before a frame would take
    /// the sink past `byte_budget`; keeps the ground truth when `keep_truth`.
    pub fn new(
        net: &'n Network,
        start: Timestamp,
        seed: u64,
        sink: S,
        byte_budget: Option<u64>,
        keep_truth: bool,
    ) -> Simulator<'n, S> {
        Simulator {
            net,
            start,
            rng: Rng::new(seed),
            wire: Wire {
                out: Out {
                    sink,
                    budget: byte_budget.unwrap_or(u64::MAX),
                    stopped: false,
                    error: None,
                    stats: Stats::default(),
                    first_ns: None,
                    last_ns: 0,
                },
                buf: Vec::with_capacity(2048),
                scratch: Vec::new(),
                frags: Vec::new(),
            },
            queue: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
            ports: vec![0; net.hosts.len()],
            keep_truth,
            truth: Vec::new(),
            payload: Vec::with_capacity(2048),
        }
    }

    fn ephemeral_port(&mut self, host: usize) -> u16 {
        let Some(p) = self.ports.get_mut(host) else {
            return EPHEMERAL_LO;
        };
        if *p == 0 {
            *p = EPHEMERAL_LO + self.rng.below(u64::from(EPHEMERAL_HI - EPHEMERAL_LO)) as u16;
        }
        let port = *p;
        let skip = if self.rng.below(4) == 0 {
            1 + self.rng.below(8) as u16
        } else {
            1
        };
        *p = if port >= EPHEMERAL_HI - skip {
            EPHEMERAL_LO
        } else {
            port + skip
        };
        port
    }

    fn schedule(&mut self, at: i64, slot: usize) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, slot)));
    }

    /// Creates the flow of a planned session; `None` when its hosts cannot talk over the
    /// requested family.
    fn open(&mut self, s: PlannedSession) -> Option<Flow> {
        let is_icmp = s.transport == Transport::ICMP || s.transport == Transport::ICMPV6;
        let icmp_ident = is_icmp.then(|| self.rng.next_u16());
        let cport = match icmp_ident {
            Some(_) => 0,
            None => self.ephemeral_port(s.client),
        };
        let ports = (cport, s.port);
        // Tunnel entropy (the VXLAN source port) comes from the ports, or the echo identifier.
        let entropy = (icmp_ident.unwrap_or(cport), s.port);
        let path = self
            .net
            .path(s.client, s.server, s.v6, entropy, &mut self.rng)?;
        let transport = match (is_icmp, s.v6) {
            (true, true) => Transport::ICMPV6,
            (true, false) => Transport::ICMP,
            _ => s.transport,
        };
        let (tp_c, tp_s) = match (is_icmp, s.v6) {
            (true, false) => (8, 0),
            (true, true) => (128, 129),
            _ => ports,
        };
        let truth = TruthFlow {
            first_frame: 0,
            first_ts: Timestamp(0),
            last_ts: Timestamp(0),
            transport,
            client: Endpoint {
                ip: path.c2s.ip.src,
                port: tp_c,
            },
            server: Endpoint {
                ip: path.c2s.ip.dst,
                port: tp_s,
            },
            vlan: path.tags.outer(),
            inner_vlan: path.tags.inner(),
            tunnel: path.tunnel.clone(),
            app: s.app.proto(),
            state: ConnState::OTH,
            client_stats: DirStats::default(),
            server_stats: DirStats::default(),
            fragments: 0,
            retransmissions: 0,
            reordered: 0,
            icmp_error: None,
        };
        let mss = u64::from(path.mss);
        let reject = match s.tcp_end {
            TcpEnd::IcmpUnreachable(r) if icmp_ident.is_none() => {
                Some(RejectPlan::new(r, self.net, s.client, &path, s.v6))
            }
            _ => None,
        };
        let meta = FlowMeta {
            path,
            truth,
            flags: FlagsSeen::default(),
            v6: s.v6,
        };
        let mut app = s.app.start(self.rng.next_u64());
        let kind = if transport == Transport::TCP {
            Kind::Tcp(Box::new(Tcp {
                end: s.tcp_end,
                imp: s.impairments,
                mss,
                iss: [self.rng.next_u32(), self.rng.next_u32()],
                stream: [0, 0],
                phase: Phase::Syn,
                msg: None,
                msg_base: 0,
                off: 0,
                unacked: 0,
                segments: [0, 0],
                pending: None,
                last_from: Side::Client,
                syn_tries: 0,
                rtt: s.rtt.0.max(1000),
                ports,
                reject,
                quote: Vec::new(),
            }))
        } else {
            let first = app.next_message(&mut self.rng)?;
            Kind::Dgram(Dgram {
                icmp_ident,
                icmp_seq: 0,
                ports,
                next: Some(first),
                rtt: s.rtt.0.max(1000),
                server_silent: icmp_ident.is_none()
                    && matches!(s.tcp_end, TcpEnd::Unanswered { .. }),
                reject,
                error_due: None,
            })
        };
        Some(Flow { meta, app, kind })
    }

    fn step(&mut self, flow: &mut Flow, now: i64) -> Option<i64> {
        let mut payload = std::mem::take(&mut self.payload);
        let mut cx = Ctx {
            wire: &mut self.wire,
            rng: &mut self.rng,
            payload: &mut payload,
        };
        let next = match &mut flow.kind {
            Kind::Tcp(t) => t.step(now, &mut flow.meta, flow.app.as_mut(), &mut cx),
            Kind::Dgram(d) => d.step(now, &mut flow.meta, flow.app.as_mut(), &mut cx),
        };
        self.payload = payload;
        next
    }

    fn close(&mut self, flow: Flow) {
        let mut t = flow.meta.truth;
        if t.first_frame == 0 {
            return;
        }
        t.state = match flow.kind {
            Kind::Tcp(_) => flow.meta.flags.tcp_state(),
            Kind::Dgram(_) if t.server_stats.packets > 0 => ConnState::SF,
            Kind::Dgram(_) => ConnState::S0,
        };
        let st = &mut self.wire.out.stats;
        st.flows += 1;
        match t.transport {
            Transport::TCP => st.tcp_flows += 1,
            Transport::UDP => st.udp_flows += 1,
            _ => st.icmp_flows += 1,
        }
        if flow.meta.v6 {
            st.v6_flows += 1;
        }
        if t.vlan.is_some() {
            st.vlan_flows += 1;
        }
        if t.inner_vlan.is_some() {
            st.qinq_flows += 1;
        }
        if t.tunnel.is_some() {
            st.tunnel_flows += 1;
        }
        if self.keep_truth {
            self.truth.push(t);
        }
    }

    /// Plays every session of `source` (or until the byte budget is spent) and returns the
    /// sink, the run's figures and, if kept, the truth sorted by first frame.
    pub fn run(mut self, source: &mut dyn SessionSource) -> io::Result<(S, Stats, Vec<TruthFlow>)> {
        let mut next = source.next_session(&mut self.rng);
        while !self.wire.out.stopped {
            let queued = self.queue.peek().map(|Reverse((t, _, _))| *t);
            let arrival = next.as_ref().map(|s| self.start.0 + s.start.0);
            let take_arrival = match (arrival, queued) {
                (Some(a), Some(q)) => a <= q,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_arrival {
                let Some(session) = next.take() else { break };
                let at = arrival.unwrap_or(self.start.0);
                next = source.next_session(&mut self.rng);
                let Some(mut flow) = self.open(session) else {
                    self.wire.out.stats.sessions_skipped += 1;
                    continue;
                };
                match self.step(&mut flow, at) {
                    Some(t) => {
                        let slot = match self.free.pop() {
                            Some(i) => {
                                self.slots[i] = Some(flow);
                                i
                            }
                            None => {
                                self.slots.push(Some(flow));
                                self.slots.len() - 1
                            }
                        };
                        self.schedule(t.max(at), slot);
                    }
                    None => self.close(flow),
                }
            } else if let Some(Reverse((at, _, slot))) = self.queue.pop() {
                let Some(mut flow) = self.slots.get_mut(slot).and_then(Option::take) else {
                    continue;
                };
                match self.step(&mut flow, at) {
                    Some(t) => {
                        self.slots[slot] = Some(flow);
                        self.schedule(t.max(at), slot);
                    }
                    None => {
                        self.close(flow);
                        self.free.push(slot);
                    }
                }
            }
        }
        if let Some(e) = self.wire.out.error.take() {
            return Err(e);
        }
        let open: Vec<Flow> = self.slots.iter_mut().filter_map(Option::take).collect();
        for flow in open {
            self.close(flow);
        }
        self.truth.sort_by_key(|t| t.first_frame);
        let out = self.wire.out;
        let mut stats = out.stats;
        stats.file_bytes = out.sink.written();
        stats.duration_ns = out.last_ns - out.first_ns.unwrap_or(out.last_ns);
        Ok((out.sink, stats, self.truth))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::Arc;

    use super::*;
    use crate::app::{AppSpec, RecordedSpec, RecordedTurn};
    use crate::packet::VlanTags;
    use crate::scenario::PlannedList;
    use crate::topology::{Attachment, oui};
    use segscope_core::Span;
    use segscope_core::auth::AppProto;

    /// Keeps every frame in memory.
    #[derive(Default)]
    struct Frames(Vec<(Timestamp, Vec<u8>)>);

    impl FrameSink for Frames {
        fn written(&self) -> u64 {
            self.0.iter().map(|(_, f)| f.len() as u64).sum()
        }
        fn cost(&self, len: usize) -> u64 {
            len as u64
        }
        fn write_frame(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
            self.0.push((ts, frame.to_vec()));
            Ok(())
        }
    }

    fn lan() -> Network {
        let mut n = Network::new("test.example");
        let s = n.add_subnet(
            "lan",
            (Ipv4Addr::new(10, 0, 0, 0), 24),
            Some(Ipv6Addr::new(0xfd00, 0, 0, 1, 0, 0, 0, 0)),
            VlanTags::Dot1q(5),
            Attachment::Local,
        );
        n.add_host("client", s, 0, oui::DELL, 64, vec![]);
        n.add_host("server", s, 1, oui::VMWARE, 64, vec![]);
        n
    }

    fn planned(app: AppSpec, end: TcpEnd, imp: Impairments) -> PlannedSession {
        PlannedSession {
            start: Span(0),
            client: 0,
            server: 1,
            transport: Transport::TCP,
            port: 443,
            v6: false,
            app,
            tcp_end: end,
            rtt: Span(1_000_000),
            impairments: imp,
        }
    }

    fn run(sessions: Vec<PlannedSession>) -> (Vec<(Timestamp, Vec<u8>)>, Vec<TruthFlow>) {
        let net = lan();
        let sim = Simulator::new(&net, Timestamp(0), 9, Frames::default(), None, true);
        let (frames, _, truth) = sim.run(&mut PlannedList::new(sessions)).expect("in memory");
        (frames.0, truth)
    }

    /// `(from client, seq, ack, flags, payload)` of every TCP segment.
    fn segments(frames: &[(Timestamp, Vec<u8>)]) -> Vec<(bool, u32, u32, u8, Vec<u8>)> {
        frames
            .iter()
            .filter_map(|(_, f)| {
                let p = etherparse::SlicedPacket::from_ethernet(f).ok()?;
                let Some(etherparse::TransportSlice::Tcp(t)) = p.transport else {
                    return None;
                };
                let flags = u8::from(t.fin())
                    | u8::from(t.syn()) << 1
                    | u8::from(t.rst()) << 2
                    | u8::from(t.ack()) << 4;
                Some((
                    t.destination_port() == 443,
                    t.sequence_number(),
                    t.acknowledgment_number(),
                    flags,
                    t.payload().to_vec(),
                ))
            })
            .collect()
    }

    /// The byte stream one side sent, rebuilt by sequence number (duplicates dropped).
    fn stream(segs: &[(bool, u32, u32, u8, Vec<u8>)], client: bool) -> Vec<u8> {
        let isn = segs
            .iter()
            .find(|s| s.0 == client && s.3 & tcp_flags::SYN != 0)
            .map(|s| s.1)
            .expect("a SYN");
        let mut parts: Vec<(u32, &Vec<u8>)> = segs
            .iter()
            .filter(|s| s.0 == client && !s.4.is_empty())
            .map(|s| (s.1.wrapping_sub(isn).wrapping_sub(1), &s.4))
            .collect();
        parts.sort_by_key(|p| p.0);
        parts.dedup_by_key(|p| p.0);
        let mut out = Vec::new();
        for (off, bytes) in parts {
            assert_eq!(off as usize, out.len(), "no gap, no overlap");
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn recorded_bytes_survive_segmentation_loss_and_reordering() {
        let request: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let response: Vec<u8> = (0..20_000u32).map(|i| (i % 13) as u8).collect();
        let spec = RecordedSpec {
            proto: AppProto::Tls,
            turns: Arc::from(vec![
                RecordedTurn {
                    from: Side::Client,
                    bytes: request.clone(),
                },
                RecordedTurn {
                    from: Side::Server,
                    bytes: response.clone(),
                },
            ]),
            gap: Span(1_000_000),
        };
        let imp = Impairments {
            retransmit: 0.2,
            reorder: 0.2,
        };
        let (frames, truth) = run(vec![planned(
            AppSpec::Recorded(spec),
            TcpEnd::Fin {
                server_first: false,
            },
            imp,
        )]);
        let segs = segments(&frames);
        assert_eq!(stream(&segs, true), request);
        assert_eq!(stream(&segs, false), response);
        assert!(frames.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
        // Every acknowledgement is within what the peer has sent.
        let isn_c = segs[0].1;
        let isn_s = segs[1].1;
        for s in &segs[1..] {
            let (peer_isn, peer_len) = if s.0 {
                (isn_s, response.len() as u32)
            } else {
                (isn_c, request.len() as u32)
            };
            assert!(s.2.wrapping_sub(peer_isn) <= peer_len + 2, "{s:?}");
        }
        let t = &truth[0];
        assert_eq!(t.state, ConnState::SF);
        assert_eq!(t.app, AppProto::Tls);
        assert_eq!(t.client_stats.bytes, 5000);
        assert_eq!(t.server_stats.bytes, 20_000);
        assert!(t.retransmissions > 0 && t.reordered > 0);
        assert_eq!(t.vlan, Some(5));
    }

    #[test]
    fn planned_endings_give_the_zeek_states_and_packet_counts() {
        let cases = [
            (TcpEnd::Refused, ConnState::REJ, (1, 1)),
            (TcpEnd::Unanswered { syn_retries: 2 }, ConnState::S0, (3, 0)),
            (
                TcpEnd::HandshakeOnly { final_ack: false },
                ConnState::S1,
                (1, 1),
            ),
            (
                TcpEnd::HandshakeOnly { final_ack: true },
                ConnState::S1,
                (2, 1),
            ),
            (TcpEnd::ClientReset, ConnState::RSTO, (3, 1)),
            (TcpEnd::ServerReset, ConnState::RSTR, (2, 2)),
            (TcpEnd::LeftOpen, ConnState::S1, (2, 1)),
            (TcpEnd::Fin { server_first: true }, ConnState::SF, (3, 3)),
        ];
        for (end, state, (c, s)) in cases {
            let (_, truth) = run(vec![planned(AppSpec::None, end, Impairments::default())]);
            let t = &truth[0];
            assert_eq!(t.state, state, "{end:?}");
            assert_eq!(
                (t.client_stats.packets, t.server_stats.packets),
                (c, s),
                "{end:?}"
            );
        }
    }

    #[test]
    fn the_byte_budget_cuts_flows_and_the_truth_follows() {
        let net = lan();
        let sessions: Vec<PlannedSession> = (0..50)
            .map(|i| {
                let mut p = planned(
                    AppSpec::Opaque(crate::app::simple::OpaqueSpec {
                        exchanges: vec![(100, 3000); 3],
                        think_ms: 1.0,
                        server_ms: 1.0,
                    }),
                    TcpEnd::Fin {
                        server_first: false,
                    },
                    Impairments::default(),
                );
                p.start = Span(i * 2_000_000);
                p
            })
            .collect();
        let sim = Simulator::new(&net, Timestamp(0), 1, Frames::default(), Some(40_000), true);
        let (frames, stats, truth) = sim.run(&mut PlannedList::new(sessions)).expect("in memory");
        assert!(frames.written() <= 40_000 && frames.written() > 40_000 - 1600);
        let counted: u64 = truth
            .iter()
            .map(|t| t.client_stats.packets + t.server_stats.packets)
            .sum();
        assert_eq!(counted, stats.frames);
        assert!(
            truth.iter().any(|t| t.state != ConnState::SF),
            "the last flows are cut"
        );
    }

    fn reject(reason: crate::scenario::Unreachable) -> TcpEnd {
        TcpEnd::IcmpUnreachable(IcmpReject {
            reason,
            from: Reporter::Gateway,
        })
    }

    /// True when the one's-complement sum over `bytes` (checksum included) checks out.
    fn sums_to_zero(sum: etherparse::checksum::Sum16BitWords, bytes: &[u8]) -> bool {
        sum.add_slice(bytes).ones_complement() == 0
    }

    #[test]
    fn a_rejected_syn_is_answered_by_an_icmp_error_quoting_it() {
        use crate::scenario::Unreachable;
        let p = planned(
            AppSpec::None,
            reject(Unreachable::AdminProhibited),
            Impairments::default(),
        );
        let (frames, truth) = run(vec![p]);
        assert_eq!(frames.len(), 2, "the SYN and the error");
        let t = &truth[0];
        assert_eq!(t.state, ConnState::S0);
        assert_eq!((t.client_stats.packets, t.server_stats.packets), (1, 0));
        let e = t.icmp_error.expect("an ICMP error");
        assert_eq!((e.icmp_type, e.icmp_code, e.frame), (3, 13, 2));
        assert_eq!(
            e.reporter,
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            "the gateway"
        );
        // 802.1Q-tagged Ethernet: the IP packet starts at byte 18.
        let syn_ip = &frames[0].1[18..18 + 20 + 32];
        let err = &frames[1].1;
        assert_eq!(&err[0..6], &frames[0].1[6..12], "to the client's MAC");
        assert_eq!(
            &err[6..12],
            &[0x00, 0x00, 0x5E, 0x00, 0x01, 0x01],
            "from the VRRP MAC"
        );
        assert_eq!(err[18 + 9], 1, "ICMP");
        let icmp = &err[18 + 20..18 + 20 + 8 + syn_ip.len()];
        assert_eq!(&icmp[..2], &[3, 13]);
        assert_eq!(&icmp[8..], syn_ip, "the whole SYN is quoted");
        assert!(sums_to_zero(
            etherparse::checksum::Sum16BitWords::new(),
            icmp
        ));
    }

    #[test]
    fn udp_attempts_are_rejected_over_ipv6_or_dropped() {
        use crate::scenario::Unreachable;
        let mut rejected = planned(
            AppSpec::Ntp,
            reject(Unreachable::AdminProhibited),
            Impairments::default(),
        );
        rejected.transport = Transport::UDP;
        rejected.port = 123;
        rejected.v6 = true;
        let mut dropped = rejected.clone();
        dropped.tcp_end = TcpEnd::Unanswered { syn_retries: 0 };
        dropped.start = Span(10_000_000);
        let (frames, truth) = run(vec![rejected, dropped]);
        assert_eq!(frames.len(), 3, "request, error; request");
        let r = &truth[0];
        assert_eq!((r.client_stats.packets, r.server_stats.packets), (1, 0));
        let e = r.icmp_error.expect("an ICMPv6 error");
        assert_eq!((e.icmp_type, e.icmp_code), (1, 1));
        assert_eq!(
            e.reporter,
            IpAddr::V6("fd00:0:0:1::1".parse::<Ipv6Addr>().expect("literal"))
        );
        let err = &frames[1].1;
        let (src, dst) = (&err[18 + 8..18 + 24], &err[18 + 24..18 + 40]);
        let icmp = &err[18 + 40..];
        assert_eq!(&icmp[..2], &[1, 1]);
        // The quoted packet is the request as sent (IPv6 header first).
        assert_eq!(&icmp[8..], &frames[0].1[18..]);
        let len = icmp.len() as u32;
        let pseudo = etherparse::checksum::Sum16BitWords::new()
            .add_slice(src)
            .add_slice(dst)
            .add_4bytes(len.to_be_bytes())
            .add_4bytes([0, 0, 0, 58]);
        assert!(sums_to_zero(pseudo, icmp));
        let d = &truth[1];
        assert_eq!((d.client_stats.packets, d.server_stats.packets), (1, 0));
        assert_eq!((d.state, d.icmp_error), (ConnState::S0, None));
    }
}
