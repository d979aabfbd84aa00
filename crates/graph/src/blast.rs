//! Blast radius: from each workload, what an attacker holding it can reach by following
//! observed admin-protocol edges and edges that carry no (or only cleartext) authentication,
//! hop after hop, and the shortest paths to critical assets.
//!
//! Cost: the movement graph is condensed into strongly connected components (petgraph's
//! Tarjan), reachable counts come from a bitset pass over the condensation in reverse
//! topological order, processed in chunks of 4096 components to bound memory, and paths to
//! critical assets from one reverse breadth-first search per critical asset. With `M` movement
//! edges, `S` components and `C` critical assets that is O(M log M + M·S/64 + C·M).

use std::collections::{BTreeMap, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Bfs;
use segscope_core::{Transport, WorkloadKey};
use serde::{Deserialize, Serialize};

use crate::analysis::Basis;
use crate::edge::AnalyzedEdge;
use crate::view::View;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// From.
    pub client: WorkloadKey,
    /// To.
    pub server: WorkloadKey,
    /// Transport of the edge used.
    pub transport: Transport,
    /// Port of the edge used.
    pub port: u16,
    /// What makes it usable: the admin service, or the authentication class.
    pub via: String,
}

/// The shortest path from a workload to a critical asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriticalPath {
    /// The critical asset.
    pub target: WorkloadKey,
    /// The hops, in order.
    pub hops: Vec<Hop>,
}

/// What one workload reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadReach {
    /// The foothold.
    pub workload: WorkloadKey,
    /// Workloads reachable (itself excluded).
    pub reachable: u32,
    /// Critical assets reachable.
    pub reachable_critical: u32,
    /// Shortest paths to critical assets, shortest first (at most `max_paths_per_workload`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub paths: Vec<CriticalPath>,
    /// The reachable workloads, listed for the top footholds only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reachable_set: Option<Vec<WorkloadKey>>,
}

/// Blast radius of every workload that reaches anything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlastRadius {
    /// Observed or projected.
    pub basis: Basis,
    /// Which edges an attacker can follow.
    pub edge_rule: String,
    /// Distinct (client, server) movement edges.
    pub movement_edges: u64,
    /// Workloads reaching at least one other, sorted by key.
    pub workloads: Vec<WorkloadReach>,
    /// The worst footholds: most critical assets reachable, then most workloads.
    pub top_footholds: Vec<WorkloadKey>,
}

impl BlastRadius {
    /// The reach of one workload (none when it reaches nothing).
    pub fn of(&self, key: &WorkloadKey) -> Option<&WorkloadReach> {
        self.workloads
            .binary_search_by(|w| w.workload.cmp(key))
            .ok()
            .and_then(|i| self.workloads.get(i))
    }
}

/// Why an edge can be followed, or `None`.
pub(crate) fn movement_via(v: &View<'_>, e: &AnalyzedEdge) -> Option<String> {
    let rules = &v.rules.blast_radius;
    if !e.is_service() || e.key.client == e.key.server {
        return None;
    }
    if let Some(a) = &e.admin_service
        && (!e.expected_service_use || rules.include_expected_service_use)
    {
        return Some(a.clone());
    }
    rules
        .auth_classes
        .iter()
        .find(|c| e.auth_count(**c) > 0)
        .map(|c| format!("{c} {}", e.app))
}

struct Movement {
    /// (client, server, edge index) per distinct pair, sorted.
    pairs: Vec<(usize, usize, usize)>,
}

fn movement(v: &View<'_>) -> Movement {
    let mut pairs: Vec<(usize, usize, usize)> = v
        .live_edges()
        .filter(|(i, e)| {
            let (_, s) = v.ends.get(*i).copied().unwrap_or_default();
            v.workload(s).is_internal() && movement_via(v, e).is_some()
        })
        .map(|(i, _)| {
            let (c, s) = v.ends.get(i).copied().unwrap_or_default();
            (c, s, i)
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup_by_key(|p| (p.0, p.1));
    Movement { pairs }
}

const CHUNK_WORDS: usize = 64;
const CHUNK_BITS: usize = CHUNK_WORDS * 64;

/// Blast radius over the view.
pub(crate) fn compute(v: &View<'_>) -> BlastRadius {
    let rules = &v.rules.blast_radius;
    let mv = movement(v);
    let mut edge_rule = "answered admin-protocol edges".to_owned();
    if !rules.include_expected_service_use {
        edge_rule.push_str(" (not the server's own service)");
    }
    if !rules.auth_classes.is_empty() {
        let classes: Vec<String> = rules.auth_classes.iter().map(|c| c.to_string()).collect();
        edge_rule.push_str(&format!(" and edges carrying {}", classes.join(" or ")));
    }
    // Graph over the workloads that take part.
    let mut node_of: BTreeMap<usize, NodeIndex> = BTreeMap::new();
    let mut g: DiGraph<usize, usize> = DiGraph::new();
    for &(c, s, _) in &mv.pairs {
        for w in [c, s] {
            node_of.entry(w).or_insert_with(|| g.add_node(w));
        }
    }
    for &(c, s, i) in &mv.pairs {
        if let (Some(&a), Some(&b)) = (node_of.get(&c), node_of.get(&s)) {
            g.add_edge(a, b, i);
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&g);
    let mut comp = vec![0usize; g.node_count()];
    for (k, scc) in sccs.iter().enumerate() {
        for n in scc {
            if let Some(slot) = comp.get_mut(n.index()) {
                *slot = k;
            }
        }
    }
    let mut dag: Vec<(usize, usize)> = g
        .edge_indices()
        .filter_map(|e| g.edge_endpoints(e))
        .map(|(a, b)| {
            (
                comp.get(a.index()).copied().unwrap_or_default(),
                comp.get(b.index()).copied().unwrap_or_default(),
            )
        })
        .filter(|(a, b)| a != b)
        .collect();
    dag.sort_unstable();
    dag.dedup();
    let reach = reach_counts(&sccs, &dag);
    // Critical assets: reverse BFS from each, keeping the shortest paths per workload.
    let n = g.node_count();
    let mut rev: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for e in g.edge_indices() {
        if let (Some((a, b)), Some(&i)) = (g.edge_endpoints(e), g.edge_weight(e))
            && let Some(slot) = rev.get_mut(b.index())
        {
            slot.push((a.index(), i));
        }
    }
    for r in &mut rev {
        r.sort_unstable();
    }
    let max_paths = rules.max_paths_per_workload;
    let mut crit_count = vec![0u32; n];
    let mut paths: Vec<Vec<(usize, usize, Vec<Hop>)>> = vec![Vec::new(); n];
    for (w, &node) in &node_of {
        if !v.workload(*w).is_critical() {
            continue;
        }
        let target = node.index();
        let mut next: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut dist: Vec<u32> = vec![u32::MAX; n];
        let mut queue = VecDeque::from([target]);
        if let Some(d) = dist.get_mut(target) {
            *d = 0;
        }
        while let Some(u) = queue.pop_front() {
            let du = dist.get(u).copied().unwrap_or(u32::MAX);
            for &(p, edge) in rev.get(u).map_or(&[][..], Vec::as_slice) {
                if dist.get(p).is_some_and(|d| *d == u32::MAX) {
                    if let Some(d) = dist.get_mut(p) {
                        *d = du + 1;
                    }
                    if let Some(x) = next.get_mut(p) {
                        *x = Some((u, edge));
                    }
                    queue.push_back(p);
                }
            }
        }
        for u in 0..n {
            let d = dist.get(u).copied().unwrap_or(u32::MAX);
            if u == target || d == u32::MAX {
                continue;
            }
            if let Some(c) = crit_count.get_mut(u) {
                *c += 1;
            }
            let Some(list) = paths.get_mut(u) else {
                continue;
            };
            let worst = list.iter().map(|p| p.0).max().unwrap_or(0);
            if list.len() >= max_paths && d as usize >= worst {
                continue;
            }
            let mut hops = Vec::new();
            let mut at = u;
            while let Some(Some((to, edge))) = next.get(at) {
                if let Some(e) = v.edges.get(*edge) {
                    hops.push(Hop {
                        client: e.key.client,
                        server: e.key.server,
                        transport: e.key.transport,
                        port: e.key.port,
                        via: movement_via(v, e).unwrap_or_default(),
                    });
                }
                at = *to;
            }
            list.push((d as usize, *w, hops));
            list.sort_by_key(|p| (p.0, p.1));
            list.truncate(max_paths);
        }
    }
    let mut workloads: Vec<WorkloadReach> = node_of
        .iter()
        .filter_map(|(w, node)| {
            let k = comp.get(node.index()).copied().unwrap_or_default();
            let reachable = reach.get(k).copied().unwrap_or(1).saturating_sub(1);
            if reachable == 0 {
                return None;
            }
            Some(WorkloadReach {
                workload: v.workload(*w).key,
                reachable: u32::try_from(reachable).unwrap_or(u32::MAX),
                reachable_critical: crit_count.get(node.index()).copied().unwrap_or_default(),
                paths: paths
                    .get(node.index())
                    .map(|l| {
                        l.iter()
                            .map(|(_, t, hops)| CriticalPath {
                                target: v.workload(*t).key,
                                hops: hops.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                reachable_set: None,
            })
        })
        .collect();
    workloads.sort_by_key(|w| w.workload);
    let mut ranked: Vec<usize> = (0..workloads.len()).collect();
    ranked.sort_by(|&a, &b| {
        let (x, y) = (&workloads[a], &workloads[b]);
        y.reachable_critical
            .cmp(&x.reachable_critical)
            .then(y.reachable.cmp(&x.reachable))
            .then(x.workload.cmp(&y.workload))
    });
    ranked.truncate(rules.top_footholds);
    let mut top_footholds = Vec::with_capacity(ranked.len());
    for i in ranked {
        let Some(reach) = workloads.get_mut(i) else {
            continue;
        };
        top_footholds.push(reach.workload);
        let start = v
            .workloads
            .binary_search_by(|w| w.key.cmp(&reach.workload))
            .ok()
            .and_then(|idx| node_of.get(&idx).copied());
        if let Some(start) = start {
            let mut bfs = Bfs::new(&g, start);
            let mut set = Vec::new();
            while let Some(nx) = bfs.next(&g) {
                if nx != start
                    && let Some(&w) = g.node_weight(nx)
                {
                    set.push(v.workload(w).key);
                }
            }
            set.sort();
            reach.reachable_set = Some(set);
        }
    }
    BlastRadius {
        basis: v.basis,
        edge_rule,
        movement_edges: mv.pairs.len() as u64,
        workloads,
        top_footholds,
    }
}

/// Number of workloads reachable from each component (itself included), by a bitset pass over
/// the condensation. `sccs` is in reverse topological order (Tarjan's), so every successor of a
/// component comes before it.
fn reach_counts(sccs: &[Vec<NodeIndex>], dag: &[(usize, usize)]) -> Vec<usize> {
    let s = sccs.len();
    let size: Vec<usize> = sccs.iter().map(Vec::len).collect();
    // Successor lists from the sorted DAG edges.
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); s];
    for &(a, b) in dag {
        if let Some(l) = succ.get_mut(a) {
            l.push(b);
        }
    }
    let mut counts = vec![0usize; s];
    let mut base = 0;
    while base < s {
        let width = (s - base).min(CHUNK_BITS);
        let words = width.div_ceil(64);
        let mut bits = vec![0u64; s * words];
        let mut row = vec![0u64; words];
        for k in 0..s {
            row.fill(0);
            if (base..base + width).contains(&k) {
                let bit = k - base;
                if let Some(w) = row.get_mut(bit / 64) {
                    *w |= 1u64 << (bit % 64);
                }
            }
            for &t in succ.get(k).map_or(&[][..], Vec::as_slice) {
                if let Some(src) = bits.get(t * words..(t + 1) * words) {
                    for (r, x) in row.iter_mut().zip(src) {
                        *r |= x;
                    }
                }
            }
            let mut total = 0;
            for (wi, &word) in row.iter().enumerate() {
                let mut w = word;
                while w != 0 {
                    let bit = w.trailing_zeros() as usize;
                    total += size.get(base + wi * 64 + bit).copied().unwrap_or_default();
                    w &= w - 1;
                }
            }
            if let Some(c) = counts.get_mut(k) {
                *c += total;
            }
            if let Some(dst) = bits.get_mut(k * words..(k + 1) * words) {
                dst.copy_from_slice(&row);
            }
        }
        base += width;
    }
    counts
}
