//! `report.html`: one self-contained file a person opens in a browser, offline.
//!
//! The page is data plus code. [`render`] embeds the JSON documents segscope writes
//! (`report.json` always; `score.json`, the zone proposal, the policy, the audit and the
//! projection when a run produced them) as `<script type="application/json">` islands, and
//! one embedded stylesheet and script (`assets/`) draw the summary, the interactive graph,
//! the maturity view, the findings table, zones and rules, audit results and blast radius
//! from them. The Rust side therefore does not need to know the final shape of every
//! document: the script reads the fields it knows and shows any other one as plain data, so
//! nothing a document holds is hidden.
//!
//! The page fetches nothing: a Content-Security-Policy allows only the embedded script and
//! stylesheet (by hash), so a name learned from traffic can never run as code, even if an
//! escaping rule were wrong. Output is deterministic (no wall clock): the same documents give
//! the same bytes.
//!
//! ```
//! use segscope_graph::{AnalysisInputs, analyze, synth};
//! use segscope_html::{Sections, render};
//!
//! let set = synth::edge_set("example", &[
//!     "10.0.0.5 -> 10.0.0.6 tcp/23 app=telnet auth=cleartext_credentials",
//! ]).expect("valid flow lines");
//! let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
//! let html = render(&Sections::new("example", &analysis)).expect("serialisable");
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains(r#"id="segscope-analysis""#));
//! ```

mod island;
mod page;

use segscope_graph::Analysis;
use serde_json::Value;

/// The documents one report shows. Only the analysis is required; every other section of the
/// page appears when its document is given.
///
/// The optional documents are taken as JSON values so that this crate does not depend on the
/// score and policy crates: pass `serde_json::to_value(&score)?` and so on.
#[derive(Clone, Debug)]
pub struct Sections<'a> {
    /// Page title (the capture or site name), shown as text.
    pub title: &'a str,
    /// What produced the report (`segscope 0.1.0`), shown in the footer.
    pub generator: &'a str,
    /// `report.json`: workloads, edges, segments, findings, metrics, blast radius.
    pub analysis: &'a Analysis,
    /// `score.json` (schema `segscope.score/1`): the ZTMM Networks functions.
    pub score: Option<&'a Value>,
    /// The zone proposal: zones with their hosts and the reason for each membership.
    pub zones: Option<&'a Value>,
    /// The proposed policy (`policy.yaml` as JSON): zones, allow rules, denied by design.
    pub policy: Option<&'a Value>,
    /// The audit of traffic against a policy (schema `segscope.audit/1`).
    pub audit: Option<&'a Value>,
    /// The analysis recomputed as if the policy were enforced (`segscope_graph::Projected`,
    /// or the policy crate's projected effect that wraps it).
    pub projected: Option<&'a Value>,
}

impl<'a> Sections<'a> {
    /// A report of `analysis` alone.
    pub fn new(title: &'a str, analysis: &'a Analysis) -> Sections<'a> {
        Sections {
            title,
            generator: concat!("segscope ", env!("CARGO_PKG_VERSION")),
            analysis,
            score: None,
            zones: None,
            policy: None,
            audit: None,
            projected: None,
        }
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A document could not be turned into JSON (a map whose keys are not strings).
    #[error("cannot embed the {document} document as JSON: {source}")]
    Json {
        /// Which document.
        document: &'static str,
        /// The serializer's error.
        source: serde_json::Error,
    },
}

/// Schema id of the `segscope-meta` island, so the script can tell a page it does not know.
const PAGE_SCHEMA: &str = "segscope.report-html/1";

/// What the page says about itself.
#[derive(Debug, serde::Serialize)]
struct Meta<'a> {
    /// [`PAGE_SCHEMA`].
    schema: &'static str,
    /// Page title.
    title: &'a str,
    /// What produced it.
    generator: &'a str,
}

/// The whole `report.html`, as one string.
pub fn render(sections: &Sections<'_>) -> Result<String, RenderError> {
    let meta = Meta {
        schema: PAGE_SCHEMA,
        title: sections.title,
        generator: sections.generator,
    };
    let mut islands = vec![
        island::Island::new("segscope-meta", "meta", &meta)?,
        island::Island::new("segscope-analysis", "analysis", sections.analysis)?,
    ];
    let optional = [
        ("segscope-score", "score", sections.score),
        ("segscope-zones", "zones", sections.zones),
        ("segscope-policy", "policy", sections.policy),
        ("segscope-audit", "audit", sections.audit),
        ("segscope-projected", "projected", sections.projected),
    ];
    for (id, name, doc) in optional {
        if let Some(doc) = doc {
            islands.push(island::Island::new(id, name, doc)?);
        }
    }
    Ok(page::assemble(sections.title, &islands))
}

#[cfg(test)]
mod tests {
    use segscope_graph::{AnalysisInputs, analyze, synth};

    use super::*;

    /// The JSON text of the island `id` in `html`.
    fn island_text<'h>(html: &'h str, id: &str) -> &'h str {
        let open = format!("<script type=\"application/json\" id=\"{id}\">");
        let start = html
            .find(&open)
            .map(|i| i + open.len())
            .expect("island present");
        let end = html[start..].find("</script>").expect("island closed");
        &html[start..start + end]
    }

    #[test]
    fn islands_carry_the_analysis_unchanged_and_only_the_documents_given() {
        let set = synth::edge_set(
            "islands",
            &[
                "10.0.0.5 -> 10.0.0.6 udp/161 app=snmp auth=cleartext_credentials weak=snmp_community count=3",
                "10.0.0.5 -> 10.0.0.7 tcp/443 app=tls auth=tls_server_only",
            ],
        )
        .expect("valid flow lines");
        let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
        let score = serde_json::json!({"schema": "segscope.score/1", "note": "</script><!--"});
        let mut sections = Sections::new("a <b> & c", &analysis);
        sections.score = Some(&score);
        let html = render(&sections).expect("render");

        let back: Analysis =
            serde_json::from_str(island_text(&html, "segscope-analysis")).expect("analysis");
        assert_eq!(back, analysis);
        let weak = back
            .edges
            .iter()
            .find(|e| e.key.port == 161)
            .expect("snmp edge");
        assert_eq!(weak.edge.weaknesses.values().sum::<u64>(), 3);
        let score_back: Value =
            serde_json::from_str(island_text(&html, "segscope-score")).expect("score");
        assert_eq!(score_back, score);
        for absent in [
            "segscope-zones",
            "segscope-policy",
            "segscope-audit",
            "segscope-projected",
        ] {
            let tag = format!("<script type=\"application/json\" id=\"{absent}\">");
            assert!(!html.contains(&tag), "{absent} embedded without a document");
        }
        assert!(html.contains("<title>a &lt;b&gt; &amp; c — segscope report</title>"));
        let meta: Value = serde_json::from_str(island_text(&html, "segscope-meta")).expect("meta");
        assert_eq!(meta["schema"], PAGE_SCHEMA);
        assert_eq!(meta["title"], "a <b> & c");
    }

    #[test]
    fn rendering_is_deterministic() {
        let set = synth::edge_set("d", &["10.0.0.5 -> 10.0.0.6..9 tcp/445 app=smb auth=ntlm"])
            .expect("valid flow lines");
        let analysis = analyze(set, &AnalysisInputs::embedded().expect("shipped rules"));
        let sections = Sections::new("d", &analysis);
        assert_eq!(render(&sections).ok(), render(&sections).ok());
    }
}
