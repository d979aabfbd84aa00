//! Conversations of the infrastructure family, byte-exact from the specifications: DNS (RFC 1035,
//! with compression pointers), mDNS (RFC 6762), LLMNR (RFC 4795), NetBIOS name and datagram
//! services (RFC 1002, MS-BRWS host announcements), DHCP (RFC 2131/2132/4702), DHCPv6 (RFC 8415,
//! 4704), NTP (RFC 5905), syslog (RFC 5424), SSDP (UPnP 1.1), NetFlow v5, IPFIX (RFC 7011),
//! sFlow v5, IKEv2 (RFC 7296), ESP in UDP (RFC 3948), WireGuard and OpenVPN (their protocol
//! documentation), and QUIC v1 (RFC 9000): a TLS 1.3 ClientHello (RFC 8446) in a client Initial
//! packet protected with rustls' implementation of RFC 9001 packet and header protection.
//!
//! Names these conversations bind are listed in [`expected_names`] so that tests can check the
//! classifier's name observations against what was built.

use rustls::Side;
use rustls::quic::{Keys, Version};
use segscope_core::{AppProto, AuthClass, Transport};

use super::cleartext::{c, conv, s};
use super::{Conversation, Turn};

/// Every labelled infra conversation.
pub fn conversations() -> Vec<Conversation> {
    let mut v = names();
    v.extend(services());
    v.extend(tunnels());
    v
}

/// The server address the conversation tests use for every flow (`accuracy.rs`).
pub const SERVER_ADDRESS_IN_TESTS: &str = "10.2.2.20";

/// (conversation, bound address, name) triples the name-bearing conversations must produce.
pub fn expected_names() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("dns-a-with-cname", "192.0.2.80", "www.example.com"),
        ("dns-a-with-cname", "192.0.2.80", "web.cdn.example.net"),
        ("dns-over-tcp-aaaa", "2001:db8::53", "ns1.example.org"),
        ("dns-ptr", "192.0.2.25", "mail.example.com"),
        ("mdns-announcement", "192.168.1.40", "printer.local"),
        ("llmnr-response", "192.168.1.41", "fileserver"),
        ("nbns-registration", "192.168.1.42", "WORKSTATION7"),
        ("netbios-browser-announcement", "192.168.1.43", "LAPTOP-KL"),
        ("dhcp-dora", "192.168.1.77", "laptop-kl"),
        (
            "dhcpv6-client-fqdn",
            "2001:db8::1:77",
            "laptop-kl.corp.example",
        ),
        (
            "quic-initial-v1",
            SERVER_ADDRESS_IN_TESTS,
            "quic.example.net",
        ),
    ]
}

fn udp(name: &str, port: u16, app: AppProto, auth: AuthClass, turns: Vec<Turn>) -> Conversation {
    conv(name, Transport::UDP, port, app, auth, turns)
}

// ---------------------------------------------------------------- DNS-format messages

/// A DNS message writer with RFC 1035 name compression.
struct DnsWriter {
    buf: Vec<u8>,
    names: Vec<(String, u16)>,
}

impl DnsWriter {
    fn new(id: u16, flags: u16, counts: [u16; 4]) -> DnsWriter {
        let mut buf = id.to_be_bytes().to_vec();
        buf.extend_from_slice(&flags.to_be_bytes());
        for n in counts {
            buf.extend_from_slice(&n.to_be_bytes());
        }
        DnsWriter {
            buf,
            names: Vec::new(),
        }
    }

    /// Writes `name`, pointing at an earlier suffix when one was written.
    fn name(&mut self, name: &str) {
        let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
        for i in 0..labels.len() {
            let suffix = labels[i..].join(".");
            if let Some((_, at)) = self.names.iter().find(|(n, _)| *n == suffix) {
                self.buf.extend_from_slice(&(0xc000 | at).to_be_bytes());
                return;
            }
            let at = self.buf.len() as u16;
            if at < 0x3fff {
                self.names.push((suffix, at));
            }
            self.buf.push(labels[i].len() as u8);
            self.buf.extend_from_slice(labels[i].as_bytes());
        }
        self.buf.push(0);
    }

    /// A raw (uncompressed) name, e.g. a NetBIOS encoded one.
    fn raw_name(&mut self, labels: &[&[u8]]) {
        for l in labels {
            self.buf.push(l.len() as u8);
            self.buf.extend_from_slice(l);
        }
        self.buf.push(0);
    }

    fn question(&mut self, name: &str, qtype: u16) {
        self.name(name);
        self.buf.extend_from_slice(&qtype.to_be_bytes());
        self.buf.extend_from_slice(&1u16.to_be_bytes());
    }

    fn record_header(&mut self, rtype: u16, class: u16, ttl: u32) {
        self.buf.extend_from_slice(&rtype.to_be_bytes());
        self.buf.extend_from_slice(&class.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
    }

    fn record(&mut self, name: &str, rtype: u16, class: u16, rdata: &[u8]) {
        self.name(name);
        self.record_header(rtype, class, 300);
        self.buf
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(rdata);
    }

    /// A record whose data is a (compressed) name: CNAME, PTR.
    fn name_record(&mut self, name: &str, rtype: u16, target: &str) {
        self.name(name);
        self.record_header(rtype, 1, 300);
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.name(target);
        let len = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }
}

/// NetBIOS first-level encoding (RFC 1001 §14.1) of a 15-character name and suffix.
pub fn netbios_encode(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = [b' '; 16];
    for (i, b) in name.bytes().take(15).enumerate() {
        raw[i] = b.to_ascii_uppercase();
    }
    raw[15] = suffix;
    raw.iter()
        .flat_map(|b| [b'A' + (b >> 4), b'A' + (b & 0x0f)])
        .collect()
}

fn names() -> Vec<Conversation> {
    // DNS query + answer with a CNAME chain, compressed names.
    let mut q = DnsWriter::new(0x1a2b, 0x0100, [1, 0, 0, 0]);
    q.question("www.example.com", 1);
    let mut a = DnsWriter::new(0x1a2b, 0x8180, [1, 2, 0, 0]);
    a.question("www.example.com", 1);
    a.name_record("www.example.com", 5, "web.cdn.example.net");
    a.record("web.cdn.example.net", 1, 1, &[192, 0, 2, 80]);

    // DNS over TCP: AAAA answer, length-prefixed messages.
    let mut tq = DnsWriter::new(7, 0x0100, [1, 0, 0, 0]);
    tq.question("ns1.example.org", 28);
    let mut ta = DnsWriter::new(7, 0x8580, [1, 1, 0, 0]);
    ta.question("ns1.example.org", 28);
    ta.record(
        "ns1.example.org",
        28,
        1,
        &[
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
        ],
    );
    let framed = |m: &[u8]| [&(m.len() as u16).to_be_bytes()[..], m].concat();

    // Reverse lookup.
    let mut pq = DnsWriter::new(9, 0x0100, [1, 0, 0, 0]);
    pq.question("25.2.0.192.in-addr.arpa", 12);
    let mut pa = DnsWriter::new(9, 0x8180, [1, 1, 0, 0]);
    pa.question("25.2.0.192.in-addr.arpa", 12);
    pa.name_record("25.2.0.192.in-addr.arpa", 12, "mail.example.com");

    // mDNS unsolicited announcement (cache-flush class bit set).
    let mut m = DnsWriter::new(0, 0x8400, [0, 1, 0, 0]);
    m.record("printer.local", 1, 0x8001, &[192, 168, 1, 40]);

    // LLMNR query and response.
    let mut lq = DnsWriter::new(0x4242, 0x0000, [1, 0, 0, 0]);
    lq.question("fileserver", 1);
    let mut la = DnsWriter::new(0x4242, 0x8000, [1, 1, 0, 0]);
    la.question("fileserver", 1);
    la.record("fileserver", 1, 1, &[192, 168, 1, 41]);

    // NBNS name registration request (opcode 5, broadcast): question + NB additional record.
    let encoded = netbios_encode("WORKSTATION7", 0x00);
    let mut nb = DnsWriter::new(0x8001, 0x2910, [1, 0, 0, 1]);
    nb.raw_name(&[&encoded, b"CORP"]);
    nb.buf.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]);
    nb.buf.extend_from_slice(&[0xc0, 0x0c]);
    nb.record_header(0x20, 1, 300_000);
    nb.buf
        .extend_from_slice(&[0x00, 0x06, 0x00, 0x00, 192, 168, 1, 42]);

    vec![
        udp(
            "dns-a-with-cname",
            53,
            AppProto::Dns,
            AuthClass::NotApplicable,
            vec![c(&q.buf), s(&a.buf)],
        ),
        conv(
            "dns-over-tcp-aaaa",
            Transport::TCP,
            53,
            AppProto::Dns,
            AuthClass::NotApplicable,
            vec![c(framed(&tq.buf)), s(framed(&ta.buf))],
        ),
        udp(
            "dns-ptr",
            53,
            AppProto::Dns,
            AuthClass::NotApplicable,
            vec![c(&pq.buf), s(&pa.buf)],
        ),
        udp(
            "mdns-announcement",
            5353,
            AppProto::Mdns,
            AuthClass::NotApplicable,
            vec![c(&m.buf)],
        ),
        udp(
            "llmnr-response",
            5355,
            AppProto::Llmnr,
            AuthClass::NotApplicable,
            vec![c(&lq.buf), s(&la.buf)],
        ),
        udp(
            "nbns-registration",
            137,
            AppProto::Nbns,
            AuthClass::NotApplicable,
            vec![c(&nb.buf)],
        ),
        udp(
            "netbios-browser-announcement",
            138,
            AppProto::NetbiosDgm,
            AuthClass::NotApplicable,
            vec![c(browser_announcement())],
        ),
        udp(
            "dhcp-dora",
            67,
            AppProto::Dhcp,
            AuthClass::NotApplicable,
            dhcp_dora(),
        ),
        udp(
            "dhcpv6-client-fqdn",
            547,
            AppProto::Dhcpv6,
            AuthClass::NotApplicable,
            vec![c(dhcpv6_request())],
        ),
    ]
}

/// A NetBIOS datagram (direct group, 0x11) carrying an SMB Transaction to the
/// `\\MAILSLOT\\BROWSE` mailslot with a browser HostAnnouncement (MS-BRWS 2.2.1).
fn browser_announcement() -> Vec<u8> {
    let mut frame = vec![0x01, 1];
    frame.extend_from_slice(&720_000u32.to_le_bytes());
    let mut server = b"LAPTOP-KL".to_vec();
    server.resize(16, 0);
    frame.extend_from_slice(&server);
    frame.extend_from_slice(&[10, 0]);
    frame.extend_from_slice(&0x0084_1003u32.to_le_bytes());
    frame.extend_from_slice(&[15, 1, 0x55, 0xaa, 0]);
    let mailslot = b"\\MAILSLOT\\BROWSE\0";
    let data_offset = (32 + 1 + 34 + 2 + mailslot.len()) as u16;
    let data_len = frame.len() as u16;
    let mut smb = b"\xffSMB\x25".to_vec();
    smb.extend_from_slice(&[0; 27]);
    smb.push(17);
    for word in [
        0,
        data_len,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        data_offset,
        data_len,
        data_offset,
        3,
        1,
        1,
        2,
    ] {
        smb.extend_from_slice(&word.to_le_bytes());
    }
    smb.extend_from_slice(&((mailslot.len() + frame.len()) as u16).to_le_bytes());
    smb.extend_from_slice(mailslot);
    smb.extend_from_slice(&frame);
    let source = netbios_encode("LAPTOP-KL", 0x00);
    let dest = netbios_encode("WORKGROUP", 0x1d);
    let mut names = Vec::new();
    for n in [&source, &dest] {
        names.push(32u8);
        names.extend_from_slice(n);
        names.push(0);
    }
    let mut d = vec![0x11, 0x02, 0x81, 0x7a, 192, 168, 1, 43, 0, 138];
    d.extend_from_slice(&((names.len() + smb.len()) as u16).to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&names);
    d.extend_from_slice(&smb);
    d
}

fn dhcp_message(
    op: u8,
    kind: u8,
    ciaddr: [u8; 4],
    yiaddr: [u8; 4],
    options: &[(u8, Vec<u8>)],
) -> Vec<u8> {
    let mut m = vec![op, 1, 6, 0];
    m.extend_from_slice(&0x3903_f326u32.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0x80, 0]);
    m.extend_from_slice(&ciaddr);
    m.extend_from_slice(&yiaddr);
    m.extend_from_slice(&[0; 8]);
    let mut chaddr = vec![0x00, 0x0c, 0x29, 0x3e, 0x53, 0xf7];
    chaddr.resize(16, 0);
    m.extend_from_slice(&chaddr);
    m.extend_from_slice(&[0; 192]);
    m.extend_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(&[53, 1, kind]);
    for (code, value) in options {
        m.push(*code);
        m.push(value.len() as u8);
        m.extend_from_slice(value);
    }
    m.push(255);
    m
}

fn dhcp_dora() -> Vec<Turn> {
    let host = (12u8, b"laptop-kl".to_vec());
    let server_id = (54u8, vec![192, 168, 1, 1]);
    vec![
        c(dhcp_message(
            1,
            1,
            [0; 4],
            [0; 4],
            &[host.clone(), (55, vec![1, 3, 6, 15])],
        )),
        s(dhcp_message(
            2,
            2,
            [0; 4],
            [192, 168, 1, 77],
            &[server_id.clone(), (51, 86_400u32.to_be_bytes().to_vec())],
        )),
        c(dhcp_message(
            1,
            3,
            [0; 4],
            [0; 4],
            &[host, (50, vec![192, 168, 1, 77]), server_id.clone()],
        )),
        s(dhcp_message(
            2,
            5,
            [0; 4],
            [192, 168, 1, 77],
            &[server_id, (51, 86_400u32.to_be_bytes().to_vec())],
        )),
    ]
}

fn dhcpv6_request() -> Vec<u8> {
    let mut m = vec![3, 0x12, 0x34, 0x56];
    let mut option = |code: u16, value: &[u8]| {
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(&(value.len() as u16).to_be_bytes());
        m.extend_from_slice(value);
    };
    option(
        1,
        &[
            0, 1, 0, 1, 0x2b, 0x3c, 0x4d, 0x5e, 0x00, 0x0c, 0x29, 0x3e, 0x53, 0xf7,
        ],
    );
    let mut iaaddr = vec![
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x77,
    ];
    iaaddr.extend_from_slice(&[0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20]);
    let mut ia_na = vec![0, 0, 0, 1, 0, 0, 0x07, 0x08, 0, 0, 0x0b, 0x40];
    ia_na.extend_from_slice(&5u16.to_be_bytes());
    ia_na.extend_from_slice(&(iaaddr.len() as u16).to_be_bytes());
    ia_na.extend_from_slice(&iaaddr);
    option(3, &ia_na);
    option(39, b"\x01\x09laptop-kl\x04corp\x07example\x00");
    m
}

// ---------------------------------------------------------------- services

fn services() -> Vec<Conversation> {
    let mut ntp_request = vec![0x23];
    ntp_request.extend_from_slice(&[0; 39]);
    ntp_request.extend_from_slice(&[0xe9, 0x4c, 0x3a, 0x10, 0x12, 0x34, 0x56, 0x78]);
    let mut ntp_reply = vec![0x24, 2, 6, 0xe9];
    ntp_reply.extend_from_slice(&[0; 36]);
    ntp_reply.extend_from_slice(&[0xe9, 0x4c, 0x3a, 0x10, 0x22, 0x33, 0x44, 0x55]);
    let mut v5 = vec![
        0, 5, 0, 1, 0, 0, 0x27, 0x10, 0x65, 0x5f, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0,
    ];
    let mut record = vec![
        10, 1, 1, 10, 10, 2, 2, 20, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 10, 0, 0, 0x05, 0xdc,
    ];
    record.extend_from_slice(&[
        0, 0, 0x27, 0x00, 0, 0, 0x27, 0x10, 0xc3, 0x50, 0x01, 0xbb, 0, 0x1b, 6, 0, 0, 0, 0, 0, 24,
        24, 0, 0,
    ]);
    v5.extend_from_slice(&record);
    let mut ipfix = vec![0, 10, 0, 0, 0x65, 0x5f, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
    ipfix.extend_from_slice(&[0, 2, 0, 12, 1, 0, 0, 1, 0, 8, 0, 4]);
    let len = ipfix.len() as u16;
    ipfix[2..4].copy_from_slice(&len.to_be_bytes());
    let mut sflow = vec![
        0, 0, 0, 5, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x27, 0x10, 0, 0, 0, 1,
    ];
    sflow.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2]);
    vec![
        udp(
            "ntp-client-server",
            123,
            AppProto::Ntp,
            AuthClass::NotApplicable,
            vec![c(ntp_request), s(ntp_reply)],
        ),
        udp(
            "syslog-udp",
            514,
            AppProto::Syslog,
            AuthClass::NotApplicable,
            vec![c(
                "<165>1 2024-01-01T10:00:00.000Z web01 sshd 2211 - - Accepted publickey for deploy",
            )],
        ),
        udp(
            "ssdp-msearch",
            1900,
            AppProto::Ssdp,
            AuthClass::NotApplicable,
            vec![c(
                "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n",
            )],
        ),
        udp(
            "netflow-v5-export",
            2055,
            AppProto::Netflow,
            AuthClass::NotApplicable,
            vec![c(v5)],
        ),
        udp(
            "ipfix-export",
            4739,
            AppProto::Netflow,
            AuthClass::NotApplicable,
            vec![c(ipfix)],
        ),
        udp(
            "sflow-v5-export",
            6343,
            AppProto::Sflow,
            AuthClass::NotApplicable,
            vec![c(sflow)],
        ),
    ]
}

// ---------------------------------------------------------------- tunnels and QUIC

fn ike_sa_init(response: bool) -> Vec<u8> {
    let mut m = vec![0x8a, 0x3f, 0x11, 0x02, 0x5c, 0x9e, 0x47, 0x21];
    m.extend_from_slice(if response {
        &[0x61, 0x1d, 0x0e, 0x93, 0x2a, 0x7b, 0x44, 0x08]
    } else {
        &[0; 8]
    });
    m.extend_from_slice(&[33, 0x20, 34, if response { 0x20 } else { 0x08 }, 0, 0, 0, 0]);
    // SA payload: one IKE proposal with ENCR AES-GCM-16 (256-bit key), PRF HMAC-SHA256, DH 19.
    let sa = [
        34, 0, 0, 40, 0, 0, 0, 36, 1, 1, 0, 3, 3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 1, 0, 3, 0, 0,
        8, 2, 0, 0, 5, 0, 0, 0, 8, 4, 0, 0, 19,
    ];
    let mut payloads = sa.to_vec();
    let mut ke = vec![40, 0, 0, 72, 0, 19, 0, 0];
    ke.extend_from_slice(&[0x42; 64]);
    payloads.extend_from_slice(&ke);
    let mut nonce = vec![0, 0, 0, 36];
    nonce.extend_from_slice(&[0x17; 32]);
    payloads.extend_from_slice(&nonce);
    m.extend_from_slice(&((28 + payloads.len()) as u32).to_be_bytes());
    m.extend_from_slice(&payloads);
    m
}

fn tunnels() -> Vec<Conversation> {
    let wg = |kind: u8, len: usize| {
        let mut m = vec![kind, 0, 0, 0];
        m.extend((4..len).map(|i| (i * 7 + usize::from(kind)) as u8));
        m
    };
    let mut esp = vec![0x00, 0x00, 0x10, 0x01, 0, 0, 0, 1];
    esp.extend_from_slice(&[0x3c; 56]);
    let mut nat_t = vec![0, 0, 0, 0];
    nat_t.extend(ike_sa_init(false));
    let mut ovpn_client = vec![0x38, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88];
    ovpn_client.extend_from_slice(&[0, 0, 0, 0, 0]);
    let mut ovpn_server = vec![
        0x40, 0x91, 0x82, 0x73, 0x64, 0x55, 0x46, 0x37, 0x28, 1, 0, 0, 0, 0,
    ];
    ovpn_server.extend_from_slice(&[0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88, 0, 0, 0, 0]);
    vec![
        udp(
            "ikev2-sa-init",
            500,
            AppProto::Ike,
            AuthClass::EncryptedOther,
            vec![c(ike_sa_init(false)), s(ike_sa_init(true))],
        ),
        udp(
            "ikev2-nat-t-4500",
            4500,
            AppProto::Ike,
            AuthClass::EncryptedOther,
            vec![c(nat_t)],
        ),
        udp(
            "esp-in-udp-4500",
            4500,
            AppProto::Esp,
            AuthClass::EncryptedOther,
            vec![c(&esp), s(&esp)],
        ),
        udp(
            "wireguard-handshake",
            51820,
            AppProto::Wireguard,
            AuthClass::EncryptedOther,
            vec![c(wg(1, 148)), s(wg(2, 92)), c(wg(4, 32 + 64))],
        ),
        udp(
            "openvpn-udp-hard-reset",
            1194,
            AppProto::Openvpn,
            AuthClass::EncryptedOther,
            vec![c(ovpn_client), s(ovpn_server)],
        ),
        udp(
            "quic-initial-v1",
            443,
            AppProto::Quic,
            AuthClass::TlsClientAuthUnknown,
            vec![c(quic_initial())],
        ),
    ]
}

/// A TLS 1.3 ClientHello (RFC 8446 §4.1.2) with SNI, ALPN h3 and QUIC transport parameters.
fn quic_client_hello() -> Vec<u8> {
    let ext = |kind: u16, data: &[u8]| {
        let mut e = kind.to_be_bytes().to_vec();
        e.extend_from_slice(&(data.len() as u16).to_be_bytes());
        e.extend_from_slice(data);
        e
    };
    let sni_name = b"quic.example.net";
    let mut sni = ((sni_name.len() + 3) as u16).to_be_bytes().to_vec();
    sni.push(0);
    sni.extend_from_slice(&(sni_name.len() as u16).to_be_bytes());
    sni.extend_from_slice(sni_name);
    let mut key_share = vec![0, 36, 0, 0x1d, 0, 32];
    key_share.extend_from_slice(&[0x35; 32]);
    let extensions = [
        ext(0, &sni),
        ext(10, &[0, 2, 0, 0x1d]),
        ext(13, &[0, 4, 0x04, 0x03, 0x08, 0x04]),
        ext(16, &[0, 3, 2, b'h', b'3']),
        ext(43, &[2, 0x03, 0x04]),
        ext(51, &key_share),
        ext(57, &[0x04, 0x04, 0x80, 0x10, 0x00, 0x00]),
    ]
    .concat();
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x5a; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 2, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    hs
}

/// A client Initial packet (RFC 9000 §17.2.2) padded to 1200 bytes, protected with rustls'
/// QUIC v1 initial keys.
fn quic_initial() -> Vec<u8> {
    let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    let scid = [0xc1, 0x01];
    let hello = quic_client_hello();
    let mut frames = vec![0x06, 0x00];
    frames.extend_from_slice(&(0x4000u16 | hello.len() as u16).to_be_bytes());
    frames.extend_from_slice(&hello);
    let pn: u32 = 0;
    let pn_len = 4usize;
    let tag_len = 16usize;
    let mut header = vec![0xc0 | (pn_len as u8 - 1)];
    header.extend_from_slice(&1u32.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(&dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(&scid);
    header.push(0); // token length
    let fixed = header.len() + 2 + pn_len + tag_len;
    frames.resize(1200 - fixed, 0); // PADDING frames
    let length = (pn_len + frames.len() + tag_len) as u16;
    header.extend_from_slice(&(0x4000 | length).to_be_bytes());
    let pn_offset = header.len();
    header.extend_from_slice(&pn.to_be_bytes());
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .and_then(|s| s.quic_suite())
        .expect("ring provides the QUIC AES-128-GCM suite");
    let keys: Keys = suite.keys(&dcid, Side::Client, Version::V1);
    let mut payload = frames;
    let tag = keys
        .local
        .packet
        .encrypt_in_place(u64::from(pn), &header, &mut payload)
        .expect("QUIC packet encrypts");
    payload.extend_from_slice(tag.as_ref());
    let mut packet = header;
    packet.extend_from_slice(&payload);
    let sample: Vec<u8> = packet[pn_offset + 4..pn_offset + 20].to_vec();
    let (first, rest) = packet.split_at_mut(1);
    keys.local
        .header
        .encrypt_in_place(
            &sample,
            &mut first[0],
            &mut rest[pn_offset - 1..pn_offset - 1 + pn_len],
        )
        .expect("QUIC header protection applies");
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netbios_first_level_encoding_matches_rfc1001() {
        // RFC 1001 §14.1: "FRED" → "EGFCEFEECACACACACACACACACACACACA" (suffix 0x20 = "CA").
        assert_eq!(
            netbios_encode("FRED", 0x20),
            b"EGFCEFEECACACACACACACACACACACACA"
        );
    }

    #[test]
    fn dns_names_are_compressed() {
        let mut w = DnsWriter::new(1, 0x8180, [1, 1, 0, 0]);
        w.question("www.example.com", 1);
        w.record("www.example.com", 1, 1, &[1, 2, 3, 4]);
        // The answer's owner is a pointer to offset 12 (the question name).
        assert_eq!(&w.buf[33..35], &[0xc0, 0x0c]);
        assert_eq!(w.buf.len(), 12 + 21 + 16);
    }

    #[test]
    fn quic_initial_is_a_padded_long_header_packet() {
        let p = quic_initial();
        assert_eq!(p.len(), 1200);
        assert_eq!(p[0] & 0xf0, 0xc0);
        assert_eq!(&p[1..5], &[0, 0, 0, 1]);
        assert_eq!(
            expected_names()
                .iter()
                .filter(|(n, ..)| *n == "quic-initial-v1")
                .count(),
            1
        );
    }
}
