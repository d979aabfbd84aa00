//! Run statistics: a counter for everything read, decoded, dropped, malformed, unclassified or
//! evicted, so that nothing is lost silently. Every stage owns one struct; the engine sums them
//! (all are mergeable by addition) and every output carries them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The protocol layer at which a frame stopped decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Link header (Ethernet, Linux cooked, BSD null…).
    Link,
    /// 802.1Q/802.1ad tag.
    Vlan,
    /// MPLS label stack.
    Mpls,
    /// IPv4 header.
    Ipv4,
    /// IPv6 header.
    Ipv6,
    /// IPv6 extension header chain.
    Ipv6Ext,
    /// TCP header.
    Tcp,
    /// UDP header.
    Udp,
    /// ICMP header or the header an ICMP error quotes.
    Icmp,
    /// ICMPv6 header.
    Icmpv6,
    /// GRE or ERSPAN header.
    Gre,
    /// VXLAN header.
    Vxlan,
    /// GENEVE header.
    Geneve,
}

impl Layer {
    /// Every layer, in the order of a decode.
    pub const ALL: [Layer; 13] = [
        Layer::Link,
        Layer::Vlan,
        Layer::Mpls,
        Layer::Ipv4,
        Layer::Ipv6,
        Layer::Ipv6Ext,
        Layer::Tcp,
        Layer::Udp,
        Layer::Icmp,
        Layer::Icmpv6,
        Layer::Gre,
        Layer::Vxlan,
        Layer::Geneve,
    ];
}

/// Counters of the capture reader.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureStats {
    /// Capture files (or interfaces) opened.
    pub sources: u64,
    /// Packet records read.
    pub records: u64,
    /// Bytes of packet data captured (sum of captured lengths).
    pub captured_bytes: u64,
    /// Bytes on the wire (sum of original lengths).
    pub wire_bytes: u64,
    /// Records whose captured length is shorter than the original (snaplen).
    pub snaplen_truncated: u64,
    /// Corrupt records skipped (impossible lengths, bad block structure).
    pub corrupt_records: u64,
    /// Bytes skipped while searching for the next valid record after corruption.
    pub resync_skipped_bytes: u64,
    /// A file ended in the middle of a record (the partial record is counted here, not read).
    pub truncated_tail: u64,
    /// Packets on an interface whose link type segscope does not decode.
    pub unsupported_linktype: u64,
    /// Packets rejected by the BPF filter.
    pub filtered_out: u64,
    /// Packets the kernel dropped (live capture, libpcap `ps_drop`).
    pub kernel_dropped: u64,
    /// Packets the interface dropped (live capture, libpcap `ps_ifdrop`).
    pub interface_dropped: u64,
    /// pcapng blocks that Wireshark numbers as frames but that carry no packet (custom blocks,
    /// systemd journal entries): they take a frame number so numbering matches Wireshark's.
    pub non_packet_records: u64,
}

impl CaptureStats {
    /// Adds another reader's counters (saturating). Destructures every field so that a counter
    /// added later cannot be forgotten here.
    pub fn merge(&mut self, from: &CaptureStats) {
        let CaptureStats {
            sources,
            records,
            captured_bytes,
            wire_bytes,
            snaplen_truncated,
            corrupt_records,
            resync_skipped_bytes,
            truncated_tail,
            unsupported_linktype,
            filtered_out,
            kernel_dropped,
            interface_dropped,
            non_packet_records,
        } = from;
        for (into, v) in [
            (&mut self.sources, sources),
            (&mut self.records, records),
            (&mut self.captured_bytes, captured_bytes),
            (&mut self.wire_bytes, wire_bytes),
            (&mut self.snaplen_truncated, snaplen_truncated),
            (&mut self.corrupt_records, corrupt_records),
            (&mut self.resync_skipped_bytes, resync_skipped_bytes),
            (&mut self.truncated_tail, truncated_tail),
            (&mut self.unsupported_linktype, unsupported_linktype),
            (&mut self.filtered_out, filtered_out),
            (&mut self.kernel_dropped, kernel_dropped),
            (&mut self.interface_dropped, interface_dropped),
            (&mut self.non_packet_records, non_packet_records),
        ] {
            *into = into.saturating_add(*v);
        }
    }
}

/// Counters of the packet decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeStats {
    /// Frames handed to the decoder.
    pub frames: u64,
    /// Frames decoded down to an IP packet with a usable transport.
    pub decoded: u64,
    /// Frames that carry no IP (ARP, LLDP, STP…), by EtherType name or number.
    pub non_ip: BTreeMap<String, u64>,
    /// Frames that stopped at a malformed or truncated header, by layer.
    pub malformed: BTreeMap<Layer, u64>,
    /// First fragments of fragmented IP packets (they carry the transport header).
    pub first_fragments: u64,
    /// Non-first fragments.
    pub later_fragments: u64,
    /// Frames decapsulated from a tunnel, by tunnel kind name.
    pub tunnelled: BTreeMap<String, u64>,
    /// ICMP/ICMPv6 error messages (their quoted header is attributed to a flow).
    pub icmp_errors: u64,
    /// ICMP errors whose quoted header was cut short (quoted ports unknown, or no quoted
    /// addresses at all).
    pub icmp_quotes_truncated: u64,
    /// Frames carrying 802.1Q/802.1ad tags.
    pub vlan_tagged: u64,
    /// Frames carrying MPLS labels.
    pub mpls_labelled: u64,
}

/// Counters of the flow table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStats {
    /// Flows created.
    pub flows: u64,
    /// Records written (final and interim).
    pub records: u64,
    /// Interim records of long-lived flows.
    pub interim_records: u64,
    /// Flows closed by FIN/RST.
    pub closed: u64,
    /// Flows ended by the idle timeout.
    pub idle_timeouts: u64,
    /// Flows still open at the end of input and flushed.
    pub flushed_at_end: u64,
    /// Flows written early because the table was full (least recently used first).
    pub flows_evicted: u64,
    /// The largest number of flows open at once.
    pub peak_open_flows: u64,
    /// The most memory held at once for classification (buffer capacity, queued segments and
    /// per-flow bookkeeping), against the table's `payload_cap`; with several shards, the sum
    /// of their peaks.
    #[serde(default)]
    pub peak_payload_bytes: u64,
    /// Packets that arrived with a timestamp earlier than the previous packet's (their time is
    /// clamped for timeout purposes).
    pub time_went_backwards: u64,
    /// ICMP errors attributed to an existing flow.
    pub icmp_errors_attributed: u64,
    /// ICMP errors whose quoted flow was not in the table (recorded on an ICMP flow instead).
    pub icmp_errors_unmatched: u64,
    /// Flows whose retained payload hit the per-direction budget.
    pub payload_budget_reached: u64,
    /// Flows that got no payload buffer because the global retained-payload cap was reached.
    pub payload_cap_denied: u64,
    /// Out-of-order TCP segments dropped because the per-flow reorder queue was full.
    pub reorder_overflow: u64,
    /// Flows whose retained payload stopped at a sequence gap.
    pub payload_gaps: u64,
    /// Retransmitted TCP segments (payload already seen).
    pub retransmissions: u64,
    /// Non-first fragments that matched no earlier first fragment (counted, not attributed).
    pub orphan_fragments: u64,
    /// ICMP errors beyond the per-flow cap of recorded errors (counted, not listed).
    pub icmp_errors_over_cap: u64,
}

/// Counters of the protocol classifier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifyStats {
    /// Flows by `app_proto`.
    pub by_app_proto: BTreeMap<String, u64>,
    /// Flows by `auth`.
    pub by_auth: BTreeMap<String, u64>,
    /// Flows with payload that no probe recognised (`app_proto` from port hint or unknown).
    pub unclassified_with_payload: u64,
    /// Parser errors on payload a probe had claimed (counted, the flow keeps its protocol).
    pub parse_errors: u64,
    /// TLS client/server pairs the resumption linker forgot because it was full (resumed
    /// sessions of those pairs are then not linked to their full handshake).
    #[serde(default)]
    pub tls_pairs_evicted: u64,
}

impl ClassifyStats {
    /// Counts one record (interim records are counted once, by their first slice).
    pub fn observe(&mut self, r: &crate::FlowRecord) {
        if r.record_seq != 0 {
            return;
        }
        *self
            .by_app_proto
            .entry(r.app_proto.as_str().to_owned())
            .or_default() += 1;
        *self.by_auth.entry(r.auth.as_str().to_owned()).or_default() += 1;
        if r.app_confidence != crate::Confidence::Payload && r.bytes() > 0 {
            self.unclassified_with_payload += 1;
        }
    }

    /// Adds another worker's counters.
    pub fn merge(&mut self, o: &ClassifyStats) {
        for (k, v) in &o.by_app_proto {
            *self.by_app_proto.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.by_auth {
            *self.by_auth.entry(k.clone()).or_default() += v;
        }
        self.unclassified_with_payload += o.unclassified_with_payload;
        self.parse_errors += o.parse_errors;
        self.tls_pairs_evicted += o.tls_pairs_evicted;
    }
}

/// All counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Capture reader.
    pub capture: CaptureStats,
    /// Packet decoder.
    pub decode: DecodeStats,
    /// Flow table.
    pub flow: FlowStats,
    /// Classifier.
    pub classify: ClassifyStats,
    /// How long and how large the records were: the figures to choose `--active-timeout`,
    /// `--payload-budget` and the flow cap from.
    #[serde(default)]
    pub records: RecordShape,
}

/// Percentiles of a distribution (from an HDR histogram: three significant digits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest value.
    pub max: u64,
}

/// Distributions over the records written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordShape {
    /// Duration of each record, in milliseconds.
    pub duration_ms: Percentiles,
    /// Application bytes of each record (both directions).
    pub bytes: Percentiles,
    /// Packets of each record (both directions).
    pub packets: Percentiles,
}
