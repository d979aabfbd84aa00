//! The infrastructure family on real captures from public projects: UDP (and TCP) streams are
//! extracted with `tshark -z follow,…,raw` and classified; protocols, verdicts and the names
//! learned are checked against the captures' Zeek logs and against tshark's own dissection
//! (an independent parser). Every test skips (with a `SKIP` line) when the captures or tshark
//! are absent.

use std::collections::BTreeSet;
mod common;

use common::{all_streams, show};

use segscope_core::names::NameSource;
use segscope_core::{AppProto, AuthClass, Classification, Transport};
use segscope_gen::testdata::{real_capture, tshark_fields};

/// (address, name, source) of every name a set of flows revealed.
fn names_of(flows: &[(u32, Classification)]) -> BTreeSet<(String, String, NameSource)> {
    flows
        .iter()
        .flat_map(|(_, c)| {
            c.names
                .iter()
                .map(|n| (n.ip.to_string(), n.name.clone(), n.source))
        })
        .collect()
}

/// Rows of a Zeek TSV log as maps from field name to value.
fn zeek_rows(rel: &str) -> Option<Vec<std::collections::BTreeMap<String, String>>> {
    let path = real_capture(rel)?;
    let text = std::fs::read_to_string(path).ok()?;
    let fields: Vec<String> = text
        .lines()
        .find_map(|l| l.strip_prefix("#fields\t"))?
        .split('\t')
        .map(str::to_owned)
        .collect();
    Some(
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                fields
                    .iter()
                    .cloned()
                    .zip(l.split('\t').map(str::to_owned))
                    .collect()
            })
            .collect(),
    )
}

/// Zeek dns.log (flip): one response for us.v27.distributed.net with 8 A answers; each answer
/// names its address. The capture holds only the response, so direction is ambiguous (both
/// ports 53): the names do not depend on it.
#[test]
fn dns53_answers_match_zeek() {
    let Some(flows) = all_streams("zeek/dns53.pcap", Transport::UDP, Some(53)) else {
        return;
    };
    let Some(rows) = zeek_rows("zeek/dns53.zeek-dns.log") else {
        return;
    };
    assert_eq!(flows.len(), 1);
    let (_, c) = &flows[0];
    assert_eq!(
        (c.app_proto, c.auth),
        (AppProto::Dns, AuthClass::NotApplicable),
        "{}",
        show(c)
    );
    let ours = names_of(&flows);
    let answers: Vec<String> = rows[0]["answers"].split(',').map(str::to_owned).collect();
    assert_eq!(answers.len(), 8);
    for a in &answers {
        assert!(
            ours.contains(&(a.clone(), rows[0]["query"].clone(), NameSource::DnsAnswer)),
            "{a} missing from {ours:?}"
        );
    }
    // The response also carries NS glue records (A records in the additional section), which
    // Zeek's `answers` column leaves out: those names are kept too.
    assert!(ours.len() >= answers.len());
}

/// Zeek dns.log (GRE tunnel): queries for www.gleeble.org without answers.
#[test]
fn gre_tunnel_dns_queries() {
    let Some(flows) = all_streams("zeek/tunnels-gre-sample.pcap", Transport::UDP, Some(53)) else {
        return;
    };
    let dns: Vec<_> = flows
        .iter()
        .filter(|(_, c)| c.app_proto == AppProto::Dns)
        .collect();
    assert!(
        !dns.is_empty(),
        "{:#?}",
        flows.iter().map(|(_, c)| show(c)).collect::<Vec<_>>()
    );
    for (_, c) in &dns {
        assert_eq!(c.auth, AuthClass::NotApplicable);
        assert!(
            c.evidence.reason.contains("www.gleeble.org"),
            "{}",
            c.evidence.reason
        );
        assert!(c.names.is_empty(), "no answers, no names");
    }
}

/// Zeek dhcp.log: host btest.is.cool assigned 128.2.6.189. The client's broadcasts form one flow
/// (DISCOVER, two REQUESTs, DECLINE, INFORM) and the server's answers others, so the REQUEST for
/// 192.168.211.194 — NAKed in another flow — binds the name as well: a known difference (Zeek
/// correlates transactions across connections by xid).
#[test]
fn dhcp_host_names_match_zeek() {
    let Some(flows) = all_streams("zeek/dhcp-dhcp.pcap", Transport::UDP, Some(67)) else {
        return;
    };
    for (_, c) in &flows {
        assert_eq!(
            (c.app_proto, c.auth),
            (AppProto::Dhcp, AuthClass::NotApplicable),
            "{}",
            show(c)
        );
    }
    let ours = names_of(&flows);
    assert!(
        ours.contains(&(
            "128.2.6.189".to_owned(),
            "btest.is.cool".to_owned(),
            NameSource::DhcpHostname
        )),
        "{ours:?}"
    );
    let Some(flows) = all_streams(
        "chrissanders/dhcp_nolease_initialization.pcapng",
        Transport::UDP,
        Some(67),
    ) else {
        return;
    };
    // tshark: REQUEST from ubuntu2 for 192.168.1.10, ACK with yiaddr 192.168.1.10.
    assert_eq!(
        names_of(&flows),
        BTreeSet::from([(
            "192.168.1.10".to_owned(),
            "ubuntu2".to_owned(),
            NameSource::DhcpHostname
        )])
    );
}

/// Zeek ntp.log: client/server exchanges with many servers; every flow is NTP (infrastructure).
#[test]
fn ntp_flows_match_zeek() {
    let Some(flows) = all_streams("zeek/ntp-ntp.pcap", Transport::UDP, Some(123)) else {
        return;
    };
    let Some(rows) = zeek_rows("zeek/ntp-ntp.zeek-ntp.log") else {
        return;
    };
    let zeek_conns: BTreeSet<&String> = rows.iter().map(|r| &r["uid"]).collect();
    assert_eq!(flows.len(), zeek_conns.len());
    let mut versions = BTreeSet::new();
    for (_, c) in &flows {
        assert_eq!(
            (c.app_proto, c.auth),
            (AppProto::Ntp, AuthClass::NotApplicable),
            "{}",
            show(c)
        );
        versions.insert(c.evidence.reason.get(4..5).unwrap_or("?").to_owned());
    }
    let zeek_versions: BTreeSet<String> = rows.iter().map(|r| r["version"].clone()).collect();
    assert_eq!(versions, zeek_versions);
}

/// Zeek quic.log/ssl.log: QUIC v1 from Chromium, SNI api.cirrus-ci.com, ALPN h3; QUIC v2 to
/// 127.0.0.1 (Zeek: no server_name). Both TLS 1.3: client authentication unknown.
#[test]
fn quic_initials_match_zeek() {
    let cases = [
        (
            "zeek/quic-chromium-115.0.5790.110-api-cirrus-com.pcap",
            "zeek/quic-chromium-115.0.5790.110-api-cirrus-com.zeek-ssl.log",
            "QUIC v1",
        ),
        (
            "zeek/quic-quicv2-http3-443.pcap",
            "zeek/quic-quicv2-http3-443.zeek-ssl.log",
            "QUIC v2",
        ),
    ];
    for (pcap, log, version) in cases {
        let Some(flows) = all_streams(pcap, Transport::UDP, Some(443)) else {
            return;
        };
        let Some(rows) = zeek_rows(log) else { return };
        assert_eq!(flows.len(), 1, "{pcap}");
        let (_, c) = &flows[0];
        assert_eq!(
            (c.app_proto, c.auth),
            (AppProto::Quic, AuthClass::TlsClientAuthUnknown),
            "{}",
            show(c)
        );
        assert!(
            c.evidence.reason.starts_with(version),
            "{}",
            c.evidence.reason
        );
        let tls = c.evidence.tls.as_ref().expect("tls facts");
        let zeek_sni = rows[0]["server_name"].clone();
        assert_eq!(
            tls.sni.clone().unwrap_or_else(|| "-".to_owned()),
            zeek_sni,
            "{pcap}: {}",
            c.evidence.reason
        );
        assert!(
            c.evidence.reason.contains("ClientHello decrypted"),
            "{}",
            c.evidence.reason
        );
    }
    let Some(rows) = zeek_rows("zeek/quic-chromium-115.0.5790.110-api-cirrus-com.zeek-quic.log")
    else {
        return;
    };
    let Some(flows) = all_streams(
        "zeek/quic-chromium-115.0.5790.110-api-cirrus-com.pcap",
        Transport::UDP,
        Some(443),
    ) else {
        return;
    };
    let alpn = &flows[0].1.evidence.tls.as_ref().expect("tls").alpn_offered;
    assert!(alpn.contains(&rows[0]["client_protocol"]), "{alpn:?}");
}

/// tcpdump quic_handshake_truncated: packets cut by the snap length; recognised as QUIC, never a
/// crash, and no SNI invented.
#[test]
fn truncated_quic_is_still_quic() {
    let Some(flows) = all_streams(
        "tcpdump/quic_handshake_truncated.pcap",
        Transport::UDP,
        Some(443),
    ) else {
        return;
    };
    assert!(!flows.is_empty());
    for (_, c) in &flows {
        assert_eq!(c.app_proto, AppProto::Quic, "{}", show(c));
    }
}

/// suricata-verify smb2-ntlmssp-negotiateflags: the NetBIOS registrations and DHCP requests of
/// two Windows 10 hosts. tshark's dissection (an independent parser) gives the expected
/// (name, address) pairs: every unique workstation/server registration and every DHCP host name
/// with its requested address.
#[test]
fn windows_lan_names_match_tshark() {
    let rel = "suricata-verify/smb2-ntlmssp-negotiateflags.pcap";
    let Some(flows) = all_streams(rel, Transport::UDP, None) else {
        return;
    };
    let Some(file) = real_capture(rel) else {
        return;
    };
    let ours = names_of(&flows);
    let Some(nb) = tshark_fields(
        &file,
        Some("nbns.flags.opcode == 5 && nbns.nb_flags.group == 0"),
        &["nbns.name", "nbns.addr"],
    ) else {
        return;
    };
    let mut expected = BTreeSet::new();
    for row in nb {
        let (Some(name), Some(addr)) = (row.first(), row.get(1)) else {
            continue;
        };
        let name = name.split(',').next().unwrap_or("");
        if let Some(host) = name
            .strip_suffix("<00>")
            .or_else(|| name.strip_suffix("<20>"))
        {
            expected.insert((addr.clone(), host.to_owned(), NameSource::Netbios));
        }
    }
    let Some(dhcp) = tshark_fields(
        &file,
        Some("dhcp.option.dhcp == 3"),
        &["dhcp.option.hostname", "dhcp.option.requested_ip_address"],
    ) else {
        return;
    };
    for row in dhcp {
        if let (Some(host), Some(addr)) = (row.first(), row.get(1)) {
            expected.insert((
                addr.clone(),
                host.to_ascii_lowercase(),
                NameSource::DhcpHostname,
            ));
        }
    }
    assert!(expected.len() >= 4, "{expected:?}");
    for e in &expected {
        assert!(ours.contains(e), "{e:?} missing from {ours:?}");
    }
    let apps: BTreeSet<AppProto> = flows.iter().map(|(_, c)| c.app_proto).collect();
    for app in [
        AppProto::Nbns,
        AppProto::Llmnr,
        AppProto::Dhcp,
        AppProto::Dhcpv6,
        AppProto::Ssdp,
    ] {
        assert!(apps.contains(&app), "{app} not found in {apps:?}");
    }
    for (_, c) in &flows {
        if [
            AppProto::Nbns,
            AppProto::Llmnr,
            AppProto::Dhcp,
            AppProto::Dhcpv6,
            AppProto::Ssdp,
            AppProto::Dns,
        ]
        .contains(&c.app_proto)
        {
            assert_eq!(c.auth, AuthClass::NotApplicable, "{}", show(c));
        }
    }
}

/// Zeek erspan: the inner LAN's DNS (tshark: the responses for www.xkcd.com and the PTR query
/// for 192.168.69.2 carry no answer records, so no DNS name may be learned) and the DHCPv6
/// client FQDN TFDSP.sp.local.
#[test]
fn erspan_inner_dns_and_dhcpv6_names() {
    let rel = "zeek/erspan.pcap";
    let Some(flows) = all_streams(rel, Transport::UDP, None) else {
        return;
    };
    let Some(file) = real_capture(rel) else {
        return;
    };
    let ours = names_of(&flows);
    let Some(rows) = tshark_fields(
        &file,
        Some("dns.flags.response == 1"),
        &["dns.resp.name", "dns.a", "dns.aaaa"],
    ) else {
        return;
    };
    let mut expected = BTreeSet::new();
    for row in rows {
        let names: Vec<&str> = row
            .first()
            .map(|n| n.split(',').collect())
            .unwrap_or_default();
        for addr in row
            .iter()
            .skip(1)
            .flat_map(|a| a.split(','))
            .filter(|a| !a.is_empty())
        {
            for n in &names {
                expected.insert((
                    addr.to_owned(),
                    n.to_ascii_lowercase(),
                    NameSource::DnsAnswer,
                ));
            }
        }
    }
    let dns_names: BTreeSet<_> = ours
        .iter()
        .filter(|(_, _, s)| *s == NameSource::DnsAnswer)
        .cloned()
        .collect();
    assert!(
        dns_names.is_subset(&expected)
            && expected
                .iter()
                .all(|e| dns_names.iter().any(|d| d.0 == e.0)),
        "{dns_names:?} vs {expected:?}"
    );
    let dns: Vec<_> = flows
        .iter()
        .filter(|(_, c)| c.app_proto == AppProto::Dns)
        .collect();
    assert!(!dns.is_empty());
    assert!(dns.iter().all(|(_, c)| c.auth == AuthClass::NotApplicable));
    assert!(
        ours.iter()
            .any(|(_, n, s)| n == "tfdsp.sp.local" && *s == NameSource::DhcpHostname),
        "DHCPv6 FQDN missing: {ours:?}"
    );
    let apps: BTreeSet<AppProto> = flows.iter().map(|(_, c)| c.app_proto).collect();
    for app in [AppProto::Nbns, AppProto::Llmnr, AppProto::Dhcpv6] {
        assert!(apps.contains(&app), "{app} not found in {apps:?}");
    }
}
