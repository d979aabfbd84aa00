//! The flow record: one bidirectional conversation, as every later stage sees it.
//!
//! Field names are the JSONL contract documented in the README; keep them snake_case and stable.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::auth::{AppProto, AuthClass, AuthEvidence, Confidence};
use crate::names::NameObservation;
use crate::time::{Span, Timestamp};

/// An IP protocol number with the names people use for the common ones.
///
/// Kept as the raw number so the hot path never branches on an enum it does not need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Transport(pub u8);

impl Transport {
    /// ICMP for IPv4.
    pub const ICMP: Transport = Transport(1);
    /// TCP.
    pub const TCP: Transport = Transport(6);
    /// UDP.
    pub const UDP: Transport = Transport(17);
    /// GRE (only seen as a transport when it is not decapsulated).
    pub const GRE: Transport = Transport(47);
    /// IPsec ESP.
    pub const ESP: Transport = Transport(50);
    /// ICMP for IPv6.
    pub const ICMPV6: Transport = Transport(58);
    /// SCTP.
    pub const SCTP: Transport = Transport(132);

    /// True for ICMP and ICMPv6, whose "ports" are type and code.
    pub fn is_icmp(self) -> bool {
        self == Self::ICMP || self == Self::ICMPV6
    }

    /// True for transports with real port numbers.
    pub fn has_ports(self) -> bool {
        matches!(self, Self::TCP | Self::UDP | Self::SCTP)
    }

    /// Parses the names produced by `Display` (`tcp`, `udp`, `icmp`, `icmpv6`, `ip-N`).
    pub fn parse(s: &str) -> Option<Transport> {
        Some(match s {
            "tcp" => Self::TCP,
            "udp" => Self::UDP,
            "icmp" => Self::ICMP,
            "icmpv6" => Self::ICMPV6,
            "esp" => Self::ESP,
            "gre" => Self::GRE,
            "sctp" => Self::SCTP,
            _ => Transport(s.strip_prefix("ip-")?.parse().ok()?),
        })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TCP => f.write_str("tcp"),
            Self::UDP => f.write_str("udp"),
            Self::ICMP => f.write_str("icmp"),
            Self::ICMPV6 => f.write_str("icmpv6"),
            Self::ESP => f.write_str("esp"),
            Self::GRE => f.write_str("gre"),
            Self::SCTP => f.write_str("sctp"),
            Transport(n) => write!(f, "ip-{n}"),
        }
    }
}

impl Serialize for Transport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Transport {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Transport::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown transport {s:?}")))
    }
}

/// A flow's connection state, with Zeek's `conn_state` names and meanings so that analysts can
/// compare segscope's output with Zeek's line by line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum ConnState {
    /// Connection attempt seen, no reply.
    S0,
    /// Connection established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected (RST answering the SYN).
    REJ,
    /// Established, close attempt by the client seen, no reply from the server.
    S2,
    /// Established, close attempt by the server seen, no reply from the client.
    S3,
    /// Established, the client aborted (sent a RST).
    RSTO,
    /// Established, the server aborted (sent a RST).
    RSTR,
    /// The client sent a SYN then a RST; no SYN-ACK seen.
    RSTOS0,
    /// The server sent a SYN-ACK then a RST; no SYN from the client seen.
    RSTRH,
    /// The client sent a SYN then a FIN; no SYN-ACK seen ("half open").
    SH,
    /// The server sent a SYN-ACK then a FIN; no SYN from the client seen.
    SHR,
    /// No SYN seen: midstream traffic.
    OTH,
}

impl ConnState {
    /// Zeek's name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S0 => "S0",
            Self::S1 => "S1",
            Self::SF => "SF",
            Self::REJ => "REJ",
            Self::S2 => "S2",
            Self::S3 => "S3",
            Self::RSTO => "RSTO",
            Self::RSTR => "RSTR",
            Self::RSTOS0 => "RSTOS0",
            Self::RSTRH => "RSTRH",
            Self::SH => "SH",
            Self::SHR => "SHR",
            Self::OTH => "OTH",
        }
    }

    /// True when the server answered: the conversation carried data or a handshake both ways.
    /// This is the rubric's "established" (`SF S1 S2 S3 RSTO RSTR`).
    pub fn is_established(self) -> bool {
        matches!(
            self,
            Self::SF | Self::S1 | Self::S2 | Self::S3 | Self::RSTO | Self::RSTR
        )
    }

    /// True for outcomes that look like a filter or a closed port: no answer, or a reset answer.
    pub fn is_failed_attempt(self) -> bool {
        matches!(self, Self::S0 | Self::REJ | Self::RSTOS0 | Self::SH)
    }
}

/// Why a record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Both sides closed (FIN handshake) or the connection was reset.
    Closed,
    /// No packet for longer than the idle timeout of its transport.
    IdleTimeout,
    /// Interim record of a long-lived flow: the flow continues in a later record with the same
    /// `flow_id` and a higher `record_seq`.
    ActiveTimeout,
    /// The flow table was full; the least recently used flow was written early. Counted in
    /// `flows_evicted` in the run statistics.
    Evicted,
    /// The input ended (end of the last file, end of `--duration`, Ctrl-C) with the flow open.
    EndOfInput,
}

impl EndReason {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Closed => "closed",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::ActiveTimeout => "active_timeout",
            EndReason::Evicted => "evicted",
            EndReason::EndOfInput => "end_of_input",
        }
    }
}

/// Packet and byte counts of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirStats {
    /// Packets sent by this side.
    pub packets: u64,
    /// Application bytes: for TCP the sequence space covered (as Zeek's `orig_bytes`, so
    /// retransmissions are not counted twice), for other transports the sum of payload lengths.
    pub bytes: u64,
    /// Sum of IP total lengths (Zeek's `orig_ip_bytes`).
    pub ip_bytes: u64,
}

/// An address and port. For ICMP the port fields carry type and code, as in Zeek and the
/// Community ID specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// IP address.
    pub ip: IpAddr,
    /// Transport port (ICMP: type for the client side, code for the server side).
    pub port: u16,
}

/// The kind of encapsulation a flow was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    /// Generic Routing Encapsulation (RFC 2784/2890).
    Gre,
    /// ERSPAN (GRE-carried mirrored Ethernet, types II and III).
    Erspan,
    /// VXLAN (RFC 7348, UDP 4789).
    Vxlan,
    /// GENEVE (RFC 8926, UDP 6081).
    Geneve,
    /// IPv4 or IPv6 directly in IPv4 or IPv6 (IP protocol 4 or 41).
    IpInIp,
    /// Teredo and other UDP encapsulations of IPv6 are not decoded; listed for completeness of
    /// the schema.
    Other,
}

impl TunnelKind {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelKind::Gre => "gre",
            TunnelKind::Erspan => "erspan",
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::Geneve => "geneve",
            TunnelKind::IpInIp => "ip_in_ip",
            TunnelKind::Other => "other",
        }
    }
}

/// One level of encapsulation around a flow: the inner flow is the flow, this records the
/// outer path it travelled.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tunnel {
    /// Encapsulation type.
    pub kind: TunnelKind,
    /// Outer source address (of the first packet of the flow).
    pub outer_src: IpAddr,
    /// Outer destination address.
    pub outer_dst: IpAddr,
    /// VXLAN/GENEVE VNI, GRE key or ERSPAN session id, when the encapsulation has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<u32>,
}

/// ICMP error evidence attributed to the flow whose header the error quotes. An
/// "administratively prohibited" answer is a firewall saying no: evidence of default deny.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcmpError {
    /// ICMP or ICMPv6 type.
    pub icmp_type: u8,
    /// ICMP or ICMPv6 code.
    pub icmp_code: u8,
    /// Who sent the error (a router, a firewall or the destination itself).
    pub reporter: IpAddr,
    /// Capture time of the error.
    pub ts: Timestamp,
    /// Frame number of the error in its capture file.
    pub frame: u64,
    /// True for ICMP type 3 codes 9, 10, 13 and ICMPv6 type 1 code 1 (and code 5, 6: policy).
    pub admin_prohibited: bool,
}

/// The ICMP facts of an ICMP flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcmpFacts {
    /// Type of the first message.
    pub icmp_type: u8,
    /// Code of the first message.
    pub icmp_code: u8,
    /// For an error message whose quoted flow was not seen: the quoted five-tuple, so the
    /// attempt still counts as evidence (for example an admin-prohibited answer to a SYN sent
    /// from outside the capture's view).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refers_to: Option<QuotedFlow>,
    /// True for administratively-prohibited codes (see [`IcmpError::admin_prohibited`]).
    #[serde(skip_serializing_if = "is_false", default)]
    pub admin_prohibited: bool,
}

/// The header an ICMP error quotes: the packet that provoked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuotedFlow {
    /// Source of the quoted packet (the original sender).
    pub src: Endpoint,
    /// Destination of the quoted packet.
    pub dst: Endpoint,
    /// Transport of the quoted packet.
    pub transport: Transport,
}

/// Where a flow starts in the input, so an analyst can open it in Wireshark (`frame.number ==
/// first_frame` in `file`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    /// Capture file path as given on the command line, `-` for stdin, or `iface:NAME` for a live
    /// interface.
    pub file: Arc<str>,
    /// 1-based frame number of the flow's first packet within that file (Wireshark numbering).
    pub first_frame: u64,
}

/// A stable identifier of a flow: the same conversation in the same capture always gets the
/// same id, whichever machine, thread count or run produced it. Serialized as 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FlowId(pub u64);

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for FlowId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FlowId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        u64::from_str_radix(&s, 16).map(FlowId).map_err(|_| {
            serde::de::Error::custom(format!("flow id must be 16 hex digits, got {s:?}"))
        })
    }
}

/// The pointer from a finding, an edge, a zone rule or a score back to a packet: everything an
/// assessor needs to open the flow in Wireshark or find it in Zeek or Suricata output.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FlowRef {
    /// segscope's flow id.
    pub flow_id: FlowId,
    /// Community ID v1 (also in Zeek's and Suricata's logs).
    pub community_id: String,
    /// Capture file.
    pub file: Arc<str>,
    /// 1-based frame number of the first packet.
    pub first_frame: u64,
    /// Time of the first packet.
    pub ts: Timestamp,
}

/// One bidirectional flow (or one interim slice of a long-lived flow).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowRecord {
    /// Stable id (see [`FlowId`]); shared by all interim records of one flow.
    pub flow_id: FlowId,
    /// Community ID v1 of the five-tuple (seed 0).
    pub community_id: String,
    /// 0 for the first record of a flow, then 1, 2… for each later interim or final record.
    pub record_seq: u32,
    /// True when more records of this flow may follow (interim record).
    pub interim: bool,
    /// Why the record was written.
    pub end_reason: EndReason,
    /// Capture file and first frame number.
    #[serde(flatten)]
    pub source: SourceRef,
    /// Time of the first packet.
    pub first_ts: Timestamp,
    /// Time of the last packet.
    pub last_ts: Timestamp,
    /// `last_ts - first_ts`, in seconds.
    pub duration: Span,
    /// The side that opened the conversation (sent the SYN, or the first datagram to a service
    /// port).
    pub client: Endpoint,
    /// The side that accepted it.
    pub server: Endpoint,
    /// IP protocol.
    pub transport: Transport,
    /// True when no SYN was seen and the client was chosen by the ephemeral-port heuristic.
    pub direction_inferred: bool,
    /// Outer 802.1Q/802.1ad VLAN id (part of the flow's identity).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    /// Inner VLAN id of a QinQ stack.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub inner_vlan: Option<u16>,
    /// Encapsulations the flow was carried in, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tunnels: Vec<Tunnel>,
    /// Connection state (Zeek `conn_state` semantics; UDP and ICMP use S0 for one-way and SF
    /// for two-way flows).
    pub state: ConnState,
    /// Zeek-style history letters (upper case: client, lower case: server).
    pub history: String,
    /// What the client sent.
    pub client_stats: DirStats,
    /// What the server sent.
    pub server_stats: DirStats,
    /// Non-first IPv4/IPv6 fragments counted against this flow (not in the packet counts: a
    /// fragmented datagram is one packet, as Zeek counts it).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub fragments: u64,
    /// ICMP type and code, for ICMP flows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub icmp: Option<IcmpFacts>,
    /// ICMP errors that quote this flow.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub icmp_errors: Vec<IcmpError>,
    /// True when retained payload stopped at a gap (packet loss in the capture) before the
    /// classification budget was reached.
    #[serde(skip_serializing_if = "is_false", default)]
    pub payload_gap: bool,
    /// Application protocol.
    pub app_proto: AppProto,
    /// How `app_proto` was established: from the payload, or from the port only.
    pub app_confidence: Confidence,
    /// Authentication verdict.
    pub auth: AuthClass,
    /// The evidence behind `app_proto` and `auth`.
    #[serde(skip_serializing_if = "AuthEvidence::is_empty", default)]
    pub evidence: AuthEvidence,
    /// Names this flow revealed about any address (DNS answers, SNI, certificates…).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub names: Vec<NameObservation>,
}

impl FlowRecord {
    /// The evidence pointer for this record.
    pub fn flow_ref(&self) -> FlowRef {
        FlowRef {
            flow_id: self.flow_id,
            community_id: self.community_id.clone(),
            file: self.source.file.clone(),
            first_frame: self.source.first_frame,
            ts: self.first_ts,
        }
    }

    /// Total packets in both directions.
    pub fn packets(&self) -> u64 {
        self.client_stats.packets + self.server_stats.packets
    }

    /// Total application bytes in both directions.
    pub fn bytes(&self) -> u64 {
        self.client_stats.bytes + self.server_stats.bytes
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
