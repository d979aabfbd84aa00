//! AWS security groups, one per internal zone, in the JSON shape of the EC2 API
//! (`DescribeSecurityGroups` output: `SecurityGroups[].IpPermissions[]`…), ready for
//! `aws ec2 authorize-security-group-ingress --ip-permissions`. Peers are the zones' effective
//! prefixes (a group id is unknown until the group exists). Egress lists only the allowed
//! traffic: the default allow-all egress rule of a new group must be revoked.

use serde::{Deserialize, Serialize};

use crate::export::addresses::effective_prefixes;
use crate::export::{ExportError, effective_allows};
use crate::model::{ANY_ZONE, Policy, Rule};

/// The document: what `aws ec2 describe-security-groups` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroups {
    /// The groups.
    pub security_groups: Vec<SecurityGroup>,
}

/// One security group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    /// Name.
    pub group_name: String,
    /// Description (ASCII, at most 255 characters).
    pub description: String,
    /// Inbound rules.
    pub ip_permissions: Vec<IpPermission>,
    /// Outbound rules.
    pub ip_permissions_egress: Vec<IpPermission>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// One permission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    pub ip_protocol: String,
    /// First port (ICMP: type).
    pub from_port: i32,
    /// Last port (ICMP: code, -1 for any).
    pub to_port: i32,
    /// IPv4 peers.
    pub ip_ranges: Vec<IpRange>,
    /// IPv6 peers.
    pub ipv6_ranges: Vec<Ipv6Range>,
}

/// An IPv4 peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    /// The prefix.
    pub cidr_ip: String,
    /// The rule id.
    pub description: String,
}

/// An IPv6 peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    /// The prefix.
    pub cidr_ipv6: String,
    /// The rule id.
    pub description: String,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

fn permission(r: &Rule, peers: &[ipnet::IpNet]) -> IpPermission {
    let s = r.service;
    let (proto, from, to) = match s.transport {
        segscope_core::Transport::TCP => ("tcp".to_owned(), i32::from(s.lo), i32::from(s.hi)),
        segscope_core::Transport::UDP => ("udp".to_owned(), i32::from(s.lo), i32::from(s.hi)),
        segscope_core::Transport::ICMP => ("icmp".to_owned(), i32::from(s.lo), -1),
        segscope_core::Transport::ICMPV6 => ("icmpv6".to_owned(), i32::from(s.lo), -1),
        other => (other.0.to_string(), i32::from(s.lo), i32::from(s.hi)),
    };
    let description: String =
        r.id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c))
            .take(255)
            .collect();
    IpPermission {
        ip_protocol: proto,
        from_port: from,
        to_port: to,
        ip_ranges: peers
            .iter()
            .filter(|n| matches!(n, ipnet::IpNet::V4(_)))
            .map(|n| IpRange {
                cidr_ip: n.to_string(),
                description: description.clone(),
            })
            .collect(),
        ipv6_ranges: peers
            .iter()
            .filter(|n| matches!(n, ipnet::IpNet::V6(_)))
            .map(|n| Ipv6Range {
                cidr_ipv6: n.to_string(),
                description: description.clone(),
            })
            .collect(),
    }
}

/// The security groups of `policy`, one per internal zone.
pub fn to_security_groups(policy: &Policy) -> Result<SecurityGroups, ExportError> {
    let allows = effective_allows(policy, "aws")?;
    let prefixes = effective_prefixes(policy);
    let any: Vec<ipnet::IpNet> = vec![
        ipnet::IpNet::V4(ipnet::Ipv4Net::default()),
        ipnet::IpNet::V6(ipnet::Ipv6Net::default()),
    ];
    let peers = |zone: &str| -> Vec<ipnet::IpNet> {
        if zone == ANY_ZONE {
            return any.clone();
        }
        prefixes.get(zone).cloned().unwrap_or_default()
    };
    let mut groups = Vec::new();
    for z in policy.zones.iter().filter(|z| !z.external) {
        let ingress = allows
            .iter()
            .filter(|r| r.to == z.name || r.to == ANY_ZONE)
            .map(|r| permission(r, &peers(&r.from)))
            .filter(|p| !p.ip_ranges.is_empty() || !p.ipv6_ranges.is_empty())
            .collect();
        let egress = allows
            .iter()
            .filter(|r| r.from == z.name || r.from == ANY_ZONE)
            .map(|r| permission(r, &peers(&r.to)))
            .filter(|p| !p.ip_ranges.is_empty() || !p.ipv6_ranges.is_empty())
            .collect();
        let description: String = format!("segscope policy {} zone {}", policy.name, z.name)
            .chars()
            .filter(char::is_ascii)
            .take(255)
            .collect();
        groups.push(SecurityGroup {
            group_name: format!("{}-{}", policy.name, z.name),
            description,
            ip_permissions: ingress,
            ip_permissions_egress: egress,
            tags: vec![
                Tag {
                    key: "segscope:policy".to_owned(),
                    value: policy.name.clone(),
                },
                Tag {
                    key: "segscope:zone".to_owned(),
                    value: z.name.clone(),
                },
            ],
        });
    }
    Ok(SecurityGroups {
        security_groups: groups,
    })
}

/// The groups as pretty JSON.
pub fn to_json(policy: &Policy) -> Result<String, ExportError> {
    serde_json::to_string_pretty(&to_security_groups(policy)?).map_err(|e| ExportError {
        format: "aws",
        message: e.to_string(),
    })
}
