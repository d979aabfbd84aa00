//! Small networks written as text, for rule tests, unit tests and benchmarks: one line per flow
//! (or per range of flows), turned into the [`FlowRecord`]s a capture would have produced.
//!
//! ```text
//! CLIENT -> SERVER TRANSPORT/PORT [key=value…] [inferred]
//! 10.0.0.5 -> 10.0.1.10..14 tcp/445 app=smb auth=ntlm count=3 user=alice
//! 10.0.0.66 -> 10.0.1.1 tcp/1-1024 outcome=no_reply
//! ```
//!
//! SERVER may be a range of the last IPv4 byte (`10.0.1.10..14`), PORT a range (`tcp/1-1024`).
//! Keys: `app=` (protocol name), `auth=` (verdict), `outcome=` (`established`, `no_reply`,
//! `rejected`, `admin_prohibited`), `count=` flows per (server, port), `user=`, `weak=` (repeatable:
//! `ntlmv1`, `tls_version:TLSv1.0`, `tls_cipher:…`, `kerberos_weak_etype:rc4-hmac`, `smb1`,
//! `smb_signing_not_required`, `rdp_standard_security`, `ssh_weak:…`, `snmp_community`),
//! `vlan=`, `at=` (start, seconds), `bytes=` (each direction), and the flag `inferred`
//! (direction guessed from ports).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use segscope_core::auth::{AuthEvidence, Weakness};
use segscope_core::edge::EdgeSet;
use segscope_core::flow::IcmpError;
use segscope_core::{
    AppProto, AuthClass, Confidence, ConnState, DirStats, EndReason, Endpoint, FlowId, FlowRecord,
    SourceRef, Span, Timestamp, Transport, community_id_v1,
};

/// The most flows one line may expand to.
pub const MAX_FLOWS_PER_LINE: usize = 100_000;

/// How the server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handshake and data both ways (SF).
    Established,
    /// No answer (S0).
    NoReply,
    /// Reset (REJ).
    Rejected,
    /// ICMP administratively prohibited.
    AdminProhibited,
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSpec {
    /// Client address.
    pub client: IpAddr,
    /// Server addresses.
    pub servers: Vec<IpAddr>,
    /// Transport.
    pub transport: Transport,
    /// First server port.
    pub port_lo: u16,
    /// Last server port.
    pub port_hi: u16,
    /// Protocol.
    pub app: AppProto,
    /// Verdict.
    pub auth: AuthClass,
    /// Outcome.
    pub outcome: Outcome,
    /// Flows per (server, port).
    pub count: u32,
    /// Account name.
    pub user: Option<String>,
    /// Weaknesses.
    pub weak: Vec<Weakness>,
    /// VLAN.
    pub vlan: Option<u16>,
    /// Start, seconds after the epoch of the synthetic capture.
    pub at: i64,
    /// Application bytes each way (answered flows only).
    pub bytes: u64,
    /// Direction guessed from ports.
    pub inferred: bool,
}

fn parse_weakness(s: &str) -> Result<Weakness, String> {
    let (kind, detail) = match s.split_once(':') {
        Some((k, d)) => (k, Some(d.to_owned())),
        None => (s, None),
    };
    let need = |d: Option<String>| d.ok_or_else(|| format!("weak={kind} needs `:DETAIL`"));
    Ok(match kind {
        "tls_version" => Weakness::TlsVersion(need(detail)?),
        "tls_cipher" => Weakness::TlsCipher(need(detail)?),
        "ntlmv1" => Weakness::Ntlmv1,
        "kerberos_weak_etype" => Weakness::KerberosWeakEtype(need(detail)?),
        "rdp_standard_security" => Weakness::RdpStandardSecurity,
        "smb_signing_not_required" => Weakness::SmbSigningNotRequired,
        "smb1" => Weakness::Smb1,
        "ssh_weak" => Weakness::SshWeak(need(detail)?),
        "snmp_community" => Weakness::SnmpCommunity,
        _ => return Err(format!("unknown weakness {kind:?}")),
    })
}

fn parse_servers(s: &str) -> Result<Vec<IpAddr>, String> {
    if let Some((base, hi)) = s.split_once("..") {
        let lo: Ipv4Addr = base
            .parse()
            .map_err(|_| format!("{s:?}: a range needs an IPv4 start (`10.0.1.10..14`)"))?;
        let hi: u8 = hi
            .parse()
            .map_err(|_| format!("{s:?}: the range end is the last byte, 0-255"))?;
        let [a, b, c, first] = lo.octets();
        if hi < first {
            return Err(format!("{s:?}: the range runs backwards"));
        }
        return Ok((first..=hi)
            .map(|d| IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
            .collect());
    }
    s.parse()
        .map(|ip| vec![ip])
        .map_err(|_| format!("{s:?} is not an address"))
}

/// Parses one line.
pub fn parse_flow_spec(line: &str) -> Result<FlowSpec, String> {
    let mut words = line.split_whitespace();
    let client: IpAddr = words
        .next()
        .ok_or("empty flow line")?
        .parse()
        .map_err(|_| "the client must be an address".to_owned())?;
    if words.next() != Some("->") {
        return Err("expected `CLIENT -> SERVER TRANSPORT/PORT`".to_owned());
    }
    let servers = parse_servers(words.next().ok_or("missing server")?)?;
    let svc = words.next().ok_or("missing TRANSPORT/PORT")?;
    let (t, ports) = svc
        .split_once('/')
        .ok_or_else(|| format!("{svc:?}: expected TRANSPORT/PORT"))?;
    let transport = Transport::parse(t).ok_or_else(|| format!("unknown transport {t:?}"))?;
    let port = |p: &str| p.parse::<u16>().map_err(|_| format!("bad port {p:?}"));
    let (port_lo, port_hi) = match ports.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(ports)?, port(ports)?),
    };
    if port_hi < port_lo {
        return Err(format!("port range {ports:?} runs backwards"));
    }
    let mut spec = FlowSpec {
        client,
        servers,
        transport,
        port_lo,
        port_hi,
        app: AppProto::Unknown,
        auth: AuthClass::Unknown,
        outcome: Outcome::Established,
        count: 1,
        user: None,
        weak: Vec::new(),
        vlan: None,
        at: 0,
        bytes: 500,
        inferred: false,
    };
    for w in words {
        if w == "inferred" {
            spec.inferred = true;
            continue;
        }
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| format!("{w:?}: expected key=value"))?;
        match k {
            "app" => spec.app = v.parse()?,
            "auth" => spec.auth = v.parse()?,
            "outcome" => {
                spec.outcome = match v {
                    "established" => Outcome::Established,
                    "no_reply" => Outcome::NoReply,
                    "rejected" => Outcome::Rejected,
                    "admin_prohibited" => Outcome::AdminProhibited,
                    _ => return Err(format!("unknown outcome {v:?}")),
                }
            }
            "count" => {
                spec.count = v
                    .parse()
                    .ok()
                    .filter(|c| *c > 0)
                    .ok_or_else(|| format!("count={v} must be a positive number"))?;
            }
            "user" => spec.user = Some(v.to_owned()),
            "weak" => spec.weak.push(parse_weakness(v)?),
            "vlan" => {
                spec.vlan = Some(
                    v.parse()
                        .ok()
                        .filter(|x| *x < 4096)
                        .ok_or_else(|| format!("vlan={v} must be 0-4095"))?,
                );
            }
            "at" => spec.at = v.parse().map_err(|_| format!("at={v} must be seconds"))?,
            "bytes" => {
                spec.bytes = v
                    .parse()
                    .map_err(|_| format!("bytes={v} must be a number"))?
            }
            _ => return Err(format!("unknown key {k:?}")),
        }
    }
    let total =
        spec.servers.len() * (usize::from(spec.port_hi - spec.port_lo) + 1) * spec.count as usize;
    if total > MAX_FLOWS_PER_LINE {
        return Err(format!(
            "the line expands to {total} flows; at most {MAX_FLOWS_PER_LINE}"
        ));
    }
    Ok(spec)
}

impl FlowSpec {
    /// The flow records of this line. `next_id` numbers flows (and first frames) across lines.
    pub fn records(&self, file: &Arc<str>, next_id: &mut u64) -> Vec<FlowRecord> {
        let mut out = Vec::new();
        for server in &self.servers {
            for port in self.port_lo..=self.port_hi {
                for _ in 0..self.count {
                    *next_id += 1;
                    out.push(self.record(*server, port, file, *next_id));
                }
            }
        }
        out
    }

    fn record(&self, server: IpAddr, port: u16, file: &Arc<str>, id: u64) -> FlowRecord {
        let client_port = 40_000 + (id % 20_000) as u16;
        let first = Timestamp(self.at.saturating_mul(1_000_000_000) + id as i64 * 1_000);
        let last = first.plus(Span::from_millis(20));
        let answered = self.outcome == Outcome::Established;
        let (state, history) = match self.outcome {
            Outcome::Established => (ConnState::SF, "ShADadFf"),
            Outcome::NoReply | Outcome::AdminProhibited => (ConnState::S0, "S"),
            Outcome::Rejected => (ConnState::REJ, "Sr"),
        };
        let client_stats = DirStats {
            packets: if answered { 5 } else { 1 },
            bytes: if answered { self.bytes } else { 0 },
            ip_bytes: if answered { self.bytes + 200 } else { 60 },
        };
        let server_stats = match self.outcome {
            Outcome::Established => DirStats {
                packets: 4,
                bytes: self.bytes,
                ip_bytes: self.bytes + 160,
            },
            Outcome::Rejected => DirStats {
                packets: 1,
                bytes: 0,
                ip_bytes: 40,
            },
            _ => DirStats::default(),
        };
        let icmp_errors = if self.outcome == Outcome::AdminProhibited {
            vec![IcmpError {
                icmp_type: 3,
                icmp_code: 13,
                reporter: server,
                ts: last,
                frame: id * 10 + 1,
                admin_prohibited: true,
            }]
        } else {
            Vec::new()
        };
        let (app, confidence, auth) = if answered {
            (
                self.app,
                if self.app == AppProto::Unknown {
                    Confidence::None
                } else {
                    Confidence::Payload
                },
                self.auth,
            )
        } else {
            (self.app, Confidence::PortHint, AuthClass::Unknown)
        };
        FlowRecord {
            flow_id: FlowId(id),
            community_id: community_id_v1(
                0,
                self.client,
                server,
                self.transport,
                client_port,
                port,
            ),
            record_seq: 0,
            interim: false,
            end_reason: EndReason::Closed,
            source: SourceRef {
                file: file.clone(),
                first_frame: id * 10,
            },
            first_ts: first,
            last_ts: last,
            duration: last.since(first),
            client: Endpoint {
                ip: self.client,
                port: client_port,
            },
            server: Endpoint { ip: server, port },
            transport: self.transport,
            direction_inferred: self.inferred,
            vlan: self.vlan,
            inner_vlan: None,
            tunnels: Vec::new(),
            state,
            history: history.to_owned(),
            client_stats,
            server_stats,
            fragments: 0,
            icmp: None,
            icmp_errors,
            payload_gap: false,
            app_proto: app,
            app_confidence: confidence,
            auth,
            evidence: AuthEvidence {
                reason: "synthetic".to_owned(),
                user: self.user.clone().filter(|_| answered),
                weak: if answered {
                    self.weak.clone()
                } else {
                    Vec::new()
                },
                ..AuthEvidence::default()
            },
            names: Vec::new(),
        }
    }
}

/// Parses lines and aggregates their flows into an edge set; errors name the 1-based line.
pub fn edge_set(file: &str, lines: &[&str]) -> Result<EdgeSet, String> {
    let file: Arc<str> = Arc::from(file);
    let mut set = EdgeSet::default();
    let mut next_id = 0;
    for (n, line) in lines.iter().enumerate() {
        let spec = parse_flow_spec(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        for r in spec.records(&file, &mut next_id) {
            set.observe(&r);
        }
    }
    Ok(set)
}

/// The services of the synthetic enterprise of [`enterprise`]: port, protocol and verdict.
const SERVICES: [(u16, AppProto, AuthClass); 8] = [
    (443, AppProto::Tls, AuthClass::TlsServerOnly),
    (445, AppProto::Smb, AuthClass::Kerberos),
    (22, AppProto::Ssh, AuthClass::Ssh),
    (5432, AppProto::Postgresql, AuthClass::TlsServerOnly),
    (80, AppProto::Http, AuthClass::CleartextUnauthenticated),
    (3389, AppProto::Rdp, AuthClass::EncryptedOther),
    (8443, AppProto::Tls, AuthClass::Mtls),
    (9000, AppProto::Unknown, AuthClass::Unknown),
];

/// A synthetic enterprise edge set for scale measurements: `clients` clients in /24 segments
/// of 250, `servers` servers (up to 6 250) in /24 segments of 25, and `edges` distinct client→server edges (one
/// in 100 unanswered, one in 200 a workstation-to-workstation SMB session), each carrying
/// `flows_per_edge` flows. Deterministic. `edges` is capped at `clients · servers · 4`.
pub fn enterprise(clients: u32, servers: u32, edges: u64, flows_per_edge: u32) -> EdgeSet {
    let (clients, servers) = (clients.max(2), servers.max(1));
    let client_ip = |c: u32| {
        IpAddr::V4(Ipv4Addr::new(
            10,
            (c / 250 / 250) as u8,
            (c / 250 % 250) as u8,
            (c % 250 + 1) as u8,
        ))
    };
    let server_ip = |s: u32| {
        IpAddr::V4(Ipv4Addr::new(
            10,
            200,
            (s / 25 % 250) as u8,
            (s % 25 + 1) as u8,
        ))
    };
    let file: Arc<str> = Arc::from("scale.pcap");
    let mut set = EdgeSet::default();
    let mut next_id = 0;
    let cap = u64::from(clients) * u64::from(servers) * 4;
    for k in 0..edges.min(cap) {
        let c = (k % u64::from(clients)) as u32;
        let j = k / u64::from(clients);
        let lateral = k % 200 == 199;
        let (server, (port, app, auth)) = if lateral {
            (client_ip((c + 1 + (j as u32 % 7)) % clients), SERVICES[1])
        } else {
            let s = ((j + u64::from(c) * 31) % u64::from(servers)) as u32;
            let slot = (j / u64::from(servers) + u64::from(s)) % 4;
            (
                server_ip(s),
                SERVICES[((u64::from(s) % 2) * 4 + slot) as usize % SERVICES.len()],
            )
        };
        let spec = FlowSpec {
            client: client_ip(c),
            servers: vec![server],
            transport: Transport::TCP,
            port_lo: port,
            port_hi: port,
            app,
            auth,
            outcome: if k % 100 == 42 {
                Outcome::NoReply
            } else {
                Outcome::Established
            },
            count: flows_per_edge.max(1),
            user: None,
            weak: Vec::new(),
            vlan: None,
            at: (k % 86_400) as i64,
            bytes: 1_000 + k % 5_000,
            inferred: false,
        };
        for r in spec.records(&file, &mut next_id) {
            set.observe(&r);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_expand_to_the_flows_they_describe() {
        let set = edge_set(
            "t",
            &[
                "10.0.0.5 -> 10.0.1.10..14 tcp/445 app=smb auth=ntlm count=2 user=alice",
                "10.0.0.66 -> 10.0.1.1 tcp/20-29 outcome=no_reply",
                "10.0.0.7 -> 10.0.1.1 tcp/80 outcome=admin_prohibited vlan=7",
            ],
        )
        .expect("valid lines");
        assert_eq!(set.edges.len(), 5 + 10 + 1);
        let smb = set
            .edges
            .iter()
            .find(|(k, _)| k.port == 445)
            .map(|(_, e)| e)
            .expect("smb edge");
        assert_eq!((smb.flows, smb.established), (2, 2));
        assert_eq!(smb.auth.get(&AuthClass::Ntlm), Some(&2));
        assert!(smb.users.contains("alice"));
        let prohibited = set
            .edges
            .iter()
            .find(|(k, _)| k.port == 80)
            .map(|(k, e)| (k.client.vlan, e.admin_prohibited, e.established))
            .expect("prohibited edge");
        assert_eq!(prohibited, (Some(7), 1, 0));
        let s0: u64 = set
            .edges
            .iter()
            .filter(|(k, _)| k.client.ip.to_string() == "10.0.0.66")
            .map(|(_, e)| e.no_reply)
            .sum();
        assert_eq!(s0, 10);
    }

    #[test]
    fn the_scale_enterprise_has_the_requested_size() {
        let set = enterprise(1_000, 40, 5_000, 2);
        assert_eq!(set.edges.len(), 5_000);
        let flows: u64 = set.edges.values().map(|e| e.flows).sum();
        assert_eq!(flows, 10_000);
        let failed = set.edges.values().filter(|e| e.established == 0).count();
        assert_eq!(failed, 50);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(parse_flow_spec("10.0.0.5 10.0.0.6 tcp/445").is_err());
        assert!(
            parse_flow_spec("10.0.0.5 -> 10.0.0.6 tcp/445 app=smbx")
                .expect_err("bad app")
                .contains("smbx")
        );
        assert!(parse_flow_spec("10.0.0.5 -> 10.0.0.6 tcp/445 outcome=maybe").is_err());
        assert!(parse_flow_spec("10.0.0.5 -> 10.0.0.6..2 tcp/445").is_err());
        assert!(parse_flow_spec("10.0.0.5 -> 10.0.0.1..250 tcp/1-1000").is_err());
        let e = edge_set("t", &["10.0.0.5 -> 10.0.0.6 tcp/445", "bad"]).expect_err("line 2");
        assert!(e.starts_with("line 2:"), "{e}");
    }
}
