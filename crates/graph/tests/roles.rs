//! Role inference on a synthetic enterprise with known roles: at least 90% recovered.

mod common;

use std::collections::BTreeMap;

use common::{key, run};
use segscope_graph::Role;

/// A small deterministic generator (64-bit LCG), so the network is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn roles_are_recovered_on_a_synthetic_enterprise() {
    let mut truth: BTreeMap<String, Role> = BTreeMap::new();
    let mut lines: Vec<String> = Vec::new();
    let dcs = ["10.100.0.1", "10.100.0.2"];
    let dns = ["10.100.0.53", "10.100.0.54"];
    let ntp = "10.100.0.123";
    let syslog = "10.100.0.14";
    let dbs: Vec<String> = (10..14).map(|i| format!("10.100.3.{i}")).collect();
    let files: Vec<String> = (20..23).map(|i| format!("10.100.3.{i}")).collect();
    let webs: Vec<String> = (10..16).map(|i| format!("10.100.1.{i}")).collect();
    let jump = "10.100.9.5";
    let scanner = "10.20.0.66";
    let externals = ["93.184.216.34", "151.101.1.69", "140.82.112.3"];
    for ip in dcs {
        truth.insert(ip.into(), Role::DomainController);
    }
    for ip in dns {
        truth.insert(ip.into(), Role::DnsServer);
    }
    truth.insert(ntp.into(), Role::Infrastructure);
    truth.insert(syslog.into(), Role::Infrastructure);
    for ip in &dbs {
        truth.insert(ip.clone(), Role::Database);
    }
    for ip in &files {
        truth.insert(ip.clone(), Role::FileServer);
    }
    for ip in &webs {
        truth.insert(ip.clone(), Role::WebApp);
    }
    truth.insert(jump.into(), Role::Management);
    truth.insert(scanner.into(), Role::Scanner);
    for ip in externals {
        truth.insert(ip.into(), Role::External);
    }
    let mut rng = Lcg(7);
    let workstations: Vec<String> = (0..80)
        .map(|i| format!("10.{}.{}.{}", 10 + i % 3, i / 40, 10 + i % 200))
        .collect();
    for ws in &workstations {
        truth.insert(ws.clone(), Role::Workstation);
        let dc = dcs[rng.below(2)];
        lines.push(format!("{ws} -> {dc} udp/88 app=kerberos auth=kerberos"));
        lines.push(format!("{ws} -> {dc} tcp/389 app=ldap auth=kerberos"));
        lines.push(format!(
            "{ws} -> {} udp/53 app=dns auth=not_applicable",
            dns[rng.below(2)]
        ));
        lines.push(format!("{ws} -> {ntp} udp/123 app=ntp auth=not_applicable"));
        for _ in 0..3 {
            let web = &webs[rng.below(webs.len())];
            lines.push(format!(
                "{ws} -> {web} tcp/443 app=tls auth=tls_client_auth_unknown"
            ));
        }
        let file = &files[rng.below(files.len())];
        lines.push(format!("{ws} -> {file} tcp/445 app=smb auth=kerberos"));
        let ext = externals[rng.below(externals.len())];
        lines.push(format!(
            "{ws} -> {ext} tcp/443 app=tls auth=tls_client_auth_unknown"
        ));
    }
    for (i, web) in webs.iter().enumerate() {
        let db = &dbs[i % dbs.len()];
        lines.push(format!(
            "{web} -> {db} tcp/5432 app=postgresql auth=tls_server_only"
        ));
        lines.push(format!(
            "{web} -> {syslog} udp/514 app=syslog auth=not_applicable"
        ));
        lines.push(format!(
            "{web} -> {} udp/53 app=dns auth=not_applicable",
            dns[i % 2]
        ));
    }
    for db in &dbs {
        lines.push(format!(
            "{db} -> {syslog} udp/514 app=syslog auth=not_applicable"
        ));
    }
    for dc in dcs {
        lines.push(format!("{dc} -> {ntp} udp/123 app=ntp auth=not_applicable"));
    }
    for target in webs.iter().chain(&dbs) {
        lines.push(format!("{jump} -> {target} tcp/22 app=ssh auth=ssh"));
    }
    lines.push(format!(
        "{jump} -> {} udp/53 app=dns auth=not_applicable",
        dns[0]
    ));
    lines.push(format!(
        "{scanner} -> 10.100.1.1..60 tcp/3389 outcome=no_reply"
    ));
    lines.push(format!(
        "{scanner} -> 10.100.1.10 tcp/443 app=tls auth=tls_server_only"
    ));

    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let a = run(&refs, None, None);
    let mut right = 0;
    let mut wrong = Vec::new();
    for (ip, want) in &truth {
        let w = a
            .workload(&key(ip))
            .unwrap_or_else(|| panic!("{ip} in the graph"));
        if w.role == *want {
            right += 1;
        } else {
            wrong.push(format!(
                "{ip}: want {want}, got {} ({})",
                w.role, w.role_reason
            ));
        }
    }
    let accuracy = f64::from(right) / truth.len() as f64;
    println!(
        "roles recovered: {right}/{} = {:.1}%; misses: {wrong:#?}",
        truth.len(),
        accuracy * 100.0
    );
    assert!(accuracy >= 0.9, "{accuracy}: {wrong:#?}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
