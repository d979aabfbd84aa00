//! The result of `segscope analyze`: plain serde data that the report, the zone proposal, the
//! policy audit and the ZTMM score read.

use std::collections::BTreeMap;
use std::path::Path;

use segscope_core::{EdgeKey, Timestamp, WorkloadKey};
use segscope_rules::{FindingRules, ProtocolRules, RuleError, RuleSource};
use serde::{Deserialize, Serialize};

use crate::blast::BlastRadius;
use crate::config::AnalysisConfig;
use crate::edge::AnalyzedEdge;
use crate::enforcement::ZoneEnforcement;
use crate::findings::Finding;
use crate::inventory::Inventory;
use crate::metrics::Metric;
use crate::metrics::segmentation::{CriticalAsset, Tunnel};
use crate::segment::{Segment, SegmentPair};
use crate::workload::Workload;

/// Schema id of [`Analysis`] in JSON. Bumped on any incompatible change.
pub const SCHEMA: &str = "segscope.analysis/1";

/// Everything the analysis needs besides the edges.
#[derive(Clone, Debug)]
pub struct AnalysisInputs {
    /// Protocol knowledge (`rules/protocols.yaml`): admin services, infrastructure.
    pub protocols: ProtocolRules,
    /// Detection thresholds (`rules/findings.yaml`).
    pub rules: FindingRules,
    /// The inventory (may be empty).
    pub inventory: Inventory,
    /// The configuration.
    pub config: AnalysisConfig,
}

impl AnalysisInputs {
    /// Rules from `source`, checked against each other; no inventory; default configuration.
    pub fn from_rules(source: &RuleSource) -> Result<AnalysisInputs, RuleError> {
        let protocols = source.protocols()?;
        let (name, text) = source.read("findings.yaml")?;
        let rules = FindingRules::parse(&name, &text)?;
        rules.check_against(&name, &protocols)?;
        Ok(AnalysisInputs {
            protocols,
            rules,
            inventory: Inventory::default(),
            config: AnalysisConfig::default(),
        })
    }

    /// The shipped rules, no inventory, default configuration.
    pub fn embedded() -> Result<AnalysisInputs, RuleError> {
        AnalysisInputs::from_rules(&RuleSource::embedded())
    }

    /// Adds an inventory file (CSV or YAML).
    pub fn with_inventory_file(mut self, path: &Path) -> Result<AnalysisInputs, RuleError> {
        self.inventory = Inventory::load(path)?;
        Ok(self)
    }

    /// Adds a configuration file (YAML).
    pub fn with_config_file(mut self, path: &Path) -> Result<AnalysisInputs, RuleError> {
        self.config = AnalysisConfig::load(path)?;
        Ok(self)
    }
}

/// What the capture covered. Reported with every metric (ztmm-networks-rubric.md §3.1 rule 4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// First packet.
    pub first_ts: Option<Timestamp>,
    /// Last packet.
    pub last_ts: Option<Timestamp>,
    /// Seconds between them.
    pub duration_seconds: f64,
    /// Captures and interfaces that contributed.
    pub vantage_points: Vec<String>,
    /// Application bytes observed.
    pub total_bytes: u64,
    /// Bytes of flows no probe recognised.
    pub opaque_bytes: u64,
    /// Flows no probe recognised.
    pub opaque_flows: u64,
    /// `opaque_bytes / total_bytes`.
    pub opaque_bytes_share: Option<f64>,
    /// Active internal segments.
    pub active_segments: u32,
    /// Segments whose internal (same-segment) traffic was seen; for the others, flatness
    /// inside the segment cannot be judged from this capture.
    pub segments_with_intra_traffic: Vec<String>,
}

/// A class of edges left out of some metrics, and how much it weighed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    /// Id referenced by metrics: `infrastructure`, `reply_path`, `group_address`,
    /// `north_south`, `attempts_only`, `expected_service_use`, `admin_path`.
    pub id: String,
    /// What it is and why it is left out.
    pub description: String,
    /// Edges concerned.
    pub edges: u64,
    /// Flows concerned.
    pub flows: u64,
    /// Break-down (for `infrastructure`: by reason, e.g. `dns`, `kerberos to domain
    /// controller`) with flow counts.
    pub items: BTreeMap<String, u64>,
}

/// Observed from traffic, or recomputed as if a policy were enforced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// From the traffic as captured.
    #[default]
    Observed,
    /// Recomputed over the flows a policy would allow; never evidence of enforcement.
    Projected,
}

/// The analysis of one edge set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// [`SCHEMA`].
    pub schema: String,
    /// What the capture covered.
    pub coverage: Coverage,
    /// The configuration used.
    pub config: AnalysisConfig,
    /// Workloads, sorted by key.
    pub workloads: Vec<Workload>,
    /// Edges, sorted by key.
    pub edges: Vec<AnalyzedEdge>,
    /// Segments, sorted by id.
    pub segments: Vec<Segment>,
    /// Communicating segment pairs (metrics S1, S2), sorted.
    pub segment_pairs: Vec<SegmentPair>,
    /// Default-deny evidence per internal segment (metric S4).
    pub zones: Vec<ZoneEnforcement>,
    /// Critical assets and their isolation (metric S6).
    pub critical_assets: Vec<CriticalAsset>,
    /// Bulk tunnels (metric S5).
    pub tunnels: Vec<Tunnel>,
    /// Metrics, in rubric order.
    pub metrics: Vec<Metric>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Blast radius per workload.
    pub blast_radius: BlastRadius,
    /// What was left out of which metrics.
    pub exclusions: Vec<Exclusion>,
}

impl Analysis {
    /// The workload with this key.
    pub fn workload(&self, key: &WorkloadKey) -> Option<&Workload> {
        self.workload_index(key).and_then(|i| self.workloads.get(i))
    }

    /// Position of a workload in [`Analysis::workloads`].
    pub fn workload_index(&self, key: &WorkloadKey) -> Option<usize> {
        self.workloads.binary_search_by(|w| w.key.cmp(key)).ok()
    }

    /// The edge with this key.
    pub fn edge(&self, key: &EdgeKey) -> Option<&AnalyzedEdge> {
        self.edges
            .binary_search_by(|e| e.key.cmp(key))
            .ok()
            .and_then(|i| self.edges.get(i))
    }

    /// The metric with this id (`S1`, `E1`…).
    pub fn metric(&self, id: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.id == id)
    }

    /// The segment with this id.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments
            .binary_search_by(|s| (*s.id).cmp(id))
            .ok()
            .and_then(|i| self.segments.get(i))
    }
}
