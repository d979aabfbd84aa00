//! [`analyze`]: edges and names in, [`Analysis`] out.
//!
//! Stages, each at most O(E log E) in the number of edges: workloads (inventory, names,
//! segment), edges (status, admin service), scan detection, role inference, infrastructure and
//! admin-path marking, segments, then metrics, findings and blast radius over a [`View`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use segscope_core::edge::EdgeSet;
use segscope_core::edge::NameBinding;
use segscope_core::{AppProto, Edge, EdgeKey, NameSource, Transport, WorkloadKey};
use segscope_rules::findings::{FindingKind, FindingRules, Role};

use crate::addr::{AddressScope, AddressSpace, prefix_of};
use crate::analysis::{Analysis, AnalysisInputs, Coverage, Exclusion, SCHEMA};
use crate::config::AnalysisConfig;
use crate::edge::{AnalyzedEdge, EdgeStatus};
use crate::findings::{self, scan};
use crate::inventory::Inventory;
use crate::metrics::{authn, encryption, segmentation};
use crate::names;
use crate::roles::{self, Behaviour, Served};
use crate::segment::{Segment, SegmentSource};
use crate::view::View;
use crate::workload::{CriticalMark, CriticalSource, RoleSource, ServedService, Workload};
use crate::{blast, enforcement};

/// Where a server's VLAN tag only says where the capture saw its clients.
///
/// A flow carries the VLAN it was captured on. For routed traffic seen on the client's side
/// of a router that is the client's VLAN, not the server's, and keying the server by it would
/// split one server into a workload per client VLAN. So a server key is re-homed when its
/// address never originates traffic on that VLAN and each of its clients originates on one
/// VLAN only (a client seen on several VLANs points to overlapping address spaces instead):
/// to the one VLAN on which the address does originate traffic, or to no VLAN when it
/// originates on none. Addresses that originate on several VLANs keep their keys.
fn place_routed_servers(edges: BTreeMap<EdgeKey, Edge>) -> BTreeMap<EdgeKey, Edge> {
    let mut origin_vlans: BTreeMap<IpAddr, BTreeSet<Option<u16>>> = BTreeMap::new();
    for k in edges.keys() {
        origin_vlans
            .entry(k.client.ip)
            .or_default()
            .insert(k.client.vlan);
    }
    let mut overlapping: BTreeSet<WorkloadKey> = BTreeSet::new();
    for k in edges.keys() {
        if origin_vlans.get(&k.client.ip).is_some_and(|v| v.len() > 1) {
            overlapping.insert(k.server);
        }
    }
    let home = |server: WorkloadKey| -> WorkloadKey {
        let vlans = origin_vlans.get(&server.ip);
        if server.vlan.is_none()
            || vlans.is_some_and(|v| v.contains(&server.vlan))
            || overlapping.contains(&server)
        {
            return server;
        }
        match vlans.map(|v| v.iter().collect::<Vec<_>>()).as_deref() {
            None | Some([]) => WorkloadKey {
                ip: server.ip,
                vlan: None,
            },
            Some([only]) => WorkloadKey {
                ip: server.ip,
                vlan: **only,
            },
            Some(_) => server,
        }
    };
    let mut placed: BTreeMap<EdgeKey, Edge> = BTreeMap::new();
    for (mut k, e) in edges {
        k.server = home(k.server);
        match placed.entry(k) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(e);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(&e),
        }
    }
    placed
}

/// Analyses an edge set: workloads, edges, segments, metrics, findings and blast radius.
///
/// Takes the set by value because the analysis keeps its edges (clone it first if the caller
/// still needs it). Deterministic: the same edges and inputs give the same analysis, byte for
/// byte once serialised, whatever order the edges were merged in.
pub fn analyze(set: EdgeSet, inputs: &AnalysisInputs) -> Analysis {
    let AnalysisInputs {
        protocols,
        rules,
        inventory,
        config,
    } = inputs;
    let space = AddressSpace::new(&config.internal_ranges);
    let edge_map = place_routed_servers(set.edges);
    let EdgeSet {
        edges: _,
        names: name_map,
        first_ts,
        last_ts,
        sources,
        opaque_flows,
        opaque_bytes,
        total_bytes,
    } = set;

    let mut keys: Vec<WorkloadKey> = Vec::with_capacity(edge_map.len().min(1 << 20));
    for k in edge_map.keys() {
        keys.push(k.client);
        keys.push(k.server);
    }
    keys.sort_unstable();
    keys.dedup();
    let mut by_ip: BTreeMap<IpAddr, Vec<&NameBinding>> = BTreeMap::new();
    for b in name_map.values() {
        by_ip.entry(b.ip).or_default().push(b);
    }
    let mut workloads: Vec<Workload> = keys
        .iter()
        .map(|k| {
            base_workload(
                *k,
                &space,
                inventory,
                config,
                by_ip.get(&k.ip).map_or(&[][..], Vec::as_slice),
            )
        })
        .collect();

    let mut edges: Vec<AnalyzedEdge> = Vec::with_capacity(edge_map.len());
    let mut ends: Vec<(usize, usize)> = Vec::with_capacity(edge_map.len());
    for (key, edge) in edge_map {
        let c = keys.binary_search(&key.client).unwrap_or_default();
        let s = keys.binary_search(&key.server).unwrap_or_default();
        let (Some(cw), Some(sw)) = (workloads.get(c), workloads.get(s)) else {
            continue;
        };
        edges.push(analyzed_edge(key, edge, cw, sw, inputs));
        ends.push((c, s));
    }

    let hits = scan::detect(&edges, &ends, &workloads, protocols, rules);
    assign_roles(&mut workloads, &edges, &ends, &hits, inputs);
    mark_edges(&mut edges, &ends, &workloads, inputs);
    mark_critical_and_admin(&mut workloads, rules, config);
    fill_services(&mut workloads, &edges, &ends);
    let segments = build_segments(&workloads, &edges, &ends, config);

    let coverage = Coverage {
        first_ts,
        last_ts,
        duration_seconds: match (first_ts, last_ts) {
            (Some(a), Some(b)) => b.since(a).as_secs_f64(),
            _ => 0.0,
        },
        vantage_points: sources.into_iter().collect(),
        total_bytes,
        opaque_bytes,
        opaque_flows,
        opaque_bytes_share: (total_bytes > 0).then(|| opaque_bytes as f64 / total_bytes as f64),
        active_segments: segments.iter().filter(|s| s.active).count() as u32,
        segments_with_intra_traffic: segments
            .iter()
            .filter(|s| s.intra_segment_visible)
            .map(|s| s.id.to_string())
            .collect(),
    };
    let exclusions = exclusions(&edges, &ends, &workloads);

    let view = View::new(&workloads, &edges, &segments, rules, &coverage);
    let pairs = segmentation::segment_pairs(&view);
    let zones = enforcement::zones(&view);
    let critical_assets = segmentation::critical_assets(&view, &zones);
    let tunnels = segmentation::tunnels(&view);
    let s1 = segmentation::s1(&view, &pairs);
    let s2 = segmentation::s2(&view, &pairs);
    let [s3a, s3b, s3c] = segmentation::s3(&view);
    let s4 = enforcement::s4(&view, &zones);
    let s5 = segmentation::s5(&view, &tunnels);
    let s6 = segmentation::s6(&view, &critical_assets);

    let mut all_findings = findings::lateral::findings(&view);
    all_findings.extend(findings::scan::findings(&view, &hits));
    all_findings.extend(findings::exposure::findings(
        &view,
        FindingKind::CleartextCredentials,
    ));
    all_findings.extend(findings::exposure::findings(
        &view,
        FindingKind::UnauthenticatedService,
    ));
    all_findings.extend(findings::flat::findings(&view, &s1, &s3a, &pairs, &zones));
    all_findings.extend(findings::weak::findings(&view));
    findings::sort(&mut all_findings);

    let mut metrics = vec![s1, s2, s3a, s3b, s3c, s4, s5, s6];
    metrics.extend(encryption::metrics(&view, &all_findings));
    metrics.extend(authn::metrics(&view));
    let blast_radius = blast::compute(&view);
    drop(view);

    Analysis {
        schema: SCHEMA.to_owned(),
        coverage,
        config: config.clone(),
        workloads,
        edges,
        segments,
        segment_pairs: pairs,
        zones,
        critical_assets,
        tunnels,
        metrics,
        findings: all_findings,
        blast_radius,
        exclusions,
    }
}

fn base_workload(
    key: WorkloadKey,
    space: &AddressSpace,
    inventory: &Inventory,
    config: &AnalysisConfig,
    bindings: &[&NameBinding],
) -> Workload {
    let scope = space.scope(key.ip);
    let inv = inventory.resolve(key);
    let facts = names::facts(bindings);
    let (segment, segment_source) = if let Some(zone) = &inv.zone {
        (format!("zone:{zone}"), SegmentSource::InventoryZone)
    } else if scope == AddressScope::External {
        ("external".to_owned(), SegmentSource::External)
    } else if scope.is_group() {
        ("multicast".to_owned(), SegmentSource::Group)
    } else if let (true, Some(vlan)) = (config.segment_by_vlan, key.vlan) {
        (format!("vlan:{vlan}"), SegmentSource::Vlan)
    } else {
        (
            format!(
                "net:{}",
                prefix_of(key.ip, config.segment_prefix_v4, config.segment_prefix_v6)
            ),
            SegmentSource::Prefix,
        )
    };
    let display_name = inv
        .name
        .clone()
        .or_else(|| facts.display().map(str::to_owned))
        .unwrap_or_else(|| key.to_string());
    Workload {
        key,
        display_name,
        scope,
        segment: Arc::from(segment),
        segment_source,
        role: inv.role.unwrap_or_default(),
        role_source: if inv.role.is_some() {
            RoleSource::Inventory
        } else {
            RoleSource::Inferred
        },
        role_reason: if inv.role.is_some() {
            format!("declared in the inventory ({})", inv.origins.join(", "))
        } else {
            String::new()
        },
        criticality: inv.criticality,
        critical: None,
        admin_source: None,
        labels: inv.labels,
        inventory: inv.origins,
        names: facts.names,
        address_reused: facts.address_reused,
        host_windows: facts.host_windows,
        services: Vec::new(),
        in_degree: 0,
        out_degree: 0,
        flows_out: 0,
        flows_in: 0,
    }
}

fn status_of(
    key: &EdgeKey,
    edge: &Edge,
    client: AddressScope,
    server: AddressScope,
    rules: &FindingRules,
) -> EdgeStatus {
    if client.is_group() || server.is_group() {
        EdgeStatus::Group
    } else if edge.established == 0 {
        EdgeStatus::AttemptsOnly
    } else if key.transport.has_ports()
        && key.port >= rules.segmentation.ephemeral_port_min
        && edge.payload_confirmed == 0
        && edge.direction_inferred >= edge.judged().max(1)
    {
        EdgeStatus::ReplyPath
    } else {
        EdgeStatus::Service
    }
}

fn analyzed_edge(
    key: EdgeKey,
    edge: Edge,
    cw: &Workload,
    sw: &Workload,
    inputs: &AnalysisInputs,
) -> AnalyzedEdge {
    let app = edge.main_app_proto();
    let hosts = |w: &Workload| match (w.address_reused, edge.first_seen, edge.last_seen) {
        (true, Some(a), Some(b)) => w
            .host_windows
            .iter()
            .filter(|h| h.first_seen <= b && h.last_seen >= a)
            .map(|h| h.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    AnalyzedEdge {
        key,
        client_segment: cw.segment.clone(),
        server_segment: sw.segment.clone(),
        crosses_segment: cw.segment != sw.segment,
        east_west: cw.scope.is_internal() && sw.scope.is_internal(),
        status: status_of(&key, &edge, cw.scope, sw.scope, &inputs.rules),
        app,
        main_auth: edge.main_auth(),
        admin_service: inputs
            .protocols
            .admin_service(key.transport, key.port, app)
            .map(|a| a.name.clone()),
        expected_service_use: false,
        infrastructure: None,
        client_hosts: hosts(cw),
        server_hosts: hosts(sw),
        edge,
    }
}

/// What a workload serves on one port, while roles are being inferred.
#[derive(Default)]
struct ServedAcc {
    clients: u32,
    apps: BTreeMap<AppProto, u64>,
    admin: bool,
}

fn assign_roles(
    workloads: &mut [Workload],
    edges: &[AnalyzedEdge],
    ends: &[(usize, usize)],
    hits: &[scan::ScanHit],
    inputs: &AnalysisInputs,
) {
    let rules = &inputs.rules;
    let n = workloads.len();
    let mut beh: Vec<Behaviour> = vec![Behaviour::default(); n];
    let mut served: BTreeMap<(usize, Transport, u16), ServedAcc> = BTreeMap::new();
    let mut admin_ok: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut admin_tried: BTreeSet<(usize, usize)> = BTreeSet::new();
    let management = &rules.roles.management.services;
    for (e, &(c, s)) in edges.iter().zip(ends) {
        let is_mgmt = e
            .admin_service
            .as_ref()
            .is_some_and(|a| management.iter().any(|m| m.value == *a));
        if is_mgmt && matches!(e.status, EdgeStatus::Service | EdgeStatus::AttemptsOnly) && c != s {
            admin_tried.insert((c, s));
            if e.is_service() {
                admin_ok.insert((c, s));
            }
        }
        if !e.is_service() || c == s {
            continue;
        }
        if !rules.roles.discovery.contains(&e.app) {
            let slot = served.entry((s, e.key.transport, e.key.port)).or_default();
            slot.clients += 1;
            *slot.apps.entry(e.app).or_default() += e.edge.flows;
            slot.admin |= e.admin_service.is_some();
        }
        if e.admin_service.is_none()
            && let Some(b) = beh.get_mut(c)
        {
            b.services_used += 1;
            if !inputs.protocols.is_infrastructure(e.app) {
                b.other_services_used += 1;
            }
        }
    }
    for ((s, transport, port), acc) in served {
        let app = acc
            .apps
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or(AppProto::Unknown, |(a, _)| *a);
        if let Some(b) = beh.get_mut(s) {
            b.served.push(Served {
                transport,
                port,
                app,
                clients: acc.clients,
                admin: acc.admin,
            });
        }
    }
    for (c, _) in &admin_ok {
        if let Some(b) = beh.get_mut(*c) {
            b.admin_targets += 1;
        }
    }
    for (c, _) in &admin_tried {
        if let Some(b) = beh.get_mut(*c) {
            b.admin_targets_tried += 1;
        }
    }
    for h in hits {
        if let Some(b) = beh.get_mut(h.source) {
            b.scan = Some(h.summary());
        }
    }
    for (w, b) in workloads.iter_mut().zip(beh.iter_mut()) {
        b.dhcp_named = w.names.iter().any(|n| n.source == NameSource::DhcpHostname);
        if w.role_source == RoleSource::Inventory {
            continue;
        }
        let (role, reason) = if w.scope == AddressScope::External {
            (
                Role::External,
                "address outside the internal ranges".to_owned(),
            )
        } else if w.scope.is_group() {
            (
                Role::Multicast,
                "multicast, broadcast or unspecified address".to_owned(),
            )
        } else {
            roles::infer(b, &rules.roles)
        };
        w.role = role;
        w.role_reason = reason;
    }
}

fn mark_edges(
    edges: &mut [AnalyzedEdge],
    ends: &[(usize, usize)],
    workloads: &[Workload],
    inputs: &AnalysisInputs,
) {
    let dc = &inputs.rules.roles.domain_controller;
    for (e, &(_, s)) in edges.iter_mut().zip(ends) {
        let Some(server) = workloads.get(s) else {
            continue;
        };
        e.expected_service_use = e
            .admin_service
            .as_ref()
            .is_some_and(|a| inputs.rules.is_expected_service_use(a, server.role));
        let (t, p) = (e.key.transport, e.key.port);
        e.infrastructure = if inputs.protocols.is_infrastructure(e.app) {
            Some(e.app.to_string())
        } else if server.role == Role::DomainController && dc.kerberos.matches(e.app, t, p) {
            Some("kerberos to domain controller".to_owned())
        } else if server.role == Role::DomainController && dc.ldap.matches(e.app, t, p) {
            Some("ldap to domain controller".to_owned())
        } else {
            inputs
                .config
                .infrastructure_services
                .iter()
                .find(|i| i.matches(t, p, server))
                .map(|i| format!("configured {}", i.service))
        };
    }
}

fn mark_critical_and_admin(
    workloads: &mut [Workload],
    rules: &FindingRules,
    config: &AnalysisConfig,
) {
    for w in workloads.iter_mut() {
        if let Some(c) = w.criticality.filter(|c| c.is_critical_asset()) {
            w.critical = Some(CriticalMark {
                source: CriticalSource::Declared,
                reason: format!("inventory criticality {}", c.as_str()),
            });
        } else if let Some(sel) = config.critical_assets.iter().find(|s| s.matches(w)) {
            w.critical = Some(CriticalMark {
                source: CriticalSource::Declared,
                reason: format!("configuration critical_assets: {sel}"),
            });
        }
    }
    if !workloads.iter().any(Workload::is_critical) {
        for w in workloads.iter_mut() {
            if w.is_internal() && rules.roles.suggest_critical.contains(&w.role) {
                w.critical = Some(CriticalMark {
                    source: CriticalSource::Suggested,
                    reason: format!(
                        "suggested: {} (nothing declared critical; confirm in the inventory)",
                        w.role
                    ),
                });
            }
        }
    }
    for w in workloads.iter_mut() {
        w.admin_source = if let Some(sel) = config.admin_sources.iter().find(|s| s.matches(w)) {
            Some(format!("configuration admin_sources: {sel}"))
        } else if w.role == Role::Management && w.role_source == RoleSource::Inventory {
            Some("inventory role management".to_owned())
        } else if w.role == Role::Management && rules.lateral_movement.trust_inferred_management {
            Some(format!("inferred jump host: {}", w.role_reason))
        } else {
            None
        };
    }
}

fn fill_services(workloads: &mut [Workload], edges: &[AnalyzedEdge], ends: &[(usize, usize)]) {
    let mut services: BTreeMap<(usize, Transport, u16), ServedService> = BTreeMap::new();
    let mut apps: BTreeMap<(usize, Transport, u16), BTreeMap<AppProto, u64>> = BTreeMap::new();
    let mut in_pairs: Vec<(usize, usize)> = Vec::new();
    let mut out_pairs: Vec<(usize, usize)> = Vec::new();
    for (e, &(c, s)) in edges.iter().zip(ends) {
        if let Some(w) = workloads.get_mut(c) {
            w.flows_out += e.edge.flows;
        }
        if let Some(w) = workloads.get_mut(s) {
            w.flows_in += e.edge.flows;
        }
        if !e.is_service() {
            continue;
        }
        if c != s {
            in_pairs.push((s, c));
            out_pairs.push((c, s));
        }
        let key = (s, e.key.transport, e.key.port);
        let svc = services.entry(key).or_insert_with(|| ServedService {
            transport: e.key.transport,
            port: e.key.port,
            app: AppProto::Unknown,
            admin_service: None,
            infrastructure: None,
            clients: 0,
            flows: 0,
            established: 0,
            bytes: 0,
            auth: BTreeMap::new(),
        });
        svc.clients += 1;
        svc.flows += e.edge.flows;
        svc.established += e.edge.established;
        svc.bytes += e.bytes();
        for (k, n) in &e.edge.auth {
            *svc.auth.entry(*k).or_default() += n;
        }
        if svc.admin_service.is_none() {
            svc.admin_service.clone_from(&e.admin_service);
        }
        if svc.infrastructure.is_none() {
            svc.infrastructure.clone_from(&e.infrastructure);
        }
        *apps.entry(key).or_default().entry(e.app).or_default() += e.edge.flows;
    }
    for (key, mut svc) in services {
        if let Some(a) = apps.get(&key) {
            svc.app = a
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                .map_or(AppProto::Unknown, |(p, _)| *p);
        }
        if let Some(w) = workloads.get_mut(key.0) {
            w.services.push(svc);
        }
    }
    for (pairs, inbound) in [(&mut in_pairs, true), (&mut out_pairs, false)] {
        pairs.sort_unstable();
        pairs.dedup();
        for (w, _) in pairs.iter() {
            if let Some(w) = workloads.get_mut(*w) {
                if inbound {
                    w.in_degree += 1;
                } else {
                    w.out_degree += 1;
                }
            }
        }
    }
}

fn build_segments(
    workloads: &[Workload],
    edges: &[AnalyzedEdge],
    ends: &[(usize, usize)],
    config: &AnalysisConfig,
) -> Vec<Segment> {
    let mut segs: BTreeMap<Arc<str>, Segment> = BTreeMap::new();
    for w in workloads {
        let s = segs.entry(w.segment.clone()).or_insert_with(|| Segment {
            id: w.segment.clone(),
            source: w.segment_source,
            internal: w.is_internal(),
            workloads: 0,
            roles: BTreeMap::new(),
            workstation_segment: false,
            admin_sources: 0,
            critical_assets: 0,
            active: false,
            intra_segment_visible: false,
        });
        s.workloads += 1;
        s.internal |= w.is_internal();
        *s.roles.entry(w.role).or_default() += 1;
        s.admin_sources += u32::from(w.admin_source.is_some());
        s.critical_assets += u32::from(w.is_critical());
    }
    for s in segs.values_mut() {
        let ws = s.roles.get(&Role::Workstation).copied().unwrap_or_default();
        s.workstation_segment = s.internal
            && (config
                .workstation_segments
                .iter()
                .any(|sel| sel.is_segment(&s.id))
                || (ws > 0 && 2 * ws >= s.workloads));
    }
    for (e, &(c, s)) in edges.iter().zip(ends) {
        if !e.is_service() || c == s {
            continue;
        }
        if e.east_west && e.infrastructure.is_none() {
            for id in [&e.client_segment, &e.server_segment] {
                if let Some(seg) = segs.get_mut(id) {
                    seg.active = true;
                }
            }
        }
        if !e.crosses_segment
            && let Some(seg) = segs.get_mut(&e.client_segment)
        {
            seg.intra_segment_visible = true;
        }
    }
    segs.into_values().collect()
}

fn exclusions(
    edges: &[AnalyzedEdge],
    ends: &[(usize, usize)],
    workloads: &[Workload],
) -> Vec<Exclusion> {
    struct Acc {
        description: &'static str,
        edges: u64,
        flows: u64,
        items: BTreeMap<String, u64>,
    }
    let defs: [(&str, &str); 7] = [
        (
            "infrastructure",
            "shared infrastructure (protocols.yaml infrastructure list, Kerberos and LDAP to \
             domain controllers, configured services): excluded from any-to-any segmentation \
             metrics",
        ),
        (
            "reply_path",
            "direction guessed from ports towards an ephemeral port with no protocol \
             recognised: the reply half of a conversation, never a service",
        ),
        (
            "group_address",
            "traffic to multicast, broadcast or unspecified addresses: not between workloads",
        ),
        (
            "north_south",
            "answered traffic with an external endpoint: excluded from east-west metrics",
        ),
        (
            "attempts_only",
            "edges with no answered flow: not services; they are default-deny and scan \
             evidence",
        ),
        (
            "expected_service_use",
            "admin protocols that are the server's own service (SMB to file servers, DCE-RPC \
             to domain controllers): not counted as admin exposure",
        ),
        (
            "admin_path",
            "admin sessions from the declared or trusted admin path: not counted as \
             workstation or server admin exposure",
        ),
    ];
    let mut accs: Vec<Acc> = defs
        .iter()
        .map(|(_, d)| Acc {
            description: d,
            edges: 0,
            flows: 0,
            items: BTreeMap::new(),
        })
        .collect();
    let mut add = |k: usize, e: &AnalyzedEdge, item: String| {
        if let Some(a) = accs.get_mut(k) {
            a.edges += 1;
            a.flows += e.edge.flows;
            *a.items.entry(item).or_default() += e.edge.flows;
        }
    };
    for (e, &(c, _)) in edges.iter().zip(ends) {
        if let Some(reason) = &e.infrastructure {
            add(0, e, reason.clone());
        }
        match e.status {
            EdgeStatus::ReplyPath => add(1, e, e.port_label()),
            EdgeStatus::Group => add(2, e, e.app.to_string()),
            EdgeStatus::AttemptsOnly => add(4, e, e.port_label()),
            EdgeStatus::Service if !e.east_west => add(3, e, e.app.to_string()),
            EdgeStatus::Service => {}
        }
        if e.is_service() && e.expected_service_use {
            add(5, e, e.admin_service.clone().unwrap_or_default());
        }
        if e.is_admin_session()
            && let Some(w) = workloads.get(c)
            && w.admin_source.is_some()
        {
            add(6, e, w.display_name.clone());
        }
    }
    defs.iter()
        .zip(accs)
        .map(|((id, _), a)| Exclusion {
            id: (*id).to_owned(),
            description: a.description.to_owned(),
            edges: a.edges,
            flows: a.flows,
            items: top_items(a.items),
        })
        .collect()
}

/// The 20 heaviest items, the rest summed under `(others)`, so a scan over 65 535 ports does
/// not list each one.
fn top_items(items: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    const KEEP: usize = 20;
    if items.len() <= KEEP {
        return items;
    }
    let mut v: Vec<(String, u64)> = items.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let others: u64 = v.iter().skip(KEEP).map(|(_, n)| n).sum();
    v.truncate(KEEP);
    let mut out: BTreeMap<String, u64> = v.into_iter().collect();
    out.insert("(others)".to_owned(), others);
    out
}
