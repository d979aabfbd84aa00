//! The metrics of ztmm-networks-rubric.md §3, each with its definition as implemented, its
//! numerator and denominator, what it left out, the capture's coverage and evidence flows.
//!
//! * Segmentation (§3.3): [`segmentation`] — S1 segment reachability ratio, S2 port breadth per
//!   segment pair, S3a/S3b/S3c admin-protocol exposure, S5 bulk tunnels, S6 critical-asset
//!   isolation; S4 default-deny evidence is in [`crate::enforcement`].
//! * Encryption (§3.4): [`encryption`] — E1/E1_bytes, E2, E3, E4, E5.
//! * Service-to-service authentication (§3.5): [`authn`] — A1, A2.
//!
//! A metric whose denominator is empty has no value and says why (`not_computed`): nothing is
//! ever defaulted.

pub mod authn;
pub mod encryption;
pub mod segmentation;

use std::collections::BTreeMap;

use segscope_core::FlowRef;
use serde::{Deserialize, Serialize};

use crate::analysis::{Basis, Coverage};

/// A threshold the analysis itself applied (from `rules/findings.yaml`), for context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// What it decides.
    pub description: String,
    /// Its value.
    pub value: f64,
}

/// One measured value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Id: `S1`, `S2`, `S3a`, `S3b`, `S3c`, `S4`, `S5`, `S6`, `E1`, `E1_bytes`, `E2`, `E3`,
    /// `E4`, `E5`, `A1`, `A2`.
    pub id: String,
    /// Short name.
    pub name: String,
    /// The definition as implemented.
    pub definition: String,
    /// The value; absent when the denominator is empty.
    pub value: Option<f64>,
    /// Numerator (for ratios and shares).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub numerator: Option<f64>,
    /// Denominator (for ratios and shares).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub denominator: Option<f64>,
    /// Why there is no value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub not_computed: Option<String>,
    /// Thresholds applied in computing it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub thresholds: Vec<Threshold>,
    /// Further figures (bounds, break-downs).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub detail: BTreeMap<String, f64>,
    /// Exclusions applied (ids of [`crate::analysis::Exclusion`]).
    pub exclusions: Vec<String>,
    /// What the capture covered.
    pub coverage: Coverage,
    /// Flows behind the value.
    pub evidence: Vec<FlowRef>,
    /// Observed, or projected under a policy.
    pub basis: Basis,
}

impl Metric {
    /// A metric with no value yet.
    pub(crate) fn new(
        id: &str,
        name: &str,
        definition: &str,
        coverage: &Coverage,
        basis: Basis,
    ) -> Metric {
        Metric {
            id: id.to_owned(),
            name: name.to_owned(),
            definition: definition.to_owned(),
            value: None,
            numerator: None,
            denominator: None,
            not_computed: None,
            thresholds: Vec::new(),
            detail: BTreeMap::new(),
            exclusions: Vec::new(),
            coverage: coverage.clone(),
            evidence: Vec::new(),
            basis,
        }
    }

    /// Sets `value = num / den`, or records why it cannot be computed.
    pub(crate) fn share(mut self, num: f64, den: f64, empty_reason: &str) -> Metric {
        self.numerator = Some(num);
        self.denominator = Some(den);
        if den > 0.0 {
            self.value = Some(num / den);
        } else {
            self.not_computed = Some(empty_reason.to_owned());
        }
        self
    }

    /// Sets a plain value.
    pub(crate) fn value(mut self, v: f64) -> Metric {
        self.value = Some(v);
        self
    }

    /// Records why there is no value.
    pub(crate) fn none(mut self, reason: &str) -> Metric {
        self.not_computed = Some(reason.to_owned());
        self
    }

    /// Adds a detail figure.
    pub(crate) fn detail(mut self, key: &str, v: f64) -> Metric {
        self.detail.insert(key.to_owned(), v);
        self
    }

    /// Adds a threshold.
    pub(crate) fn threshold(mut self, description: &str, value: f64) -> Metric {
        self.thresholds.push(Threshold {
            description: description.to_owned(),
            value,
        });
        self
    }

    /// Sets the exclusions.
    pub(crate) fn excluding(mut self, ids: &[&str]) -> Metric {
        self.exclusions = ids.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Sets the evidence (earliest `n` of `flows`).
    pub(crate) fn evidence(mut self, flows: Vec<FlowRef>, n: usize) -> Metric {
        self.evidence = pick_evidence(flows, n);
        self
    }
}

/// The earliest `n` distinct flows, by (time, flow id): deterministic whatever the input order.
pub(crate) fn pick_evidence(mut flows: Vec<FlowRef>, n: usize) -> Vec<FlowRef> {
    flows.sort_by_key(|f| (f.ts, f.flow_id));
    flows.dedup_by_key(|f| f.flow_id);
    flows.truncate(n);
    flows
}

/// The earliest `cap` distinct flows offered, by (time, flow id), cloning only those that are
/// kept: evidence collection costs O(cap) memory however many edges offer flows.
pub(crate) struct Earliest {
    cap: usize,
    items: Vec<FlowRef>,
}

impl Earliest {
    /// An empty picker keeping `cap` flows.
    pub(crate) fn new(cap: usize) -> Earliest {
        Earliest {
            cap,
            items: Vec::with_capacity(cap.min(64)),
        }
    }

    /// Offers a flow.
    pub(crate) fn offer(&mut self, f: &FlowRef) {
        let key = |x: &FlowRef| (x.ts, x.flow_id);
        if self.cap == 0
            || (self.items.len() >= self.cap
                && self.items.last().is_some_and(|last| key(f) >= key(last)))
            || self.items.iter().any(|x| x.flow_id == f.flow_id)
        {
            return;
        }
        let pos = self.items.partition_point(|x| key(x) < key(f));
        self.items.insert(pos, f.clone());
        self.items.truncate(self.cap);
    }

    /// Offers a flow, if any.
    pub(crate) fn offer_opt(&mut self, f: Option<&FlowRef>) {
        if let Some(f) = f {
            self.offer(f);
        }
    }

    /// The kept flows, earliest first.
    pub(crate) fn into_vec(self) -> Vec<FlowRef> {
        self.items
    }
}

/// Median of counts (mean of the middle two for an even number).
pub(crate) fn median(values: &mut [u64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    let at = |i: usize| values.get(i).copied().unwrap_or_default() as f64;
    Some(if values.len() % 2 == 1 {
        at(mid)
    } else {
        (at(mid - 1) + at(mid)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3]), Some(3.0));
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 2, 10]), Some(3.0));
    }
}
