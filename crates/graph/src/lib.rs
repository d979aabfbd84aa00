//! The workload communication graph: what a network engineer and an assessor reason about.
//!
//! [`analyze`] turns an [`EdgeSet`](segscope_core::edge::EdgeSet) — mergeable aggregates of flows
//! between one client and one service, plus the names traffic revealed — into an
//! [`Analysis`]:
//!
//! * **workloads** (one per address and VLAN), with every name learned and where, address reuse
//!   over time, inventory overrides, a role with its reason, internal/external, segment
//!   (inventory zone, else VLAN, else /24 or /64), criticality, labels and services;
//! * **edges**: the core aggregate plus derived facts (service or reply path, admin service,
//!   infrastructure, crosses a segment);
//! * **segments**, communicating **segment pairs** and **default-deny evidence** per zone;
//! * **metrics** S1–S6, E1–E5, A1–A2 (ztmm-networks-rubric.md §3), each with its definition,
//!   numerator and denominator, exclusions, coverage and evidence flows;
//! * **findings** (`lateral_movement`, `scan`, `cleartext_credentials`,
//!   `unauthenticated_service`, `flat_network`, `weak_crypto`) with stable ids, evidence flows
//!   and remediation; thresholds and severities come from `rules/findings.yaml`;
//! * **blast radius**: what each workload reaches over admin and unauthenticated edges, with
//!   paths to critical assets.
//!
//! [`recompute_with`] replays the analysis "as if enforced" for the policy audit, and the
//! exporters write DOT, GraphML and a Markdown section. Everything is deterministic: sorted
//! vectors and B-tree maps, never hash-map order.
//!
//! ```
//! use segscope_graph::{AnalysisInputs, analyze, synth};
//!
//! let set = synth::edge_set("example", &[
//!     "10.0.0.5 -> 10.0.0.6 tcp/445 app=smb auth=ntlm",
//!     "10.0.0.5 -> 10.0.9.1 tcp/443 app=tls auth=tls_server_only",
//!     "10.0.0.6 -> 10.0.9.1 tcp/443 app=tls auth=tls_server_only",
//!     "10.0.0.6 -> 10.0.9.2 udp/53 app=dns auth=not_applicable",
//!     "10.0.0.5 -> 10.0.9.2 udp/53 app=dns auth=not_applicable",
//! ]).expect("valid flow lines");
//! let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
//! assert_eq!(analysis.findings[0].kind.as_str(), "lateral_movement");
//! assert_eq!(analysis.metric("S3a").and_then(|m| m.value), Some(0.5));
//! ```

pub mod addr;
pub mod analysis;
pub mod blast;
mod build;
pub mod config;
pub mod edge;
pub mod enforcement;
pub mod export;
pub mod findings;
pub mod inventory;
pub mod metrics;
pub mod names;
pub mod project;
mod roles;
mod rule_tests;
pub mod segment;
pub mod selector;
pub mod synth;
mod view;
pub mod workload;

pub use analysis::{Analysis, AnalysisInputs, Basis, Coverage, Exclusion, SCHEMA};
pub use blast::BlastRadius;
pub use build::analyze;
pub use config::AnalysisConfig;
pub use edge::{AnalyzedEdge, EdgeStatus};
pub use export::dot::to_dot;
pub use export::graphml::to_graphml;
pub use export::markdown::markdown_section;
pub use findings::Finding;
pub use inventory::Inventory;
pub use metrics::Metric;
pub use project::{Projected, reachable_from, recompute_with};
pub use rule_tests::run_rule_tests;
pub use segment::{Segment, SegmentPair};
pub use segscope_rules::findings::{Criticality, FindingKind, Role, Severity};
pub use workload::Workload;
