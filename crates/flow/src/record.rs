//! Classification hand-off and record assembly.

use std::sync::Arc;

use segscope_core::flow::{SourceRef, Tunnel};
use segscope_core::stats::FlowStats;
use segscope_core::{
    Classification, Classify, DirPayload, EndReason, Endpoint, FlowId, FlowMeta, FlowRecord,
    Transport, community_id_v1,
};

use crate::flow::{Flow, bits};
use crate::retain::{DirBuf, Pool};

/// The client and server endpoints as records show them. For ICMP the client's port is the
/// (request) type and the server's port the code of the flow's first message.
pub(crate) fn endpoints(flow: &Flow) -> (Endpoint, Endpoint) {
    let client_lo = flow.has(bits::CLIENT_IS_LO);
    let (cip, cport) = flow.key.endpoint(client_lo);
    let (sip, mut sport) = flow.key.endpoint(!client_lo);
    if flow.key.transport().is_icmp()
        && let Some(icmp) = flow.extras.as_ref().and_then(|e| e.icmp.as_ref())
    {
        sport = u16::from(icmp.icmp_code);
    }
    (
        Endpoint {
            ip: cip,
            port: cport,
        },
        Endpoint {
            ip: sip,
            port: sport,
        },
    )
}

/// Time of the flow's first packet (not of the current slice).
pub(crate) fn flow_first_ts(flow: &Flow) -> segscope_core::Timestamp {
    flow.extras
        .as_ref()
        .and_then(|e| e.flow_first_ts)
        .unwrap_or(flow.first_ts)
}

fn meta(flow: &Flow) -> FlowMeta {
    let (client, server) = endpoints(flow);
    FlowMeta {
        transport: flow.key.transport(),
        client,
        server,
        direction_inferred: flow.has(bits::INFERRED),
        first_ts: flow_first_ts(flow),
        last_ts: flow.last_ts,
        server_answered: flow.has(bits::SERVER_SEEN),
    }
}

/// Updates the once-per-flow retention counters from the state of the retained payload.
pub(crate) fn note_retention(flow: &mut Flow, stats: &mut FlowStats) {
    let retained = flow.retained.as_deref();
    let any = |f: fn(&DirBuf) -> bool| retained.is_some_and(|r| r.dirs.iter().any(f));
    let gap = any(|d| d.gap);
    let budget = any(|d| d.budget_reached);
    let denied = flow.has(bits::RETENTION_REFUSED) || any(|d| d.denied);
    if gap && !flow.has(bits::PAYLOAD_GAP) {
        flow.bits |= bits::PAYLOAD_GAP;
        stats.payload_gaps += 1;
    }
    if budget && !flow.has(bits::BUDGET_COUNTED) {
        flow.bits |= bits::BUDGET_COUNTED;
        stats.payload_budget_reached += 1;
    }
    if denied && !flow.has(bits::DENIED_COUNTED) {
        flow.bits |= bits::DENIED_COUNTED;
        stats.payload_cap_denied += 1;
    }
}

/// Runs the classifier on the retained payload (ending retention first) and frees the buffers.
fn run_classifier<C: Classify>(
    flow: &mut Flow,
    classifier: &C,
    pool: &mut Pool,
    stats: &mut FlowStats,
) -> Classification {
    if let Some(retained) = flow.retained.as_mut() {
        for dir in &mut retained.dirs {
            dir.close(pool);
        }
    }
    note_retention(flow, stats);
    let meta = meta(flow);
    let class = match flow.retained.as_deref() {
        Some(r) => classifier.classify(&meta, r.dirs[0].view(), r.dirs[1].view()),
        None => classifier.classify(&meta, DirPayload::default(), DirPayload::default()),
    };
    flow.release_payload(pool);
    class
}

/// Classifies the flow now, unless it already is, and keeps the result for its later records.
pub(crate) fn classify_and_keep<C: Classify>(
    flow: &mut Flow,
    classifier: &C,
    pool: &mut Pool,
    stats: &mut FlowStats,
) {
    if flow
        .extras
        .as_ref()
        .is_some_and(|e| e.classification.is_some())
    {
        return;
    }
    let class = run_classifier(flow, classifier, pool, stats);
    flow.extras().classification = Some(Box::new(class));
}

/// True when the flow has been classified.
pub(crate) fn is_classified(flow: &Flow) -> bool {
    flow.extras
        .as_ref()
        .is_some_and(|e| e.classification.is_some())
}

/// What a record needs from its context.
pub(crate) struct RecordCtx<'a, C> {
    pub(crate) classifier: &'a C,
    pub(crate) pool: &'a mut Pool,
    pub(crate) stats: &'a mut FlowStats,
    pub(crate) source: Arc<str>,
}

/// Builds the record of the flow's current slice. For an interim record the classification is
/// kept (its names go only into the first record that carries them) and the slice counters are
/// reset by the caller; for a final record everything is consumed.
pub(crate) fn build<C: Classify>(
    flow: &mut Flow,
    ctx: RecordCtx<'_, C>,
    reason: EndReason,
    interim: bool,
) -> FlowRecord {
    let class = if interim {
        classify_and_keep(flow, ctx.classifier, ctx.pool, ctx.stats);
        match flow
            .extras
            .as_mut()
            .and_then(|e| e.classification.as_deref_mut())
        {
            Some(kept) => Classification {
                names: std::mem::take(&mut kept.names),
                ..kept.clone()
            },
            None => Classification::default(),
        }
    } else {
        match flow.extras.as_mut().and_then(|e| e.classification.take()) {
            Some(kept) => *kept,
            None => run_classifier(flow, ctx.classifier, ctx.pool, ctx.stats),
        }
    };
    let (client, server) = endpoints(flow);
    let transport = flow.key.transport();
    let history = flow.history_string();
    let state = flow.conn_state(&history);
    let mut client_stats = flow.stats[0];
    let mut server_stats = flow.stats[1];
    let first_of_flow = flow_first_ts(flow);
    let vlans = flow
        .extras
        .as_ref()
        .and_then(|e| e.first_vlans)
        .unwrap_or((flow.key.vlan(), flow.key.inner_vlan()));
    let extras = flow.extras.as_deref_mut();
    let (record_seq, icmp, icmp_errors, tunnels, fragments) = match extras {
        Some(e) => {
            if transport == Transport::TCP {
                let now = [flow.tcp.bytes(0), flow.tcp.bytes(1)];
                client_stats.bytes = now[0].saturating_sub(e.tcp_bytes_reported[0]);
                server_stats.bytes = now[1].saturating_sub(e.tcp_bytes_reported[1]);
                e.tcp_bytes_reported = now;
            }
            let seq = e.record_seq;
            e.record_seq = e.record_seq.saturating_add(1);
            let tunnels: Vec<Tunnel> = e.tunnels.clone();
            (
                seq,
                e.icmp.clone(),
                std::mem::take(&mut e.icmp_errors),
                tunnels,
                e.fragments,
            )
        }
        None => {
            if transport == Transport::TCP {
                client_stats.bytes = flow.tcp.bytes(0);
                server_stats.bytes = flow.tcp.bytes(1);
            }
            (0, None, Vec::new(), Vec::new(), 0)
        }
    };
    FlowRecord {
        flow_id: FlowId(flow.key.flow_id(first_of_flow.0)),
        community_id: community_id_v1(0, client.ip, server.ip, transport, client.port, server.port),
        record_seq,
        interim,
        end_reason: reason,
        source: SourceRef {
            file: ctx.source,
            first_frame: flow.first_frame,
        },
        first_ts: flow.first_ts,
        last_ts: flow.last_ts,
        duration: flow.last_ts.since(flow.first_ts),
        client,
        server,
        transport,
        direction_inferred: flow.has(bits::INFERRED),
        vlan: vlans.0,
        inner_vlan: vlans.1,
        tunnels,
        state,
        history,
        client_stats,
        server_stats,
        fragments,
        icmp,
        icmp_errors,
        payload_gap: flow.has(bits::PAYLOAD_GAP),
        app_proto: class.app_proto,
        app_confidence: class.app_confidence,
        auth: class.auth,
        evidence: class.evidence,
        names: class.names,
    }
}
