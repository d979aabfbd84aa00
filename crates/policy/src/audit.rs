//! Audit mode: flow records replayed against a policy, nothing enforced.
//!
//! [`AuditTally`] is a mergeable aggregate (one per pipeline worker, merged at the end in any
//! order with the same result): verdict counts, summaries by (client zone, server zone,
//! service, verdict) with example flows, per-rule hits, per-zone impact for a staged rollout.
//! [`AuditReport`] adds what needs the whole run: unused rules, rules broader than the
//! traffic, shadowed rules.
//!
//! Staging: with `enforce_zones`, a blocked flow is *enforced* only when its client zone
//! (egress) or its server zone (ingress) is being enforced; the others are reported as blocked
//! once those zones are enforced. Each flow counts once (its first record), as in the edges.

use std::collections::{BTreeMap, BTreeSet};

use segscope_core::{EdgeKey, FlowRecord, FlowRef, Timestamp};
use serde::{Deserialize, Serialize};

use crate::model::{Action, Policy};
use crate::review::{Shadowed, shadowed};
use crate::verdict::{Evaluator, LabelSource, Verdict, ZoneMatch};

/// Example flows kept per summary row.
const EXAMPLES: usize = 3;
/// Distinct ports remembered per rule (to judge ranges); beyond it the rule is not "broader".
const PORTS_PER_RULE: usize = 4096;

/// What to enforce.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOptions {
    /// Zones enforced in this stage; `None`: all of them.
    pub enforce_zones: Option<BTreeSet<String>>,
}

impl AuditOptions {
    /// True when traffic from `from` to `to` passes an enforcement point of this stage.
    pub fn enforced(&self, from: Option<&str>, to: Option<&str>) -> bool {
        match &self.enforce_zones {
            None => true,
            Some(set) => {
                from.is_some_and(|z| set.contains(z)) || to.is_some_and(|z| set.contains(z))
            }
        }
    }
}

/// One flow's verdict, as written to `blocked.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowVerdict {
    /// The flow.
    #[serde(flatten)]
    pub flow: FlowRef,
    /// Client address and port.
    pub client: String,
    /// Server address and port.
    pub server: String,
    /// `tcp/445`.
    pub service: String,
    /// Protocol recognised.
    pub app: String,
    /// Client zone (`null`: none).
    pub from_zone: Option<String>,
    /// Server zone.
    pub to_zone: Option<String>,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Inside the enforcement scope of this stage.
    pub enforced: bool,
}

/// One row of the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Flows.
    pub flows: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Distinct host pairs.
    pub host_pairs: u64,
    /// Of the flows, those inside the enforcement scope.
    pub enforced_flows: u64,
    /// First flow.
    pub first_seen: Option<Timestamp>,
    /// Last flow.
    pub last_seen: Option<Timestamp>,
    /// A few flows.
    pub examples: Vec<FlowRef>,
    #[serde(skip)]
    pairs: BTreeSet<EdgeKey>,
}

/// Traffic one rule let through.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleHits {
    /// Flows.
    pub flows: u64,
    /// Distinct ports used (up to a few thousand).
    pub ports: BTreeSet<u16>,
    /// A few flows.
    pub examples: Vec<FlowRef>,
}

/// What enforcing one zone would block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneImpact {
    /// Blocked flows entering it from another zone.
    pub ingress_blocked: u64,
    /// Blocked flows leaving it to another zone.
    pub egress_blocked: u64,
    /// Blocked flows between two of its own hosts.
    pub intra_blocked: u64,
    /// Allowed flows touching it.
    pub allowed: u64,
}

/// The mergeable part of an audit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditTally {
    /// Flows judged.
    pub flows: u64,
    /// Flows by verdict kind.
    pub by_verdict: BTreeMap<String, u64>,
    /// Blocked flows inside the enforcement scope.
    pub enforced_blocked: u64,
    /// Summary by (client zone, server zone, service, verdict kind).
    pub summary: BTreeMap<(String, String, String, String), SummaryRow>,
    /// Hits per rule id.
    pub rule_hits: BTreeMap<String, RuleHits>,
    /// Impact per zone.
    pub zones: BTreeMap<String, ZoneImpact>,
}

fn push_example(v: &mut Vec<FlowRef>, f: FlowRef) {
    v.push(f);
    v.sort_by_key(|f| (f.ts, f.flow_id));
    v.dedup_by_key(|f| f.flow_id);
    v.truncate(EXAMPLES);
}

impl AuditTally {
    /// Judges one record; returns its verdict for the flow's first record (later records of
    /// a long flow only add bytes).
    pub fn observe<L: LabelSource>(
        &mut self,
        eval: &Evaluator<'_, L>,
        options: &AuditOptions,
        r: &FlowRecord,
    ) -> Option<FlowVerdict> {
        let key = EdgeKey::of(r);
        let zone = |m: ZoneMatch<'_>| match m {
            ZoneMatch::Zone(z) => Some(z.to_owned()),
            _ => None,
        };
        let from = zone(eval.zone_of(key.client.ip));
        let to = zone(eval.zone_of(key.server.ip));
        let verdict = eval.verdict(key.client.ip, key.server.ip, key.transport, key.port);
        let service = format!("{}/{}", key.transport, key.port);
        let row_key = (
            from.clone().unwrap_or_else(|| "(none)".to_owned()),
            to.clone().unwrap_or_else(|| "(none)".to_owned()),
            service.clone(),
            verdict.kind().to_owned(),
        );
        let enforced = options.enforced(from.as_deref(), to.as_deref());
        let row = self.summary.entry(row_key).or_default();
        row.bytes += r.bytes();
        if r.record_seq != 0 {
            return None;
        }
        let fr = r.flow_ref();
        self.flows += 1;
        *self
            .by_verdict
            .entry(verdict.kind().to_owned())
            .or_default() += 1;
        row.flows += 1;
        row.pairs.insert(key);
        row.host_pairs = row.pairs.len() as u64;
        row.first_seen = Some(row.first_seen.map_or(r.first_ts, |t| t.min(r.first_ts)));
        row.last_seen = Some(row.last_seen.map_or(r.last_ts, |t| t.max(r.last_ts)));
        push_example(&mut row.examples, fr.clone());
        let blocked = verdict.is_blocked();
        if blocked && enforced {
            row.enforced_flows += 1;
            self.enforced_blocked += 1;
        }
        if let Some(id) = verdict.rule().filter(|_| !blocked) {
            let hits = self.rule_hits.entry(id.to_owned()).or_default();
            hits.flows += 1;
            if hits.ports.len() < PORTS_PER_RULE {
                hits.ports.insert(key.port);
            }
            push_example(&mut hits.examples, fr.clone());
        }
        for (z, role) in [(&from, 0u8), (&to, 1u8)] {
            let Some(z) = z else { continue };
            let imp = self.zones.entry(z.clone()).or_default();
            if !blocked {
                if role == 0 || from != to {
                    imp.allowed += 1;
                }
            } else if from == to {
                if role == 0 {
                    imp.intra_blocked += 1;
                }
            } else if role == 0 {
                imp.egress_blocked += 1;
            } else {
                imp.ingress_blocked += 1;
            }
        }
        Some(FlowVerdict {
            flow: fr,
            client: endpoint(r.client.ip, key.client.vlan, r.client.port),
            server: endpoint(r.server.ip, key.server.vlan, r.server.port),
            service,
            app: r.app_proto.to_string(),
            from_zone: from,
            to_zone: to,
            verdict,
            enforced,
        })
    }

    /// Adds another worker's tally.
    pub fn merge(&mut self, o: &AuditTally) {
        self.flows += o.flows;
        self.enforced_blocked += o.enforced_blocked;
        for (k, n) in &o.by_verdict {
            *self.by_verdict.entry(k.clone()).or_default() += n;
        }
        for (k, r) in &o.summary {
            let row = self.summary.entry(k.clone()).or_default();
            row.flows += r.flows;
            row.bytes += r.bytes;
            row.enforced_flows += r.enforced_flows;
            row.pairs.extend(r.pairs.iter().copied());
            row.host_pairs = row.pairs.len() as u64;
            row.first_seen = match (row.first_seen, r.first_seen) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            row.last_seen = match (row.last_seen, r.last_seen) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            for e in &r.examples {
                push_example(&mut row.examples, e.clone());
            }
        }
        for (k, h) in &o.rule_hits {
            let hits = self.rule_hits.entry(k.clone()).or_default();
            hits.flows += h.flows;
            for p in &h.ports {
                if hits.ports.len() < PORTS_PER_RULE {
                    hits.ports.insert(*p);
                }
            }
            for e in &h.examples {
                push_example(&mut hits.examples, e.clone());
            }
        }
        for (k, z) in &o.zones {
            let imp = self.zones.entry(k.clone()).or_default();
            imp.ingress_blocked += z.ingress_blocked;
            imp.egress_blocked += z.egress_blocked;
            imp.intra_blocked += z.intra_blocked;
            imp.allowed += z.allowed;
        }
    }
}

fn endpoint(ip: std::net::IpAddr, vlan: Option<u16>, port: u16) -> String {
    let addr = match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        v4 => format!("{v4}:{port}"),
    };
    match vlan {
        Some(v) => format!("{addr}%vlan{v}"),
        None => addr,
    }
}

/// A rule whose port range is wider than the ports its traffic used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroaderRule {
    /// Rule id.
    pub rule: String,
    /// Its service.
    pub service: String,
    /// Ports the traffic used.
    pub used_ports: Vec<u16>,
    /// Ports it opens that nothing used.
    pub unused_ports: u32,
}

/// One row of the summary, flattened for JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryEntry {
    /// Client zone.
    pub from: String,
    /// Server zone.
    pub to: String,
    /// `tcp/443`.
    pub service: String,
    /// Verdict kind.
    pub verdict: String,
    /// Counts and examples.
    #[serde(flatten)]
    pub row: SummaryRow,
}

/// Schema id of `audit.json`.
pub const AUDIT_SCHEMA: &str = "segscope.audit/1";

/// The audit of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// [`AUDIT_SCHEMA`].
    pub schema: String,
    /// Policy name.
    pub policy: String,
    /// Enforcement scope.
    pub options: AuditOptions,
    /// Flows judged.
    pub flows: u64,
    /// Flows by verdict kind.
    pub by_verdict: BTreeMap<String, u64>,
    /// Blocked flows inside the enforcement scope (what `--fail-on-block` looks at).
    pub enforced_blocked: u64,
    /// Summary rows, blocked first, then by flows.
    pub summary: Vec<SummaryEntry>,
    /// Hits per rule, every rule listed (0 for unused ones).
    pub rule_hits: BTreeMap<String, RuleHits>,
    /// Rules nothing used: candidates for removal.
    pub unused_rules: Vec<String>,
    /// Rules wider than the ports their traffic used.
    pub broader_than_needed: Vec<BroaderRule>,
    /// Rules another rule makes useless.
    pub shadowed_rules: Vec<Shadowed>,
    /// Impact per zone, for staging.
    pub zones: BTreeMap<String, ZoneImpact>,
}

impl AuditReport {
    /// Builds the report from the merged tally.
    pub fn new(policy: &Policy, options: AuditOptions, tally: AuditTally) -> AuditReport {
        let mut rule_hits = tally.rule_hits;
        let mut unused = Vec::new();
        let mut broader = Vec::new();
        for r in policy.rules.iter().filter(|r| r.action == Action::Allow) {
            let hits = rule_hits.entry(r.id.clone()).or_default();
            if hits.flows == 0 {
                unused.push(r.id.clone());
                continue;
            }
            let width = u32::from(r.service.hi) - u32::from(r.service.lo) + 1;
            let used = hits.ports.len() as u32;
            if width > used && hits.ports.len() < PORTS_PER_RULE {
                broader.push(BroaderRule {
                    rule: r.id.clone(),
                    service: r.service.to_string(),
                    used_ports: hits.ports.iter().copied().collect(),
                    unused_ports: width - used,
                });
            }
        }
        let mut zones = tally.zones;
        for z in &policy.zones {
            zones.entry(z.name.clone()).or_default();
        }
        let mut summary: Vec<SummaryEntry> = tally
            .summary
            .into_iter()
            .map(|((from, to, service, verdict), row)| SummaryEntry {
                from,
                to,
                service,
                verdict,
                row,
            })
            .collect();
        summary.sort_by(|a, b| {
            let blocked = |e: &SummaryEntry| !e.verdict.starts_with("blocked");
            blocked(a)
                .cmp(&blocked(b))
                .then(b.row.flows.cmp(&a.row.flows))
                .then_with(|| (&a.from, &a.to, &a.service).cmp(&(&b.from, &b.to, &b.service)))
        });
        AuditReport {
            schema: AUDIT_SCHEMA.to_owned(),
            policy: policy.name.clone(),
            options,
            flows: tally.flows,
            by_verdict: tally.by_verdict,
            enforced_blocked: tally.enforced_blocked,
            summary,
            rule_hits,
            unused_rules: unused,
            broader_than_needed: broader,
            shadowed_rules: shadowed(policy),
            zones,
        }
    }
}
