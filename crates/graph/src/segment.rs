//! Segments: inventory zone, else VLAN, else the address prefix (ztmm-networks-rubric.md §3.2),
//! and the pairs of segments that talk to each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use segscope_core::FlowRef;
use segscope_rules::findings::Role;
use serde::{Deserialize, Serialize};

/// How a workload's segment was derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentSource {
    /// The inventory zone.
    InventoryZone,
    /// The 802.1Q VLAN id.
    Vlan,
    /// The IPv4 or IPv6 prefix (/24 and /64 unless configured).
    Prefix,
    /// External addresses form one segment.
    External,
    /// Group addresses (multicast, broadcast) form one segment.
    Group,
}

/// One segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Id: `zone:NAME`, `vlan:N`, `net:CIDR`, `external` or `multicast`.
    pub id: Arc<str>,
    /// How it was derived.
    pub source: SegmentSource,
    /// Internal segment (east-west metrics count only these).
    pub internal: bool,
    /// Workloads in it.
    pub workloads: u32,
    /// Workloads by role.
    pub roles: BTreeMap<Role, u32>,
    /// Workstation segment: declared, or half or more of its workloads are workstations.
    pub workstation_segment: bool,
    /// Workloads in it on the admin path.
    pub admin_sources: u32,
    /// Critical assets in it.
    pub critical_assets: u32,
    /// Takes part in answered, non-infrastructure east-west traffic (metric S1's "active").
    pub active: bool,
    /// Answered traffic between two of its own workloads was seen. A SPAN port on a core
    /// switch does not see same-VLAN traffic, so "no traffic inside" may mean "not visible".
    pub intra_segment_visible: bool,
}

/// Answered, non-infrastructure east-west traffic from one segment to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentPair {
    /// Client segment.
    pub from: Arc<str>,
    /// Server segment.
    pub to: Arc<str>,
    /// Service edges.
    pub edges: u64,
    /// Flows.
    pub flows: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Distinct service ports (`tcp/445`), sorted.
    pub ports: Vec<String>,
    /// Admin services used.
    pub admin_services: Vec<String>,
    /// A few flows as evidence.
    pub evidence: Vec<FlowRef>,
}
