//! Exports of one policy to the enforcement points people run. Each is validated in tests by
//! its real consumer or schema: `nft -c -f` in a network namespace, k8s-openapi types, the
//! Cilium CRD's fields, the EC2 API's JSON shape.
//!
//! Kubernetes, Cilium and security groups only know allow rules (default deny comes from
//! selecting the workloads). A deny rule is honoured by leaving out the allows it covers
//! entirely; a deny that covers part of an allow cannot be expressed, and the export refuses
//! rather than open more than the policy says.

pub mod addresses;
pub mod aws;
pub mod cilium;
pub mod k8s;
pub mod nftables;

use segscope_core::Transport;

use crate::model::{Action, Policy, Rule};
use crate::review::covers;

/// Why a policy cannot be exported to a format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{format}: {message}")]
pub struct ExportError {
    /// Target format.
    pub format: &'static str,
    /// What cannot be expressed, and what to change.
    pub message: String,
}

/// The label that marks a workload's zone for label-based enforcement (pods, endpoints).
pub const ZONE_LABEL: &str = "segscope.io/zone";

/// The allow rules an allow-only format should carry: those no deny covers entirely. Fails
/// when a deny covers part of an allow.
pub fn effective_allows<'p>(
    policy: &'p Policy,
    format: &'static str,
) -> Result<Vec<&'p Rule>, ExportError> {
    let denies: Vec<&Rule> = policy
        .rules
        .iter()
        .filter(|r| r.action == Action::Deny)
        .collect();
    let mut out = Vec::new();
    for r in policy.rules.iter().filter(|r| r.action == Action::Allow) {
        if denies.iter().any(|d| covers(d, r)) {
            continue;
        }
        if let Some(d) = denies.iter().find(|d| overlaps(d, r)) {
            return Err(ExportError {
                format,
                message: format!(
                    "deny rule {} covers part of allow rule {}; allow-only formats cannot express that: split the allow rule so the deny covers whole rules",
                    d.id, r.id
                ),
            });
        }
        out.push(r);
    }
    Ok(out)
}

fn overlaps(a: &Rule, b: &Rule) -> bool {
    let zone =
        |x: &str, y: &str| x == crate::model::ANY_ZONE || y == crate::model::ANY_ZONE || x == y;
    zone(&a.from, &b.from)
        && zone(&a.to, &b.to)
        && a.service.transport == b.service.transport
        && a.service.lo <= b.service.hi
        && b.service.lo <= a.service.hi
}

/// The protocol name the consumers use (`TCP`, `UDP`, `SCTP`), or `None` for ICMP.
pub fn l4_upper(t: Transport) -> Option<&'static str> {
    match t {
        Transport::TCP => Some("TCP"),
        Transport::UDP => Some("UDP"),
        Transport::SCTP => Some("SCTP"),
        _ => None,
    }
}
