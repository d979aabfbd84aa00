//! Graphviz DOT: one cluster per segment, nodes labelled with name, address and role, edges
//! labelled with service and authentication, admin sessions in red and cleartext in orange.

use std::collections::BTreeMap;
use std::fmt::Write;

use segscope_core::auth::AuthClass;
use segscope_rules::findings::Role;

use crate::analysis::Analysis;
use crate::edge::EdgeStatus;
use crate::export::{clean, drawn};

/// A DOT string literal: quoted, with quotes, backslashes and newlines escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in clean(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn fill(role: Role) -> &'static str {
    match role {
        Role::DomainController => "#c6dbef",
        Role::DnsServer | Role::Infrastructure => "#dadaeb",
        Role::Database => "#fdd0a2",
        Role::FileServer => "#fdae6b",
        Role::WebApp | Role::Server => "#c7e9c0",
        Role::Workstation | Role::Client => "#ffffff",
        Role::Management => "#fcbba1",
        Role::Scanner => "#fb6a4a",
        Role::External => "#f0f0f0",
        Role::Multicast | Role::Unknown => "#f7f7f7",
    }
}

/// The graph in Graphviz DOT.
pub fn to_dot(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph segscope {{");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, overlap=false, splines=true, fontname=\"Helvetica\"];"
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=8];");
    let mut by_segment: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in a.workloads.iter().enumerate() {
        by_segment.entry(&w.segment).or_default().push(i);
    }
    for (k, (segment, members)) in by_segment.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{k} {{");
        let _ = writeln!(out, "    label={};", quote(segment));
        let _ = writeln!(out, "    style=rounded; color=\"#999999\";");
        for &i in members {
            let Some(w) = a.workloads.get(i) else {
                continue;
            };
            let key = w.key.to_string();
            let mut label = String::new();
            if w.display_name != key {
                label.push_str(&w.display_name);
                label.push('\n');
            }
            label.push_str(&key);
            label.push('\n');
            label.push_str(w.role.as_str());
            let border = if w.is_critical() {
                ", color=\"#cb181d\", penwidth=3"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    {} [label={}, fillcolor=\"{}\"{border}];",
                quote(&key),
                quote(&label),
                fill(w.role)
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for e in a.edges.iter().filter(|e| drawn(e)) {
        let mut label = e.port_label();
        if e.app != segscope_core::AppProto::Unknown {
            label.push(' ');
            label.push_str(e.app.as_str());
        }
        label.push('\n');
        label.push_str(&format!("{} ({} flows)", e.main_auth, e.edge.flows));
        let (color, style, width) = if e.status == EdgeStatus::AttemptsOnly {
            ("#bdbdbd", "dashed", 1)
        } else if e.is_admin_session() {
            ("#cb181d", "solid", 2)
        } else if e.auth_count(AuthClass::CleartextCredentials) > 0 {
            ("#e6550d", "solid", 2)
        } else if e.auth_count(AuthClass::CleartextUnauthenticated) > 0 {
            ("#fd8d3c", "solid", 1)
        } else if e.auth_count(AuthClass::Mtls) > 0 {
            ("#31a354", "solid", 1)
        } else {
            ("#636363", "solid", 1)
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, color=\"{color}\", style={style}, penwidth={width}];",
            quote(&e.key.client.to_string()),
            quote(&e.key.server.to_string()),
            quote(&label)
        );
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_dot_needs() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(quote("x\u{1}y"), "\"x\u{fffd}y\"");
    }
}
