//! The cleartext family on real captures from public projects (see
//! `../shared/captures/real/MANIFEST.tsv`): each TCP stream's two directions are extracted with
//! `tshark -z follow,tcp,raw` and classified, and the verdicts and facts are checked against the
//! captures' own baselines (Zeek logs, Arkime JSON, suricata-verify, the manifest).
//!
//! Differences from the baselines, and why, are stated next to the assertions. Every test skips
//! (with a `SKIP` line) when the captures or tshark are absent.

mod common;

use std::path::Path;

use common::{Followed, all_streams, classify, show};

use segscope_core::{AppProto, AuthClass, Classification, Transport};
use segscope_gen::testdata::real_capture;

/// `tshark -z follow,<proto>,raw,<stream>`.
fn follow(file: &Path, proto: &str, stream: u32) -> Option<Followed> {
    common::follow_many(file, proto, &[stream])?
        .into_iter()
        .next()
        .map(|(_, f)| f)
}

/// Follows and classifies TCP stream `stream` of a real capture.
fn tcp_stream(rel: &str, stream: u32, server_port: u16) -> Option<Classification> {
    let file = real_capture(rel)?;
    let f = follow(&file, "tcp", stream)?;
    Some(classify(&f, Transport::TCP, Some(server_port)))
}

fn all_tcp(rel: &str, server_port: Option<u16>) -> Option<Vec<(u32, Classification)>> {
    all_streams(rel, Transport::TCP, server_port)
}

// ---------------------------------------------------------------- HTTP

/// Zeek http.log: GET bro.org /download/CHANGES.bro-aux.txt, Wget/1.14, status 200.
#[test]
fn http_get_matches_zeek_http_log() {
    let Some(c) = tcp_stream("zeek/http-get.pcap", 0, 80) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Http, AuthClass::CleartextUnauthenticated),
        "{}",
        show(&c)
    );
    let h = c.evidence.http.expect("http facts");
    assert_eq!(h.method.as_deref(), Some("GET"));
    assert_eq!(h.host.as_deref(), Some("bro.org"));
    assert_eq!(h.path.as_deref(), Some("/download/CHANGES.bro-aux.txt"));
    assert_eq!(h.user_agent.as_deref(), Some("Wget/1.14 (darwin12.2.0)"));
    assert_eq!(h.status, Some(200));
    assert!(
        c.names
            .iter()
            .any(|n| n.name == "bro.org" && n.ip.to_string() == "192.150.187.43")
    );
}

/// Zeek http.log: username `test`, password `1:34` (the password keeps its colons). segscope
/// records the user and only the password's length (4).
#[test]
fn http_basic_auth_with_colon_matches_zeek() {
    let Some(c) = tcp_stream("zeek/http-basic-auth-with-colon.pcap", 0, 8000) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Http, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(c.evidence.user.as_deref(), Some("test"));
    let secret = c.evidence.secret.expect("secret seen");
    assert_eq!((secret.kind.as_str(), secret.length), ("password", 4));
    assert!(
        !c.evidence.reason.contains("1:34"),
        "the password never reaches the evidence"
    );
    assert_eq!(
        c.evidence.http.and_then(|h| h.auth_scheme).as_deref(),
        Some("Basic")
    );
}

/// Arkime http-basicauth.test: Basic auth on port 2082, user `userrrrr`.
#[test]
fn http_basic_auth_on_port_2082() {
    let Some(c) = tcp_stream("arkime/http-basicauth.pcap", 0, 2082) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Http, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(c.evidence.user.as_deref(), Some("userrrrr"));
    assert_eq!(
        c.evidence.secret.map(|s| s.length),
        Some("passworddddd".len() as u32)
    );
}

/// Manifest: POST /dvwa/login.php with username/password in the body → a form login; the
/// other connection of the capture fetches pages without credentials.
#[test]
fn dvwa_form_login_is_cleartext_credentials() {
    let Some(all) = all_tcp("chrissanders/http_dvwa_clearlogin.pcapng", Some(80)) else {
        return;
    };
    let creds: Vec<_> = all
        .iter()
        .filter(|(_, c)| c.auth == AuthClass::CleartextCredentials)
        .collect();
    assert_eq!(
        creds.len(),
        1,
        "{:#?}",
        all.iter().map(|(_, c)| show(c)).collect::<Vec<_>>()
    );
    let c = &creds[0].1;
    assert_eq!(c.app_proto, AppProto::Http);
    assert_eq!(
        c.evidence.secret.as_ref().map(|s| s.kind.as_str()),
        Some("form_password")
    );
    assert_eq!(c.evidence.user.as_deref(), Some("admin"));
    assert!(all.iter().all(|(_, c)| c.app_proto == AppProto::Http));
}

/// Manifest: HTTP with NTLM inside an ERSPAN tunnel (NEGOTIATE/CHALLENGE/AUTHENTICATE in
/// Authorization headers). The verdict comes from the enterprise family's GSS-API parser.
#[test]
fn erspan_http_ntlm() {
    let Some(all) = all_tcp("zeek/erspan.pcap", Some(80)) else {
        return;
    };
    let http: Vec<_> = all
        .iter()
        .filter(|(_, c)| c.app_proto == AppProto::Http)
        .collect();
    assert!(!http.is_empty());
    let ntlm: Vec<_> = http
        .iter()
        .filter(|(_, c)| {
            c.evidence
                .http
                .as_ref()
                .and_then(|h| h.auth_scheme.as_deref())
                == Some("NTLM")
        })
        .collect();
    assert!(
        !ntlm.is_empty(),
        "{:#?}",
        http.iter().map(|(_, c)| show(c)).collect::<Vec<_>>()
    );
    for (_, c) in ntlm {
        assert_eq!(c.auth, AuthClass::Ntlm, "{}", show(c));
    }
}

// ---------------------------------------------------------------- FTP

/// Zeek ftp.log: user anonymous, password test, on the control connection (port 21); the data
/// connections (PASV 56666/56667, PORT 33582/37835) are not FTP control sessions.
#[test]
fn ftp_ipv4_and_ipv6_anonymous_login() {
    for rel in ["zeek/ftp-ipv4.pcap", "zeek/ftp-ipv6.pcap"] {
        let Some(all) = all_tcp(rel, Some(21)) else {
            return;
        };
        let control: Vec<_> = all
            .iter()
            .filter(|(_, c)| c.app_proto == AppProto::Ftp)
            .collect();
        assert_eq!(
            control.len(),
            1,
            "{rel}: {:#?}",
            all.iter().map(|(_, c)| show(c)).collect::<Vec<_>>()
        );
        let c = &control[0].1;
        assert_eq!(c.auth, AuthClass::CleartextCredentials, "{}", show(c));
        assert_eq!(c.evidence.user.as_deref(), Some("anonymous"));
        assert_eq!(
            c.evidence.secret.as_ref().map(|s| s.length),
            Some(4),
            "PASS test"
        );
        // Passive-mode data connections carry file bytes only: never credentials.
        assert!(
            all.iter()
                .filter(|(_, c)| c.app_proto != AppProto::Ftp)
                .all(|(_, c)| c.auth != AuthClass::CleartextCredentials)
        );
    }
}

/// Zeek ftp.log/ssl.log: AUTH TLS then TLS on port 21: the upgrade is recorded and the TLS
/// handshake decides (Zeek ssl.log shows no client certificate).
#[test]
fn ftp_auth_tls_upgrade() {
    let Some(c) = tcp_stream("zeek/ftp-ftp-auth-tls.pcap", 0, 21) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Ftp, "{}", show(&c));
    let up = c.evidence.upgrade.as_ref().expect("upgrade recorded");
    assert_eq!((up.from, up.how.as_str()), (AppProto::Ftp, "AUTH TLS"));
    assert!(c.evidence.user.is_none(), "no USER before AUTH TLS");
    assert!(
        c.auth != AuthClass::CleartextCredentials && c.auth != AuthClass::CleartextUnauthenticated
    );
}

// ---------------------------------------------------------------- mail, chat

/// Zeek: POP3 STLS → TLS 1.2, CertificateRequest answered with an empty Certificate.
#[test]
fn pop3_stls_upgrade() {
    let Some(c) = tcp_stream("zeek/tls-pop3-starttls.pcap", 0, 110) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Pop3, "{}", show(&c));
    assert_eq!(
        c.evidence.upgrade.as_ref().map(|u| u.how.as_str()),
        Some("STLS")
    );
    assert_ne!(c.auth, AuthClass::CleartextCredentials);
}

/// Zeek: XMPP server-to-server STARTTLS with a client certificate (mutual TLS).
#[test]
fn xmpp_starttls_upgrade() {
    let Some(c) = tcp_stream("zeek/tls-xmpp-dialback-starttls.pcap", 0, 5269) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Xmpp, "{}", show(&c));
    assert_eq!(
        c.evidence.upgrade.as_ref().map(|u| u.how.as_str()),
        Some("STARTTLS")
    );
}

/// Zeek: IRC STARTTLS to server-only TLS 1.2 (tshark does not even dissect it).
#[test]
fn irc_starttls_upgrade() {
    let Some(c) = tcp_stream("zeek/tls-irc-starttls.pcap", 0, 6667) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Irc, "{}", show(&c));
    assert_eq!(
        c.evidence.upgrade.as_ref().map(|u| u.how.as_str()),
        Some("STARTTLS")
    );
}

// ---------------------------------------------------------------- telnet

/// suricata-verify telnet-01 (Practical Packet Analysis): `login: fake`, `Password: user`.
#[test]
fn telnet_login_records_the_user() {
    let Some(c) = tcp_stream("suricata-verify/telnet-01_telnet.pcap", 0, 23) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Telnet, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(c.evidence.user.as_deref(), Some("fake"));
    assert_eq!(c.evidence.secret.map(|s| s.length), Some(4));
}

// ---------------------------------------------------------------- Redis, MongoDB

/// Zeek redis-auth: three AUTH commands (two refused with WRONGPASS, `AUTH default …`
/// accepted): the accepted one's user is recorded.
#[test]
fn redis_auth_records_the_accepted_user() {
    let Some(c) = tcp_stream("zeek/redis-auth.pcap", 0, 6379) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Redis, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(c.evidence.user.as_deref(), Some("default"));
    assert!(
        c.evidence.reason.contains("3 AUTH commands, 1 accepted"),
        "{}",
        c.evidence.reason
    );
}

/// Zeek redis.log: GET/SET from a Django app on port 10625, no AUTH in the capture (which starts
/// mid-stream, so an earlier AUTH cannot be excluded: the reason gives the command count).
#[test]
fn redis_django_cloud_on_port_10625() {
    let Some(c) = tcp_stream("zeek/redis-django-cloud.pcapng", 0, 10625) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Redis, AuthClass::CleartextUnauthenticated),
        "{}",
        show(&c)
    );
    assert!(
        c.evidence.reason.contains("(first: GET)"),
        "{}",
        c.evidence.reason
    );
}

/// tcpdump resp_1: 15 redis-benchmark connections sending inline PING.
#[test]
fn redis_benchmark_pings() {
    let Some(all) = all_tcp("tcpdump/resp_1_benchmark.pcap", Some(6379)) else {
        return;
    };
    assert!(!all.is_empty());
    for (s, c) in &all {
        assert_eq!(
            (c.app_proto, c.auth),
            (AppProto::Redis, AuthClass::CleartextUnauthenticated),
            "stream {s}: {}",
            show(c)
        );
    }
}

/// Arkime mongo.test: OP_QUERY isMaster from PyMongo on 27017 and 30000 (tshark calls it TLS);
/// mongoreplay compressed: OP_COMPRESSED (snappy) after an uncompressed isMaster. No auth.
#[test]
fn mongodb_without_auth_is_not_tls() {
    for rel in [
        "arkime/mongo.pcap",
        "mongo-tools/mongoreplay-compressed.pcap",
    ] {
        let Some(all) = all_tcp(rel, None) else {
            return;
        };
        assert!(!all.is_empty(), "{rel}");
        for (s, c) in &all {
            assert_eq!(
                (c.app_proto, c.auth),
                (AppProto::Mongodb, AuthClass::CleartextUnauthenticated),
                "{rel} stream {s}: {}",
                show(c)
            );
        }
    }
}

// ---------------------------------------------------------------- PostgreSQL, MySQL

/// Arkime postgres-good.test: SSLRequest refused (`N`), then user `cooluser`, database
/// `dbdbdbdb`. The manifest says "password authentication"; the bytes show
/// AuthenticationMD5Password (code 5) and an `md5…` PasswordMessage, so the secret is an MD5
/// response.
#[test]
fn postgres_refused_ssl_then_md5_password() {
    let Some(c) = tcp_stream("arkime/postgres-good.pcap", 0, 5432) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Postgresql, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(
        c.evidence
            .secret
            .as_ref()
            .map(|s| (s.kind.as_str(), s.length)),
        Some(("md5_response", 35))
    );
    assert_eq!(c.evidence.user.as_deref(), Some("cooluser"));
    assert!(
        c.evidence.reason.starts_with("SSLRequest refused"),
        "{}",
        c.evidence.reason
    );
    assert!(
        c.evidence.reason.contains("database dbdbdbdb"),
        "{}",
        c.evidence.reason
    );
}

/// Zeek postgresql.cut: ssl_request answered `S`, then TLS.
#[test]
fn postgres_sslrequest_upgrade() {
    let Some(c) = tcp_stream("zeek/postgresql-psql-aws-ssl-require.pcap", 0, 5432) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Postgresql, "{}", show(&c));
    assert_eq!(
        c.evidence.upgrade.as_ref().map(|u| u.how.as_str()),
        Some("SSLRequest")
    );
}

/// Zeek mysql.log: login tfoerste (native password), then queries.
#[test]
fn mysql_native_password_login() {
    let Some(c) = tcp_stream("zeek/mysql-mysql.pcap", 0, 3306) else {
        return;
    };
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Mysql, AuthClass::CleartextCredentials),
        "{}",
        show(&c)
    );
    assert_eq!(c.evidence.user.as_deref(), Some("tfoerste"));
    assert_eq!(
        c.evidence.secret.as_ref().map(|s| s.kind.as_str()),
        Some("native_password_hash")
    );
}

/// Zeek: MariaDB with CLIENT_SSL → TLS 1.1; the login happens inside TLS (Zeek's mysql.log has
/// no login row).
#[test]
fn mysql_client_ssl_upgrade() {
    let Some(c) = tcp_stream("zeek/mysql-encrypted.pcap", 0, 3306) else {
        return;
    };
    assert_eq!(c.app_proto, AppProto::Mysql, "{}", show(&c));
    assert_eq!(
        c.evidence.upgrade.as_ref().map(|u| u.how.as_str()),
        Some("CLIENT_SSL")
    );
    assert!(c.evidence.user.is_none());
}

// ---------------------------------------------------------------- VNC, SNMP

/// Zeek rfb.log: three sessions with authentication_method VNC: one abandoned after the
/// challenge (auth `-`), one failed (F) and one accepted (T). The abandoned one sent no
/// response, so no credential crossed the wire.
#[test]
fn vnc_sessions_match_zeek_rfb_log() {
    let Some(all) = all_tcp("zeek/rfb-vnc-mac-to-linux.pcap", Some(5901)) else {
        return;
    };
    let vnc: Vec<_> = all
        .iter()
        .filter(|(_, c)| c.app_proto == AppProto::Vnc)
        .collect();
    assert_eq!(
        vnc.len(),
        3,
        "{:#?}",
        all.iter().map(|(_, c)| show(c)).collect::<Vec<_>>()
    );
    let creds = vnc
        .iter()
        .filter(|(_, c)| c.auth == AuthClass::CleartextCredentials)
        .count();
    assert_eq!(creds, 2);
    for (_, c) in vnc
        .iter()
        .filter(|(_, c)| c.auth == AuthClass::CleartextCredentials)
    {
        assert_eq!(
            c.evidence
                .secret
                .as_ref()
                .map(|s| (s.kind.as_str(), s.length)),
            Some(("vnc_challenge_response", 16))
        );
    }
    assert!(
        vnc.iter()
            .any(|(_, c)| c.evidence.reason.contains("(refused)"))
    );
    assert!(
        vnc.iter()
            .any(|(_, c)| c.evidence.reason.contains("(accepted)"))
    );
    assert!(
        vnc.iter()
            .any(|(_, c)| c.auth == AuthClass::CleartextUnauthenticated
                && c.evidence.reason.contains("abandoned"))
    );
}

fn udp_flows(rel: &str, server_port: u16) -> Option<Vec<Classification>> {
    Some(
        all_streams(rel, Transport::UDP, Some(server_port))?
            .into_iter()
            .map(|(_, c)| c)
            .collect(),
    )
}

/// Manifest: SNMPv1 and v2c Get with community `public` (6 bytes); SNMPv3 with USM user
/// `username`, msgFlags 0x04 (reportable, noAuthNoPriv: Zeek snmp.log has no security level
/// column; tshark shows the flags).
#[test]
fn snmp_versions() {
    for rel in ["zeek/snmp-snmpv1_get.pcap", "zeek/snmp-snmpv2_get.pcap"] {
        let Some(flows) = udp_flows(rel, 161) else {
            return;
        };
        assert!(!flows.is_empty());
        for c in &flows {
            assert_eq!(
                (c.app_proto, c.auth),
                (AppProto::Snmp, AuthClass::CleartextCredentials),
                "{rel}: {}",
                show(c)
            );
            assert_eq!(
                c.evidence
                    .secret
                    .as_ref()
                    .map(|s| (s.kind.as_str(), s.length)),
                Some(("community", 6))
            );
            assert_eq!(
                c.evidence.weak,
                vec![segscope_core::auth::Weakness::SnmpCommunity]
            );
        }
    }
    // tshark puts the engine-discovery request in a UDP stream of its own (Zeek logs one
    // connection): every flow is noAuthNoPriv, and the one after discovery names the user.
    let Some(flows) = udp_flows("zeek/snmp-snmpv3_get_next.pcap", 161) else {
        return;
    };
    assert!(!flows.is_empty());
    for c in &flows {
        assert_eq!(
            (c.app_proto, c.auth),
            (AppProto::Snmp, AuthClass::CleartextUnauthenticated),
            "{}",
            show(c)
        );
    }
    assert!(
        flows
            .iter()
            .any(|c| c.evidence.user.as_deref() == Some("username"))
    );
}
