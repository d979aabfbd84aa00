//! `lab`: half an hour of an enterprise lab of 47 hosts in nine zones, with legitimate
//! traffic, a legitimate admin path, planted findings and a firewall whose rules decide
//! every outcome; and `lab-followup`: the same network a week later with new legitimate
//! traffic that a policy derived from `lab` would block.
//!
//! Zones (each one VLAN and one /24): `workstations` (VLAN 10), `workstations-eng` (VLAN 11),
//! `servers-web` (20), `servers-app` (30), `databases` (40), `infra` (50: two domain
//! controllers serving DNS, Kerberos, LDAP and NTP, a file server, a monitoring host),
//! `admin` (90: the jump host), `dmz` (100: a reverse proxy and a DNS forwarder) and
//! `internet` (untagged: home users, an update server, an upstream resolver, a probing host).
//!
//! Planted, by construction:
//! - lateral movement: `ws05` runs PsExec-style SMB sessions (NTLM, `ADMIN$`, `svcctl`) on six
//!   other workstations (a fan-out), RDP to `ws12`, WinRM to `ws13`, and tries SSH, SMB and
//!   RDP on the databases and the jump host, which the firewall stops; `ws25`, an engineering
//!   workstation, reaches `pg02` over SSH and `mysql01` over RDP through a legacy firewall
//!   hole, outside the admin path;
//! - a scan: `scan01` probes 23 hosts on 10 ports and the jump host on 40, mostly failing;
//!   an Internet host probes the DMZ;
//! - cleartext and unauthenticated services: MySQL with the native password (`mysql01`), an
//!   LDAP simple bind by the legacy application server (`app04` → `dc01`), SNMPv2c
//!   communities from `mon01`, Redis without authentication (`redis01`);
//! - default-deny evidence for `databases` (ICMP administratively prohibited from the core
//!   firewall), `servers-app`, `admin` and `dmz` (drops), and none for the user zones,
//!   `servers-web` and `infra`, which are open (their closed ports refuse).

use std::net::{IpAddr, Ipv4Addr};

use segscope_core::{AppProto as A, AuthClass as C, Timestamp};

use crate::packet::VlanTags;
use crate::scenario::Reporter;
use crate::scenarios::build::{
    Action, Builder, Built, Criticality, HostId, Match, Role, Talk, ZoneId, tcp, udp,
};
use crate::scenarios::catalog::{Catalog, Replay, Want};
use crate::scenarios::truth::EdgeKind;
use crate::topology::Attachment;

/// Start of the `lab` capture: 2024-03-05T08:30:00Z, a Tuesday morning.
pub const LAB_START: Timestamp = Timestamp(1_709_627_400_000_000_000);
/// `lab-followup` starts a week later.
pub const FOLLOWUP_START: Timestamp = Timestamp(LAB_START.0 + 7 * 86_400 * 1_000_000_000);
/// Planned working period, in seconds.
pub const PERIOD_S: f64 = 1800.0;
/// The core firewall, which rejects traffic into the databases zone.
pub const CORE_FIREWALL: Ipv4Addr = Ipv4Addr::new(10, 0, 255, 1);

/// The ten services of the sweep.
const SWEEP: [u16; 10] = [21, 22, 23, 80, 135, 443, 445, 3306, 3389, 5985];
/// Forty services probed on one host.
const DEEP: [u16; 40] = [
    1, 7, 9, 13, 21, 22, 23, 25, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113, 119, 135, 139, 143,
    179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515, 548, 554, 587, 631, 3389, 5985, 8080,
];

const KERBEROS: Want = Want::new("kerberos-as-aes-tcp", A::Kerberos, C::Kerberos);
const LDAP_KERBEROS: Want = Want::new("ldap-sasl-gss-spnego-kerberos", A::Ldap, C::Kerberos);
const LDAP_SIMPLE: Want = Want::new("ldap-simple-bind", A::Ldap, C::CleartextCredentials);
const SMB_KERBEROS: Want = Want::new("smb2-kerberos", A::Smb, C::Kerberos);
const SMB_NTLM: Want = Want::new("smb2-ntlmv2", A::Smb, C::Ntlm);
const TLS12: Want = Want::new("tls12-server-only", A::Tls, C::TlsServerOnly).family("tls12");
const TLS13: Want = Want::new("tls13-server-only", A::Tls, C::TlsClientAuthUnknown).family("tls13");
const MTLS12: Want = Want::new("tls12-mtls-spiffe", A::Tls, C::Mtls).family("tls12");
const MTLS13: Want = Want::new("tls13-mtls", A::Tls, C::TlsClientAuthUnknown).family("tls13");
const MTLS12_CACHE: Want = Want::new("tls12-mtls-port-4433", A::Tls, C::Mtls).family("tls12");
const POSTGRES_TLS: Want = Want::new(
    "postgresql-sslrequest",
    A::Postgresql,
    C::TlsClientAuthUnknown,
);
const MYSQL_NATIVE: Want = Want::new("mysql-native-password", A::Mysql, C::CleartextCredentials);
const REDIS_OPEN: Want = Want::new(
    "redis-unauthenticated",
    A::Redis,
    C::CleartextUnauthenticated,
);
const SNMP_V2C: Want = Want::new("snmpv2c-community", A::Snmp, C::CleartextCredentials);
const SSH: Want = Want::new("ssh-22", A::Ssh, C::Ssh);
const RDP: Want = Want::new("rdp-hybrid-credssp", A::Rdp, C::TlsServerOnly);
const WINRM: Want = Want::new("winrm-ntlm", A::Winrm, C::Ntlm);

/// The hosts of the lab, by role.
#[derive(Clone, Debug)]
struct Hosts {
    ws: Vec<HostId>,
    eng: Vec<HostId>,
    web: Vec<HostId>,
    app: Vec<HostId>,
    legacy_app: HostId,
    pg: Vec<HostId>,
    mysql: HostId,
    redis: HostId,
    dc: Vec<HostId>,
    fs: HostId,
    mon: HostId,
    jump: HostId,
    proxy: HostId,
    dns: HostId,
    home: Vec<HostId>,
    updates: HostId,
    resolver: HostId,
    probe: HostId,
    scanner: HostId,
    new_ws: Vec<HostId>,
    cache: Option<HostId>,
}

/// The `lab` scenario.
pub fn lab(seed: u64, catalog: Catalog) -> Built {
    build(seed, false, catalog)
}

/// The `lab-followup` scenario.
pub fn lab_followup(seed: u64, catalog: Catalog) -> Built {
    build(seed, true, catalog)
}

fn build(seed: u64, followup: bool, catalog: Catalog) -> Built {
    let (name, description, start) = if followup {
        (
            "lab-followup",
            "The lab network a week later: the same hosts and legitimate services (every \
             session on an edge of `lab`'s legitimate and admin traffic), no attacks, plus new \
             legitimate traffic a policy derived from `lab` would block: a new workstation \
             subnet (workstations-new, VLAN 12) using web, DNS, Kerberos, LDAP and NTP, and \
             the application servers using a new cache (cache01) on tcp/6380 over mutual TLS.",
            FOLLOWUP_START,
        )
    } else {
        (
            "lab",
            "Half an hour of an enterprise lab: workstations browsing web servers (TLS, some \
             HTTP), a web tier calling an application tier over mutual TLS, applications using \
             PostgreSQL over TLS, a legacy MySQL with cleartext native passwords and an \
             unauthenticated Redis, domain controllers serving DNS, Kerberos, LDAP (one legacy \
             simple bind) and NTP, SMB file access with Kerberos, SNMPv2c monitoring, a jump \
             host administering servers over SSH, RDP and WinRM, a DMZ; planted lateral \
             movement, a scan, and a firewall that rejects or drops traffic into some zones.",
            LAB_START,
        )
    };
    let salt = if followup { 0x0F01_10F0 } else { 0 };
    let mut b = Builder::new(
        name,
        description,
        "contoso.local",
        start,
        PERIOD_S,
        seed ^ salt,
        catalog,
    );
    let h = network(&mut b, followup);
    legitimate(&mut b, &h);
    if followup {
        b.mark_new(true);
        new_traffic(&mut b, &h);
        b.mark_new(false);
    } else {
        blocked(&mut b, &h);
        lateral_movement(&mut b, &h);
        scans(&mut b, &h);
    }
    b.finish()
}

fn zone(
    b: &mut Builder,
    name: &str,
    description: &str,
    net: [u8; 3],
    vlan: Option<u16>,
    external: bool,
    policy: &str,
) -> ZoneId {
    b.zone(
        name,
        description,
        (Ipv4Addr::new(net[0], net[1], net[2], 0), 24),
        None,
        vlan.map_or(VlanTags::None, VlanTags::Dot1q),
        Attachment::Local,
        external,
        policy,
    )
}

const WIN: &[(&str, &str)] = &[("os", "windows")];
const LINUX: &[(&str, &str)] = &[("os", "linux")];

fn network(b: &mut Builder, followup: bool) -> Hosts {
    use Criticality::*;
    use Role::*;
    let open = "open: no filtering";
    let z_ws = zone(
        b,
        "workstations",
        "office workstations",
        [10, 10, 10],
        Some(10),
        false,
        open,
    );
    let z_eng = zone(
        b,
        "workstations-eng",
        "engineering workstations",
        [10, 10, 11],
        Some(11),
        false,
        open,
    );
    let z_web = zone(
        b,
        "servers-web",
        "web servers",
        [10, 20, 20],
        Some(20),
        false,
        open,
    );
    let z_app = zone(
        b,
        "servers-app",
        "application servers",
        [10, 20, 30],
        Some(30),
        false,
        "default deny: tcp/8443 from servers-web, SNMP from infra, the admin zone; others dropped",
    );
    let z_db = zone(
        b,
        "databases",
        "databases and caches",
        [10, 20, 40],
        Some(40),
        false,
        "default deny: database ports from servers-app, the admin zone, two legacy holes from \
         workstations-eng; others rejected with ICMP administratively prohibited",
    );
    let z_infra = zone(
        b,
        "infra",
        "domain controllers, file server, monitoring",
        [10, 20, 50],
        Some(50),
        false,
        open,
    );
    let z_admin = zone(
        b,
        "admin",
        "jump host",
        [10, 20, 90],
        Some(90),
        false,
        "default deny: RDP from workstations, SNMP from infra; others dropped",
    );
    let z_dmz = zone(
        b,
        "dmz",
        "reverse proxy and DNS forwarder",
        [172, 16, 100],
        Some(100),
        false,
        "default deny: tcp/443 from the Internet, DNS from infra; others dropped",
    );
    let z_net = zone(
        b,
        "internet",
        "hosts on the Internet",
        [198, 51, 100],
        None,
        true,
        "not filtered by the organisation; reached only from the DMZ",
    );

    let win_ws = [tcp(135), tcp(445)];
    let mut ws = Vec::new();
    for i in 0..14u32 {
        let mut s = win_ws.to_vec();
        match i + 1 {
            12 => s.push(tcp(3389)),
            13 => s.push(tcp(5985)),
            _ => {}
        }
        let labels: &[(&str, &str)] = match i + 1 {
            1 | 2 => &[("os", "windows"), ("owner", "it-admins")],
            _ => &[("os", "windows"), ("owner", "office")],
        };
        ws.push(b.host(
            &format!("ws{:02}", i + 1),
            z_ws,
            i,
            Workstation,
            Low,
            &s,
            labels,
        ));
    }
    let eng: Vec<HostId> = (0..8u32)
        .map(|i| {
            b.host(
                &format!("ws{}", 21 + i),
                z_eng,
                i,
                Workstation,
                Low,
                &win_ws,
                &[("os", "windows"), ("owner", "engineering")],
            )
        })
        .collect();
    let scanner = b.host(
        "scan01",
        z_eng,
        20,
        Scanner,
        Low,
        &[],
        &[("os", "linux"), ("owner", "unknown")],
    );
    let web_svc = [tcp(80), tcp(443), tcp(22), udp(161)];
    let web: Vec<HostId> = (0..3u32)
        .map(|i| {
            b.host(
                &format!("web{:02}", i + 1),
                z_web,
                i,
                WebServer,
                Medium,
                &web_svc,
                &[("os", "linux"), ("app", "shop"), ("tier", "web")],
            )
        })
        .collect();
    let app_svc = [tcp(8443), tcp(22), udp(161)];
    let mut app: Vec<HostId> = (0..3u32)
        .map(|i| {
            b.host(
                &format!("app{:02}", i + 1),
                z_app,
                i,
                AppServer,
                Medium,
                &app_svc,
                &[("os", "linux"), ("app", "shop"), ("tier", "app")],
            )
        })
        .collect();
    let legacy_app = b.host(
        "app04",
        z_app,
        3,
        AppServer,
        Medium,
        &[tcp(3389), tcp(5985), tcp(135), tcp(445), udp(161)],
        &[
            ("os", "windows"),
            ("app", "crm"),
            ("tier", "app"),
            ("legacy", "yes"),
        ],
    );
    app.push(legacy_app);
    let pg: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("pg{:02}", i + 1),
                z_db,
                i,
                Database,
                High,
                &[tcp(5432), tcp(22)],
                &[("os", "linux"), ("app", "shop"), ("tier", "data")],
            )
        })
        .collect();
    let mysql = b.host(
        "mysql01",
        z_db,
        2,
        Database,
        High,
        &[tcp(3306), tcp(3389), tcp(135), tcp(445)],
        &[
            ("os", "windows"),
            ("app", "crm"),
            ("tier", "data"),
            ("legacy", "yes"),
        ],
    );
    let redis = b.host(
        "redis01",
        z_db,
        3,
        Database,
        High,
        &[tcp(6379), tcp(22)],
        &[("os", "linux"), ("app", "shop"), ("tier", "cache")],
    );
    let dc_svc = [
        tcp(53),
        udp(53),
        tcp(88),
        udp(88),
        tcp(389),
        udp(123),
        tcp(135),
        tcp(445),
        tcp(3389),
        tcp(5985),
        udp(161),
    ];
    let dc: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("dc{:02}", i + 1),
                z_infra,
                i,
                DomainController,
                Critical,
                &dc_svc,
                WIN,
            )
        })
        .collect();
    let fs = b.host(
        "fs01",
        z_infra,
        2,
        FileServer,
        High,
        &[tcp(445), tcp(135), tcp(5985), udp(161)],
        WIN,
    );
    let mon = b.host(
        "mon01",
        z_infra,
        3,
        Monitoring,
        Medium,
        &[udp(514), tcp(22), tcp(443)],
        LINUX,
    );
    let jump = b.host(
        "jump01",
        z_admin,
        0,
        JumpHost,
        High,
        &[tcp(3389), tcp(22), udp(161)],
        WIN,
    );
    let proxy = b.host(
        "proxy01",
        z_dmz,
        0,
        WebServer,
        Medium,
        &[tcp(443), tcp(80), tcp(22)],
        LINUX,
    );
    let dns = b.host(
        "dns01",
        z_dmz,
        1,
        DnsServer,
        Medium,
        &[udp(53), tcp(53), tcp(22)],
        LINUX,
    );
    let home: Vec<HostId> = (0..3u32)
        .map(|i| {
            b.host(
                &format!("home-pc{}.isp.example", i + 1),
                z_net,
                i,
                External,
                Low,
                &[],
                &[],
            )
        })
        .collect();
    let updates = b.host(
        "updates.vendor.example",
        z_net,
        10,
        External,
        Low,
        &[tcp(443)],
        &[],
    );
    let resolver = b.host(
        "resolver.isp.example",
        z_net,
        11,
        External,
        Low,
        &[udp(53)],
        &[],
    );
    let probe = b.host("probe.scanner.example", z_net, 56, External, Low, &[], &[]);

    let (mut new_ws, mut cache) = (Vec::new(), None);
    if followup {
        let z_new = zone(
            b,
            "workstations-new",
            "a workstation subnet opened after the first capture",
            [10, 10, 12],
            Some(12),
            false,
            open,
        );
        new_ws = (0..6u32)
            .map(|i| {
                b.host(
                    &format!("ws{}", 41 + i),
                    z_new,
                    i,
                    Workstation,
                    Low,
                    &win_ws,
                    &[("os", "windows"), ("owner", "office")],
                )
            })
            .collect();
        cache = Some(b.host(
            "cache01",
            z_db,
            4,
            Database,
            High,
            &[tcp(6380), tcp(22)],
            &[("os", "linux"), ("app", "shop"), ("tier", "cache")],
        ));
    }

    // The firewall, first match wins; traffic inside a zone is not filtered.
    let fw = Reporter::Router(IpAddr::V4(CORE_FIREWALL));
    b.reporter_name(IpAddr::V4(CORE_FIREWALL), "fw-core");
    let (any, zone_m, host_m) = (Match::Any, Match::Zone, Match::Host);
    b.rule(
        zone_m(z_admin),
        any,
        &[],
        Action::Allow,
        "administrators reach everything from the jump host",
    );
    b.rule(
        zone_m(z_app),
        zone_m(z_db),
        &[tcp(5432), tcp(3306), tcp(6379)],
        Action::Allow,
        "applications use their databases",
    );
    if followup {
        b.rule(
            zone_m(z_app),
            zone_m(z_db),
            &[tcp(6380)],
            Action::Allow,
            "the new cache (added after the first capture)",
        );
    }
    b.rule(
        zone_m(z_eng),
        host_m(pg[1]),
        &[tcp(22)],
        Action::Allow,
        "legacy hole: developers' SSH to pg02",
    );
    b.rule(
        zone_m(z_eng),
        host_m(mysql),
        &[tcp(3389)],
        Action::Allow,
        "legacy hole: developers' RDP to mysql01",
    );
    b.rule(
        any,
        zone_m(z_db),
        &[],
        Action::Reject(fw),
        "databases: default deny, rejected with ICMP administratively prohibited",
    );
    b.rule(
        zone_m(z_web),
        zone_m(z_app),
        &[tcp(8443)],
        Action::Allow,
        "web tier calls the application tier",
    );
    b.rule(
        zone_m(z_infra),
        zone_m(z_app),
        &[udp(161)],
        Action::Allow,
        "monitoring polls application servers",
    );
    b.rule(
        any,
        zone_m(z_app),
        &[],
        Action::Drop,
        "application servers: default deny, dropped",
    );
    b.rule(
        zone_m(z_ws),
        zone_m(z_admin),
        &[tcp(3389)],
        Action::Allow,
        "administrators' workstations open RDP sessions on the jump host",
    );
    b.rule(
        zone_m(z_infra),
        zone_m(z_admin),
        &[udp(161)],
        Action::Allow,
        "monitoring polls the jump host",
    );
    b.rule(
        any,
        zone_m(z_admin),
        &[],
        Action::Drop,
        "admin zone: default deny, dropped",
    );
    b.rule(
        zone_m(z_net),
        zone_m(z_dmz),
        &[tcp(443)],
        Action::Allow,
        "the public web site",
    );
    b.rule(
        zone_m(z_infra),
        zone_m(z_dmz),
        &[udp(53), tcp(53)],
        Action::Allow,
        "domain controllers forward DNS",
    );
    b.rule(
        any,
        zone_m(z_dmz),
        &[],
        Action::Drop,
        "DMZ: default deny, dropped",
    );
    b.rule(
        zone_m(z_dmz),
        zone_m(z_net),
        &[],
        Action::Allow,
        "the DMZ reaches the Internet",
    );
    b.rule(
        any,
        zone_m(z_net),
        &[],
        Action::Drop,
        "only the DMZ reaches the Internet",
    );
    b.admin_path(&[jump], &[tcp(22), tcp(3389), tcp(5985)]);
    b.plant(mysql, tcp(3306));
    b.plant(dc[0], tcp(389));
    b.plant(redis, tcp(6379));
    for &h in web.iter().chain(&app).chain(&dc).chain([&fs, &jump]) {
        b.plant(h, udp(161));
    }
    Hosts {
        ws,
        eng,
        web,
        app,
        legacy_app,
        pg,
        mysql,
        redis,
        dc,
        fs,
        mon,
        jump,
        proxy,
        dns,
        home,
        updates,
        resolver,
        probe,
        scanner,
        new_ws,
        cache,
    }
}

/// `ws07` → `WS07`.
fn upper(b: &Builder, h: HostId) -> String {
    b.short(h).to_ascii_uppercase()
}

/// One workstation's morning: logon (DNS, Kerberos, LDAP, NTP), browsing, file access.
fn workstation_day(b: &mut Builder, h: &Hosts, ws: HostId, i: usize, t0: f64) {
    use EdgeKind::Legitimate as L;
    let dc = h.dc[i % 2];
    let kerberos = b.convo(KERBEROS);
    let ldap = b.convo(LDAP_KERBEROS);
    let tls12 = b.convo(TLS12);
    let tls13 = b.convo(TLS13);
    let smb = b.convo(SMB_KERBEROS);
    let me = upper(b, ws);
    let dc_short = b.short(dc);
    let talk = b.lookup(dc, false);
    b.session(t0, ws, dc, L, talk);
    if let Some(k) = &kerberos {
        b.session(
            t0 + 0.05,
            ws,
            dc,
            L,
            Talk::replay(&k.renamed(&[("WS01", &me)]), 88),
        );
    }
    if let Some(l) = &ldap {
        let l = l.renamed(&[("dc01", &dc_short)]);
        b.session(t0 + 0.4, ws, dc, L, Talk::replay(&l, 389));
    }
    b.session(t0 + 1.0, ws, h.dc[0], L, Talk::ntp());
    for k in 0..2usize {
        let t = t0 + 240.0 + 600.0 * k as f64 + 60.0 * b.rng.unit();
        let web = h.web[(i + k) % h.web.len()];
        let talk = b.lookup(web, false);
        b.session(t, ws, dc, L, talk);
        let tls = if (i + k).is_multiple_of(2) {
            &tls12
        } else {
            &tls13
        };
        if let Some(r) = tls {
            b.session(t + 0.03, ws, web, L, Talk::replay(r, 443));
        }
    }
    if i.is_multiple_of(3) {
        let web = h.web[i % h.web.len()];
        let host = b.name(web);
        let t = t0 + 700.0 + 120.0 * b.rng.unit();
        b.session(
            t,
            ws,
            web,
            L,
            Talk::http(&host, 80, &[("/", 1_400), ("/static/site.css", 900)]),
        );
    }
    if i % 2 == 1
        && let Some(s) = &smb
    {
        // Authentication only: the one Kerberos SMB conversation continues with the PsExec
        // pattern (ADMIN$, svcctl), which is not file access.
        let s = s.prefix(4, "-session-setup");
        let t = t0 + 150.0 + 200.0 * b.rng.unit();
        b.session(t, ws, h.fs, L, Talk::replay(&s, 445));
    }
}

fn replay_n(
    b: &mut Builder,
    times: &[f64],
    c: HostId,
    s: HostId,
    kind: EdgeKind,
    r: &Replay,
    port: u16,
) {
    for &t in times {
        b.session(t, c, s, kind, Talk::replay(r, port));
    }
}

fn legitimate(b: &mut Builder, h: &Hosts) {
    use EdgeKind::{Admin, Legitimate as L};
    let users: Vec<HostId> = h.ws.iter().chain(&h.eng).copied().collect();
    for (i, &ws) in users.iter().enumerate() {
        let t0 = 2.0 + 13.0 * i as f64 + 5.0 * b.rng.unit();
        workstation_day(b, h, ws, i, t0);
    }
    // Servers resolve names, keep time, log to the collector.
    let servers: Vec<HostId> = h
        .web
        .iter()
        .chain(&h.app)
        .chain(&h.pg)
        .chain([&h.mysql, &h.redis, &h.fs, &h.mon, &h.jump, &h.proxy, &h.dns])
        .copied()
        .collect();
    for (i, &s) in servers.iter().enumerate() {
        let dc = h.dc[i % 2];
        for t in b.spread(2, 30.0, PERIOD_S) {
            let target = h.dc[(i + 1) % 2];
            let talk = b.lookup(target, false);
            b.session(t, s, dc, L, talk);
        }
        let t = 60.0 + 20.0 * i as f64;
        b.session(t, s, h.dc[0], L, Talk::ntp());
    }
    for &s in h.web.iter().chain(&h.app) {
        let name = b.name(s);
        for t in b.spread(2, 100.0, PERIOD_S) {
            b.session(t, s, h.mon, L, Talk::syslog(&name, 2));
        }
    }
    // Web tier to application tier, mutual TLS (TLS 1.2 visible, one TLS 1.3 pair).
    let (mtls12, mtls13) = (b.convo(MTLS12), b.convo(MTLS13));
    for (i, &w) in h.web.iter().enumerate() {
        let a = h.app[i];
        let conv = if i == 2 { &mtls13 } else { &mtls12 };
        if let Some(r) = conv {
            let times = b.spread(8, 20.0, PERIOD_S);
            replay_n(b, &times, w, a, L, r, 8443);
        }
    }
    // Applications to their data.
    let (pg, redis) = (b.convo(POSTGRES_TLS), b.convo(REDIS_OPEN));
    for (i, &a) in h.app.iter().take(3).enumerate() {
        if let Some(r) = &pg {
            let times = b.spread(4, 40.0, PERIOD_S);
            replay_n(b, &times, a, h.pg[i / 2], L, r, 5432);
        }
        if let Some(r) = &redis {
            let times = b.spread(5, 25.0, PERIOD_S);
            replay_n(b, &times, a, h.redis, L, r, 6379);
        }
    }
    if let Some(r) = b.convo(MYSQL_NATIVE) {
        let times = b.spread(6, 50.0, PERIOD_S);
        replay_n(b, &times, h.legacy_app, h.mysql, L, &r, 3306);
    }
    if let Some(r) = b.convo(LDAP_SIMPLE) {
        let times = b.spread(3, 70.0, PERIOD_S);
        replay_n(b, &times, h.legacy_app, h.dc[0], L, &r, 389);
    }
    // Monitoring polls with SNMPv2c.
    if let Some(r) = b.convo(SNMP_V2C) {
        let targets: Vec<HostId> = h
            .web
            .iter()
            .chain(&h.app)
            .chain(&h.dc)
            .chain([&h.fs, &h.jump])
            .copied()
            .collect();
        for round in 0..4 {
            for (k, &t) in targets.iter().enumerate() {
                let at = 45.0 + 450.0 * f64::from(round) + 0.4 * k as f64;
                b.session(at, h.mon, t, L, Talk::replay(&r, 161));
            }
        }
    }
    // The DMZ: the public site, DNS forwarding, updates.
    if let Some(r) = b.convo(TLS13) {
        for (i, &c) in h.home.iter().enumerate() {
            let times = b.spread(2, 30.0 + 10.0 * i as f64, PERIOD_S);
            replay_n(b, &times, c, h.proxy, L, &r, 443);
        }
        let times = b.spread(2, 300.0, PERIOD_S);
        replay_n(b, &times, h.proxy, h.updates, L, &r, 443);
    }
    if let Some(r) = b.convo(TLS12) {
        for &w in &h.web {
            let times = b.spread(2, 35.0, PERIOD_S);
            replay_n(b, &times, h.proxy, w, L, &r, 443);
        }
    }
    for (i, &dc) in h.dc.iter().enumerate() {
        for t in b.spread(3, 15.0 + 5.0 * i as f64, PERIOD_S) {
            let talk = Talk::dns(
                "www.vendor.example",
                vec![IpAddr::V4(Ipv4Addr::new(203, 0, 113, 80))],
                false,
            );
            b.session(t, dc, h.dns, L, talk);
            let talk = Talk::dns(
                "www.vendor.example",
                vec![IpAddr::V4(Ipv4Addr::new(203, 0, 113, 80))],
                false,
            );
            b.session(t + 0.002, h.dns, h.resolver, L, talk);
        }
    }
    // The admin path: operators reach the jump host, the jump host administers servers.
    let (ssh, rdp, winrm) = (b.convo(SSH), b.convo(RDP), b.convo(WINRM));
    if let Some(r) = &rdp {
        for (k, &op) in h.ws.iter().take(2).enumerate() {
            let times = [400.0 + 20.0 * k as f64, 1_100.0 + 20.0 * k as f64];
            replay_n(b, &times, op, h.jump, Admin, r, 3389);
        }
    }
    let mut targets: Vec<(HostId, u16)> = Vec::new();
    for &s in h
        .web
        .iter()
        .chain(&h.app[..3])
        .chain(&h.pg)
        .chain([&h.redis, &h.mon])
    {
        targets.push((s, 22));
    }
    targets.push((h.legacy_app, 5985));
    targets.push((h.fs, 5985));
    targets.push((h.mysql, 3389));
    targets.push((h.dc[0], 3389));
    for (k, &(t, port)) in targets.iter().enumerate() {
        let conv = match port {
            22 => &ssh,
            3389 => &rdp,
            _ => &winrm,
        };
        if let Some(r) = conv {
            let at = 430.0 + 25.0 * k as f64 + 5.0 * b.rng.unit();
            b.session(at, h.jump, t, Admin, Talk::replay(r, port));
        }
    }
}

/// Attempts the firewall stops: API clients and database tools run from workstations.
fn blocked(b: &mut Builder, h: &Hosts) {
    use EdgeKind::Blocked;
    for (k, &ws) in [h.ws[2], h.ws[7], h.ws[11]].iter().enumerate() {
        for (j, &a) in h.app[..3].iter().enumerate() {
            let at = 500.0 + 90.0 * k as f64 + 7.0 * j as f64;
            b.session(at, ws, a, Blocked, Talk::probe(tcp(8443)).retries(2));
        }
    }
    b.session(820.0, h.ws[3], h.pg[0], Blocked, Talk::probe(tcp(5432)));
    b.session(860.0, h.ws[8], h.mysql, Blocked, Talk::probe(tcp(3306)));
    b.session(
        880.0,
        h.ws[5],
        h.jump,
        Blocked,
        Talk::probe(tcp(22)).retries(2),
    );
}

fn lateral_movement(b: &mut Builder, h: &Hosts) {
    use EdgeKind::LateralMovement as Lm;
    let src = h.ws[4];
    let me = upper(b, src);
    if let Some(r) = b.convo(SMB_NTLM) {
        for (k, &peer) in h.ws[5..11].iter().enumerate() {
            let (lo, up) = (b.short(peer), upper(b, peer));
            let r = r.renamed(&[("WS01", &me), ("fs01", &lo), ("FS01", &up)]);
            b.session(
                1_300.0 + 3.0 * k as f64,
                src,
                peer,
                Lm,
                Talk::replay(&r, 445),
            );
        }
    }
    if let Some(r) = b.convo(RDP) {
        b.session(1_330.0, src, h.ws[11], Lm, Talk::replay(&r, 3389));
        b.session(1_500.0, h.eng[4], h.mysql, Lm, Talk::replay(&r, 3389));
    }
    if let Some(r) = b.convo(WINRM) {
        b.session(1_340.0, src, h.ws[12], Lm, Talk::replay(&r, 5985));
    }
    if let Some(r) = b.convo(SSH) {
        b.session(1_480.0, h.eng[4], h.pg[1], Lm, Talk::replay(&r, 22));
    }
    // Tries beyond the workstations: the firewall rejects or drops them.
    let mut at = 1_360.0;
    for &db in h.pg.iter().chain([&h.mysql, &h.redis]) {
        for port in [22, 445, 3389] {
            b.session(at, src, db, Lm, Talk::probe(tcp(port)));
            at += 0.7;
        }
    }
    for port in [22, 445, 5985] {
        b.session(at, src, h.jump, Lm, Talk::probe(tcp(port)));
        at += 0.7;
    }
}

fn scans(b: &mut Builder, h: &Hosts) {
    use EdgeKind::Scan;
    let mut targets: Vec<HostId> = h.ws[..4].to_vec();
    targets.extend(&h.eng[..2]);
    targets.extend(&h.web);
    targets.extend(&h.app);
    targets.extend(&h.pg);
    targets.extend([h.mysql, h.redis]);
    targets.extend(&h.dc);
    targets.extend([h.fs, h.mon, h.proxy, h.dns]);
    let mut at = 1_000.0;
    for &t in &targets {
        for port in SWEEP {
            b.session(at, h.scanner, t, Scan, Talk::probe(tcp(port)));
            at += 0.015;
        }
    }
    for port in DEEP {
        b.session(at, h.scanner, h.jump, Scan, Talk::probe(tcp(port)));
        at += 0.015;
    }
    // Background probing of the DMZ from the Internet.
    let mut at = 600.0;
    for &t in &[h.proxy, h.dns] {
        for port in [21, 22, 23, 25, 80, 443, 445, 1433, 3306, 3389, 5900, 8080] {
            b.session(at, h.probe, t, Scan, Talk::probe(tcp(port)));
            at += 0.25;
        }
    }
}

fn new_traffic(b: &mut Builder, h: &Hosts) {
    use EdgeKind::Legitimate as L;
    let offset = h.ws.len() + h.eng.len();
    for (i, &ws) in h.new_ws.iter().enumerate() {
        let t0 = 20.0 + 31.0 * i as f64 + 5.0 * b.rng.unit();
        workstation_day(b, h, ws, offset + i, t0);
    }
    if let (Some(cache), Some(r)) = (h.cache, b.convo(MTLS12_CACHE)) {
        for &a in &h.app[..3] {
            let times = b.spread(4, 60.0, PERIOD_S);
            replay_n(b, &times, a, cache, L, &r, 6380);
        }
    }
}
