//! The inventory a user of segscope would supply for a scenario's network (`--inventory`):
//! one entry per zone (its CIDR and zone name) and one per host (its address, name, role in
//! segscope's vocabulary, criticality and labels), in the CSV and YAML formats of
//! `segscope_graph::inventory`. Entries carry no VLAN: the capture sees a server's address
//! under its clients' VLANs, and a VLAN-qualified entry would only apply to one of them.
//! Hosts the organisation does not manage (Internet hosts, the rogue scanner) are not listed;
//! the zone entries still cover the scanner's address.

use std::fmt::Write as _;

use crate::scenarios::truth::ScenarioFacts;

/// Hosts an operator would list.
fn managed(role: &str) -> bool {
    !matches!(role, "external" | "scanner")
}

fn labels_csv(labels: &std::collections::BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// The inventory as CSV: `cidr,name,role,zone,criticality,labels`.
pub fn csv(facts: &ScenarioFacts) -> String {
    let mut out = String::from("cidr,name,role,zone,criticality,labels\n");
    for z in facts.zones.iter().filter(|z| !z.external) {
        for c in &z.cidrs {
            let _ = writeln!(out, "{c},,,{},,", z.name);
        }
    }
    for h in facts.hosts.iter().filter(|h| managed(&h.role)) {
        let mut addrs = vec![h.ipv4];
        addrs.extend(h.ipv6);
        for a in addrs {
            let _ = writeln!(
                out,
                "{a},{},{},{},{},{}",
                h.name,
                h.segscope_role,
                h.zone,
                h.criticality,
                labels_csv(&h.labels)
            );
        }
    }
    out
}

/// The inventory as YAML (version 1).
pub fn yaml(facts: &ScenarioFacts) -> String {
    let mut out = format!(
        "# Inventory of the `{}` scenario's network, as its operators would describe it.\nversion: 1\nentries:\n",
        facts.name
    );
    for z in facts.zones.iter().filter(|z| !z.external) {
        for c in &z.cidrs {
            let _ = writeln!(out, "  - {{ cidr: \"{c}\", zone: \"{}\" }}", z.name);
        }
    }
    for h in facts.hosts.iter().filter(|h| managed(&h.role)) {
        let mut addrs = vec![h.ipv4];
        addrs.extend(h.ipv6);
        let labels: Vec<String> = h
            .labels
            .iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        for a in addrs {
            let _ = writeln!(
                out,
                "  - {{ cidr: \"{a}\", name: \"{}\", role: {}, zone: \"{}\", criticality: {}, labels: {{ {} }} }}",
                h.name,
                h.segscope_role,
                h.zone,
                h.criticality,
                labels.join(", ")
            );
        }
    }
    out
}
