//! Workloads and edges: address reuse bound to time windows, inventory overrides, ephemeral
//! reply ports, infrastructure exclusions, VLAN segments and external addresses.

mod common;

use common::{inputs, key, of_kind, run, value};
use segscope_core::names::NameObservation;
use segscope_core::{NameSource, Timestamp, WorkloadKey};
use segscope_graph::addr::AddressScope;
use segscope_graph::segment::SegmentSource;
use segscope_graph::workload::{CriticalSource, RoleSource};
use segscope_graph::{EdgeStatus, FindingKind, Role, analyze, synth};

fn name(ip: &str, name: &str, source: NameSource, secs: i64) -> NameObservation {
    NameObservation {
        ip: ip.parse().expect("address"),
        name: name.to_owned(),
        source,
        ts: Timestamp(secs * 1_000_000_000),
    }
}

#[test]
fn a_reused_address_keeps_each_host_in_its_window() {
    let mut set = synth::edge_set(
        "reuse.pcap",
        &[
            "10.0.0.5 -> 10.0.1.10 tcp/443 app=tls auth=tls_server_only at=50",
            "10.0.0.5 -> 10.0.1.11 tcp/443 app=tls auth=tls_server_only at=250",
        ],
    )
    .expect("flows");
    for obs in [
        name("10.0.0.5", "laptop-anna", NameSource::DhcpHostname, 0),
        name("10.0.0.5", "laptop-anna", NameSource::DhcpHostname, 100),
        name("10.0.0.5", "PC-BOB", NameSource::Netbios, 200),
        name(
            "10.0.0.5",
            "pc-bob.corp.example",
            NameSource::DhcpHostname,
            300,
        ),
        name(
            "10.0.1.10",
            "intranet.corp.example",
            NameSource::DnsAnswer,
            40,
        ),
    ] {
        set.observe_name(&obs);
    }
    let a = analyze(set, &inputs(None, None));
    let w = a.workload(&key("10.0.0.5")).expect("workload");
    assert!(w.address_reused);
    let windows: Vec<&str> = w.host_windows.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(windows, ["laptop-anna", "pc-bob"]);
    assert_eq!(w.display_name, "pc-bob", "the latest holder");
    assert_eq!(w.names.len(), 3);
    assert_eq!(w.names[0].source, NameSource::DhcpHostname);
    let edge = |server: &str| {
        a.edges
            .iter()
            .find(|e| e.key.server == key(server))
            .expect("edge")
    };
    assert_eq!(edge("10.0.1.10").client_hosts, ["laptop-anna"]);
    assert_eq!(edge("10.0.1.11").client_hosts, ["pc-bob"]);
    assert!(edge("10.0.1.10").server_hosts.is_empty(), "not reused");
    let server = a.workload(&key("10.0.1.10")).expect("server");
    assert_eq!(server.display_name, "intranet.corp.example");
    assert!(!server.address_reused);
}

#[test]
fn the_inventory_overrides_roles_zones_criticality_and_labels() {
    let inv = "cidr,name,role,zone,criticality,labels\n\
        10.0.3.0/24,,,data,,tier=db\n\
        10.0.3.10,billing-db,database,,critical,app=billing;pci=yes\n\
        10.0.0.5,ops-laptop,workstation,,,team=ops\n";
    let cfg = "version: 1\nadmin_sources: [\"label:team=ops\"]\n";
    let a = run(
        &[
            "10.0.0.5 -> 10.0.3.10 tcp/22 app=ssh auth=ssh",
            "10.0.0.6 -> 10.0.3.11 tcp/9000 app=http auth=cleartext_unauthenticated",
        ],
        Some(inv),
        Some(cfg),
    );
    let db = a.workload(&key("10.0.3.10")).expect("db");
    assert_eq!(db.display_name, "billing-db");
    assert_eq!(
        (db.role, db.role_source),
        (Role::Database, RoleSource::Inventory)
    );
    assert!(
        db.role_reason.contains("inventory.csv:3"),
        "{}",
        db.role_reason
    );
    assert_eq!(&*db.segment, "zone:data");
    assert_eq!(db.segment_source, SegmentSource::InventoryZone);
    assert_eq!(
        db.critical.as_ref().map(|c| c.source),
        Some(CriticalSource::Declared)
    );
    assert_eq!(db.labels.get("pci").map(String::as_str), Some("yes"));
    assert_eq!(db.labels.get("tier").map(String::as_str), Some("db"));
    assert_eq!(db.inventory, ["inventory.csv:2", "inventory.csv:3"]);
    // A declared critical asset exists, so nothing is suggested.
    let other = a.workload(&key("10.0.3.11")).expect("other");
    assert_eq!(&*other.segment, "zone:data");
    assert!(other.critical.is_none());
    // The labelled laptop is on the admin path: its SSH is not lateral movement.
    let laptop = a.workload(&key("10.0.0.5")).expect("laptop");
    assert_eq!(
        laptop.admin_source.as_deref(),
        Some("configuration admin_sources: label:team=ops")
    );
    assert!(of_kind(&a, FindingKind::LateralMovement).is_empty());
    // The unauthenticated API is reached from another segment: medium.
    let unauth = of_kind(&a, FindingKind::UnauthenticatedService);
    assert_eq!(unauth.len(), 1);
    assert_eq!(unauth[0].severity, segscope_graph::Severity::Medium);
}

#[test]
fn ephemeral_reply_ports_never_become_services() {
    let a = run(
        &[
            // Seen from the middle, direction guessed: the "server" port is ephemeral.
            "10.0.0.80 -> 10.0.0.5 tcp/51000 inferred count=3",
            // Guessed too, but to a low port: a service.
            "10.0.0.81 -> 10.0.0.6 tcp/8080 inferred",
            // Guessed, ephemeral, but the payload showed HTTP: a service on a high port.
            "10.0.0.82 -> 10.0.0.7 tcp/50080 app=http auth=cleartext_unauthenticated inferred",
            // A SYN was seen: a high port that answered is a service.
            "10.0.0.83 -> 10.0.0.8 tcp/40000",
        ],
        None,
        None,
    );
    let status = |server: &str| {
        a.edges
            .iter()
            .find(|e| e.key.server == key(server))
            .map(|e| e.status)
    };
    assert_eq!(status("10.0.0.5"), Some(EdgeStatus::ReplyPath));
    assert_eq!(status("10.0.0.6"), Some(EdgeStatus::Service));
    assert_eq!(status("10.0.0.7"), Some(EdgeStatus::Service));
    assert_eq!(status("10.0.0.8"), Some(EdgeStatus::Service));
    let w = a.workload(&key("10.0.0.5")).expect("reply target");
    assert!(w.services.is_empty());
    assert_eq!(w.in_degree, 0);
    assert_eq!(w.role, Role::Unknown);
    let reply = a
        .exclusions
        .iter()
        .find(|x| x.id == "reply_path")
        .expect("listed");
    assert_eq!((reply.edges, reply.flows), (1, 3));
    assert_eq!(reply.items.get("tcp/51000"), Some(&3));
}

#[test]
fn infrastructure_is_excluded_from_segmentation_and_listed() {
    let cfg = "version: 1\ninfrastructure_services:\n  - { service: tcp/3128, servers: [\"10.0.9.8\"] }\n";
    let a = run(
        &[
            // Two client segments use the DC, DNS, NTP and the proxy in a third.
            "10.0.1.11 -> 10.0.9.1 udp/88 app=kerberos auth=kerberos",
            "10.0.1.11 -> 10.0.9.1 tcp/389 app=ldap auth=kerberos",
            "10.0.2.11 -> 10.0.9.1 udp/88 app=kerberos auth=kerberos",
            "10.0.2.11 -> 10.0.9.1 tcp/389 app=ldap auth=kerberos",
            "10.0.1.11 -> 10.0.9.2 udp/53 app=dns auth=not_applicable",
            "10.0.2.11 -> 10.0.9.2 udp/53 app=dns auth=not_applicable",
            "10.0.1.11 -> 10.0.9.3 udp/123 app=ntp auth=not_applicable",
            "10.0.1.11 -> 10.0.9.8 tcp/3128 app=http auth=cleartext_unauthenticated",
            // The only application path: segment 1 to segment 2.
            "10.0.1.11 -> 10.0.2.20 tcp/8443 app=tls auth=mtls",
        ],
        None,
        Some(cfg),
    );
    assert_eq!(
        a.workload(&key("10.0.9.1")).map(|w| w.role),
        Some(Role::DomainController)
    );
    let infra = a
        .exclusions
        .iter()
        .find(|x| x.id == "infrastructure")
        .expect("listed");
    assert_eq!(infra.edges, 8);
    assert_eq!(infra.items.get("kerberos to domain controller"), Some(&2));
    assert_eq!(infra.items.get("ldap to domain controller"), Some(&2));
    assert_eq!(infra.items.get("dns"), Some(&2));
    assert_eq!(infra.items.get("ntp"), Some(&1));
    assert_eq!(infra.items.get("configured tcp/3128"), Some(&1));
    // Segments active in non-infrastructure east-west traffic: 10.0.1/24 and 10.0.2/24 only.
    assert_eq!(a.coverage.active_segments, 2);
    common::close(value(&a, "S1"), 0.5);
    let s1 = a.metric("S1").expect("S1");
    assert!(s1.exclusions.iter().any(|x| x == "infrastructure"));
    assert_eq!(s1.coverage.vantage_points, ["test.pcap"]);
    // The proxy carried no authentication, but it is infrastructure: no finding.
    assert!(of_kind(&a, FindingKind::UnauthenticatedService).is_empty());
}

#[test]
fn vlans_external_addresses_and_group_addresses() {
    let set = synth::edge_set(
        "v.pcap",
        &[
            "10.0.0.5 -> 10.0.0.6 tcp/80 app=http auth=cleartext_unauthenticated vlan=10",
            "10.0.0.5 -> 10.0.0.6 tcp/80 app=http auth=cleartext_unauthenticated vlan=20",
            "10.0.0.5 -> 93.184.216.34 tcp/443 app=tls auth=tls_server_only vlan=10",
            "10.0.0.5 -> 224.0.0.251 udp/5353 app=mdns auth=not_applicable outcome=no_reply vlan=10",
        ],
    )
    .expect("flows");
    let a = analyze(set, &inputs(None, None));
    let on = |vlan| WorkloadKey {
        ip: "10.0.0.6".parse().expect("address"),
        vlan: Some(vlan),
    };
    let (a10, a20) = (a.workload(&on(10)), a.workload(&on(20)));
    assert_eq!(a10.map(|w| &*w.segment), Some("vlan:10"));
    assert_eq!(
        a20.map(|w| &*w.segment),
        Some("vlan:20"),
        "same address, other VLAN"
    );
    let ext = a
        .workloads
        .iter()
        .find(|w| w.key.ip.to_string() == "93.184.216.34")
        .expect("external");
    assert_eq!(
        (ext.scope, ext.role),
        (AddressScope::External, Role::External)
    );
    assert_eq!(&*ext.segment, "external");
    let group = a
        .edges
        .iter()
        .find(|e| e.key.port == 5353)
        .expect("mdns edge");
    assert_eq!(group.status, EdgeStatus::Group);
    assert_eq!(
        a.workloads
            .iter()
            .find(|w| w.key.ip.to_string() == "224.0.0.251")
            .map(|w| w.role),
        Some(Role::Multicast)
    );
    let tls = a.edges.iter().find(|e| e.key.port == 443).expect("tls");
    assert!(!tls.east_west && tls.crosses_segment);
}

#[test]
fn an_empty_capture_gives_an_empty_analysis_with_reasons() {
    let a = analyze(segscope_core::edge::EdgeSet::default(), &inputs(None, None));
    assert!(a.workloads.is_empty() && a.edges.is_empty() && a.findings.is_empty());
    assert_eq!(a.metrics.len(), 16);
    for id in ["S1", "S2", "S3a", "S3b", "S4", "S6", "E1", "E2", "A1", "A2"] {
        let m = a.metric(id).expect(id);
        assert_eq!(m.value, None, "{id}");
        assert!(m.not_computed.is_some(), "{id} says why");
    }
    assert_eq!(
        value(&a, "S5"),
        Some(0.0),
        "no tunnels is a count, not a gap"
    );
    assert!(a.blast_radius.workloads.is_empty());
    assert!(segscope_graph::markdown_section(&a).contains("No findings."));
    assert!(segscope_graph::to_graphml(&a).contains("</graphml>"));
}

/// Routed traffic captured on the clients' VLANs: the server is one workload, not one per
/// client VLAN, and a server that also originates traffic takes the VLAN it originates on.
#[test]
fn a_routed_server_is_one_workload_whatever_vlan_its_clients_are_on() {
    let set = synth::edge_set(
        "r.pcap",
        &[
            "10.0.10.5 -> 10.0.30.10 tcp/443 app=tls auth=tls_server_only vlan=10",
            "10.0.20.5 -> 10.0.30.10 tcp/443 app=tls auth=tls_server_only vlan=20",
            "10.0.10.5 -> 10.0.40.10 tcp/5432 app=postgresql auth=cleartext_credentials vlan=10",
            "10.0.20.5 -> 10.0.40.10 tcp/5432 app=postgresql auth=cleartext_credentials vlan=20",
            "10.0.40.10 -> 10.0.30.10 tcp/443 app=tls auth=tls_server_only vlan=40",
        ],
    )
    .expect("flows");
    let a = analyze(set, &inputs(None, None));
    let keys: Vec<String> = a.workloads.iter().map(|w| w.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            "10.0.10.5%vlan10",
            "10.0.20.5%vlan20",
            "10.0.30.10",
            "10.0.40.10%vlan40"
        ]
    );
}
