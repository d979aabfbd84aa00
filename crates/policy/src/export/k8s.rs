//! Kubernetes NetworkPolicy (networking.k8s.io/v1), built with the k8s-openapi types.
//!
//! One NetworkPolicy per internal zone, selecting the zone's pods (by the zone's label member
//! when it has one, else by `segscope.io/zone: ZONE`) for both ingress and egress, so that
//! everything not listed is denied both ways. Peers are pod selectors for label zones and
//! ipBlocks (the zone's effective prefixes) otherwise. NetworkPolicy cannot match ICMP; ICMP
//! rules are left out (so denied) and named in the `segscope.io/not-expressed` annotation.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::export::addresses::effective_prefixes;
use crate::export::{ExportError, ZONE_LABEL, effective_allows, l4_upper};
use crate::model::{ANY_ZONE, Policy, Rule, Selector, Zone};

/// The labels that select a zone's workloads.
pub fn zone_labels(z: &Zone) -> BTreeMap<String, String> {
    let label_members: Vec<&BTreeMap<String, String>> = z
        .members
        .iter()
        .filter_map(|m| match &m.selector {
            Selector::Labels(l) => Some(l),
            _ => None,
        })
        .collect();
    match label_members.as_slice() {
        [only] if z.members.len() == 1 => (*only).clone(),
        _ => BTreeMap::from([(ZONE_LABEL.to_owned(), z.name.clone())]),
    }
}

/// True when the zone is defined by labels only (its peers are pods, not addresses).
fn label_zone(z: &Zone) -> bool {
    z.members
        .iter()
        .all(|m| matches!(m.selector, Selector::Labels(_)))
}

fn peers(
    policy: &Policy,
    zone: &str,
    prefixes: &BTreeMap<String, Vec<ipnet::IpNet>>,
) -> Option<Vec<NetworkPolicyPeer>> {
    if zone == ANY_ZONE {
        return None;
    }
    let z = policy.zones.iter().find(|z| z.name == zone)?;
    if label_zone(z) {
        return Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            pod_selector: Some(LabelSelector {
                match_labels: Some(zone_labels(z)),
                ..LabelSelector::default()
            }),
            ..NetworkPolicyPeer::default()
        }]);
    }
    Some(
        prefixes
            .get(zone)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|n| NetworkPolicyPeer {
                ip_block: Some(IPBlock {
                    cidr: n.to_string(),
                    except: None,
                }),
                ..NetworkPolicyPeer::default()
            })
            .collect(),
    )
}

fn port(r: &Rule) -> Option<NetworkPolicyPort> {
    let protocol = l4_upper(r.service.transport)?;
    Some(NetworkPolicyPort {
        protocol: Some(protocol.to_owned()),
        port: Some(IntOrString::Int(i32::from(r.service.lo))),
        end_port: (r.service.hi > r.service.lo).then_some(i32::from(r.service.hi)),
    })
}

/// The NetworkPolicies of `policy`, one per internal zone.
pub fn to_network_policies(policy: &Policy) -> Result<Vec<NetworkPolicy>, ExportError> {
    let allows = effective_allows(policy, "kubernetes")?;
    let prefixes = effective_prefixes(policy);
    let mut out = Vec::new();
    for z in policy.zones.iter().filter(|z| !z.external) {
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        let mut skipped = Vec::new();
        for r in &allows {
            let applies_in = r.to == z.name || r.to == ANY_ZONE;
            let applies_out = r.from == z.name || r.from == ANY_ZONE;
            if !applies_in && !applies_out {
                continue;
            }
            let Some(p) = port(r) else {
                skipped.push(r.id.clone());
                continue;
            };
            if applies_in {
                ingress.push(NetworkPolicyIngressRule {
                    from: peers(policy, &r.from, &prefixes),
                    ports: Some(vec![p.clone()]),
                });
            }
            if applies_out {
                egress.push(NetworkPolicyEgressRule {
                    to: peers(policy, &r.to, &prefixes),
                    ports: Some(vec![p]),
                });
            }
        }
        let mut annotations =
            BTreeMap::from([("segscope.io/policy".to_owned(), policy.name.clone())]);
        if !skipped.is_empty() {
            skipped.sort();
            skipped.dedup();
            annotations.insert("segscope.io/not-expressed".to_owned(), skipped.join(","));
        }
        out.push(NetworkPolicy {
            metadata: ObjectMeta {
                name: Some(
                    format!("{}-{}", policy.name, z.name)
                        .chars()
                        .take(253)
                        .collect(),
                ),
                labels: Some(BTreeMap::from([(ZONE_LABEL.to_owned(), z.name.clone())])),
                annotations: Some(annotations),
                ..ObjectMeta::default()
            },
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector {
                    match_labels: Some(zone_labels(z)),
                    ..LabelSelector::default()
                }),
                policy_types: Some(vec!["Ingress".to_owned(), "Egress".to_owned()]),
                ingress: Some(ingress),
                egress: Some(egress),
            }),
        });
    }
    Ok(out)
}

/// The NetworkPolicies as a multi-document YAML stream.
pub fn to_yaml(policy: &Policy) -> Result<String, ExportError> {
    let mut out = String::new();
    for np in to_network_policies(policy)? {
        let doc = serde_saphyr::to_string(&np).map_err(|e| ExportError {
            format: "kubernetes",
            message: e.to_string(),
        })?;
        out.push_str("---\n");
        out.push_str(&doc);
    }
    Ok(out)
}
