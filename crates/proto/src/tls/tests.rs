//! The TLS family on real handshakes made by rustls (`segscope_gen::convo::tls`): verdicts,
//! TLS 1.3 indicators, key-log decryption, record fragmentation, truncation, and the resumption
//! linker.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use segscope_core::auth::{ClientCertStatus, TlsFacts};
use segscope_core::{
    AppProto, AuthClass, Classification, Classify, ConnState, DirPayload, DirStats, EndReason,
    Endpoint, FlowId, FlowMeta, FlowRecord, SourceRef, Span, Timestamp, Transport,
};
use segscope_gen::convo::tls::{
    CLIENT_CN, CLIENT_SPIFFE_ID, MESH_SNI, SERVER_NAME, TlsSession, sessions,
};
use segscope_rules::{ProtocolRules, RuleSource};

use super::keylog::KeyLog;
use super::{ResumptionLinker, find_record_start, record};
use crate::Classifier;

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 1, 10));
const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 2, 2, 20));

fn rules() -> Arc<ProtocolRules> {
    Arc::new(RuleSource::embedded().protocols().expect("shipped rules"))
}

fn meta(port: u16) -> FlowMeta {
    FlowMeta {
        transport: Transport::TCP,
        client: Endpoint {
            ip: CLIENT,
            port: 50_000,
        },
        server: Endpoint { ip: SERVER, port },
        direction_inferred: false,
        first_ts: Timestamp(1_700_000_000_000_000_000),
        last_ts: Timestamp(1_700_000_001_000_000_000),
        server_answered: true,
    }
}

fn run(c: &Classifier, port: u16, client: &[u8], server: &[u8]) -> Classification {
    let d = |b| DirPayload {
        bytes: b,
        ..DirPayload::default()
    };
    c.classify(&meta(port), d(client), d(server))
}

fn classify(c: &Classifier, s: &TlsSession) -> Classification {
    let (cb, _) = s.conversation.side(true);
    let (sb, _) = s.conversation.side(false);
    run(c, s.conversation.server_port, &cb, &sb)
}

fn facts(c: &Classification) -> &TlsFacts {
    c.evidence.tls.as_deref().expect("TLS facts")
}

fn session(all: &[TlsSession], name: &str) -> TlsSession {
    all.iter()
        .find(|s| s.conversation.name == name)
        .unwrap_or_else(|| panic!("no session {name}"))
        .clone()
}

#[test]
fn verdicts_facts_and_flight_indicators() {
    let c = Classifier::new(rules());
    let all = sessions();
    for s in &all {
        let name = &s.conversation.name;
        let got = classify(&c, s);
        assert_eq!(
            (got.app_proto, got.auth),
            (AppProto::Tls, s.conversation.auth),
            "{name}: {}",
            got.evidence.reason
        );
        assert!(!got.parse_error, "{name}");
        let f = facts(&got);
        let tls13 = name.starts_with("tls13");
        assert_eq!(
            f.version.as_deref(),
            Some(if tls13 { "TLSv1.3" } else { "TLSv1.2" })
        );
        assert_eq!(f.resumed, s.resumed, "{name}");
        let ja4 = f.ja4.as_deref().expect("JA4");
        assert!(
            ja4.starts_with(if tls13 { "t13d" } else { "t12d" }),
            "{name}: {ja4}"
        );
        assert!(f.ja4s.is_some());
        assert!(got.evidence.reason.ends_with('.'), "{name}");
        let flight = got
            .evidence
            .indicators
            .iter()
            .find(|i| i.kind == "client_flight_size");
        let expected = match name.as_str() {
            "tls13-server-only" => Some("no_client_cert_likely"),
            "tls13-cert-requested-empty" => Some("declined_likely"),
            n if tls13 && !s.resumed && n.contains("mtls") || n == "tls13-istio-mesh" => {
                Some("client_cert_likely")
            }
            _ => None,
        };
        assert_eq!(
            flight.map(|i| i.suggests.as_str()),
            expected,
            "{name}: {:?} {}",
            f.client_flight_len,
            got.evidence.reason
        );
        if tls13 {
            assert!(f.client_flight_len.is_some(), "{name}");
            assert_eq!(f.client_cert, Some(ClientCertStatus::NotVisible));
        }
    }
    let mtls = classify(&c, &session(&all, "tls12-mtls-spiffe"));
    let f = facts(&mtls);
    assert_eq!(f.client_cert, Some(ClientCertStatus::Presented));
    assert_eq!(f.sni.as_deref(), Some(SERVER_NAME));
    assert_eq!(f.alpn_offered, ["h2", "http/1.1"]);
    assert_eq!(f.alpn_selected.as_deref(), Some("h2"));
    let leaf = &f.client_certs[0];
    assert_eq!(leaf.subject, format!("CN={CLIENT_CN},O=Segscope Test"));
    assert_eq!(leaf.issuer, "CN=Segscope Test CA,O=Segscope Test");
    assert!(leaf.san.contains(&format!("URI:{CLIENT_SPIFFE_ID}")));
    assert!(leaf.client_auth_eku);
    assert!(!f.server_certs[0].client_auth_eku);
    assert!(
        mtls.names
            .iter()
            .any(|n| n.ip == CLIENT && n.name == CLIENT_SPIFFE_ID)
    );
    assert!(
        mtls.names
            .iter()
            .any(|n| n.ip == SERVER && n.name == SERVER_NAME)
    );
    let empty = classify(&c, &session(&all, "tls12-cert-requested-empty"));
    assert_eq!(
        facts(&empty).client_cert,
        Some(ClientCertStatus::RequestedEmpty)
    );
    let none = classify(&c, &session(&all, "tls12-server-only"));
    assert_eq!(
        facts(&none).client_cert,
        Some(ClientCertStatus::NotRequested)
    );
    let resumed = classify(&c, &session(&all, "tls12-mtls-resumed"));
    assert!(
        resumed.evidence.reason.contains("session id"),
        "{}",
        resumed.evidence.reason
    );
}

#[test]
fn mesh_indicators() {
    let c = Classifier::new(rules());
    let got = classify(&c, &session(&sessions(), "tls13-istio-mesh"));
    let kinds: Vec<(&str, &str)> = got
        .evidence
        .indicators
        .iter()
        .map(|i| (i.kind.as_str(), i.strength.as_str()))
        .collect();
    assert!(kinds.contains(&("mesh_alpn", "strong")), "{kinds:?}");
    assert!(kinds.contains(&("mesh_sni", "weak")), "{kinds:?}");
    assert!(kinds.contains(&("mesh_port", "weak")), "{kinds:?}");
    assert_eq!(facts(&got).sni.as_deref(), Some(MESH_SNI));
    assert!(
        facts(&got)
            .ja4
            .as_deref()
            .is_some_and(|j| j.contains("ie_"))
    );
}

#[test]
fn key_log_decrypts_tls13_handshakes() {
    let all = sessions();
    let text: String = all.iter().map(|s| s.keylog.as_str()).collect();
    let keylog = KeyLog::parse(&text).expect("rustls key log");
    let c = Classifier::new(rules()).with_keylog(Arc::new(keylog));
    for s in &all {
        let name = &s.conversation.name;
        let got = classify(&c, s);
        assert_eq!(
            got.auth, s.auth_with_keylog,
            "{name}: {}",
            got.evidence.reason
        );
        let f = facts(&got);
        if name.starts_with("tls13") {
            assert!(f.decrypted, "{name}: {}", got.evidence.reason);
            if !s.resumed {
                assert_eq!(f.server_certs.len(), 2, "{name}: server chain decrypted");
            }
        }
    }
    let got = classify(&c, &session(&all, "tls13-mtls"));
    let f = facts(&got);
    assert_eq!(f.client_cert, Some(ClientCertStatus::Presented));
    assert!(
        f.client_certs[0]
            .san
            .contains(&format!("URI:{CLIENT_SPIFFE_ID}"))
    );
    assert_eq!(
        f.alpn_selected.as_deref(),
        Some("h2"),
        "from EncryptedExtensions"
    );
    let got = classify(&c, &session(&all, "tls13-cert-requested-empty"));
    assert_eq!(
        facts(&got).client_cert,
        Some(ClientCertStatus::RequestedEmpty)
    );
    let got = classify(&c, &session(&all, "tls13-server-only"));
    assert_eq!(
        facts(&got).client_cert,
        Some(ClientCertStatus::NotRequested)
    );

    // A key log without this session's secrets leaves the verdict alone and says so.
    let other = KeyLog::parse(&session(&all, "tls13-server-only").keylog).expect("key log");
    let c = Classifier::new(rules()).with_keylog(Arc::new(other));
    let got = classify(&c, &session(&all, "tls13-mtls"));
    assert_eq!(got.auth, AuthClass::TlsClientAuthUnknown);
    assert!(
        got.evidence.reason.contains("no secrets"),
        "{}",
        got.evidence.reason
    );
}

/// Re-splits every handshake record into records of at most `n` payload bytes (RFC 8446 §5.1
/// allows handshake messages to be fragmented across records).
fn refragment(stream: &[u8], n: usize) -> Vec<u8> {
    let (records, stop) = record::records(stream);
    assert_eq!(stop, record::Stop::End);
    let mut out = Vec::new();
    for r in records {
        if r.content_type == record::HANDSHAKE {
            for chunk in r.payload.chunks(n) {
                out.extend_from_slice(&r.header[..3]);
                out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
                out.extend_from_slice(chunk);
            }
        } else {
            out.extend_from_slice(&r.header);
            out.extend_from_slice(r.payload);
        }
    }
    out
}

#[test]
fn fragmented_records_and_truncated_streams() {
    let c = Classifier::new(rules());
    let all = sessions();
    for name in [
        "tls12-mtls-spiffe",
        "tls12-cert-requested-empty",
        "tls13-mtls",
    ] {
        let s = session(&all, name);
        let (cb, _) = s.conversation.side(true);
        let (sb, _) = s.conversation.side(false);
        let whole = run(&c, 443, &cb, &sb);
        let split = run(&c, 443, &refragment(&cb, 37), &refragment(&sb, 50));
        assert_eq!(split.auth, whole.auth, "{name}");
        assert_eq!(
            facts(&split).client_certs,
            facts(&whole).client_certs,
            "{name}"
        );
        assert_eq!(facts(&split).ja4, facts(&whole).ja4, "{name}");
        assert!(!split.parse_error, "{name}");
    }
    // The client's Certificate alone decides when the server flight is cut short.
    let s = session(&all, "tls12-mtls-spiffe");
    let (cb, _) = s.conversation.side(true);
    let (sb, _) = s.conversation.side(false);
    let got = run(&c, 443, &cb, &sb[..200]);
    assert_eq!(got.auth, AuthClass::Mtls, "{}", got.evidence.reason);
    // Requested, but the client's answer is not captured: unknown, and the reason says why.
    let hello_len = 5 + usize::from(u16::from_be_bytes([cb[3], cb[4]]));
    let got = run(&c, 443, &cb[..hello_len], &sb);
    assert_eq!(
        got.auth,
        AuthClass::TlsClientAuthUnknown,
        "{}",
        got.evidence.reason
    );
    assert_eq!(
        facts(&got).client_cert,
        Some(ClientCertStatus::RequestedNoAnswerSeen)
    );
    assert!(got.evidence.reason.contains("not in the captured bytes"));
    // Every prefix of both directions is handled without a panic.
    for cut in (0..cb.len()).step_by(7) {
        let _ = run(&c, 443, &cb[..cut], &sb[..cut.min(sb.len())]);
    }
}

#[test]
fn record_start_after_cleartext_and_not_in_noise() {
    let s = session(&sessions(), "tls12-server-only");
    let (cb, _) = s.conversation.side(true);
    let (sb, _) = s.conversation.side(false);
    let mut upgraded = b"EHLO client\r\nSTARTTLS\r\n".to_vec();
    upgraded.extend_from_slice(&cb);
    assert_eq!(find_record_start(&upgraded), Some(23));
    let mut upgraded = b"220 ready to start TLS\r\n".to_vec();
    upgraded.extend_from_slice(&sb);
    assert_eq!(find_record_start(&upgraded), Some(24));
    // A megabyte of xorshift noise holds no plausible hello record.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    assert_eq!(find_record_start(&noise), None);
    assert_eq!(find_record_start(b"\x16\x03\x01\x00\x05hello"), None);
}

fn flow_record(id: u64, c: &Classification) -> FlowRecord {
    FlowRecord {
        flow_id: FlowId(id),
        community_id: String::new(),
        record_seq: 0,
        interim: false,
        end_reason: EndReason::Closed,
        source: SourceRef {
            file: Arc::from("test.pcap"),
            first_frame: 1,
        },
        first_ts: Timestamp(id as i64),
        last_ts: Timestamp(id as i64),
        duration: Span(0),
        client: Endpoint {
            ip: CLIENT,
            port: 50_000,
        },
        server: Endpoint {
            ip: SERVER,
            port: 443,
        },
        transport: Transport::TCP,
        direction_inferred: false,
        vlan: None,
        inner_vlan: None,
        tunnels: Vec::new(),
        state: ConnState::SF,
        history: String::new(),
        client_stats: DirStats::default(),
        server_stats: DirStats::default(),
        fragments: 0,
        icmp: None,
        icmp_errors: Vec::new(),
        payload_gap: false,
        app_proto: c.app_proto,
        app_confidence: c.app_confidence,
        auth: c.auth,
        evidence: c.evidence.clone(),
        names: c.names.clone(),
    }
}

#[test]
fn resumption_linker_links_and_strengthens() {
    let rules = rules();
    let c = Classifier::new(rules.clone());
    let all = sessions();
    let cls = |n: &str| classify(&c, &session(&all, n));
    let mut linker = ResumptionLinker::new(&rules);

    let mut full12 = flow_record(1, &cls("tls12-mtls-full"));
    let mut resumed12 = flow_record(2, &cls("tls12-mtls-resumed"));
    linker.observe(&mut full12);
    linker.observe(&mut resumed12);
    let link = resumed12
        .evidence
        .indicators
        .iter()
        .find(|i| i.kind == "resumption_of")
        .expect("resumption linked");
    assert_eq!(
        link.detail,
        "0000000000000001 (client certificate presented)"
    );
    assert_eq!(
        (link.strength.as_str(), link.suggests.as_str()),
        ("strong", "client_cert_likely")
    );
    assert_eq!(
        resumed12.auth,
        AuthClass::TlsClientAuthUnknown,
        "the verdict is not changed"
    );

    // Three TLS 1.3 full handshakes of one pair with certificate-sized flights: the third is
    // strong (consistent_handshakes = 3 in the shipped rules), the first two stay weak.
    let strengths: Vec<String> = (10..13)
        .map(|id| {
            let mut r = flow_record(id, &cls("tls13-mtls"));
            linker.observe(&mut r);
            r.evidence
                .indicators
                .iter()
                .find(|i| i.kind == "client_flight_size")
                .map(|i| i.strength.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(strengths, ["weak", "weak", "strong"]);
    let mut resumed13 = flow_record(13, &cls("tls13-mtls-resumed"));
    linker.observe(&mut resumed13);
    let link = resumed13
        .evidence
        .indicators
        .iter()
        .find(|i| i.kind == "resumption_of")
        .expect("TLS 1.3 resumption linked");
    assert!(
        link.detail.starts_with("000000000000000c ("),
        "{}",
        link.detail
    );
    assert_eq!(link.suggests, "client_cert_likely");

    // Bounded memory: with room for one pair, a second pair evicts the first.
    let mut small = ResumptionLinker::with_capacity(&rules, 1);
    let mut a = flow_record(20, &cls("tls12-mtls-full"));
    small.observe(&mut a);
    let mut other = flow_record(21, &cls("tls12-server-only"));
    other.server.port = 8443;
    small.observe(&mut other);
    let mut r = flow_record(22, &cls("tls12-mtls-resumed"));
    small.observe(&mut r);
    assert_eq!(small.evicted(), 2);
    assert_eq!(small.len(), 1);
    assert!(
        !r.evidence
            .indicators
            .iter()
            .any(|i| i.kind == "resumption_of")
    );
}

#[test]
fn probes_are_strict() {
    use crate::probe::{Ctx, Probe, Verdict};
    let rules = rules();
    let probe = |client: &[u8], server: &[u8]| {
        let m = meta(8080);
        let ctx = Ctx {
            meta: &m,
            client: DirPayload {
                bytes: client,
                ..DirPayload::default()
            },
            server: DirPayload {
                bytes: server,
                ..DirPayload::default()
            },
            rules: &rules,
            keylog: None,
        };
        super::TlsProbe.probe(&ctx)
    };
    let s = session(&sessions(), "tls12-server-only");
    let (cb, _) = s.conversation.side(true);
    let (sb, _) = s.conversation.side(false);
    assert_eq!(probe(&cb, &sb), Verdict::Certain);
    assert_eq!(
        probe(&[], &sb),
        Verdict::Certain,
        "server side only (client not seen)"
    );
    assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n", b""), Verdict::NotForUs);
    // An SSL 2.0-format ClientHello offering TLS 1.0 (RFC 5246 appendix E.2).
    let mut v2 = vec![0x80, 0, 1, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 0x2f];
    v2.extend_from_slice(&[9u8; 16]);
    v2[1] = (v2.len() - 2) as u8;
    assert_eq!(probe(&v2, &[]), Verdict::Certain);
    let c = Classifier::new(rules.clone());
    let got = run(&c, 443, &v2, &[]);
    assert_eq!(
        (got.app_proto, got.auth),
        (AppProto::Tls, AuthClass::Unknown)
    );
}

/// A DTLS 1.2 ClientHello datagram built from RFC 6347 §4.1–4.2 (record header with epoch and
/// sequence number, handshake header with message sequence and fragment fields, an empty
/// cookie): the probe is certain, and JA4 marks it `d` with version `d2`. The expected hashes
/// are SHA-256 of `c02b,c02f` and `000d_0403`, computed independently.
#[test]
fn dtls_client_hello() {
    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[0x42; 32]);
    body.extend_from_slice(&[0, 0]); // session id, cookie
    body.extend_from_slice(&[0, 4, 0xc0, 0x2b, 0xc0, 0x2f, 1, 0]);
    body.extend_from_slice(&[0, 8, 0, 13, 0, 4, 0, 2, 4, 3]);
    let len = body.len() as u8;
    let mut hs = vec![1, 0, 0, len, 0, 0, 0, 0, 0, 0, 0, len];
    hs.extend_from_slice(&body);
    let mut datagram = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, hs.len() as u8];
    datagram.extend_from_slice(&hs);
    let lens = [datagram.len() as u32];
    let mut m = meta(4433);
    m.transport = Transport::UDP;
    let got = Classifier::new(rules()).classify(
        &m,
        DirPayload {
            bytes: &datagram,
            datagrams: &lens,
            ..DirPayload::default()
        },
        DirPayload::default(),
    );
    assert_eq!(got.app_proto, AppProto::Dtls, "{}", got.evidence.reason);
    assert_eq!(got.auth, AuthClass::Unknown, "no ServerHello");
    assert!(!got.parse_error);
    assert_eq!(
        facts(&got).ja4.as_deref(),
        Some("dd2i020100_b6f57f3be927_79c50902419d")
    );
}
