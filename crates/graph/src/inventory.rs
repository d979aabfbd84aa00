//! The optional inventory (`--inventory FILE`): what the organisation says about its addresses
//! — names, roles, zones, criticality and labels — which overrides and enriches what the
//! traffic shows.
//!
//! CSV (a header row; column names are case-insensitive; any other column becomes a label):
//!
//! ```text
//! cidr,name,role,zone,criticality,labels,vlan
//! 10.0.3.0/24,,,data,high,,
//! 10.0.3.10,db-prod-1,database,,,app=billing;pci=yes,
//! ```
//!
//! YAML:
//!
//! ```yaml
//! entries:
//!   - { cidr: 10.0.3.0/24, zone: data, criticality: high }
//!   - { cidr: 10.0.3.10, name: db-prod-1, role: database, labels: { app: billing } }
//! ```
//!
//! Entries nest: a workload takes every field from the most specific entry that sets it (a
//! /24 gives the zone, a /32 inside it the name), and labels merge the same way. An entry with
//! a `vlan` only applies to that VLAN. Errors name the file, the line and the column (CSV: the
//! field number).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use prefix_trie::joint::JointPrefixMap;
use segscope_core::WorkloadKey;
use segscope_rules::findings::{Criticality, Role};
use segscope_rules::{RuleError, Spanned, parse_yaml};
use serde::{Deserialize, Serialize};

/// One inventory entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// The address or network it describes.
    pub cidr: IpNet,
    /// Only on this VLAN.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<Role>,
    /// Zone: becomes the segment `zone:NAME`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub zone: Option<String>,
    /// Criticality.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub criticality: Option<Criticality>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
    /// Where it was read: `file:line`.
    pub origin: String,
}

/// What the inventory says about one workload, merged from every entry that covers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Name.
    pub name: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Zone.
    pub zone: Option<String>,
    /// Criticality.
    pub criticality: Option<Criticality>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The entries that applied, least specific first (`file:line`).
    pub origins: Vec<String>,
}

/// An inventory: entries and a prefix index over them.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    entries: Vec<InventoryEntry>,
    index: JointPrefixMap<IpNet, Vec<usize>>,
}

impl Inventory {
    /// An inventory of these entries.
    pub fn new(entries: Vec<InventoryEntry>) -> Inventory {
        let mut index: JointPrefixMap<IpNet, Vec<usize>> = JointPrefixMap::new();
        for (i, e) in entries.iter().enumerate() {
            match index.get_mut(&e.cidr) {
                Some(v) => v.push(i),
                None => {
                    index.insert(e.cidr, vec![i]);
                }
            }
        }
        Inventory { entries, index }
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[InventoryEntry] {
        &self.entries
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the inventory says about `key`.
    pub fn resolve(&self, key: WorkloadKey) -> Resolved {
        let mut out = Resolved::default();
        // `cover` yields covering prefixes from the least to the most specific; within one
        // prefix, VLAN-qualified entries apply after unqualified ones, and later lines after
        // earlier ones.
        for (_, idxs) in self.index.cover(&IpNet::from(key.ip)) {
            let mut applicable: Vec<&InventoryEntry> = idxs
                .iter()
                .filter_map(|&i| self.entries.get(i))
                .filter(|e| e.vlan.is_none() || e.vlan == key.vlan)
                .collect();
            applicable.sort_by_key(|e| e.vlan.is_some());
            for e in applicable {
                if e.name.is_some() {
                    out.name.clone_from(&e.name);
                }
                if e.role.is_some() {
                    out.role = e.role;
                }
                if e.zone.is_some() {
                    out.zone.clone_from(&e.zone);
                }
                if e.criticality.is_some() {
                    out.criticality = e.criticality;
                }
                for (k, v) in &e.labels {
                    out.labels.insert(k.clone(), v.clone());
                }
                out.origins.push(e.origin.clone());
            }
        }
        out
    }

    /// Reads an inventory file, CSV or YAML by its extension (`.csv`, `.yaml`, `.yml`).
    pub fn load(path: &Path) -> Result<Inventory, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: name.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the inventory: {e}"),
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Inventory::parse_csv(&name, &text),
            Some("yaml" | "yml") => Inventory::parse_yaml(&name, &text),
            _ => Err(RuleError {
                file: name,
                line: 0,
                column: 0,
                message: "unknown inventory format: name the file .csv, .yaml or .yml".to_owned(),
            }),
        }
    }

    /// Parses a CSV inventory.
    pub fn parse_csv(file: &str, text: &str) -> Result<Inventory, RuleError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let err = |line: u64, column: usize, message: String| RuleError {
            file: file.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            message,
        };
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| err(1, 0, format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let cidr_col = column(&["cidr", "ip", "address", "network"]).ok_or_else(|| {
            err(
                1,
                1,
                "the header row needs a `cidr` (or `ip`) column; found: ".to_owned()
                    + &headers.join(", "),
            )
        })?;
        let name_col = column(&["name", "hostname"]);
        let role_col = column(&["role"]);
        let zone_col = column(&["zone", "segment"]);
        let crit_col = column(&["criticality"]);
        let labels_col = column(&["labels"]);
        let vlan_col = column(&["vlan"]);
        let known = [
            Some(cidr_col),
            name_col,
            role_col,
            zone_col,
            crit_col,
            labels_col,
            vlan_col,
        ];
        let mut entries = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, 0, format!("malformed CSV record: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let field = |col: Option<usize>| {
                col.and_then(|c| rec.get(c))
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            let Some(cidr_text) = field(Some(cidr_col)) else {
                if rec.iter().all(str::is_empty) {
                    continue;
                }
                return Err(err(
                    line,
                    cidr_col + 1,
                    "the cidr field is empty".to_owned(),
                ));
            };
            let cidr = parse_cidr(&cidr_text).map_err(|m| err(line, cidr_col + 1, m))?;
            let role = match field(role_col) {
                Some(r) => Some(
                    r.parse::<Role>()
                        .map_err(|m| err(line, col1(role_col), m))?,
                ),
                None => None,
            };
            let criticality = match field(crit_col) {
                Some(c) => Some(
                    c.parse::<Criticality>()
                        .map_err(|m| err(line, col1(crit_col), m))?,
                ),
                None => None,
            };
            let vlan = match field(vlan_col) {
                Some(v) => Some(parse_vlan(&v).map_err(|m| err(line, col1(vlan_col), m))?),
                None => None,
            };
            let mut labels = BTreeMap::new();
            if let Some(text) = field(labels_col) {
                for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or_else(|| {
                        err(
                            line,
                            col1(labels_col),
                            format!("label {pair:?} must be KEY=VALUE (pairs separated by `;`)"),
                        )
                    })?;
                    labels.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
            for (i, h) in headers.iter().enumerate() {
                if !known.contains(&Some(i))
                    && let Some(v) = rec.get(i).filter(|v| !v.is_empty())
                {
                    labels.insert(h.clone(), v.to_owned());
                }
            }
            entries.push(InventoryEntry {
                cidr,
                vlan,
                name: field(name_col),
                role,
                zone: field(zone_col),
                criticality,
                labels,
                origin: format!("{file}:{line}"),
            });
        }
        Ok(Inventory::new(entries))
    }

    /// Parses a YAML inventory.
    pub fn parse_yaml(file: &str, text: &str) -> Result<Inventory, RuleError> {
        let raw: RawInventory = parse_yaml(file, text)?;
        if let Some(v) = &raw.version
            && v.value != 1
        {
            return Err(RuleError::at(
                file,
                v,
                format!(
                    "unsupported version {} (this segscope reads version 1)",
                    v.value
                ),
            ));
        }
        let mut entries = Vec::with_capacity(raw.entries.len());
        for e in raw.entries {
            let cidr = parse_cidr(&e.cidr.value).map_err(|m| RuleError::at(file, &e.cidr, m))?;
            let vlan = match &e.vlan {
                Some(v) if v.value >= 4096 => {
                    return Err(RuleError::at(file, v, "vlan must be 0 to 4095"));
                }
                Some(v) => Some(v.value),
                None => None,
            };
            entries.push(InventoryEntry {
                cidr,
                vlan,
                name: e.name,
                role: e.role,
                zone: e.zone,
                criticality: e.criticality,
                labels: e.labels,
                origin: format!("{file}:{}", e.cidr.referenced.line()),
            });
        }
        Ok(Inventory::new(entries))
    }
}

fn col1(col: Option<usize>) -> usize {
    col.map_or(0, |c| c + 1)
}

fn parse_cidr(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not an address or CIDR"))
}

fn parse_vlan(s: &str) -> Result<u16, String> {
    s.parse::<u16>()
        .ok()
        .filter(|v| *v < 4096)
        .ok_or_else(|| format!("vlan {s:?} must be 0 to 4095"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    version: Option<Spanned<u32>>,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    cidr: Spanned<String>,
    #[serde(default)]
    vlan: Option<Spanned<u16>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    criticality: Option<Criticality>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str, vlan: Option<u16>) -> WorkloadKey {
        WorkloadKey {
            ip: ip.parse().expect("test address"),
            vlan,
        }
    }

    const CSV: &str = "cidr,name,role,zone,criticality,labels,vlan,Owner\n\
        10.0.3.0/24,,,data,high,tier=db,,dba\n\
        10.0.3.10,db-prod-1,database,,,app=billing;pci=yes,,\n\
        10.0.3.10,db-vlan7,,,critical,,7,\n";

    #[test]
    fn csv_entries_nest_from_least_to_most_specific() {
        let inv = Inventory::parse_csv("inv.csv", CSV).expect("valid");
        assert_eq!(inv.entries().len(), 3);
        let r = inv.resolve(key("10.0.3.10", None));
        assert_eq!(r.name.as_deref(), Some("db-prod-1"));
        assert_eq!(r.role, Some(Role::Database));
        assert_eq!(
            r.zone.as_deref(),
            Some("data"),
            "zone inherited from the /24"
        );
        assert_eq!(r.criticality, Some(Criticality::High));
        assert_eq!(r.labels.get("tier").map(String::as_str), Some("db"));
        assert_eq!(r.labels.get("pci").map(String::as_str), Some("yes"));
        assert_eq!(r.labels.get("owner").map(String::as_str), Some("dba"));
        assert_eq!(r.origins, ["inv.csv:2", "inv.csv:3"]);
        let r = inv.resolve(key("10.0.3.10", Some(7)));
        assert_eq!(
            r.name.as_deref(),
            Some("db-vlan7"),
            "VLAN entry wins on its VLAN"
        );
        assert_eq!(r.criticality, Some(Criticality::Critical));
        let r = inv.resolve(key("10.0.3.11", None));
        assert_eq!(r.name, None);
        assert_eq!(r.zone.as_deref(), Some("data"));
        assert_eq!(inv.resolve(key("10.0.4.1", None)), Resolved::default());
    }

    #[test]
    fn csv_errors_name_line_and_field() {
        let e = Inventory::parse_csv("inv.csv", "cidr,role\n10.0.0.1,server\n10.0.0.2,jumphost\n")
            .expect_err("bad role");
        assert_eq!((e.line, e.column), (3, 2), "{e}");
        assert!(e.message.contains("unknown role"), "{e}");
        let e = Inventory::parse_csv("inv.csv", "cidr\n10.0.0.300\n").expect_err("bad address");
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        let e = Inventory::parse_csv("inv.csv", "host,role\n").expect_err("no cidr column");
        assert!(e.message.contains("cidr"), "{e}");
        let e =
            Inventory::parse_csv("inv.csv", "cidr,labels\n10.0.0.1,pci\n").expect_err("bad label");
        assert_eq!((e.line, e.column), (2, 2), "{e}");
    }

    #[test]
    fn yaml_inventory_parses_and_reports_locations() {
        let text = "entries:\n  - { cidr: 10.0.3.0/24, zone: data, criticality: high }\n  \
                    - { cidr: 10.0.3.10, name: db1, role: database, labels: { app: billing } }\n";
        let inv = Inventory::parse_yaml("inv.yaml", text).expect("valid");
        let r = inv.resolve(key("10.0.3.10", None));
        assert_eq!(r.name.as_deref(), Some("db1"));
        assert_eq!(r.zone.as_deref(), Some("data"));
        assert_eq!(r.origins, ["inv.yaml:2", "inv.yaml:3"]);
        let e = Inventory::parse_yaml("inv.yaml", "entries:\n  - { cidr: 10.0.3.x }\n")
            .expect_err("bad cidr");
        assert_eq!(e.line, 2, "{e}");
        let e = Inventory::parse_yaml("inv.yaml", "entries:\n  - { cidr: 10.0.3.1, role: boss }\n")
            .expect_err("bad role");
        assert_eq!(e.line, 2, "{e}");
    }
}
