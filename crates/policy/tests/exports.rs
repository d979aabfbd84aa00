//! Exports checked by their consumers: nftables loads the ruleset in a network namespace of
//! its own (and, where permitted, passes and drops real traffic through veth pairs as the
//! policy says); the Kubernetes objects deserialize into k8s-openapi's types.

use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Output};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use segscope_policy::Policy;
use segscope_policy::export::{aws, cilium, k8s, nftables};

const HAND_WRITTEN: &str = r#"
schema: segscope.policy/1
name: two-tier
default_action: deny
zones:
  - name: clients
    members:
      - cidr: 10.66.1.0/24
      - ip: 2001:db8:1::10
  - name: servers
    members:
      - cidr: 10.66.2.0/24
  - name: quarantine
    members:
      - ip: 10.66.1.66
rules:
  - id: web
    from: clients
    to: servers
    service: tcp/8080
  - id: ranges
    from: clients
    to: servers
    service: tcp/9000-9002
  - id: ping
    from: clients
    to: servers
    service: icmp/8
  - id: dns-everywhere
    from: "*"
    to: servers
    service: udp/53
    kind: infrastructure
    infrastructure: dns
"#;

fn policy() -> Policy {
    segscope_policy::parse("two-tier.yaml", HAND_WRITTEN).unwrap_or_else(|e| panic!("{e}"))
}

fn run(cmd: &str, args: &[&str]) -> Option<Output> {
    Command::new(cmd).args(args).output().ok()
}

/// A network namespace removed on drop.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Option<Netns> {
        let name = format!("segscope-{tag}-{}", std::process::id());
        match run("ip", &["netns", "add", &name]) {
            Some(o) if o.status.success() => Some(Netns(name)),
            Some(o) => {
                println!(
                    "SKIP: cannot create a network namespace ({}): nftables export not loaded",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            None => {
                println!("SKIP: `ip` is not installed: nftables export not loaded");
                None
            }
        }
    }

    fn exec(&self, args: &[&str]) -> Option<Output> {
        let mut all = vec!["netns", "exec", &self.0];
        all.extend_from_slice(args);
        run("ip", &all)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.0]);
    }
}

fn ok(o: Option<Output>, what: &str) -> bool {
    match o {
        Some(o) if o.status.success() => true,
        Some(o) => {
            println!(
                "{what} failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            false
        }
        None => false,
    }
}

#[test]
fn nftables_ruleset_loads_in_a_network_namespace() {
    let text = nftables::to_nftables(&policy());
    println!("{text}");
    // The scanner host is cut out of the clients' set.
    assert!(
        text.contains("10.66.1.0/26")
            && text.contains("10.66.1.67/32")
            && !text.contains("10.66.1.0/24")
    );
    assert!(text.contains("policy drop;") && text.contains("ct state established,related accept"));
    let Some(ns) = Netns::new("nft") else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("rules.nft");
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let p = path.to_string_lossy().to_string();
    let check = ns
        .exec(&["nft", "-c", "-f", &p])
        .unwrap_or_else(|| panic!("nft missing"));
    assert!(
        check.status.success(),
        "nft -c: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let load = ns
        .exec(&["nft", "-f", &p])
        .unwrap_or_else(|| panic!("nft missing"));
    assert!(
        load.status.success(),
        "nft -f: {}",
        String::from_utf8_lossy(&load.stderr)
    );
    let listed = ns
        .exec(&["nft", "list", "table", "inet", "segscope"])
        .unwrap_or_else(|| panic!("nft missing"));
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("comment \"web\""), "{listed}");
    // Loading twice replaces the table instead of failing or duplicating it.
    assert!(ok(ns.exec(&["nft", "-f", &p]), "second load"));
    let again = ns
        .exec(&["nft", "list", "table", "inet", "segscope"])
        .unwrap_or_else(|| panic!("nft missing"));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .matches("comment \"web\"")
            .count(),
        1
    );
}

/// Client namespace — router namespace (the exported ruleset) — server namespace.
#[test]
fn nftables_ruleset_passes_and_drops_traffic_as_the_policy_says() {
    if run("python3", &["--version"]).is_none_or(|o| !o.status.success()) {
        println!("SKIP: python3 is needed for the traffic test");
        return;
    }
    let (Some(c), Some(r), Some(s)) = (Netns::new("cli"), Netns::new("rtr"), Netns::new("srv"))
    else {
        return;
    };
    let id = std::process::id() % 10000;
    let (cv, rcv, rsv, sv) = (
        format!("sgc{id}"),
        format!("sgrc{id}"),
        format!("sgrs{id}"),
        format!("sgs{id}"),
    );
    let setup: Vec<Vec<String>> = vec![
        vec![
            "link", "add", &cv, "netns", &c.0, "type", "veth", "peer", "name", &rcv, "netns", &r.0,
        ],
        vec![
            "link", "add", &sv, "netns", &s.0, "type", "veth", "peer", "name", &rsv, "netns", &r.0,
        ],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(str::to_owned).collect())
    .collect();
    for args in &setup {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        if !ok(run("ip", &a), "veth") {
            println!("SKIP: cannot create veth pairs; traffic not tested");
            return;
        }
    }
    let steps: Vec<(&Netns, Vec<&str>)> = vec![
        (&c, vec!["ip", "addr", "add", "10.66.1.10/24", "dev", &cv]),
        (&c, vec!["ip", "link", "set", &cv, "up"]),
        (&c, vec!["ip", "link", "set", "lo", "up"]),
        (
            &c,
            vec!["ip", "route", "add", "default", "via", "10.66.1.1"],
        ),
        (&s, vec!["ip", "addr", "add", "10.66.2.20/24", "dev", &sv]),
        (&s, vec!["ip", "link", "set", &sv, "up"]),
        (&s, vec!["ip", "link", "set", "lo", "up"]),
        (
            &s,
            vec!["ip", "route", "add", "default", "via", "10.66.2.1"],
        ),
        (&r, vec!["ip", "addr", "add", "10.66.1.1/24", "dev", &rcv]),
        (&r, vec!["ip", "addr", "add", "10.66.2.1/24", "dev", &rsv]),
        (&r, vec!["ip", "link", "set", &rcv, "up"]),
        (&r, vec!["ip", "link", "set", &rsv, "up"]),
        (&r, vec!["sysctl", "-w", "net.ipv4.ip_forward=1"]),
    ];
    for (ns, args) in &steps {
        assert!(ok(ns.exec(args), &args.join(" ")), "namespace setup");
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let rules = dir.path().join("rules.nft");
    std::fs::write(&rules, nftables::to_nftables(&policy())).unwrap_or_else(|e| panic!("{e}"));
    assert!(ok(
        r.exec(&["nft", "-f", &rules.to_string_lossy()]),
        "nft -f"
    ));
    // Servers on 8080 (allowed) and 8081 (not allowed) in the server namespace.
    let server = dir.path().join("serve.py");
    std::fs::write(
        &server,
        "import socket,threading,sys\n\
         def serve(p):\n    s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0',p)); s.listen()\n    while True:\n        c,_=s.accept(); c.sendall(b'ok'); c.close()\n\
         for p in (8080,8081):\n    threading.Thread(target=serve,args=(p,),daemon=True).start()\n\
         import time; time.sleep(float(sys.argv[1]))\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &s.0,
            "python3",
            &server.to_string_lossy(),
            "20",
        ])
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_millis(700));
    let probe = |from: &Netns, to: &str, port: u16| -> bool {
        let code = format!(
            "import socket\ns=socket.create_connection(('{to}',{port}),timeout=1.5)\nprint(s.recv(2))"
        );
        from.exec(&["python3", "-c", &code])
            .is_some_and(|o| o.status.success())
    };
    let allowed = probe(&c, "10.66.2.20", 8080);
    let denied_port = probe(&c, "10.66.2.20", 8081);
    let reverse = {
        // The reverse direction (servers → clients) has no rule.
        let listen = Command::new("ip")
            .args([
                "netns",
                "exec",
                &c.0,
                "python3",
                &server.to_string_lossy(),
                "4",
            ])
            .spawn();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let r = probe(&s, "10.66.1.10", 8080);
        if let Ok(mut l) = listen {
            let _ = l.kill();
            let _ = l.wait();
        }
        r
    };
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "clients -> servers tcp/8080: {allowed}; tcp/8081: {denied_port}; servers -> clients tcp/8080: {reverse}"
    );
    assert!(allowed, "rule `web` allows clients -> servers tcp/8080");
    assert!(!denied_port, "no rule allows tcp/8081: default deny");
    assert!(
        !reverse,
        "no rule allows servers -> clients: default deny in both directions"
    );
    let _ = IpAddr::from([0u8, 0, 0, 0]);
}

#[test]
fn kubernetes_export_deserializes_into_k8s_openapi_types() {
    let yaml = k8s::to_yaml(&policy()).unwrap_or_else(|e| panic!("{e}"));
    let docs: Vec<&str> = yaml
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect();
    assert_eq!(docs.len(), 3, "one NetworkPolicy per zone");
    let nps: Vec<NetworkPolicy> = docs
        .iter()
        .map(|d| serde_saphyr::from_str(d).unwrap_or_else(|e| panic!("{e}\n{d}")))
        .collect();
    let servers = nps
        .iter()
        .find(|n| n.metadata.name.as_deref() == Some("two-tier-servers"))
        .unwrap_or_else(|| panic!("no servers policy"));
    let spec = servers.spec.as_ref().unwrap_or_else(|| panic!("spec"));
    assert_eq!(
        spec.policy_types.as_deref(),
        Some(&["Ingress".to_owned(), "Egress".to_owned()][..])
    );
    let ingress = spec.ingress.as_ref().unwrap_or_else(|| panic!("ingress"));
    // web, ranges and dns (ICMP cannot be expressed, and is named in an annotation).
    assert_eq!(ingress.len(), 3);
    let ranges = ingress
        .iter()
        .flat_map(|r| r.ports.iter().flatten())
        .find(|p| p.end_port.is_some())
        .unwrap_or_else(|| panic!("range"));
    assert_eq!(ranges.end_port, Some(9002));
    let annotations = servers
        .metadata
        .annotations
        .as_ref()
        .unwrap_or_else(|| panic!("annotations"));
    assert_eq!(
        annotations
            .get("segscope.io/not-expressed")
            .map(String::as_str),
        Some("ping")
    );
    // The quarantined host is not part of the clients' ipBlocks.
    let blocks: Vec<String> = ingress
        .iter()
        .flat_map(|r| r.from.iter().flatten())
        .filter_map(|p| p.ip_block.as_ref().map(|b| b.cidr.clone()))
        .collect();
    assert!(
        blocks.contains(&"10.66.1.67/32".to_owned())
            && !blocks.contains(&"10.66.1.0/24".to_owned())
    );
    let clients = nps
        .iter()
        .find(|n| n.metadata.name.as_deref() == Some("two-tier-clients"))
        .unwrap_or_else(|| panic!("clients"));
    let egress = clients
        .spec
        .as_ref()
        .and_then(|s| s.egress.as_ref())
        .unwrap_or_else(|| panic!("egress"));
    assert_eq!(egress.len(), 3);
    // dns-everywhere has from "*": an ingress rule without peers (any source).
    assert!(ingress.iter().any(|r| r.from.is_none()));
}

#[test]
fn cilium_and_aws_exports_carry_the_rules() {
    let p = policy();
    let cnps = cilium::to_cilium(&p).unwrap_or_else(|e| panic!("{e}"));
    let servers = cnps
        .iter()
        .find(|c| c.metadata.name == "two-tier-servers")
        .unwrap_or_else(|| panic!("servers"));
    assert_eq!(
        servers.spec.ingress.len(),
        4,
        "web, ranges, ping (icmps), dns"
    );
    assert!(servers.spec.ingress.iter().any(|r| {
        r.icmps
            .as_ref()
            .is_some_and(|i| i[0].fields[0].icmp_type == 8)
    }));
    let yaml = cilium::to_yaml(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        yaml.contains("fromCIDRSet")
            && yaml.contains("toPorts")
            && yaml.contains("endpointSelector")
    );
    let sgs = aws::to_security_groups(&p).unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value =
        serde_json::from_str(&aws::to_json(&p).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    let srv = &json["SecurityGroups"][1];
    assert_eq!(srv["GroupName"], "two-tier-servers");
    let perms = srv["IpPermissions"]
        .as_array()
        .unwrap_or_else(|| panic!("IpPermissions"));
    let ranges = perms
        .iter()
        .find(|x| x["FromPort"] == 9000)
        .unwrap_or_else(|| panic!("range"));
    assert_eq!(ranges["ToPort"], 9002);
    assert_eq!(ranges["IpProtocol"], "tcp");
    let icmp = perms
        .iter()
        .find(|x| x["IpProtocol"] == "icmp")
        .unwrap_or_else(|| panic!("icmp"));
    assert_eq!(
        (icmp["FromPort"].as_i64(), icmp["ToPort"].as_i64()),
        (Some(8), Some(-1))
    );
    // IPv6 member of the clients zone reaches the servers' permissions as Ipv6Ranges.
    assert!(perms.iter().any(|x| {
        x["Ipv6Ranges"]
            .as_array()
            .is_some_and(|a| a.iter().any(|r| r["CidrIpv6"] == "2001:db8:1::10/128"))
    }));
    assert_eq!(sgs.security_groups.len(), 3);
    let _ = Path::new(".");
}

#[test]
fn allow_only_formats_refuse_a_partial_deny() {
    let text = HAND_WRITTEN.replace(
        "rules:\n",
        "rules:\n  - id: no-9001\n    action: deny\n    from: clients\n    to: servers\n    service: tcp/9001\n",
    );
    let p = segscope_policy::parse("p.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let err = k8s::to_yaml(&p)
        .err()
        .unwrap_or_else(|| panic!("must refuse"));
    assert!(
        err.message.contains("no-9001") && err.message.contains("ranges"),
        "{err}"
    );
    // nftables expresses denies directly: the deny comes first.
    let nft = nftables::to_nftables(&p);
    let deny = nft.find("comment \"no-9001\"").unwrap_or_default();
    let allow = nft.find("comment \"ranges\"").unwrap_or_default();
    assert!(deny > 0 && deny < allow);
}
