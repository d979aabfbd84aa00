//! Shared input format of the cleartext and infrastructure probe targets: one selector byte
//! (which probe of the target's list, and which server port of its list), a big-endian u16 client
//! length, the client bytes, then the server bytes (for UDP each side is one datagram).
//!
//! Each input runs the selected probe's `probe()` and `analyze()` directly — so the parser runs
//! even on bytes the probe would refuse — and then the whole classifier. Nothing may panic, and a
//! `cleartext_credentials` verdict must always name its mechanism.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use segscope_core::{AuthClass, Classify, DirPayload, Endpoint, FlowMeta, Timestamp, Transport};
use segscope_proto::{Classifier, Ctx, Probe};
use segscope_rules::{ProtocolRules, RuleSource};

fn rules() -> Arc<ProtocolRules> {
    static RULES: OnceLock<Arc<ProtocolRules>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RuleSource::embedded().protocols().expect("shipped rules")))
        .clone()
}

/// Runs one input against `probes` (chosen by the selector byte) on `transport`, with the
/// server port chosen from `ports`.
pub fn run(data: &[u8], probes: &[&dyn Probe], transport: Transport, ports: &[u16]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (Some(&probe), Some(&port)) = (
        probes.get(usize::from(selector) % probes.len().max(1)),
        ports.get(usize::from(selector) / probes.len().max(1) % ports.len().max(1)),
    ) else {
        return;
    };
    let Some((len, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let client_len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (client, server) = rest.split_at(client_len);
    let udp = transport != Transport::TCP;
    let client_lens = [client.len() as u32];
    let server_lens = [server.len() as u32];
    let client_dir = DirPayload {
        bytes: client,
        datagrams: if udp && !client.is_empty() {
            &client_lens
        } else {
            &[]
        },
        ..DirPayload::default()
    };
    let server_dir = DirPayload {
        bytes: server,
        datagrams: if udp && !server.is_empty() {
            &server_lens
        } else {
            &[]
        },
        ..DirPayload::default()
    };
    let meta = FlowMeta {
        transport,
        client: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 50_000,
        },
        server: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port,
        },
        direction_inferred: false,
        first_ts: Timestamp(0),
        last_ts: Timestamp(0),
        server_answered: !server.is_empty(),
    };
    let rules = rules();
    let ctx = Ctx {
        meta: &meta,
        client: client_dir,
        server: server_dir,
        rules: &rules,
        keylog: None,
    };
    let _ = probe.probe(&ctx);
    let a = probe.analyze(&ctx);
    if a.auth == AuthClass::CleartextCredentials {
        assert!(
            a.evidence.mechanism.is_some(),
            "credentials without a mechanism: {:?}",
            a.evidence
        );
    }
    let c = Classifier::new(rules.clone()).classify(&meta, client_dir, server_dir);
    if c.auth == AuthClass::CleartextCredentials {
        assert!(
            c.evidence.mechanism.is_some(),
            "credentials without a mechanism: {:?}",
            c.evidence
        );
    }
}
