//! The demo scenario: one minute of a small enterprise, every session written out, small enough
//! (well under 1 MB) to commit and to read in Wireshark. Each kind of traffic the generator
//! makes appears at least once: DNS then HTTP by name (IPv4 and IPv6), NTP, syslog, ping, a
//! database and an RPC session, a file transfer from a GRE-attached branch, a container talking
//! inside the VXLAN overlay, a QinQ tenant, an unanswered and a refused connection, resets, a
//! connection left open, retransmissions and reordering, and a DNS answer sent as IP fragments.

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::{Span, Timestamp, Transport};

use crate::app::AppSpec;
use crate::app::dns::{DnsAnswer, DnsQuery, DnsSpec, QueryType};
use crate::app::http::{ContentType, HttpExchange, HttpSpec};
use crate::app::simple::{EchoSpec, OpaqueSpec, SyslogSpec};
use crate::enterprise::{DB_PORT, Enterprise, FILE_PORT, RPC_PORT};
use crate::scenario::{Impairments, PlannedSession, Scenario, TcpEnd};
use crate::topology::Network;

/// Start of the demo capture: 2024-03-04T09:00:00Z.
pub const DEMO_START: Timestamp = Timestamp(1_709_542_800_000_000_000);

/// Index of the host whose name starts with `name.` (`usize::MAX` when absent, which makes the
/// session impossible and a test fail).
fn host(net: &Network, name: &str) -> usize {
    net.hosts
        .iter()
        .position(|h| h.name.split('.').next() == Some(name))
        .unwrap_or(usize::MAX)
}

/// A session with the defaults of the demo (IPv4, FIN close by the client, LAN round trip).
fn session(
    net: &Network,
    at_ms: i64,
    client: &str,
    server: &str,
    transport: Transport,
    port: u16,
    app: AppSpec,
) -> PlannedSession {
    PlannedSession {
        start: Span(at_ms * 1_000_000),
        client: host(net, client),
        server: host(net, server),
        transport,
        port,
        v6: false,
        app,
        tcp_end: TcpEnd::Fin {
            server_first: false,
        },
        rtt: Span(600_000),
        impairments: Impairments::default(),
    }
}

fn lookup(net: &Network, name: &str, qtype: QueryType) -> AppSpec {
    let h = net.hosts.get(host(net, name));
    let mut addrs = Vec::new();
    if let Some(h) = h {
        addrs.push(IpAddr::V4(h.v4));
        if let Some(a) = h.v6 {
            addrs.push(IpAddr::V6(a));
        }
    }
    AppSpec::Dns(DnsSpec {
        queries: vec![DnsQuery {
            name: h.map_or_else(|| name.to_string(), |h| h.name.clone()),
            qtype,
            answer: DnsAnswer::Addresses(addrs),
            edns: false,
        }],
    })
}

fn get(net: &Network, server: &str, pages: &[(&str, u64, ContentType)]) -> AppSpec {
    AppSpec::Http(HttpSpec {
        host: net
            .hosts
            .get(host(net, server))
            .map_or_else(|| server.to_string(), |h| h.name.clone()),
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36".into(),
        exchanges: pages
            .iter()
            .map(|&(path, len, content_type)| HttpExchange {
                method: "GET",
                path: path.into(),
                request_body: 0,
                status: 200,
                content_type,
                response_body: len,
            })
            .collect(),
    })
}

fn opaque(exchanges: &[(u64, u64)]) -> AppSpec {
    AppSpec::Opaque(OpaqueSpec {
        exchanges: exchanges.to_vec(),
        think_ms: 30.0,
        server_ms: 4.0,
    })
}

/// The demo scenario.
pub fn demo() -> Scenario {
    let ent = Enterprise::new(60);
    let net = &ent.net;
    use ContentType::*;
    use Transport as T;
    let mut s = vec![
        session(
            net,
            0,
            "ws00001",
            "ns1",
            T::UDP,
            53,
            lookup(net, "web01", QueryType::A),
        ),
        session(
            net,
            12,
            "ws00001",
            "web01",
            T::TCP,
            80,
            get(
                net,
                "web01",
                &[
                    ("/", 14_000, Html),
                    ("/static/app.js", 60_000, Text),
                    ("/images/logo.png", 9_000, Binary),
                ],
            ),
        ),
        session(
            net,
            800,
            "ws00002",
            "ns2",
            T::UDP,
            53,
            lookup(net, "web02", QueryType::Aaaa),
        ),
        session(net, 1_500, "lt00001", "ntp1", T::UDP, 123, AppSpec::Ntp),
        session(
            net,
            2_000,
            "pc00001",
            "db01",
            T::TCP,
            DB_PORT,
            opaque(&[
                (320, 1_200),
                (180, 24_000),
                (96, 300),
                (410, 8_000),
                (64, 120),
            ]),
        ),
        session(
            net,
            3_100,
            "tn00001",
            "app01",
            T::TCP,
            RPC_PORT,
            opaque(&[(700, 2_400), (350, 900)]),
        ),
        session(
            net,
            4_000,
            "br00001",
            "files01",
            T::TCP,
            FILE_PORT,
            opaque(&[(200, 65_536), (200, 65_536), (200, 40_000)]),
        ),
        session(
            net,
            5_200,
            "pod00001",
            "svc01",
            T::TCP,
            8080,
            get(
                net,
                "svc01",
                &[("/api/v1/orders", 3_200, Text), ("/healthz", 2, Text)],
            ),
        ),
        session(net, 6_000, "ws00003", "app02", T::TCP, 3389, AppSpec::None),
        session(net, 6_500, "ws00004", "db02", T::TCP, 445, AppSpec::None),
        session(
            net,
            7_000,
            "ws00005",
            "web01",
            T::ICMP,
            0,
            AppSpec::Echo(EchoSpec {
                count: 3,
                answered: true,
            }),
        ),
        session(
            net,
            7_200,
            "lt00002",
            "app03",
            T::ICMP,
            0,
            AppSpec::Echo(EchoSpec {
                count: 2,
                answered: false,
            }),
        ),
        session(
            net,
            8_000,
            "web01",
            "log1",
            T::UDP,
            514,
            AppSpec::Syslog(SyslogSpec {
                hostname: "web01".into(),
                messages: 3,
            }),
        ),
        session(
            net,
            9_000,
            "ws00006",
            "ns1",
            T::UDP,
            53,
            AppSpec::Dns(DnsSpec {
                queries: vec![DnsQuery {
                    name: format!("pool.ntp.{}", net.domain),
                    qtype: QueryType::A,
                    answer: DnsAnswer::Addresses(
                        (0..160u32)
                            .map(|i| {
                                IpAddr::V4(Ipv4Addr::from(
                                    u32::from(Ipv4Addr::new(203, 0, 113, 0)) + i,
                                ))
                            })
                            .collect(),
                    ),
                    edns: true,
                }],
            }),
        ),
        session(
            net,
            9_500,
            "ws00007",
            "ns1",
            T::UDP,
            53,
            AppSpec::Dns(DnsSpec {
                queries: vec![DnsQuery {
                    name: format!("wpad.{}", net.domain),
                    qtype: QueryType::A,
                    answer: DnsAnswer::NxDomain,
                    edns: false,
                }],
            }),
        ),
        session(
            net,
            10_000,
            "ws00008",
            "web03",
            T::TCP,
            80,
            get(net, "web03", &[("/reports/q1.pdf", 120_000, Binary)]),
        ),
        session(
            net,
            12_000,
            "pc00002",
            "app04",
            T::TCP,
            RPC_PORT,
            opaque(&[(1_200, 3_000), (900, 0), (400, 700)]),
        ),
        session(
            net,
            14_000,
            "lt00003",
            "db03",
            T::TCP,
            DB_PORT,
            opaque(&[(250, 4_000), (120, 90)]),
        ),
    ];
    // IPv6 HTTP from a dual-stack workstation.
    let mut v6 = session(
        net,
        820,
        "ws00002",
        "web02",
        T::TCP,
        80,
        get(
            net,
            "web02",
            &[("/", 11_000, Html), ("/static/style.css", 7_000, Text)],
        ),
    );
    v6.v6 = true;
    s.push(v6);
    let mut v6dns = session(
        net,
        790,
        "ws00002",
        "ns2",
        T::UDP,
        53,
        lookup(net, "web02", QueryType::A),
    );
    v6dns.v6 = true;
    s.push(v6dns);
    // The branch office reaches the web server across the GRE tunnel (WAN round trip).
    let mut wan = session(
        net,
        16_000,
        "br00002",
        "web04",
        T::TCP,
        80,
        get(net, "web04", &[("/index.html", 25_000, Html)]),
    );
    wan.rtt = Span(28_000_000);
    wan.tcp_end = TcpEnd::Fin { server_first: true };
    s.push(wan);
    // Lossy transfer: retransmissions and reordering.
    let mut lossy = session(
        net,
        18_000,
        "lt00004",
        "web05",
        T::TCP,
        80,
        get(net, "web05", &[("/images/logo.png", 90_000, Binary)]),
    );
    lossy.impairments = Impairments {
        retransmit: 0.1,
        reorder: 0.1,
    };
    s.push(lossy);
    // Aborted and left-open connections.
    let mut abort = session(
        net,
        20_000,
        "pc00003",
        "app05",
        T::TCP,
        8080,
        get(net, "app05", &[("/metrics", 4_000, Text)]),
    );
    abort.tcp_end = TcpEnd::ClientReset;
    s.push(abort);
    let mut server_abort = session(
        net,
        21_000,
        "tn00002",
        "db04",
        T::TCP,
        DB_PORT,
        opaque(&[(300, 500)]),
    );
    server_abort.tcp_end = TcpEnd::ServerReset;
    s.push(server_abort);
    let mut open = session(
        net,
        22_000,
        "pod00002",
        "svc02",
        T::TCP,
        RPC_PORT,
        opaque(&[(150, 150), (150, 150)]),
    );
    open.tcp_end = TcpEnd::LeftOpen;
    s.push(open);
    let mut unanswered = session(net, 23_000, "ws00009", "files02", T::TCP, 22, AppSpec::None);
    unanswered.tcp_end = TcpEnd::Unanswered { syn_retries: 2 };
    s.push(unanswered);
    let mut refused = session(net, 24_000, "ws00004", "db02", T::TCP, 1433, AppSpec::None);
    refused.tcp_end = TcpEnd::Refused;
    s.push(refused);
    if let Some(first) = s.iter_mut().find(|x| x.port == 3389) {
        first.tcp_end = TcpEnd::Unanswered { syn_retries: 1 };
    }
    if let Some(first) = s.iter_mut().find(|x| x.port == 445) {
        first.tcp_end = TcpEnd::Refused;
    }
    // Periodic background: NTP polls and DNS lookups every few seconds.
    for i in 0..12i64 {
        let client = format!("ws{:05}", 10 + i);
        let target = format!("web{:02}", 1 + i % 12);
        s.push(session(
            net,
            25_000 + i * 2_500,
            &client,
            "ns1",
            T::UDP,
            53,
            lookup(net, &target, QueryType::A),
        ));
        s.push(session(
            net,
            25_030 + i * 2_500,
            &client,
            &target,
            T::TCP,
            80,
            get(net, &target, &[("/healthz", 2, Text)]),
        ));
        s.push(session(
            net,
            26_000 + i * 2_500,
            &client,
            "ntp1",
            T::UDP,
            123,
            AppSpec::Ntp,
        ));
    }
    Scenario {
        name: "demo".into(),
        start: DEMO_START,
        network: ent.net,
        sessions: s,
    }
}
