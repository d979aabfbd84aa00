//! The enterprise family: SMB 1/2/3, NTLMSSP, Kerberos, GSS-API/SPNEGO, DCE-RPC, LDAP, RDP and
//! SSH. Other families call [`gss::GssAuth`] for tokens carried in HTTP, LDAP or SASL.
//!
//! Every parser here reads borrowed bytes through [`crate::bytes::Reader`] (or the rusticata
//! `kerberos-parser`/`ldap-parser` crates) and returns `None` or counts a malformed message
//! instead of panicking. Probes look only at the first bytes of each direction; analysis parses
//! the whole retained payload.

pub mod dcerpc;
pub mod gss;
pub mod krb;
pub mod ldap;
pub mod ntlmssp;
pub mod rdp;
pub mod smb;
pub mod ssh;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use segscope_core::{
    Classification, Classify, DirPayload, Endpoint, FlowMeta, Timestamp, Transport,
};
use segscope_rules::RuleSource;

use crate::Classifier;
use crate::probe::Probe;

/// The enterprise family's probes, most specific first.
pub(crate) static PROBES: &[&dyn Probe] = &[
    &smb::SmbProbe,
    &krb::KerberosProbe,
    &dcerpc::DcerpcProbe,
    &rdp::RdpProbe,
    &ssh::SshProbe,
    &ldap::LdapProbe,
];

/// Classifies `data` as one flow to `port`, for fuzz targets that drive a probe and its analysis
/// end to end: the first two bytes (big-endian) give the length of the client's bytes, the rest
/// is the server's. Over UDP each side is one datagram.
pub fn classify_for_fuzzing(data: &[u8], transport: Transport, port: u16) -> Classification {
    static CLASSIFIER: OnceLock<Option<Classifier>> = OnceLock::new();
    let Some(classifier) = CLASSIFIER.get_or_init(|| {
        RuleSource::embedded()
            .protocols()
            .ok()
            .map(|rules| Classifier::new(Arc::new(rules)))
    }) else {
        return Classification::default();
    };
    let (head, rest) = data.split_at(data.len().min(2));
    let split = match head {
        [a, b] => usize::from(u16::from_be_bytes([*a, *b])).min(rest.len()),
        _ => 0,
    };
    let (client, server) = rest.split_at(split);
    let endpoint = |last: u8, port: u16| Endpoint {
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
        port,
    };
    let meta = FlowMeta {
        transport,
        client: endpoint(1, 49_152),
        server: endpoint(2, port),
        direction_inferred: false,
        first_ts: Timestamp(0),
        last_ts: Timestamp(0),
        server_answered: !server.is_empty(),
    };
    let udp = transport == Transport::UDP;
    let c_len = [u32::try_from(client.len()).unwrap_or(u32::MAX)];
    let s_len = [u32::try_from(server.len()).unwrap_or(u32::MAX)];
    classifier.classify(
        &meta,
        DirPayload {
            bytes: client,
            datagrams: if udp && !client.is_empty() {
                &c_len
            } else {
                &[]
            },
            ..DirPayload::default()
        },
        DirPayload {
            bytes: server,
            datagrams: if udp && !server.is_empty() {
                &s_len
            } else {
                &[]
            },
            ..DirPayload::default()
        },
    )
}

#[cfg(test)]
mod conversation_tests;
