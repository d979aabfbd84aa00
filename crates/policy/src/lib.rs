//! Default-deny microsegmentation: zones proposed from observed behaviour, the `policy.yaml`
//! format, verdicts for flows (audit mode) and exports to the enforcement points people run.
//!
//! * [`zones::propose_zones`] groups the workloads of an [`Analysis`](segscope_graph::Analysis)
//!   into zones (inventory zones are hard constraints), each membership with its reason;
//! * [`propose::propose_policy`] writes the minimal allow rules for the legitimate traffic,
//!   each citing its flows, and lists what it denies by design;
//! * [`parse`] reads and checks `policy.yaml` with line and column in every error;
//! * [`verdict::Evaluator`] judges flows; [`audit`] aggregates verdicts into an audit report;
//! * [`project`] recomputes the analysis as if the policy were enforced (labelled projected);
//! * [`export`] writes Kubernetes NetworkPolicy, CiliumNetworkPolicy, nftables and AWS
//!   security groups.

pub mod ari;
pub mod audit;
pub mod export;
pub mod markdown;
pub mod model;
pub mod parse;
pub mod project;
pub mod propose;
pub mod review;
pub mod verdict;
pub mod write;
pub mod zones;

pub use model::{Action, Member, Policy, Rule, RuleKind, SCHEMA, Selector, Zone};
pub use parse::{check, load, parse};
pub use verdict::{Evaluator, Verdict};

/// Zones and the default-deny policy for an analysis in one call (what `segscope analyze` and
/// `segscope zones` write as `zones.json` and `policy.yaml`).
pub fn propose(
    analysis: &segscope_graph::Analysis,
    inventory: Option<&segscope_graph::Inventory>,
    options: zones::ZoneOptions,
    name: &str,
    provenance: model::Provenance,
) -> (zones::ZoneProposal, Policy) {
    let proposal = zones::propose_zones(analysis, inventory, options);
    let policy = propose::propose_policy(analysis, &proposal, name, provenance);
    (proposal, policy)
}
