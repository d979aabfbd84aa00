//! What a flow is and how (or whether) its peers authenticated, with the evidence behind it.
//!
//! The verdict ([`AuthClass`]) is deliberately coarse so that metrics can count it; the evidence
//! ([`AuthEvidence`]) is detailed so that an assessor can check it. Secrets never enter these
//! types: a password or community string is recorded only as "seen, N bytes long".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The authentication verdict of a flow: exactly one of these values.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum AuthClass {
    /// TLS where the client presented a certificate (seen in clear, or decrypted with a key log).
    Mtls,
    /// TLS where the client did not authenticate with a certificate: none requested, or the
    /// client answered a request with an empty Certificate.
    TlsServerOnly,
    /// TLS 1.3 or a resumed session: client authentication is encrypted and cannot be judged
    /// from the wire. Never reported as "no mTLS".
    TlsClientAuthUnknown,
    /// SSH (both sides authenticate; the method is encrypted).
    Ssh,
    /// Kerberos authentication (AS/TGS exchanges or AP-REQ inside SMB, LDAP, DCE-RPC, HTTP).
    Kerberos,
    /// NTLM authentication.
    Ntlm,
    /// Encrypted without a visible TLS handshake: IPsec ESP, WireGuard, OpenVPN, RDP standard
    /// security, SMB3 encryption without a visible session setup.
    EncryptedOther,
    /// Credentials crossed the wire in clear.
    CleartextCredentials,
    /// A cleartext application protocol where no authentication happened.
    CleartextUnauthenticated,
    /// Infrastructure where authentication is not expected (DNS, DHCP, NTP, ICMP…; the list is
    /// in `rules/protocols.yaml`).
    NotApplicable,
    /// Opaque or unparsed traffic, and TCP attempts that carried no payload. Kept apart from
    /// the encrypted classes.
    #[default]
    Unknown,
}

impl AuthClass {
    /// All values in report order.
    pub const ALL: [AuthClass; 11] = [
        AuthClass::Mtls,
        AuthClass::TlsServerOnly,
        AuthClass::TlsClientAuthUnknown,
        AuthClass::Ssh,
        AuthClass::Kerberos,
        AuthClass::Ntlm,
        AuthClass::EncryptedOther,
        AuthClass::CleartextCredentials,
        AuthClass::CleartextUnauthenticated,
        AuthClass::NotApplicable,
        AuthClass::Unknown,
    ];

    /// Position in [`AuthClass::ALL`], for dense counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthClass::Mtls => "mtls",
            AuthClass::TlsServerOnly => "tls_server_only",
            AuthClass::TlsClientAuthUnknown => "tls_client_auth_unknown",
            AuthClass::Ssh => "ssh",
            AuthClass::Kerberos => "kerberos",
            AuthClass::Ntlm => "ntlm",
            AuthClass::EncryptedOther => "encrypted_other",
            AuthClass::CleartextCredentials => "cleartext_credentials",
            AuthClass::CleartextUnauthenticated => "cleartext_unauthenticated",
            AuthClass::NotApplicable => "not_applicable",
            AuthClass::Unknown => "unknown",
        }
    }

    /// True when the traffic is protected in transit (TLS of any kind, SSH, IPsec…). Kerberos
    /// and NTLM authenticate but do not by themselves encrypt the session, so they are not.
    pub fn is_encrypted(self) -> bool {
        matches!(
            self,
            AuthClass::Mtls
                | AuthClass::TlsServerOnly
                | AuthClass::TlsClientAuthUnknown
                | AuthClass::Ssh
                | AuthClass::EncryptedOther
        )
    }

    /// True when the peers are known to have authenticated each other (or the client to the
    /// server) with something stronger than a cleartext secret.
    pub fn is_authenticated(self) -> bool {
        matches!(
            self,
            AuthClass::Mtls | AuthClass::Ssh | AuthClass::Kerberos | AuthClass::Ntlm
        )
    }

    /// True for the two cleartext classes.
    pub fn is_cleartext(self) -> bool {
        matches!(
            self,
            AuthClass::CleartextCredentials | AuthClass::CleartextUnauthenticated
        )
    }
}

impl fmt::Display for AuthClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown auth class {s:?}"))
    }
}

/// How an application protocol was identified.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A probe recognised the protocol in the payload.
    Payload,
    /// Only the server port suggested it (no payload, or payload no probe recognised).
    PortHint,
    /// Nothing is known.
    #[default]
    None,
}

impl Confidence {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Payload => "payload",
            Confidence::PortHint => "port_hint",
            Confidence::None => "none",
        }
    }
}

macro_rules! app_protos {
    ($( $(#[$m:meta])* $v:ident => $s:literal ),+ $(,)?) => {
        /// Application protocol of a flow. The names are the values used in JSON and in the
        /// `rules/` files.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub enum AppProto {
            $( $(#[$m])* $v, )+
        }

        impl AppProto {
            /// Every protocol segscope knows by name.
            pub const ALL: &'static [AppProto] = &[ $( AppProto::$v, )+ ];

            /// The name used in JSON and rules.
            pub fn as_str(self) -> &'static str {
                match self { $( AppProto::$v => $s, )+ }
            }
        }

        impl FromStr for AppProto {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $s => Ok(AppProto::$v), )+
                    _ => Err(format!("unknown application protocol {s:?}")),
                }
            }
        }
    };
}

app_protos! {
    /// Not identified.
    #[default]
    Unknown => "unknown",
    /// TLS over TCP (any version, any port).
    Tls => "tls",
    /// DTLS over UDP.
    Dtls => "dtls",
    /// QUIC (TLS 1.3 inside).
    Quic => "quic",
    /// HTTP/1.x.
    Http => "http",
    /// HTTP/2 with prior knowledge (cleartext `PRI *` preface).
    Http2 => "http2",
    /// SSH.
    Ssh => "ssh",
    /// SMB 1, 2 or 3 (direct TCP or NetBIOS session service).
    Smb => "smb",
    /// DCE-RPC over TCP (epmapper and dynamic endpoints).
    Dcerpc => "dcerpc",
    /// Kerberos (KDC exchanges on 88).
    Kerberos => "kerberos",
    /// LDAP and Global Catalog.
    Ldap => "ldap",
    /// RDP (X.224 connection request and what follows).
    Rdp => "rdp",
    /// WinRM (HTTP SOAP management on 5985/5986).
    Winrm => "winrm",
    /// FTP control connection.
    Ftp => "ftp",
    /// FTP data connection.
    FtpData => "ftp_data",
    /// TFTP.
    Tftp => "tftp",
    /// Telnet.
    Telnet => "telnet",
    /// rlogin (513).
    Rlogin => "rlogin",
    /// rsh/rexec (512, 514).
    Rsh => "rsh",
    /// SMTP.
    Smtp => "smtp",
    /// POP3.
    Pop3 => "pop3",
    /// IMAP.
    Imap => "imap",
    /// XMPP.
    Xmpp => "xmpp",
    /// IRC.
    Irc => "irc",
    /// PostgreSQL wire protocol.
    Postgresql => "postgresql",
    /// MySQL/MariaDB wire protocol.
    Mysql => "mysql",
    /// Microsoft SQL Server TDS.
    Mssql => "mssql",
    /// Redis RESP.
    Redis => "redis",
    /// Memcached text protocol.
    Memcached => "memcached",
    /// MongoDB wire protocol.
    Mongodb => "mongodb",
    /// Elasticsearch/OpenSearch REST over cleartext HTTP.
    Elasticsearch => "elasticsearch",
    /// MQTT.
    Mqtt => "mqtt",
    /// VNC (RFB).
    Vnc => "vnc",
    /// SNMP.
    Snmp => "snmp",
    /// Raw printing (JetDirect 9100).
    RawPrinting => "raw_printing",
    /// DNS.
    Dns => "dns",
    /// Multicast DNS.
    Mdns => "mdns",
    /// LLMNR.
    Llmnr => "llmnr",
    /// NetBIOS name service.
    Nbns => "nbns",
    /// NetBIOS datagram service (browser announcements).
    NetbiosDgm => "netbios_dgm",
    /// DHCP (v4).
    Dhcp => "dhcp",
    /// DHCPv6.
    Dhcpv6 => "dhcpv6",
    /// NTP.
    Ntp => "ntp",
    /// Syslog.
    Syslog => "syslog",
    /// SSDP.
    Ssdp => "ssdp",
    /// IKE (IPsec key exchange, UDP 500/4500).
    Ike => "ike",
    /// IPsec ESP (IP protocol 50 or UDP-encapsulated).
    Esp => "esp",
    /// WireGuard.
    Wireguard => "wireguard",
    /// OpenVPN.
    Openvpn => "openvpn",
    /// NetFlow/IPFIX export.
    Netflow => "netflow",
    /// sFlow export.
    Sflow => "sflow",
    /// BGP.
    Bgp => "bgp",
    /// ICMP and ICMPv6.
    Icmp => "icmp",
    /// Kubernetes API server.
    KubeApi => "kube_api",
    /// Routing and first-hop-redundancy protocols (OSPF, VRRP, HSRP…).
    Routing => "routing",
}

impl fmt::Display for AppProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AppProto {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AppProto {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A weakness worth a `weak_crypto` finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Weakness {
    /// SSL 3.0, TLS 1.0 or TLS 1.1 negotiated (the version name).
    TlsVersion(String),
    /// A NULL, EXPORT, anonymous, RC4, DES or 3DES cipher suite negotiated (the suite name).
    TlsCipher(String),
    /// NTLMv1 (or LM) response.
    Ntlmv1,
    /// Kerberos with RC4-HMAC or DES encryption types (the etype name).
    KerberosWeakEtype(String),
    /// RDP standard security (RC4 under an RDP-specific key exchange).
    RdpStandardSecurity,
    /// SMB without signing required.
    SmbSigningNotRequired,
    /// SMB version 1 dialect.
    Smb1,
    /// SSH protocol 1 or a broken algorithm (the name).
    SshWeak(String),
    /// SNMP v1/v2c (community strings are cleartext).
    SnmpCommunity,
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::TlsVersion(v) => write!(f, "tls_version:{v}"),
            Weakness::TlsCipher(c) => write!(f, "tls_cipher:{c}"),
            Weakness::Ntlmv1 => f.write_str("ntlmv1"),
            Weakness::KerberosWeakEtype(e) => write!(f, "kerberos_weak_etype:{e}"),
            Weakness::RdpStandardSecurity => f.write_str("rdp_standard_security"),
            Weakness::SmbSigningNotRequired => f.write_str("smb_signing_not_required"),
            Weakness::Smb1 => f.write_str("smb1"),
            Weakness::SshWeak(a) => write!(f, "ssh_weak:{a}"),
            Weakness::SnmpCommunity => f.write_str("snmp_community"),
        }
    }
}

/// A secret that crossed the wire in clear. Its value is never kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretSeen {
    /// What it was: `password`, `community`, `md5_response`, `vnc_challenge_response`,
    /// `native_password_hash`…
    pub kind: String,
    /// Its length in bytes.
    pub length: u32,
}

/// The mechanism that moved a flow into TLS after a cleartext start.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Upgrade {
    /// The protocol before the switch (`smtp`, `postgresql`, `rdp`…).
    pub from: AppProto,
    /// How: `STARTTLS`, `STLS`, `AUTH TLS`, `SSLRequest`, `CLIENT_SSL`, `LDAP StartTLS`,
    /// `RDP TLS`, `RDP CredSSP`.
    pub how: String,
}

/// An X.509 certificate, as far as the wire shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CertInfo {
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names, prefixed by type: `DNS:`, `URI:` (SPIFFE ids are URIs),
    /// `IP:`, `email:`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub san: Vec<String>,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub sha256: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// True when the Extended Key Usage allows TLS client authentication.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub client_auth_eku: bool,
}

/// What the client sent when it was asked for a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientCertStatus {
    /// The server did not send a CertificateRequest (TLS ≤ 1.2, handshake fully visible).
    NotRequested,
    /// Requested, and the client sent an empty Certificate message.
    RequestedEmpty,
    /// Requested, and the client sent at least one certificate.
    Presented,
    /// Requested (visible), but the client's answer was not seen (capture ends or gap).
    RequestedNoAnswerSeen,
    /// The handshake is encrypted (TLS 1.3) or abbreviated (resumption) and no key log helped.
    NotVisible,
}

/// A passive hint about client authentication where the handshake is encrypted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Indicator {
    /// What was seen: `mesh_alpn`, `mesh_sni`, `mesh_port`, `client_flight_size`,
    /// `resumption_of`, `post_handshake_auth`.
    pub kind: String,
    /// The observed value, e.g. `istio-peer-exchange`, `client flight 1184 bytes`.
    pub detail: String,
    /// `strong` or `weak`.
    pub strength: String,
    /// What the indicator suggests: `client_cert_likely`, `no_client_cert_likely`,
    /// `declined_likely`.
    pub suggests: String,
}

/// TLS handshake facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TlsFacts {
    /// Negotiated version (`TLSv1.2`, `TLSv1.3`, `SSLv3`…), when a ServerHello was seen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// Server Name Indication from the ClientHello.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sni: Option<String>,
    /// ALPN values offered by the client.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub alpn_offered: Vec<String>,
    /// ALPN value chosen by the server (visible only up to TLS 1.2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alpn_selected: Option<String>,
    /// Negotiated cipher suite (IANA name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cipher: Option<String>,
    /// Key-exchange group from the ServerHello key_share (TLS 1.3), e.g. `X25519MLKEM768`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<String>,
    /// JA4 fingerprint of the ClientHello.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ja4: Option<String>,
    /// JA4S fingerprint of the ServerHello.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ja4s: Option<String>,
    /// True for an abbreviated (resumed) handshake.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub resumed: bool,
    /// What the client did about client authentication.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_cert: Option<ClientCertStatus>,
    /// Server certificate chain, leaf first (TLS ≤ 1.2 or decrypted).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub server_certs: Vec<CertInfo>,
    /// Client certificate chain, leaf first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub client_certs: Vec<CertInfo>,
    /// Payload length of the client's first encrypted handshake record after the ServerHello
    /// (TLS 1.3 size heuristic input).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_flight_len: Option<u32>,
    /// True when a key log file decrypted the handshake.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub decrypted: bool,
}

/// SSH facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SshFacts {
    /// Client identification string software part (`OpenSSH_9.6p1`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_software: Option<String>,
    /// Server identification string software part.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_software: Option<String>,
    /// Protocol version (`2.0`, `1.99`, `1.5`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// Negotiated key-exchange algorithm (first client algorithm the server also offers).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kex: Option<String>,
    /// Negotiated host-key algorithm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host_key: Option<String>,
    /// Negotiated client-to-server cipher.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cipher: Option<String>,
    /// Negotiated client-to-server MAC.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mac: Option<String>,
}

/// SMB facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SmbFacts {
    /// Negotiated dialect (`NT LM 0.12`, `2.0.2`, `2.1`, `3.0`, `3.0.2`, `3.1.1`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dialect: Option<String>,
    /// Server requires signing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signing_required: Option<bool>,
    /// SMB3 encryption in use (transform headers seen, or the session/share demands it).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub encrypted: bool,
    /// Share paths from TREE_CONNECT (`\\host\ADMIN$`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub trees: Vec<String>,
    /// Named pipes opened (`svcctl`, `samr`…): DCE-RPC over SMB.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub pipes: Vec<String>,
}

/// NTLM facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NtlmFacts {
    /// `v1` or `v2` from the NT response length (anonymous: `anonymous`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// Account name from AUTHENTICATE.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<String>,
    /// Domain from AUTHENTICATE.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub domain: Option<String>,
    /// Workstation from AUTHENTICATE.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub workstation: Option<String>,
    /// Server NetBIOS/DNS names from CHALLENGE target info.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub server_name: Option<String>,
}

/// Kerberos facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KerberosFacts {
    /// Message types seen (`AS-REQ`, `AS-REP`, `TGS-REQ`, `TGS-REP`, `AP-REQ`, `KRB-ERROR`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub messages: Vec<String>,
    /// Realm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub realm: Option<String>,
    /// Client principal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client: Option<String>,
    /// Service principal (`cifs/dc1.contoso.local`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service: Option<String>,
    /// Encryption type of the ticket or reply (`aes256-cts-hmac-sha1-96`, `rc4-hmac`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cipher: Option<String>,
    /// KRB-ERROR code name, when one was seen.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// RDP facts.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RdpFacts {
    /// `mstshash` cookie (a user name hint).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cookie: Option<String>,
    /// Security protocols the client requested (`rdp`, `ssl`, `hybrid`, `rdstls`, `hybrid_ex`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub requested: Vec<String>,
    /// Protocol the server selected.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub selected: Option<String>,
}

/// HTTP facts (first request/response of the flow).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpFacts {
    /// Request method.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub method: Option<String>,
    /// Host header.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// Request path without the query string (queries may carry tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
    /// User-Agent header.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user_agent: Option<String>,
    /// Authorization scheme (`Basic`, `Bearer`, `NTLM`, `Negotiate`, `Digest`), never the value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_scheme: Option<String>,
    /// Response status code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
}

/// Everything behind a flow's `app_proto` and `auth`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthEvidence {
    /// One sentence: why this verdict (e.g. "TLS 1.2; server sent CertificateRequest; client
    /// sent 2 certificates").
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub reason: String,
    /// Authentication mechanism (`ntlmssp`, `kerberos`, `spnego`, `http_basic`, `ldap_simple`,
    /// `ldap_sasl_gss_spnego`, `ftp_user_pass`, `redis_auth`, `vnc_auth`, `snmp_community`…).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mechanism: Option<String>,
    /// User name, where the protocol shows one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<String>,
    /// A secret was seen in clear: its kind and length, never its value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<SecretSeen>,
    /// In-band switch to TLS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub upgrade: Option<Upgrade>,
    /// Weak protocol versions, suites or mechanisms.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub weak: Vec<Weakness>,
    /// Passive client-authentication indicators for encrypted handshakes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub indicators: Vec<Indicator>,
    /// TLS handshake.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tls: Option<Box<TlsFacts>>,
    /// SSH.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ssh: Option<Box<SshFacts>>,
    /// SMB.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub smb: Option<Box<SmbFacts>>,
    /// NTLM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ntlm: Option<Box<NtlmFacts>>,
    /// Kerberos.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kerberos: Option<Box<KerberosFacts>>,
    /// RDP.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rdp: Option<Box<RdpFacts>>,
    /// HTTP.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub http: Option<Box<HttpFacts>>,
}

impl AuthEvidence {
    /// True when nothing was recorded (the field is then omitted from JSON).
    pub fn is_empty(&self) -> bool {
        *self == AuthEvidence::default()
    }
}
