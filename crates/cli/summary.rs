//! The run summary printed on stderr: every counter that says something was dropped, damaged,
//! unclassified or evicted, so nothing is lost silently.

use std::fmt::Write as _;

use segscope_engine::RunSummary;

fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn list(map: &std::collections::BTreeMap<String, u64>) -> String {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, c)| format!("{k} {}", n(**c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary as text.
pub(crate) fn render<L>(s: &RunSummary<L>) -> String {
    let st = &s.stats;
    let (c, d, f, k) = (&st.capture, &st.decode, &st.flow, &st.classify);
    let mut o = String::new();
    let span = s
        .time_span
        .map(|(a, b)| format!(", {:.1} s of traffic", b.since(a).as_secs_f64()))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "segscope: {} frames, {} bytes captured from {} input(s){span}{}",
        n(c.records),
        n(c.captured_bytes),
        s.sources.len(),
        if s.interrupted {
            " (stopped early: results so far)"
        } else {
            ""
        }
    );
    let malformed: u64 = d.malformed.values().sum();
    let _ = writeln!(
        o,
        "  decoded {}; non-IP {}{}; malformed {}{}",
        n(d.decoded),
        n(d.non_ip.values().sum()),
        if d.non_ip.is_empty() {
            String::new()
        } else {
            format!(" ({})", list(&d.non_ip))
        },
        n(malformed),
        if malformed == 0 {
            String::new()
        } else {
            format!(
                " ({})",
                d.malformed
                    .iter()
                    .map(|(l, v)| format!("{} {}", format!("{l:?}").to_lowercase(), n(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if d.first_fragments + d.later_fragments + f.orphan_fragments > 0 || !d.tunnelled.is_empty() {
        let _ = writeln!(
            o,
            "  fragments: {} first, {} later ({} orphan); tunnelled: {}",
            n(d.first_fragments),
            n(d.later_fragments),
            n(f.orphan_fragments),
            if d.tunnelled.is_empty() {
                "none".to_owned()
            } else {
                list(&d.tunnelled)
            }
        );
    }
    let _ = writeln!(
        o,
        "  flows {} → records {} ({} interim); closed {}, idle timeout {}, open at end {}, evicted {}",
        n(f.flows),
        n(f.records),
        n(f.interim_records),
        n(f.closed),
        n(f.idle_timeouts),
        n(f.flushed_at_end),
        n(f.flows_evicted)
    );
    let _ = writeln!(
        o,
        "  payload: peak retained {} bytes, budget reached {}, gaps {}, retained-memory cap denied {}, reorder overflow {}",
        n(f.peak_payload_bytes),
        n(f.payload_budget_reached),
        n(f.payload_gaps),
        n(f.payload_cap_denied),
        n(f.reorder_overflow)
    );
    let r = &st.records;
    if r.duration_ms.count > 0 {
        let _ = writeln!(
            o,
            "  per record (p50 / p90 / p99 / max): duration {} / {} / {} / {} ms, bytes {} / {} / {} / {}",
            n(r.duration_ms.p50),
            n(r.duration_ms.p90),
            n(r.duration_ms.p99),
            n(r.duration_ms.max),
            n(r.bytes.p50),
            n(r.bytes.p90),
            n(r.bytes.p99),
            n(r.bytes.max)
        );
    }
    if !k.by_auth.is_empty() {
        let _ = writeln!(o, "  auth: {}", list(&k.by_auth));
        let _ = writeln!(
            o,
            "  unclassified flows with payload: {}",
            n(k.unclassified_with_payload)
        );
    }
    let capture_damage =
        c.corrupt_records + c.truncated_tail + c.unsupported_linktype + c.filtered_out;
    if capture_damage > 0 || c.snaplen_truncated > 0 {
        let _ = writeln!(
            o,
            "  input: corrupt records {} ({} bytes skipped), truncated tail {}, unsupported link type {}, filtered out {}, snaplen-cut {}, non-packet blocks {}",
            n(c.corrupt_records),
            n(c.resync_skipped_bytes),
            n(c.truncated_tail),
            n(c.unsupported_linktype),
            n(c.filtered_out),
            n(c.snaplen_truncated),
            n(c.non_packet_records)
        );
    }
    if c.kernel_dropped + c.interface_dropped > 0
        || s.sources.iter().any(|n| n.starts_with("iface:"))
    {
        let _ = writeln!(
            o,
            "  dropped by the kernel {}, by the interface {}",
            n(c.kernel_dropped),
            n(c.interface_dropped)
        );
    }
    for w in &s.warnings {
        let _ = writeln!(o, "  warning: {w}");
    }
    if s.warnings_not_kept > 0 {
        let _ = writeln!(o, "  … and {} more warnings", n(s.warnings_not_kept));
    }
    o
}

/// Prints the summary on stderr.
pub(crate) fn print<L>(s: &RunSummary<L>) {
    eprint!("{}", render(s));
}
