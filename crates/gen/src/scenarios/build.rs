//! Writing a ground-truth scenario as data: zones (one subnet each), hosts with a role, a
//! firewall between zones, and sessions. Each session asks the firewall and the server's
//! listening services what happens to it (established, refused, dropped, rejected with ICMP
//! administratively prohibited), so the outcome of every attempt — and with it the
//! default-deny evidence, the scan results and the blocked lateral movement — follows from the
//! firewall rules by construction rather than being written down twice.
//!
//! Every session is also counted on its host-level edge (client, server, transport, port),
//! from which [`Builder::finish`] derives the ground truth: zone policy, lateral movement,
//! fan-outs, scans, cleartext services and the admin path.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use segscope_core::{AppProto, AuthClass, Span, Timestamp, Transport};

use crate::app::dns::{DnsAnswer, DnsQuery, DnsSpec, QueryType};
use crate::app::http::{ContentType, HttpExchange, HttpSpec};
use crate::app::simple::SyslogSpec;
use crate::app::{AppSpec, RecordedTurn, ms};
use crate::packet::VlanTags;
use crate::rng::Rng;
use crate::scenario::{
    IcmpReject, Impairments, PlannedSession, Reporter, Scenario, TcpEnd, Unreachable,
};
use crate::scenarios::catalog::{Catalog, Replay, Want};
use crate::scenarios::truth::{
    AdminPath, EdgeFacts, EdgeKind, FanOut, FirewallRuleFacts, HostFacts, LateralMovement, Outcome,
    ScanFacts, ScenarioFacts, ServiceFinding, ZoneEdge, ZoneFacts,
};
use crate::scenarios::{certs, rubric};
use crate::topology::{Attachment, Network, oui};

/// What a host is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Kerberos, LDAP, DNS and NTP for the domain.
    DomainController,
    /// A DNS resolver.
    DnsServer,
    /// A database or cache.
    Database,
    /// A web server or reverse proxy.
    WebServer,
    /// An application server (a service of a mesh, a middle tier).
    AppServer,
    /// An SMB file server.
    FileServer,
    /// A user's computer.
    Workstation,
    /// A jump host (bastion) administrators work from.
    JumpHost,
    /// Monitoring: SNMP polling, syslog collection.
    Monitoring,
    /// A scanner (an unmanaged laptop running a port scanner).
    Scanner,
    /// A host on the Internet.
    External,
}

impl Role {
    /// The scenario's name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DomainController => "domain_controller",
            Role::DnsServer => "dns_server",
            Role::Database => "database",
            Role::WebServer => "web_server",
            Role::AppServer => "app_server",
            Role::FileServer => "file_server",
            Role::Workstation => "workstation",
            Role::JumpHost => "jump_host",
            Role::Monitoring => "monitoring",
            Role::Scanner => "scanner",
            Role::External => "external",
        }
    }

    /// segscope's role name for it (`rules/findings.yaml`).
    pub fn segscope(self) -> &'static str {
        match self {
            Role::DomainController => "domain_controller",
            Role::DnsServer => "dns_server",
            Role::Database => "database",
            Role::WebServer | Role::AppServer => "web_app",
            Role::FileServer => "file_server",
            Role::Workstation => "workstation",
            Role::JumpHost => "management",
            Role::Monitoring => "infrastructure",
            Role::Scanner => "scanner",
            Role::External => "external",
        }
    }
}

/// How much a host matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criticality {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High (a critical asset).
    High,
    /// Critical (a critical asset).
    Critical,
}

impl Criticality {
    /// The name used in inventories.
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }

    /// True for high and critical: a critical asset in the rubric's sense.
    pub fn is_critical(self) -> bool {
        self >= Criticality::High
    }
}

/// A listening service or a firewall service match: transport and port.
pub type Svc = (Transport, u16);

/// `tcp/443`.
pub fn svc_name(s: Svc) -> String {
    format!("{}/{}", s.0, s.1)
}

/// TCP port `p`.
pub const fn tcp(p: u16) -> Svc {
    (Transport::TCP, p)
}

/// UDP port `p`.
pub const fn udp(p: u16) -> Svc {
    (Transport::UDP, p)
}

/// Index of a zone in its builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(pub usize);

/// Index of a host in its builder (and in its network).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub usize);

/// What a firewall rule matches on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Anything.
    Any,
    /// Hosts of a zone.
    Zone(ZoneId),
    /// One host.
    Host(HostId),
}

/// What a firewall rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Drop silently.
    Drop,
    /// Answer with ICMP administratively prohibited from `Reporter`.
    Reject(Reporter),
}

#[derive(Clone, Debug)]
struct Rule {
    from: Match,
    to: Match,
    services: Vec<Svc>,
    action: Action,
    note: String,
}

#[derive(Clone, Debug)]
struct ZoneDef {
    name: String,
    description: String,
    subnet: usize,
    external: bool,
    ingress_policy: String,
}

#[derive(Clone, Debug)]
struct HostPlan {
    zone: ZoneId,
    role: Role,
    criticality: Criticality,
    labels: BTreeMap<String, String>,
    services: Vec<Svc>,
}

/// What one session says.
#[derive(Clone, Debug)]
pub struct Talk {
    /// Transport.
    pub transport: Transport,
    /// Server port.
    pub port: u16,
    /// Application bytes, when the session gets through.
    pub app: AppSpec,
    /// Protocol label.
    pub proto: AppProto,
    /// Authentication label.
    pub auth: AuthClass,
    /// Labelled conversation, if replayed.
    pub conversation: Option<String>,
    /// Over IPv6.
    pub v6: bool,
    /// How an established TCP session ends.
    pub end: TcpEnd,
    /// SYN retransmissions when nobody answers.
    pub syn_retries: u8,
    /// A one-way protocol (syslog): the server never answers, even when it receives.
    pub one_way: bool,
}

impl Talk {
    /// Replays `r` on `port`.
    pub fn replay(r: &Replay, port: u16) -> Talk {
        Talk {
            transport: r.transport,
            port,
            app: r.spec(ms(2.0)),
            proto: r.app,
            auth: r.auth,
            conversation: Some(r.name.clone()),
            v6: false,
            end: TcpEnd::Fin {
                server_first: false,
            },
            syn_retries: 1,
            one_way: false,
        }
    }

    /// A connect probe: SYN, and when the handshake completes, the prober's reset.
    pub fn probe(s: Svc) -> Talk {
        Talk {
            transport: s.0,
            port: s.1,
            app: AppSpec::None,
            proto: AppProto::Unknown,
            auth: AuthClass::Unknown,
            conversation: None,
            v6: false,
            end: TcpEnd::ClientReset,
            syn_retries: 0,
            one_way: false,
        }
    }

    /// One DNS lookup of `name` answered with `addrs` (`AAAA` when `aaaa`).
    pub fn dns(name: &str, addrs: Vec<IpAddr>, aaaa: bool) -> Talk {
        Talk {
            transport: Transport::UDP,
            port: 53,
            app: AppSpec::Dns(DnsSpec {
                queries: vec![DnsQuery {
                    name: name.to_owned(),
                    qtype: if aaaa { QueryType::Aaaa } else { QueryType::A },
                    answer: DnsAnswer::Addresses(addrs),
                    edns: false,
                }],
            }),
            proto: AppProto::Dns,
            auth: AuthClass::NotApplicable,
            conversation: None,
            v6: false,
            end: TcpEnd::LeftOpen,
            syn_retries: 0,
            one_way: false,
        }
    }

    /// One NTP exchange.
    pub fn ntp() -> Talk {
        Talk {
            transport: Transport::UDP,
            port: 123,
            app: AppSpec::Ntp,
            proto: AppProto::Ntp,
            auth: AuthClass::NotApplicable,
            conversation: None,
            v6: false,
            end: TcpEnd::LeftOpen,
            syn_retries: 0,
            one_way: false,
        }
    }

    /// `messages` syslog messages from `hostname`.
    pub fn syslog(hostname: &str, messages: u32) -> Talk {
        Talk {
            transport: Transport::UDP,
            port: 514,
            app: AppSpec::Syslog(SyslogSpec {
                hostname: hostname.to_owned(),
                messages,
            }),
            proto: AppProto::Syslog,
            auth: AuthClass::NotApplicable,
            conversation: None,
            v6: false,
            end: TcpEnd::LeftOpen,
            syn_retries: 0,
            one_way: true,
        }
    }

    /// Cleartext HTTP/1.1 GETs of `pages` (`path`, body length) from `host`, without
    /// credentials.
    pub fn http(host: &str, port: u16, pages: &[(&str, u64)]) -> Talk {
        Talk {
            transport: Transport::TCP,
            port,
            app: AppSpec::Http(HttpSpec {
                host: host.to_owned(),
                user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0".to_owned(),
                exchanges: pages
                    .iter()
                    .map(|&(path, len)| HttpExchange {
                        method: "GET",
                        path: path.to_owned(),
                        request_body: 0,
                        status: 200,
                        content_type: ContentType::Html,
                        response_body: len,
                    })
                    .collect(),
            }),
            proto: AppProto::Http,
            auth: AuthClass::CleartextUnauthenticated,
            conversation: None,
            v6: false,
            end: TcpEnd::Fin {
                server_first: false,
            },
            syn_retries: 1,
            one_way: false,
        }
    }

    /// Over IPv6.
    pub fn v6(mut self) -> Talk {
        self.v6 = true;
        self
    }

    /// With `n` SYN retransmissions when unanswered.
    pub fn retries(mut self, n: u8) -> Talk {
        self.syn_retries = n;
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct EdgeKey {
    client: HostId,
    server: HostId,
    transport: Transport,
    port: u16,
    v6: bool,
    kind: EdgeKind,
    outcome: Outcome,
    conversation: Option<String>,
}

#[derive(Clone, Debug)]
struct EdgeAcc {
    app: AppProto,
    auth: AuthClass,
    flows: usize,
    new: bool,
    one_way: bool,
}

/// A scenario being written.
#[derive(Debug)]
pub struct Builder {
    /// The network.
    pub net: Network,
    /// Labelled conversations.
    pub catalog: Catalog,
    /// Timing jitter.
    pub rng: Rng,
    name: String,
    description: String,
    start: Timestamp,
    period_s: f64,
    zones: Vec<ZoneDef>,
    hosts: Vec<HostPlan>,
    rules: Vec<Rule>,
    sessions: Vec<PlannedSession>,
    edges: BTreeMap<EdgeKey, EdgeAcc>,
    planted_services: BTreeSet<(HostId, Svc)>,
    jump_hosts: Vec<HostId>,
    admin_services: Vec<Svc>,
    marking_new: bool,
    rule_reporters: BTreeMap<IpAddr, String>,
    replayed: BTreeMap<String, Arc<[RecordedTurn]>>,
}

/// A scenario ready to simulate, and its truth (without the expected stages, which need the
/// simulated byte counts).
#[derive(Clone, Debug)]
pub struct Built {
    /// The sessions on their network.
    pub scenario: Scenario,
    /// What it means.
    pub facts: ScenarioFacts,
}

impl Builder {
    /// An empty scenario in `domain` starting at `start`, planned over `period_s` seconds, with
    /// timing drawn from `seed`.
    pub fn new(
        name: &str,
        description: &str,
        domain: &str,
        start: Timestamp,
        period_s: f64,
        seed: u64,
        catalog: Catalog,
    ) -> Builder {
        Builder {
            net: Network::new(domain),
            catalog,
            rng: Rng::new(seed ^ 0x5CE7_A210),
            name: name.to_owned(),
            description: description.to_owned(),
            start,
            period_s,
            zones: Vec::new(),
            hosts: Vec::new(),
            rules: Vec::new(),
            sessions: Vec::new(),
            edges: BTreeMap::new(),
            planted_services: BTreeSet::new(),
            jump_hosts: Vec::new(),
            admin_services: Vec::new(),
            marking_new: false,
            rule_reporters: BTreeMap::new(),
            replayed: BTreeMap::new(),
        }
    }

    /// Adds a zone: one subnet with these addresses, tags and attachment.
    #[allow(clippy::too_many_arguments)]
    pub fn zone(
        &mut self,
        name: &str,
        description: &str,
        v4: (Ipv4Addr, u8),
        v6: Option<Ipv6Addr>,
        tags: VlanTags,
        attachment: Attachment,
        external: bool,
        ingress_policy: &str,
    ) -> ZoneId {
        let subnet = self.net.add_subnet(name, v4, v6, tags, attachment);
        self.zones.push(ZoneDef {
            name: name.to_owned(),
            description: description.to_owned(),
            subnet,
            external,
            ingress_policy: ingress_policy.to_owned(),
        });
        ZoneId(self.zones.len() - 1)
    }

    /// Adds host `name` (in the network's domain, unless it contains a dot) as the `n`-th
    /// address of `zone` (from `.10`). `labels` should hold an `os` (`windows` or `linux`: it
    /// sets the initial TTL).
    #[expect(
        clippy::too_many_arguments,
        reason = "a scenario table reads best as one call per host with every attribute in place"
    )]
    pub fn host(
        &mut self,
        name: &str,
        zone: ZoneId,
        n: u32,
        role: Role,
        criticality: Criticality,
        services: &[Svc],
        labels: &[(&str, &str)],
    ) -> HostId {
        let subnet = self.zones.get(zone.0).map_or(0, |z| z.subnet);
        let windows = labels.iter().any(|&(k, v)| k == "os" && v == "windows");
        let ttl = if windows { 128 } else { 64 };
        let vendor = match role {
            Role::Workstation | Role::Scanner => oui::DELL,
            _ => oui::VMWARE,
        };
        let short = name.split('.').next().unwrap_or(name);
        let index = self.net.add_host(short, subnet, n, vendor, ttl, Vec::new());
        // A dotted name is already fully qualified (an Internet host outside the domain).
        if name.contains('.')
            && let Some(h) = self.net.hosts.get_mut(index)
        {
            h.name = name.to_owned();
        }
        self.hosts.push(HostPlan {
            zone,
            role,
            criticality,
            labels: labels
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            services: services.to_vec(),
        });
        HostId(index)
    }

    /// Places a host of an overlay zone behind a VTEP.
    pub fn vtep(&mut self, host: HostId, vtep: Ipv4Addr) {
        self.net.set_vtep(host.0, vtep);
    }

    /// Adds a firewall rule (rules are tried in order; no match means allow).
    pub fn rule(&mut self, from: Match, to: Match, services: &[Svc], action: Action, note: &str) {
        self.rules.push(Rule {
            from,
            to,
            services: services.to_vec(),
            action,
            note: note.to_owned(),
        });
    }

    /// Names a router address that sends rejects (for the truth).
    pub fn reporter_name(&mut self, ip: IpAddr, name: &str) {
        self.rule_reporters.insert(ip, name.to_owned());
    }

    /// Marks `(server, service)` as a planted cleartext or unauthenticated service.
    pub fn plant(&mut self, server: HostId, s: Svc) {
        self.planted_services.insert((server, s));
    }

    /// Declares the jump hosts and the services of the admin path.
    pub fn admin_path(&mut self, jump_hosts: &[HostId], services: &[Svc]) {
        self.jump_hosts = jump_hosts.to_vec();
        self.admin_services = services.to_vec();
    }

    /// From now on, sessions mark their edges as new (a follow-up capture's additions).
    pub fn mark_new(&mut self, on: bool) {
        self.marking_new = on;
    }

    /// A labelled conversation (see [`Catalog::get`]).
    pub fn convo(&mut self, want: Want) -> Option<Replay> {
        self.catalog.get(want)
    }

    /// The host's fully qualified name.
    pub fn name(&self, h: HostId) -> String {
        self.net
            .hosts
            .get(h.0)
            .map_or_else(String::new, |x| x.name.clone())
    }

    /// The host's short name (before the first dot).
    pub fn short(&self, h: HostId) -> String {
        let n = self.name(h);
        n.split('.').next().unwrap_or_default().to_owned()
    }

    /// The host's addresses (IPv4, then IPv6 when it has one).
    pub fn addrs(&self, h: HostId) -> Vec<IpAddr> {
        let Some(x) = self.net.hosts.get(h.0) else {
            return Vec::new();
        };
        let mut v = vec![IpAddr::V4(x.v4)];
        if let Some(a) = x.v6 {
            v.push(IpAddr::V6(a));
        }
        v
    }

    /// A DNS lookup of `target` (its A record, or AAAA when `aaaa`).
    pub fn lookup(&self, target: HostId, aaaa: bool) -> Talk {
        let addrs = self
            .addrs(target)
            .into_iter()
            .filter(|a| a.is_ipv6() == aaaa)
            .collect();
        Talk::dns(&self.name(target), addrs, aaaa)
    }

    fn zone_of(&self, h: HostId) -> Option<ZoneId> {
        self.hosts.get(h.0).map(|p| p.zone)
    }

    fn matches(&self, m: Match, h: HostId) -> bool {
        match m {
            Match::Any => true,
            Match::Zone(z) => self.zone_of(h) == Some(z),
            Match::Host(x) => x == h,
        }
    }

    /// What the firewall does to `client` reaching `server` on `s`. Traffic inside a zone is
    /// never filtered (the firewall sits between zones).
    pub fn verdict(&self, client: HostId, server: HostId, s: Svc) -> Action {
        if self.zone_of(client) == self.zone_of(server) {
            return Action::Allow;
        }
        self.rules
            .iter()
            .find(|r| {
                self.matches(r.from, client)
                    && self.matches(r.to, server)
                    && (r.services.is_empty() || r.services.contains(&s))
            })
            .map_or(Action::Allow, |r| r.action)
    }

    fn listens(&self, h: HostId, s: Svc) -> bool {
        self.hosts.get(h.0).is_some_and(|p| p.services.contains(&s))
    }

    fn rtt(&mut self, client: HostId, server: HostId) -> Span {
        let ext = |b: &Builder, h: HostId| {
            b.zone_of(h)
                .and_then(|z| b.zones.get(z.0))
                .is_some_and(|z| z.external)
        };
        let us = if ext(self, client) || ext(self, server) {
            self.rng.range(15_000, 45_000)
        } else if self.zone_of(client) == self.zone_of(server) {
            self.rng.range(150, 400)
        } else {
            self.rng.range(400, 1_200)
        };
        Span(us as i64 * 1000)
    }

    /// Plans one session at `at_s` seconds; the firewall and the server's services decide how
    /// it goes. Returns the outcome.
    pub fn session(
        &mut self,
        at_s: f64,
        client: HostId,
        server: HostId,
        kind: EdgeKind,
        talk: Talk,
    ) -> Outcome {
        let s = (talk.transport, talk.port);
        let udp = talk.transport == Transport::UDP;
        let listening = self.listens(server, s);
        let (outcome, end) = match self.verdict(client, server, s) {
            Action::Allow if listening => (Outcome::Established, talk.end),
            Action::Allow if udp => (
                Outcome::Refused,
                TcpEnd::IcmpUnreachable(IcmpReject {
                    reason: Unreachable::Port,
                    from: Reporter::Server,
                }),
            ),
            Action::Allow => (Outcome::Refused, TcpEnd::Refused),
            Action::Drop => (
                Outcome::NoReply,
                TcpEnd::Unanswered {
                    syn_retries: talk.syn_retries,
                },
            ),
            Action::Reject(from) => (
                Outcome::AdminProhibited,
                TcpEnd::IcmpUnreachable(IcmpReject {
                    reason: Unreachable::AdminProhibited,
                    from,
                }),
            ),
        };
        // A TCP attempt that never completes its handshake carries no payload.
        let payload = udp || outcome == Outcome::Established;
        let (app, proto, auth, conversation) = if payload {
            (talk.app, talk.proto, talk.auth, talk.conversation)
        } else {
            (AppSpec::None, AppProto::Unknown, AuthClass::Unknown, None)
        };
        if let (AppSpec::Recorded(r), Some(name)) = (&app, &conversation) {
            self.replayed
                .entry(name.clone())
                .or_insert_with(|| Arc::clone(&r.turns));
        }
        let rtt = self.rtt(client, server);
        self.sessions.push(PlannedSession {
            start: Span((at_s * 1e9) as i64),
            client: client.0,
            server: server.0,
            transport: talk.transport,
            port: talk.port,
            v6: talk.v6,
            app,
            tcp_end: end,
            rtt,
            impairments: Impairments::default(),
        });
        let key = EdgeKey {
            client,
            server,
            transport: talk.transport,
            port: talk.port,
            v6: talk.v6,
            kind,
            outcome,
            conversation,
        };
        let new = self.marking_new;
        let e = self.edges.entry(key).or_insert(EdgeAcc {
            app: proto,
            auth,
            flows: 0,
            new,
            one_way: talk.one_way,
        });
        e.flows += 1;
        outcome
    }

    /// `n` instants spread over `[from, to)` seconds with a little jitter, in order.
    pub fn spread(&mut self, n: usize, from: f64, to: f64) -> Vec<f64> {
        let step = (to - from) / n.max(1) as f64;
        (0..n)
            .map(|i| from + step * (i as f64 + 0.1 + 0.8 * self.rng.unit()))
            .collect()
    }

    /// The hosts some session involves. A host of the network that takes part in no session
    /// (the scanner of `lab`, gone a week later) sends nothing, so the truth does not list it.
    fn in_traffic(&self) -> BTreeSet<HostId> {
        self.edges
            .keys()
            .flat_map(|k| [k.client, k.server])
            .collect()
    }

    fn host_facts(&self) -> Vec<HostFacts> {
        let in_traffic = self.in_traffic();
        self.net
            .hosts
            .iter()
            .zip(&self.hosts)
            .enumerate()
            .filter(|(i, _)| in_traffic.contains(&HostId(*i)))
            .map(|(_, (h, p))| {
                let zone = self.zones.get(p.zone.0);
                HostFacts {
                    name: h.name.clone(),
                    ipv4: IpAddr::V4(h.v4),
                    ipv6: h.v6.map(IpAddr::V6),
                    vlan: zone
                        .and_then(|z| self.net.subnets.get(z.subnet))
                        .and_then(|n| n.tags.outer()),
                    zone: zone.map_or_else(String::new, |z| z.name.clone()),
                    role: p.role.as_str().to_owned(),
                    segscope_role: p.role.segscope().to_owned(),
                    criticality: p.criticality.as_str().to_owned(),
                    labels: p.labels.clone(),
                    services: p.services.iter().map(|&s| svc_name(s)).collect(),
                }
            })
            .collect()
    }

    fn zone_name(&self, z: Option<ZoneId>) -> String {
        z.and_then(|z| self.zones.get(z.0))
            .map_or_else(String::new, |z| z.name.clone())
    }

    fn match_name(&self, m: Match) -> String {
        match m {
            Match::Any => "*".to_owned(),
            Match::Zone(z) => self.zone_name(Some(z)),
            Match::Host(h) => self.name(h),
        }
    }

    fn addr(&self, h: HostId, v6: bool) -> IpAddr {
        let a = self.addrs(h);
        a.iter()
            .copied()
            .find(|x| x.is_ipv6() == v6)
            .or_else(|| a.first().copied())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn role(&self, h: HostId) -> Option<Role> {
        self.hosts.get(h.0).map(|p| p.role)
    }

    /// The scenario and its truth.
    pub fn finish(self) -> Built {
        let edges: Vec<EdgeFacts> = self
            .edges
            .iter()
            .map(|(k, a)| EdgeFacts {
                client: self.name(k.client),
                client_ip: self.addr(k.client, k.v6),
                client_zone: self.zone_name(self.zone_of(k.client)),
                server: self.name(k.server),
                server_ip: self.addr(k.server, k.v6),
                server_zone: self.zone_name(self.zone_of(k.server)),
                transport: k.transport,
                port: k.port,
                kind: k.kind,
                outcome: k.outcome,
                app: a.app,
                auth: a.auth,
                conversation: k.conversation.clone(),
                flows: a.flows,
                new: a.new,
                one_way: a.one_way,
            })
            .collect();
        let facts = ScenarioFacts {
            name: self.name.clone(),
            description: self.description.clone(),
            domain: self.net.domain.clone(),
            start: self.start,
            period_s: self.period_s,
            vantage: "one mirror of every access trunk: each flow is seen once, on its client's \
                      access VLAN (server addresses therefore appear under their clients' VLANs)"
                .to_owned(),
            zones: self.zone_facts(&edges),
            hosts: self.host_facts(),
            firewall: self.firewall_facts(),
            zone_policy: zone_edges(&edges, |e| {
                matches!(e.kind, EdgeKind::Legitimate | EdgeKind::Admin)
                    && e.outcome == Outcome::Established
            }),
            new_legitimate_edges: zone_edges(&edges, |e| e.new),
            admin_path: self.admin_facts(),
            lateral_movement: self.lateral_facts(),
            fan_out: self.fan_out_facts(),
            scans: self.scan_facts(),
            cleartext_services: self.cleartext_facts(),
            edges,
            expected: None,
            conversations: self.catalog.uses(),
            certificates: self
                .replayed
                .iter()
                .flat_map(|(name, turns)| certs::visible(name, turns))
                .collect(),
            tls_versions: self
                .replayed
                .iter()
                .filter_map(|(name, turns)| {
                    certs::negotiated_version(turns).map(|v| (name.clone(), v.to_owned()))
                })
                .collect(),
            summary: None,
        };
        let mut scenario = Scenario {
            name: self.name,
            start: self.start,
            network: self.net,
            sessions: self.sessions,
        };
        scenario.sessions.sort_by_key(|s| s.start);
        Built { scenario, facts }
    }

    fn zone_facts(&self, edges: &[EdgeFacts]) -> Vec<ZoneFacts> {
        let in_traffic = self.in_traffic();
        self.zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let n = self.net.subnets.get(z.subnet);
                let mut cidrs = Vec::new();
                if let Some(n) = n {
                    cidrs.push(format!("{}/{}", n.v4_net, n.v4_len));
                    if let Some(p) = n.v6_net {
                        cidrs.push(format!("{p}/64"));
                    }
                }
                ZoneFacts {
                    name: z.name.clone(),
                    description: z.description.clone(),
                    cidrs,
                    vlan: n.and_then(|n| n.tags.outer()),
                    external: z.external,
                    hosts: self
                        .hosts
                        .iter()
                        .enumerate()
                        .filter(|(h, p)| p.zone == ZoneId(i) && in_traffic.contains(&HostId(*h)))
                        .count(),
                    ingress_policy: z.ingress_policy.clone(),
                    ingress: rubric::enforcement(edges, &z.name, true),
                    egress: rubric::enforcement(edges, &z.name, false),
                }
            })
            .collect()
    }

    fn firewall_facts(&self) -> Vec<FirewallRuleFacts> {
        self.rules
            .iter()
            .map(|r| FirewallRuleFacts {
                from: self.match_name(r.from),
                to: self.match_name(r.to),
                services: r.services.iter().map(|&s| svc_name(s)).collect(),
                action: match r.action {
                    Action::Allow => "allow",
                    Action::Drop => "drop",
                    Action::Reject(_) => "reject",
                }
                .to_owned(),
                reporter: match r.action {
                    Action::Reject(Reporter::Router(ip)) => Some(
                        self.rule_reporters
                            .get(&ip)
                            .map_or_else(|| ip.to_string(), |n| format!("{n} ({ip})")),
                    ),
                    Action::Reject(Reporter::Gateway) => {
                        Some("the client subnet's gateway (first address)".to_owned())
                    }
                    Action::Reject(Reporter::Server) => Some("the server".to_owned()),
                    _ => None,
                },
                note: r.note.clone(),
            })
            .collect()
    }

    fn admin_facts(&self) -> Option<AdminPath> {
        let first = *self.jump_hosts.first()?;
        let mut targets = BTreeSet::new();
        let mut operators = BTreeSet::new();
        for k in self.edges.keys().filter(|k| k.kind == EdgeKind::Admin) {
            if self.jump_hosts.contains(&k.client) {
                targets.insert(self.name(k.server));
            }
            if self.jump_hosts.contains(&k.server) {
                operators.insert(self.name(k.client));
            }
        }
        Some(AdminPath {
            jump_hosts: self.jump_hosts.iter().map(|&h| self.name(h)).collect(),
            zone: self.zone_name(self.zone_of(first)),
            services: self.admin_services.iter().map(|&s| svc_name(s)).collect(),
            targets: targets.into_iter().collect(),
            operators: operators.into_iter().collect(),
        })
    }

    fn lateral_facts(&self) -> Vec<LateralMovement> {
        self.edges
            .iter()
            .filter(|(k, _)| k.kind == EdgeKind::LateralMovement)
            .map(|(k, a)| {
                let technique = match k.port {
                    445 | 139 => "psexec_smb_admin_share",
                    3389 => "rdp",
                    5985 | 5986 => "winrm",
                    22 => "ssh",
                    _ => "other",
                };
                let role = |h| self.role(h).map_or("unknown", Role::as_str);
                LateralMovement {
                    source: self.name(k.client),
                    source_ip: self.addr(k.client, k.v6),
                    target: self.name(k.server),
                    target_ip: self.addr(k.server, k.v6),
                    transport: k.transport,
                    port: k.port,
                    app: a.app,
                    auth: a.auth,
                    technique: technique.to_owned(),
                    established: k.outcome == Outcome::Established,
                    pattern: format!("{}_to_{}", role(k.client), role(k.server)),
                }
            })
            .collect()
    }

    fn fan_out_facts(&self) -> Vec<FanOut> {
        let mut by: BTreeMap<(HostId, Svc), BTreeSet<HostId>> = BTreeMap::new();
        for k in self.edges.keys() {
            if k.kind == EdgeKind::LateralMovement && k.outcome == Outcome::Established {
                by.entry((k.client, (k.transport, k.port)))
                    .or_default()
                    .insert(k.server);
            }
        }
        by.into_iter()
            .filter(|(_, peers)| peers.len() >= 5)
            .map(|((src, s), peers)| FanOut {
                source: self.name(src),
                source_ip: self.addr(src, false),
                service: svc_name(s),
                peers: peers.into_iter().map(|p| self.addr(p, false)).collect(),
            })
            .collect()
    }

    fn scan_facts(&self) -> Vec<ScanFacts> {
        let mut by: BTreeMap<HostId, Vec<(&EdgeKey, &EdgeAcc)>> = BTreeMap::new();
        for (k, a) in &self.edges {
            if k.kind == EdgeKind::Scan {
                by.entry(k.client).or_default().push((k, a));
            }
        }
        by.into_iter()
            .map(|(src, edges)| {
                let targets: BTreeSet<IpAddr> = edges
                    .iter()
                    .map(|(k, _)| self.addr(k.server, k.v6))
                    .collect();
                let services: BTreeSet<Svc> =
                    edges.iter().map(|(k, _)| (k.transport, k.port)).collect();
                let mut per_target: BTreeMap<HostId, usize> = BTreeMap::new();
                let count = |o: Outcome| {
                    edges
                        .iter()
                        .filter(|(k, _)| k.outcome == o)
                        .map(|(_, a)| a.flows)
                        .sum::<usize>()
                };
                let established = count(Outcome::Established);
                let refused = count(Outcome::Refused);
                let no_reply = count(Outcome::NoReply);
                let admin_prohibited = count(Outcome::AdminProhibited);
                for (k, _) in &edges {
                    *per_target.entry(k.server).or_default() += 1;
                }
                ScanFacts {
                    source: self.name(src),
                    source_ip: self.addr(src, false),
                    planted: self.role(src) == Some(Role::Scanner),
                    targets: targets.into_iter().collect(),
                    services: services.into_iter().map(svc_name).collect(),
                    max_services_per_target: per_target.values().copied().max().unwrap_or(0),
                    attempts: edges.iter().map(|(_, a)| a.flows).sum(),
                    established,
                    refused,
                    no_reply,
                    admin_prohibited,
                }
            })
            .collect()
    }

    fn cleartext_facts(&self) -> Vec<ServiceFinding> {
        let mut by: BTreeMap<(HostId, Svc, AppProto, AuthClass), BTreeSet<String>> =
            BTreeMap::new();
        for (k, a) in &self.edges {
            if k.outcome == Outcome::Established && a.auth.is_cleartext() {
                by.entry((k.server, (k.transport, k.port), a.app, a.auth))
                    .or_default()
                    .insert(self.name(k.client));
            }
        }
        by.into_iter()
            .map(|((server, s, app, auth), clients)| ServiceFinding {
                server: self.name(server),
                server_ip: self.addr(server, false),
                zone: self.zone_name(self.zone_of(server)),
                transport: s.0,
                port: s.1,
                app,
                auth,
                clients: clients.into_iter().collect(),
                planted: self.planted_services.contains(&(server, s)),
            })
            .collect()
    }
}

/// Zone-level aggregation of the edges `keep` selects.
fn zone_edges(edges: &[EdgeFacts], keep: impl Fn(&EdgeFacts) -> bool) -> Vec<ZoneEdge> {
    let mut by: BTreeMap<(String, String, Transport, u16), BTreeSet<AppProto>> = BTreeMap::new();
    for e in edges.iter().filter(|e| keep(e)) {
        by.entry((
            e.client_zone.clone(),
            e.server_zone.clone(),
            e.transport,
            e.port,
        ))
        .or_default()
        .insert(e.app);
    }
    by.into_iter()
        .map(|((c, s, t, p), apps)| ZoneEdge {
            client_zone: c,
            server_zone: s,
            transport: t,
            port: p,
            apps: apps.into_iter().collect(),
        })
        .collect()
}
