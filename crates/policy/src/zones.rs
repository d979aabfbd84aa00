//! Zone proposal: workloads grouped by how they behave, with the inventory as hard constraints.
//!
//! 1. Workloads are taken per address (a server seen from several client VLANs is one host).
//!    Only legitimate behaviour counts: edges of lateral-movement and scan findings do not
//!    shape the zones.
//! 2. A host with an inventory zone is in that zone, whatever it does.
//! 3. The other hosts are grouped by subnet (the analysis' segment prefix). A subnet that holds
//!    only user endpoints, or only servers, is one zone: someone designed it. A subnet that
//!    mixes them (a flat network) is split into workstations and one zone per server role.
//!    Scanners always get a zone of their own, so that no neighbour's rule covers their
//!    probes.
//! 4. Zones smaller than `min_zone_size` join their most similar zone, and while there are
//!    more than `max_zones` the two most similar inferred zones merge. Similarity is the
//!    Jaccard index of what the members serve and call; ties break on names, so the result is
//!    the same for the same input.
//! 5. Names say what a zone holds and where: `workstations-10.10.10`, `postgresql-db-10.20.40`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use segscope_graph::{Analysis, FindingKind, Inventory, Role};
use serde::{Deserialize, Serialize};

use crate::ari::adjusted_rand_index;
use crate::model::{Member, Selector, Zone};

/// Granularity of the proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneOptions {
    /// Most zones (inventory, external and unassigned-internal zones count, but are never
    /// merged).
    pub max_zones: usize,
    /// Inferred zones with fewer hosts join their most similar zone.
    pub min_zone_size: usize,
}

impl Default for ZoneOptions {
    fn default() -> Self {
        ZoneOptions {
            max_zones: 32,
            min_zone_size: 1,
        }
    }
}

/// Where a zone comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// The inventory's `zone` column.
    Inventory,
    /// Inferred from behaviour.
    Behaviour,
    /// Addresses outside the organisation.
    External,
    /// The internal ranges no other zone claims: new internal hosts land here, denied
    /// everything until someone places them.
    Unassigned,
}

/// One host of a proposed zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneHost {
    /// Address.
    pub ip: IpAddr,
    /// Best name known.
    pub name: String,
    /// Role from the analysis.
    pub role: Role,
    /// Why it is in this zone.
    pub reason: String,
}

/// One proposed zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposedZone {
    /// Name.
    pub name: String,
    /// Inventory, behaviour or external.
    pub source: ZoneSource,
    /// What it holds.
    pub description: String,
    /// Prefixes it owns (new hosts there join it).
    pub subnets: Vec<IpNet>,
    /// Hosts seen, by address.
    pub hosts: Vec<ZoneHost>,
}

/// A host whose behaviour disagrees with its inventory zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// Address.
    pub ip: IpAddr,
    /// Name.
    pub name: String,
    /// Zone in the inventory.
    pub inventory_zone: String,
    /// The zone its behaviour alone would give it, and whose hosts it would join.
    pub behaves_like: String,
    /// The behaviour.
    pub reason: String,
}

/// How well behaviour alone reproduces the inventory's zones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Hosts with an inventory zone.
    pub hosts_with_inventory_zone: usize,
    /// Hosts seen without one (their zone is inferred).
    pub hosts_without_inventory_zone: usize,
    /// Adjusted Rand index between the inventory zones and the behaviour-only zones (1: same
    /// partition, 0: chance level).
    pub adjusted_rand_index: f64,
    /// Hosts grouped by behaviour with another inventory zone's hosts.
    pub disagreements: Vec<Disagreement>,
}

/// The proposal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneProposal {
    /// Options used.
    pub options: ZoneOptions,
    /// Zones, sorted by name.
    pub zones: Vec<ProposedZone>,
    /// Agreement with the inventory, when one gave zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
}

impl ZoneProposal {
    /// The zone of each host.
    pub fn zone_of_hosts(&self) -> BTreeMap<IpAddr, &str> {
        self.zones
            .iter()
            .flat_map(|z| z.hosts.iter().map(move |h| (h.ip, z.name.as_str())))
            .collect()
    }

    /// The zones as policy zones: each owned subnet and each host as members, with reasons.
    pub fn policy_zones(&self) -> Vec<Zone> {
        self.zones
            .iter()
            .map(|z| {
                let mut members: Vec<Member> = z
                    .subnets
                    .iter()
                    .map(|net| Member {
                        selector: Selector::Cidr(*net),
                        name: None,
                        reason: Some(match z.source {
                            ZoneSource::Inventory => format!("inventory: {net} is zone {}", z.name),
                            ZoneSource::External => {
                                "every address no other zone claims (the Internet)".to_owned()
                            }
                            ZoneSource::Unassigned => format!(
                                "internal range {net}: hosts outside every zone's subnets; no rule names this zone, so their traffic is denied until they are placed"
                            ),
                            ZoneSource::Behaviour => format!(
                                "subnet {net}: new hosts there join the zone holding most of its hosts"
                            ),
                        }),
                    })
                    .collect();
                if z.source != ZoneSource::External {
                    members.extend(z.hosts.iter().map(|h| Member {
                        selector: Selector::Ip(h.ip),
                        name: Some(h.name.clone()),
                        reason: Some(h.reason.clone()),
                    }));
                }
                Zone {
                    name: z.name.clone(),
                    description: z.description.clone(),
                    external: z.source == ZoneSource::External,
                    members,
                }
            })
            .collect()
    }
}

/// What the proposal knows of one address.
#[derive(Clone, Debug)]
struct Host {
    ip: IpAddr,
    name: String,
    role: Role,
    role_reason: String,
    external: bool,
    inventory_zone: Option<String>,
    inventory_origin: Vec<String>,
    subnet: IpNet,
    /// `serves:tcp/443`, `calls:tcp/5432`: the behaviour profile.
    profile: BTreeSet<String>,
    /// Main protocol of each service it serves.
    serves_apps: BTreeSet<String>,
}

/// Proposes zones for the workloads of `analysis`. `inventory` supplies the prefixes of
/// inventory zones (their hosts are found through the analysis' segments).
pub fn propose_zones(
    analysis: &Analysis,
    inventory: Option<&Inventory>,
    options: ZoneOptions,
) -> ZoneProposal {
    let hosts = collect_hosts(analysis);
    let constrained = group(&hosts, true, options);
    let agreement = hosts
        .values()
        .any(|h| h.inventory_zone.is_some())
        .then(|| agreement(&hosts, &group(&hosts, false, options)));
    let mut zones = finish(&hosts, &constrained, analysis);
    if let Some(inv) = inventory {
        for z in &mut zones {
            if z.source != ZoneSource::Inventory {
                continue;
            }
            z.subnets = inv
                .entries()
                .iter()
                .filter(|e| e.zone.as_deref() == Some(z.name.as_str()))
                .map(|e| e.cidr.trunc())
                .filter(|n| n.prefix_len() < n.max_prefix_len())
                .collect();
            z.subnets.sort();
            z.subnets.dedup();
        }
    }
    let claimed: BTreeSet<IpNet> = zones
        .iter()
        .flat_map(|z| z.subnets.iter().copied())
        .collect();
    let mut unassigned: Vec<IpNet> = segscope_graph::addr::DEFAULT_INTERNAL
        .iter()
        .filter_map(|s| s.parse::<IpNet>().ok())
        .chain(analysis.config.internal_ranges.iter().copied())
        .map(|n| n.trunc())
        .filter(|n| !claimed.contains(n))
        .collect();
    unassigned.sort();
    unassigned.dedup();
    if !unassigned.is_empty() {
        let mut name = UNASSIGNED.to_owned();
        while zones.iter().any(|z| z.name == name) {
            name.push('-');
            name.push('2');
        }
        zones.push(ProposedZone {
            name,
            source: ZoneSource::Unassigned,
            description: describe(&hosts, &BTreeSet::new(), ZoneSource::Unassigned),
            subnets: unassigned,
            hosts: Vec::new(),
        });
        zones.sort_by(|a, b| a.name.cmp(&b.name));
    }
    ZoneProposal {
        options,
        zones,
        agreement,
    }
}

/// Name of the zone of internal addresses no other zone claims.
pub const UNASSIGNED: &str = "unassigned-internal";

/// Edges of lateral-movement and scan findings: not behaviour a zone should be built on.
fn suspect_edges(analysis: &Analysis) -> BTreeSet<segscope_core::EdgeKey> {
    analysis
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::LateralMovement | FindingKind::Scan))
        .flat_map(|f| f.edges.iter().copied())
        .collect()
}

fn collect_hosts(analysis: &Analysis) -> BTreeMap<IpAddr, Host> {
    let excluded = suspect_edges(analysis);
    let cfg = &analysis.config;
    // One address may appear as several workloads (one per VLAN it was seen on).
    let mut keys: BTreeMap<IpAddr, Vec<&segscope_graph::Workload>> = BTreeMap::new();
    for w in &analysis.workloads {
        if w.is_internal() || w.role == Role::External {
            keys.entry(w.key.ip).or_default().push(w);
        }
    }
    let mut hosts: BTreeMap<IpAddr, Host> = BTreeMap::new();
    for (ip, ws) in keys {
        let Some(role_source) = host_role(&ws) else {
            continue;
        };
        let named = ws
            .iter()
            .max_by_key(|w| (w.names.len(), w.flows_in + w.flows_out))
            .copied()
            .unwrap_or(role_source);
        let inventory = ws.iter().find(|w| w.segment.starts_with("zone:"));
        hosts.insert(
            ip,
            Host {
                ip,
                name: named.display_name.clone(),
                role: role_source.role,
                role_reason: role_source.role_reason.clone(),
                external: !role_source.is_internal(),
                inventory_zone: inventory
                    .and_then(|w| w.segment.strip_prefix("zone:"))
                    .map(str::to_owned),
                inventory_origin: inventory.map(|w| w.inventory.clone()).unwrap_or_default(),
                subnet: prefix_of(ip, cfg.segment_prefix_v4, cfg.segment_prefix_v6),
                profile: BTreeSet::new(),
                serves_apps: BTreeSet::new(),
            },
        );
    }
    for e in &analysis.edges {
        if !e.is_service() || excluded.contains(&e.key) {
            continue;
        }
        let svc = format!("{}/{}", e.key.transport, e.key.port);
        if let Some(h) = hosts.get_mut(&e.key.server.ip) {
            h.profile.insert(format!("serves:{svc}"));
            h.serves_apps.insert(e.app.to_string());
        }
        if let Some(h) = hosts.get_mut(&e.key.client.ip) {
            h.profile.insert(format!("calls:{svc}"));
        }
    }
    hosts
}

/// The workload whose role speaks for an address seen as several workloads: a scanner
/// anywhere is a scanner; else the specific server role (database, web…) of the workload
/// most often called; else the role of the busiest workload. Generic roles (`server`,
/// `infrastructure`) come from a port or two being polled and do not outrank a workstation.
fn host_role<'a>(ws: &[&'a segscope_graph::Workload]) -> Option<&'a segscope_graph::Workload> {
    if let Some(s) = ws.iter().find(|w| w.role == Role::Scanner) {
        return Some(s);
    }
    let specific = |r: Role| is_server_role(r) && !matches!(r, Role::Server | Role::Infrastructure);
    ws.iter()
        .filter(|w| specific(w.role))
        .max_by_key(|w| (w.flows_in, std::cmp::Reverse(w.key)))
        .or_else(|| {
            ws.iter()
                .max_by_key(|w| (w.flows_in + w.flows_out, std::cmp::Reverse(w.key)))
        })
        .copied()
}

/// Hosts by group id; a group id is what the zone is before naming.
type Groups = BTreeMap<String, BTreeSet<IpAddr>>;

fn is_server_role(r: Role) -> bool {
    matches!(
        r,
        Role::DomainController
            | Role::DnsServer
            | Role::Database
            | Role::FileServer
            | Role::WebApp
            | Role::Infrastructure
            | Role::Management
            | Role::Server
    )
}

fn group(hosts: &BTreeMap<IpAddr, Host>, constrained: bool, options: ZoneOptions) -> Groups {
    let mut groups: Groups = BTreeMap::new();
    let mut by_subnet: BTreeMap<IpNet, Vec<&Host>> = BTreeMap::new();
    for h in hosts.values() {
        if h.external {
            groups
                .entry("external".to_owned())
                .or_default()
                .insert(h.ip);
        } else if let (true, Some(z)) = (constrained, &h.inventory_zone) {
            groups.entry(format!("inv:{z}")).or_default().insert(h.ip);
        } else {
            by_subnet.entry(h.subnet).or_default().push(h);
        }
    }
    for (subnet, members) in &by_subnet {
        // A subnet of servers with one odd host keeps it; several user endpoints beside
        // servers make a flat subnet, split by role.
        let clients = members
            .iter()
            .filter(|h| !is_server_role(h.role) && h.role != Role::Scanner)
            .count()
            >= 2;
        let servers = members.iter().any(|h| is_server_role(h.role));
        for h in members {
            let class = if h.role == Role::Scanner {
                "scanner".to_owned()
            } else if clients && servers {
                if is_server_role(h.role) {
                    format!("role-{}", h.role.as_str())
                } else {
                    "clients".to_owned()
                }
            } else {
                "all".to_owned()
            };
            groups
                .entry(format!("beh:{subnet}:{class}"))
                .or_default()
                .insert(h.ip);
        }
    }
    merge_small(&mut groups, hosts, options.min_zone_size);
    // One slot stays for the unassigned-internal zone.
    merge_many(&mut groups, hosts, options.max_zones.saturating_sub(1));
    groups
}

fn mergeable(id: &str) -> bool {
    id.starts_with("beh:")
}

fn profile(hosts: &BTreeMap<IpAddr, Host>, members: &BTreeSet<IpAddr>) -> BTreeSet<String> {
    members
        .iter()
        .filter_map(|ip| hosts.get(ip))
        .flat_map(|h| h.profile.iter().cloned())
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Moves the hosts of inferred groups smaller than `min` into their most similar group
/// (preferring the same subnet), smallest groups first.
fn merge_small(groups: &mut Groups, hosts: &BTreeMap<IpAddr, Host>, min: usize) {
    loop {
        let small = groups
            .iter()
            .filter(|(id, m)| mergeable(id) && m.len() < min)
            .min_by_key(|(id, m)| (m.len(), (*id).clone()))
            .map(|(id, _)| id.clone());
        let Some(small) = small else { return };
        let Some(members) = groups.remove(&small) else {
            return;
        };
        let mine = profile(hosts, &members);
        let subnet = small.split(':').nth(1).unwrap_or_default().to_owned();
        let target = groups
            .iter()
            .filter(|(id, _)| mergeable(id))
            .map(|(id, m)| {
                let same_subnet = id.split(':').nth(1) == Some(subnet.as_str());
                (same_subnet, jaccard(&mine, &profile(hosts, m)), id.clone())
            })
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(b.2.cmp(&a.2)))
            .map(|(_, _, id)| id);
        match target.and_then(|t| groups.get_mut(&t)) {
            Some(t) => t.extend(members),
            None => {
                groups.insert(small, members);
                return;
            }
        }
    }
}

/// Merges the two most similar inferred groups until at most `max` groups remain.
/// The kind of a group: `scanners`, `servers` when most of its hosts serve, else `clients`.
fn group_kind(hosts: &BTreeMap<IpAddr, Host>, members: &BTreeSet<IpAddr>) -> &'static str {
    let ms: Vec<&Host> = members.iter().filter_map(|ip| hosts.get(ip)).collect();
    if ms.iter().all(|h| h.role == Role::Scanner) {
        return "scanners";
    }
    let servers = ms.iter().filter(|h| is_server_role(h.role)).count();
    if servers * 2 > ms.len() {
        "servers"
    } else {
        "clients"
    }
}

fn merge_many(groups: &mut Groups, hosts: &BTreeMap<IpAddr, Host>, max: usize) {
    while groups.len() > max.max(1) {
        let ids: Vec<String> = groups.keys().filter(|id| mergeable(id)).cloned().collect();
        let profiles: Vec<BTreeSet<String>> = ids
            .iter()
            .map(|id| {
                groups
                    .get(id)
                    .map(|m| profile(hosts, m))
                    .unwrap_or_default()
            })
            .collect();
        let kinds: Vec<&str> = ids
            .iter()
            .map(|id| groups.get(id).map_or("", |m| group_kind(hosts, m)))
            .collect();
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                let (Some(a), Some(b)) = (profiles.get(i), profiles.get(j)) else {
                    continue;
                };
                // Zones of the same kind (user endpoints, servers, scanners) merge before
                // zones of different kinds; then the most similar.
                let same_kind = kinds.get(i) == kinds.get(j);
                let s = jaccard(a, b) + if same_kind { 1.0 } else { 0.0 };
                if best.is_none_or(|(bs, _, _)| s > bs) {
                    best = Some((s, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { return };
        let (Some(a), Some(b)) = (ids.get(i), ids.get(j)) else {
            return;
        };
        let Some(moved) = groups.remove(b) else {
            return;
        };
        if let Some(t) = groups.get_mut(a) {
            t.extend(moved);
        }
    }
}

fn agreement(hosts: &BTreeMap<IpAddr, Host>, behaviour: &Groups) -> Agreement {
    let zoned: Vec<&Host> = hosts
        .values()
        .filter(|h| h.inventory_zone.is_some())
        .collect();
    let group_of: BTreeMap<IpAddr, &str> = behaviour
        .iter()
        .flat_map(|(id, m)| m.iter().map(move |ip| (*ip, id.as_str())))
        .collect();
    let truth: Vec<&str> = zoned
        .iter()
        .map(|h| h.inventory_zone.as_deref().unwrap_or_default())
        .collect();
    let found: Vec<&str> = zoned
        .iter()
        .map(|h| group_of.get(&h.ip).copied().unwrap_or_default())
        .collect();
    // Counts of (behaviour group, inventory zone): a host disagrees when its inventory zone
    // is not the main one of its behaviour group, or its behaviour group is not the main one
    // of its inventory zone (a host split off on its own, like a scanner).
    let mut cells: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (t, f) in truth.iter().zip(&found) {
        *cells.entry((f, t)).or_default() += 1;
    }
    // The main partner of `key`: by group (flip false) its inventory zone, by inventory zone
    // (flip true) its group; ties go to the smaller name.
    let main_of = |flip: bool, key: &str| -> Option<String> {
        cells
            .iter()
            .map(|(&(g, z), n)| if flip { ((z, g), n) } else { ((g, z), n) })
            .filter(|((a, _), _)| *a == key)
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.1.cmp(x.0.1)))
            .map(|((_, b), _)| b.to_owned())
    };
    let mut disagreements = Vec::new();
    for ((h, f), t) in zoned.iter().zip(&found).zip(&truth) {
        let zone_of_group = main_of(false, f);
        let group_of_zone = main_of(true, t);
        if zone_of_group.as_deref() != Some(*t) || group_of_zone.as_deref() != Some(*f) {
            let label = behaviour
                .get(*f)
                .map(|m| behaviour_name(hosts, m))
                .unwrap_or_default();
            disagreements.push(Disagreement {
                ip: h.ip,
                name: h.name.clone(),
                inventory_zone: (*t).to_owned(),
                behaves_like: match zone_of_group {
                    Some(z) if z != *t => format!("{label} (with hosts of {z})"),
                    _ => label,
                },
                reason: format!("{} ({})", h.role.as_str(), h.role_reason),
            });
        }
    }
    Agreement {
        hosts_with_inventory_zone: zoned.len(),
        hosts_without_inventory_zone: hosts
            .values()
            .filter(|h| !h.external && h.inventory_zone.is_none())
            .count(),
        adjusted_rand_index: adjusted_rand_index(&truth, &found),
        disagreements,
    }
}

/// Names the groups, writes the reasons, assigns subnets.
fn finish(
    hosts: &BTreeMap<IpAddr, Host>,
    groups: &Groups,
    analysis: &Analysis,
) -> Vec<ProposedZone> {
    let mut named: Vec<(String, ZoneSource, &BTreeSet<IpAddr>)> = Vec::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for (id, members) in groups {
        let (base, source) = if let Some(z) = id.strip_prefix("inv:") {
            (z.to_owned(), ZoneSource::Inventory)
        } else if id == "external" {
            ("internet".to_owned(), ZoneSource::External)
        } else {
            (behaviour_name(hosts, members), ZoneSource::Behaviour)
        };
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        named.push((name, source, members));
    }
    let zone_of: BTreeMap<IpAddr, &str> = named
        .iter()
        .flat_map(|(n, _, m)| m.iter().map(move |ip| (*ip, n.as_str())))
        .collect();
    let links = links(analysis, &zone_of);
    // Subnets: each to the behaviour zone holding most of its hosts.
    let mut subnet_votes: BTreeMap<IpNet, BTreeMap<&str, usize>> = BTreeMap::new();
    for (name, source, members) in &named {
        if *source != ZoneSource::Behaviour {
            continue;
        }
        for ip in *members {
            if let Some(h) = hosts.get(ip) {
                *subnet_votes
                    .entry(h.subnet)
                    .or_default()
                    .entry(name)
                    .or_default() += 1;
            }
        }
    }
    let inventory_subnets: BTreeSet<IpNet> = hosts
        .values()
        .filter(|h| h.inventory_zone.is_some())
        .map(|h| h.subnet)
        .collect();
    let mut zones: Vec<ProposedZone> = named
        .iter()
        .map(|(name, source, members)| {
            let subnets: Vec<IpNet> = match source {
                ZoneSource::Unassigned => Vec::new(),
                ZoneSource::External => vec![
                    IpNet::V4(ipnet::Ipv4Net::default()),
                    IpNet::V6(ipnet::Ipv6Net::default()),
                ],
                ZoneSource::Inventory => members
                    .iter()
                    .filter_map(|ip| hosts.get(ip).map(|h| h.subnet))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                ZoneSource::Behaviour => subnet_votes
                    .iter()
                    .filter(|(net, _)| !inventory_subnets.contains(net))
                    .filter(|(_, votes)| {
                        votes
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                            .is_some_and(|(z, _)| z == name)
                    })
                    .map(|(net, _)| *net)
                    .collect(),
            };
            let zone_hosts = members
                .iter()
                .filter_map(|ip| hosts.get(ip))
                .map(|h| ZoneHost {
                    ip: h.ip,
                    name: h.name.clone(),
                    role: h.role,
                    reason: reason(h, *source, &links, members.len()),
                })
                .collect();
            ProposedZone {
                name: name.clone(),
                source: *source,
                description: describe(hosts, members, *source),
                subnets,
                hosts: zone_hosts,
            }
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    zones
}

fn describe(
    hosts: &BTreeMap<IpAddr, Host>,
    members: &BTreeSet<IpAddr>,
    source: ZoneSource,
) -> String {
    let mut roles: BTreeMap<&str, usize> = BTreeMap::new();
    for h in members.iter().filter_map(|ip| hosts.get(ip)) {
        *roles.entry(h.role.as_str()).or_default() += 1;
    }
    let roles: Vec<String> = roles.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let from = match source {
        ZoneSource::Inventory => "inventory zone",
        ZoneSource::Behaviour => "inferred from behaviour",
        ZoneSource::External => "addresses outside the organisation",
        ZoneSource::Unassigned => "internal addresses no zone claims",
    };
    format!("{from}: {}", roles.join(", "))
}

fn behaviour_name(hosts: &BTreeMap<IpAddr, Host>, members: &BTreeSet<IpAddr>) -> String {
    let ms: Vec<&Host> = members.iter().filter_map(|ip| hosts.get(ip)).collect();
    let roles: BTreeSet<Role> = ms.iter().map(|h| h.role).collect();
    let kind = if roles.iter().all(|r| *r == Role::Scanner) {
        "scanners".to_owned()
    } else if roles.iter().all(|r| !is_server_role(*r)) {
        if roles.contains(&Role::Workstation) {
            "workstations".to_owned()
        } else {
            "clients".to_owned()
        }
    } else if roles.iter().filter(|r| is_server_role(**r)).count() == 1 {
        let role = roles
            .iter()
            .copied()
            .find(|r| is_server_role(*r))
            .unwrap_or(Role::Server);
        let apps: BTreeSet<&str> = ms
            .iter()
            .flat_map(|h| h.serves_apps.iter().map(String::as_str))
            .filter(|a| *a != "unknown" && *a != "ssh" && *a != "snmp" && *a != "rdp")
            .collect();
        let single = (apps.len() == 1)
            .then(|| apps.iter().next().copied())
            .flatten();
        match (role, single) {
            (Role::Database, Some(app)) => format!("{app}-db"),
            (Role::Database, None) => "databases".to_owned(),
            (Role::WebApp, _) => {
                let web = ms.iter().any(|h| {
                    h.profile.contains("serves:tcp/80") || h.profile.contains("serves:tcp/443")
                });
                if web { "web" } else { "app" }.to_owned()
            }
            (Role::DomainController, _) => "domain-controllers".to_owned(),
            (Role::DnsServer, _) => "dns".to_owned(),
            (Role::FileServer, _) => "file-servers".to_owned(),
            (Role::Management, _) => "management".to_owned(),
            (Role::Infrastructure, _) => "infrastructure".to_owned(),
            _ => "servers".to_owned(),
        }
    } else {
        "servers".to_owned()
    };
    let nets: BTreeSet<IpNet> = ms.iter().map(|h| h.subnet).collect();
    format!("{kind}-{}", short_net(&nets))
}

/// `10.10.10` for 10.10.10.0/24, `10.20` for 10.20.0.0/16, `10.20.0.0-19` otherwise: the
/// smallest prefix covering all of `nets`; `N-subnets` when that prefix is wider than a /8
/// (a /16 for IPv6).
fn short_net(nets: &BTreeSet<IpNet>) -> String {
    let mut it = nets.iter();
    let Some(first) = it.next() else {
        return "none".to_owned();
    };
    let mut cover = *first;
    for n in it {
        while !cover.contains(n) {
            match cover.supernet() {
                Some(s) => cover = s,
                None => break,
            }
        }
    }
    let too_wide = match cover {
        IpNet::V4(n) => n.prefix_len() < 8,
        IpNet::V6(n) => n.prefix_len() < 16,
    };
    if too_wide {
        return format!("{}-subnets", nets.len());
    }
    match cover {
        IpNet::V4(v4) if v4.prefix_len() % 8 == 0 && v4.prefix_len() > 0 => {
            let octets = v4.network().octets();
            let keep = usize::from(v4.prefix_len() / 8);
            octets
                .iter()
                .take(keep)
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(".")
        }
        other => other
            .to_string()
            .replace([':', '/'], "-")
            .trim_matches('-')
            .to_owned(),
    }
}

/// Per host: services it serves (with the zones of its clients) and calls (with the zones
/// of the servers), over legitimate answered edges; built once for all reasons.
struct Links<'a> {
    served: BTreeMap<IpAddr, BTreeMap<String, BTreeSet<&'a str>>>,
    calls: BTreeMap<IpAddr, BTreeMap<String, BTreeSet<&'a str>>>,
}

fn links<'a>(analysis: &Analysis, zone_of: &BTreeMap<IpAddr, &'a str>) -> Links<'a> {
    let suspect = suspect_edges(analysis);
    let mut l = Links {
        served: BTreeMap::new(),
        calls: BTreeMap::new(),
    };
    for e in analysis
        .edges
        .iter()
        .filter(|e| e.is_service() && !suspect.contains(&e.key))
    {
        let svc = format!("{}/{}", e.key.transport, e.key.port);
        if let Some(z) = zone_of.get(&e.key.client.ip) {
            l.served
                .entry(e.key.server.ip)
                .or_default()
                .entry(svc.clone())
                .or_default()
                .insert(z);
        }
        if let Some(z) = zone_of.get(&e.key.server.ip) {
            l.calls
                .entry(e.key.client.ip)
                .or_default()
                .entry(svc)
                .or_default()
                .insert(z);
        }
    }
    l
}

fn reason(h: &Host, source: ZoneSource, links: &Links<'_>, size: usize) -> String {
    if source == ZoneSource::Inventory {
        return format!(
            "inventory zone {} ({})",
            h.inventory_zone.as_deref().unwrap_or_default(),
            h.inventory_origin.join(", ")
        );
    }
    let empty = BTreeMap::new();
    let served = links.served.get(&h.ip).unwrap_or(&empty);
    let calls = links.calls.get(&h.ip).unwrap_or(&empty);
    let list = |m: &BTreeMap<String, BTreeSet<&str>>| -> String {
        let mut parts: Vec<String> = m
            .iter()
            .take(4)
            .map(|(s, z)| {
                format!(
                    "{s} to zone {}",
                    z.iter().copied().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        if m.len() > 4 {
            parts.push(format!("{} more", m.len() - 4));
        }
        parts.join("; ")
    };
    let mut out = format!("{} ({})", h.role.as_str(), h.role_reason);
    if source == ZoneSource::External {
        return format!("outside the organisation; {out}");
    }
    if h.role == Role::Scanner {
        out.push_str("; kept apart so that no rule of its neighbours covers its probes");
    } else {
        out.push_str(&format!("; subnet {} ({size} hosts in the zone)", h.subnet));
    }
    if !served.is_empty() {
        out.push_str(&format!("; serves {}", list(served)));
    } else {
        out.push_str("; serves nothing observed");
    }
    if !calls.is_empty() {
        let called: Vec<String> = calls
            .iter()
            .take(4)
            .map(|(s, z)| {
                format!(
                    "{s} in {}",
                    z.iter().copied().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        out.push_str(&format!("; calls {}", called.join(", ")));
    }
    out
}

/// The prefix of `ip` with the given lengths (the analysis' segment prefixes).
pub fn prefix_of(ip: IpAddr, v4: u8, v6: u8) -> IpNet {
    IpNet::new(
        ip,
        if ip.is_ipv4() {
            v4.min(32)
        } else {
            v6.min(128)
        },
    )
    .map_or_else(|_| IpNet::from(ip), |n| n.trunc())
}
