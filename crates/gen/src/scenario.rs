//! Planned sessions: who talks to whom, when, over what, saying what, and how the connection
//! ends. A [`Scenario`] is a network plus a list of these, written as data; the workloads of the
//! bench and flows modes produce them on the fly through the same [`SessionSource`] trait.

use segscope_core::{Span, Timestamp, Transport};

use crate::app::AppSpec;
use crate::rng::Rng;
use crate::topology::Network;

/// How a TCP connection ends (the Zeek `conn_state` it should get is in brackets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpEnd {
    /// FIN from each side, the closer first, then the last ACK [SF].
    Fin {
        /// Whether the server closes first.
        server_first: bool,
    },
    /// The client aborts with a RST after the exchange [RSTO].
    ClientReset,
    /// The server aborts with a RST after the exchange [RSTR].
    ServerReset,
    /// Nothing after the exchange: still open when the capture ends [S1].
    LeftOpen,
    /// SYN, SYN-ACK and, if `final_ack`, the client's ACK; no data, no close [S1].
    HandshakeOnly {
        /// Whether the client's ACK completes the handshake.
        final_ack: bool,
    },
    /// SYNs that get no answer: the first one, then `syn_retries` retransmissions at 1, 2, 4…
    /// seconds [S0].
    Unanswered {
        /// Retransmissions of the SYN.
        syn_retries: u8,
    },
    /// The server answers the SYN with RST-ACK: closed port [REJ].
    Refused,
}

/// Loss and reordering seen at the capture point, per data segment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairments {
    /// Probability that a data segment is sent again after a retransmission timeout.
    pub retransmit: f64,
    /// Probability that a data segment and the next one are seen in swapped order.
    pub reorder: f64,
}

/// One conversation to simulate.
#[derive(Clone, Debug)]
pub struct PlannedSession {
    /// Start, relative to the capture start.
    pub start: Span,
    /// Index of the client host.
    pub client: usize,
    /// Index of the server host.
    pub server: usize,
    /// TCP, UDP or ICMP (ICMPv6 when `v6`).
    pub transport: Transport,
    /// Server port (ignored for ICMP).
    pub port: u16,
    /// IPv6 rather than IPv4 (both hosts need an IPv6 address).
    pub v6: bool,
    /// What the application says.
    pub app: AppSpec,
    /// How a TCP connection ends (ignored for UDP and ICMP).
    pub tcp_end: TcpEnd,
    /// Round-trip time seen from the capture point.
    pub rtt: Span,
    /// Retransmissions and reordering.
    pub impairments: Impairments,
}

/// Produces planned sessions in order of start time.
pub trait SessionSource {
    /// The next session (start not earlier than the previous one), or `None` when done.
    fn next_session(&mut self, rng: &mut Rng) -> Option<PlannedSession>;
}

/// A declarative scenario: a network and the sessions planned on it.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, written into the ground truth.
    pub name: String,
    /// Time of the capture start.
    pub start: Timestamp,
    /// Hosts and subnets.
    pub network: Network,
    /// Sessions, in any order (played sorted by start).
    pub sessions: Vec<PlannedSession>,
}

/// Plays a scenario's session list as a [`SessionSource`].
#[derive(Debug)]
pub struct PlannedList {
    sessions: std::vec::IntoIter<PlannedSession>,
}

impl PlannedList {
    /// The sessions sorted by start time (stable, so equal starts keep their order).
    pub fn new(mut sessions: Vec<PlannedSession>) -> PlannedList {
        sessions.sort_by_key(|s| s.start);
        PlannedList {
            sessions: sessions.into_iter(),
        }
    }
}

impl SessionSource for PlannedList {
    fn next_session(&mut self, _rng: &mut Rng) -> Option<PlannedSession> {
        self.sessions.next()
    }
}
