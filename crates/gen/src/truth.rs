//! Ground truth: the flows the generator intended, with what a flow meter should report for
//! each, so that tests compare segscope's output with what was generated.
//!
//! Counting conventions (Zeek's): `bytes` is application payload, each byte once (a TCP
//! retransmission adds packets and IP bytes, not bytes); `ip_bytes` is the sum of the (inner) IP
//! total lengths. A fragmented datagram counts as one packet whose IP bytes are those of the
//! reassembled datagram; its non-first fragments are counted in `fragments`. ICMP echo flows use
//! the type and its counterpart type as ports (8/0, 128/129), as Zeek and Community ID do.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use segscope_core::auth::AppProto;
use segscope_core::flow::{ConnState, DirStats, Endpoint};
use segscope_core::{Timestamp, Transport};

use crate::topology::FlowTunnel;

/// One intended flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthFlow {
    /// 1-based frame number of its first packet (Wireshark numbering).
    pub first_frame: u64,
    /// Time of its first packet.
    pub first_ts: Timestamp,
    /// Time of its last packet.
    pub last_ts: Timestamp,
    /// IP protocol of the (inner) packets.
    pub transport: Transport,
    /// The side that opened it.
    pub client: Endpoint,
    /// The side that accepted it.
    pub server: Endpoint,
    /// Outer VLAN id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    /// Inner VLAN id of a QinQ stack.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner_vlan: Option<u16>,
    /// Tunnel it travels in.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tunnel: Option<FlowTunnel>,
    /// Application protocol its payload speaks.
    pub app: AppProto,
    /// Zeek `conn_state` of what was written (truncation at the end of a capture included).
    pub state: ConnState,
    /// What the client sent.
    pub client_stats: DirStats,
    /// What the server sent.
    pub server_stats: DirStats,
    /// Non-first IP fragments.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub fragments: u64,
    /// TCP segments sent twice.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub retransmissions: u64,
    /// TCP segments seen before the segment preceding them.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub reordered: u64,
    /// The ICMP destination-unreachable that answered the attempt, quoting its first packet.
    /// It is not counted in the flow's packets; Zeek logs it as its own `icmp` connection
    /// (reporter to client, ports type/code), segscope attributes it to this flow.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub icmp_error: Option<TruthIcmpError>,
}

/// An ICMP error sent in answer to a flow's first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthIcmpError {
    /// 1-based frame number.
    pub frame: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Who sent it.
    pub reporter: IpAddr,
    /// ICMP or ICMPv6 type.
    pub icmp_type: u8,
    /// ICMP or ICMPv6 code.
    pub icmp_code: u8,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The ground-truth document written by `--truth`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// `segscope-gen` and its version.
    pub generator: String,
    /// Mode and its size argument, as given.
    pub mode: String,
    /// PRNG seed.
    pub seed: u64,
    /// Frames written.
    pub frames: u64,
    /// Flows, in order of first frame.
    pub flows: Vec<TruthFlow>,
    /// What a ground-truth scenario means by construction: hosts, zones, intended and planted
    /// edges, expected findings and maturity stages (absent for the bench, flows and demo
    /// captures).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scenario: Option<crate::scenarios::truth::ScenarioFacts>,
}
