//! Markdown for reviewers: the proposed zones and policy (`zones.md`) and the audit
//! (`audit.md`), projected values always labelled as such.

use std::fmt::Write as _;

use crate::audit::AuditReport;
use crate::model::Policy;
use crate::project::ProjectedEffect;
use crate::zones::ZoneProposal;

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.3}"))
}

/// `zones.md`: zones with their members and reasons, allow rules with their evidence, and
/// what the policy denies by design.
pub fn zones_markdown(proposal: &ZoneProposal, policy: &Policy) -> String {
    let mut md = String::from("# Proposed zones and default-deny policy\n\n");
    let _ = writeln!(
        md,
        "{} zones, {} allow rules ({} infrastructure), {} groups of observed traffic denied by design. Default action: **{}**, in both directions, between zones and inside them.\n",
        proposal.zones.len(),
        policy.rules.len(),
        policy
            .rules
            .iter()
            .filter(|r| r.kind == crate::model::RuleKind::Infrastructure)
            .count(),
        policy.denied_by_design.len(),
        policy.default_action.as_str()
    );
    if let Some(a) = &proposal.agreement {
        let _ = writeln!(
            md,
            "## Agreement with the inventory\n\nBehaviour alone vs inventory zones over {} hosts: adjusted Rand index **{:.3}** ({} hosts without an inventory zone).\n",
            a.hosts_with_inventory_zone, a.adjusted_rand_index, a.hosts_without_inventory_zone
        );
        for d in &a.disagreements {
            let _ = writeln!(
                md,
                "- {} ({}) is in inventory zone `{}` but behaves like `{}`: {}",
                d.name, d.ip, d.inventory_zone, d.behaves_like, d.reason
            );
        }
        md.push('\n');
    }
    md.push_str("## Zones\n\n");
    for z in &proposal.zones {
        let subnets: Vec<String> = z.subnets.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            md,
            "### `{}`\n\n{} · {} hosts · subnets: {}\n",
            z.name,
            z.description,
            z.hosts.len(),
            if subnets.is_empty() {
                "none".to_owned()
            } else {
                subnets.join(", ")
            }
        );
        for h in z.hosts.iter().take(50) {
            let _ = writeln!(md, "- {} ({}): {}", h.name, h.ip, h.reason);
        }
        if z.hosts.len() > 50 {
            let _ = writeln!(md, "- … {} more in zones.json", z.hosts.len() - 50);
        }
        md.push('\n');
    }
    md.push_str("## Allow rules\n\n| id | from | to | service | kind | flows | host pairs | first seen | last seen |\n|---|---|---|---|---|---|---|---|---|\n");
    for r in &policy.rules {
        let ev = r.evidence.clone().unwrap_or_default();
        let kind = match &r.infrastructure {
            Some(w) => format!("infrastructure ({w})"),
            None => r.kind.as_str().to_owned(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.from,
            r.to,
            r.service,
            kind,
            ev.flows,
            ev.edges,
            ev.first_seen.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ev.last_seen.map(|t| t.to_rfc3339()).unwrap_or_default()
        );
    }
    md.push_str("\n## Denied by design\n\nObserved traffic this policy blocks on purpose: what enforcement will stop.\n\n");
    for d in &policy.denied_by_design {
        let findings = if d.findings.is_empty() {
            String::new()
        } else {
            format!(" (findings: {})", d.findings.join(", "))
        };
        let _ = writeln!(md, "- **{}** {}{}", d.reason, d.summary, findings);
    }
    md
}

/// `audit.md`: verdict counts, blocked traffic, rule hygiene, per-zone impact and the
/// projected effect beside the observed values.
pub fn audit_markdown(report: &AuditReport, effect: Option<&ProjectedEffect>) -> String {
    let mut md = format!("# Audit of policy `{}`\n\n", report.policy);
    let scope = match &report.options.enforce_zones {
        None => "all zones".to_owned(),
        Some(z) => z.iter().cloned().collect::<Vec<_>>().join(", "),
    };
    let _ = writeln!(
        md,
        "Nothing was enforced: each flow was replayed against the policy. Enforcement scope: {scope}. {} flows judged; **{} would be blocked** inside the scope.\n",
        report.flows, report.enforced_blocked
    );
    md.push_str("| verdict | flows |\n|---|---|\n");
    for (k, n) in &report.by_verdict {
        let _ = writeln!(md, "| {k} | {n} |");
    }
    md.push_str("\n## Would be blocked or unmatched\n\n| from | to | service | verdict | flows | host pairs | in scope | example flow |\n|---|---|---|---|---|---|---|---|\n");
    for e in report
        .summary
        .iter()
        .filter(|e| !e.verdict.starts_with("allowed"))
    {
        let ex = e
            .row
            .examples
            .first()
            .map(|f| format!("{} ({} frame {})", f.community_id, f.file, f.first_frame))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            e.from,
            e.to,
            e.service,
            e.verdict,
            e.row.flows,
            e.row.host_pairs,
            e.row.enforced_flows,
            ex
        );
    }
    md.push_str("\n## Per-zone impact (staged rollout)\n\n| zone | ingress blocked | egress blocked | intra-zone blocked | allowed |\n|---|---|---|---|---|\n");
    for (z, i) in &report.zones {
        let _ = writeln!(
            md,
            "| {z} | {} | {} | {} | {} |",
            i.ingress_blocked, i.egress_blocked, i.intra_blocked, i.allowed
        );
    }
    md.push_str("\n## Rules\n\n");
    let _ = writeln!(
        md,
        "- Unused (candidates for removal): {}",
        if report.unused_rules.is_empty() {
            "none".to_owned()
        } else {
            report.unused_rules.join(", ")
        }
    );
    for b in &report.broader_than_needed {
        let _ = writeln!(
            md,
            "- Broader than needed: `{}` opens {} but traffic used {:?} ({} ports unused)",
            b.rule, b.service, b.used_ports, b.unused_ports
        );
    }
    for s in &report.shadowed_rules {
        let _ = writeln!(md, "- Shadowed: `{}`: {}", s.rule, s.why);
    }
    if let Some(p) = effect {
        md.push_str("\n## Projected effect (as if enforced — projected, not observed)\n\n| metric | observed | projected |\n|---|---|---|\n");
        for m in &p.metrics {
            let _ = writeln!(
                md,
                "| {} {} | {} | {} (projected) |",
                m.id,
                m.name,
                fmt_opt(m.observed),
                fmt_opt(m.projected)
            );
        }
        let _ = writeln!(
            md,
            "| lateral-movement findings | {} | {} (projected) |\n| largest blast radius (workloads) | {} | {} (projected) |",
            p.lateral_findings_observed,
            p.lateral_findings_projected,
            p.max_blast_radius_observed,
            p.max_blast_radius_projected
        );
    }
    md
}
