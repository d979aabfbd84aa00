//! Hand-built packets, a recording classifier and a driver for table tests.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use segscope_core::flow::{QuotedFlow, TunnelKind};
use segscope_core::{
    AppProto, Classification, Classify, Confidence, DirPayload, Endpoint, FlowMeta, FlowRecord,
    NameObservation, NameSource, Span, Timestamp, Transport,
};
use segscope_flow::{FlowConfig, FlowTable};
use segscope_wire::{Fragment, Packet, TcpInfo, TunnelHop, tcp_flags};

pub(crate) use segscope_wire::tcp_flags::{ACK, FIN, PSH, RST, SYN};

/// A parsed test address.
pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// An endpoint.
pub(crate) fn ep(s: &str, port: u16) -> Endpoint {
    Endpoint { ip: ip(s), port }
}

/// Seconds as a timestamp (from an arbitrary epoch in 2024).
pub(crate) fn t(secs: f64) -> Timestamp {
    Timestamp(1_700_000_000_000_000_000 + (secs * 1e9).round() as i64)
}

/// A packet under construction. `payload` is borrowed by the built packet.
#[derive(Clone, Debug)]
pub(crate) struct Pkt {
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    pub(crate) transport: Transport,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) tcp: TcpInfo,
    pub(crate) payload: Vec<u8>,
    pub(crate) payload_len: Option<u32>,
    pub(crate) vlan: Option<u16>,
    pub(crate) inner_vlan: Option<u16>,
    pub(crate) tunnel: Option<TunnelHop>,
    pub(crate) fragment: Fragment,
    pub(crate) quoted: Option<QuotedFlow>,
}

impl Pkt {
    fn base(transport: Transport, src: &str, sport: u16, dst: &str, dport: u16) -> Pkt {
        Pkt {
            src: ip(src),
            dst: ip(dst),
            transport,
            sport,
            dport,
            tcp: TcpInfo::default(),
            payload: Vec::new(),
            payload_len: None,
            vlan: None,
            inner_vlan: None,
            tunnel: None,
            fragment: Fragment::None,
            quoted: None,
        }
    }

    /// A TCP segment.
    pub(crate) fn tcp(
        src: &str,
        sport: u16,
        dst: &str,
        dport: u16,
        flags: u8,
        seq: u32,
        ack: u32,
    ) -> Pkt {
        let mut p = Pkt::base(Transport::TCP, src, sport, dst, dport);
        p.tcp = TcpInfo {
            seq,
            ack,
            flags,
            window: 65535,
        };
        p
    }

    /// A UDP datagram.
    pub(crate) fn udp(src: &str, sport: u16, dst: &str, dport: u16, payload: &[u8]) -> Pkt {
        Pkt::base(Transport::UDP, src, sport, dst, dport).data(payload)
    }

    /// An ICMP message (type and code in the port fields, as the decoder gives them).
    pub(crate) fn icmp(src: &str, dst: &str, icmp_type: u8, code: u8) -> Pkt {
        let transport = if src.contains(':') {
            Transport::ICMPV6
        } else {
            Transport::ICMP
        };
        Pkt::base(transport, src, u16::from(icmp_type), dst, u16::from(code))
    }

    /// Sets the payload.
    pub(crate) fn data(mut self, payload: &[u8]) -> Pkt {
        self.payload = payload.to_vec();
        self
    }

    /// Declares a payload longer than captured (snaplen).
    pub(crate) fn declared(mut self, len: u32) -> Pkt {
        self.payload_len = Some(len);
        self
    }

    /// Sets the advertised window.
    pub(crate) fn window(mut self, window: u16) -> Pkt {
        self.tcp.window = window;
        self
    }

    /// Sets VLAN tags.
    pub(crate) fn vlans(mut self, vlan: Option<u16>, inner: Option<u16>) -> Pkt {
        self.vlan = vlan;
        self.inner_vlan = inner;
        self
    }

    /// Wraps in a VXLAN tunnel with `vni`.
    pub(crate) fn vxlan(mut self, vni: u32) -> Pkt {
        self.tunnel = Some(TunnelHop {
            kind: TunnelKind::Vxlan,
            outer_src: ip("192.0.2.1"),
            outer_dst: ip("192.0.2.2"),
            id: Some(vni),
        });
        self
    }

    /// Sets the fragment position.
    pub(crate) fn frag(mut self, fragment: Fragment) -> Pkt {
        self.fragment = fragment;
        self
    }

    /// Quotes a flow (ICMP errors).
    pub(crate) fn quoting(mut self, src: Endpoint, dst: Endpoint, transport: Transport) -> Pkt {
        self.quoted = Some(QuotedFlow {
            src,
            dst,
            transport,
        });
        self
    }

    /// The reverse direction (addresses and ports swapped, same flags).
    pub(crate) fn reversed(&self) -> Pkt {
        let mut p = self.clone();
        std::mem::swap(&mut p.src, &mut p.dst);
        std::mem::swap(&mut p.sport, &mut p.dport);
        p
    }

    /// The decoded packet view.
    pub(crate) fn packet(&self) -> Packet<'_> {
        let header = match self.transport {
            Transport::TCP => 20,
            Transport::UDP | Transport::ICMP | Transport::ICMPV6 => 8,
            _ => 0,
        };
        let payload_len = self.payload_len.unwrap_or(self.payload.len() as u32);
        let ip_header = if self.src.is_ipv6() { 40 } else { 20 };
        Packet {
            src: self.src,
            dst: self.dst,
            transport: self.transport,
            src_port: self.sport,
            dst_port: self.dport,
            vlan: self.vlan,
            inner_vlan: self.inner_vlan,
            tunnels: [self.tunnel, None, None],
            ip_len: ip_header + header + payload_len,
            payload: &self.payload,
            payload_len,
            tcp: self.tcp,
            fragment: self.fragment,
            quoted: self.quoted,
        }
    }
}

/// What the recording classifier was given.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) meta: FlowMeta,
    pub(crate) client: Vec<u8>,
    pub(crate) client_datagrams: Vec<u32>,
    pub(crate) client_gap: bool,
    pub(crate) client_budget: bool,
    pub(crate) server: Vec<u8>,
    pub(crate) server_datagrams: Vec<u32>,
    pub(crate) server_gap: bool,
    pub(crate) server_budget: bool,
}

/// A classifier that remembers its calls and answers "TLS" when the client's payload starts
/// with a TLS handshake record byte (0x16), "unknown" otherwise.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) calls: Arc<Mutex<Vec<Call>>>,
}

impl Recorder {
    /// The calls so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Classify for Recorder {
    fn classify(
        &self,
        meta: &FlowMeta,
        client: DirPayload<'_>,
        server: DirPayload<'_>,
    ) -> Classification {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Call {
                meta: *meta,
                client: client.bytes.to_vec(),
                client_datagrams: client.datagrams.to_vec(),
                client_gap: client.gap,
                client_budget: client.budget_reached,
                server: server.bytes.to_vec(),
                server_datagrams: server.datagrams.to_vec(),
                server_gap: server.gap,
                server_budget: server.budget_reached,
            });
        }
        if client.bytes.first() == Some(&0x16) {
            Classification {
                app_proto: AppProto::Tls,
                app_confidence: Confidence::Payload,
                names: vec![NameObservation {
                    ip: meta.server.ip,
                    name: "example.org".to_string(),
                    source: NameSource::TlsSni,
                    ts: meta.first_ts,
                }],
                ..Classification::default()
            }
        } else {
            Classification::default()
        }
    }
}

/// A table with `cfg` and a recorder.
pub(crate) fn table(cfg: FlowConfig) -> (FlowTable<Recorder>, Recorder) {
    let rec = Recorder::default();
    let table = FlowTable::new(cfg, rec.clone(), vec![Arc::from("test.pcap")]);
    (table, rec)
}

/// Feeds `(time, packet)` pairs (frames numbered from 1), then flushes; returns every record.
pub(crate) fn run(
    cfg: FlowConfig,
    packets: &[(f64, Pkt)],
) -> (Vec<FlowRecord>, FlowTable<Recorder>, Recorder) {
    let (mut table, rec) = table(cfg);
    let mut out = Vec::new();
    for (i, (secs, p)) in packets.iter().enumerate() {
        table.process(t(*secs), 0, i as u64 + 1, &p.packet(), &mut out);
    }
    table.flush(&mut out);
    (out, table, rec)
}

/// The only record, or a panic naming how many there were.
pub(crate) fn one(records: &[FlowRecord]) -> &FlowRecord {
    assert_eq!(records.len(), 1, "expected one record, got {records:#?}");
    &records[0]
}

/// A fixed TCP conversation between a client and a server.
pub(crate) struct Conv {
    pub(crate) client: (&'static str, u16),
    pub(crate) server: (&'static str, u16),
    pub(crate) cseq: u32,
    pub(crate) sseq: u32,
}

impl Conv {
    /// 10.0.0.1:40000 → 10.0.0.2:443 with fixed initial sequence numbers.
    pub(crate) fn new() -> Conv {
        Conv {
            client: ("10.0.0.1", 40000),
            server: ("10.0.0.2", 443),
            cseq: 1000,
            sseq: 5000,
        }
    }

    /// A segment from the client with its sequence/ack numbers given relative to the ISNs.
    pub(crate) fn c(&self, flags: u8, rel_seq: u32, rel_ack: u32) -> Pkt {
        let ack = if flags & tcp_flags::ACK != 0 {
            self.sseq.wrapping_add(rel_ack)
        } else {
            0
        };
        Pkt::tcp(
            self.client.0,
            self.client.1,
            self.server.0,
            self.server.1,
            flags,
            self.cseq.wrapping_add(rel_seq),
            ack,
        )
    }

    /// A segment from the server.
    pub(crate) fn s(&self, flags: u8, rel_seq: u32, rel_ack: u32) -> Pkt {
        let ack = if flags & tcp_flags::ACK != 0 {
            self.cseq.wrapping_add(rel_ack)
        } else {
            0
        };
        Pkt::tcp(
            self.server.0,
            self.server.1,
            self.client.0,
            self.client.1,
            flags,
            self.sseq.wrapping_add(rel_seq),
            ack,
        )
    }
}

/// Default configuration with a shorter budget for readable tests.
pub(crate) fn cfg() -> FlowConfig {
    FlowConfig::default()
}

/// A span of seconds.
pub(crate) fn secs(s: i64) -> Span {
    Span::from_secs(s)
}
