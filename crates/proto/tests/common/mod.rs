//! Helpers shared by the real-capture tests: streams extracted with
//! `tshark -z follow,<proto>,raw` and classified the way the flow table would hand them over.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use segscope_core::{
    Classification, Classify, DirPayload, Endpoint, FlowMeta, Timestamp, Transport,
};
use segscope_gen::testdata::{real_capture, tshark_fields, tshark_raw};
use segscope_proto::Classifier;
use segscope_rules::RuleSource;

/// One followed stream: its two endpoints and its segments or datagrams in order.
pub(crate) struct Followed {
    pub(crate) node0: SocketAddr,
    pub(crate) node1: SocketAddr,
    /// (sent by node 0, bytes).
    pub(crate) segments: Vec<(bool, Vec<u8>)>,
}

pub(crate) fn parse_node(line: &str) -> Option<SocketAddr> {
    let addr = line.split_once(": ")?.1.trim();
    let (ip, port) = addr.rsplit_once(':')?;
    let ip: IpAddr = ip
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

/// A stream being read from tshark's output: its index, both nodes once seen, the segments.
pub(crate) type Partial = (
    u32,
    Option<SocketAddr>,
    Option<SocketAddr>,
    Vec<(bool, Vec<u8>)>,
);

/// `tshark -z follow,<proto>,raw,<n>` for every stream in `ids`, in one tshark run; the
/// result is in stream order.
pub(crate) fn follow_many(file: &Path, proto: &str, ids: &[u32]) -> Option<Vec<(u32, Followed)>> {
    let specs: Vec<String> = ids
        .iter()
        .map(|s| format!("follow,{proto},raw,{s}"))
        .collect();
    let mut args = vec!["-q"];
    for spec in &specs {
        args.extend(["-z", spec.as_str()]);
    }
    let out = tshark_raw(file, &args)?;
    let mut result = Vec::new();
    let mut current: Option<Partial> = None;
    let mut finish = |cur: Option<Partial>| {
        if let Some((id, Some(node0), Some(node1), segments)) = cur {
            result.push((
                id,
                Followed {
                    node0,
                    node1,
                    segments,
                },
            ));
        }
    };
    for line in out.lines() {
        if let Some(id) = line
            .strip_prefix("Filter: ")
            .and_then(|f| f.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
        {
            finish(current.take());
            current = Some((id, None, None, Vec::new()));
        } else if let Some(cur) = current.as_mut() {
            if line.starts_with("Node 0:") {
                cur.1 = parse_node(line);
            } else if line.starts_with("Node 1:") {
                cur.2 = parse_node(line);
            } else if cur.2.is_some()
                && !line.starts_with('=')
                && !line.trim().is_empty()
                && let Ok(bytes) = hex::decode(line.trim())
            {
                cur.3.push((!line.starts_with('\t'), bytes));
            }
        }
    }
    finish(current);
    result.sort_by_key(|(id, _)| *id);
    Some(result)
}

/// Stream indices of a capture for `tcp` or `udp`.
pub(crate) fn streams(file: &Path, proto: &str) -> Vec<u32> {
    let field = format!("{proto}.stream");
    let mut v: Vec<u32> = tshark_fields(file, Some(proto), &[&field])
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.first()?.parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Classifies one followed stream; the server is the node on `server_port` (node 1 when both
/// or neither are).
pub(crate) fn classify(
    f: &Followed,
    transport: Transport,
    server_port: Option<u16>,
) -> Classification {
    let node0_is_server = server_port.is_some_and(|p| f.node0.port() == p && f.node1.port() != p);
    let (client, server) = if node0_is_server {
        (f.node1, f.node0)
    } else {
        (f.node0, f.node1)
    };
    let from_client = |from0: bool| from0 != node0_is_server;
    let mut cb = Vec::new();
    let mut cl = Vec::new();
    let mut sb = Vec::new();
    let mut sl = Vec::new();
    for (from0, bytes) in &f.segments {
        let (b, l) = if from_client(*from0) {
            (&mut cb, &mut cl)
        } else {
            (&mut sb, &mut sl)
        };
        b.extend_from_slice(bytes);
        l.push(bytes.len() as u32);
    }
    if transport == Transport::TCP {
        cl.clear();
        sl.clear();
    }
    let rules = Arc::new(RuleSource::embedded().protocols().expect("shipped rules"));
    let meta = FlowMeta {
        transport,
        client: Endpoint {
            ip: client.ip(),
            port: client.port(),
        },
        server: Endpoint {
            ip: server.ip(),
            port: server.port(),
        },
        direction_inferred: false,
        first_ts: Timestamp(0),
        last_ts: Timestamp(0),
        server_answered: !sb.is_empty(),
    };
    Classifier::new(rules).classify(
        &meta,
        DirPayload {
            bytes: &cb,
            datagrams: &cl,
            ..Default::default()
        },
        DirPayload {
            bytes: &sb,
            datagrams: &sl,
            ..Default::default()
        },
    )
}

/// Every stream of a capture that carried payload, classified.
pub(crate) fn all_streams(
    rel: &str,
    transport: Transport,
    server_port: Option<u16>,
) -> Option<Vec<(u32, Classification)>> {
    let file = real_capture(rel)?;
    let proto = if transport == Transport::TCP {
        "tcp"
    } else {
        "udp"
    };
    let ids = streams(&file, proto);
    let followed = follow_many(&file, proto, &ids)?;
    Some(
        followed
            .iter()
            .filter(|(_, f)| !f.segments.is_empty())
            .map(|(s, f)| (*s, classify(f, transport, server_port)))
            .collect(),
    )
}

pub(crate) fn show(c: &Classification) -> String {
    format!("{}/{} ({})", c.app_proto, c.auth, c.evidence.reason)
}
