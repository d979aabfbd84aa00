//! The ground truth of a scenario: what its capture means by construction. Written into the
//! `scenario` member of the `--truth` document, beside the per-flow truth.
//!
//! Names are the ones segscope uses in JSON and rules (`AppProto`, `AuthClass`, transports as
//! `tcp`/`udp`, roles of `rules/findings.yaml` in `segscope_role`). Hosts are named by their
//! fully qualified DNS name; edges by host name and address.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use segscope_core::{AppProto, AuthClass, Timestamp, Transport};

/// Everything a scenario means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioFacts {
    /// Scenario name (`lab`, `lab-followup`, `flat`, `zoned`, `mesh`, `tls13`, `scale`).
    pub name: String,
    /// What it shows and how it was built.
    pub description: String,
    /// DNS domain of the hosts.
    pub domain: String,
    /// Capture start.
    pub start: Timestamp,
    /// Planned length of the working period, in seconds.
    pub period_s: f64,
    /// Where the capture sees traffic.
    pub vantage: String,
    /// The intended zones.
    pub zones: Vec<ZoneFacts>,
    /// Every host that appears in the traffic.
    pub hosts: Vec<HostFacts>,
    /// The firewall between zones, first matching rule wins; traffic no rule matches is
    /// allowed.
    pub firewall: Vec<FirewallRuleFacts>,
    /// Intended zone-to-zone interconnections (legitimate and admin edges, aggregated).
    pub zone_policy: Vec<ZoneEdge>,
    /// Every host-level edge: who tried to reach whom on which port, why, and what happened.
    pub edges: Vec<EdgeFacts>,
    /// The legitimate administration path, when the scenario has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub admin_path: Option<AdminPath>,
    /// Planted lateral movement (each attempt, established or not).
    pub lateral_movement: Vec<LateralMovement>,
    /// Planted fan-outs: one source reaching many peers on one service.
    pub fan_out: Vec<FanOut>,
    /// Scans (planted and background).
    pub scans: Vec<ScanFacts>,
    /// Services that accepted cleartext credentials or served without authentication.
    pub cleartext_services: Vec<ServiceFinding>,
    /// Legitimate edges that are new in this capture (a follow-up capture's audit test).
    pub new_legitimate_edges: Vec<ZoneEdge>,
    /// Expected maturity stages and the metrics behind them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expected: Option<Expected>,
    /// The labelled conversations replayed, with any fallback.
    pub conversations: Vec<ConversationUse>,
    /// Certificates sent in clear by the replayed conversations (TLS ≤ 1.2 handshakes).
    pub certificates: Vec<crate::scenarios::certs::VisibleCertificate>,
    /// The TLS version each replayed TLS conversation negotiated.
    pub tls_versions: BTreeMap<String, String>,
    /// Counts for very large scenarios whose flows are not listed (scale).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<ScaleSummary>,
}

/// One intended zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneFacts {
    /// Name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Address ranges (IPv4, and IPv6 for dual-stack zones).
    pub cidrs: Vec<String>,
    /// VLAN of its access ports, if tagged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    /// True for address space outside the organisation (not scored).
    pub external: bool,
    /// Hosts in it that appear in the traffic (the ones listed in `hosts`).
    pub hosts: usize,
    /// What the firewall does to traffic entering it from other zones.
    pub ingress_policy: String,
    /// Default-deny evidence for traffic entering it (ztmm-networks-rubric.md §3.3 S4).
    pub ingress: Enforcement,
    /// The same for traffic leaving it.
    pub egress: Enforcement,
}

/// Enforcement evidence for one zone and direction, computed from the planned sessions with
/// the rubric's definitions: attempts are distinct (source, destination, transport, port)
/// crossing the zone boundary towards a (destination, transport, port) that never answered a
/// session crossing it; denied-looking outcomes are no reply and ICMP administratively
/// prohibited (a reset from a live host is a closed port, not a filter).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Enforcement {
    /// Attempts to services that never answered across the boundary.
    pub attempts: usize,
    /// Of those, no reply.
    pub no_reply: usize,
    /// Of those, answered by ICMP administratively prohibited.
    pub admin_prohibited: usize,
    /// Of those, refused by the host (TCP reset, ICMP port unreachable).
    pub refused: usize,
    /// Service ports that answered sessions crossing the boundary (`tcp/443`).
    pub allowed_ports: Vec<String>,
    /// The same (destination, port) answering some sources and denying others.
    pub differential: Vec<String>,
    /// True when attempts ≥ 20, ≥ 95 % denied-looking and allowed ports ≤ 5 (the defaults
    /// of `rules/findings.yaml`).
    pub evidence: bool,
}

/// One host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostFacts {
    /// Fully qualified name.
    pub name: String,
    /// IPv4 address.
    pub ipv4: IpAddr,
    /// IPv6 address (dual-stack zones).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ipv6: Option<IpAddr>,
    /// VLAN of its access port.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    /// Intended zone.
    pub zone: String,
    /// Role in the scenario (`domain_controller`, `web_server`, `app_server`, `jump_host`…).
    pub role: String,
    /// The same in segscope's role names (`rules/findings.yaml`).
    pub segscope_role: String,
    /// `low`, `medium`, `high` or `critical`.
    pub criticality: String,
    /// Free labels (`os`, `app`, `owner`…).
    pub labels: BTreeMap<String, String>,
    /// What it listens on.
    pub services: Vec<String>,
}

/// One firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRuleFacts {
    /// Source zone (`*`: any).
    pub from: String,
    /// Destination zone or host (`*`: any).
    pub to: String,
    /// Services (`tcp/443`); empty: all.
    pub services: Vec<String>,
    /// `allow`, `drop` or `reject` (ICMP administratively prohibited).
    pub action: String,
    /// Who sends the reject, for `reject`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reporter: Option<String>,
    /// Why the rule exists.
    pub note: String,
}

/// Zone-to-zone interconnection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ZoneEdge {
    /// Client zone.
    pub client_zone: String,
    /// Server zone.
    pub server_zone: String,
    /// Transport.
    pub transport: Transport,
    /// Server port.
    pub port: u16,
    /// Protocols seen on it.
    pub apps: Vec<AppProto>,
}

/// Why an edge exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Business or infrastructure traffic the organisation intends.
    Legitimate,
    /// Administration over the intended admin path (jump host).
    Admin,
    /// Planted lateral movement.
    LateralMovement,
    /// Probing by a scanner.
    Scan,
    /// Attempts the firewall is meant to stop (misconfigured or curious clients).
    Blocked,
}

/// What happened to the attempts of an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The session reached a listening service through the firewall: the TCP handshake
    /// completed, the UDP service answered, or — for a one-way protocol ([`EdgeFacts::one_way`],
    /// syslog) — the datagrams were delivered, which the wire shows only as datagrams without
    /// an answer (Zeek `S0`) and without an ICMP error.
    Established,
    /// No answer at all (dropped).
    NoReply,
    /// The host refused: TCP RST-ACK, or ICMP port unreachable from the host for UDP.
    Refused,
    /// A filter answered ICMP administratively prohibited.
    AdminProhibited,
}

impl Outcome {
    /// True for the outcomes that look like a filter (no reply, administratively prohibited).
    pub fn denied_looking(self) -> bool {
        matches!(self, Outcome::NoReply | Outcome::AdminProhibited)
    }
}

/// One host-level edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeFacts {
    /// Client name.
    pub client: String,
    /// Client address.
    pub client_ip: IpAddr,
    /// Client zone.
    pub client_zone: String,
    /// Server name.
    pub server: String,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server zone.
    pub server_zone: String,
    /// Transport.
    pub transport: Transport,
    /// Server port.
    pub port: u16,
    /// Why it exists.
    pub kind: EdgeKind,
    /// What happened.
    pub outcome: Outcome,
    /// Protocol of the payload (`unknown` when nothing was sent).
    pub app: AppProto,
    /// Authentication class by construction (`unknown` for attempts without payload).
    pub auth: AuthClass,
    /// Labelled conversation replayed, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub conversation: Option<String>,
    /// Flows planned (and played) on it.
    pub flows: usize,
    /// True for a legitimate edge that did not exist in the earlier capture.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub new: bool,
    /// True for a one-way protocol (syslog over UDP): the server never answers, so even its
    /// established flows are `S0` with payload from the client only, and the wire alone cannot
    /// tell delivery from a silent drop.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub one_way: bool,
}

/// The intended administration path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminPath {
    /// Jump hosts (names).
    pub jump_hosts: Vec<String>,
    /// Their zone.
    pub zone: String,
    /// Services they use (`tcp/22`).
    pub services: Vec<String>,
    /// Hosts they administer.
    pub targets: Vec<String>,
    /// Hosts allowed to open sessions on the jump hosts.
    pub operators: Vec<String>,
}

/// One planted lateral-movement attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LateralMovement {
    /// Source name.
    pub source: String,
    /// Source address.
    pub source_ip: IpAddr,
    /// Target name.
    pub target: String,
    /// Target address.
    pub target_ip: IpAddr,
    /// Transport.
    pub transport: Transport,
    /// Port.
    pub port: u16,
    /// Protocol.
    pub app: AppProto,
    /// Authentication class.
    pub auth: AuthClass,
    /// `psexec_smb_admin_share`, `rdp`, `winrm`, `ssh`.
    pub technique: String,
    /// Whether the session was established (the firewall may have stopped it).
    pub established: bool,
    /// Source role to target role (`workstation_to_workstation`, `workstation_to_database`…).
    pub pattern: String,
}

/// One source reaching many peers on one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FanOut {
    /// Source name.
    pub source: String,
    /// Source address.
    pub source_ip: IpAddr,
    /// Service (`tcp/445`).
    pub service: String,
    /// Peers reached (established), by address.
    pub peers: Vec<IpAddr>,
}

/// One scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanFacts {
    /// Source name.
    pub source: String,
    /// Source address.
    pub source_ip: IpAddr,
    /// True for the planted scan, false for background probing.
    pub planted: bool,
    /// Hosts probed.
    pub targets: Vec<IpAddr>,
    /// Services probed (`tcp/22`).
    pub services: Vec<String>,
    /// Most services probed on one host.
    pub max_services_per_target: usize,
    /// Probes.
    pub attempts: usize,
    /// Probes answered (handshake completed, then reset by the scanner).
    pub established: usize,
    /// Probes refused by the host.
    pub refused: usize,
    /// Probes unanswered.
    pub no_reply: usize,
    /// Probes answered by ICMP administratively prohibited.
    pub admin_prohibited: usize,
}

/// A service that took cleartext credentials or served without authentication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceFinding {
    /// Server name.
    pub server: String,
    /// Server address.
    pub server_ip: IpAddr,
    /// Server zone.
    pub zone: String,
    /// Transport.
    pub transport: Transport,
    /// Port.
    pub port: u16,
    /// Protocol.
    pub app: AppProto,
    /// `cleartext_credentials` or `cleartext_unauthenticated`.
    pub auth: AuthClass,
    /// Clients that used it (names).
    pub clients: Vec<String>,
    /// True when planted as a finding; false when it is a side effect of the legitimate
    /// traffic (plain HTTP to a web server).
    pub planted: bool,
}

/// Expected maturity stages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// One entry per function the scenario was built to exercise.
    pub functions: Vec<FunctionStage>,
    /// Service-to-service authentication buckets (rubric §3.5 A1/A2), in flows.
    pub authentication: AuthBuckets,
}

/// The expected stage of one Networks function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionStage {
    /// `network_segmentation` or `traffic_encryption`.
    pub function: String,
    /// `traditional`, `initial` or `advanced` (never `optimal` from traffic alone).
    pub stage: String,
    /// Why, condition by condition.
    pub reasons: Vec<String>,
    /// The metric values behind the reasons.
    pub metrics: BTreeMap<String, f64>,
}

/// Established east-west flows with payload by authentication evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthBuckets {
    /// TLS with a client certificate seen (confirmed mTLS).
    pub mtls_confirmed: usize,
    /// TLS where client authentication cannot be judged (TLS 1.3, resumption).
    pub tls_client_auth_unknown: usize,
    /// TLS with no client authentication.
    pub tls_no_client_auth: usize,
    /// SSH, Kerberos, NTLM.
    pub other_authenticated: usize,
    /// Encrypted without visible authentication (RDP standard security, IPsec…).
    pub encrypted_other: usize,
    /// Cleartext credentials.
    pub cleartext_credentials: usize,
    /// Cleartext without authentication.
    pub cleartext_unauthenticated: usize,
    /// Infrastructure where authentication is not expected (DNS, NTP, syslog).
    pub not_applicable: usize,
}

/// A labelled conversation a scenario asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationUse {
    /// The name asked for.
    pub wanted: String,
    /// The name used (a fallback of the same labels when different); absent when no
    /// conversation had the labels and the sessions were left out.
    pub used: Option<String>,
    /// Protocol label.
    pub app: AppProto,
    /// Authentication label.
    pub auth: AuthClass,
    /// True when `used` is not `wanted`.
    pub fallback: bool,
}

/// Counts of a scenario too large to list flow by flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleSummary {
    /// Workloads (addresses) that appear.
    pub workloads: usize,
    /// Client workloads.
    pub clients: usize,
    /// Server workloads.
    pub servers: usize,
    /// Distinct services (server, transport, port).
    pub services: usize,
    /// Flows planned.
    pub flows: u64,
}
