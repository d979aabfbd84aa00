//! Live capture through libpcap, on interfaces this test creates (a veth pair whose far end
//! sits in a network namespace of its own, addressed in 10.200.0.0/30) or on loopback. Needs
//! root and `ip`; skips with a printed line otherwise.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use segscope_capture::{
    BATCH_INTERVAL, CaptureError, FrameBatch, FrameSource, LiveOptions, open_live,
};

fn can_run_live_tests() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        eprintln!("SKIP: live capture tests need root");
        return false;
    }
    for tool in ["ip", "python3"] {
        if !Command::new(tool)
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            eprintln!("SKIP: `{tool}` not installed; live capture tests skipped");
            return false;
        }
    }
    true
}

fn run(args: &[&str]) {
    let status = Command::new(args[0])
        .args(&args[1..])
        .status()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(status.success(), "{args:?} failed");
}

/// A namespace and a veth pair, removed on drop (also when the test fails).
struct Veth {
    ns: String,
    host: String,
}

impl Veth {
    fn create() -> Veth {
        let id = std::process::id() % 100_000;
        let v = Veth {
            ns: format!("sgcap{id}"),
            host: format!("sgc{id}h"),
        };
        let peer = format!("sgc{id}p");
        run(&["ip", "netns", "add", &v.ns]);
        run(&[
            "ip", "link", "add", &v.host, "type", "veth", "peer", "name", &peer,
        ]);
        run(&["ip", "link", "set", &peer, "netns", &v.ns]);
        run(&["ip", "addr", "add", "10.200.0.1/30", "dev", &v.host]);
        run(&["ip", "link", "set", &v.host, "up"]);
        let exec = |args: &[&str]| {
            let mut full = vec!["ip", "netns", "exec", v.ns.as_str()];
            full.extend_from_slice(args);
            run(&full);
        };
        exec(&["ip", "addr", "add", "10.200.0.2/30", "dev", &peer]);
        exec(&["ip", "link", "set", &peer, "up"]);
        exec(&["ip", "link", "set", "lo", "up"]);
        v
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Deleting the namespace destroys its veth end, and with it the pair.
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Three ICMP echo requests from a raw socket (`ping` is not always installed).
const PING: &str = r#"
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def checksum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for seq in range(1, 4):
    m = struct.pack('!BBHHH', 8, 0, 0, 0x5353, seq) + b'segscope'
    m = m[:2] + struct.pack('!H', checksum(m)) + m[4:]
    s.sendto(m, ('10.200.0.1', 0))
    time.sleep(0.2)
"#;

struct Seen {
    icmp_requests: usize,
    icmp_replies: usize,
    udp: usize,
}

/// Counts the test's ICMP echo and UDP frames (Ethernet, IPv4 without options).
fn classify(frame: &[u8], seen: &mut Seen) {
    if frame.len() < 42 || frame[12..14] != [0x08, 0x00] || frame[14] != 0x45 {
        return;
    }
    let (src, dst) = (&frame[26..30], &frame[30..34]);
    let here = [10, 200, 0, 1];
    let there = [10, 200, 0, 2];
    match frame[23] {
        1 if src == there && dst == here && frame[34] == 8 => seen.icmp_requests += 1,
        1 if src == here && dst == there && frame[34] == 0 => seen.icmp_replies += 1,
        17 if src == there && frame[36..38] == 9999u16.to_be_bytes() => {
            assert_eq!(&frame[42..], b"segscope\n");
            seen.udp += 1;
        }
        _ => {}
    }
}

#[test]
fn captures_ping_and_udp_on_a_veth_pair() {
    if !can_run_live_tests() {
        return;
    }
    let veth = Veth::create();
    let mut source = open_live(
        &veth.host,
        &LiveOptions {
            timeout_ms: 50,
            ..LiveOptions::default()
        },
    )
    .expect("opens the veth end");
    assert_eq!(source.linktype(), 1);
    assert_eq!(
        source.source_names()[0].as_ref(),
        format!("iface:{}", veth.host)
    );
    let stop = source.stop_handle();
    let ns = veth.ns.clone();
    let wall_start = SystemTime::now();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        run(&["ip", "netns", "exec", &ns, "python3", "-c", PING]);
        for _ in 0..3 {
            run(&[
                "ip",
                "netns",
                "exec",
                &ns,
                "bash",
                "-c",
                "echo segscope > /dev/udp/10.200.0.1/9999",
            ]);
        }
        std::thread::sleep(Duration::from_millis(600));
        stop.stop();
    });
    let mut batch = FrameBatch::default();
    let mut seen = Seen {
        icmp_requests: 0,
        icmp_replies: 0,
        udp: 0,
    };
    let mut frames = 0u64;
    let mut last_ts = 0i64;
    let mut idle_batches = 0;
    let started = Instant::now();
    loop {
        let call = Instant::now();
        let more = source.next_batch(&mut batch).expect("live read");
        assert!(
            call.elapsed() < BATCH_INTERVAL * 5,
            "a batch comes back promptly even when idle ({:?})",
            call.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "stop was honoured"
        );
        if !more {
            break;
        }
        idle_batches += usize::from(batch.is_empty());
        for (meta, data) in batch.iter() {
            frames += 1;
            assert_eq!(meta.frame_no, frames);
            assert!(meta.ts.0 >= last_ts, "time order");
            last_ts = meta.ts.0;
            classify(data, &mut seen);
        }
    }
    sender.join().expect("sender thread");
    let wall_end = SystemTime::now();
    let ns = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64)
    };
    assert!(idle_batches > 0, "idle periods give empty batches");
    assert_eq!(seen.icmp_requests, 3);
    assert_eq!(seen.icmp_replies, 3);
    assert_eq!(seen.udp, 3);
    assert!(
        last_ts > ns(wall_start) && last_ts <= ns(wall_end),
        "packet times come from the capture clock"
    );
    let stats = source.stats();
    assert_eq!(stats.records, frames);
    assert_eq!(stats.sources, 1);
    assert_eq!(stats.kernel_dropped, 0);
    assert!(!source.next_batch(&mut batch).expect("after stop"));
}

#[test]
fn nonexistent_interface_lists_the_real_ones() {
    let e = open_live("sgcap-nope0", &LiveOptions::default())
        .err()
        .expect("no such interface");
    let msg = e.to_string();
    match e {
        CaptureError::InterfaceNotFound { .. } => {
            assert!(
                msg.starts_with("interface \"sgcap-nope0\" not found; interfaces libpcap sees: "),
                "{msg}"
            );
            assert!(msg.contains("lo"), "{msg}");
        }
        CaptureError::CapturePermission { .. } => {
            eprintln!(
                "SKIP: not allowed to capture, so libpcap cannot tell whether the interface exists: {msg}"
            );
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn loopback_filter_link_type_and_stop() {
    if !can_run_live_tests() {
        return;
    }
    let bad = open_live(
        "lo",
        &LiveOptions {
            filter: Some("udp prot 9".into()),
            ..LiveOptions::default()
        },
    )
    .err()
    .expect("bad filter");
    assert!(
        bad.to_string()
            .starts_with("invalid capture filter \"udp prot 9\" for link type EN10MB (1): "),
        "{bad}"
    );
    let unsupported = open_live(
        "lo",
        &LiveOptions {
            supported_linktypes: Some(vec![113]),
            ..LiveOptions::default()
        },
    )
    .err()
    .expect("loopback is Ethernet, not Linux cooked");
    assert!(
        unsupported
            .to_string()
            .starts_with("iface:lo: link type 1 (EN10MB) is not supported"),
        "{unsupported}"
    );

    // A filter nothing matches: batches keep coming back empty until the stop.
    let mut source = open_live(
        "lo",
        &LiveOptions {
            filter: Some("udp port 9 and host 10.200.0.99".into()),
            ..LiveOptions::default()
        },
    )
    .expect("opens loopback");
    let mut batch = FrameBatch::default();
    let t = Instant::now();
    assert!(source.next_batch(&mut batch).expect("idle read"));
    assert!(batch.is_empty());
    assert!(t.elapsed() < BATCH_INTERVAL * 5, "{:?}", t.elapsed());
    source.stop_handle().stop();
    assert!(!source.next_batch(&mut batch).expect("stopped"));
}
