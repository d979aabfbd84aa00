//! Ground-truth scenarios: deterministic bytes, captures an independent reader (tshark) finds
//! valid and counts as the truth says, a truth that is consistent with itself and with the
//! flows, what each scenario was built to plant, and the committed copies.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use segscope_core::Transport;
use segscope_core::flow::ConnState;
use segscope_gen::capture::Format;
use segscope_gen::scenarios::truth::{EdgeFacts, EdgeKind, Outcome, ScenarioFacts};
use segscope_gen::scenarios::{Named, inventory, score};
use segscope_gen::testdata::{project_captures, tshark_fields, tshark_raw};
use segscope_gen::truth::{Truth, TruthFlow};
use segscope_gen::{Generated, Mode, generate};
use sha2::{Digest, Sha256};

fn gen_bytes(mode: Mode, seed: u64) -> Generated<Vec<u8>> {
    generate(mode, seed, Format::Pcapng, Vec::new(), true).expect("in-memory generation")
}

/// Seed-1 captures of every named scenario, made once for all tests.
fn seed1() -> &'static BTreeMap<&'static str, Generated<Vec<u8>>> {
    static CELL: OnceLock<BTreeMap<&'static str, Generated<Vec<u8>>>> = OnceLock::new();
    CELL.get_or_init(|| {
        Named::ALL
            .iter()
            .map(|&n| (n.name(), gen_bytes(Mode::Scenario(n), 1)))
            .collect()
    })
}

fn truth_of(
    name: &str,
) -> (
    &'static Generated<Vec<u8>>,
    &'static Truth,
    &'static ScenarioFacts,
) {
    let g = seed1().get(name).expect("a named scenario");
    let t = g.truth.as_ref().expect("truth kept");
    let f = t.scenario.as_ref().expect("scenario facts");
    (g, t, f)
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

#[test]
fn every_scenario_is_deterministic_and_seeded() {
    for n in Named::ALL {
        let (g, _, _) = truth_of(n.name());
        let again = gen_bytes(Mode::Scenario(n), 1);
        assert_eq!(sha(&g.out), sha(&again.out), "{n}: same seed, same bytes");
        assert_eq!(g.truth, again.truth, "{n}: same seed, same truth");
        let other = gen_bytes(Mode::Scenario(n), 2);
        assert_ne!(
            sha(&g.out),
            sha(&other.out),
            "{n}: another seed, other bytes"
        );
        assert!(g.out.len() < 1_000_000, "{n}: {} bytes", g.out.len());
    }
}

fn committed(name: &str) -> Vec<u8> {
    let path = project_captures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is not readable ({e}): generate it with the command in captures/README.md",
            path.display()
        )
    })
}

#[test]
fn committed_scenario_captures_are_what_the_generator_writes() {
    for n in Named::ALL {
        let (g, t, _) = truth_of(n.name());
        let stale = |what: &str| {
            format!(
                "captures/{what} is stale: regenerate it with the command in captures/README.md"
            )
        };
        let pcap = format!("{n}.pcapng");
        assert!(committed(&pcap) == g.out, "{}", stale(&pcap));
        let json = format!("{n}.json");
        let fresh = serde_json::to_vec(t).expect("serialisable");
        assert!(committed(&json) == fresh, "{}", stale(&json));
        let back: Truth = serde_json::from_slice(&fresh).expect("the truth reads back");
        assert_eq!(&back, t, "{n}: the truth survives a JSON round trip");
    }
    let facts = Named::Lab.build(1).facts;
    assert!(committed("lab-inventory.csv") == inventory::csv(&facts).into_bytes());
    assert!(committed("lab-inventory.yaml") == inventory::yaml(&facts).into_bytes());
}

/// One tshark pass: checksums verified, malformed or error packets displayed, frame count,
/// and TCP/UDP conversations.
const TSHARK_ARGS: &[&str] = &[
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "ip.check_checksum:TRUE",
    "-Y",
    "_ws.malformed || _ws.expert.severity == error",
    "-z",
    "io,stat,0",
    "-z",
    "conv,tcp",
    "-z",
    "conv,udp",
];

fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("{a}:{port}"),
    }
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("temp file");
    p
}

/// `(a, b, frames)` of every `-z conv` row.
fn conversations(text: &str) -> Vec<(String, String, u64)> {
    text.lines()
        .filter(|l| l.contains("<->"))
        .filter_map(|l| {
            let tok: Vec<&str> = l.split_whitespace().collect();
            Some((
                tok.first()?.to_string(),
                tok.get(2)?.to_string(),
                tok.get(9)?.parse().ok()?,
            ))
        })
        .collect()
}

/// The `-z conv` rows with one row per pair of endpoints, frames added up.
///
/// tshark gives an SNMP get-response its own UDP stream, hence its own row, although it has
/// the request's addresses and ports: the SNMP dissector registers a conversation for the
/// reply (agents may answer from another port), and tshark 4.0's conversation table keys on
/// it. Zeek, like segscope and the truth, keys UDP flows on the 5-tuple and counts one flow.
/// Merging rows of the same endpoints undoes that split and nothing else: two intended flows
/// of the same endpoints would be one key of the truth too, and their frames would not add
/// up to one flow's.
fn conversations_by_endpoints(text: &str) -> Vec<(String, String, u64)> {
    let mut by: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (a, b, n) in conversations(text) {
        let key = if a <= b { (a, b) } else { (b, a) };
        *by.entry(key).or_default() += n;
    }
    by.into_iter().map(|((a, b), n)| (a, b, n)).collect()
}

/// tshark finds nothing malformed and no checksum error, reads every frame, and sees one
/// conversation per intended TCP/UDP flow (plus VXLAN outer conversations) with the intended
/// packets; the ICMP errors are where the truth says, with its type and code.
fn check_with_tshark(file: &Path, g: &Generated<Vec<u8>>, t: &Truth) {
    let Some(out) = tshark_raw(file, TSHARK_ARGS) else {
        return;
    };
    let bad: Vec<&str> = out
        .lines()
        .take_while(|l| !l.starts_with('='))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        bad.is_empty(),
        "tshark flags packets in {}:\n{}",
        file.display(),
        bad.join("\n")
    );
    let frames: Option<u64> = out
        .lines()
        .find(|l| l.contains(" <> "))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|c| c.trim().parse().ok());
    assert_eq!(frames, Some(g.stats.frames), "frames tshark read");
    let mut want: BTreeMap<(String, String), &TruthFlow> = BTreeMap::new();
    let mut outer = BTreeSet::new();
    for f in &t.flows {
        want.insert(
            (
                endpoint(f.client.ip, f.client.port),
                endpoint(f.server.ip, f.server.port),
            ),
            f,
        );
        if let Some(sport) = f.tunnel.as_ref().and_then(|x| x.outer_udp_src_port) {
            let tun = &f.tunnel.as_ref().expect("tunnel").tunnel;
            outer.insert((
                endpoint(tun.outer_src, sport),
                endpoint(tun.outer_dst, 4789),
            ));
            if f.server_stats.packets > 0 {
                outer.insert((
                    endpoint(tun.outer_dst, sport),
                    endpoint(tun.outer_src, 4789),
                ));
            }
        }
    }
    let seen = conversations_by_endpoints(&out);
    assert_eq!(
        seen.len(),
        want.len() + outer.len(),
        "tshark conversations vs intended flows"
    );
    for (a, b, n) in &seen {
        let (ab, ba) = ((a.clone(), b.clone()), (b.clone(), a.clone()));
        if outer.contains(&ab) || outer.contains(&ba) {
            continue;
        }
        let f = want
            .get(&ab)
            .or_else(|| want.get(&ba))
            .unwrap_or_else(|| panic!("tshark conversation {a} <-> {b} was not intended"));
        assert_eq!(
            *n,
            f.client_stats.packets + f.server_stats.packets,
            "{a} <-> {b}"
        );
    }
    // The ICMP errors: frame, reporter, type and code; the quoted packet's ports.
    let Some(rows) = tshark_fields(
        file,
        Some("icmp.type == 3 || icmpv6.type == 1"),
        &[
            "frame.number",
            "icmp.type",
            "icmp.code",
            "icmpv6.type",
            "icmpv6.code",
            "ip.src",
            "ipv6.src",
            "tcp.srcport",
            "udp.srcport",
        ],
    ) else {
        return;
    };
    let errors: BTreeMap<u64, &TruthFlow> = t
        .flows
        .iter()
        .filter_map(|f| f.icmp_error.map(|e| (e.frame, f)))
        .collect();
    assert_eq!(rows.len(), errors.len(), "ICMP errors tshark sees");
    let first = |s: &str| s.split(',').next().unwrap_or_default().to_owned();
    for r in &rows {
        let frame: u64 = r[0].parse().expect("frame number");
        let f = errors
            .get(&frame)
            .unwrap_or_else(|| panic!("unintended ICMP error in frame {frame}"));
        let e = f.icmp_error.expect("error");
        let (ty, code, src) = if r[1].is_empty() {
            (first(&r[3]), first(&r[4]), first(&r[6]))
        } else {
            (first(&r[1]), first(&r[2]), first(&r[5]))
        };
        assert_eq!(
            (ty, code),
            (e.icmp_type.to_string(), e.icmp_code.to_string()),
            "frame {frame}"
        );
        assert_eq!(
            src.parse::<IpAddr>().ok(),
            Some(e.reporter),
            "frame {frame}"
        );
        let quoted_port = if f.transport == Transport::TCP {
            &r[7]
        } else {
            &r[8]
        };
        assert_eq!(
            quoted_port,
            &f.client.port.to_string(),
            "frame {frame} quotes the attempt"
        );
    }
}

#[test]
fn tshark_reads_every_scenario_cleanly_and_sees_the_intended_flows() {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in Named::ALL {
        let (g, t, _) = truth_of(n.name());
        let file = write_temp(&dir, &format!("{n}.pcapng"), &g.out);
        check_with_tshark(&file, g, t);
    }
}

/// The flows of an edge (same client and server address, transport and server port).
fn flows_of<'a>(t: &'a Truth, e: &EdgeFacts) -> Vec<&'a TruthFlow> {
    t.flows
        .iter()
        .filter(|f| {
            f.client.ip == e.client_ip
                && f.server.ip == e.server_ip
                && f.transport == e.transport
                && f.server.port == e.port
        })
        .collect()
}

/// What an edge's outcome means for each of its flows.
fn outcome_matches(e: &EdgeFacts, f: &TruthFlow) -> bool {
    let err = f.icmp_error.map(|x| (x.icmp_type, x.icmp_code));
    let v6 = e.server_ip.is_ipv6();
    match e.outcome {
        // A one-way protocol's delivered datagrams look like an unanswered attempt (Zeek S0):
        // payload from the client, nothing back, no ICMP error.
        Outcome::Established if e.one_way => {
            f.state == ConnState::S0
                && err.is_none()
                && f.server_stats.packets == 0
                && f.client_stats.bytes > 0
        }
        Outcome::Established => {
            f.server_stats.packets > 0
                && err.is_none()
                && matches!(f.state, ConnState::SF | ConnState::RSTO)
        }
        Outcome::NoReply => {
            f.state == ConnState::S0 && err.is_none() && f.server_stats.packets == 0
        }
        Outcome::AdminProhibited => {
            f.state == ConnState::S0 && err == Some(if v6 { (1, 1) } else { (3, 13) })
        }
        Outcome::Refused if e.transport == Transport::UDP => {
            f.state == ConnState::S0 && err == Some(if v6 { (1, 4) } else { (3, 3) })
        }
        Outcome::Refused => f.state == ConnState::REJ && err.is_none(),
    }
}

#[test]
fn every_truth_is_consistent_with_itself_and_its_flows() {
    for n in Named::ALL {
        let (g, t, s) = truth_of(n.name());
        let counted: u64 = t
            .flows
            .iter()
            .map(|f| {
                f.client_stats.packets
                    + f.server_stats.packets
                    + f.fragments
                    + u64::from(f.icmp_error.is_some())
            })
            .sum();
        assert_eq!(counted, g.stats.frames, "{n}: every frame accounted for");
        assert_eq!(g.stats.sessions_skipped, 0, "{n}: every session played");
        let mut tuples = BTreeSet::new();
        let mut planned = 0;
        for e in &s.edges {
            assert!(
                tuples.insert((e.client_ip, e.server_ip, e.transport, e.port)),
                "{n}: one edge per (client, server, transport, port): {e:?}"
            );
            let flows = flows_of(t, e);
            assert_eq!(flows.len(), e.flows, "{n}: flows of {e:?}");
            for f in flows {
                assert!(
                    outcome_matches(e, f),
                    "{n}: {:?} edge, flow {f:?}",
                    e.outcome
                );
                assert_eq!(f.app, e.app, "{n}: protocol of {e:?}");
            }
            planned += e.flows;
        }
        assert_eq!(planned, t.flows.len(), "{n}: every flow belongs to an edge");
        let zones: BTreeSet<&str> = s.zones.iter().map(|z| z.name.as_str()).collect();
        let mut in_traffic = BTreeSet::new();
        for e in &s.edges {
            in_traffic.insert(e.client.as_str());
            in_traffic.insert(e.server.as_str());
            assert!(
                zones.contains(e.client_zone.as_str()) && zones.contains(e.server_zone.as_str())
            );
        }
        for h in &s.hosts {
            assert!(
                in_traffic.contains(h.name.as_str()),
                "{n}: {} never appears",
                h.name
            );
            assert!(
                zones.contains(h.zone.as_str()),
                "{n}: {} in an unknown zone",
                h.name
            );
            assert!(
                !h.role.is_empty() && !h.segscope_role.is_empty(),
                "{n}: {}",
                h.name
            );
        }
        for z in &s.zones {
            assert_eq!(z.hosts, s.hosts.iter().filter(|h| h.zone == z.name).count());
        }
        for c in &s.conversations {
            assert!(
                c.used.is_some(),
                "{n}: no conversation labelled like {}",
                c.wanted
            );
        }
        let lm: usize = s.lateral_movement.len();
        assert_eq!(
            lm,
            s.edges
                .iter()
                .filter(|e| e.kind == EdgeKind::LateralMovement)
                .count(),
            "{n}: one lateral-movement entry per edge"
        );
    }
}

fn host_set<'a>(s: &'a ScenarioFacts, role: &str) -> BTreeSet<&'a str> {
    s.hosts
        .iter()
        .filter(|h| h.role == role)
        .map(|h| h.name.as_str())
        .collect()
}

#[test]
fn the_lab_plants_what_it_says() {
    let (_, t, s) = truth_of("lab");
    assert!(
        (40..=80).contains(&s.hosts.len()),
        "{} hosts",
        s.hosts.len()
    );
    for role in [
        "domain_controller",
        "dns_server",
        "database",
        "web_server",
        "app_server",
        "file_server",
        "workstation",
        "jump_host",
        "scanner",
        "external",
    ] {
        assert!(!host_set(s, role).is_empty(), "no {role}");
    }
    // Default-deny evidence where the firewall denies, none where it is open.
    let evidence: BTreeSet<&str> = s
        .zones
        .iter()
        .filter(|z| !z.external && z.ingress.evidence)
        .map(|z| z.name.as_str())
        .collect();
    assert_eq!(
        evidence,
        BTreeSet::from(["admin", "databases", "dmz", "servers-app"])
    );
    let db = s
        .zones
        .iter()
        .find(|z| z.name == "databases")
        .expect("databases");
    assert!(
        db.ingress.admin_prohibited >= 20 && db.ingress.no_reply == 0,
        "{:?}",
        db.ingress
    );
    assert!(
        !db.ingress.differential.is_empty(),
        "the same service answers some, denies others"
    );
    let infra = s.zones.iter().find(|z| z.name == "infra").expect("infra");
    assert!(
        infra.ingress.refused > 0 && infra.ingress.no_reply == 0,
        "closed ports refuse"
    );
    // Lateral movement: PsExec-like SMB with NTLM to workstations, a fan-out, RDP and WinRM,
    // and workstation-to-database sessions outside the admin path.
    let lm: Vec<_> = s
        .lateral_movement
        .iter()
        .filter(|l| l.established)
        .collect();
    let smb: Vec<_> = lm
        .iter()
        .filter(|l| {
            l.technique == "psexec_smb_admin_share" && l.pattern == "workstation_to_workstation"
        })
        .collect();
    assert!(smb.len() >= 5 && smb.iter().all(|l| l.auth == segscope_core::AuthClass::Ntlm));
    for tech in ["rdp", "winrm"] {
        assert!(
            lm.iter()
                .any(|l| l.technique == tech && l.pattern == "workstation_to_workstation")
        );
    }
    for tech in ["ssh", "rdp"] {
        assert!(
            lm.iter()
                .any(|l| l.technique == tech && l.pattern == "workstation_to_database")
        );
    }
    assert!(
        s.lateral_movement.iter().any(|l| !l.established),
        "some are stopped"
    );
    assert!(
        s.fan_out
            .iter()
            .any(|f| f.service == "tcp/445" && f.peers.len() >= 5)
    );
    // The admin path is legitimate and separate from the planted movement.
    let admin = s.admin_path.as_ref().expect("an admin path");
    assert!(admin.targets.len() >= 10 && !admin.operators.is_empty());
    let jump = &admin.jump_hosts[0];
    assert!(s.lateral_movement.iter().all(|l| &l.source != jump));
    // Everything the jump host starts succeeds: administration on the admin services, and
    // the name lookups and time synchronisation every server makes (infrastructure, not
    // administration).
    for e in s.edges.iter().filter(|e| &e.client == jump) {
        assert_eq!(e.outcome, Outcome::Established, "{e:?}");
        let service = format!("{}/{}", e.transport, e.port);
        if admin.services.contains(&service) {
            assert_eq!(e.kind, EdgeKind::Admin, "{e:?}");
        } else {
            assert_eq!(e.kind, EdgeKind::Legitimate, "{e:?}");
            assert!(
                matches!(
                    e.app,
                    segscope_core::AppProto::Dns | segscope_core::AppProto::Ntp
                ),
                "{e:?}"
            );
        }
    }
    assert_eq!(
        s.edges
            .iter()
            .filter(|e| &e.client == jump && e.kind == EdgeKind::Admin)
            .count(),
        admin.targets.len(),
        "one admin edge per target"
    );
    // The scan: many hosts, many ports on one, mostly failed.
    let scan = s.scans.iter().find(|x| x.planted).expect("a planted scan");
    assert!(scan.targets.len() >= 20 && scan.max_services_per_target >= 20);
    assert!(scan.established * 5 < scan.attempts, "{scan:?}");
    assert_eq!(
        scan.attempts,
        scan.established + scan.refused + scan.no_reply + scan.admin_prohibited
    );
    // Planted cleartext and unauthenticated services.
    let planted: BTreeSet<(String, u16)> = s
        .cleartext_services
        .iter()
        .filter(|c| c.planted)
        .map(|c| {
            (
                c.server.split('.').next().unwrap_or_default().to_owned(),
                c.port,
            )
        })
        .collect();
    for (server, port) in [
        ("mysql01", 3306),
        ("dc01", 389),
        ("redis01", 6379),
        ("dc01", 161),
    ] {
        assert!(
            planted.contains(&(server.to_owned(), port)),
            "{server}:{port} not planted"
        );
    }
    // Both ICMP administratively-prohibited answers and silent drops are in the capture.
    assert!(
        t.flows
            .iter()
            .any(|f| f.icmp_error.is_some_and(|e| e.icmp_code == 13))
    );
    assert!(
        t.flows
            .iter()
            .any(|f| f.state == ConnState::S0 && f.icmp_error.is_none())
    );
}

#[test]
fn tshark_sees_the_planted_credentials_and_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (g, _, s) = truth_of("lab");
    let file = write_temp(&dir, "lab.pcapng", &g.out);
    let Some(rows) = tshark_fields(
        &file,
        Some(
            "snmp.community || ldap.simple || mysql.user || ntlmssp.auth.username || kerberos.CNameString",
        ),
        &[
            "snmp.community",
            "ldap.simple",
            "mysql.user",
            "ntlmssp.auth.username",
            "kerberos.CNameString",
            "ip.dst",
        ],
    ) else {
        return;
    };
    let col = |i: usize| -> BTreeSet<String> {
        rows.iter()
            .filter_map(|r| r.get(i))
            .filter(|v| !v.is_empty())
            .cloned()
            .collect()
    };
    assert!(!col(0).is_empty(), "SNMPv2c community in clear");
    assert!(!col(1).is_empty(), "LDAP simple bind password in clear");
    assert!(!col(2).is_empty(), "MySQL login in clear");
    assert!(!col(3).is_empty(), "NTLM user names");
    // Kerberos client names follow the workstations they were replayed from.
    let cnames = col(4);
    let ws = host_set(s, "workstation");
    assert!(cnames.len() >= 10, "{cnames:?}");
    for c in &cnames {
        let short = c.trim_end_matches('$').to_ascii_lowercase();
        assert!(
            ws.iter().any(|w| w.starts_with(&format!("{short}."))),
            "{c} is no workstation"
        );
    }
}

#[test]
fn the_followup_adds_only_new_legitimate_edges() {
    let (_, _, lab) = truth_of("lab");
    let (_, _, fu) = truth_of("lab-followup");
    let known: BTreeSet<(IpAddr, IpAddr, Transport, u16)> = lab
        .edges
        .iter()
        .filter(|e| matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin))
        .map(|e| (e.client_ip, e.server_ip, e.transport, e.port))
        .collect();
    let lab_hosts: BTreeSet<IpAddr> = lab.hosts.iter().map(|h| h.ipv4).collect();
    let lab_services: BTreeSet<(IpAddr, Transport, u16)> = lab
        .edges
        .iter()
        .filter(|e| e.outcome == Outcome::Established)
        .map(|e| (e.server_ip, e.transport, e.port))
        .collect();
    let mut new = 0;
    for e in &fu.edges {
        assert!(
            matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin),
            "no attack: {e:?}"
        );
        assert_eq!(e.outcome, Outcome::Established, "{e:?}");
        let tuple = (e.client_ip, e.server_ip, e.transport, e.port);
        if e.new {
            new += 1;
            assert!(!known.contains(&tuple), "{e:?} existed in lab");
            assert!(
                !lab_hosts.contains(&e.client_ip)
                    || !lab_services.contains(&(e.server_ip, e.transport, e.port)),
                "{e:?}: a new client or a new service"
            );
        } else {
            assert!(
                known.contains(&tuple),
                "{e:?} is neither known nor marked new"
            );
        }
    }
    assert!(new >= 10, "{new} new edges");
    let zones: BTreeSet<(&str, &str, u16)> = fu
        .new_legitimate_edges
        .iter()
        .map(|z| (z.client_zone.as_str(), z.server_zone.as_str(), z.port))
        .collect();
    assert!(
        zones.contains(&("servers-app", "databases", 6380)),
        "{zones:?}"
    );
    assert!(
        zones.contains(&("workstations-new", "servers-web", 443)),
        "{zones:?}"
    );
    assert!(fu.lateral_movement.is_empty() && fu.scans.is_empty());
}

#[test]
fn score_scenarios_reach_the_stages_they_were_built_for() {
    for name in ["flat", "zoned", "mesh", "tls13"] {
        let (_, _, s) = truth_of(name);
        let expected = s.expected.as_ref().expect("stages");
        for (function, stage) in score::intended(name) {
            let got = expected
                .functions
                .iter()
                .find(|f| f.function == function.as_str())
                .unwrap_or_else(|| panic!("{name}: no {}", function.as_str()));
            let long_lived = s.certificates.iter().any(|c| c.validity_days > 90);
            // The rubric's Advanced needs short-lived certificates where they are visible:
            // the mesh is built for Advanced and stays at Initial while the replayed
            // certificates are long-lived.
            let want = if name == "mesh" && long_lived {
                "initial"
            } else {
                stage
            };
            assert_eq!(got.stage, want, "{name}: {:#?}", got.reasons);
        }
    }
    let auth = |name: &str| {
        truth_of(name)
            .2
            .expected
            .as_ref()
            .expect("stages")
            .authentication
            .clone()
    };
    let mesh = auth("mesh");
    assert!(mesh.mtls_confirmed > 0 && mesh.tls_client_auth_unknown + mesh.tls_no_client_auth == 0);
    let tls13 = auth("tls13");
    assert!(
        tls13.tls_client_auth_unknown > 0 && tls13.mtls_confirmed + tls13.tls_no_client_auth == 0
    );
    let flat = auth("flat");
    assert_eq!(
        flat.mtls_confirmed + flat.tls_client_auth_unknown + flat.tls_no_client_auth,
        0
    );
    // zoned: ICMPv6 rejects too, and the data zone denies outbound attempts.
    let (_, t, s) = truth_of("zoned");
    assert!(t.flows.iter().any(|f| {
        f.icmp_error
            .is_some_and(|e| (e.icmp_type, e.icmp_code) == (1, 1))
    }));
    let data = s.zones.iter().find(|z| z.name == "data").expect("data");
    assert!(data.egress.evidence && data.ingress.evidence);
    assert!(s.zones.iter().all(|z| z.ingress.attempts >= 20));
}

#[test]
fn tshark_confirms_what_the_tls_scenarios_show() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (g, _, _) = truth_of("mesh");
    let file = write_temp(&dir, "mesh.pcapng", &g.out);
    let Some(rows) = tshark_fields(
        &file,
        Some("x509ce.uniformResourceIdentifier"),
        &["x509ce.uniformResourceIdentifier"],
    ) else {
        return;
    };
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r[0].starts_with("spiffe://")),
        "{rows:?}"
    );
    let (g, t, _) = truth_of("tls13");
    let file = write_temp(&dir, "tls13.pcapng", &g.out);
    let Some(rows) = tshark_fields(
        &file,
        Some("tls.handshake.type == 2"),
        &[
            "tls.handshake.extensions.supported_version",
            "tls.handshake.certificate",
        ],
    ) else {
        return;
    };
    let tls_flows = t
        .flows
        .iter()
        .filter(|f| f.transport == Transport::TCP)
        .count();
    assert_eq!(rows.len(), tls_flows, "one ServerHello per TLS flow");
    for r in &rows {
        assert_eq!(r[0], "0x0304", "TLS 1.3 negotiated");
        assert!(r[1].is_empty(), "no certificate in clear");
    }
}

#[test]
fn the_inventory_lists_every_managed_host_and_zone() {
    let (_, _, s) = truth_of("lab");
    let csv = inventory::csv(s);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("cidr,name,role,zone,criticality,labels"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 6));
    let by_addr: BTreeMap<&str, &Vec<&str>> = rows.iter().map(|r| (r[0], r)).collect();
    assert_eq!(by_addr.len(), rows.len(), "one row per address or network");
    let roles = [
        "domain_controller",
        "dns_server",
        "database",
        "file_server",
        "web_app",
        "infrastructure",
        "workstation",
        "management",
    ];
    for h in &s.hosts {
        let row = by_addr.get(h.ipv4.to_string().as_str());
        if matches!(h.role.as_str(), "external" | "scanner") {
            assert!(row.is_none(), "{} is not managed", h.name);
            continue;
        }
        let row = row.unwrap_or_else(|| panic!("{} missing", h.name));
        assert_eq!(
            (row[1], row[2], row[3], row[4]),
            (
                h.name.as_str(),
                h.segscope_role.as_str(),
                h.zone.as_str(),
                h.criticality.as_str()
            )
        );
        assert!(roles.contains(&row[2]), "{row:?}");
    }
    for z in s.zones.iter().filter(|z| !z.external) {
        for c in &z.cidrs {
            assert_eq!(by_addr.get(c.as_str()).map(|r| r[3]), Some(z.name.as_str()));
        }
    }
    let yaml = inventory::yaml(s);
    assert_eq!(
        yaml.lines()
            .filter(|l| l.starts_with("  - { cidr: "))
            .count(),
        rows.len()
    );
}

#[test]
fn scale_streams_the_requested_flows_among_the_requested_workloads() {
    let mode = Mode::Scale {
        flows: 6_000,
        workloads: 2_000,
    };
    let g = gen_bytes(mode, 1);
    let again = gen_bytes(mode, 1);
    assert_eq!(sha(&g.out), sha(&again.out), "deterministic");
    let t = g.truth.as_ref().expect("truth");
    assert!(t.flows.is_empty(), "flows are not listed");
    let sum = t
        .scenario
        .as_ref()
        .and_then(|s| s.summary.clone())
        .expect("summary");
    assert_eq!((sum.flows, g.stats.flows), (6_000, 6_000));
    assert_eq!(sum.clients + sum.servers, sum.workloads);
    assert!(sum.workloads > 1_800 && sum.workloads <= 2_000, "{sum:?}");
    assert!(
        (60..=80).contains(&sum.servers) && sum.services > sum.servers,
        "{sum:?}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "scale.pcapng", &g.out);
    let Some(out) = tshark_raw(&file, &["-q", "-z", "conv,tcp", "-z", "conv,udp"]) else {
        return;
    };
    assert_eq!(
        conversations(&out).len() as u64,
        g.stats.flows,
        "one conversation per flow"
    );
}
