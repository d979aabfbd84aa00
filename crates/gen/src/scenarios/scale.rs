//! `scale`: a million flows among ten thousand workloads, streamed, for the analyze
//! benchmark. The structure is an enterprise's: many clients in access VLANs, a few hundred
//! servers in data-centre VLANs, each offering one or two services of a kind (web over TLS
//! 1.2 or 1.3, mutual-TLS APIs, HTTP, DNS, NTP, Kerberos, LDAP, SMB, PostgreSQL over TLS,
//! Redis, SSH, an opaque RPC), chosen by kind and then by a Zipf-like popularity so that a few
//! services carry most flows. Payloads are the labelled conversations (real TLS, Kerberos,
//! LDAP, SMB bytes) so that classification costs what it costs on real traffic; 3 % of
//! attempts go unanswered and 1 % are refused.
//!
//! Sessions are drawn one at a time ([`SessionSource`]), so memory stays flat whatever the
//! flow count; only which hosts and services were used is remembered, for the summary.

use std::net::Ipv4Addr;

use segscope_core::{AppProto as A, AuthClass as C, Span, Transport};

use crate::app::AppSpec;
use crate::app::dns::{DnsAnswer, DnsQuery, DnsSpec, QueryType};
use crate::app::http::{ContentType, HttpExchange, HttpSpec};
use crate::app::ms;
use crate::app::simple::OpaqueSpec;
use crate::packet::VlanTags;
use crate::rng::Rng;
use crate::scenario::{Impairments, PlannedSession, SessionSource, TcpEnd};
use crate::scenarios::catalog::{Catalog, Want};
use crate::scenarios::truth::{
    ConversationUse, Enforcement, ScaleSummary, ScenarioFacts, ZoneFacts,
};
use crate::topology::{Attachment, Network, oui};

/// Clients per access VLAN (a /22).
const CLIENTS_PER_SUBNET: usize = 1000;
/// Servers per data-centre VLAN (a /24).
const SERVERS_PER_SUBNET: usize = 200;
/// One server per this many workloads.
const WORKLOADS_PER_SERVER: usize = 25;
/// New flows per simulated second.
const FLOWS_PER_SECOND: f64 = 2_000.0;

/// Kinds of service, with their share of flows (per mille) and port.
const KINDS: [(Kind, u32); 13] = [
    (Kind::Dns, 280),
    (Kind::Tls12, 110),
    (Kind::Tls13, 100),
    (Kind::Mtls, 80),
    (Kind::Http, 80),
    (Kind::Kerberos, 60),
    (Kind::Ldap, 40),
    (Kind::Smb, 40),
    (Kind::Postgres, 60),
    (Kind::Redis, 50),
    (Kind::Ssh, 20),
    (Kind::Ntp, 50),
    (Kind::Rpc, 30),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dns,
    Tls12,
    Tls13,
    Mtls,
    Http,
    Kerberos,
    Ldap,
    Smb,
    Postgres,
    Redis,
    Ssh,
    Ntp,
    Rpc,
}

impl Kind {
    fn transport_port(self) -> (Transport, u16) {
        match self {
            Kind::Dns => (Transport::UDP, 53),
            Kind::Tls12 | Kind::Tls13 => (Transport::TCP, 443),
            Kind::Mtls => (Transport::TCP, 8443),
            Kind::Http => (Transport::TCP, 80),
            Kind::Kerberos => (Transport::TCP, 88),
            Kind::Ldap => (Transport::TCP, 389),
            Kind::Smb => (Transport::TCP, 445),
            Kind::Postgres => (Transport::TCP, 5432),
            Kind::Redis => (Transport::TCP, 6379),
            Kind::Ssh => (Transport::TCP, 22),
            Kind::Ntp => (Transport::UDP, 123),
            Kind::Rpc => (Transport::TCP, 9000),
        }
    }

    fn want(self) -> Option<Want> {
        Some(match self {
            Kind::Tls12 => Want::new("tls12-server-only", A::Tls, C::TlsServerOnly).family("tls12"),
            Kind::Tls13 => {
                Want::new("tls13-server-only", A::Tls, C::TlsClientAuthUnknown).family("tls13")
            }
            Kind::Mtls => Want::new("tls12-mtls-spiffe", A::Tls, C::Mtls).family("tls12"),
            Kind::Kerberos => Want::new("kerberos-as-aes-tcp", A::Kerberos, C::Kerberos),
            Kind::Ldap => Want::new("ldap-sasl-gss-spnego-kerberos", A::Ldap, C::Kerberos),
            Kind::Smb => Want::new("smb2-kerberos", A::Smb, C::Kerberos),
            Kind::Postgres => Want::new(
                "postgresql-sslrequest",
                A::Postgresql,
                C::TlsClientAuthUnknown,
            ),
            Kind::Redis => Want::new(
                "redis-unauthenticated",
                A::Redis,
                C::CleartextUnauthenticated,
            ),
            Kind::Ssh => Want::new("ssh-22", A::Ssh, C::Ssh),
            Kind::Dns | Kind::Http | Kind::Ntp | Kind::Rpc => return None,
        })
    }
}

/// One service: a server, its port, and the payload of its sessions.
#[derive(Clone, Debug)]
struct Service {
    server: usize,
    transport: Transport,
    port: u16,
    app: AppSpec,
}

/// The scale workload.
#[derive(Debug)]
pub struct ScaleWorkload {
    net: Network,
    clients: Vec<usize>,
    /// Services of each kind (indices into `services`), most popular first.
    by_kind: Vec<Vec<usize>>,
    /// Cumulative Zipf weights of each kind's services.
    popularity: Vec<Vec<f64>>,
    kind_weights: Vec<u32>,
    services: Vec<Service>,
    zones: Vec<ZoneFacts>,
    remaining: u64,
    flows: u64,
    clock: f64,
    host_used: Vec<bool>,
    service_used: Vec<bool>,
}

/// Adds subnet `10.a.b.0/len` on VLAN `vlan` and its zone of `hosts` hosts.
fn add_subnet(
    net: &mut Network,
    zones: &mut Vec<ZoneFacts>,
    name: String,
    [a, b]: [u8; 2],
    len: u8,
    vlan: u16,
    hosts: usize,
) -> usize {
    zones.push(ZoneFacts {
        name: name.clone(),
        description: String::new(),
        cidrs: vec![format!("10.{a}.{b}.0/{len}")],
        vlan: Some(vlan),
        external: false,
        hosts,
        ingress_policy: "open: no filtering".to_owned(),
        ingress: Enforcement::default(),
        egress: Enforcement::default(),
    });
    net.add_subnet(
        &name,
        (Ipv4Addr::new(10, a, b, 0), len),
        None,
        VlanTags::Dot1q(vlan),
        Attachment::Local,
    )
}

impl ScaleWorkload {
    /// `flows` flows among `workloads` workloads (at least 100).
    pub fn new(flows: u64, workloads: usize, catalog: &mut Catalog) -> ScaleWorkload {
        let workloads = workloads.max(100);
        let servers = (workloads / WORKLOADS_PER_SERVER).max(4);
        let clients = workloads - servers;
        let mut net = Network::new("scale.example");
        let mut zones = Vec::new();
        let mut client_hosts = Vec::with_capacity(clients);
        for (k, chunk) in (0..clients)
            .collect::<Vec<_>>()
            .chunks(CLIENTS_PER_SUBNET)
            .enumerate()
        {
            let third = ((k % 64) * 4) as u8;
            let s = add_subnet(
                &mut net,
                &mut zones,
                format!("access-{k:02}"),
                [64 + (k / 64) as u8, third],
                22,
                110 + k as u16,
                chunk.len(),
            );
            for (n, _) in chunk.iter().enumerate() {
                let h = net.add_host(
                    &format!("u{:05}", client_hosts.len()),
                    s,
                    n as u32,
                    oui::DELL,
                    128,
                    Vec::new(),
                );
                client_hosts.push(h);
            }
        }
        let mut server_hosts = Vec::with_capacity(servers);
        for (k, chunk) in (0..servers)
            .collect::<Vec<_>>()
            .chunks(SERVERS_PER_SUBNET)
            .enumerate()
        {
            let s = add_subnet(
                &mut net,
                &mut zones,
                format!("dc-{k:02}"),
                [96, k as u8],
                24,
                200 + k as u16,
                chunk.len(),
            );
            for (n, _) in chunk.iter().enumerate() {
                let h = net.add_host(
                    &format!("srv{:04}", server_hosts.len()),
                    s,
                    n as u32,
                    oui::VMWARE,
                    64,
                    Vec::new(),
                );
                server_hosts.push(h);
            }
        }
        let mut rng = Rng::new(0x5CA1_E000 ^ workloads as u64);
        let weights: Vec<u32> = KINDS.iter().map(|(_, w)| *w).collect();
        let replays: Vec<Option<AppSpec>> = KINDS
            .iter()
            .map(|(k, _)| {
                k.want().and_then(|w| catalog.get(w)).map(|r| {
                    let r = if *k == Kind::Smb {
                        r.prefix(4, "-session-setup")
                    } else {
                        r
                    };
                    r.spec(ms(1.0))
                })
            })
            .collect();
        let mut services = Vec::new();
        let mut by_kind = vec![Vec::new(); KINDS.len()];
        for (i, &server) in server_hosts.iter().enumerate() {
            let count = if i % 10 < 3 { 2 } else { 1 };
            for j in 0..count {
                let k = rng.weighted(&weights);
                let (kind, _) = KINDS[k];
                let (transport, mut port) = kind.transport_port();
                if j == 1
                    && services
                        .iter()
                        .any(|s: &Service| s.server == server && s.port == port)
                {
                    port += 1;
                }
                let app = match (&replays[k], kind) {
                    (Some(spec), _) => spec.clone(),
                    (None, Kind::Http) => AppSpec::Http(HttpSpec {
                        host: net
                            .hosts
                            .get(server)
                            .map_or_else(String::new, |h| h.name.clone()),
                        user_agent: "Go-http-client/1.1".to_owned(),
                        exchanges: vec![HttpExchange {
                            method: "GET",
                            path: "/api/v1/status".to_owned(),
                            request_body: 0,
                            status: 200,
                            content_type: ContentType::Text,
                            response_body: 600,
                        }],
                    }),
                    (None, Kind::Ntp) => AppSpec::Ntp,
                    (None, Kind::Dns) => AppSpec::Dns(DnsSpec {
                        queries: vec![DnsQuery {
                            name: net
                                .hosts
                                .get(server_hosts[(i * 7 + 3) % server_hosts.len()])
                                .map_or_else(String::new, |h| h.name.clone()),
                            qtype: QueryType::A,
                            answer: DnsAnswer::Addresses(vec![std::net::IpAddr::V4(
                                Ipv4Addr::new(10, 96, (i % 200) as u8, 10),
                            )]),
                            edns: false,
                        }],
                    }),
                    (None, _) => AppSpec::Opaque(OpaqueSpec {
                        exchanges: vec![(180, 900), (120, 300)],
                        think_ms: 2.0,
                        server_ms: 1.0,
                    }),
                };
                by_kind[k].push(services.len());
                services.push(Service {
                    server,
                    transport,
                    port,
                    app,
                });
            }
        }
        let popularity = by_kind
            .iter()
            .map(|list| {
                let mut acc = 0.0;
                list.iter()
                    .enumerate()
                    .map(|(rank, _)| {
                        acc += 1.0 / (rank as f64 + 1.0).powf(0.9);
                        acc
                    })
                    .collect()
            })
            .collect();
        let hosts = net.hosts.len();
        let n_services = services.len();
        ScaleWorkload {
            net,
            clients: client_hosts,
            by_kind,
            popularity,
            kind_weights: weights,
            services,
            zones,
            remaining: flows,
            flows,
            clock: 0.0,
            host_used: vec![false; hosts],
            service_used: vec![false; n_services],
        }
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The address plan, one zone per VLAN.
    pub fn zones(&self) -> Vec<ZoneFacts> {
        self.zones.clone()
    }

    /// What was generated so far.
    pub fn summary(&self) -> ScaleSummary {
        let used: Vec<usize> = (0..self.host_used.len())
            .filter(|&i| self.host_used[i])
            .collect();
        let servers: std::collections::BTreeSet<usize> = self
            .services
            .iter()
            .zip(&self.service_used)
            .filter(|(_, u)| **u)
            .map(|(s, _)| s.server)
            .collect();
        ScaleSummary {
            workloads: used.len(),
            clients: used.iter().filter(|h| !servers.contains(h)).count(),
            servers: servers.len(),
            services: self.service_used.iter().filter(|u| **u).count(),
            flows: self.flows - self.remaining,
        }
    }

    fn pick_service(&self, rng: &mut Rng) -> Option<usize> {
        let kind = rng.weighted(&self.kind_weights);
        let list = self.by_kind.get(kind).filter(|l| !l.is_empty())?;
        let cum = self.popularity.get(kind)?;
        let total = *cum.last()?;
        let x = rng.unit() * total;
        let rank = cum.partition_point(|&c| c < x).min(list.len() - 1);
        list.get(rank).copied()
    }
}

impl SessionSource for ScaleWorkload {
    fn next_session(&mut self, rng: &mut Rng) -> Option<PlannedSession> {
        if self.remaining == 0 {
            return None;
        }
        // A kind with no service (tiny networks) is drawn again.
        let idx = (0..16).find_map(|_| self.pick_service(rng))?;
        self.remaining -= 1;
        self.clock += rng.exponential(1.0 / FLOWS_PER_SECOND);
        let client = *rng.pick(&self.clients)?;
        let s = self.services.get(idx)?;
        let roll = rng.below(100);
        let (app, tcp_end) = match roll {
            0..=2 => (AppSpec::None, TcpEnd::Unanswered { syn_retries: 1 }),
            3 if s.transport == Transport::TCP => (AppSpec::None, TcpEnd::Refused),
            _ => (
                s.app.clone(),
                TcpEnd::Fin {
                    server_first: rng.chance(0.3),
                },
            ),
        };
        let app = if s.transport == Transport::UDP && matches!(app, AppSpec::None) {
            s.app.clone()
        } else {
            app
        };
        let session = PlannedSession {
            start: Span((self.clock * 1e9) as i64),
            client,
            server: s.server,
            transport: s.transport,
            port: s.port,
            v6: false,
            app,
            tcp_end,
            rtt: Span(rng.range(200, 1_500) as i64 * 1000),
            impairments: Impairments::default(),
        };
        if let Some(u) = self.host_used.get_mut(client) {
            *u = true;
        }
        if let Some(u) = self.host_used.get_mut(s.server) {
            *u = true;
        }
        if let Some(u) = self.service_used.get_mut(idx) {
            *u = true;
        }
        Some(session)
    }
}

/// The truth of a finished scale run: the address plan and the summary, no flow list.
pub fn facts(w: &ScaleWorkload, conversations: Vec<ConversationUse>) -> ScenarioFacts {
    let summary = w.summary();
    ScenarioFacts {
        name: "scale".to_owned(),
        description: "Many clients in access VLANs using a few hundred services on servers in \
                      data-centre VLANs, chosen by kind and by a Zipf-like popularity; 3 % of \
                      attempts unanswered, 1 % refused. Flows are not listed."
            .to_owned(),
        domain: w.net.domain.clone(),
        start: crate::CAPTURE_START,
        period_s: summary.flows as f64 / FLOWS_PER_SECOND,
        vantage: "one mirror of every access trunk; each flow seen once, on its client's VLAN"
            .to_owned(),
        zones: w.zones(),
        hosts: Vec::new(),
        firewall: Vec::new(),
        zone_policy: Vec::new(),
        edges: Vec::new(),
        admin_path: None,
        lateral_movement: Vec::new(),
        fan_out: Vec::new(),
        scans: Vec::new(),
        cleartext_services: Vec::new(),
        new_legitimate_edges: Vec::new(),
        expected: None,
        conversations,
        certificates: Vec::new(),
        tls_versions: Default::default(),
        summary: Some(summary),
    }
}
