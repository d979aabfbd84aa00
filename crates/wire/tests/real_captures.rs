//! Every frame of every real capture (read with libpcap), decoded and compared with tshark's
//! dissection of the same frame: innermost source and destination, IP protocol, ports (ICMP:
//! type and code), VLAN ids, and for ICMP errors the quoted flow.
//!
//! tshark runs with IP reassembly off, so that it looks at each frame on its own as segscope
//! does. The systematic differences, each handled where the expected tuple is derived:
//! - tshark dissects the first fragment of a fragmented tunnel packet down to the inner
//!   packet; segscope keeps the outer packet (its inner packet is incomplete, and the flow table
//!   pairs the fragments by IP id), so the expected IP is the first fragmented IPv4 header.
//! - tshark decodes UDP encapsulations segscope does not (Teredo and others by heuristics);
//!   segscope's packet is then the outer UDP one, so only IP-in-IP, GRE, VXLAN and GENEVE lead
//!   the expected IP inward.
//! - A tunnel carrying a non-IP frame (ARP over GRE in erspan.pcap) is a non-IP frame for
//!   segscope, which takes the inner frame as the packet; tshark's outer IP is not expected.
//! - VLAN priority tags (id 0) are no VLAN for segscope; tshark lists them as id 0.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use segscope_core::Transport;
use segscope_core::stats::DecodeStats;
use segscope_gen::testdata::{manifest, real_capture, tshark_available, tshark_raw};
use segscope_wire::{Decoder, Packet};

/// tshark fields, in this order in each row.
const FIELDS: &[&str] = &[
    "frame.protocols",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.flags.mf",
    "ip.frag_offset",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.nxt",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "sctp.srcport",
    "sctp.dstport",
    "icmp.type",
    "icmp.code",
    "icmpv6.type",
    "icmpv6.code",
    "vlan.id",
];

/// Files the task names explicitly; each must be compared when the real captures are present.
const MUST_COVER: &[&str] = &[
    "zeek/tunnels-gre-sample.pcap",
    "zeek/tunnels-vxlan-encapsulated-http.pcap",
    "zeek/erspan.pcap",
    "zeek/http-qinq-0.pcap",
    "zeek/mixed-vlan-mpls.pcap",
    "arkime/twovlan.pcap",
    "arkime/mpls-basic.pcap",
    "arkime/v6.pcap",
    "zeek/tls-openjdk-25.0.2-zeek.org.pcap",
    "zeek/tls-irc-starttls.pcap",
    "zeek/http-basic-auth-with-colon.pcap",
    "zeek/tls-pop3-starttls.pcap",
    "zeek/pcapng-multi-interface.pcapng",
    "tcpdump/quic_handshake_truncated.pcap",
    "zeek/trunc-trunc-hdr.pcap",
];

/// Files compared at once.
const TSHARK_WORKERS: usize = 6;

/// One tshark row: each field's occurrences (tunnelled and ICMP-quoted packets have several).
struct Row<'a> {
    layers: Vec<&'a str>,
    fields: BTreeMap<&'static str, Vec<&'a str>>,
}

impl<'a> Row<'a> {
    fn parse(line: &'a str) -> Row<'a> {
        let mut cols = line.split('\t');
        let layers = cols.next().unwrap_or("").split(':').collect();
        let fields = FIELDS[1..]
            .iter()
            .map(|f| {
                let v = cols.next().unwrap_or("");
                let list = if v.is_empty() {
                    Vec::new()
                } else {
                    v.split(',').collect()
                };
                (*f, list)
            })
            .collect();
        Row { layers, fields }
    }

    /// The `occurrence`-th value of a field.
    fn get(&self, field: &str, occurrence: usize) -> Option<&'a str> {
        self.fields.get(field)?.get(occurrence).copied()
    }

    fn num(&self, field: &str, occurrence: usize) -> u16 {
        self.get(field, occurrence)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// How many layers named `name` come before position `end`.
    fn count(&self, name: &str, end: usize) -> usize {
        self.layers.iter().take(end).filter(|l| **l == name).count()
    }

    /// The IP layer at `at` (`ip` or `ipv6`): addresses and IP protocol as tshark shows them.
    fn ip_at(&self, at: usize) -> Option<(IpAddr, IpAddr, u8)> {
        let name = *self.layers.get(at)?;
        let occ = self.count(name, at);
        let (s, d, p) = if name == "ip" {
            ("ip.src", "ip.dst", "ip.proto")
        } else {
            ("ipv6.src", "ipv6.dst", "ipv6.nxt")
        };
        let proto = match self.next_layer(at) {
            Some((_, n)) => transport_number(n).unwrap_or(self.num(p, occ) as u8),
            None => self.num(p, occ) as u8,
        };
        Some((
            self.get(s, occ)?.parse().ok()?,
            self.get(d, occ)?.parse().ok()?,
            proto,
        ))
    }

    /// The layer after `at`, skipping IPv6 extension headers.
    fn next_layer(&self, at: usize) -> Option<(usize, &'a str)> {
        self.layers
            .iter()
            .enumerate()
            .skip(at + 1)
            .find(|(_, l)| !l.starts_with("ipv6."))
            .map(|(i, l)| (i, *l))
    }

    /// Ports (ICMP: type and code) of the transport layer at `at`.
    fn ports_at(&self, at: usize) -> (u16, u16) {
        let Some(name) = self.layers.get(at) else {
            return (0, 0);
        };
        let occ = self.count(name, at);
        let (s, d) = match *name {
            "tcp" => ("tcp.srcport", "tcp.dstport"),
            "udp" => ("udp.srcport", "udp.dstport"),
            "sctp" => ("sctp.srcport", "sctp.dstport"),
            "icmp" => ("icmp.type", "icmp.code"),
            "icmpv6" => ("icmpv6.type", "icmpv6.code"),
            _ => return (0, 0),
        };
        (self.num(s, occ), self.num(d, occ))
    }

    fn fragmented_v4(&self, occurrence: usize) -> bool {
        self.num("ip.flags.mf", occurrence) == 1 || self.num("ip.frag_offset", occurrence) != 0
    }

    /// True when segscope decapsulates what follows the IP layer at `at`.
    fn decapsulated(&self, at: usize) -> bool {
        let after = |n: usize| self.layers.get(at + n).copied().unwrap_or("");
        match after(1) {
            "ip" | "ipv6" | "gre" => true,
            "udp" => matches!(after(2), "vxlan" | "geneve"),
            _ => false,
        }
    }

    /// What segscope should produce for this frame, by tshark's dissection.
    fn expected(&self) -> Option<Expected> {
        // Layers after the first ICMP message belong to the packet it quotes.
        let scope = self
            .layers
            .iter()
            .position(|l| *l == "icmp" || *l == "icmpv6")
            .unwrap_or(self.layers.len());
        let mut chosen = None;
        for (i, l) in self.layers.iter().enumerate().take(scope) {
            if *l != "ip" && *l != "ipv6" {
                continue;
            }
            let fragment = *l == "ip" && self.fragmented_v4(self.count("ip", i));
            if fragment || !self.decapsulated(i) {
                chosen = Some(i);
                break;
            }
        }
        // No IP layer that is not decapsulated: no IP at all, or a tunnel carrying non-IP
        // (ARP over GRE), which segscope counts as non-IP.
        let at = chosen?;
        let (src, dst, proto) = self.ip_at(at)?;
        let fragment =
            self.layers.get(at) == Some(&"ip") && self.fragmented_v4(self.count("ip", at));
        let (sport, dport) = match self.next_layer(at) {
            Some((t, _))
                if !(fragment && self.num("ip.frag_offset", self.count("ip", at)) != 0) =>
            {
                self.ports_at(t)
            }
            _ => (0, 0),
        };
        let quoted = match self.next_layer(at) {
            Some((t, "icmp" | "icmpv6")) if Transport(proto).is_icmp() => self.quoted(t),
            _ => None,
        };
        Some(Expected {
            src,
            dst,
            proto,
            ports: (sport, dport),
            vlans: self.vlans_before(at),
            quoted,
        })
    }

    /// The flow quoted by the ICMP error at `icmp_at`, if tshark dissected a quoted IP header.
    fn quoted(&self, icmp_at: usize) -> Option<(IpAddr, IpAddr, u8, u16, u16)> {
        let (q, _) = self
            .next_layer(icmp_at)
            .filter(|(_, l)| *l == "ip" || *l == "ipv6")?;
        let (src, dst, proto) = self.ip_at(q)?;
        let (sport, dport) = self.next_layer(q).map_or((0, 0), |(t, _)| self.ports_at(t));
        Some((src, dst, proto, sport, dport))
    }

    /// The non-zero VLAN ids of the Ethernet frame that carries the IP layer at `at`.
    fn vlans_before(&self, at: usize) -> (Option<u16>, Option<u16>) {
        let eth = self
            .layers
            .iter()
            .take(at)
            .rposition(|l| *l == "eth")
            .unwrap_or(0);
        let first = self.count("vlan", eth);
        let n = self.count("vlan", at) - first;
        let mut ids = (first..first + n)
            .map(|o| self.num("vlan.id", o))
            .filter(|v| *v != 0);
        (ids.next(), ids.next())
    }
}

/// IP protocol numbers of the transports tshark names.
fn transport_number(layer: &str) -> Option<u8> {
    Some(match layer {
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" => 58,
        "sctp" => 132,
        "gre" => 47,
        "esp" => 50,
        _ => return None,
    })
}

#[derive(Debug, PartialEq, Eq)]
struct Expected {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    ports: (u16, u16),
    vlans: (Option<u16>, Option<u16>),
    quoted: Option<(IpAddr, IpAddr, u8, u16, u16)>,
}

fn ours(p: &Packet<'_>) -> Expected {
    Expected {
        src: p.src,
        dst: p.dst,
        proto: p.transport.0,
        ports: (p.src_port, p.dst_port),
        vlans: (p.vlan, p.inner_vlan),
        quoted: p
            .quoted
            .map(|q| (q.src.ip, q.dst.ip, q.transport.0, q.src.port, q.dst.port)),
    }
}

/// Frames of a capture as libpcap reads them, with the link type; `Err` when libpcap refuses
/// the file. A read error part-way (a corrupt record) ends the list there, as it ends tcpdump.
fn read_frames(path: &Path) -> Result<(u32, Vec<Vec<u8>>), String> {
    let mut cap = pcap::Capture::from_file(path).map_err(|e| e.to_string())?;
    let linktype = cap.get_datalink().0 as u32;
    let mut frames = Vec::new();
    while let Ok(p) = cap.next_packet() {
        frames.push(p.data.to_vec());
    }
    Ok((linktype, frames))
}

fn tshark_rows(path: &Path) -> Option<String> {
    let mut args = vec![
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ];
    for f in FIELDS {
        args.extend(["-e", f]);
    }
    tshark_raw(path, &args)
}

/// The comparison of one file.
struct FileResult {
    frames: usize,
    stats: DecodeStats,
    mismatches: Vec<String>,
}

fn compare_file(rel: &str) -> Result<FileResult, String> {
    let path = real_capture(rel).ok_or("absent")?;
    let (linktype, frames) = read_frames(&path)?;
    let text = tshark_rows(&path).ok_or("tshark unavailable")?;
    let rows: Vec<Row<'_>> = text.lines().map(Row::parse).collect();
    let mut decoder = Decoder::new();
    let mut mismatches = Vec::new();
    for (n, (frame, row)) in frames.iter().zip(&rows).enumerate() {
        let got = decoder.decode(linktype, frame).map(|p| ours(&p));
        let want = row.expected();
        if got != want {
            mismatches.push(format!(
                "{rel} frame {}: segscope {got:?}, tshark {want:?} ({})",
                n + 1,
                row.layers.join(":")
            ));
        }
    }
    if rows.len() < frames.len() {
        mismatches.push(format!(
            "{rel}: tshark printed {} rows for {} frames",
            rows.len(),
            frames.len()
        ));
    }
    Ok(FileResult {
        frames: frames.len(),
        stats: decoder.stats(),
        mismatches,
    })
}

#[test]
fn every_real_capture_agrees_with_tshark_frame_by_frame() {
    let entries = manifest();
    if entries.is_empty() || !tshark_available() {
        eprintln!("SKIP: real captures or tshark absent");
        return;
    }
    // tshark's start-up dominates and is mostly waiting: run a few files at once.
    let next = AtomicUsize::new(0);
    let results: Vec<(usize, Result<FileResult, String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..TSHARK_WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(entry) = entries.get(i) else { break };
                        done.push((i, compare_file(&entry.path)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker panicked"))
            .collect()
    });
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let mut mismatches = Vec::new();
    let mut compared = Vec::new();
    for (i, result) in results {
        let entry = &entries[i];
        match result {
            Ok(r) => {
                let s = &r.stats;
                let malformed: u64 = s.malformed.values().sum();
                let non_ip: u64 = s.non_ip.values().sum();
                assert_eq!(
                    s.frames,
                    s.decoded + malformed + non_ip,
                    "{}: {s:?}",
                    entry.path
                );
                assert_eq!(s.frames, r.frames as u64);
                eprintln!(
                    "{}: {} frames, {} decoded, non-IP {:?}, malformed {:?}, tunnelled {:?}",
                    entry.path, r.frames, s.decoded, s.non_ip, s.malformed, s.tunnelled
                );
                mismatches.extend(r.mismatches);
                compared.push(entry.path.as_str());
            }
            // libpcap refuses ldap-gap-data-missing.pcapng (interfaces with different snapshot
            // lengths); the project's own reader covers it.
            Err(e) => eprintln!("{}: not compared: {e}", entry.path),
        }
    }
    for must in MUST_COVER {
        assert!(compared.contains(must), "{must} was not compared");
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
