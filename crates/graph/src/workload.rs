//! Workloads: the nodes of the graph, with every name the traffic revealed, the role they play
//! and why, the segment they sit in and the services they expose.

use std::collections::BTreeMap;
use std::sync::Arc;

use segscope_core::{AppProto, AuthClass, Transport, WorkloadKey};
use segscope_rules::findings::{Criticality, Role};
use serde::{Deserialize, Serialize};

use crate::addr::AddressScope;
use crate::names::{HostWindow, LearnedName};
use crate::segment::SegmentSource;

/// Who said what a workload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// The inventory.
    Inventory,
    /// The traffic (see `role_reason`).
    Inferred,
}

impl RoleSource {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Inventory => "inventory",
            RoleSource::Inferred => "inferred",
        }
    }
}

/// Who made a workload a critical asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriticalSource {
    /// The inventory (criticality high or critical) or the configuration.
    Declared,
    /// segscope, from the inferred role, because nothing was declared.
    Suggested,
}

/// Why a workload is a critical asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalMark {
    /// Declared or suggested.
    pub source: CriticalSource,
    /// The inventory line, the configuration selector or the role.
    pub reason: String,
}

/// A service a workload exposes: (transport, port) with at least one answered flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedService {
    /// Transport.
    pub transport: Transport,
    /// Port (ICMP: type).
    pub port: u16,
    /// Most common protocol.
    pub app: AppProto,
    /// Admin service name, when it is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub admin_service: Option<String>,
    /// Why it is shared infrastructure, when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub infrastructure: Option<String>,
    /// Distinct clients.
    pub clients: u32,
    /// Flows.
    pub flows: u64,
    /// Answered flows.
    pub established: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Flows by authentication class.
    pub auth: BTreeMap<AuthClass, u64>,
}

/// One workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Address and VLAN.
    pub key: WorkloadKey,
    /// Inventory name, else the best name learned, else the address.
    pub display_name: String,
    /// Internal, external, multicast…
    pub scope: AddressScope,
    /// Segment id (`zone:NAME`, `vlan:N`, `net:CIDR`, `external`, `multicast`).
    pub segment: Arc<str>,
    /// How the segment was derived.
    pub segment_source: SegmentSource,
    /// Role.
    pub role: Role,
    /// Who said so.
    pub role_source: RoleSource,
    /// Why (inventory line, or the behaviour that matched).
    pub role_reason: String,
    /// Inventory criticality.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub criticality: Option<Criticality>,
    /// Set for critical assets.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub critical: Option<CriticalMark>,
    /// Set for workloads on the legitimate admin path, with the reason.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub admin_source: Option<String>,
    /// Inventory labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
    /// Inventory entries that applied (`file:line`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub inventory: Vec<String>,
    /// Names learned from traffic, best first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub names: Vec<LearnedName>,
    /// The address carried different host names in disjoint windows (DHCP, pods): edges of
    /// this workload may mix several hosts; see `host_windows`.
    pub address_reused: bool,
    /// Self-announced host names and when each held the address.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub host_windows: Vec<HostWindow>,
    /// Services exposed.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub services: Vec<ServedService>,
    /// Distinct clients over answered service edges.
    pub in_degree: u32,
    /// Distinct servers reached over answered service edges.
    pub out_degree: u32,
    /// Flows as a client.
    pub flows_out: u64,
    /// Flows as a server.
    pub flows_in: u64,
}

impl Workload {
    /// True for a critical asset, declared or suggested.
    pub fn is_critical(&self) -> bool {
        self.critical.is_some()
    }

    /// True for one of the organisation's own hosts (not external, not a group address).
    pub fn is_internal(&self) -> bool {
        self.scope.is_internal()
    }
}
