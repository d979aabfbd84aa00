//! Limits and timeouts of a flow table. Every duration is packet time, so the same capture always
//! gives the same records however fast it is read.

use segscope_core::Span;

/// Configuration of one [`FlowTable`](crate::FlowTable). The engine running several tables
/// (shards) divides the global limits (`max_flows`, `payload_cap`) among them.
///
/// Defaults follow Zeek where Zeek has an equivalent (`tcp_inactivity_timeout` 5 min,
/// `udp_inactivity_timeout` and `icmp_inactivity_timeout` 1 min, `tcp_connection_linger` 5 s) so
/// that records can be compared with Zeek's `conn.log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowConfig {
    /// Idle timeout of a TCP flow whose handshake never completed (only SYNs, SYN-ACKs or
    /// nothing answered). Default 60 s: longer than the largest gap between Linux SYN retries
    /// (32 s), so a retried connect stays one `S0` flow, but short enough that scans and SYN
    /// floods do not occupy the table for 5 minutes.
    pub tcp_attempt_timeout: Span,
    /// Idle timeout of an established or midstream TCP flow (including half-closed ones).
    /// Default 300 s, Zeek's `tcp_inactivity_timeout`.
    pub tcp_established_timeout: Span,
    /// How long a closed TCP flow (FIN both ways, a RST, or a FIN nobody answered) stays in the
    /// table after its last packet before it is written, so trailing ACKs and retransmissions
    /// join it instead of opening a second flow. Default 5 s, Zeek's `tcp_connection_linger`
    /// (and `tcp_close_delay`/`tcp_reset_delay`).
    pub tcp_closed_linger: Span,
    /// Idle timeout of UDP flows. Default 60 s, Zeek's `udp_inactivity_timeout`.
    pub udp_timeout: Span,
    /// Idle timeout of ICMP and ICMPv6 flows. Default 60 s, Zeek's `icmp_inactivity_timeout`.
    pub icmp_timeout: Span,
    /// Idle timeout of flows of other IP protocols (ESP, GRE, SCTP…). Default 60 s.
    pub other_timeout: Span,
    /// A flow whose current record has lasted this long is written as an interim record
    /// (`interim = true`, `EndReason::ActiveTimeout`) when its next packet arrives; the flow goes
    /// on in a new record with the same `flow_id` and the next `record_seq`, whose counters cover
    /// only the new slice. `None` disables interim records. Default 30 min.
    pub active_timeout: Option<Span>,
    /// The most flows open at once. When the table is full, the least recently active flow (to
    /// within about a second of packet time) is written early (`EndReason::Evicted`). Default 1,000,000 (about 270 MiB of flow state,
    /// payload buffers not included).
    pub max_flows: u32,
    /// Payload bytes retained per direction for classification. Default 16 KiB: enough for TLS
    /// handshakes with certificate chains, SMB/Kerberos/NTLM exchanges and HTTP headers.
    pub payload_budget: u32,
    /// Memory for retained payload across all flows of the table at once: the buffers and each
    /// flow's retention bookkeeping (about 160 bytes). A flow that would exceed it retains no
    /// more and is counted in `payload_cap_denied`. Default 256 MiB.
    pub payload_cap: u64,
    /// Out-of-order TCP segments held per direction while waiting for the missing bytes. More
    /// are dropped and counted in `reorder_overflow`. Default 16.
    pub reorder_segments: u16,
    /// Datagrams retained per direction of a UDP (or other datagram) flow. Default 32.
    pub payload_datagrams: u16,
    /// First fragments remembered at once so that later fragments find their flow. When full,
    /// the oldest is forgotten (its later fragments count as orphans). Default 8192.
    pub fragment_cap: u32,
    /// How long a first fragment is remembered. Default 30 s, Linux's `ipfrag_time`.
    pub fragment_timeout: Span,
    /// ICMP errors listed per flow record; further ones are counted in `icmp_errors_over_cap`.
    /// Default 8.
    pub icmp_errors_per_flow: u16,
    /// Whether the outer and inner VLAN ids are part of a flow's identity. Default true: the same
    /// addresses in different VLANs (VRF-lite, overlapping tenant ranges) are different flows.
    /// Turn it off for captures where the two directions of a conversation carry different VLAN
    /// tags (a SPAN of a router's trunk: requests tagged with the client's VLAN, answers with
    /// the server's), which would otherwise split every connection into two one-way flows;
    /// records then show the VLANs of each flow's first packet. Zeek's default connection key
    /// ignores VLANs.
    pub vlans_in_key: bool,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            tcp_attempt_timeout: Span::from_secs(60),
            tcp_established_timeout: Span::from_secs(300),
            tcp_closed_linger: Span::from_secs(5),
            udp_timeout: Span::from_secs(60),
            icmp_timeout: Span::from_secs(60),
            other_timeout: Span::from_secs(60),
            active_timeout: Some(Span::from_secs(30 * 60)),
            max_flows: 1_000_000,
            payload_budget: 16 * 1024,
            payload_cap: 256 * 1024 * 1024,
            reorder_segments: 16,
            payload_datagrams: 32,
            fragment_cap: 8192,
            fragment_timeout: Span::from_secs(30),
            icmp_errors_per_flow: 8,
            vlans_in_key: true,
        }
    }
}
