//! Names the traffic reveals about addresses, with where each was learned.
//!
//! A name is bound to an address at a time, because addresses are reused (DHCP leases, pods):
//! the graph stage turns observations into time windows.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Where a name was learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// A DNS answer (A/AAAA record, or PTR).
    DnsAnswer,
    /// DHCP option 12 (host name) or 81 (FQDN) from the client.
    DhcpHostname,
    /// NetBIOS name service registration or answer, or a browser announcement.
    Netbios,
    /// LLMNR answer.
    Llmnr,
    /// mDNS answer.
    Mdns,
    /// Kerberos client or service principal.
    KerberosPrincipal,
    /// TLS Server Name Indication.
    TlsSni,
    /// Server or client certificate subject/SAN.
    TlsCertificate,
    /// SMB tree path host or NTLM target/workstation name.
    SmbHost,
    /// HTTP Host header.
    HttpHost,
    /// Inventory file (not learned from traffic).
    Inventory,
}

impl fmt::Display for NameSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            NameSource::DnsAnswer => "dns_answer",
            NameSource::DhcpHostname => "dhcp_hostname",
            NameSource::Netbios => "netbios",
            NameSource::Llmnr => "llmnr",
            NameSource::Mdns => "mdns",
            NameSource::KerberosPrincipal => "kerberos_principal",
            NameSource::TlsSni => "tls_sni",
            NameSource::TlsCertificate => "tls_certificate",
            NameSource::SmbHost => "smb_host",
            NameSource::HttpHost => "http_host",
            NameSource::Inventory => "inventory",
        };
        f.write_str(s)
    }
}

/// "Address `ip` was called `name` at `ts`, as `source` showed."
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NameObservation {
    /// The address named.
    pub ip: IpAddr,
    /// The name, lower-cased for DNS-like names.
    pub name: String,
    /// Where it was learned.
    pub source: NameSource,
    /// When.
    pub ts: Timestamp,
}
