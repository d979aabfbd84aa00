//! CiliumNetworkPolicy (cilium.io/v2): one per internal zone, selecting the zone's endpoints
//! for ingress and egress (Cilium then denies everything else in both directions). Peers are
//! endpoint selectors for label zones and CIDR sets otherwise; ICMP rules use Cilium's `icmps`
//! field. Field names follow the CRD (`endpointSelector`, `fromCIDRSet`, `toPorts`…).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::export::addresses::effective_prefixes;
use crate::export::k8s::zone_labels;
use crate::export::{ExportError, effective_allows, l4_upper};
use crate::model::{ANY_ZONE, Policy, Rule, Selector};

/// A CiliumNetworkPolicy object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumNetworkPolicy {
    /// `cilium.io/v2`.
    pub api_version: String,
    /// `CiliumNetworkPolicy`.
    pub kind: String,
    /// Name and labels.
    pub metadata: Metadata,
    /// The rule.
    pub spec: CiliumSpec,
}

/// Object metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// A label selector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSelector {
    /// Labels that must all match.
    pub match_labels: BTreeMap<String, String>,
}

/// The policy spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumSpec {
    /// Endpoints the policy applies to.
    pub endpoint_selector: EndpointSelector,
    /// Allowed incoming traffic (an empty list denies all ingress).
    pub ingress: Vec<CiliumRule>,
    /// Allowed outgoing traffic (an empty list denies all egress).
    pub egress: Vec<CiliumRule>,
}

/// A CIDR peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CidrRule {
    /// The prefix.
    pub cidr: String,
}

/// One allow rule, for either direction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CiliumRule {
    /// Ingress peers by label.
    #[serde(
        rename = "fromEndpoints",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub from_endpoints: Option<Vec<EndpointSelector>>,
    /// Ingress peers by prefix.
    #[serde(
        rename = "fromCIDRSet",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub from_cidr_set: Option<Vec<CidrRule>>,
    /// Egress peers by label.
    #[serde(
        rename = "toEndpoints",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub to_endpoints: Option<Vec<EndpointSelector>>,
    /// Egress peers by prefix.
    #[serde(rename = "toCIDRSet", skip_serializing_if = "Option::is_none", default)]
    pub to_cidr_set: Option<Vec<CidrRule>>,
    /// Ports.
    #[serde(rename = "toPorts", skip_serializing_if = "Option::is_none", default)]
    pub to_ports: Option<Vec<PortRule>>,
    /// ICMP types.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub icmps: Option<Vec<IcmpRule>>,
}

/// Ports of a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortRule {
    /// The ports.
    pub ports: Vec<PortProtocol>,
}

/// A port or port range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortProtocol {
    /// First port, as a string (the CRD's type).
    pub port: String,
    /// Last port of a range.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub end_port: Option<u16>,
    /// `TCP`, `UDP`, `SCTP`.
    pub protocol: String,
}

/// ICMP types of a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IcmpRule {
    /// The types.
    pub fields: Vec<IcmpField>,
}

/// One ICMP type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IcmpField {
    /// `IPv4` or `IPv6`.
    pub family: String,
    /// The type number.
    #[serde(rename = "type")]
    pub icmp_type: u16,
}

enum Peer {
    Any,
    Endpoints(Vec<EndpointSelector>),
    Cidrs(Vec<CidrRule>),
}

fn peer(policy: &Policy, zone: &str, prefixes: &BTreeMap<String, Vec<ipnet::IpNet>>) -> Peer {
    if zone == ANY_ZONE {
        return Peer::Any;
    }
    match policy.zones.iter().find(|z| z.name == zone) {
        Some(z)
            if z.members
                .iter()
                .all(|m| matches!(m.selector, Selector::Labels(_))) =>
        {
            Peer::Endpoints(vec![EndpointSelector {
                match_labels: zone_labels(z),
            }])
        }
        _ => Peer::Cidrs(
            prefixes
                .get(zone)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|n| CidrRule {
                    cidr: n.to_string(),
                })
                .collect(),
        ),
    }
}

fn ports(r: &Rule) -> (Option<Vec<PortRule>>, Option<Vec<IcmpRule>>) {
    let s = r.service;
    if let Some(protocol) = l4_upper(s.transport) {
        let p = PortProtocol {
            port: s.lo.to_string(),
            end_port: (s.hi > s.lo).then_some(s.hi),
            protocol: protocol.to_owned(),
        };
        return (Some(vec![PortRule { ports: vec![p] }]), None);
    }
    let family = if s.transport == segscope_core::Transport::ICMPV6 {
        "IPv6"
    } else {
        "IPv4"
    };
    let fields = (s.lo..=s.hi)
        .map(|t| IcmpField {
            family: family.to_owned(),
            icmp_type: t,
        })
        .collect();
    (None, Some(vec![IcmpRule { fields }]))
}

/// The CiliumNetworkPolicies of `policy`, one per internal zone.
pub fn to_cilium(policy: &Policy) -> Result<Vec<CiliumNetworkPolicy>, ExportError> {
    let allows = effective_allows(policy, "cilium")?;
    let prefixes = effective_prefixes(policy);
    let mut out = Vec::new();
    for z in policy.zones.iter().filter(|z| !z.external) {
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        for r in &allows {
            let (to_ports, icmps) = ports(r);
            if r.to == z.name || r.to == ANY_ZONE {
                let mut rule = CiliumRule {
                    to_ports: to_ports.clone(),
                    icmps: icmps.clone(),
                    ..CiliumRule::default()
                };
                match peer(policy, &r.from, &prefixes) {
                    Peer::Any => rule.from_cidr_set = Some(all_addresses()),
                    Peer::Endpoints(e) => rule.from_endpoints = Some(e),
                    Peer::Cidrs(c) => rule.from_cidr_set = Some(c),
                }
                ingress.push(rule);
            }
            if r.from == z.name || r.from == ANY_ZONE {
                let mut rule = CiliumRule {
                    to_ports,
                    icmps,
                    ..CiliumRule::default()
                };
                match peer(policy, &r.to, &prefixes) {
                    Peer::Any => rule.to_cidr_set = Some(all_addresses()),
                    Peer::Endpoints(e) => rule.to_endpoints = Some(e),
                    Peer::Cidrs(c) => rule.to_cidr_set = Some(c),
                }
                egress.push(rule);
            }
        }
        out.push(CiliumNetworkPolicy {
            api_version: "cilium.io/v2".to_owned(),
            kind: "CiliumNetworkPolicy".to_owned(),
            metadata: Metadata {
                name: format!("{}-{}", policy.name, z.name),
                labels: BTreeMap::from([(crate::export::ZONE_LABEL.to_owned(), z.name.clone())]),
            },
            spec: CiliumSpec {
                endpoint_selector: EndpointSelector {
                    match_labels: zone_labels(z),
                },
                ingress,
                egress,
            },
        });
    }
    Ok(out)
}

fn all_addresses() -> Vec<CidrRule> {
    vec![
        CidrRule {
            cidr: "0.0.0.0/0".to_owned(),
        },
        CidrRule {
            cidr: "::/0".to_owned(),
        },
    ]
}

/// The policies as a multi-document YAML stream.
pub fn to_yaml(policy: &Policy) -> Result<String, ExportError> {
    let mut out = String::new();
    for p in to_cilium(policy)? {
        let doc = serde_saphyr::to_string(&p).map_err(|e| ExportError {
            format: "cilium",
            message: e.to_string(),
        })?;
        out.push_str("---\n");
        out.push_str(&doc);
    }
    Ok(out)
}
