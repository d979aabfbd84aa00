//! The ordered list of probes and the rule that picks one.

use segscope_core::AppProto;

use crate::probe::{Ctx, Probe, Verdict};

/// Every probe, family by family. Within a family, more specific probes come first.
fn all() -> impl Iterator<Item = &'static dyn Probe> {
    crate::tls::PROBES
        .iter()
        .chain(crate::enterprise::PROBES)
        .chain(crate::cleartext::PROBES)
        .chain(crate::infra::PROBES)
        .copied()
}

/// Picks the probe for a flow: the first one that is certain; otherwise the first unsure one
/// whose protocol the port suggests; otherwise the first unsure one.
pub(crate) fn select(ctx: &Ctx<'_>, hint: Option<AppProto>) -> Option<&'static dyn Probe> {
    if ctx.client.bytes.is_empty() && ctx.server.bytes.is_empty() {
        return None;
    }
    let mut unsure: Option<&'static dyn Probe> = None;
    let mut unsure_hinted: Option<&'static dyn Probe> = None;
    for p in all() {
        match p.probe(ctx) {
            Verdict::Certain => return Some(p),
            Verdict::Unsure => {
                if unsure.is_none() {
                    unsure = Some(p);
                }
                if unsure_hinted.is_none() && hint == Some(p.app()) {
                    unsure_hinted = Some(p);
                }
            }
            Verdict::NotForUs => {}
        }
    }
    unsure_hinted.or(unsure)
}
