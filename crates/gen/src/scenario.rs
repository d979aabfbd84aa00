//! Planned sessions: who talks to whom, when, over what, saying what, and how the connection
//! ends. A [`Scenario`] is a network plus a list of these, written as data; the workloads of the
//! bench and flows modes produce them on the fly through the same [`SessionSource`] trait.

use std::net::IpAddr;

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
    /// The SYN (or a UDP session's first datagram) is answered by an ICMP destination
    /// unreachable quoting it, and the client gives up [S0, plus the error]. Linux treats the
    /// administratively-prohibited and port-unreachable codes as fatal while connecting, so
    /// one SYN is all that is sent.
    IcmpUnreachable(IcmpReject),
}

/// Why an attempt is unreachable, as an ICMP destination-unreachable code says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unreachable {
    /// Host unreachable (ICMP 3/1; ICMPv6 1/3 address unreachable).
    Host,
    /// Port unreachable (ICMP 3/3; ICMPv6 1/4): a host with no listener on a UDP port.
    Port,
    /// Destination network administratively prohibited (ICMP 3/9; ICMPv6 1/1).
    NetProhibited,
    /// Destination host administratively prohibited (ICMP 3/10; ICMPv6 1/1).
    HostProhibited,
    /// Communication administratively prohibited (ICMP 3/13; ICMPv6 1/1): a firewall's reject.
    AdminProhibited,
}

impl Unreachable {
    /// ICMP (`v6` false) or ICMPv6 type and code.
    pub fn type_code(self, v6: bool) -> (u8, u8) {
        match (self, v6) {
            (Unreachable::Host, false) => (3, 1),
            (Unreachable::Port, false) => (3, 3),
            (Unreachable::NetProhibited, false) => (3, 9),
            (Unreachable::HostProhibited, false) => (3, 10),
            (Unreachable::AdminProhibited, false) => (3, 13),
            (Unreachable::Host, true) => (1, 3),
            (Unreachable::Port, true) => (1, 4),
            (_, true) => (1, 1),
        }
    }

    /// True for the codes that mean "a filter said no" (evidence of default deny).
    pub fn is_admin_prohibited(self) -> bool {
        matches!(
            self,
            Unreachable::NetProhibited | Unreachable::HostProhibited | Unreachable::AdminProhibited
        )
    }
}

/// Who sends an ICMP error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reporter {
    /// The client subnet's gateway (router or firewall interface): its first address (`.1`,
    /// `::1`) and its VRRP MAC.
    Gateway,
    /// The destination host itself (a closed UDP port).
    Server,
    /// A router or firewall at this address, reached through the client subnet's gateway.
    Router(IpAddr),
}

/// An ICMP destination-unreachable answer to a connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IcmpReject {
    /// The code.
    pub reason: Unreachable,
    /// Who sends it.
    pub from: Reporter,
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
    /// How a TCP connection ends. For UDP only two values matter: [`TcpEnd::Unanswered`] (the
    /// server's datagrams are never sent: a silent drop) and [`TcpEnd::IcmpUnreachable`] (the
    /// first datagram is answered by the error); ICMP echo ignores it.
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
