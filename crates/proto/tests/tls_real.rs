//! The TLS family on real captures from public projects, checked against the independent
//! baselines beside them: Zeek `ssl.log`/`x509.log` (version, cipher, SNI, certificate
//! fingerprints, client-certificate presence, subjects), Arkime's JA4 values, and the MANIFEST
//! descriptions. Streams are extracted with `tshark -z follow,tcp,raw` (the pipeline's own
//! reassembly is tested elsewhere), capped at the default 16 KiB per direction the flow table
//! retains.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use segscope_core::auth::{ClientCertStatus, TlsFacts, Weakness};
use segscope_core::{
    AppProto, AuthClass, Classification, Classify, DirPayload, Endpoint, FlowMeta, Timestamp,
    Transport,
};
use segscope_gen::testdata::{real_capture, real_captures_dir, tshark_raw};
use segscope_proto::tls::{TlsOutcome, analyze_handshake, find_record_start};
use segscope_proto::{Classifier, Ctx};
use segscope_rules::{ProtocolRules, RuleSource};

/// The flow table's default per-direction budget.
const BUDGET: usize = 16 * 1024;

struct Stream {
    client: Endpoint,
    server: Endpoint,
    client_bytes: Vec<u8>,
    server_bytes: Vec<u8>,
}

fn endpoint(s: &str) -> Option<Endpoint> {
    let (ip, port) = s.trim().rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    Some(Endpoint {
        ip: ip.parse::<IpAddr>().ok()?,
        port: port.parse().ok()?,
    })
}

/// TCP stream `n` of a capture (node 0, the first sender, is the client).
fn stream(file: &Path, n: usize) -> Option<Stream> {
    let out = tshark_raw(file, &["-q", "-z", &format!("follow,tcp,raw,{n}")])?;
    let mut nodes = Vec::new();
    let (mut c, mut s) = (Vec::new(), Vec::new());
    for line in out.lines() {
        if let Some(rest) = line
            .strip_prefix("Node 0: ")
            .or(line.strip_prefix("Node 1: "))
        {
            nodes.push(endpoint(rest)?);
        } else if let Some(hex) = line.strip_prefix('\t') {
            s.extend(hex::decode(hex.trim()).ok()?);
        } else if !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            c.extend(hex::decode(line.trim()).ok()?);
        }
    }
    let [client, server] = nodes.as_slice() else {
        return None;
    };
    (!c.is_empty() || !s.is_empty()).then_some(Stream {
        client: *client,
        server: *server,
        client_bytes: c,
        server_bytes: s,
    })
}

/// The first TCP stream of a capture whose server port is `port`.
fn stream_to(file: &Path, port: u16) -> Stream {
    (0..20)
        .map_while(|n| stream(file, n))
        .find(|s| s.server.port == port)
        .unwrap_or_else(|| panic!("{}: no TCP stream to port {port}", file.display()))
}

fn rules() -> Arc<ProtocolRules> {
    Arc::new(RuleSource::embedded().protocols().expect("shipped rules"))
}

fn meta(s: &Stream) -> FlowMeta {
    FlowMeta {
        transport: Transport::TCP,
        client: s.client,
        server: s.server,
        direction_inferred: false,
        first_ts: Timestamp(1_000_000_000),
        last_ts: Timestamp(2_000_000_000),
        server_answered: true,
    }
}

fn capped(b: &[u8]) -> DirPayload<'_> {
    DirPayload {
        bytes: b.get(..BUDGET).unwrap_or(b),
        budget_reached: b.len() > BUDGET,
        ..DirPayload::default()
    }
}

fn classify(s: &Stream) -> Classification {
    Classifier::new(rules()).classify(&meta(s), capped(&s.client_bytes), capped(&s.server_bytes))
}

fn tls(c: &Classification) -> &TlsFacts {
    c.evidence.tls.as_deref().expect("TLS facts")
}

/// One row of a Zeek log, by field name.
fn zeek_rows(file: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(file).expect("Zeek log");
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_owned).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            let cut: Vec<&str> = line.split('\t').collect();
            if fields.is_empty() && cut.first() == Some(&"ts") {
                // `.cut.log` files carry a plain header line instead of #fields.
                fields = cut.iter().map(|s| (*s).to_owned()).collect();
                continue;
            }
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(cut.iter().map(|s| (*s).to_owned()))
                    .collect(),
            );
        }
    }
    rows
}

fn zeek_version(v: &str) -> String {
    match v {
        "TLSv10" => "TLSv1.0",
        "TLSv11" => "TLSv1.1",
        "TLSv12" => "TLSv1.2",
        "TLSv13" => "TLSv1.3",
        other => other,
    }
    .to_owned()
}

fn zeek_list(v: &str) -> Vec<String> {
    match v {
        "-" | "(empty)" => Vec::new(),
        _ => v.split(',').map(str::to_owned).collect(),
    }
}

/// Compares a TLS verdict with the Zeek ssl.log row of the same connection: version, cipher,
/// SNI, server and client certificate fingerprints, and client-certificate presence.
fn agrees_with_zeek(facts: &TlsFacts, auth: AuthClass, log: &Path) {
    let rows = zeek_rows(log);
    let row = rows.first().expect("one ssl.log row");
    let name = log.display();
    assert_eq!(
        facts.version.as_deref(),
        Some(zeek_version(&row["version"]).as_str()),
        "{name}: version"
    );
    assert_eq!(
        facts.cipher.as_deref(),
        Some(row["cipher"].as_str()),
        "{name}: cipher"
    );
    let sni = row.get("server_name").map(String::as_str).unwrap_or("-");
    assert_eq!(
        facts.sni.as_deref().unwrap_or("-"),
        sni,
        "{name}: server name"
    );
    if let Some(fps) = row.get("cert_chain_fps") {
        let ours: Vec<String> = facts
            .server_certs
            .iter()
            .map(|c| c.sha256.clone())
            .collect();
        assert_eq!(ours, zeek_list(fps), "{name}: server chain fingerprints");
    }
    // ssl_history: lower-case `r` is the server's CertificateRequest, upper-case `X` the
    // client's Certificate (Zeek `base/protocols/ssl/main.zeek`).
    if let Some(history) = row.get("ssl_history")
        && facts.version.as_deref() != Some("TLSv1.3")
    {
        let requested = matches!(
            facts.client_cert,
            Some(
                ClientCertStatus::Presented
                    | ClientCertStatus::RequestedEmpty
                    | ClientCertStatus::RequestedNoAnswerSeen
            )
        );
        assert_eq!(
            requested,
            history.contains('r'),
            "{name}: CertificateRequest vs {history}"
        );
        assert_eq!(
            matches!(
                facts.client_cert,
                Some(ClientCertStatus::Presented | ClientCertStatus::RequestedEmpty)
            ),
            history.contains('X'),
            "{name}: client Certificate message vs {history}"
        );
    }
    if let Some(fps) = row.get("client_cert_chain_fps") {
        let zeek = zeek_list(fps);
        let ours: Vec<String> = facts
            .client_certs
            .iter()
            .map(|c| c.sha256.clone())
            .collect();
        assert_eq!(ours, zeek, "{name}: client chain fingerprints");
        assert_eq!(
            auth == AuthClass::Mtls,
            !zeek.is_empty(),
            "{name}: client certificate presence"
        );
    }
}

fn capture(rel: &str) -> Option<std::path::PathBuf> {
    real_capture(rel)
}

fn zeek_log(rel: &str) -> std::path::PathBuf {
    real_captures_dir().expect("real captures").join(rel)
}

#[test]
fn zeek_client_certificate_is_mtls() {
    let Some(f) = capture("zeek/tls-client-certificate.pcap") else {
        return;
    };
    let s = stream_to(&f, 443);
    let c = classify(&s);
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Tls, AuthClass::Mtls),
        "{}",
        c.evidence.reason
    );
    let t = tls(&c);
    // MANIFEST: TLS 1.2, certauth.idrix.fr, client sends 2 certificates (CN
    // johanna@corelight.com, Actalis Client Authentication CA G3).
    assert_eq!(t.version.as_deref(), Some("TLSv1.2"));
    assert_eq!(t.sni.as_deref(), Some("certauth.idrix.fr"));
    assert_eq!(t.client_cert, Some(ClientCertStatus::Presented));
    assert_eq!(t.client_certs.len(), 2);
    assert!(
        t.client_certs[0]
            .subject
            .contains("CN=johanna@corelight.com"),
        "{}",
        t.client_certs[0].subject
    );
    assert!(
        t.client_certs[1]
            .subject
            .contains("Actalis Client Authentication CA G3")
    );
    assert!(t.client_certs[0].client_auth_eku);
    assert!(
        c.evidence.reason.contains("client sent 2 certificates"),
        "{}",
        c.evidence.reason
    );
    assert!(
        c.names
            .iter()
            .any(|n| n.ip == s.client.ip && n.name == "johanna@corelight.com"),
        "{:?}",
        c.names
    );
    assert!(!c.parse_error);
}

#[test]
fn zeek_certificate_request_failed_is_server_only() {
    let Some(f) = capture("zeek/tls-certificate-request-failed.pcap") else {
        return;
    };
    let s = stream_to(&f, 3000);
    let c = classify(&s);
    assert_eq!(c.auth, AuthClass::TlsServerOnly, "{}", c.evidence.reason);
    let t = tls(&c);
    assert_eq!(t.client_cert, Some(ClientCertStatus::RequestedEmpty));
    assert!(
        c.evidence.reason.contains("empty Certificate"),
        "{}",
        c.evidence.reason
    );
    agrees_with_zeek(
        t,
        c.auth,
        &zeek_log("zeek/tls-certificate-request-failed.zeek-ssl.log"),
    );
}

#[test]
fn zeek_tls12_is_server_only_with_weak_suite_and_zeek_subjects() {
    let Some(f) = capture("zeek/tls-tls1.2.pcap") else {
        return;
    };
    let s = stream_to(&f, 443);
    let c = classify(&s);
    assert_eq!(c.auth, AuthClass::TlsServerOnly, "{}", c.evidence.reason);
    let t = tls(&c);
    assert_eq!(t.client_cert, Some(ClientCertStatus::NotRequested));
    agrees_with_zeek(t, c.auth, &zeek_log("zeek/tls-tls1.2.zeek-ssl.log"));
    assert!(
        c.evidence
            .weak
            .contains(&Weakness::TlsCipher("TLS_RSA_WITH_RC4_128_MD5".to_owned())),
        "{:?}",
        c.evidence.weak
    );
    // Subjects, issuers and SANs as Zeek's x509.log prints them (OpenSSL RFC 2253 names).
    let x509 = zeek_rows(&zeek_log("zeek/tls-tls1.2.zeek-x509.log"));
    assert_eq!(x509.len(), t.server_certs.len());
    for (ours, zeek) in t.server_certs.iter().zip(&x509) {
        assert_eq!(ours.sha256, zeek["fingerprint"]);
        assert_eq!(ours.subject, zeek["certificate.subject"]);
        assert_eq!(ours.issuer, zeek["certificate.issuer"]);
        let not_before: f64 = zeek["certificate.not_valid_before"].parse().expect("time");
        assert_eq!(ours.not_before.0 / 1_000_000_000, not_before as i64);
        let dns: Vec<String> = ours
            .san
            .iter()
            .filter_map(|s| s.strip_prefix("DNS:").map(str::to_owned))
            .collect();
        assert_eq!(dns, zeek_list(&zeek["san.dns"]));
    }
}

#[test]
fn zeek_tls13_wolfssl_is_unknown() {
    let Some(f) = capture("zeek/tls-tls13_wolfssl.pcap") else {
        return;
    };
    let s = stream_to(&f, 9090);
    let c = classify(&s);
    assert_eq!(
        c.auth,
        AuthClass::TlsClientAuthUnknown,
        "{}",
        c.evidence.reason
    );
    let t = tls(&c);
    assert_eq!(t.client_cert, Some(ClientCertStatus::NotVisible));
    assert_eq!(t.group.as_deref(), Some("secp256r1"), "Zeek curve");
    assert!(t.client_flight_len.is_some());
    agrees_with_zeek(t, c.auth, &zeek_log("zeek/tls-tls13_wolfssl.zeek-ssl.log"));
}

#[test]
fn openjdk_and_chrome_kyber_are_tls13_unknown() {
    if let Some(f) = capture("zeek/tls-openjdk-25.0.2-zeek.org.pcap") {
        let c = classify(&stream_to(&f, 443));
        assert_eq!(
            c.auth,
            AuthClass::TlsClientAuthUnknown,
            "{}",
            c.evidence.reason
        );
        let t = tls(&c);
        assert_eq!(t.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(t.sni.as_deref(), Some("zeek.org"));
    }
    if let Some(f) = capture("zeek/tls-chrome-1250-tls-x25519-kyber.pcap") {
        let s = stream_to(&f, 443);
        assert!(
            s.client_bytes.len() > 1500,
            "the ClientHello spans segments"
        );
        let c = classify(&s);
        assert_eq!(
            c.auth,
            AuthClass::TlsClientAuthUnknown,
            "{}",
            c.evidence.reason
        );
        let t = tls(&c);
        assert_eq!(t.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(t.sni.as_deref(), Some("lh3.google.com"));
        assert_eq!(t.group.as_deref(), Some("X25519Kyber768Draft00"));
        assert!(t.ja4.as_deref().is_some_and(|j| j.starts_with("t13d")));
        assert!(!c.parse_error, "GREASE and the 1216-byte key share parse");
    }
}

#[test]
fn suricata_tls_store_02_is_mtls() {
    let Some(f) = capture("suricata-verify/tls-store-02_tls-client-auth.pcap") else {
        return;
    };
    let c = classify(&stream_to(&f, 8081));
    assert_eq!(c.auth, AuthClass::Mtls, "{}", c.evidence.reason);
    let t = tls(&c);
    assert!(
        t.client_certs
            .first()
            .is_some_and(|c| c.subject.contains("SampleClientJane")),
        "{:?}",
        t.client_certs
    );
}

#[test]
fn arkime_sslv3_selfsigned_is_mtls_weak_with_arkime_ja4() {
    let Some(f) = capture("arkime/ssl-selfsign.pcap") else {
        return;
    };
    let c = classify(&stream_to(&f, 4443));
    assert_eq!(c.auth, AuthClass::Mtls, "{}", c.evidence.reason);
    let t = tls(&c);
    // ssl-selfsign.arkime-test.json: version SSLv3, cipher, ja4, server certificate CN.
    assert_eq!(t.version.as_deref(), Some("SSLv3"));
    assert_eq!(t.cipher.as_deref(), Some("TLS_RSA_WITH_AES_256_CBC_SHA"));
    assert_eq!(
        t.ja4.as_deref(),
        Some("ts3i230000_6a57a6f57151_000000000000")
    );
    assert!(t.server_certs[0].subject.contains("CN=molochftw"));
    assert_eq!(
        t.server_certs[0].not_before,
        Timestamp(1_519_399_598_000_000_000)
    );
    assert!(
        c.evidence
            .weak
            .contains(&Weakness::TlsVersion("SSLv3".to_owned()))
    );
}

#[test]
fn arkime_curl_tls13_matches_arkime_ja4() {
    let Some(f) = capture("arkime/curl-enabled-tls13.pcap") else {
        return;
    };
    let c = classify(&stream_to(&f, 443));
    assert_eq!(
        c.auth,
        AuthClass::TlsClientAuthUnknown,
        "{}",
        c.evidence.reason
    );
    let t = tls(&c);
    assert_eq!(t.version.as_deref(), Some("TLSv1.3"));
    assert_eq!(t.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(
        t.ja4.as_deref(),
        Some("t13d0413h2_16476d049b0b_ffceb19bae65")
    );
    assert_eq!(t.sni.as_deref(), Some("enabled.tls13.com"));
}

#[test]
fn incomplete_der_certificate_is_a_counted_parse_error() {
    let Some(f) = capture("suricata-verify/bug-1450-04_tls_DER-incomplete-header.pcap") else {
        return;
    };
    let c = classify(&stream_to(&f, 10443));
    assert_eq!(c.app_proto, AppProto::Tls);
    assert!(c.parse_error, "the broken certificate must be counted");
}

/// Runs the TLS analysis on the bytes after an in-band upgrade, found by `find_record_start`.
fn after_upgrade(s: &Stream) -> TlsOutcome {
    let cs = find_record_start(&s.client_bytes).expect("client TLS start");
    let ss = find_record_start(&s.server_bytes).expect("server TLS start");
    assert!(cs > 0 && ss > 0, "a cleartext prefix precedes TLS");
    let rules = rules();
    let m = meta(s);
    let ctx = Ctx {
        meta: &m,
        client: DirPayload::default(),
        server: DirPayload::default(),
        rules: &rules,
        keylog: None,
    };
    let cut = |b: &[u8], at: usize| -> Vec<u8> { b[at..].iter().take(BUDGET).copied().collect() };
    analyze_handshake(&cut(&s.client_bytes, cs), &cut(&s.server_bytes, ss), &ctx)
}

#[test]
fn tls_after_starttls_and_friends_agrees_with_zeek() {
    let cases: &[(&str, u16, AuthClass, Option<ClientCertStatus>, &str)] = &[
        (
            "zeek/tls-xmpp-dialback-starttls.pcap",
            5269,
            AuthClass::Mtls,
            Some(ClientCertStatus::Presented),
            "zeek/tls-xmpp-dialback-starttls.zeek-ssl.log",
        ),
        (
            "zeek/tls-pop3-starttls.pcap",
            110,
            AuthClass::TlsServerOnly,
            Some(ClientCertStatus::RequestedEmpty),
            "zeek/tls-pop3-starttls.zeek-ssl.log",
        ),
        // Zeek's ssl_history `CsxrnXGIti` shows the server's CertificateRequest (`r`) and the
        // client's Certificate (`X`) with an empty client_cert_chain_fps: requested, declined.
        (
            "zeek/tls-irc-starttls.pcap",
            6667,
            AuthClass::TlsServerOnly,
            Some(ClientCertStatus::RequestedEmpty),
            "zeek/tls-irc-starttls.zeek-ssl.log",
        ),
        (
            "zeek/ldap-ldap-starttls.pcap",
            389,
            AuthClass::TlsClientAuthUnknown,
            Some(ClientCertStatus::NotVisible),
            "zeek/ldap-ldap-starttls.zeek-ssl.log",
        ),
        (
            "zeek/mysql-encrypted.pcap",
            3306,
            AuthClass::TlsServerOnly,
            Some(ClientCertStatus::RequestedEmpty),
            "zeek/mysql-encrypted.zeek-ssl.log",
        ),
        // The RDS server asks for a certificate and psql answers with an empty one (tshark:
        // frame 10 carries handshake types 12,13,14, frame 15 types 11,16 with
        // certificates_length 0); Zeek's cut log has no history column to compare.
        (
            "zeek/postgresql-psql-aws-ssl-require.pcap",
            5432,
            AuthClass::TlsServerOnly,
            Some(ClientCertStatus::RequestedEmpty),
            "zeek/postgresql-psql-aws-ssl-require.zeek-ssl.cut.log",
        ),
        (
            "zeek/ftp-ftp-auth-tls.pcap",
            21,
            AuthClass::TlsClientAuthUnknown,
            Some(ClientCertStatus::NotVisible),
            "zeek/ftp-ftp-auth-tls.zeek-ssl.log",
        ),
    ];
    for (pcap, port, auth, status, log) in cases {
        let Some(f) = capture(pcap) else {
            continue;
        };
        let s = stream_to(&f, *port);
        let o = after_upgrade(&s);
        assert_eq!(o.auth, *auth, "{pcap}: {}", o.reason);
        assert_eq!(o.facts.client_cert, *status, "{pcap}: {}", o.reason);
        assert!(!o.parse_error, "{pcap}: {}", o.reason);
        agrees_with_zeek(&o.facts, o.auth, &zeek_log(log));
    }
    if let Some(f) = capture("zeek/mysql-encrypted.pcap") {
        let o = after_upgrade(&stream_to(&f, 3306));
        assert!(o.weak.contains(&Weakness::TlsVersion("TLSv1.1".to_owned())));
    }
}
