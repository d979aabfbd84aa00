//! `rules/findings.yaml`: the thresholds and severities of segscope's graph analysis — how roles
//! are inferred from behaviour, when admin traffic is lateral movement, what a scan looks like,
//! how severities rise, what counts as default-deny evidence and which edges an attacker can
//! follow for the blast radius. Every number an assessor might question lives here, as data.
//!
//! The vocabulary the file shares with inventories and reports ([`Role`], [`Criticality`],
//! [`Severity`], [`FindingKind`]) is defined here too, so that every stage reads the same names.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use segscope_core::auth::Weakness;
use segscope_core::{AppProto, AuthClass};
use serde::{Deserialize, Serialize};

use crate::{PortSpec, ProtocolRules, RuleError, Spanned, parse_yaml};

/// What a workload does, as the inventory states it or as its traffic shows it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Serves Kerberos and LDAP.
    DomainController,
    /// Serves DNS.
    DnsServer,
    /// Serves a database or cache protocol.
    Database,
    /// Serves files (SMB, NFS, FTP) to several clients.
    FileServer,
    /// Serves HTTP, TLS or QUIC: a web or application server.
    WebApp,
    /// Serves NTP, syslog, DHCP, flow export or SNMP: shared infrastructure.
    Infrastructure,
    /// Originates to many services and serves (almost) nothing.
    Workstation,
    /// Opens admin sessions to many servers and does little else: a jump host or bastion.
    Management,
    /// Probes many hosts or ports with mostly failed attempts.
    Scanner,
    /// Serves something no signature recognises.
    Server,
    /// Only originates, too little to say more.
    Client,
    /// Outside the internal address space.
    External,
    /// A multicast or broadcast group address, not a host.
    Multicast,
    /// Nothing to go on.
    #[default]
    Unknown,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Role; 14] = [
        Role::DomainController,
        Role::DnsServer,
        Role::Database,
        Role::FileServer,
        Role::WebApp,
        Role::Infrastructure,
        Role::Workstation,
        Role::Management,
        Role::Scanner,
        Role::Server,
        Role::Client,
        Role::External,
        Role::Multicast,
        Role::Unknown,
    ];

    /// The snake_case name used in JSON, inventories and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DomainController => "domain_controller",
            Role::DnsServer => "dns_server",
            Role::Database => "database",
            Role::FileServer => "file_server",
            Role::WebApp => "web_app",
            Role::Infrastructure => "infrastructure",
            Role::Workstation => "workstation",
            Role::Management => "management",
            Role::Scanner => "scanner",
            Role::Server => "server",
            Role::Client => "client",
            Role::External => "external",
            Role::Multicast => "multicast",
            Role::Unknown => "unknown",
        }
    }

    /// True for roles whose main job is to serve others (the "servers" of metric S3b).
    pub fn is_server(self) -> bool {
        matches!(
            self,
            Role::DomainController
                | Role::DnsServer
                | Role::Database
                | Role::FileServer
                | Role::WebApp
                | Role::Infrastructure
                | Role::Server
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// How much a workload matters, as an inventory says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High: treated as a critical asset.
    High,
    /// Critical: treated as a critical asset.
    Critical,
}

impl Criticality {
    /// Every level, lowest first.
    pub const ALL: [Criticality; 4] = [
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }

    /// True when the level makes the workload a critical asset (high or critical).
    pub fn is_critical_asset(self) -> bool {
        self >= Criticality::High
    }
}

impl FromStr for Criticality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Criticality::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown criticality {s:?}; expected low, medium, high or critical")
            })
    }
}

/// How urgent a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context, no action needed.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown severity {s:?}; expected info, low, medium, high or critical")
            })
    }
}

/// The kinds of finding segscope reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Admin protocols between peers, or into servers from outside the admin path.
    LateralMovement,
    /// One source probing many hosts or ports, mostly failing.
    Scan,
    /// Credentials crossing the wire in clear.
    CleartextCredentials,
    /// A service used with no authentication at all.
    UnauthenticatedService,
    /// Segments that reach each other broadly, with no default-deny evidence.
    FlatNetwork,
    /// Old TLS, broken suites, NTLMv1, Kerberos RC4, SMB without signing…
    WeakCrypto,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::LateralMovement,
        FindingKind::Scan,
        FindingKind::CleartextCredentials,
        FindingKind::UnauthenticatedService,
        FindingKind::FlatNetwork,
        FindingKind::WeakCrypto,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::LateralMovement => "lateral_movement",
            FindingKind::Scan => "scan",
            FindingKind::CleartextCredentials => "cleartext_credentials",
            FindingKind::UnauthenticatedService => "unauthenticated_service",
            FindingKind::FlatNetwork => "flat_network",
            FindingKind::WeakCrypto => "weak_crypto",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The detection rules file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRules {
    /// Schema version (1).
    pub version: u32,
    /// How roles are inferred from behaviour.
    pub roles: RoleRules,
    /// Which services are real services, and what default-deny evidence needs.
    pub segmentation: SegmentationRules,
    /// `lateral_movement` findings.
    pub lateral_movement: LateralMovementRule,
    /// `scan` findings.
    pub scan: ScanRule,
    /// `cleartext_credentials` findings.
    pub cleartext_credentials: ExposureRule,
    /// `unauthenticated_service` findings.
    pub unauthenticated_service: ExposureRule,
    /// `flat_network` findings.
    pub flat_network: FlatNetworkRule,
    /// `weak_crypto` findings: severity per weakness.
    pub weak_crypto: WeakCryptoRule,
    /// Which edges an attacker can follow, and how much to list.
    pub blast_radius: BlastRadiusRules,
    /// Evidence flows listed per finding and per metric.
    pub evidence_per_finding: usize,
    /// Checks of this file: minimal flows and the findings they must produce.
    #[serde(default)]
    pub tests: Vec<FindingRuleTest>,
}

/// Role inference.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRules {
    /// Domain controllers serve both of these.
    pub domain_controller: DomainControllerRule,
    /// Server signatures, tried in order after the domain-controller test; first match wins.
    pub servers: Vec<RoleSignature>,
    /// Protocols every host answers (name resolution, discovery): serving them never makes a
    /// host a server.
    pub discovery: Vec<AppProto>,
    /// Jump hosts and bastions.
    pub management: ManagementRule,
    /// Workstations.
    pub workstation: WorkstationRule,
    /// Roles whose workloads are suggested as critical assets when nobody declared any
    /// (labelled `suggested`, never `declared`).
    pub suggest_critical: Vec<Role>,
}

/// A set of services by protocol or port.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceMatch {
    /// Protocols (as identified from the payload, or from the port when nothing answered).
    #[serde(default)]
    pub apps: Vec<AppProto>,
    /// Ports.
    #[serde(default)]
    pub ports: Vec<PortSpec>,
}

impl ServiceMatch {
    /// True when a service with this protocol, transport and port matches.
    pub fn matches(&self, app: AppProto, transport: segscope_core::Transport, port: u16) -> bool {
        self.apps.contains(&app) || self.ports.iter().any(|p| p.contains(transport, port))
    }
}

/// The domain-controller signature.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainControllerRule {
    /// Kerberos services.
    pub kerberos: ServiceMatch,
    /// LDAP and Global Catalog services.
    pub ldap: ServiceMatch,
}

/// "A workload serving one of these to at least `min_clients` clients has this role."
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSignature {
    /// The role.
    pub role: Spanned<Role>,
    /// The services.
    #[serde(flatten)]
    pub services: ServiceMatch,
    /// Distinct clients needed.
    pub min_clients: u32,
}

/// Jump-host inference.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementRule {
    /// Admin services (names from `protocols.yaml` `admin_services`) a jump host uses.
    pub services: Vec<Spanned<String>>,
    /// Distinct servers reached with them.
    pub min_targets: u32,
    /// Share of those attempts that must succeed (scanners fail most of theirs).
    pub min_established_share: Spanned<f64>,
    /// At most this many other (non-admin, non-infrastructure) services used.
    pub max_other_services: u32,
}

/// Workstation inference.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkstationRule {
    /// Distinct services (server, transport, port) used, infrastructure included, admin excluded.
    pub min_services_used: u32,
    /// At most this many services served (admin and discovery services not counted).
    pub max_services_served: u32,
}

/// Service and default-deny rules.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentationRules {
    /// An edge whose direction was guessed from ports, to a port at or above this, with no
    /// protocol recognised, is a reply path, not a service.
    pub ephemeral_port_min: u16,
    /// A segment pair using at most this many service ports is service-specific (metric S2).
    pub service_specific_max_ports: u32,
    /// Default-deny evidence per zone (metric S4).
    pub default_deny: DefaultDenyRule,
    /// A critical asset reached from more source segments than this is not isolated (S6).
    pub critical_max_source_segments: u32,
}

/// The S4 test (ztmm-networks-rubric.md §3.3).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultDenyRule {
    /// Distinct (source, destination, port) attempts to ports that never answered, at least.
    pub min_attempts: u32,
    /// Share of them that must look denied (no answer, or ICMP administratively prohibited).
    pub min_denied_share: Spanned<f64>,
    /// Distinct service ports that may answer sources outside the zone.
    pub max_allowed_ports: u32,
}

/// `lateral_movement`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateralMovementRule {
    /// Admin sessions between two workstations.
    pub workstation_to_workstation: Severity,
    /// Admin sessions between two workloads of the same role.
    pub peer_to_peer: Severity,
    /// Workstations reaching servers on admin services, from outside the admin path.
    pub outside_admin_path: Severity,
    /// One source reaching many peers on the same admin service.
    pub fan_out: FanOutRule,
    /// Admin attempts that were never answered, from a source that is not a scanner.
    pub attempted: Severity,
    /// Severity when the target is a critical asset (the higher of the two applies).
    pub critical_asset: Severity,
    /// Treat inferred jump hosts (role `management` from behaviour) as the admin path.
    pub trust_inferred_management: bool,
    /// Admin protocols that are the server's own service (SMB to a file server is file
    /// access): never lateral movement, never admin exposure.
    pub expected_service_use: Vec<ExpectedServiceUse>,
}

/// Fan-out.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FanOutRule {
    /// Distinct peers reached on one admin service.
    pub min_peers: u32,
    /// Severity.
    pub severity: Severity,
}

/// An admin service that is the normal service of some roles.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedServiceUse {
    /// Admin service name (from `protocols.yaml`).
    pub service: Spanned<String>,
    /// Server roles for which it is normal.
    pub server_roles: Vec<Role>,
}

/// `scan`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRule {
    /// Distinct hosts probed (horizontal scan).
    pub min_hosts: u32,
    /// Distinct ports probed on one host (vertical scan).
    pub min_ports_on_one_host: u32,
    /// Share of probed (host, port) pairs that never answered.
    pub min_failed_share: Spanned<f64>,
    /// Severity.
    pub severity: Severity,
}

/// Severities for a service exposure, raised by where it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureRule {
    /// Base severity.
    pub severity: Severity,
    /// When a client is in another segment.
    pub cross_segment: Severity,
    /// When the server is a critical asset.
    pub critical_asset: Severity,
}

impl ExposureRule {
    /// The severity for an exposure with these properties (the highest that applies).
    pub fn severity_for(&self, cross_segment: bool, critical: bool) -> Severity {
        let mut s = self.severity;
        if cross_segment {
            s = s.max(self.cross_segment);
        }
        if critical {
            s = s.max(self.critical_asset);
        }
        s
    }
}

/// `flat_network`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatNetworkRule {
    /// Segment reachability ratio (S1) above which the network is flat when no zone shows
    /// default-deny evidence.
    pub max_reachability: Spanned<f64>,
    /// Share of workstations accepting admin sessions from workstations (S3a) above which the
    /// network is flat when no zone shows default-deny evidence.
    pub max_workstation_admin_share: Spanned<f64>,
    /// Severity of the network-wide finding.
    pub severity: Severity,
    /// A segment pair using at least this many service ports, into a zone with no default-deny
    /// evidence, is any-to-any.
    pub broad_pair_min_ports: u32,
    /// Severity of an any-to-any pair.
    pub broad_pair_severity: Severity,
}

/// `weak_crypto` severities, one per weakness kind.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeakCryptoRule {
    /// SSLv3, TLS 1.0, TLS 1.1.
    pub tls_version: Severity,
    /// NULL, EXPORT, anonymous, RC4, DES, 3DES suites.
    pub tls_cipher: Severity,
    /// NTLMv1 or LM responses.
    pub ntlmv1: Severity,
    /// Kerberos RC4 or DES.
    pub kerberos_weak_etype: Severity,
    /// RDP standard security.
    pub rdp_standard_security: Severity,
    /// SMB without signing required.
    pub smb_signing_not_required: Severity,
    /// SMB1.
    pub smb1: Severity,
    /// SSH 1 or broken algorithms.
    pub ssh_weak: Severity,
    /// SNMP v1/v2c community strings.
    pub snmp_community: Severity,
}

impl WeakCryptoRule {
    /// The severity of a weakness.
    pub fn severity_of(&self, w: &Weakness) -> Severity {
        match w {
            Weakness::TlsVersion(_) => self.tls_version,
            Weakness::TlsCipher(_) => self.tls_cipher,
            Weakness::Ntlmv1 => self.ntlmv1,
            Weakness::KerberosWeakEtype(_) => self.kerberos_weak_etype,
            Weakness::RdpStandardSecurity => self.rdp_standard_security,
            Weakness::SmbSigningNotRequired => self.smb_signing_not_required,
            Weakness::Smb1 => self.smb1,
            Weakness::SshWeak(_) => self.ssh_weak,
            Weakness::SnmpCommunity => self.snmp_community,
        }
    }
}

/// Blast radius.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlastRadiusRules {
    /// Besides admin services, edges carrying flows of these classes can be followed.
    pub auth_classes: Vec<AuthClass>,
    /// Follow admin edges that are the server's own service (`expected_service_use`) too.
    pub include_expected_service_use: bool,
    /// Footholds listed, worst first.
    pub top_footholds: usize,
    /// Paths to critical assets listed per workload, shortest first.
    pub max_paths_per_workload: usize,
}

/// One check of the rules: a small network and the findings it must produce.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRuleTest {
    /// What is checked.
    pub name: Spanned<String>,
    /// Inventory entries.
    #[serde(default)]
    pub hosts: Vec<TestHost>,
    /// Admin sources (selectors, as in the analysis configuration).
    #[serde(default)]
    pub admin_sources: Vec<String>,
    /// Declared critical assets (selectors).
    #[serde(default)]
    pub critical_assets: Vec<String>,
    /// Flows, one per line: `CLIENT -> SERVER tcp/PORT key=value…` (see the file header).
    pub flows: Vec<Spanned<String>>,
    /// Findings expected, by kind: exactly `count` of them, all of `severity` when given.
    #[serde(default)]
    pub expect: Vec<ExpectedFindings>,
    /// Roles expected, by address.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
}

/// An inventory entry of a rule test.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestHost {
    /// Address or CIDR.
    pub cidr: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Zone.
    #[serde(default)]
    pub zone: Option<String>,
    /// Criticality.
    #[serde(default)]
    pub criticality: Option<Criticality>,
}

/// Expected findings of one kind.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFindings {
    /// Kind.
    pub kind: FindingKind,
    /// How many.
    pub count: u32,
    /// Severity all of them must have.
    #[serde(default)]
    pub severity: Option<Severity>,
}

impl FindingRules {
    /// Parses and checks the file.
    pub fn parse(file: &str, text: &str) -> Result<FindingRules, RuleError> {
        let rules: FindingRules = parse_yaml(file, text)?;
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
        let shares = [
            &rules.roles.management.min_established_share,
            &rules.segmentation.default_deny.min_denied_share,
            &rules.scan.min_failed_share,
            &rules.flat_network.max_reachability,
            &rules.flat_network.max_workstation_admin_share,
        ];
        for s in shares {
            if !(0.0..=1.0).contains(&s.value) {
                return Err(RuleError::at(
                    file,
                    s,
                    format!("{} is not a share: expected a number from 0 to 1", s.value),
                ));
            }
        }
        for sig in &rules.roles.servers {
            if !sig.role.value.is_server() {
                return Err(RuleError::at(
                    file,
                    &sig.role,
                    format!(
                        "{} is not a server role; server signatures may name domain_controller, \
                         dns_server, database, file_server, web_app, infrastructure or server",
                        sig.role.value
                    ),
                ));
            }
        }
        Ok(rules)
    }

    /// Checks the admin-service names this file uses against `protocols.yaml`, which defines
    /// them.
    pub fn check_against(&self, file: &str, protocols: &ProtocolRules) -> Result<(), RuleError> {
        let names = self.roles.management.services.iter().chain(
            self.lateral_movement
                .expected_service_use
                .iter()
                .map(|u| &u.service),
        );
        for n in names {
            if !protocols.admin_services.iter().any(|s| s.name == n.value) {
                let known: Vec<&str> = protocols
                    .admin_services
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                return Err(RuleError::at(
                    file,
                    n,
                    format!(
                        "{:?} is not an admin service of protocols.yaml; known: {}",
                        n.value,
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The `expected_service_use` entry that makes `service` normal towards `server_role`.
    pub fn is_expected_service_use(&self, service: &str, server_role: Role) -> bool {
        self.lateral_movement
            .expected_service_use
            .iter()
            .any(|u| u.service.value == service && u.server_roles.contains(&server_role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleSource;

    #[test]
    fn shipped_file_parses_and_names_known_admin_services() {
        let src = RuleSource::embedded();
        let rules = src.findings().expect("shipped findings rules parse");
        let protocols = src.protocols().expect("shipped protocol rules parse");
        rules
            .check_against("findings.yaml", &protocols)
            .expect("admin service names exist");
        assert!(rules.is_expected_service_use("smb", Role::FileServer));
        assert!(!rules.is_expected_service_use("rdp", Role::FileServer));
        assert!(rules.tests.len() >= 6, "every finding kind has a test");
        for kind in FindingKind::ALL {
            assert!(
                rules
                    .tests
                    .iter()
                    .any(|t| t.expect.iter().any(|e| e.kind == kind && e.count > 0)),
                "no rule test expects a {kind} finding"
            );
        }
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let (_, text) = RuleSource::embedded()
            .read("findings.yaml")
            .expect("embedded");
        let bad = text.replacen("min_failed_share: 0.8", "min_failed_share: 8", 1);
        assert_ne!(bad, text, "the shipped file sets min_failed_share: 0.8");
        let e = FindingRules::parse("f.yaml", &bad).expect_err("8 is not a share");
        let line = text
            .lines()
            .position(|l| l.contains("min_failed_share: 0.8"))
            .map(|i| i as u32 + 1);
        assert_eq!(Some(e.line), line, "{e}");
        assert!(e.message.contains("not a share"), "{e}");

        let bad = text.replacen("role: database", "role: workstation", 1);
        let e = FindingRules::parse("f.yaml", &bad).expect_err("not a server role");
        assert!(e.message.contains("not a server role"), "{e}");
    }

    #[test]
    fn unknown_admin_service_is_reported_with_its_location() {
        let src = RuleSource::embedded();
        let (_, text) = src.read("findings.yaml").expect("embedded");
        let bad = text.replacen("service: smb", "service: smbx", 1);
        let rules = FindingRules::parse("f.yaml", &bad).expect("still valid YAML");
        let protocols = src.protocols().expect("protocols");
        let e = rules
            .check_against("f.yaml", &protocols)
            .expect_err("smbx is unknown");
        assert!(e.line > 0 && e.message.contains("smbx"), "{e}");
    }

    #[test]
    fn exposure_severity_takes_the_highest_that_applies() {
        let r = ExposureRule {
            severity: Severity::Low,
            cross_segment: Severity::Medium,
            critical_asset: Severity::High,
        };
        assert_eq!(r.severity_for(false, false), Severity::Low);
        assert_eq!(r.severity_for(true, false), Severity::Medium);
        assert_eq!(r.severity_for(true, true), Severity::High);
        assert_eq!("web_app".parse::<Role>(), Ok(Role::WebApp));
        assert!(
            "jumphost"
                .parse::<Role>()
                .expect_err("unknown")
                .contains("management")
        );
    }
}
