//! Edges: the core [`Edge`] aggregate of one (client, server, transport, port), with the facts
//! the analysis derives from it — is it a real service, an admin path, infrastructure, does it
//! cross a segment.

use std::sync::Arc;

use segscope_core::auth::AuthClass;
use segscope_core::{AppProto, Edge, EdgeKey, FlowRef};
use serde::{Deserialize, Serialize};

/// What an edge is, as a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeStatus {
    /// At least one answered flow: the server exposes this service to this client.
    Service,
    /// Attempts only (no answer, reset, ICMP prohibited): evidence for default deny and scans,
    /// not a service.
    AttemptsOnly,
    /// Direction guessed from ports to an ephemeral port with no protocol recognised: most
    /// likely the reply half of a conversation seen from the middle. Never a service.
    ReplyPath,
    /// To a multicast, broadcast or unspecified address: not a workload-to-workload edge.
    Group,
}

/// One edge of the graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyzedEdge {
    /// Client, server, transport and server port.
    pub key: EdgeKey,
    /// Client segment.
    pub client_segment: Arc<str>,
    /// Server segment.
    pub server_segment: Arc<str>,
    /// Client and server segments differ.
    pub crosses_segment: bool,
    /// Both endpoints internal.
    pub east_west: bool,
    /// Service, attempts only, reply path or group.
    pub status: EdgeStatus,
    /// Most common application protocol.
    pub app: AppProto,
    /// Most common authentication class.
    pub main_auth: AuthClass,
    /// Admin service name (from `protocols.yaml`), when the edge is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub admin_service: Option<String>,
    /// The admin protocol is the server's own service (SMB to a file server).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub expected_service_use: bool,
    /// Why the edge is shared infrastructure, when it is (excluded from any-to-any metrics).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub infrastructure: Option<String>,
    /// For a reused client address: the host names that held it during this edge's window.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub client_hosts: Vec<String>,
    /// For a reused server address: the host names that held it during this edge's window.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub server_hosts: Vec<String>,
    /// The aggregate.
    #[serde(flatten)]
    pub edge: Edge,
}

impl AnalyzedEdge {
    /// True for an answered service edge.
    pub fn is_service(&self) -> bool {
        self.status == EdgeStatus::Service
    }

    /// True for an answered admin-protocol edge that is not the server's own service.
    pub fn is_admin_session(&self) -> bool {
        self.is_service() && self.admin_service.is_some() && !self.expected_service_use
    }

    /// Flows of `class` among the final records.
    pub fn auth_count(&self, class: AuthClass) -> u64 {
        self.edge.auth.get(&class).copied().unwrap_or(0)
    }

    /// Failed attempts (no reply, reset, prohibited).
    pub fn failed(&self) -> u64 {
        self.edge.no_reply + self.edge.rejected + self.edge.admin_prohibited
    }

    /// Flows of class `unknown` that were answered: opaque payload rather than failed attempts
    /// (which carry no payload and are also `unknown`).
    pub fn opaque_flows(&self) -> u64 {
        self.auth_count(AuthClass::Unknown)
            .saturating_sub(self.failed())
    }

    /// Bytes in both directions.
    pub fn bytes(&self) -> u64 {
        self.edge.client_bytes + self.edge.server_bytes
    }

    /// The service as a short string: `tcp/445`.
    pub fn port_label(&self) -> String {
        format!("{}/{}", self.key.transport, self.key.port)
    }

    /// The earliest evidence flow of answered traffic, without allocating: from the classified
    /// samples first (failed attempts are always `unknown`), else from `unknown` flows that are
    /// not among the failed attempts.
    pub fn first_answered(&self) -> Option<&FlowRef> {
        let key = |f: &&FlowRef| (f.ts, f.flow_id);
        let classified = self
            .edge
            .evidence
            .iter()
            .filter(|(c, _)| **c != AuthClass::Unknown)
            .filter_map(|(_, s)| s.flows().first())
            .min_by_key(key);
        classified.or_else(|| {
            self.edge.evidence.get(&AuthClass::Unknown).and_then(|s| {
                s.flows().iter().find(|f| {
                    !self
                        .edge
                        .failed_evidence
                        .flows()
                        .iter()
                        .any(|x| x.flow_id == f.flow_id)
                })
            })
        })
    }

    /// Evidence flows of answered traffic, earliest first.
    pub fn answered_evidence(&self) -> Vec<FlowRef> {
        let mut all: Vec<FlowRef> = self
            .edge
            .evidence
            .values()
            .flat_map(|s| s.flows().iter().cloned())
            .filter(|f| {
                !self
                    .edge
                    .failed_evidence
                    .flows()
                    .iter()
                    .any(|x| x.flow_id == f.flow_id)
            })
            .collect();
        all.sort_by_key(|f| (f.ts, f.flow_id));
        all.dedup_by_key(|f| f.flow_id);
        all
    }
}
