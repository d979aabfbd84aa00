//! GraphML with typed attributes (`string`, `int`, `long`, `double`, `boolean`), readable by
//! Gephi, yEd, NetworkX and igraph. Written with quick-xml, which escapes every value.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::analysis::Analysis;
use crate::edge::EdgeStatus;
use crate::export::{clean, drawn};

/// (id, for, type) of every attribute; the id is also the attribute name.
const KEYS: &[(&str, &str, &str)] = &[
    ("name", "node", "string"),
    ("ip", "node", "string"),
    ("vlan", "node", "int"),
    ("role", "node", "string"),
    ("role_source", "node", "string"),
    ("role_reason", "node", "string"),
    ("segment", "node", "string"),
    ("scope", "node", "string"),
    ("critical", "node", "boolean"),
    ("admin_source", "node", "boolean"),
    ("address_reused", "node", "boolean"),
    ("labels", "node", "string"),
    ("in_degree", "node", "int"),
    ("out_degree", "node", "int"),
    ("transport", "edge", "string"),
    ("port", "edge", "int"),
    ("app", "edge", "string"),
    ("auth", "edge", "string"),
    ("status", "edge", "string"),
    ("admin_service", "edge", "string"),
    ("infrastructure", "edge", "string"),
    ("crosses_segment", "edge", "boolean"),
    ("east_west", "edge", "boolean"),
    ("flows", "edge", "long"),
    ("established", "edge", "long"),
    ("failed", "edge", "long"),
    ("bytes", "edge", "long"),
    ("encrypted_share", "edge", "double"),
    ("first_seen", "edge", "string"),
    ("last_seen", "edge", "string"),
    ("community_ids", "edge", "string"),
];

fn data<W: io::Write>(w: &mut Writer<W>, key: &str, value: &str) -> io::Result<()> {
    w.create_element("data")
        .with_attribute(("key", key))
        .write_text_content(BytesText::new(&clean(value)))?;
    Ok(())
}

fn write(a: &Analysis, out: &mut Writer<Vec<u8>>) -> io::Result<()> {
    out.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    out.create_element("graphml")
        .with_attribute(("xmlns", "http://graphml.graphdrawing.org/xmlns"))
        .with_attribute(("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"))
        .with_attribute((
            "xsi:schemaLocation",
            "http://graphml.graphdrawing.org/xmlns \
             http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
        ))
        .write_inner_content(|w| {
            for (id, target, ty) in KEYS {
                w.create_element("key")
                    .with_attribute(("id", *id))
                    .with_attribute(("for", *target))
                    .with_attribute(("attr.name", *id))
                    .with_attribute(("attr.type", *ty))
                    .write_empty()?;
            }
            w.create_element("graph")
                .with_attribute(("id", "segscope"))
                .with_attribute(("edgedefault", "directed"))
                .write_inner_content(|w| {
                    for (i, n) in a.workloads.iter().enumerate() {
                        w.create_element("node")
                            .with_attribute(("id", format!("n{i}").as_str()))
                            .write_inner_content(|w| {
                                data(w, "name", &n.display_name)?;
                                data(w, "ip", &n.key.ip.to_string())?;
                                if let Some(v) = n.key.vlan {
                                    data(w, "vlan", &v.to_string())?;
                                }
                                data(w, "role", n.role.as_str())?;
                                data(w, "role_source", n.role_source.as_str())?;
                                data(w, "role_reason", &n.role_reason)?;
                                data(w, "segment", &n.segment)?;
                                data(w, "scope", n.scope.as_str())?;
                                data(w, "critical", &n.is_critical().to_string())?;
                                data(w, "admin_source", &n.admin_source.is_some().to_string())?;
                                data(w, "address_reused", &n.address_reused.to_string())?;
                                let labels: Vec<String> =
                                    n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                                data(w, "labels", &labels.join(";"))?;
                                data(w, "in_degree", &n.in_degree.to_string())?;
                                data(w, "out_degree", &n.out_degree.to_string())?;
                                Ok(())
                            })?;
                    }
                    for (i, e) in a.edges.iter().enumerate().filter(|(_, e)| drawn(e)) {
                        let (Some(s), Some(t)) = (
                            a.workload_index(&e.key.client),
                            a.workload_index(&e.key.server),
                        ) else {
                            continue;
                        };
                        w.create_element("edge")
                            .with_attribute(("id", format!("e{i}").as_str()))
                            .with_attribute(("source", format!("n{s}").as_str()))
                            .with_attribute(("target", format!("n{t}").as_str()))
                            .write_inner_content(|w| {
                                data(w, "transport", &e.key.transport.to_string())?;
                                data(w, "port", &e.key.port.to_string())?;
                                data(w, "app", e.app.as_str())?;
                                data(w, "auth", e.main_auth.as_str())?;
                                let status = match e.status {
                                    EdgeStatus::Service => "service",
                                    EdgeStatus::AttemptsOnly => "attempts_only",
                                    EdgeStatus::ReplyPath => "reply_path",
                                    EdgeStatus::Group => "group",
                                };
                                data(w, "status", status)?;
                                if let Some(s) = &e.admin_service {
                                    data(w, "admin_service", s)?;
                                }
                                if let Some(s) = &e.infrastructure {
                                    data(w, "infrastructure", s)?;
                                }
                                data(w, "crosses_segment", &e.crosses_segment.to_string())?;
                                data(w, "east_west", &e.east_west.to_string())?;
                                data(w, "flows", &e.edge.flows.to_string())?;
                                data(w, "established", &e.edge.established.to_string())?;
                                data(w, "failed", &e.failed().to_string())?;
                                data(w, "bytes", &e.bytes().to_string())?;
                                let judged = e.edge.judged();
                                if judged > 0 {
                                    let enc: u64 = e
                                        .edge
                                        .auth
                                        .iter()
                                        .filter(|(c, _)| c.is_encrypted())
                                        .map(|(_, n)| n)
                                        .sum();
                                    data(
                                        w,
                                        "encrypted_share",
                                        &(enc as f64 / judged as f64).to_string(),
                                    )?;
                                }
                                if let Some(t) = e.edge.first_seen {
                                    data(w, "first_seen", &t.to_rfc3339())?;
                                }
                                if let Some(t) = e.edge.last_seen {
                                    data(w, "last_seen", &t.to_rfc3339())?;
                                }
                                let ids: Vec<String> = e
                                    .edge
                                    .all_evidence()
                                    .iter()
                                    .map(|f| f.community_id.clone())
                                    .collect();
                                data(w, "community_ids", &ids.join(" "))?;
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

/// The graph in GraphML.
pub fn to_graphml(a: &Analysis) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; an error here would be a quick-xml bug, and the partial
    // document is still returned rather than a panic.
    let _ = write(a, &mut w);
    String::from_utf8_lossy(&w.into_inner()).into_owned()
}
