//! The flow table against Zeek's `conn.log` baselines for real captures (independent ground
//! truth): the captures are read with segscope's reader and decoder, and every Zeek connection
//! must appear as a record with the same originator/responder, `conn_state`, `history`, byte,
//! packet and IP-byte counts. Skips (with a `SKIP` line) when the real captures are absent.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use segscope_capture::{FrameBatch, FrameSource, InputSpec, ReadOptions};
use segscope_core::{Classification, Classify, DirPayload, FlowMeta, FlowRecord};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_gen::testdata::{manifest, real_capture, real_captures_dir};
use segscope_wire::Decoder;

struct Nothing;

impl Classify for Nothing {
    fn classify(&self, _: &FlowMeta, _: DirPayload<'_>, _: DirPayload<'_>) -> Classification {
        Classification::default()
    }
}

fn records_of(path: &Path, cfg: FlowConfig) -> Vec<FlowRecord> {
    let mut source = segscope_capture::open(vec![InputSpec::path(path)], &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let names: Vec<Arc<str>> = source.source_names().to_vec();
    let mut table = FlowTable::new(cfg, Nothing, names);
    let mut decoder = Decoder::new();
    let mut batch = FrameBatch::default();
    let mut out = Vec::new();
    while source
        .next_batch(&mut batch)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        for (meta, bytes) in batch.iter() {
            if let Some(packet) = decoder.decode(meta.linktype, bytes) {
                table.process(meta.ts, meta.source, meta.frame_no, &packet, &mut out);
            }
        }
    }
    table.flush(&mut out);
    out
}

/// Rows of a Zeek TSV log as column-name → value maps. Full logs name their columns in a
/// `#fields` line; `zeek-cut` extracts name them in their first line.
fn zeek_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if fields.is_empty() {
            fields = line.split('\t').map(str::to_string).collect();
        } else {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(str::to_string))
                    .collect(),
            );
        }
    }
    rows
}

const KEY_COLUMNS: [&str; 5] = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"];

fn key_of(r: &FlowRecord) -> [String; 5] {
    [
        r.client.ip.to_string(),
        r.client.port.to_string(),
        r.server.ip.to_string(),
        r.server.port.to_string(),
        r.transport.to_string(),
    ]
}

/// Known, documented differences from Zeek; returns a note when `row` is one of them.
fn known_difference(row: &HashMap<String, String>, records: &[FlowRecord]) -> Option<String> {
    let get = |k: &str| row.get(k).map(String::as_str).unwrap_or("-");
    let proto = get("proto");
    let port = |k: &str| get(k).parse::<u16>().ok();
    // An ICMP error is listed on the flow it quotes instead of being a connection of its own.
    if proto == "icmp" {
        let (t, c) = (port("id.orig_p")?, port("id.resp_p")?);
        let listed = records.iter().any(|r| {
            r.icmp_errors.iter().any(|e| {
                e.reporter.to_string() == get("id.orig_h")
                    && u16::from(e.icmp_type) == t
                    && u16::from(e.icmp_code) == c
            })
        });
        return listed.then(|| {
            format!(
                "ICMP {t}/{c} from {} listed on the flow it quotes",
                get("id.orig_h")
            )
        });
    }
    // The outer UDP flow of a VXLAN or GENEVE tunnel is decapsulated, not a flow.
    if proto == "udp" && matches!(port("id.resp_p"), Some(4789 | 6081)) {
        let inner = records.iter().any(|r| {
            r.tunnels.iter().any(|t| {
                t.outer_src.to_string() == get("id.orig_h")
                    && t.outer_dst.to_string() == get("id.resp_h")
            })
        });
        return inner.then(|| "tunnel outer flow decapsulated".to_string());
    }
    None
}

/// Differences between one Zeek row and the matching record, as readable lines. Fields Zeek left
/// unset (`-`, e.g. byte counts of single-packet connections) are not compared.
fn compare(row: &HashMap<String, String>, records: &[FlowRecord]) -> Vec<String> {
    let get = |k: &str| row.get(k).map(String::as_str).unwrap_or("-");
    let key = KEY_COLUMNS.map(get).join(" ");
    let found: Vec<&FlowRecord> = records
        .iter()
        .filter(|r| {
            let ours = key_of(r);
            KEY_COLUMNS
                .iter()
                .zip(&ours)
                .all(|(col, v)| row.get(*col).is_none_or(|z| z == v))
        })
        .collect();
    let [r] = found.as_slice() else {
        if found.is_empty()
            && let Some(note) = known_difference(row, records)
        {
            eprintln!("known difference: {key}: {note}");
            return Vec::new();
        }
        return vec![format!("{key}: {} matching records", found.len())];
    };
    let state = format!("{:?}", r.state);
    let ours = [
        ("conn_state", state.clone()),
        ("history", r.history.clone()),
        ("orig_bytes", r.client_stats.bytes.to_string()),
        ("resp_bytes", r.server_stats.bytes.to_string()),
        ("orig_pkts", r.client_stats.packets.to_string()),
        ("orig_ip_bytes", r.client_stats.ip_bytes.to_string()),
        ("resp_pkts", r.server_stats.packets.to_string()),
        ("resp_ip_bytes", r.server_stats.ip_bytes.to_string()),
    ];
    ours.iter()
        .filter_map(|(field, value)| {
            let zeek = row.get(*field)?;
            if zeek == "-" && field != &"history" {
                return None;
            }
            let zeek = if zeek == "-" { "" } else { zeek.as_str() };
            if *field == "conn_state" && get("proto") == "icmp" && zeek == "OTH" {
                // Zeek writes OTH for every ICMP flow; segscope uses S0/SF/SHR as for UDP.
                let expected = if r.server_stats.packets > 0 && r.client_stats.packets > 0 {
                    "SF"
                } else {
                    "S0"
                };
                return (value != expected).then(|| format!("{key}: ICMP state {value}"));
            }
            (zeek != value).then(|| format!("{key}: {field} zeek={zeek} segscope={value}"))
        })
        .collect()
}

/// Zeek's default connection key ignores VLAN tags.
fn zeek_key() -> FlowConfig {
    FlowConfig {
        vlans_in_key: false,
        ..FlowConfig::default()
    }
}

/// In `ldap-gap-data-missing.pcapng` the client's packets carry VLAN 81 and the server's VLAN 80.
/// With VLANs in the key (the default) the connection splits into two one-way flows; with
/// `vlans_in_key: false` it is one flow, as Zeek reports it.
#[test]
fn asymmetric_vlans_need_vlans_out_of_the_key() {
    let Some(capture) = real_capture("zeek/ldap-gap-data-missing.pcapng") else {
        return;
    };
    let split = records_of(&capture, FlowConfig::default());
    let mut vlans: Vec<Option<u16>> = split.iter().map(|r| r.vlan).collect();
    vlans.sort();
    assert_eq!(vlans, [Some(80), Some(81)]);
    let merged = records_of(&capture, zeek_key());
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].vlan, Some(81), "the first packet's VLAN");
    assert_eq!(merged[0].packets(), 18);
}

/// `dns53.pcap` holds a single DNS response; Zeek's `dns.log` names the querier as originator,
/// and so must the flow record.
#[test]
fn lone_dns_response_oriented_like_zeek() {
    let Some(capture) = real_capture("zeek/dns53.pcap") else {
        return;
    };
    let rows = zeek_rows(&capture.with_file_name("dns53.zeek-dns.log"));
    let [row] = rows.as_slice() else {
        panic!("expected one dns.log row, got {}", rows.len());
    };
    let records = records_of(&capture, FlowConfig::default());
    let [r] = records.as_slice() else {
        panic!("expected one record, got {records:?}");
    };
    let zeek: Vec<&str> = KEY_COLUMNS
        .iter()
        .map(|c| row.get(*c).map_or("-", String::as_str))
        .collect();
    assert_eq!(key_of(r).to_vec(), zeek);
    assert_eq!(r.history, "^d");
    assert!(r.direction_inferred);
}

#[test]
fn conn_logs_match_zeek() {
    let Some(dir) = real_captures_dir() else {
        eprintln!("SKIP: real captures not found");
        return;
    };
    let mut diffs = Vec::new();
    let mut compared = 0;
    for entry in manifest() {
        let Some(log) = entry
            .expected_output
            .split(';')
            .filter_map(|part| part.trim().split(" <- ").next())
            .find(|name| name.contains("zeek-conn"))
        else {
            continue;
        };
        let Some(capture) = real_capture(&entry.path) else {
            continue;
        };
        let log_path = capture.with_file_name(log);
        let rows: Vec<_> = zeek_rows(&log_path)
            .into_iter()
            .filter(|row| row.contains_key("id.orig_h") || row.contains_key("id.resp_h"))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let records = records_of(&capture, zeek_key());
        for row in &rows {
            compared += 1;
            for d in compare(row, &records) {
                diffs.push(format!("{}: {d}", entry.path));
            }
        }
    }
    eprintln!(
        "compared {compared} Zeek connections under {}",
        dir.display()
    );
    for d in &diffs {
        eprintln!("{d}");
    }
    assert!(compared > 0);
    assert!(diffs.is_empty(), "{} differences from Zeek", diffs.len());
}
