//! Session mixes for the bench and flows modes: endless streams of planned sessions on the
//! [`Enterprise`] network, drawn from the seeded generator.

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::{Span, Transport};

use crate::app::AppSpec;
use crate::app::dns::{DnsAnswer, DnsQuery, DnsSpec, QueryType};
use crate::app::http::{ContentType, HttpExchange, HttpSpec};
use crate::app::simple::{EchoSpec, OpaqueSpec, SyslogSpec};
use crate::enterprise::Enterprise;
use crate::rng::Rng;
use crate::scenario::{Impairments, PlannedSession, SessionSource, TcpEnd};
use crate::topology::{Attachment, ServiceKind};

/// Servers by role, for quick picks.
#[derive(Clone, Debug)]
struct Roles {
    dns: Vec<usize>,
    ntp: Vec<usize>,
    syslog: Vec<usize>,
    http: Vec<usize>,
    db: Vec<usize>,
    file: Vec<usize>,
    rpc: Vec<usize>,
    all_servers: Vec<usize>,
}

impl Roles {
    fn of(e: &Enterprise) -> Roles {
        let n = &e.net;
        Roles {
            dns: n.servers_of(ServiceKind::Dns),
            ntp: n.servers_of(ServiceKind::Ntp),
            syslog: n.servers_of(ServiceKind::Syslog),
            http: n.servers_of(ServiceKind::Http),
            db: n.servers_of(ServiceKind::Database),
            file: n.servers_of(ServiceKind::FileServer),
            rpc: n.servers_of(ServiceKind::Rpc),
            all_servers: (0..n.hosts.len())
                .filter(|&i| !n.hosts[i].services.is_empty())
                .collect(),
        }
    }
}

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
];

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/api/v1/orders",
    "/api/v1/users/me",
    "/static/app.js",
    "/static/style.css",
    "/images/logo.png",
    "/healthz",
    "/metrics",
    "/reports/q1.pdf",
];

const EXTERNAL_NAMES: &[&str] = &[
    "updates.vendor.example",
    "cdn.assets.example",
    "login.saas.example",
    "telemetry.os.example",
];

/// The kinds of session the bench mix draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Draw {
    Dns,
    Ntp,
    Syslog,
    Echo,
    Http,
    Db,
    Rpc,
    File,
    Unanswered,
    Refused,
}

const BENCH_MIX: &[(Draw, u32)] = &[
    (Draw::Dns, 420),
    (Draw::Ntp, 20),
    (Draw::Syslog, 30),
    (Draw::Echo, 15),
    (Draw::Http, 220),
    (Draw::Db, 180),
    (Draw::Rpc, 200),
    (Draw::File, 4),
    (Draw::Unanswered, 25),
    (Draw::Refused, 25),
];

/// The throughput benchmark mix: DNS, NTP, syslog, ping, HTTP, database, RPC and file sessions
/// plus failed attempts, arriving as a Poisson process (about 4,000 sessions per simulated
/// second) with IMIX-like packet sizes. Endless: the byte budget ends it.
#[derive(Clone, Debug)]
pub struct BenchWorkload {
    ent: Enterprise,
    roles: Roles,
    clock: f64,
    /// Mean time between session starts, in seconds.
    pub mean_gap_s: f64,
}

impl BenchWorkload {
    /// The mix on an enterprise with `clients` clients.
    pub fn new(clients: usize) -> BenchWorkload {
        let ent = Enterprise::new(clients);
        let roles = Roles::of(&ent);
        BenchWorkload {
            ent,
            roles,
            clock: 0.0,
            mean_gap_s: 0.00025,
        }
    }

    /// The enterprise the sessions run on.
    pub fn enterprise(&self) -> &Enterprise {
        &self.ent
    }
}

fn pick(rng: &mut Rng, v: &[usize]) -> usize {
    rng.pick(v).copied().unwrap_or(0)
}

/// Round-trip time between two hosts as seen from the capture point.
fn rtt(e: &Enterprise, client: usize, server: usize, rng: &mut Rng) -> Span {
    let (c, s) = (&e.net.hosts[client], &e.net.hosts[server]);
    let us = if matches!(e.net.subnets[c.subnet].attachment, Attachment::Gre { .. }) {
        rng.range(15_000, 40_000)
    } else if c.subnet == s.subnet {
        rng.range(80, 300)
    } else {
        rng.range(250, 2_000)
    };
    Span(us as i64 * 1000)
}

fn both_v6(e: &Enterprise, a: usize, b: usize) -> bool {
    e.net.hosts[a].v6.is_some() && e.net.hosts[b].v6.is_some()
}

fn local(e: &Enterprise, h: usize) -> bool {
    e.net.subnets[e.net.hosts[h].subnet].attachment == Attachment::Local
}

fn tcp_end(rng: &mut Rng) -> TcpEnd {
    match rng.weighted(&[55, 30, 5, 3, 7]) {
        0 => TcpEnd::Fin {
            server_first: false,
        },
        1 => TcpEnd::Fin { server_first: true },
        2 => TcpEnd::ClientReset,
        3 => TcpEnd::ServerReset,
        _ => TcpEnd::LeftOpen,
    }
}

/// A DNS query for a host of the network (or an outside name, or a name that does not exist).
fn dns_spec(e: &Enterprise, rng: &mut Rng, v6: bool, big_ok: bool) -> DnsSpec {
    let hosts = &e.net.hosts;
    let qtype = if v6 || rng.chance(0.2) {
        QueryType::Aaaa
    } else {
        QueryType::A
    };
    let roll = rng.unit();
    let q = if roll < 0.08 {
        DnsQuery {
            name: format!("wpad{}.{}", rng.below(100), e.net.domain),
            qtype,
            answer: DnsAnswer::NxDomain,
            edns: false,
        }
    } else if roll < 0.20 {
        let name = rng.pick(EXTERNAL_NAMES).copied().unwrap_or("example.com");
        let n = rng.range(1, 4) as u8;
        let addrs = (0..n)
            .map(|i| IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10 + i)))
            .collect();
        DnsQuery {
            name: name.to_string(),
            qtype: QueryType::A,
            answer: DnsAnswer::Addresses(addrs),
            edns: false,
        }
    } else if big_ok && roll < 0.21 {
        // A pool name with many addresses: an answer larger than the MTU, sent as fragments.
        let addrs = (0..160u32)
            .map(|i| IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(203, 0, 113, 0)) + i)))
            .collect();
        DnsQuery {
            name: format!("pool.ntp.{}", e.net.domain),
            qtype: QueryType::A,
            answer: DnsAnswer::Addresses(addrs),
            edns: true,
        }
    } else {
        let target = &hosts[rng.below(hosts.len() as u64) as usize];
        let mut addrs = vec![IpAddr::V4(target.v4)];
        if let Some(a) = target.v6 {
            addrs.push(IpAddr::V6(a));
        }
        DnsQuery {
            name: target.name.clone(),
            qtype,
            answer: DnsAnswer::Addresses(addrs),
            edns: rng.chance(0.3),
        }
    };
    DnsSpec { queries: vec![q] }
}

fn http_spec(e: &Enterprise, server: usize, rng: &mut Rng) -> HttpSpec {
    let count = 1 + rng.below(3) + if rng.chance(0.3) { rng.below(6) } else { 0 };
    let exchanges = (0..count)
        .map(|_| {
            let post = rng.chance(0.1);
            let status = [200u16, 304, 404, 500][rng.weighted(&[85, 5, 7, 3])];
            let body = match status {
                304 => 0,
                200 => match rng.weighted(&[82, 16, 2]) {
                    0 => rng.log_uniform(150, 6_000),
                    1 => rng.log_uniform(8_000, 32_000),
                    _ => rng.log_uniform(32_000, 256_000),
                },
                _ => rng.log_uniform(100, 1_500),
            };
            HttpExchange {
                method: if post { "POST" } else { "GET" },
                path: rng.pick(PATHS).copied().unwrap_or("/").to_string(),
                request_body: if post {
                    rng.log_uniform(200, 20_000)
                } else {
                    0
                },
                status,
                content_type: [ContentType::Html, ContentType::Text, ContentType::Binary]
                    [rng.weighted(&[50, 10, 40])],
                response_body: body,
            }
        })
        .collect();
    HttpSpec {
        host: e.net.hosts[server].name.clone(),
        user_agent: rng
            .pick(USER_AGENTS)
            .copied()
            .unwrap_or("curl/8.5.0")
            .to_string(),
        exchanges,
    }
}

fn opaque(rng: &mut Rng, draw: Draw) -> OpaqueSpec {
    let (n, think, server) = match draw {
        Draw::Db => (rng.range(2, 16), 20.0, 3.0),
        Draw::File => (rng.range(2, 6), 1.0, 2.0),
        _ => (rng.range(4, 50), 10.0, 2.0),
    };
    let exchanges = (0..n)
        .map(|_| match draw {
            Draw::Db => (
                rng.log_uniform(80, 800),
                match rng.weighted(&[900, 95, 5]) {
                    0 => rng.log_uniform(80, 1_500),
                    1 => rng.log_uniform(1_500, 16_000),
                    _ => rng.log_uniform(16_000, 128_000),
                },
            ),
            Draw::File if rng.chance(0.8) => {
                (rng.range(100, 300), rng.log_uniform(16_000, 256_000))
            }
            Draw::File => (rng.log_uniform(16_000, 256_000), rng.range(80, 200)),
            _ => (rng.log_uniform(60, 600), rng.log_uniform(60, 1_200)),
        })
        .collect();
    OpaqueSpec {
        exchanges,
        think_ms: think,
        server_ms: server,
    }
}

impl SessionSource for BenchWorkload {
    fn next_session(&mut self, rng: &mut Rng) -> Option<PlannedSession> {
        self.clock += rng.exponential(self.mean_gap_s);
        let weights: Vec<u32> = BENCH_MIX.iter().map(|&(_, w)| w).collect();
        let draw = BENCH_MIX[rng.weighted(&weights)].0;
        let e = &self.ent;
        let r = &self.roles;
        let client = pick(rng, &e.clients);
        let (server, transport, port) = match draw {
            Draw::Dns => (pick(rng, &r.dns), Transport::UDP, 53),
            Draw::Ntp => (pick(rng, &r.ntp), Transport::UDP, 123),
            Draw::Syslog => (pick(rng, &r.syslog), Transport::UDP, 514),
            Draw::Echo => (pick(rng, &r.all_servers), Transport::ICMP, 0),
            Draw::Http => {
                let s = pick(rng, &r.http);
                let port = e.net.hosts[s]
                    .service(ServiceKind::Http)
                    .map_or(80, |x| x.port);
                (s, Transport::TCP, port)
            }
            Draw::Db => (pick(rng, &r.db), Transport::TCP, crate::enterprise::DB_PORT),
            Draw::File => (
                pick(rng, &r.file),
                Transport::TCP,
                crate::enterprise::FILE_PORT,
            ),
            Draw::Rpc => (
                pick(rng, &r.rpc),
                Transport::TCP,
                crate::enterprise::RPC_PORT,
            ),
            Draw::Unanswered | Draw::Refused => {
                let s = pick(rng, &r.all_servers);
                // Probes of ports nothing listens on (telnet, RDP, SMB, SSH, MSSQL…).
                let port = [23u16, 3389, 445, 22, 1433, 5900, 8443][rng.below(7) as usize];
                (s, Transport::TCP, port)
            }
        };
        let v6 = both_v6(e, client, server) && rng.chance(0.5);
        let app = match draw {
            Draw::Dns => AppSpec::Dns(dns_spec(
                e,
                rng,
                v6,
                !v6 && local(e, client) && local(e, server),
            )),
            Draw::Ntp => AppSpec::Ntp,
            Draw::Syslog => AppSpec::Syslog(SyslogSpec {
                hostname: e.net.hosts[client].name.clone(),
                messages: rng.range(1, 4) as u32,
            }),
            Draw::Echo => AppSpec::Echo(EchoSpec {
                count: rng.range(1, 4) as u32,
                answered: rng.chance(0.9),
            }),
            Draw::Http => AppSpec::Http(http_spec(e, server, rng)),
            Draw::Db | Draw::Rpc | Draw::File => AppSpec::Opaque(opaque(rng, draw)),
            Draw::Unanswered | Draw::Refused => AppSpec::None,
        };
        let tcp_end = match draw {
            Draw::Unanswered => TcpEnd::Unanswered {
                syn_retries: rng.below(3) as u8,
            },
            Draw::Refused => TcpEnd::Refused,
            _ => tcp_end(rng),
        };
        Some(PlannedSession {
            start: Span((self.clock * 1e9) as i64),
            client,
            server,
            transport,
            port,
            v6,
            app,
            tcp_end,
            rtt: rtt(e, client, server, rng),
            impairments: Impairments {
                retransmit: 0.002,
                reorder: 0.001,
            },
        })
    }
}

/// The flow-table stress mix: `count` short flows, all started within a few simulated seconds
/// (50,000 per second) and none closed, so all are open at once: SYN/SYN-ACK pairs, full
/// handshakes, DNS and NTP request/response pairs, and single packets (unanswered SYNs and
/// one-way syslog). About 2.2 packets per flow.
#[derive(Clone, Debug)]
pub struct FlowsWorkload {
    ent: Enterprise,
    roles: Roles,
    remaining: u64,
    clock: f64,
}

impl FlowsWorkload {
    /// `count` flows on an enterprise with enough clients that no client needs more than a few
    /// hundred ephemeral ports.
    pub fn new(count: u64) -> FlowsWorkload {
        let clients = (count / 250).clamp(500, 16_000) as usize;
        let ent = Enterprise::new(clients);
        let roles = Roles::of(&ent);
        FlowsWorkload {
            ent,
            roles,
            remaining: count,
            clock: 0.0,
        }
    }

    /// The enterprise the sessions run on.
    pub fn enterprise(&self) -> &Enterprise {
        &self.ent
    }
}

impl SessionSource for FlowsWorkload {
    fn next_session(&mut self, rng: &mut Rng) -> Option<PlannedSession> {
        self.remaining = self.remaining.checked_sub(1)?;
        self.clock += rng.exponential(1.0 / 50_000.0);
        let e = &self.ent;
        let r = &self.roles;
        let client = pick(rng, &e.clients);
        let kind = rng.weighted(&[40, 25, 22, 5, 5, 3]);
        let (server, transport, port, app, tcp_end) = match kind {
            0 | 1 | 4 => {
                let s = pick(rng, &r.all_servers);
                let port = e.net.hosts[s]
                    .services
                    .iter()
                    .find(|x| x.transport == Transport::TCP)
                    .map_or(443, |x| x.port);
                let end = match kind {
                    0 => TcpEnd::HandshakeOnly { final_ack: false },
                    1 => TcpEnd::HandshakeOnly { final_ack: true },
                    _ => TcpEnd::Unanswered { syn_retries: 0 },
                };
                (s, Transport::TCP, port, AppSpec::None, end)
            }
            2 => {
                let s = pick(rng, &r.dns);
                let v6 = both_v6(e, client, s);
                let spec = dns_spec(e, rng, v6, false);
                (s, Transport::UDP, 53, AppSpec::Dns(spec), TcpEnd::LeftOpen)
            }
            3 => (
                pick(rng, &r.ntp),
                Transport::UDP,
                123,
                AppSpec::Ntp,
                TcpEnd::LeftOpen,
            ),
            _ => (
                pick(rng, &r.syslog),
                Transport::UDP,
                514,
                AppSpec::Syslog(SyslogSpec {
                    hostname: e.net.hosts[client].name.clone(),
                    messages: 1,
                }),
                TcpEnd::LeftOpen,
            ),
        };
        let v6 = both_v6(e, client, server) && rng.chance(0.5);
        Some(PlannedSession {
            start: Span((self.clock * 1e9) as i64),
            client,
            server,
            transport,
            port,
            v6,
            app,
            tcp_end,
            rtt: Span(rng.range(100, 1_000) as i64 * 1000),
            impairments: Impairments::default(),
        })
    }
}
