//! nftables ruleset (inet family, default deny, stateful) for a routing firewall between
//! zones: one interval set per zone and address family, the forward chain with policy drop,
//! established and related traffic accepted, invalid dropped, deny rules before allow rules
//! (a deny beats any allow, as in the policy), each rule commented with its id.
//!
//! Written as `nft -f` text, the form operators review and diff; tests load it with
//! `nft -c -f` inside a network namespace.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ipnet::IpNet;
use segscope_core::Transport;

use crate::export::addresses::effective_prefixes;
use crate::model::{ANY_ZONE, Action, Policy, Rule};

/// nft comments hold at most 128 bytes.
const COMMENT_MAX: usize = 127;

/// The ruleset as `nft -f` input. The table is `inet segscope`; loading it replaces any
/// earlier segscope table (the first line deletes it).
pub fn to_nftables(policy: &Policy) -> String {
    let prefixes = effective_prefixes(policy);
    // Zone name → (v4 set, v6 set) names, only for families the zone has addresses in.
    let mut sets: BTreeMap<&str, (Option<String>, Option<String>)> = BTreeMap::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# segscope policy {:?} ({}), exported for nftables.\n# Default deny between zones and inside them; replies of allowed connections pass.",
        policy.name, policy.schema
    );
    out.push_str("table inet segscope\ndelete table inet segscope\n");
    out.push_str("table inet segscope {\n");
    for (i, z) in policy.zones.iter().enumerate() {
        let nets = prefixes.get(&z.name).map(Vec::as_slice).unwrap_or_default();
        let base = format!("z{i}_{}", ident(&z.name));
        let v4: Vec<&IpNet> = nets.iter().filter(|n| matches!(n, IpNet::V4(_))).collect();
        let v6: Vec<&IpNet> = nets.iter().filter(|n| matches!(n, IpNet::V6(_))).collect();
        let mut names = (None, None);
        for (family, list, slot) in [
            ("ipv4_addr", &v4, &mut names.0),
            ("ipv6_addr", &v6, &mut names.1),
        ] {
            if list.is_empty() {
                continue;
            }
            let name = format!("{base}_{}", if family == "ipv4_addr" { "v4" } else { "v6" });
            let elements: Vec<String> = list.iter().map(|n| n.to_string()).collect();
            let _ = writeln!(
                out,
                "\tset {name} {{\n\t\ttype {family}\n\t\tflags interval\n\t\tcomment {}\n\t\telements = {{ {} }}\n\t}}",
                quote(&format!("zone {}", z.name)),
                elements.join(", ")
            );
            *slot = Some(name);
        }
        sets.insert(&z.name, names);
    }
    out.push_str("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
    out.push_str("\t\tct state established,related accept\n\t\tct state invalid drop\n");
    let mut ordered: Vec<&Rule> = policy.rules.iter().collect();
    ordered.sort_by_key(|r| (r.action != Action::Deny, r.id.as_str()));
    for r in ordered {
        for line in rule_lines(r, &sets) {
            let _ = writeln!(out, "\t\t{line}");
        }
    }
    out.push_str("\t}\n}\n");
    out
}

/// One line per address family the rule can match (none when a zone has no addresses).
fn rule_lines(r: &Rule, sets: &BTreeMap<&str, (Option<String>, Option<String>)>) -> Vec<String> {
    let verdict = match r.action {
        Action::Allow => "accept",
        Action::Deny => "drop",
    };
    let comment = quote(&r.id);
    let mut lines = Vec::new();
    for v6 in [false, true] {
        let pick = |zone: &str| -> Option<Option<String>> {
            if zone == ANY_ZONE {
                return Some(None);
            }
            let (a, b) = sets.get(zone)?;
            let set = if v6 { b } else { a };
            set.as_ref().map(|s| Some(s.clone()))
        };
        let (Some(src), Some(dst)) = (pick(&r.from), pick(&r.to)) else {
            continue;
        };
        let t = r.service.transport;
        if t == Transport::ICMP && v6 || t == Transport::ICMPV6 && !v6 {
            continue;
        }
        let fam = if v6 { "ip6" } else { "ip" };
        let mut m = Vec::new();
        if src.is_none() && dst.is_none() {
            m.push(format!("meta nfproto {}", if v6 { "ipv6" } else { "ipv4" }));
        }
        if let Some(s) = src {
            m.push(format!("{fam} saddr @{s}"));
        }
        if let Some(d) = dst {
            m.push(format!("{fam} daddr @{d}"));
        }
        m.push(service(r));
        lines.push(format!("{} {verdict} comment {comment}", m.join(" ")));
    }
    lines
}

fn service(r: &Rule) -> String {
    let s = r.service;
    let ports = if s.lo == s.hi {
        s.lo.to_string()
    } else {
        format!("{}-{}", s.lo, s.hi)
    };
    match s.transport {
        Transport::TCP => format!("tcp dport {ports}"),
        Transport::UDP => format!("udp dport {ports}"),
        Transport::SCTP => format!("sctp dport {ports}"),
        Transport::ICMP => format!("icmp type {ports}"),
        Transport::ICMPV6 => format!("icmpv6 type {ports}"),
        other => format!("meta l4proto {}", other.0),
    }
}

/// An nft identifier: letters, digits and `_`.
fn ident(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A double-quoted nft string of at most 127 bytes without quotes or backslashes.
fn quote(s: &str) -> String {
    let mut clean: String = s
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect();
    while clean.len() > COMMENT_MAX {
        clean.pop();
    }
    format!("\"{clean}\"")
}
