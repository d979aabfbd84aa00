//! The policy as plain data: what `policy.yaml` holds (schema [`SCHEMA`]).
//!
//! A policy is default deny in both directions: traffic between two zones, and between two
//! workloads of the same zone, passes only when an allow rule names the client zone, the
//! server zone and the service. Rules are stateful (replies of an allowed connection pass) and
//! their order does not matter: an explicit deny beats any allow, whatever its position.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use segscope_core::{FlowRef, Timestamp};
use segscope_rules::PortSpec;
use serde::{Deserialize, Serialize};

/// Schema id written in every policy file. Bumped on any incompatible change.
pub const SCHEMA: &str = "segscope.policy/1";

/// The zone name that matches any zone in a rule (`from: "*"`).
pub const ANY_ZONE: &str = "*";

/// A default-deny segmentation policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// [`SCHEMA`].
    pub schema: String,
    /// Short name of the policy (used to name exported objects).
    pub name: String,
    /// What the policy is for, who wrote it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What traffic no rule matches gets. `deny` for a segmentation policy.
    #[serde(default)]
    pub default_action: Action,
    /// How the policy was produced, when segscope proposed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Provenance>,
    /// The zones, each a named set of workloads.
    pub zones: Vec<Zone>,
    /// The rules. Order does not matter.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Observed traffic the proposal deliberately does not allow, with the findings behind it,
    /// so that a reviewer sees what enforcement will stop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_by_design: Vec<DeniedTraffic>,
}

/// Where a proposed policy came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Tool and version.
    pub by: String,
    /// Captures or interfaces the traffic came from.
    #[serde(default)]
    pub from: Vec<String>,
    /// First packet seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// Last packet seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Inventory used as hard constraints, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
}

/// Allow or deny.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let the traffic pass.
    Allow,
    /// Drop the traffic.
    #[default]
    Deny,
}

impl Action {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

/// A named set of workloads that share one policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Name: lowercase letters, digits, `-`, `_` and `.` (it becomes a label value, an nftables
    /// set name and a security group name).
    pub name: String,
    /// What the zone holds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Outside the organisation (the Internet): exports express it as address blocks only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// Who belongs to it.
    pub members: Vec<Member>,
}

/// One way of belonging to a zone: an address, a prefix or a set of labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// What matches.
    #[serde(flatten)]
    pub selector: Selector,
    /// Workload name, for readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why it is in this zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a member matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selector {
    /// One address.
    Ip(IpAddr),
    /// A prefix (`10.20.0.0/16`).
    Cidr(IpNet),
    /// Every workload carrying all these labels (from the inventory, or pod labels).
    Labels(BTreeMap<String, String>),
}

impl Selector {
    /// The prefix an address or prefix member covers (`None` for labels).
    pub fn net(&self) -> Option<IpNet> {
        match self {
            Selector::Ip(ip) => Some(IpNet::from(*ip)),
            Selector::Cidr(net) => Some(net.trunc()),
            Selector::Labels(_) => None,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Ip(ip) => write!(f, "{ip}"),
            Selector::Cidr(net) => write!(f, "{net}"),
            Selector::Labels(l) => {
                let parts: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "labels({})", parts.join(","))
            }
        }
    }
}

/// Why a rule exists.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Business traffic between workloads.
    #[default]
    Service,
    /// Shared infrastructure that must keep working (DNS, NTP, DHCP, Kerberos/LDAP to domain
    /// controllers, monitoring).
    Infrastructure,
    /// Administration over the legitimate admin path.
    Admin,
}

impl RuleKind {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Service => "service",
            RuleKind::Infrastructure => "infrastructure",
            RuleKind::Admin => "admin",
        }
    }
}

/// One rule: client zone → server zone on a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, cited by audit verdicts.
    pub id: String,
    /// Allow or deny.
    #[serde(default = "allow")]
    pub action: Action,
    /// Client zone, or `*`.
    pub from: String,
    /// Server zone, or `*`.
    pub to: String,
    /// Transport and server port or port range (`tcp/443`, `tcp/5985-5986`, `udp/53`).
    pub service: PortSpec,
    /// Why the rule exists.
    #[serde(default)]
    pub kind: RuleKind,
    /// For infrastructure rules: which infrastructure (`dns`, `kerberos to domain controller`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure: Option<String>,
    /// Free comment for reviewers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// The observed traffic that justifies the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<RuleEvidence>,
}

fn allow() -> Action {
    Action::Allow
}

impl Rule {
    /// True when the rule applies to traffic from zone `from` to zone `to` on this service.
    pub fn matches(&self, from: &str, to: &str, service: (segscope_core::Transport, u16)) -> bool {
        (self.from == ANY_ZONE || self.from == from)
            && (self.to == ANY_ZONE || self.to == to)
            && self.service.contains(service.0, service.1)
    }
}

/// The observed flows behind a rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEvidence {
    /// Host-level edges (client, server, service) the rule covers.
    pub edges: u64,
    /// Flows on them.
    pub flows: u64,
    /// Distinct clients.
    pub clients: u64,
    /// Distinct servers.
    pub servers: u64,
    /// Protocols seen, with flow counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub apps: BTreeMap<String, u64>,
    /// First flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// Last flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// A few flows to open in Wireshark, Zeek or Suricata output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example_flows: Vec<FlowRef>,
}

/// Observed traffic that the policy deliberately blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeniedTraffic {
    /// Why: `lateral_movement`, `scan`, `cleartext_admin`, `unanswered`, `ephemeral_port`,
    /// `unzoned`.
    pub reason: String,
    /// Finding ids behind it (`LM-…`, `SCAN-…`), when there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// What a reviewer reads.
    pub summary: String,
    /// Client zone.
    pub from: String,
    /// Server zone.
    pub to: String,
    /// Flows concerned.
    pub flows: u64,
    /// Host-level edges, as `CLIENT -> SERVER tcp/PORT`.
    pub edges: Vec<String>,
    /// A few flows as evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example_flows: Vec<FlowRef>,
}
