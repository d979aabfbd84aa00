//! Verdicts: what a policy does to one flow.
//!
//! Semantics (documented in `policy.yaml`'s header and independent of rule order):
//!
//! 1. Each endpoint belongs to the zone of its most specific member: an address or a label
//!    match beats a prefix, a longer prefix beats a shorter one. An endpoint that no member
//!    matches, or that two zones claim equally, is in no zone: the flow is *unmatched*.
//! 2. A deny rule that matches beats every allow rule.
//! 3. Otherwise the narrowest matching allow rule (fewest ports, then a named zone before `*`,
//!    then the smallest id) is the one cited.
//! 4. Otherwise the default action applies.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use segscope_core::Transport;
use serde::{Deserialize, Serialize};

use crate::model::{ANY_ZONE, Action, Policy, Rule, Selector};

/// What the policy does to a flow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// An allow rule lets it pass.
    Allowed {
        /// The rule.
        rule: String,
    },
    /// The default action is allow and no rule matched.
    AllowedByDefault,
    /// No rule matched and the default action is deny.
    BlockedByDefault,
    /// An explicit deny rule matched.
    BlockedByRule {
        /// The rule.
        rule: String,
    },
    /// An endpoint is in no zone (or in two, equally specific): the policy cannot judge it.
    UnmatchedZone {
        /// Which end, and why.
        reason: String,
    },
}

impl Verdict {
    /// True for the verdicts that would stop the flow once enforced.
    pub fn is_blocked(&self) -> bool {
        matches!(
            self,
            Verdict::BlockedByDefault | Verdict::BlockedByRule { .. }
        )
    }

    /// A short name: `allowed`, `allowed_by_default`, `blocked_by_default`,
    /// `blocked_by_rule`, `unmatched_zone`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Allowed { .. } => "allowed",
            Verdict::AllowedByDefault => "allowed_by_default",
            Verdict::BlockedByDefault => "blocked_by_default",
            Verdict::BlockedByRule { .. } => "blocked_by_rule",
            Verdict::UnmatchedZone { .. } => "unmatched_zone",
        }
    }

    /// The rule cited, if any.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Verdict::Allowed { rule } | Verdict::BlockedByRule { rule } => Some(rule),
            _ => None,
        }
    }
}

/// The zone of an endpoint, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneMatch<'p> {
    /// In this zone.
    Zone(&'p str),
    /// No member matches.
    None,
    /// Two zones claim it with equally specific members.
    Ambiguous(&'p str, &'p str),
}

/// Labels of a workload, for label members (from an inventory or pod metadata).
pub trait LabelSource {
    /// The labels of the workload at `ip`.
    fn labels(&self, ip: IpAddr) -> Option<&BTreeMap<String, String>>;
}

/// No labels known: label members match nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLabels;

impl LabelSource for NoLabels {
    fn labels(&self, _ip: IpAddr) -> Option<&BTreeMap<String, String>> {
        None
    }
}

impl LabelSource for BTreeMap<IpAddr, BTreeMap<String, String>> {
    fn labels(&self, ip: IpAddr) -> Option<&BTreeMap<String, String>> {
        self.get(&ip)
    }
}

/// A policy prepared for evaluating many flows: host members in a hash map, prefixes sorted
/// most specific first, rules grouped by service.
#[derive(Debug)]
pub struct Evaluator<'p, L = NoLabels> {
    policy: &'p Policy,
    hosts: HashMap<IpAddr, Vec<&'p str>>,
    /// (prefix, zone), longest prefix first.
    prefixes: Vec<(IpNet, &'p str)>,
    /// (labels, zone).
    labelled: Vec<(&'p BTreeMap<String, String>, &'p str)>,
    labels: L,
}

impl<'p> Evaluator<'p, NoLabels> {
    /// An evaluator for a policy whose label members cannot be resolved.
    pub fn new(policy: &'p Policy) -> Evaluator<'p, NoLabels> {
        Evaluator::with_labels(policy, NoLabels)
    }
}

impl<'p, L: LabelSource> Evaluator<'p, L> {
    /// An evaluator resolving label members through `labels`.
    pub fn with_labels(policy: &'p Policy, labels: L) -> Evaluator<'p, L> {
        let mut hosts: HashMap<IpAddr, Vec<&str>> = HashMap::new();
        let mut prefixes = Vec::new();
        let mut labelled = Vec::new();
        for z in &policy.zones {
            for m in &z.members {
                match &m.selector {
                    Selector::Ip(ip) => hosts.entry(*ip).or_default().push(&z.name),
                    Selector::Cidr(net) if net.prefix_len() == net.max_prefix_len() => {
                        hosts.entry(net.addr()).or_default().push(&z.name);
                    }
                    Selector::Cidr(net) => prefixes.push((net.trunc(), z.name.as_str())),
                    Selector::Labels(l) => labelled.push((l, z.name.as_str())),
                }
            }
        }
        for zones in hosts.values_mut() {
            zones.sort_unstable();
            zones.dedup();
        }
        prefixes.sort_by(|a, b| b.0.prefix_len().cmp(&a.0.prefix_len()).then(a.cmp(b)));
        prefixes.dedup();
        Evaluator {
            policy,
            hosts,
            prefixes,
            labelled,
            labels,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// The zone of `ip`.
    pub fn zone_of(&self, ip: IpAddr) -> ZoneMatch<'p> {
        let ip = canonical(ip);
        let mut exact: Vec<&'p str> = self.hosts.get(&ip).cloned().unwrap_or_default();
        if let Some(have) = self.labels.labels(ip) {
            for (want, zone) in &self.labelled {
                if want.iter().all(|(k, v)| have.get(k) == Some(v)) {
                    exact.push(zone);
                }
            }
        }
        exact.sort_unstable();
        exact.dedup();
        match exact.as_slice() {
            [z] => return ZoneMatch::Zone(z),
            [a, b, ..] => return ZoneMatch::Ambiguous(a, b),
            [] => {}
        }
        let mut found: Option<(u8, &'p str)> = None;
        for (net, zone) in &self.prefixes {
            if let Some((len, first)) = found
                && net.prefix_len() < len
            {
                return ZoneMatch::Zone(first);
            }
            if net.contains(&ip) {
                match found {
                    Some((_, first)) if first != *zone => {
                        return ZoneMatch::Ambiguous(first, zone);
                    }
                    _ => found = Some((net.prefix_len(), zone)),
                }
            }
        }
        found.map_or(ZoneMatch::None, |(_, z)| ZoneMatch::Zone(z))
    }

    /// The verdict for a flow from `client` to `server` on `transport`/`port`.
    pub fn verdict(
        &self,
        client: IpAddr,
        server: IpAddr,
        transport: Transport,
        port: u16,
    ) -> Verdict {
        let from = match self.zone_of(client) {
            ZoneMatch::Zone(z) => z,
            other => return unmatched("client", client, &other),
        };
        let to = match self.zone_of(server) {
            ZoneMatch::Zone(z) => z,
            other => return unmatched("server", server, &other),
        };
        self.verdict_between(from, to, transport, port)
    }

    /// The verdict for traffic from zone `from` to zone `to` on `transport`/`port`.
    pub fn verdict_between(
        &self,
        from: &str,
        to: &str,
        transport: Transport,
        port: u16,
    ) -> Verdict {
        let matching = self
            .policy
            .rules
            .iter()
            .filter(|r| r.matches(from, to, (transport, port)));
        let mut best_deny: Option<&Rule> = None;
        let mut best_allow: Option<&Rule> = None;
        for r in matching {
            let slot = match r.action {
                Action::Deny => &mut best_deny,
                Action::Allow => &mut best_allow,
            };
            if slot.is_none_or(|b| specificity(r) < specificity(b)) {
                *slot = Some(r);
            }
        }
        if let Some(r) = best_deny {
            return Verdict::BlockedByRule { rule: r.id.clone() };
        }
        if let Some(r) = best_allow {
            return Verdict::Allowed { rule: r.id.clone() };
        }
        match self.policy.default_action {
            Action::Allow => Verdict::AllowedByDefault,
            Action::Deny => Verdict::BlockedByDefault,
        }
    }
}

/// Narrower first: fewer ports, named zones before `*`, then id.
fn specificity(r: &Rule) -> (u32, u8, &str) {
    let ports = u32::from(r.service.hi) - u32::from(r.service.lo);
    let wild = u8::from(r.from == ANY_ZONE) + u8::from(r.to == ANY_ZONE);
    (ports, wild, &r.id)
}

fn unmatched(end: &str, ip: IpAddr, m: &ZoneMatch<'_>) -> Verdict {
    let reason = match m {
        ZoneMatch::Ambiguous(a, b) => {
            format!("{end} {ip} is claimed equally by zones {a} and {b}")
        }
        _ => format!("{end} {ip} is in no zone"),
    };
    Verdict::UnmatchedZone { reason }
}

/// IPv4-mapped IPv6 addresses are matched as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
