//! The analysis configuration (`--config FILE`, YAML): what only the organisation knows —
//! extra internal ranges, how to cut segments, where the admin path starts, which assets are
//! critical and which services are shared infrastructure.
//!
//! ```yaml
//! version: 1
//! internal_ranges: [203.0.113.0/24]          # added to RFC 1918, RFC 6598 and ULA
//! segments: { ipv4_prefix: 24, ipv6_prefix: 64, use_vlan: true }
//! admin_sources: ["zone:admin", "10.0.99.5"]  # the legitimate admin path
//! critical_assets: ["label:pci=yes", "10.0.3.10"]
//! workstation_segments: ["vlan:10"]
//! infrastructure_services:                    # excluded from any-to-any metrics, like DNS
//!   - { service: tcp/3128, servers: ["10.0.0.8"] }   # the web proxy
//! ```
//!
//! Selectors are described in [`crate::selector`]. Every field is optional.

use std::path::Path;

use ipnet::IpNet;
use segscope_rules::{PortSpec, RuleError, Spanned, parse_yaml};
use serde::{Deserialize, Serialize};

use crate::selector::Selector;
use crate::workload::Workload;

/// The checked configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    /// Ranges that are internal besides RFC 1918, RFC 6598 and ULA.
    pub internal_ranges: Vec<IpNet>,
    /// IPv4 prefix length of a segment when no zone or VLAN applies.
    pub segment_prefix_v4: u8,
    /// IPv6 prefix length of a segment when no zone or VLAN applies.
    pub segment_prefix_v6: u8,
    /// Use the 802.1Q VLAN as the segment when no inventory zone applies.
    pub segment_by_vlan: bool,
    /// Workloads on the legitimate admin path (bastions, admin zones).
    pub admin_sources: Vec<Selector>,
    /// Declared critical assets.
    pub critical_assets: Vec<Selector>,
    /// Segments declared as workstation segments (otherwise: half or more workstations).
    pub workstation_segments: Vec<Selector>,
    /// Extra infrastructure services (web proxy, log collector…).
    pub infrastructure_services: Vec<InfraService>,
}

/// A configured infrastructure service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InfraService {
    /// Transport and port.
    pub service: PortSpec,
    /// Servers it applies to; empty means any server.
    pub servers: Vec<Selector>,
}

impl InfraService {
    /// True when the service on `server` is this infrastructure service.
    pub fn matches(
        &self,
        transport: segscope_core::Transport,
        port: u16,
        server: &Workload,
    ) -> bool {
        self.service.contains(transport, port)
            && (self.servers.is_empty() || self.servers.iter().any(|s| s.matches(server)))
    }
}

impl Default for AnalysisConfig {
    fn default() -> AnalysisConfig {
        AnalysisConfig {
            internal_ranges: Vec::new(),
            segment_prefix_v4: 24,
            segment_prefix_v6: 64,
            segment_by_vlan: true,
            admin_sources: Vec::new(),
            critical_assets: Vec::new(),
            workstation_segments: Vec::new(),
            infrastructure_services: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Spanned<u32>,
    #[serde(default)]
    internal_ranges: Vec<Spanned<String>>,
    #[serde(default)]
    segments: Option<RawSegments>,
    #[serde(default)]
    admin_sources: Vec<Spanned<String>>,
    #[serde(default)]
    critical_assets: Vec<Spanned<String>>,
    #[serde(default)]
    workstation_segments: Vec<Spanned<String>>,
    #[serde(default)]
    infrastructure_services: Vec<RawInfra>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegments {
    #[serde(default)]
    ipv4_prefix: Option<Spanned<u8>>,
    #[serde(default)]
    ipv6_prefix: Option<Spanned<u8>>,
    #[serde(default)]
    use_vlan: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfra {
    service: PortSpec,
    #[serde(default)]
    servers: Vec<Spanned<String>>,
}

fn selectors(file: &str, raw: &[Spanned<String>]) -> Result<Vec<Selector>, RuleError> {
    raw.iter()
        .map(|s| {
            s.value
                .parse()
                .map_err(|e: String| RuleError::at(file, s, e))
        })
        .collect()
}

impl AnalysisConfig {
    /// Parses and checks a configuration file's text; errors carry line and column.
    pub fn parse(file: &str, text: &str) -> Result<AnalysisConfig, RuleError> {
        let raw: RawConfig = parse_yaml(file, text)?;
        if raw.version.value != 1 {
            return Err(RuleError::at(
                file,
                &raw.version,
                format!(
                    "unsupported version {} (this segscope reads version 1)",
                    raw.version.value
                ),
            ));
        }
        let mut cfg = AnalysisConfig::default();
        for r in &raw.internal_ranges {
            let net = r
                .value
                .parse::<IpNet>()
                .or_else(|_| r.value.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    RuleError::at(file, r, format!("{:?} is not a CIDR or address", r.value))
                })?;
            cfg.internal_ranges.push(net.trunc());
        }
        if let Some(seg) = &raw.segments {
            if let Some(v4) = &seg.ipv4_prefix {
                if !(1..=32).contains(&v4.value) {
                    return Err(RuleError::at(file, v4, "ipv4_prefix must be 1 to 32"));
                }
                cfg.segment_prefix_v4 = v4.value;
            }
            if let Some(v6) = &seg.ipv6_prefix {
                if !(1..=128).contains(&v6.value) {
                    return Err(RuleError::at(file, v6, "ipv6_prefix must be 1 to 128"));
                }
                cfg.segment_prefix_v6 = v6.value;
            }
            if let Some(v) = seg.use_vlan {
                cfg.segment_by_vlan = v;
            }
        }
        cfg.admin_sources = selectors(file, &raw.admin_sources)?;
        cfg.critical_assets = selectors(file, &raw.critical_assets)?;
        cfg.workstation_segments = selectors(file, &raw.workstation_segments)?;
        for i in &raw.infrastructure_services {
            cfg.infrastructure_services.push(InfraService {
                service: i.service,
                servers: selectors(file, &i.servers)?,
            });
        }
        Ok(cfg)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<AnalysisConfig, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: name.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the configuration: {e}"),
        })?;
        AnalysisConfig::parse(&name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_parses() {
        let text = "version: 1\n\
            internal_ranges: [203.0.113.0/24]\n\
            segments: { ipv4_prefix: 16, ipv6_prefix: 56, use_vlan: false }\n\
            admin_sources: [\"zone:admin\", \"10.0.99.5\"]\n\
            critical_assets: [\"label:pci=yes\"]\n\
            workstation_segments: [\"vlan:10\"]\n\
            infrastructure_services:\n  - { service: tcp/3128, servers: [\"10.0.0.8\"] }\n";
        let cfg = AnalysisConfig::parse("c.yaml", text).expect("valid");
        assert_eq!(cfg.segment_prefix_v4, 16);
        assert_eq!(cfg.segment_prefix_v6, 56);
        assert!(!cfg.segment_by_vlan);
        assert_eq!(cfg.admin_sources.len(), 2);
        assert_eq!(cfg.internal_ranges[0].to_string(), "203.0.113.0/24");
        assert_eq!(
            cfg.infrastructure_services[0].service.to_string(),
            "tcp/3128"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = AnalysisConfig::parse("c.yaml", "version: 1\nadmin_sources:\n  - admins\n")
            .expect_err("bad selector");
        assert_eq!((e.line, e.column), (3, 5), "{e}");
        assert!(e.message.contains("cannot read selector"), "{e}");
        let e = AnalysisConfig::parse("c.yaml", "version: 1\nsegments: { ipv4_prefix: 40 }\n")
            .expect_err("bad prefix");
        assert_eq!(e.line, 2, "{e}");
        let e = AnalysisConfig::parse("c.yaml", "version: 1\nadmin_zones: []\n")
            .expect_err("unknown field");
        assert!(e.message.contains("admin_zones"), "{e}");
        let e = AnalysisConfig::parse("c.yaml", "version: 2\n").expect_err("version");
        assert_eq!(e.line, 1, "{e}");
    }
}
