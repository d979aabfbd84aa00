//! The TLS family (probe, record layer, handshake, certificates, JA4, DTLS and TLS 1.3 key-log
//! decryption) on arbitrary bytes. Input: one flag byte (bit 0: UDP/DTLS instead of TCP; bit 1:
//! give the classifier a key log holding secrets for the ClientHello's random, so the
//! decryption path runs), a big-endian u16 client length, the client bytes, then the server
//! bytes. Classification must never panic, and the TLS analysis must agree with itself.

#![no_main]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use segscope_core::{AppProto, Classify, DirPayload, Endpoint, FlowMeta, Timestamp, Transport};
use segscope_proto::Classifier;
use segscope_proto::tls::keylog::KeyLog;
use segscope_rules::{ProtocolRules, RuleSource};

fn rules() -> Arc<ProtocolRules> {
    static RULES: OnceLock<Arc<ProtocolRules>> = OnceLock::new();
    RULES
        .get_or_init(|| Arc::new(RuleSource::embedded().protocols().expect("shipped rules")))
        .clone()
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// One direction: a TCP stream, or for UDP a single datagram.
fn dir<'a>(bytes: &'a [u8], lens: &'a [u32], udp: bool) -> DirPayload<'a> {
    DirPayload {
        bytes,
        datagrams: if udp { lens } else { &[] },
        ..DirPayload::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((len, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (client, server) = rest.split_at(len);
    let udp = flags & 1 == 1;
    let mut classifier = Classifier::new(rules());
    if flags & 2 == 2 {
        // The ClientHello random sits after the record header, handshake header and version.
        let random = client.get(11..43).unwrap_or(&[0; 32]);
        let secret = server
            .get(..32)
            .map_or_else(|| [7u8; 32].to_vec(), <[u8]>::to_vec);
        let secret = if secret.len() == 32 {
            secret
        } else {
            [7u8; 32].to_vec()
        };
        let text = format!(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {s}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {s}\n",
            r = hex(random),
            s = hex(&secret)
        );
        if let Ok(k) = KeyLog::parse(&text) {
            classifier = classifier.with_keylog(Arc::new(k));
        }
    }
    let meta = FlowMeta {
        transport: if udp { Transport::UDP } else { Transport::TCP },
        client: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 50_000,
        },
        server: Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            port: 443,
        },
        direction_inferred: false,
        first_ts: Timestamp(0),
        last_ts: Timestamp(0),
        server_answered: !server.is_empty(),
    };
    let c_lens = [client.len() as u32];
    let s_lens = [server.len() as u32];
    let c = dir(client, &c_lens, udp);
    let s = dir(server, &s_lens, udp);
    let got = classifier.classify(&meta, c, s);
    if matches!(got.app_proto, AppProto::Tls | AppProto::Dtls) {
        assert!(
            got.evidence.tls.is_some(),
            "a TLS verdict carries TLS facts"
        );
        assert!(
            got.evidence.reason.ends_with('.'),
            "{}",
            got.evidence.reason
        );
    }
    let again = classifier.classify(&meta, c, s);
    assert_eq!(got, again, "classification is deterministic");
});
