//! `segscope flows` against tshark's conversation table (`tshark -q -z conv,tcp -z conv,udp`,
//! an independent implementation) on every real capture in `../shared/captures/real`: per TCP
//! or UDP endpoint pair, the packets segscope counts must equal the frames tshark counts.
//!
//! tshark's table joins everything between two endpoints, so segscope's records are summed per
//! pair (across VLANs, tunnels and reuse of the same ports over time). Documented, systematic
//! differences, each checked rather than skipped:
//!
//! * **Tunnel outer flows.** tshark lists the outer UDP conversation of a VXLAN (4789) or
//!   GENEVE (6081) tunnel; segscope decapsulates it and records the tunnel on the inner flow,
//!   which is the conversation that matters. Such a pair must be absent from segscope's output
//!   and its inner flows present with the tunnel recorded.
//! * **Tunnel packets fragmented on the outer IP header.** segscope does not reassemble outer
//!   fragments to decapsulate them (the tunnel payload of a first fragment is incomplete): they
//!   stay in the outer GRE flow, with their fragments counted, so the inner conversation lacks
//!   those packets; tshark reassembles them. Allowed only when the capture has such an outer
//!   flow, and only as fewer packets on our side.
//! * **Damaged captures.** tshark stops at the first corrupt record ("appears to be damaged or
//!   corrupt"); segscope reports the damage, resynchronises and reads on. For these files
//!   segscope must count at least what tshark counts on every pair, and must have warned.
//!
//! Skips (with a `SKIP` line) without the real captures or tshark.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use segscope_core::flow::TunnelKind;
use segscope_core::{FlowRecord, Transport};
use segscope_gen::testdata::{manifest, real_capture, tshark_available};

type Pair = (&'static str, (IpAddr, u16), (IpAddr, u16));

fn pair(proto: &'static str, a: (IpAddr, u16), b: (IpAddr, u16)) -> Pair {
    if a <= b { (proto, a, b) } else { (proto, b, a) }
}

/// Frames per endpoint pair from tshark's conversation tables, and whether tshark found the
/// file damaged.
fn tshark_conversations(file: &Path) -> (BTreeMap<Pair, u64>, bool) {
    let out = Command::new("tshark")
        .args(["-n", "-q", "-z", "conv,tcp", "-z", "conv,udp", "-r"])
        .arg(file)
        .output()
        .expect("run tshark");
    let damaged = String::from_utf8_lossy(&out.stderr).contains("damaged or corrupt");
    let mut pairs = BTreeMap::new();
    let mut proto = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.contains("TCP Conversations") {
            proto = Some("tcp");
        } else if line.contains("UDP Conversations") {
            proto = Some("udp");
        }
        let mut words = line.split_whitespace();
        let (Some(a), Some("<->"), Some(b), Some(proto)) =
            (words.next(), words.next(), words.next(), proto)
        else {
            continue;
        };
        // After the endpoints: frames, bytes, unit for each direction, then the totals.
        let Some(total) = words.nth(6).and_then(|f| f.parse::<u64>().ok()) else {
            continue;
        };
        let (Some(a), Some(b)) = (endpoint(a), endpoint(b)) else {
            continue;
        };
        *pairs.entry(pair(proto, a, b)).or_default() += total;
    }
    (pairs, damaged)
}

fn endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (ip, port) = s.rsplit_once(':')?;
    let ip = ip
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some((ip, port.parse().ok()?))
}

fn segscope_pairs(records: &[FlowRecord]) -> BTreeMap<Pair, u64> {
    let mut pairs = BTreeMap::new();
    for r in records {
        let proto = match r.transport {
            Transport::TCP => "tcp",
            Transport::UDP => "udp",
            _ => continue,
        };
        let key = pair(
            proto,
            (r.client.ip, r.client.port),
            (r.server.ip, r.server.port),
        );
        *pairs.entry(key).or_default() += r.packets();
    }
    pairs
}

#[test]
fn every_real_capture_agrees_with_tshark_conversations() {
    if !tshark_available() {
        eprintln!("SKIP: tshark not installed");
        return;
    }
    let entries = manifest();
    if entries.is_empty() {
        eprintln!("SKIP: ../shared/captures/real not found");
        return;
    }
    let (mut compared, mut tunnel_outer, mut damaged_files, mut outer_fragmented) = (0, 0, 0, 0);
    let mut unexplained = Vec::new();
    for entry in &entries {
        let Some(file) = real_capture(&entry.path) else {
            continue;
        };
        let out = common::run(&["flows", "--workers", "2", file.to_str().expect("utf-8")]);
        assert!(out.status.success(), "{}: segscope failed", entry.path);
        let warned = String::from_utf8_lossy(&out.stderr).contains("corrupt");
        let records = common::parse_jsonl(&out.stdout);
        let ours = segscope_pairs(&records);
        let (theirs, damaged) = tshark_conversations(&file);
        if damaged {
            damaged_files += 1;
            assert!(
                warned,
                "{}: tshark found damage, segscope did not warn",
                entry.path
            );
        }
        let tunnelled: BTreeSet<u16> = records
            .iter()
            .flat_map(|r| r.tunnels.iter())
            .filter_map(|t| match t.kind {
                TunnelKind::Vxlan => Some(4789),
                TunnelKind::Geneve => Some(6081),
                _ => None,
            })
            .collect();
        let fragmented_tunnel = records
            .iter()
            .any(|r| r.transport == Transport::GRE && r.fragments > 0);
        let keys: BTreeSet<&Pair> = ours.keys().chain(theirs.keys()).collect();
        for key in keys {
            compared += 1;
            let (o, t) = (ours.get(key).copied(), theirs.get(key).copied());
            if o == t {
                continue;
            }
            let outer = key.0 == "udp"
                && o.is_none()
                && (tunnelled.contains(&key.1.1) || tunnelled.contains(&key.2.1));
            if outer {
                tunnel_outer += 1;
            } else if fragmented_tunnel && o.unwrap_or(0) < t.unwrap_or(0) {
                outer_fragmented += 1;
            } else if damaged && o.unwrap_or(0) >= t.unwrap_or(0) {
                // Read past the damage tshark stopped at.
            } else {
                unexplained.push(format!(
                    "{}: {} {}:{} <-> {}:{}: segscope {o:?} packets, tshark {t:?} frames",
                    entry.path, key.0, key.1.0, key.1.1, key.2.0, key.2.1
                ));
            }
        }
    }
    eprintln!(
        "compared {compared} endpoint pairs; {tunnel_outer} tunnel outer flows decapsulated, \
         {outer_fragmented} pairs short of outer-fragmented tunnel packets, {damaged_files} \
         damaged files read past tshark's stop"
    );
    assert!(compared > 500, "the real captures were read");
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
