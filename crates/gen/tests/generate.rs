//! End-to-end checks of generated captures: determinism, size, internal consistency of the
//! ground truth, and validity and flow counts as read by an independent tool (tshark).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use segscope_core::Transport;
use segscope_core::flow::{ConnState, TunnelKind};
use segscope_gen::capture::Format;
use segscope_gen::testdata::{project_captures, tshark_fields, tshark_raw};
use segscope_gen::truth::{Truth, TruthFlow};
use segscope_gen::{Generated, Mode, generate};
use sha2::{Digest, Sha256};

fn gen_bytes(mode: Mode, seed: u64, format: Format) -> Generated<Vec<u8>> {
    generate(mode, seed, format, Vec::new(), true).expect("in-memory generation")
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("temp file");
    p
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for mode in [
        Mode::Bench { size: 1_500_000 },
        Mode::Flows { count: 5_000 },
        Mode::Demo,
    ] {
        let a = gen_bytes(mode, 7, Format::Pcapng);
        let b = gen_bytes(mode, 7, Format::Pcapng);
        let c = gen_bytes(mode, 8, Format::Pcapng);
        assert_eq!(
            sha(&a.out),
            sha(&b.out),
            "{mode}: same seed must give the same bytes"
        );
        assert_eq!(
            a.truth, b.truth,
            "{mode}: same seed must give the same truth"
        );
        assert_ne!(
            sha(&a.out),
            sha(&c.out),
            "{mode}: another seed must give other bytes"
        );
    }
}

#[test]
fn bench_meets_the_size_and_reports_its_shape() {
    for format in [Format::Pcap, Format::Pcapng] {
        let size = 3_000_000;
        let g = gen_bytes(Mode::Bench { size }, 1, format);
        let len = g.out.len() as u64;
        assert_eq!(
            len, g.stats.file_bytes,
            "{format:?}: accounting equals file length"
        );
        assert!(
            len <= size && len > size - 2_000,
            "{format:?}: {len} not within one frame of {size}"
        );
        let s = g.stats;
        assert!(s.flows > 100, "{s:?}");
        assert!(
            (300.0..800.0).contains(&s.avg_frame()),
            "avg frame {}",
            s.avg_frame()
        );
        assert!(s.v6_flows > 0 && s.vlan_flows > 0 && s.qinq_flows > 0 && s.tunnel_flows > 0);
        assert!(
            g.stats
                .summary_line()
                .contains(&format!("{} packets", s.frames))
        );
    }
}

#[test]
fn flows_mode_opens_every_flow_with_about_two_packets_each() {
    let g = gen_bytes(Mode::Flows { count: 20_000 }, 3, Format::Pcap);
    let t = g.truth.expect("truth kept");
    assert_eq!(t.flows.len(), 20_000);
    let per_flow = g.stats.frames as f64 / 20_000.0;
    assert!(
        (2.0..2.4).contains(&per_flow),
        "{per_flow} packets per flow"
    );
    // Nothing is closed: every TCP flow is S0 or S1, every UDP flow S0 or SF.
    for f in &t.flows {
        assert!(
            matches!(f.state, ConnState::S0 | ConnState::S1 | ConnState::SF),
            "{f:?}"
        );
        assert!(f.client_stats.packets + f.server_stats.packets <= 3);
    }
    let five_tuples: BTreeSet<_> = t
        .flows
        .iter()
        .map(|f| (f.client, f.server, f.transport))
        .collect();
    assert_eq!(
        five_tuples.len(),
        20_000,
        "every flow has its own five-tuple"
    );
}

/// Packets counted by the truth (one per datagram) plus non-first fragments are the frames.
fn assert_truth_accounts_for_every_frame(g: &Generated<Vec<u8>>, t: &Truth) {
    let packets: u64 = t
        .flows
        .iter()
        .map(|f| f.client_stats.packets + f.server_stats.packets + f.fragments)
        .sum();
    assert_eq!(packets, g.stats.frames);
    let mut last = 0;
    for f in &t.flows {
        assert!(
            f.first_frame > last,
            "flows sorted by first frame, frames distinct"
        );
        last = f.first_frame;
    }
}

#[test]
fn demo_plays_every_planned_session_and_covers_every_feature() {
    let g = gen_bytes(Mode::Demo, 1, Format::Pcapng);
    let t = g.truth.clone().expect("truth kept");
    assert_eq!(
        t.flows.len(),
        segscope_gen::demo::demo().sessions.len(),
        "a session was dropped"
    );
    assert!(g.out.len() < 1_000_000, "demo is {} bytes", g.out.len());
    assert_truth_accounts_for_every_frame(&g, &t);
    let states: BTreeSet<ConnState> = t.flows.iter().map(|f| f.state).collect();
    for s in [
        ConnState::SF,
        ConnState::S0,
        ConnState::REJ,
        ConnState::RSTO,
        ConnState::RSTR,
        ConnState::S1,
    ] {
        assert!(states.contains(&s), "no {s:?} flow in the demo");
    }
    let kinds: BTreeSet<TunnelKind> = t
        .flows
        .iter()
        .filter_map(|f| f.tunnel.as_ref().map(|x| x.tunnel.kind))
        .collect();
    assert!(kinds.contains(&TunnelKind::Vxlan) && kinds.contains(&TunnelKind::Gre));
    assert!(t.flows.iter().any(|f| f.inner_vlan.is_some()), "QinQ");
    assert!(t.flows.iter().any(|f| f.client.ip.is_ipv6()), "IPv6");
    assert!(t.flows.iter().any(|f| f.fragments > 0), "IP fragments");
    assert!(
        t.flows
            .iter()
            .any(|f| f.retransmissions > 0 && f.reordered > 0),
        "impairments"
    );
    assert!(t.flows.iter().any(|f| f.transport == Transport::ICMP));
}

#[test]
fn committed_demo_capture_is_what_the_generator_writes() {
    let path = project_captures().join("demo.pcapng");
    let committed = std::fs::read(&path).expect("captures/demo.pcapng is committed");
    let fresh = gen_bytes(Mode::Demo, 1, Format::Pcapng);
    assert!(
        committed == fresh.out,
        "{} is stale: regenerate it with the command in captures/README.md",
        path.display()
    );
}

/// One row of `tshark -z conv,…`: the two endpoints and the total frames.
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

fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    format!("{ip}:{port}")
}

/// One tshark pass: checksums verified, malformed or error packets displayed, and the frame and
/// conversation statistics (taps see every packet, whatever the display filter).
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

/// tshark finds no malformed packet and no checksum error, counts the frames we wrote, and
/// sees one TCP or UDP conversation per intended flow (plus the outer VXLAN conversations,
/// one per VTEP direction), each with the intended number of packets.
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
        bad.iter().take(20).copied().collect::<Vec<_>>().join("\n")
    );
    // The io,stat row: "|  0.0 <> 53.5 |    958 | 649143 |".
    let frames: Option<u64> = out
        .lines()
        .find(|l| l.contains(" <> "))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|c| c.trim().parse().ok());
    assert_eq!(frames, Some(g.stats.frames), "frames tshark read");
    let seen = conversations(&out);
    let mut want: BTreeMap<(String, String), &TruthFlow> = BTreeMap::new();
    let mut outer = BTreeSet::new();
    for f in &t.flows {
        if f.transport.has_ports() {
            want.insert(
                (
                    endpoint(f.client.ip, f.client.port),
                    endpoint(f.server.ip, f.server.port),
                ),
                f,
            );
        }
        // Every VXLAN-carried flow (ICMP included) is also an outer UDP conversation.
        if let Some(tun) = &f.tunnel
            && let Some(sport) = tun.outer_udp_src_port
        {
            outer.insert((
                endpoint(tun.tunnel.outer_src, sport),
                endpoint(tun.tunnel.outer_dst, 4789),
            ));
            // The return direction is its own outer conversation, when there is one.
            if f.server_stats.packets > 0 {
                outer.insert((
                    endpoint(tun.tunnel.outer_dst, sport),
                    endpoint(tun.tunnel.outer_src, 4789),
                ));
            }
        }
    }
    assert_eq!(
        seen.len(),
        want.len() + outer.len(),
        "tshark conversations vs intended flows"
    );
    let mut matched = 0;
    for (a, b, frames) in &seen {
        let key_ab = (a.clone(), b.clone());
        let key_ba = (b.clone(), a.clone());
        if outer.contains(&key_ab) || outer.contains(&key_ba) {
            continue;
        }
        let f = want
            .get(&key_ab)
            .or_else(|| want.get(&key_ba))
            .unwrap_or_else(|| panic!("tshark conversation {a} <-> {b} was not intended"));
        assert_eq!(
            *frames,
            f.client_stats.packets + f.server_stats.packets,
            "packets of {a} <-> {b}"
        );
        matched += 1;
    }
    assert_eq!(matched, want.len());
}

#[test]
fn tshark_reads_the_demo_cleanly_and_sees_the_intended_flows() {
    let g = gen_bytes(Mode::Demo, 1, Format::Pcapng);
    let t = g.truth.clone().expect("truth kept");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "demo.pcapng", &g.out);
    check_with_tshark(&file, &g, &t);
    // DNS answers what HTTP then connects to, by name.
    let Some(rows) = tshark_fields(
        &file,
        Some("(dns.flags.response == 1 && dns.a) || http.request"),
        &["dns.qry.name", "dns.a", "http.host"],
    ) else {
        return;
    };
    let first = rows.first().expect("a DNS answer");
    assert_eq!(first[0], "web01.corp.example");
    let web = t
        .flows
        .iter()
        .find(|f| f.server.port == 80)
        .expect("an HTTP flow");
    assert_eq!(first[1], web.server.ip.to_string());
    let hosts: Vec<&String> = rows
        .iter()
        .filter_map(|r| r.get(2))
        .filter(|h| !h.is_empty())
        .collect();
    assert!(hosts.len() > 10, "{rows:?}");
    assert!(
        hosts.iter().all(|h| h.ends_with(".corp.example")),
        "{hosts:?}"
    );
}

#[test]
fn tshark_reads_a_bench_capture_cleanly_and_sees_the_intended_flows() {
    let g = gen_bytes(Mode::Bench { size: 5_000_000 }, 11, Format::Pcap);
    let t = g.truth.clone().expect("truth kept");
    assert_truth_accounts_for_every_frame(&g, &t);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "bench.pcap", &g.out);
    check_with_tshark(&file, &g, &t);
}

#[test]
fn tshark_reads_a_flows_capture_cleanly_and_sees_the_intended_flows() {
    let g = gen_bytes(Mode::Flows { count: 3_000 }, 5, Format::Pcapng);
    let t = g.truth.clone().expect("truth kept");
    assert_truth_accounts_for_every_frame(&g, &t);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_temp(&dir, "flows.pcapng", &g.out);
    check_with_tshark(&file, &g, &t);
}
