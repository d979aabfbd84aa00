//! Exporters: Graphviz DOT, GraphML (Gephi, yEd, NetworkX) and a Markdown section for the
//! readable report. JSON is the serde form of [`crate::Analysis`].

pub mod dot;
pub mod graphml;
pub mod markdown;

use crate::edge::{AnalyzedEdge, EdgeStatus};

/// Edges worth drawing: services and failed attempts, not reply paths or group traffic.
pub(crate) fn drawn(e: &AnalyzedEdge) -> bool {
    matches!(e.status, EdgeStatus::Service | EdgeStatus::AttemptsOnly)
}

/// Replaces characters no text format should carry (control characters other than tab and
/// newline), which names learned from traffic may contain.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if (c.is_control() && c != '\t' && c != '\n') || c == '\u{fffe}' || c == '\u{ffff}' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}
