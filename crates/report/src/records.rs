//! Flow records as JSONL (the full record, field names documented in the README), CSV (one flat
//! row per record) or a table for people.

use std::fmt::Write as _;
use std::str::FromStr;

use segscope_core::FlowRecord;

/// How flow records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// One JSON object per line, every field.
    Jsonl,
    /// Comma-separated values with a header row; nested evidence is summarised.
    Csv,
    /// Aligned columns for reading in a terminal.
    Table,
}

impl FromStr for RecordFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" | "json" => Ok(RecordFormat::Jsonl),
            "csv" => Ok(RecordFormat::Csv),
            "table" => Ok(RecordFormat::Table),
            _ => Err(format!("unknown format {s:?}: use jsonl, csv or table")),
        }
    }
}

/// CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "flow_id",
    "community_id",
    "record_seq",
    "interim",
    "end_reason",
    "file",
    "first_frame",
    "first_ts",
    "last_ts",
    "duration",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "transport",
    "vlan",
    "inner_vlan",
    "tunnels",
    "state",
    "history",
    "direction_inferred",
    "client_packets",
    "client_bytes",
    "client_ip_bytes",
    "server_packets",
    "server_bytes",
    "server_ip_bytes",
    "fragments",
    "icmp_errors",
    "admin_prohibited",
    "app_proto",
    "app_confidence",
    "auth",
    "mechanism",
    "user",
    "tls_version",
    "sni",
    "weak",
    "reason",
];

impl RecordFormat {
    /// What goes before the first record.
    pub fn header(self) -> Vec<u8> {
        match self {
            RecordFormat::Jsonl => Vec::new(),
            RecordFormat::Csv => {
                let mut v = CSV_COLUMNS.join(",").into_bytes();
                v.push(b'\n');
                v
            }
            RecordFormat::Table => format!(
                "{:<23} {:<40} {:<40} {:<6} {:<13} {:<26} {:<6} {:>13} {:>17} {:<16} {}\n",
                "FIRST (UTC)",
                "CLIENT",
                "SERVER",
                "PROTO",
                "APP",
                "AUTH",
                "STATE",
                "PKTS C/S",
                "BYTES C/S",
                "FLOW",
                "FILE:FRAME"
            )
            .into_bytes(),
        }
    }

    /// Appends one record.
    pub fn encode(self, r: &FlowRecord, out: &mut Vec<u8>) {
        match self {
            RecordFormat::Jsonl => {
                // Serialising plain data into a Vec cannot fail; keep going if it ever did.
                if serde_json::to_writer(&mut *out, r).is_ok() {
                    out.push(b'\n');
                }
            }
            RecordFormat::Csv => encode_csv(r, out),
            RecordFormat::Table => encode_table(r, out),
        }
    }
}

fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn encode_csv(r: &FlowRecord, out: &mut Vec<u8>) {
    let e = &r.evidence;
    let tunnels = r
        .tunnels
        .iter()
        .map(|t| match t.id {
            Some(id) => format!("{}:{id}", t.kind.as_str()),
            None => t.kind.as_str().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";");
    let weak = e
        .weak
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";");
    let admin = r.icmp_errors.iter().any(|x| x.admin_prohibited)
        || r.icmp.as_ref().is_some_and(|i| i.admin_prohibited);
    let fields: Vec<String> = vec![
        r.flow_id.to_string(),
        r.community_id.clone(),
        r.record_seq.to_string(),
        r.interim.to_string(),
        r.end_reason.as_str().to_owned(),
        r.source.file.to_string(),
        r.source.first_frame.to_string(),
        r.first_ts.to_string(),
        r.last_ts.to_string(),
        format!("{:.6}", r.duration.as_secs_f64()),
        r.client.ip.to_string(),
        r.client.port.to_string(),
        r.server.ip.to_string(),
        r.server.port.to_string(),
        r.transport.to_string(),
        opt(r.vlan),
        opt(r.inner_vlan),
        tunnels,
        r.state.as_str().to_owned(),
        r.history.clone(),
        r.direction_inferred.to_string(),
        r.client_stats.packets.to_string(),
        r.client_stats.bytes.to_string(),
        r.client_stats.ip_bytes.to_string(),
        r.server_stats.packets.to_string(),
        r.server_stats.bytes.to_string(),
        r.server_stats.ip_bytes.to_string(),
        r.fragments.to_string(),
        r.icmp_errors.len().to_string(),
        admin.to_string(),
        r.app_proto.to_string(),
        r.app_confidence.as_str().to_owned(),
        r.auth.to_string(),
        opt(e.mechanism.as_ref()),
        opt(e.user.as_ref()),
        opt(e.tls.as_ref().and_then(|t| t.version.as_ref())),
        opt(e.tls.as_ref().and_then(|t| t.sni.as_ref())),
        weak,
        e.reason.clone(),
    ];
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if w.write_record(&fields).is_ok()
        && let Ok(bytes) = w.into_inner()
    {
        out.extend_from_slice(&bytes);
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

fn encode_table(r: &FlowRecord, out: &mut Vec<u8>) {
    let mut line = String::with_capacity(200);
    let ts = r.first_ts.to_string();
    // 2024-01-02T03:04:05.123456789Z → 2024-01-02T03:04:05.123
    let short_ts = ts.get(..23).unwrap_or(&ts);
    let _ = write!(
        line,
        "{:<23} {:<40} {:<40} {:<6} {:<13} {:<26} {:<6} {:>13} {:>17} {:<16} {}:{}",
        short_ts,
        endpoint(r.client.ip, r.client.port),
        endpoint(r.server.ip, r.server.port),
        r.transport.to_string(),
        r.app_proto.as_str(),
        r.auth.as_str(),
        r.state.as_str(),
        format!("{}/{}", r.client_stats.packets, r.server_stats.packets),
        format!(
            "{}/{}",
            human_bytes(r.client_stats.bytes),
            human_bytes(r.server_stats.bytes)
        ),
        r.flow_id.to_string(),
        r.source.file,
        r.source.first_frame,
    );
    line.push('\n');
    out.extend_from_slice(line.as_bytes());
}

/// Encoded records of one epoch of one worker, with their sort keys, so that the calling thread
/// only merges byte ranges (encoding runs in the workers, in parallel).
#[derive(Debug)]
pub struct EncodedRecords<K> {
    entries: Vec<(K, usize, usize)>,
    bytes: Vec<u8>,
}

impl<K: Ord> Default for EncodedRecords<K> {
    fn default() -> Self {
        EncodedRecords {
            entries: Vec::new(),
            bytes: Vec::new(),
        }
    }
}

impl<K: Ord + Copy> EncodedRecords<K> {
    /// Appends one record, encoded, under `key`. Keys must be pushed in ascending order.
    pub fn push(&mut self, key: K, format: RecordFormat, r: &FlowRecord) {
        let start = self.bytes.len();
        format.encode(r, &mut self.bytes);
        self.entries.push((key, start, self.bytes.len()));
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Writes the records of several workers' epochs merged by key (each part is already sorted).
pub fn write_merged<K: Ord + Copy, W: std::io::Write>(
    parts: &[EncodedRecords<K>],
    w: &mut W,
) -> std::io::Result<u64> {
    let mut heads = vec![0usize; parts.len()];
    let mut written = 0;
    loop {
        let next = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.entries.get(heads[i]).map(|e| (e.0, i)))
            .min();
        let Some((_, i)) = next else {
            return Ok(written);
        };
        let (_, start, end) = parts[i].entries[heads[i]];
        w.write_all(&parts[i].bytes[start..end])?;
        heads[i] += 1;
        written += 1;
    }
}
