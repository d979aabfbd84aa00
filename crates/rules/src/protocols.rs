//! `rules/protocols.yaml`: what segscope knows about protocols that users may want to change —
//! which ports hint at which protocol, which protocols are infrastructure (authentication not
//! expected), which are administrative (lateral-movement paths), how service meshes show
//! themselves, and which TLS versions and suites are weak.

use segscope_core::{AppProto, AuthClass, Transport};
use serde::{Deserialize, Serialize};

use crate::{PortSpec, RuleError, Spanned, parse_yaml};

/// The protocol knowledge file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolRules {
    /// Schema version (1).
    pub version: u32,
    /// Server ports that suggest a protocol when no probe recognised the payload. First match
    /// wins.
    pub port_hints: Vec<PortHint>,
    /// Protocols where authentication is not expected: their flows get `not_applicable` unless
    /// credentials are seen in them.
    pub infrastructure: Vec<AppProto>,
    /// Administrative services: the paths of lateral movement.
    pub admin_services: Vec<AdminService>,
    /// How service meshes show themselves in cleartext TLS fields.
    pub mesh: MeshRules,
    /// Payload sizes of the client's first encrypted TLS 1.3 handshake record.
    pub tls13_client_flight: FlightRules,
    /// Weak TLS versions and cipher suites.
    pub weak_tls: WeakTls,
    /// Checks of this file, run by `segscope rules test`.
    #[serde(default)]
    pub tests: Vec<ProtocolRuleTest>,
}

/// Ports that suggest a protocol.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortHint {
    /// The protocol.
    pub app: AppProto,
    /// Its usual server ports.
    pub ports: Vec<PortSpec>,
}

/// An administrative service.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminService {
    /// Short name used in findings (`smb`, `rdp`, `winrm`…).
    pub name: String,
    /// Protocols that are this service wherever they run (payload-confirmed).
    #[serde(default)]
    pub apps: Vec<AppProto>,
    /// Ports that are this service whatever the payload shows.
    #[serde(default)]
    pub ports: Vec<PortSpec>,
}

/// Service-mesh indicators.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshRules {
    /// ALPN values only mesh proxies offer (Istio, Linkerd).
    pub alpn: Vec<String>,
    /// SNI prefixes used by mesh proxies (`outbound_.`).
    pub sni_prefixes: Vec<String>,
    /// Ports of mesh tunnels and gateways.
    pub ports: Vec<PortSpec>,
}

/// TLS 1.3 client-flight size heuristic (see `ztmm-networks-rubric.md` §4.3).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightRules {
    /// Record payload sizes of a Finished-only flight (SHA-256, SHA-384, CCM-8).
    pub finished_only: Vec<u32>,
    /// Sizes of an empty Certificate alone or coalesced with Finished.
    pub empty_certificate: Vec<u32>,
    /// A flight at least this large probably carries a client certificate.
    pub certificate_min: u32,
    /// Full handshakes of one client/server pair that must agree for a strong indicator.
    pub consistent_handshakes: u32,
}

/// Weak TLS parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeakTls {
    /// Version names (`SSLv3`, `TLSv1.0`, `TLSv1.1`).
    pub versions: Vec<String>,
    /// Substrings of IANA cipher-suite names that make a suite weak (`_NULL_`, `_RC4_`…).
    pub cipher_substrings: Vec<String>,
}

/// A check of the port hints and the infrastructure list: a flow with no payload to `port`
/// must be classified as `app` with verdict `auth`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolRuleTest {
    /// What the check is about.
    pub name: String,
    /// Transport of the flow.
    pub transport: Transport,
    /// Server port.
    pub port: Spanned<u16>,
    /// Expected protocol.
    pub app: AppProto,
    /// Expected verdict.
    pub auth: AuthClass,
}

impl ProtocolRules {
    /// Parses and checks the file.
    pub fn parse(file: &str, text: &str) -> Result<ProtocolRules, RuleError> {
        let rules: ProtocolRules = parse_yaml(file, text)?;
        if rules.version != 1 {
            return Err(RuleError {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message: format!(
                    "unsupported version {} (this segscope reads version 1)",
                    rules.version
                ),
            });
        }
        Ok(rules)
    }

    /// The protocol the server port suggests.
    pub fn hint(&self, transport: Transport, port: u16) -> Option<AppProto> {
        self.port_hints
            .iter()
            .find(|h| h.ports.iter().any(|p| p.contains(transport, port)))
            .map(|h| h.app)
    }

    /// True when authentication is not expected for `app`.
    pub fn is_infrastructure(&self, app: AppProto) -> bool {
        self.infrastructure.contains(&app)
    }

    /// The administrative service a flow to `port` with protocol `app` belongs to.
    pub fn admin_service(
        &self,
        transport: Transport,
        port: u16,
        app: AppProto,
    ) -> Option<&AdminService> {
        self.admin_services
            .iter()
            .find(|s| s.apps.contains(&app) || s.ports.iter().any(|p| p.contains(transport, port)))
    }

    /// True when `alpn` is a service-mesh ALPN.
    pub fn is_mesh_alpn(&self, alpn: &str) -> bool {
        self.mesh.alpn.iter().any(|a| a == alpn)
    }

    /// True when a TLS version name is weak.
    pub fn is_weak_tls_version(&self, version: &str) -> bool {
        self.weak_tls.versions.iter().any(|v| v == version)
    }

    /// True when a cipher-suite name is weak.
    pub fn is_weak_cipher(&self, suite: &str) -> bool {
        self.weak_tls
            .cipher_substrings
            .iter()
            .any(|s| suite.contains(s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleSource;

    #[test]
    fn shipped_file_parses_and_answers() {
        let r = RuleSource::embedded()
            .protocols()
            .expect("shipped rules parse");
        assert_eq!(r.hint(Transport::TCP, 445), Some(AppProto::Smb));
        assert_eq!(r.hint(Transport::UDP, 53), Some(AppProto::Dns));
        assert_eq!(r.hint(Transport::TCP, 5986), Some(AppProto::Winrm));
        assert!(r.is_infrastructure(AppProto::Dns));
        assert!(
            !r.is_infrastructure(AppProto::Snmp),
            "SNMP community strings are credentials"
        );
        assert_eq!(
            r.admin_service(Transport::TCP, 3389, AppProto::Unknown)
                .map(|s| s.name.as_str()),
            Some("rdp")
        );
        assert_eq!(
            r.admin_service(Transport::TCP, 8445, AppProto::Smb)
                .map(|s| s.name.as_str()),
            Some("smb")
        );
        assert!(
            r.admin_service(Transport::TCP, 443, AppProto::Tls)
                .is_none()
        );
        assert!(r.is_weak_cipher("TLS_RSA_WITH_RC4_128_SHA"));
        assert!(!r.is_weak_cipher("TLS_AES_128_GCM_SHA256"));
        assert!(r.is_mesh_alpn("istio-peer-exchange"));
        assert!(!r.tests.is_empty());
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let text = "version: 1\nport_hints:\n  - app: htp\n    ports: [tcp/80]\n";
        let e = ProtocolRules::parse("p.yaml", text).expect_err("unknown protocol");
        assert_eq!((e.line, e.column), (3, 10), "{e}");
        assert!(e.message.contains("unknown application protocol"), "{e}");
        let e = ProtocolRules::parse(
            "p.yaml",
            "version: 1\nport_hints:\n  - app: http\n    ports: [tcp/99999]\n",
        )
        .expect_err("bad port");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.to_string().starts_with("p.yaml:4:"), "{e}");
    }
}
