//! Small captures whose ZTMM Networks stages are known by construction
//! (ztmm-networks-rubric.md §3.3–3.5):
//!
//! - `flat`: three VLANs of workstations all reaching each other, no failed attempt, and
//!   cleartext admin traffic between workstations (Telnet logins, SMB1 with NTLMv1, HTTP
//!   Basic, FTP): segmentation and encryption both Traditional.
//! - `zoned`: users, web, application and data zones (dual-stack) behind a firewall that
//!   allows one service per zone pair and drops or rejects everything else, with ICMP 3/13
//!   and ICMPv6 1/1 from the gateways, the same services answering their tier and denying
//!   others, and at least 20 denied attempts into and out of every zone: segmentation
//!   Advanced.
//! - `mesh`: a service mesh of pods in a VXLAN overlay, every call mutual TLS 1.2 with
//!   `spiffe://` client certificates: every flow encrypted and mutually authenticated.
//! - `tls13`: TLS 1.3 only: every flow encrypted, client authentication unknown (not a
//!   failure).
//!
//! The stage of each function is computed by [`crate::scenarios::rubric`] from what was
//! planted; [`intended`] says what each scenario was built to reach, and the tests hold the
//! two together.

use std::net::{Ipv4Addr, Ipv6Addr};

use segscope_core::{AppProto as A, AuthClass as C, Timestamp};

use crate::packet::VlanTags;
use crate::scenario::Reporter;
use crate::scenarios::build::{
    Action, Builder, Built, Criticality, HostId, Match, Role, Talk, ZoneId, tcp, udp,
};
use crate::scenarios::catalog::{Catalog, Want};
use crate::scenarios::rubric::Function;
use crate::scenarios::truth::EdgeKind;
use crate::topology::Attachment;

/// Start of the score captures: 2024-03-06T10:00:00Z.
pub const SCORE_START: Timestamp = Timestamp(1_709_719_200_000_000_000);
/// Planned length of each, in seconds.
pub const PERIOD_S: f64 = 600.0;

/// The functions each score scenario exercises and the stage it was built to reach. `mesh`
/// reaches Advanced encryption only when its certificates are short-lived (the rubric's
/// proxy for managed issuance); the replayed ones are checked, see the tests.
pub fn intended(name: &str) -> &'static [(Function, &'static str)] {
    match name {
        "flat" => &[
            (Function::Segmentation, "traditional"),
            (Function::Encryption, "traditional"),
        ],
        "zoned" => &[(Function::Segmentation, "advanced")],
        "mesh" | "tls13" => &[(Function::Encryption, "advanced")],
        _ => &[],
    }
}

/// The functions a scenario's truth evaluates.
pub fn functions(name: &str) -> Vec<Function> {
    intended(name).iter().map(|(f, _)| *f).collect()
}

fn builder(name: &str, description: &str, seed: u64, catalog: Catalog) -> Builder {
    Builder::new(
        name,
        description,
        "corp.example",
        SCORE_START,
        PERIOD_S,
        seed,
        catalog,
    )
}

fn lan(
    b: &mut Builder,
    name: &str,
    description: &str,
    third: u8,
    vlan: u16,
    v6: bool,
    policy: &str,
) -> ZoneId {
    b.zone(
        name,
        description,
        (Ipv4Addr::new(10, 40, third, 0), 24),
        v6.then(|| Ipv6Addr::new(0xfd00, 0x40, u16::from(third), 0, 0, 0, 0, 0)),
        VlanTags::Dot1q(vlan),
        Attachment::Local,
        false,
        policy,
    )
}

const TELNET: Want = Want::new("telnet-login", A::Telnet, C::CleartextCredentials);
const SMB1: Want = Want::new("smb1-ntlmv1", A::Smb, C::Ntlm);
const HTTP_BASIC: Want = Want::new("http-basic-auth", A::Http, C::CleartextCredentials);
const FTP: Want = Want::new("ftp-user-pass", A::Ftp, C::CleartextCredentials);

/// `flat`.
pub fn flat(seed: u64, catalog: Catalog) -> Built {
    let mut b = builder(
        "flat",
        "Three floors of workstations (VLANs 10, 20, 30) in one flat network: every floor \
         reaches every other, nothing is ever refused or dropped, and the workstations \
         administer each other in clear: Telnet logins, SMB1 with NTLMv1, HTTP Basic and FTP.",
        seed,
        catalog,
    );
    let floors: Vec<ZoneId> = (0..3u8)
        .map(|f| {
            lan(
                &mut b,
                &format!("floor-{}", f + 1),
                "workstations",
                10 * (f + 1),
                10 * u16::from(f + 1),
                false,
                "open: no filtering",
            )
        })
        .collect();
    let services = [tcp(21), tcp(23), tcp(445), tcp(8000), tcp(135)];
    let mut hosts: Vec<HostId> = Vec::new();
    for i in 0..15u32 {
        let zone = floors[(i % 3) as usize];
        hosts.push(b.host(
            &format!("pc{:02}", i + 1),
            zone,
            i / 3,
            Role::Workstation,
            Criticality::Low,
            &services,
            &[("os", "windows")],
        ));
    }
    let convs: Vec<_> = [(TELNET, 23), (SMB1, 445), (HTTP_BASIC, 8000), (FTP, 21)]
        .into_iter()
        .filter_map(|(w, port)| b.convo(w).map(|r| (r, port)))
        .collect();
    for (i, &c) in hosts.iter().enumerate() {
        for (k, (r, port)) in convs.iter().enumerate() {
            // Hosts alternate floors, so peers i+1 … i+4 sit on the next floor, the one
            // after, the client's own and the next again: every floor pair communicates.
            let peer = hosts[(i + 1 + k) % hosts.len()];
            for t in b.spread(2, 5.0 + 3.0 * i as f64, PERIOD_S) {
                b.session(t, c, peer, EdgeKind::Legitimate, Talk::replay(r, *port));
            }
        }
    }
    b.finish()
}

const TLS12: Want = Want::new("tls12-server-only", A::Tls, C::TlsServerOnly).family("tls12");
const MTLS12: Want = Want::new("tls12-mtls-spiffe", A::Tls, C::Mtls).family("tls12");
const POSTGRES_TLS: Want = Want::new(
    "postgresql-sslrequest",
    A::Postgresql,
    C::TlsClientAuthUnknown,
);

/// `zoned`.
pub fn zoned(seed: u64, catalog: Catalog) -> Built {
    let mut b = builder(
        "zoned",
        "Users, web, application and data zones (dual-stack VLANs 10–40) behind a firewall \
         that allows one service per zone pair (users to web on 443, web to application on \
         8443, application to data on 5432) and denies the rest: drops into the users, web \
         and application zones, ICMP administratively prohibited (3/13, and ICMPv6 1/1) from \
         the client's gateway into the data zone. The allowed services answer their own tier \
         and deny everyone else; misconfigured agents and curious users make at least 20 \
         denied attempts into every zone and out of the data zone.",
        seed,
        catalog,
    );
    let users = lan(
        &mut b,
        "users",
        "workstations",
        10,
        10,
        true,
        "default deny: drop",
    );
    let web = lan(
        &mut b,
        "web",
        "web servers",
        20,
        20,
        true,
        "default deny: tcp/443 from users; drop",
    );
    let app = lan(
        &mut b,
        "app",
        "application servers",
        30,
        30,
        true,
        "default deny: tcp/8443 from web; drop",
    );
    let data = lan(
        &mut b,
        "data",
        "databases",
        40,
        40,
        true,
        "default deny: tcp/5432 from app; ICMP administratively prohibited",
    );
    let ws: Vec<HostId> = (0..8u32)
        .map(|i| {
            b.host(
                &format!("pc{:02}", i + 1),
                users,
                i,
                Role::Workstation,
                Criticality::Low,
                &[tcp(135), tcp(445), tcp(5985)],
                &[("os", "windows")],
            )
        })
        .collect();
    let webs: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("web{:02}", i + 1),
                web,
                i,
                Role::WebServer,
                Criticality::Medium,
                &[tcp(443), tcp(22)],
                &[("os", "linux")],
            )
        })
        .collect();
    let apps: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("app{:02}", i + 1),
                app,
                i,
                Role::AppServer,
                Criticality::Medium,
                &[tcp(8443), tcp(22)],
                &[("os", "linux")],
            )
        })
        .collect();
    let dbs: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("db{:02}", i + 1),
                data,
                i,
                Role::Database,
                Criticality::High,
                &[tcp(5432), tcp(22)],
                &[("os", "linux")],
            )
        })
        .collect();
    let (z, any) = (Match::Zone, Match::Any);
    b.rule(
        z(users),
        z(web),
        &[tcp(443)],
        Action::Allow,
        "users browse the web tier",
    );
    b.rule(
        z(web),
        z(app),
        &[tcp(8443)],
        Action::Allow,
        "web tier calls the application tier",
    );
    b.rule(
        z(app),
        z(data),
        &[tcp(5432)],
        Action::Allow,
        "applications use the databases",
    );
    b.rule(
        any,
        z(data),
        &[],
        Action::Reject(Reporter::Gateway),
        "data: default deny, rejected with ICMP administratively prohibited",
    );
    b.rule(any, z(app), &[], Action::Drop, "app: default deny, dropped");
    b.rule(any, z(web), &[], Action::Drop, "web: default deny, dropped");
    b.rule(
        any,
        z(users),
        &[],
        Action::Drop,
        "users: default deny, dropped",
    );
    use EdgeKind::{Blocked, Legitimate as L};
    let (tls, mtls, pg) = (b.convo(TLS12), b.convo(MTLS12), b.convo(POSTGRES_TLS));
    for (i, &c) in ws.iter().enumerate() {
        if let Some(r) = &tls {
            for (k, t) in b
                .spread(3, 2.0 + i as f64, PERIOD_S)
                .into_iter()
                .enumerate()
            {
                let talk = Talk::replay(r, 443);
                let talk = if k == 1 { talk.v6() } else { talk };
                b.session(t, c, webs[(i + k) % 2], L, talk);
            }
        }
    }
    for (i, &w) in webs.iter().enumerate() {
        if let Some(r) = &mtls {
            for t in b.spread(5, 4.0 + i as f64, PERIOD_S) {
                b.session(t, w, apps[i], L, Talk::replay(r, 8443));
            }
        }
    }
    for (i, &a) in apps.iter().enumerate() {
        if let Some(r) = &pg {
            for (k, t) in b
                .spread(5, 6.0 + i as f64, PERIOD_S)
                .into_iter()
                .enumerate()
            {
                let talk = Talk::replay(r, 5432);
                let talk = if k % 2 == 0 { talk } else { talk.v6() };
                b.session(t, a, dbs[(i + k) % 2], L, talk);
            }
        }
    }
    // Denied attempts, every other one over IPv6.
    let mut at = 100.0;
    let mut attempt = |b: &mut Builder, c: HostId, s: HostId, port: u16, n: &mut usize| {
        let talk = Talk::probe(tcp(port)).retries(1);
        let talk = if *n % 2 == 1 { talk.v6() } else { talk };
        *n += 1;
        b.session(at, c, s, Blocked, talk);
        at += 1.3;
    };
    let mut n = 0usize;
    for &c in &ws {
        for &s in &apps {
            for port in [8443, 22, 3389] {
                attempt(&mut b, c, s, port, &mut n);
            }
        }
        for &s in &dbs {
            for port in [5432, 3306, 1433] {
                attempt(&mut b, c, s, port, &mut n);
            }
        }
        for &s in &webs {
            for port in [22, 3389] {
                attempt(&mut b, c, s, port, &mut n);
            }
        }
    }
    for &s in webs.iter().chain(&apps).chain(&dbs) {
        for &c in &ws {
            attempt(&mut b, s, c, 445, &mut n);
        }
    }
    for &d in &dbs {
        for &w in &webs {
            attempt(&mut b, d, w, 80, &mut n);
        }
    }
    // A UDP attempt rejected too (NTP straight to a database).
    for (k, &c) in ws.iter().take(4).enumerate() {
        let talk = Talk::ntp();
        let talk = if k % 2 == 1 { talk.v6() } else { talk };
        b.session(at + k as f64, c, dbs[k % 2], Blocked, talk);
    }
    b.finish()
}

const MESH: Want = Want::new("tls12-istio-mesh", A::Tls, C::Mtls).family("tls12");

/// `mesh`.
pub fn mesh(seed: u64, catalog: Catalog) -> Built {
    let mut b = builder(
        "mesh",
        "A service mesh on four Kubernetes nodes: frontend, backend and data pods in a VXLAN \
         overlay (VNI 4096), every call between them mutual TLS 1.2 whose client \
         certificates carry spiffe:// URI SANs; pods resolve names with kube-dns (not \
         applicable to the encryption metrics).",
        seed,
        catalog,
    );
    let border = Ipv4Addr::new(192, 168, 50, 1);
    let ns = |b: &mut Builder, name: &str, third: u8| {
        b.zone(
            name,
            "pods of one namespace, on one node",
            (Ipv4Addr::new(10, 244, third, 0), 24),
            None,
            VlanTags::None,
            Attachment::Vxlan { vni: 4096, border },
            false,
            "mesh: mutual TLS between sidecars",
        )
    };
    let zones = [
        ns(&mut b, "frontend", 1),
        ns(&mut b, "backend", 2),
        ns(&mut b, "data", 3),
        ns(&mut b, "kube-system", 4),
    ];
    let pods = |b: &mut Builder, zone: usize, name: &str, count: u32, role: Role| {
        (0..count)
            .map(|i| {
                let h = b.host(
                    &format!("{name}-{i}"),
                    zones[zone],
                    i,
                    role,
                    Criticality::Medium,
                    &[tcp(9080), tcp(15090)],
                    &[("os", "linux"), ("app", name)],
                );
                b.vtep(h, Ipv4Addr::new(192, 168, 50, 11 + zone as u8));
                h
            })
            .collect::<Vec<HostId>>()
    };
    let frontend = pods(&mut b, 0, "frontend", 3, Role::AppServer);
    let reviews = pods(&mut b, 1, "reviews", 3, Role::AppServer);
    let details = pods(&mut b, 1, "details", 2, Role::AppServer);
    let ratings = pods(&mut b, 2, "ratings", 2, Role::AppServer);
    let dns = b.host(
        "kube-dns-0",
        zones[3],
        0,
        Role::DnsServer,
        Criticality::Medium,
        &[udp(53), tcp(53)],
        &[("os", "linux"), ("app", "kube-dns")],
    );
    b.vtep(dns, Ipv4Addr::new(192, 168, 50, 14));
    use EdgeKind::Legitimate as L;
    let Some(r) = b.convo(MESH) else {
        return b.finish();
    };
    let calls: Vec<(&[HostId], &[HostId])> = vec![
        (&frontend, &reviews),
        (&frontend, &details),
        (&reviews, &ratings),
    ];
    for (ci, (clients, servers)) in calls.iter().enumerate() {
        for (i, &c) in clients.iter().enumerate() {
            let s = servers[(i + ci) % servers.len()];
            let talk = b.lookup(s, false);
            b.session(1.0 + i as f64 + 0.1 * ci as f64, c, dns, L, talk);
            for t in b.spread(4, 2.0 + i as f64, PERIOD_S) {
                b.session(t, c, s, L, Talk::replay(&r, 9080));
            }
        }
    }
    b.finish()
}

const TLS13_ONLY: Want =
    Want::new("tls13-server-only", A::Tls, C::TlsClientAuthUnknown).family("tls13");
const TLS13_MTLS: Want = Want::new("tls13-mtls", A::Tls, C::TlsClientAuthUnknown).family("tls13");
const TLS13_OPTIONAL: Want = Want::new(
    "tls13-cert-requested-empty",
    A::Tls,
    C::TlsClientAuthUnknown,
)
.family("tls13");

/// `tls13`.
pub fn tls13(seed: u64, catalog: Catalog) -> Built {
    let mut b = builder(
        "tls13",
        "Users reach web servers and web servers reach APIs over TLS 1.3 only: every flow \
         encrypted; whether clients sent certificates is hidden (some did, some were asked \
         and did not, some were not asked), so client authentication is unknown — not a \
         failure. DNS lookups are not applicable.",
        seed,
        catalog,
    );
    let users = lan(
        &mut b,
        "users",
        "workstations",
        10,
        10,
        false,
        "open: no filtering",
    );
    let servers = lan(
        &mut b,
        "servers",
        "web servers and resolver",
        20,
        20,
        false,
        "open: no filtering",
    );
    let api = lan(
        &mut b,
        "api",
        "internal APIs",
        30,
        30,
        false,
        "open: no filtering",
    );
    let ws: Vec<HostId> = (0..6u32)
        .map(|i| {
            b.host(
                &format!("pc{:02}", i + 1),
                users,
                i,
                Role::Workstation,
                Criticality::Low,
                &[],
                &[("os", "windows")],
            )
        })
        .collect();
    let webs: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("web{:02}", i + 1),
                servers,
                i,
                Role::WebServer,
                Criticality::Medium,
                &[tcp(443)],
                &[("os", "linux")],
            )
        })
        .collect();
    let resolver = b.host(
        "ns1",
        servers,
        5,
        Role::DnsServer,
        Criticality::Medium,
        &[udp(53)],
        &[("os", "linux")],
    );
    let apis: Vec<HostId> = (0..2u32)
        .map(|i| {
            b.host(
                &format!("api{:02}", i + 1),
                api,
                i,
                Role::AppServer,
                Criticality::Medium,
                &[tcp(8443)],
                &[("os", "linux")],
            )
        })
        .collect();
    use EdgeKind::Legitimate as L;
    let (only, mtls, optional) = (
        b.convo(TLS13_ONLY),
        b.convo(TLS13_MTLS),
        b.convo(TLS13_OPTIONAL),
    );
    for (i, &c) in ws.iter().enumerate() {
        let w = webs[i % 2];
        let talk = b.lookup(w, false);
        b.session(1.0 + i as f64, c, resolver, L, talk);
        if let Some(r) = &only {
            for t in b.spread(3, 2.0 + i as f64, PERIOD_S) {
                b.session(t, c, w, L, Talk::replay(r, 443));
            }
        }
    }
    for (i, &w) in webs.iter().enumerate() {
        let conv = if i == 0 { &mtls } else { &optional };
        if let Some(r) = conv {
            for t in b.spread(6, 3.0 + i as f64, PERIOD_S) {
                b.session(t, w, apis[i], L, Talk::replay(r, 8443));
            }
        }
    }
    b.finish()
}
