//! The figures conditions read: the analysis's metrics, and two the scorer derives from the
//! analysis's zones, critical assets and edges because the rubric needs them and no metric
//! carries them:
//!
//! * `S4_egress_critical`: share of zones holding a critical asset whose egress shows
//!   default-deny evidence (rubric §3.3, Advanced: "egress evidence for critical zones");
//! * `E4_certificates`: share of visible server certificates on answered east-west edges that
//!   were valid for 90 days or less (rubric §3.4, Advanced: a proxy for managed rotation).

use std::collections::{BTreeMap, BTreeSet};

use segscope_core::FlowRef;
use segscope_core::auth::AuthClass;
use segscope_graph::enforcement::Verdict;
use segscope_graph::{Analysis, Metric};

use crate::model::{MetricSource, MetricUse};
use crate::rubric::MetricRef;

/// Evidence flows kept per derived figure.
const EVIDENCE: usize = 10;

/// A figure with its provenance.
#[derive(Clone, Debug)]
pub(crate) struct Figure {
    pub(crate) use_: MetricUse,
    pub(crate) detail: BTreeMap<String, f64>,
}

/// Figures by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Figures {
    by_id: BTreeMap<String, Figure>,
}

/// The value a condition reads: a number, or why there is none.
pub(crate) enum Reading {
    /// A value.
    Value(f64),
    /// The metric exists but has no value (empty denominator), with its reason.
    Empty(String),
    /// The metric or detail does not exist in this analysis.
    Missing(String),
}

impl Figures {
    /// The analysis's metrics plus the derived figures.
    pub(crate) fn observed(a: &Analysis) -> Figures {
        let mut f = Figures::default();
        for m in &a.metrics {
            f.insert_metric(m, MetricSource::Analysis);
        }
        f.insert(egress_critical(a));
        f.insert(certificates(a));
        f
    }

    /// `base` with the given projected metrics replacing theirs.
    pub(crate) fn projected(base: &Figures, metrics: &[Metric]) -> Figures {
        let mut f = base.clone();
        for m in metrics {
            f.insert_metric(m, MetricSource::Projected);
        }
        f
    }

    fn insert_metric(&mut self, m: &Metric, source: MetricSource) {
        self.insert(Figure {
            use_: MetricUse {
                id: m.id.clone(),
                name: m.name.clone(),
                definition: m.definition.clone(),
                value: m.value,
                numerator: m.numerator,
                denominator: m.denominator,
                not_computed: m.not_computed.clone(),
                thresholds: Vec::new(),
                exclusions: m.exclusions.clone(),
                evidence: m.evidence.clone(),
                source,
            },
            detail: m.detail.clone(),
        });
    }

    fn insert(&mut self, f: Figure) {
        self.by_id.insert(f.use_.id.clone(), f);
    }

    /// The figure with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&Figure> {
        self.by_id.get(id)
    }

    /// What a condition on `r` reads.
    pub(crate) fn read(&self, r: &MetricRef) -> Reading {
        let Some(f) = self.by_id.get(&r.id) else {
            return Reading::Missing(format!("metric {} is not in this analysis", r.id));
        };
        let Some(v) = f.use_.value else {
            return Reading::Empty(
                f.use_
                    .not_computed
                    .clone()
                    .unwrap_or_else(|| format!("{} has no value", r.id)),
            );
        };
        match &r.detail {
            None => Reading::Value(v),
            Some(d) => match f.detail.get(d) {
                Some(x) => Reading::Value(*x),
                None => Reading::Missing(format!("{} has no detail {d:?}", r.id)),
            },
        }
    }
}

fn share(mut u: MetricUse, num: f64, den: f64, empty: &str) -> MetricUse {
    u.numerator = Some(num);
    u.denominator = Some(den);
    if den > 0.0 {
        u.value = Some(num / den);
    } else {
        u.not_computed = Some(empty.to_owned());
    }
    u
}

fn earliest(mut flows: Vec<FlowRef>) -> Vec<FlowRef> {
    flows.sort_by_key(|f| (f.ts, f.flow_id));
    flows.dedup_by_key(|f| f.flow_id);
    flows.truncate(EVIDENCE);
    flows
}

fn derived(id: &str, name: &str, definition: &str, exclusions: &[&str]) -> MetricUse {
    MetricUse {
        id: id.to_owned(),
        name: name.to_owned(),
        definition: definition.to_owned(),
        value: None,
        numerator: None,
        denominator: None,
        not_computed: None,
        thresholds: Vec::new(),
        exclusions: exclusions.iter().map(|s| (*s).to_owned()).collect(),
        evidence: Vec::new(),
        source: MetricSource::Derived,
    }
}

/// `S4_egress_critical`.
fn egress_critical(a: &Analysis) -> Figure {
    let critical_segments: BTreeSet<&str> = a
        .critical_assets
        .iter()
        .filter_map(|c| a.workload(&c.workload))
        .map(|w| &*w.segment)
        .collect();
    let zones: Vec<_> = a
        .zones
        .iter()
        .filter(|z| critical_segments.contains(&*z.segment))
        .collect();
    let with: Vec<_> = zones
        .iter()
        .filter(|z| z.egress.verdict == Verdict::DefaultDeny)
        .collect();
    let u = derived(
        "S4_egress_critical",
        "Egress default-deny evidence of critical zones",
        "internal segments holding a critical asset (S6) whose outbound attempts to other \
         segments show default deny by the S4 test, divided by the segments holding a critical \
         asset",
        &["reply_path", "group_address"],
    );
    let mut u = share(
        u,
        with.len() as f64,
        zones.len() as f64,
        "no critical asset declared or suggested",
    );
    u.evidence = earliest(
        with.iter()
            .flat_map(|z| z.egress.evidence.iter().cloned())
            .collect(),
    );
    Figure {
        use_: u,
        detail: BTreeMap::new(),
    }
}

/// `E4_certificates`.
fn certificates(a: &Analysis) -> Figure {
    let (mut seen, mut short) = (0u64, 0u64);
    let mut evidence = Vec::new();
    for e in a.edges.iter().filter(|e| e.is_service() && e.east_west) {
        if e.edge.server_certs_seen == 0 {
            continue;
        }
        seen += e.edge.server_certs_seen;
        short += e
            .edge
            .short_lived_server_certs
            .min(e.edge.server_certs_seen);
        for class in [AuthClass::Mtls, AuthClass::TlsServerOnly] {
            if let Some(f) = e.edge.evidence.get(&class).and_then(|s| s.flows().first()) {
                evidence.push(f.clone());
            }
        }
    }
    let u = derived(
        "E4_certificates",
        "Short-lived server certificates",
        "answered east-west flows whose server certificate was visible (TLS 1.2 and older) and \
         valid for 90 days or less, divided by answered east-west flows whose server \
         certificate was visible; TLS 1.3 encrypts certificates, so they are not counted",
        &["reply_path", "group_address", "north_south"],
    );
    let mut u = share(
        u,
        short as f64,
        seen as f64,
        "no server certificate visible (TLS 1.3 encrypts them)",
    );
    u.evidence = earliest(evidence);
    Figure {
        use_: u,
        detail: BTreeMap::new(),
    }
}
