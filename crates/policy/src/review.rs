//! Static review of a policy: rules that can never change a verdict.

use serde::{Deserialize, Serialize};

use crate::model::{ANY_ZONE, Action, Policy, Rule};

/// A rule that another rule makes useless.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shadowed {
    /// The useless rule.
    pub rule: String,
    /// The rule that covers it.
    pub by: String,
    /// Why it is useless.
    pub why: String,
}

/// True when `outer` applies to every flow `inner` applies to.
pub fn covers(outer: &Rule, inner: &Rule) -> bool {
    let zone = |o: &str, i: &str| o == ANY_ZONE || o == i;
    zone(&outer.from, &inner.from)
        && zone(&outer.to, &inner.to)
        && outer.service.transport == inner.service.transport
        && outer.service.lo <= inner.service.lo
        && inner.service.hi <= outer.service.hi
}

/// Rules covered by a deny (an allow that never applies, a redundant deny) or by a broader
/// allow (a redundant allow). Of two identical rules, the one with the larger id is reported.
pub fn shadowed(policy: &Policy) -> Vec<Shadowed> {
    let mut out = Vec::new();
    for r in &policy.rules {
        let by = policy
            .rules
            .iter()
            .filter(|q| {
                !std::ptr::eq(*q, r)
                    && covers(q, r)
                    && (q.action == Action::Deny || r.action == Action::Allow)
            })
            .filter(|q| {
                !covers(r, q)
                    || q.id < r.id
                    || (q.action == Action::Deny && r.action == Action::Allow)
            })
            .min_by_key(|q| (q.action != Action::Deny, q.id.as_str()));
        if let Some(q) = by {
            let why = match (q.action, r.action) {
                (Action::Deny, Action::Allow) => format!(
                    "never applies: deny rule {} covers all of it (a deny beats any allow)",
                    q.id
                ),
                (Action::Deny, Action::Deny) => {
                    format!("redundant: deny rule {} already covers all of it", q.id)
                }
                _ => format!("redundant: allow rule {} already permits all of it", q.id),
            };
            out.push(Shadowed {
                rule: r.id.clone(),
                by: q.id.clone(),
                why,
            });
        }
    }
    out
}
