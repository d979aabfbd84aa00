//! Live capture end to end, inside two network namespaces joined by a veth pair that the test
//! creates (never touching the host's interfaces): known traffic is sent from one namespace
//! while `segscope flows --interface` listens in the other, and the records, the `--write` copy
//! and the stop paths (`--duration`, Ctrl-C) are checked. Needs root and `ip`; otherwise SKIP.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use segscope_core::{ConnState, FlowRecord, Transport};

use common::parse_jsonl;

/// Two namespaces `a` (10.99.N.1) and `b` (10.99.N.2), removed on drop.
struct Netns {
    a: String,
    b: String,
    ifa: String,
    subnet: u8,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Netns {
    fn create(tag: &str, subnet: u8) -> Option<Netns> {
        let id = std::process::id() % 100_000;
        let n = Netns {
            a: format!("seglive-{tag}-{id}-a"),
            b: format!("seglive-{tag}-{id}-b"),
            ifa: format!("sg{tag}{id}a"),
            subnet,
        };
        let ifb = format!("sg{tag}{id}b");
        let (addr_a, addr_b) = (n.addr(1) + "/24", n.addr(2) + "/24");
        let ok = ip(&["netns", "add", &n.a])
            && ip(&["netns", "add", &n.b])
            && ip(&["link", "add", &n.ifa, "type", "veth", "peer", "name", &ifb])
            && ip(&["link", "set", &n.ifa, "netns", &n.a])
            && ip(&["link", "set", &ifb, "netns", &n.b])
            && ip(&["-n", &n.a, "addr", "add", &addr_a, "dev", &n.ifa])
            && ip(&["-n", &n.b, "addr", "add", &addr_b, "dev", &ifb])
            && ip(&["-n", &n.a, "link", "set", &n.ifa, "up"])
            && ip(&["-n", &n.b, "link", "set", &ifb, "up"])
            && ip(&["-n", &n.a, "link", "set", "lo", "up"]);
        if ok {
            Some(n)
        } else {
            eprintln!("SKIP: cannot create network namespaces (needs root and iproute2)");
            None
        }
    }

    fn addr(&self, host: u8) -> String {
        format!("10.99.{}.{host}", self.subnet)
    }

    /// A command run inside namespace `ns`.
    fn exec(ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }

    /// From `b`: three pings to `a`, one UDP datagram to 5353 and a TCP attempt on closed 8080.
    fn send_known_traffic(&self) {
        std::thread::sleep(Duration::from_millis(1500));
        let to = self.addr(1);
        let ping = Netns::exec(&self.b, "ping")
            .args(["-c", "3", "-i", "0.2", &to])
            .stdout(Stdio::null())
            .status()
            .expect("ping");
        assert!(ping.success(), "ping across the veth pair");
        let udp = format!("echo segscope > /dev/udp/{to}/5353");
        let tcp = format!("echo segscope > /dev/tcp/{to}/8080");
        for script in [udp, tcp] {
            // The TCP attempt is refused (RST): its failure is the point.
            let _ = Netns::exec(&self.b, "bash")
                .args(["-c", &script])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.a]);
        ip(&["netns", "del", &self.b]);
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("live");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn find(records: &[FlowRecord], transport: Transport, port: u16) -> &FlowRecord {
    records
        .iter()
        .find(|r| {
            r.transport == transport && (transport == Transport::ICMP || r.server.port == port)
        })
        .unwrap_or_else(|| panic!("no {transport:?} flow to port {port} in {records:#?}"))
}

fn assert_known_traffic(n: &Netns, records: &[FlowRecord]) {
    let client = n.addr(2).parse().expect("ip");
    let server = n.addr(1).parse().expect("ip");
    let icmp = find(records, Transport::ICMP, 0);
    assert_eq!((icmp.client.ip, icmp.server.ip), (client, server));
    assert_eq!(
        (icmp.client_stats.packets, icmp.server_stats.packets),
        (3, 3)
    );
    let udp = find(records, Transport::UDP, 5353);
    assert_eq!((udp.client.ip, udp.client_stats.bytes), (client, 9));
    let tcp = find(records, Transport::TCP, 8080);
    assert_eq!((tcp.client.ip, tcp.state), (client, ConnState::REJ));
}

#[test]
fn live_capture_with_duration_writes_flows_and_a_copy() {
    let Some(n) = Netns::create("d", 201) else {
        return;
    };
    let out = scratch("duration.jsonl");
    let copy = scratch("duration.pcapng");
    let child = Netns::exec(&n.a, env!("CARGO_BIN_EXE_segscope"))
        .args([
            "flows",
            "--quiet",
            "--duration",
            "4s",
            "--interface",
            &n.ifa,
        ])
        .arg("--write")
        .arg(&copy)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn segscope");
    n.send_known_traffic();
    let done = child.wait_with_output().expect("wait");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let records = parse_jsonl(&std::fs::read(&out).expect("output"));
    assert_known_traffic(&n, &records);
    assert!(records.iter().all(|r| r.source.file.starts_with("iface:")));
    // The copy holds every packet the records count (plus any the kernel sent on its own,
    // e.g. neighbour discovery).
    let again = common::flows(&[&copy], &[]);
    let counted: u64 = records.iter().map(FlowRecord::packets).sum();
    let copied: u64 = again.iter().map(FlowRecord::packets).sum();
    assert_eq!(
        copied, counted,
        "the --write copy replays to the same packets"
    );
}

#[test]
fn ctrl_c_flushes_open_flows_and_exits_zero() {
    let Some(n) = Netns::create("i", 202) else {
        return;
    };
    let out = scratch("interrupt.jsonl");
    let child = Netns::exec(&n.a, env!("CARGO_BIN_EXE_segscope"))
        .args(["flows", "--quiet", "--interface", &n.ifa, "-o"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn segscope");
    n.send_known_traffic();
    // `ip netns exec` execs segscope in place, so the child's pid is segscope's.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let done = child.wait_with_output().expect("wait");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_known_traffic(&n, &parse_jsonl(&std::fs::read(&out).expect("output")));
}
