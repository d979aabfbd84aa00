//! Service-to-service authentication (ztmm-networks-rubric.md §3.5): reported as "entity
//! authentication evidence", alongside the Networks pillar, never mixed into it.

use segscope_core::auth::AuthClass;

use crate::metrics::{Earliest, Metric};
use crate::view::View;

/// A1 (client authentication of TLS flows) and A2 (unauthenticated service flows).
pub(crate) fn metrics(v: &View<'_>) -> Vec<Metric> {
    let n = v.rules.evidence_per_finding;
    let (mut mtls, mut server_only, mut unknown) = (0.0, 0.0, 0.0);
    let (mut applicable, mut unauth, mut opaque) = (0.0, 0.0, 0.0);
    let mut mtls_evidence = Earliest::new(n);
    let mut unauth_evidence = Earliest::new(n);
    for (_, e) in v.live_edges() {
        if !(e.is_service() && e.east_west) {
            continue;
        }
        let c = |class| e.auth_count(class) as f64;
        mtls += c(AuthClass::Mtls);
        server_only += c(AuthClass::TlsServerOnly);
        unknown += c(AuthClass::TlsClientAuthUnknown);
        let judged = e.edge.judged() as f64;
        let here = judged - c(AuthClass::NotApplicable) - e.failed() as f64;
        applicable += here.max(0.0);
        unauth += c(AuthClass::CleartextUnauthenticated);
        opaque += e.opaque_flows() as f64;
        if let Some(s) = e.edge.evidence.get(&AuthClass::Mtls) {
            mtls_evidence.offer_opt(s.flows().first());
        }
        if let Some(s) = e.edge.evidence.get(&AuthClass::CleartextUnauthenticated) {
            unauth_evidence.offer_opt(s.flows().first());
        }
    }
    let tls = mtls + server_only + unknown;
    let frac = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let a1 = Metric::new(
        "A1",
        "Client authentication of east-west TLS",
        "answered east-west TLS flows where the client presented a certificate (mtls, \
         confirmed on the wire or by a key log), divided by answered east-west TLS flows \
         (mtls + tls_server_only + tls_client_auth_unknown). TLS 1.3 hides client \
         certificates: `unknown_share` is what cannot be judged and `upper_bound` counts it as \
         mutual. Indicator-level buckets (strong/weak) are in the flow records, not in edges",
        v.coverage,
        v.basis,
    )
    .excluding(&["reply_path", "group_address", "north_south"])
    .detail("confirmed_share", frac(mtls, tls))
    .detail("unknown_share", frac(unknown, tls))
    .detail("no_client_auth_share", frac(server_only, tls))
    .detail("upper_bound", frac(mtls + unknown, tls))
    .evidence(mtls_evidence.into_vec(), n)
    .share(mtls, tls, "no east-west TLS flows");
    let a2 = Metric::new(
        "A2",
        "Unauthenticated east-west service flows",
        "answered east-west flows classified cleartext_unauthenticated (no authentication at \
         all: Redis without AUTH, HTTP APIs without Authorization, anonymous LDAP…), divided \
         by answered east-west flows other than not_applicable; opaque flows are in the \
         denominator and `upper_bound` counts them as unauthenticated",
        v.coverage,
        v.basis,
    )
    .excluding(&["reply_path", "group_address", "north_south"])
    .detail("opaque_share", frac(opaque, applicable))
    .detail("upper_bound", frac(unauth + opaque, applicable))
    .evidence(unauth_evidence.into_vec(), n)
    .share(unauth, applicable, "no answered east-west flows");
    vec![a1, a2]
}
