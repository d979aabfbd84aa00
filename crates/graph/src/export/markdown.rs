//! The graph section of `report.md`: a summary an assessor can paste into a report — coverage,
//! metrics with their denominators, findings with evidence and remediation, blast radius,
//! roles and what was excluded.

use std::collections::BTreeMap;
use std::fmt::Write;

use segscope_rules::findings::Role;

use crate::analysis::Analysis;
use crate::export::clean;
use crate::metrics::Metric;

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    clean(s).replace('|', "\\|").replace('\n', " ")
}

fn fmt_value(m: &Metric) -> String {
    match m.value {
        None => "n/a".to_owned(),
        Some(v) if m.denominator.is_some() && m.id != "S1" => format!("{:.1}%", v * 100.0),
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn fmt_basis(m: &Metric) -> String {
    match (m.numerator, m.denominator, &m.not_computed) {
        (_, _, Some(why)) => cell(why),
        (Some(n), Some(d), None) => format!("{} / {}", trim(n), trim(d)),
        _ => String::new(),
    }
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn name_of(a: &Analysis, key: &segscope_core::WorkloadKey) -> String {
    match a.workload(key) {
        Some(w) if w.display_name != key.to_string() => format!("{} ({key})", w.display_name),
        _ => key.to_string(),
    }
}

/// The Markdown section (starting at level-2 headings).
pub fn markdown_section(a: &Analysis) -> String {
    let mut out = String::new();
    let c = &a.coverage;
    let _ = writeln!(out, "## Workloads, segmentation and lateral movement\n");
    let internal = a.workloads.iter().filter(|w| w.is_internal()).count();
    let services = a.edges.iter().filter(|e| e.is_service()).count();
    let _ = writeln!(
        out,
        "Coverage: {} to {} ({:.1} h) from {} vantage point{} ({}); opaque bytes {}. \
         {} workloads ({internal} internal) in {} segments ({} active); {} edges, {services} of \
         them answered services.\n",
        c.first_ts.map_or("?".to_owned(), |t| t.to_rfc3339()),
        c.last_ts.map_or("?".to_owned(), |t| t.to_rfc3339()),
        c.duration_seconds / 3600.0,
        c.vantage_points.len(),
        if c.vantage_points.len() == 1 { "" } else { "s" },
        cell(&c.vantage_points.join(", ")),
        c.opaque_bytes_share
            .map_or("n/a".to_owned(), |s| format!("{:.1}%", s * 100.0)),
        a.workloads.len(),
        a.segments.len(),
        c.active_segments,
        a.edges.len(),
    );
    if c.duration_seconds < 7.0 * 86_400.0 {
        let _ = writeln!(
            out,
            "> The capture covers less than 7 days: weekly jobs and rare admin paths may be \
             missing. Absence of a flow is never evidence of a control.\n"
        );
    }

    let _ = writeln!(out, "### Metrics\n");
    let _ = writeln!(out, "| Id | Metric | Value | Numerator / denominator |");
    let _ = writeln!(out, "|---|---|---|---|");
    for m in &a.metrics {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            m.id,
            cell(&m.name),
            fmt_value(m),
            fmt_basis(m)
        );
    }
    let _ = writeln!(
        out,
        "\nDefinitions as implemented are in `report.json` (`metrics[].definition`), with \
         exclusions and evidence flows.\n"
    );

    let _ = writeln!(out, "### Findings\n");
    if a.findings.is_empty() {
        let _ = writeln!(out, "No findings.\n");
    } else {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &a.findings {
            *counts.entry(f.kind.as_str()).or_default() += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let _ = writeln!(
            out,
            "{} finding{} ({}).\n",
            a.findings.len(),
            if a.findings.len() == 1 { "" } else { "s" },
            summary.join(", ")
        );
        let _ = writeln!(out, "| Severity | Id | Finding |");
        let _ = writeln!(out, "|---|---|---|");
        for f in &a.findings {
            let _ = writeln!(out, "| {} | {} | {} |", f.severity, f.id, cell(&f.title));
        }
        let _ = writeln!(out);
        for f in &a.findings {
            let _ = writeln!(
                out,
                "#### {} — {} ({})\n",
                f.id,
                clean(&f.title),
                f.severity
            );
            let _ = writeln!(out, "{}\n", clean(&f.explanation));
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "Evidence:\n");
                for e in &f.evidence {
                    let _ = writeln!(
                        out,
                        "- flow `{}`, Community ID `{}`, `{}` frame {}",
                        e.flow_id,
                        e.community_id,
                        clean(&e.file),
                        e.first_frame
                    );
                }
                let _ = writeln!(out);
            }
            let _ = writeln!(out, "Remediation: {}\n", clean(&f.remediation));
        }
    }

    let b = &a.blast_radius;
    let _ = writeln!(out, "### Blast radius\n");
    let _ = writeln!(
        out,
        "Followed: {} ({} movement edges).\n",
        b.edge_rule, b.movement_edges
    );
    if b.top_footholds.is_empty() {
        let _ = writeln!(out, "No workload reaches another over these edges.\n");
    } else {
        let _ = writeln!(
            out,
            "| Foothold | Reaches | Critical assets | Shortest path to a critical asset |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for key in &b.top_footholds {
            let Some(r) = b.of(key) else { continue };
            let path = r
                .paths
                .first()
                .map(|p| {
                    let mut s = name_of(a, key);
                    for h in &p.hops {
                        let _ = write!(s, " → {} ({})", name_of(a, &h.server), h.via);
                    }
                    s
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&name_of(a, key)),
                r.reachable,
                r.reachable_critical,
                cell(&path)
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "### Roles\n");
    let mut roles: BTreeMap<Role, (usize, usize)> = BTreeMap::new();
    for w in &a.workloads {
        let e = roles.entry(w.role).or_default();
        e.0 += 1;
        if w.role_source == crate::workload::RoleSource::Inventory {
            e.1 += 1;
        }
    }
    let _ = writeln!(out, "| Role | Workloads | From inventory |");
    let _ = writeln!(out, "|---|---|---|");
    for (r, (n, inv)) in roles {
        let _ = writeln!(out, "| {r} | {n} | {inv} |");
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "### Excluded from metrics\n");
    let _ = writeln!(out, "| Exclusion | Edges | Flows | Largest items |");
    let _ = writeln!(out, "|---|---|---|---|");
    for x in a.exclusions.iter().filter(|x| x.edges > 0) {
        let mut items: Vec<(&String, &u64)> = x.items.iter().collect();
        items.sort_by(|p, q| q.1.cmp(p.1).then(p.0.cmp(q.0)));
        let top: Vec<String> = items
            .iter()
            .take(5)
            .map(|(k, n)| format!("{k} ({n})"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            x.id,
            x.edges,
            x.flows,
            cell(&top.join(", "))
        );
    }
    out
}
