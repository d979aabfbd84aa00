//! The edge aggregate: what a sensor keeps of many flows between one client and one service.
//!
//! Everything in an [`Edge`] is a count, a sum, a min/max or a small bounded set, so edges from
//! many sensors (or many shards of one capture) merge by [`Edge::merge`] in any order with the
//! same result. The analysis stages read edges, never packets, so they do not care where the
//! edges came from.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::auth::{AppProto, AuthClass, Confidence, Weakness};
use crate::flow::{ConnState, FlowRecord, FlowRef, Transport, TunnelKind};
use crate::names::{NameObservation, NameSource};
use crate::time::Timestamp;

/// How many evidence flows an edge keeps per category. Enough to open a handful in Wireshark,
/// small enough that a million-flow edge costs the same as a ten-flow one.
pub const EVIDENCE_PER_CATEGORY: usize = 5;

/// How many distinct small-set values (users, identities) an edge keeps.
pub const SMALL_SET_CAP: usize = 8;

/// A workload as the traffic identifies it: an address, qualified by its VLAN where tagged
/// (the same private address on two VLANs is two workloads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkloadKey {
    /// Address.
    pub ip: IpAddr,
    /// Outer VLAN id, if tagged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vlan: Option<u16>,
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.vlan {
            Some(v) => write!(f, "{}%vlan{v}", self.ip),
            None => write!(f, "{}", self.ip),
        }
    }
}

/// The identity of an edge: who called which service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EdgeKey {
    /// The calling workload.
    pub client: WorkloadKey,
    /// The serving workload.
    pub server: WorkloadKey,
    /// Transport.
    pub transport: Transport,
    /// Server port (ICMP: the request type).
    pub port: u16,
}

impl EdgeKey {
    /// The edge a flow belongs to.
    pub fn of(flow: &FlowRecord) -> EdgeKey {
        EdgeKey {
            client: WorkloadKey {
                ip: flow.client.ip,
                vlan: flow.vlan,
            },
            server: WorkloadKey {
                ip: flow.server.ip,
                vlan: flow.vlan,
            },
            transport: flow.transport,
            port: if flow.transport.is_icmp() {
                flow.client.port
            } else {
                flow.server.port
            },
        }
    }
}

/// A bounded, deterministic sample of evidence flows: the earliest `cap` by (time, flow id).
/// Merging two samples and truncating gives the same result as sampling the union.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EvidenceSample(pub Vec<FlowRef>);

impl EvidenceSample {
    /// Offers a flow to the sample.
    pub fn offer(&mut self, r: FlowRef) {
        let key = |f: &FlowRef| (f.ts, f.flow_id);
        if self.0.len() >= EVIDENCE_PER_CATEGORY {
            match self.0.last() {
                Some(last) if key(&r) >= key(last) => return,
                _ => {}
            }
        }
        if self.0.iter().any(|f| f.flow_id == r.flow_id) {
            return;
        }
        let pos = self.0.partition_point(|f| key(f) < key(&r));
        self.0.insert(pos, r);
        self.0.truncate(EVIDENCE_PER_CATEGORY);
    }

    /// Merges another sample into this one.
    pub fn merge(&mut self, other: &EvidenceSample) {
        for r in &other.0 {
            self.offer(r.clone());
        }
    }

    /// The sampled flows, earliest first.
    pub fn flows(&self) -> &[FlowRef] {
        &self.0
    }

    /// True when nothing was sampled.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn offer_small(set: &mut BTreeSet<String>, v: &str) {
    if set.contains(v) {
        return;
    }
    if set.len() < SMALL_SET_CAP {
        set.insert(v.to_owned());
    } else if let Some(last) = set.last().cloned()
        && v < last.as_str()
    {
        // Keep the smallest values so that the result does not depend on arrival order.
        set.remove(&last);
        set.insert(v.to_owned());
    }
}

fn merge_small(into: &mut BTreeSet<String>, from: &BTreeSet<String>) {
    for v in from {
        offer_small(into, v);
    }
}

/// Many flows between one client workload and one service, reduced to mergeable aggregates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Records (interim slices of one flow count once: only `record_seq == 0` adds a flow).
    pub flows: u64,
    /// Flows where the server answered (Zeek states SF, S1, S2, S3, RSTO, RSTR; UDP/ICMP with
    /// replies).
    pub established: u64,
    /// Attempts with no answer (S0, SH; UDP with no reply).
    pub no_reply: u64,
    /// Attempts answered by a reset (REJ, RSTOS0).
    pub rejected: u64,
    /// Attempts answered by ICMP administratively prohibited.
    pub admin_prohibited: u64,
    /// Client-to-server application bytes.
    pub client_bytes: u64,
    /// Server-to-client application bytes.
    pub server_bytes: u64,
    /// Client-to-server packets.
    pub client_packets: u64,
    /// Server-to-client packets.
    pub server_packets: u64,
    /// First packet of any flow on this edge.
    pub first_seen: Option<Timestamp>,
    /// Last packet of any flow on this edge.
    pub last_seen: Option<Timestamp>,
    /// Flows by authentication class (final records only).
    pub auth: BTreeMap<AuthClass, u64>,
    /// Application bytes (both directions) by authentication class, so byte shares are exact.
    pub auth_bytes: BTreeMap<AuthClass, u64>,
    /// TLS flows whose client authentication is not visible, by their strongest passive
    /// indicator: `strong:client_cert_likely`, `weak:no_client_cert_likely`, … or `none`.
    pub tls_indicators: BTreeMap<String, u64>,
    /// Flows whose server certificate was visible, and how many of those certificates were
    /// valid for 90 days or less (short-lived certificates suggest automated rotation).
    pub server_certs_seen: u64,
    /// See `server_certs_seen`.
    pub short_lived_server_certs: u64,
    /// Flows carried in each kind of tunnel.
    pub tunnels: BTreeMap<TunnelKind, u64>,
    /// Flows by application protocol.
    pub app_protos: BTreeMap<AppProto, u64>,
    /// Flows whose protocol was confirmed from the payload.
    pub payload_confirmed: u64,
    /// Flows whose client/server direction came from the port heuristic (no SYN seen). An edge
    /// made only of such flows may be a reply path, not a service.
    pub direction_inferred: u64,
    /// Flows carrying each weakness (a list of `[weakness, flows]` pairs in JSON: a weakness
    /// is not a string key).
    #[serde(with = "pairs")]
    pub weaknesses: BTreeMap<Weakness, u64>,
    /// User names seen in authentication (bounded).
    pub users: BTreeSet<String>,
    /// Client certificate identities: SPIFFE URIs or subjects (bounded).
    pub client_identities: BTreeSet<String>,
    /// Mechanisms seen (`ntlmssp`, `kerberos`, `http_basic`…; bounded).
    pub mechanisms: BTreeSet<String>,
    /// JA4 fingerprints of the clients' TLS hellos (bounded): browser-like clients and mesh
    /// proxies cluster by JA4.
    pub ja4: BTreeSet<String>,
    /// SMB share paths and named pipes (`\\host\ADMIN$`, `svcctl`; bounded): separates remote
    /// execution from file access.
    pub smb_paths: BTreeSet<String>,
    /// Evidence flows per authentication class.
    pub evidence: BTreeMap<AuthClass, EvidenceSample>,
    /// Evidence flows of failed attempts (no reply, reset, admin prohibited).
    pub failed_evidence: EvidenceSample,
    /// Evidence flows per weakness (`[weakness, sample]` pairs in JSON).
    #[serde(with = "pairs")]
    pub weak_evidence: BTreeMap<Weakness, EvidenceSample>,
}

impl Edge {
    /// Adds one flow record to the aggregate.
    pub fn observe(&mut self, f: &FlowRecord) {
        let fr = f.flow_ref();
        self.client_bytes += f.client_stats.bytes;
        self.server_bytes += f.server_stats.bytes;
        self.client_packets += f.client_stats.packets;
        self.server_packets += f.server_stats.packets;
        self.first_seen = Some(self.first_seen.map_or(f.first_ts, |t| t.min(f.first_ts)));
        self.last_seen = Some(self.last_seen.map_or(f.last_ts, |t| t.max(f.last_ts)));
        if f.record_seq == 0 {
            self.flows += 1;
        }
        // Outcome and classification are judged on the final record of a flow, which has
        // seen the most; interim records only add volume.
        if f.interim {
            return;
        }
        let admin = f.icmp_errors.iter().any(|e| e.admin_prohibited)
            || f.icmp.as_ref().is_some_and(|i| i.admin_prohibited);
        let established = f.state.is_established() && f.server_stats.packets > 0;
        if admin {
            self.admin_prohibited += 1;
        } else if established {
            self.established += 1;
        } else if matches!(f.state, ConnState::REJ | ConnState::RSTOS0) {
            self.rejected += 1;
        } else if f.server_stats.packets == 0 {
            self.no_reply += 1;
        }
        if admin || (!established && f.server_stats.packets == 0) || f.state == ConnState::REJ {
            self.failed_evidence.offer(fr.clone());
        }
        *self.auth.entry(f.auth).or_default() += 1;
        *self.auth_bytes.entry(f.auth).or_default() += f.bytes();
        *self.app_protos.entry(f.app_proto).or_default() += 1;
        for t in &f.tunnels {
            *self.tunnels.entry(t.kind).or_default() += 1;
        }
        if f.app_confidence == Confidence::Payload {
            self.payload_confirmed += 1;
        }
        if f.direction_inferred {
            self.direction_inferred += 1;
        }
        self.evidence.entry(f.auth).or_default().offer(fr.clone());
        for w in &f.evidence.weak {
            *self.weaknesses.entry(w.clone()).or_default() += 1;
            self.weak_evidence
                .entry(w.clone())
                .or_default()
                .offer(fr.clone());
        }
        if let Some(u) = &f.evidence.user {
            offer_small(&mut self.users, u);
        }
        if let Some(m) = &f.evidence.mechanism {
            offer_small(&mut self.mechanisms, m);
        }
        if let Some(leaf) = f.evidence.tls.as_ref().and_then(|t| t.server_certs.first()) {
            const NINETY_DAYS_NS: i64 = 90 * 86_400 * 1_000_000_000;
            self.server_certs_seen += 1;
            if leaf.not_after.0.saturating_sub(leaf.not_before.0) <= NINETY_DAYS_NS {
                self.short_lived_server_certs += 1;
            }
        }
        if let Some(tls) = &f.evidence.tls
            && let Some(leaf) = tls.client_certs.first()
        {
            let id = leaf
                .san
                .iter()
                .find(|s| s.starts_with("URI:spiffe://"))
                .unwrap_or(&leaf.subject);
            offer_small(&mut self.client_identities, id);
        }
    }

    /// Merges another aggregate of the same edge (from another shard or sensor).
    pub fn merge(&mut self, o: &Edge) {
        self.flows += o.flows;
        self.established += o.established;
        self.no_reply += o.no_reply;
        self.rejected += o.rejected;
        self.admin_prohibited += o.admin_prohibited;
        self.client_bytes += o.client_bytes;
        self.server_bytes += o.server_bytes;
        self.client_packets += o.client_packets;
        self.server_packets += o.server_packets;
        self.first_seen = min_opt(self.first_seen, o.first_seen);
        self.last_seen = max_opt(self.last_seen, o.last_seen);
        for (k, v) in &o.auth {
            *self.auth.entry(*k).or_default() += v;
        }
        for (k, v) in &o.auth_bytes {
            *self.auth_bytes.entry(*k).or_default() += v;
        }
        for (k, v) in &o.tls_indicators {
            *self.tls_indicators.entry(k.clone()).or_default() += v;
        }
        self.server_certs_seen += o.server_certs_seen;
        self.short_lived_server_certs += o.short_lived_server_certs;
        for (k, v) in &o.tunnels {
            *self.tunnels.entry(*k).or_default() += v;
        }
        for (k, v) in &o.app_protos {
            *self.app_protos.entry(*k).or_default() += v;
        }
        self.payload_confirmed += o.payload_confirmed;
        self.direction_inferred += o.direction_inferred;
        for (k, v) in &o.weaknesses {
            *self.weaknesses.entry(k.clone()).or_default() += v;
        }
        merge_small(&mut self.users, &o.users);
        merge_small(&mut self.client_identities, &o.client_identities);
        merge_small(&mut self.mechanisms, &o.mechanisms);
        merge_small(&mut self.ja4, &o.ja4);
        merge_small(&mut self.smb_paths, &o.smb_paths);
        for (k, v) in &o.evidence {
            self.evidence.entry(*k).or_default().merge(v);
        }
        self.failed_evidence.merge(&o.failed_evidence);
        for (k, v) in &o.weak_evidence {
            self.weak_evidence.entry(k.clone()).or_default().merge(v);
        }
    }

    /// Final records judged (the denominator of the auth distribution).
    pub fn judged(&self) -> u64 {
        self.auth.values().sum()
    }

    /// The most common application protocol, ties broken by name.
    pub fn main_app_proto(&self) -> AppProto {
        self.app_protos
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map_or(AppProto::Unknown, |(p, _)| *p)
    }

    /// The most common authentication class, ties broken towards the weaker class.
    pub fn main_auth(&self) -> AuthClass {
        self.auth
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)))
            .map_or(AuthClass::Unknown, |(c, _)| *c)
    }

    /// Every evidence flow of the edge, deduplicated, earliest first.
    pub fn all_evidence(&self) -> Vec<FlowRef> {
        let mut all: Vec<FlowRef> = self
            .evidence
            .values()
            .chain(std::iter::once(&self.failed_evidence))
            .chain(self.weak_evidence.values())
            .flat_map(|s| s.flows().iter().cloned())
            .collect();
        all.sort_by_key(|a| (a.ts, a.flow_id));
        all.dedup_by_key(|f| f.flow_id);
        all
    }
}

/// The strongest client-authentication indicator of a flow, as `strength:suggests` (`none` when
/// there is none). Strong beats weak; among equals the first recorded wins.
pub fn strongest_indicator(f: &FlowRecord) -> String {
    let rank = |s: &str| if s == "strong" { 0 } else { 1 };
    f.evidence
        .indicators
        .iter()
        .min_by_key(|i| rank(&i.strength))
        .map_or_else(
            || "none".to_owned(),
            |i| format!("{}:{}", i.strength, i.suggests),
        )
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A name bound to an address over a time window: the mergeable form of many
/// [`NameObservation`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameBinding {
    /// Address.
    pub ip: IpAddr,
    /// Name.
    pub name: String,
    /// Where it was learned.
    pub source: NameSource,
    /// First time it was seen.
    pub first_seen: Timestamp,
    /// Last time it was seen.
    pub last_seen: Timestamp,
    /// How often.
    pub count: u64,
}

/// Everything a sensor hands to the analysis: edges, names and the window they cover.
/// Mergeable: [`EdgeSet::merge`] is associative and commutative.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EdgeSet {
    /// Edges by key.
    #[serde(with = "edge_map")]
    pub edges: BTreeMap<EdgeKey, Edge>,
    /// Name bindings by (address, name, source).
    #[serde(with = "name_map")]
    pub names: BTreeMap<(IpAddr, String, NameSource), NameBinding>,
    /// Earliest packet time covered.
    pub first_ts: Option<Timestamp>,
    /// Latest packet time covered.
    pub last_ts: Option<Timestamp>,
    /// Inputs (files or interfaces) that contributed: the vantage points.
    pub sources: BTreeSet<String>,
    /// Flows whose payload no probe recognised, and their bytes (the opaque share).
    pub opaque_flows: u64,
    /// Bytes of those flows.
    pub opaque_bytes: u64,
    /// All application bytes observed.
    pub total_bytes: u64,
}

impl EdgeSet {
    /// Adds one flow record.
    pub fn observe(&mut self, f: &FlowRecord) {
        self.edges.entry(EdgeKey::of(f)).or_default().observe(f);
        for n in &f.names {
            self.observe_name(n);
        }
        self.first_ts = min_opt(self.first_ts, Some(f.first_ts));
        self.last_ts = max_opt(self.last_ts, Some(f.last_ts));
        if !self.sources.contains(&*f.source.file) {
            self.sources.insert(f.source.file.to_string());
        }
        self.total_bytes += f.bytes();
        if !f.interim && f.app_confidence != Confidence::Payload && f.bytes() > 0 {
            self.opaque_flows += 1;
            self.opaque_bytes += f.bytes();
        }
    }

    /// Adds one name observation.
    pub fn observe_name(&mut self, n: &NameObservation) {
        self.names
            .entry((n.ip, n.name.clone(), n.source))
            .and_modify(|b| {
                b.first_seen = b.first_seen.min(n.ts);
                b.last_seen = b.last_seen.max(n.ts);
                b.count += 1;
            })
            .or_insert_with(|| NameBinding {
                ip: n.ip,
                name: n.name.clone(),
                source: n.source,
                first_seen: n.ts,
                last_seen: n.ts,
                count: 1,
            });
    }

    /// Merges another edge set.
    pub fn merge(&mut self, o: &EdgeSet) {
        for (k, e) in &o.edges {
            self.edges.entry(*k).or_default().merge(e);
        }
        for (k, b) in &o.names {
            self.names
                .entry(k.clone())
                .and_modify(|m| {
                    m.first_seen = m.first_seen.min(b.first_seen);
                    m.last_seen = m.last_seen.max(b.last_seen);
                    m.count += b.count;
                })
                .or_insert_with(|| b.clone());
        }
        self.first_ts = min_opt(self.first_ts, o.first_ts);
        self.last_ts = max_opt(self.last_ts, o.last_ts);
        self.sources.extend(o.sources.iter().cloned());
        self.opaque_flows += o.opaque_flows;
        self.opaque_bytes += o.opaque_bytes;
        self.total_bytes += o.total_bytes;
    }
}

/// A map whose keys are not strings, as a list of `[key, value]` pairs (JSON object keys
/// must be strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub(super) fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// JSON object keys must be strings, so edge and name maps travel as lists.
mod edge_map {
    use super::*;
    use serde::{Deserializer, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        key: EdgeKey,
        #[serde(flatten)]
        edge: Edge,
    }

    pub(super) fn serialize<S: Serializer>(
        m: &BTreeMap<EdgeKey, Edge>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter().map(|(k, e)| Entry {
            key: *k,
            edge: e.clone(),
        }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<EdgeKey, Edge>, D::Error> {
        let v: Vec<Entry> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|e| (e.key, e.edge)).collect())
    }
}

mod name_map {
    use super::*;
    use serde::{Deserializer, Serializer};

    type Map = BTreeMap<(IpAddr, String, NameSource), NameBinding>;

    pub(super) fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        let v: Vec<NameBinding> = Vec::deserialize(d)?;
        Ok(v.into_iter()
            .map(|b| ((b.ip, b.name.clone(), b.source), b))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::FlowId;
    use std::sync::Arc;

    fn fref(id: u64, ts: i64) -> FlowRef {
        FlowRef {
            flow_id: FlowId(id),
            community_id: format!("1:{id}"),
            file: Arc::from("x.pcap"),
            first_frame: id,
            ts: Timestamp(ts),
        }
    }

    #[test]
    fn evidence_sample_is_order_independent() {
        let refs: Vec<FlowRef> = (0..20).map(|i| fref(i, (i as i64 * 7919) % 23)).collect();
        let mut forward = EvidenceSample::default();
        refs.iter().for_each(|r| forward.offer(r.clone()));
        let mut backward = EvidenceSample::default();
        refs.iter().rev().for_each(|r| backward.offer(r.clone()));
        let (mut a, mut b) = (EvidenceSample::default(), EvidenceSample::default());
        refs[..9].iter().for_each(|r| a.offer(r.clone()));
        refs[9..].iter().for_each(|r| b.offer(r.clone()));
        a.merge(&b);
        assert_eq!(forward, backward);
        assert_eq!(forward, a);
        assert_eq!(forward.flows().len(), EVIDENCE_PER_CATEGORY);
        let ts: Vec<i64> = forward.flows().iter().map(|f| f.ts.0).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn small_sets_keep_the_smallest_values() {
        let mut s = BTreeSet::new();
        for v in ["k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"] {
            offer_small(&mut s, v);
        }
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "f", "g", "h"]
        );
    }
}
