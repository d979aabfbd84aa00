//! Passive client-authentication indicators for handshakes whose client authentication is
//! encrypted (TLS 1.3) or absent (resumption): service-mesh ALPN, SNI and ports, the
//! `post_handshake_auth` extension, and the size of the client's first encrypted flight
//! (`ztmm-networks-rubric.md` §4.2–4.3; the sizes and lists come from `rules/protocols.yaml`).

use segscope_core::Transport;
use segscope_core::auth::Indicator;
use segscope_rules::ProtocolRules;
use segscope_rules::protocols::FlightRules;

use super::hello::ClientHello;

/// Indicator strengths.
pub(crate) const STRONG: &str = "strong";
/// See [`STRONG`].
pub(crate) const WEAK: &str = "weak";
/// What an indicator suggests.
pub(crate) const CLIENT_CERT_LIKELY: &str = "client_cert_likely";
/// See [`CLIENT_CERT_LIKELY`].
pub(crate) const NO_CLIENT_CERT_LIKELY: &str = "no_client_cert_likely";
/// See [`CLIENT_CERT_LIKELY`].
pub(crate) const DECLINED_LIKELY: &str = "declined_likely";
/// Kind of the flight-size indicator (the resumption linker upgrades it).
pub(crate) const FLIGHT_KIND: &str = "client_flight_size";

fn indicator(kind: &str, detail: String, strength: &str, suggests: &str) -> Indicator {
    Indicator {
        kind: kind.to_owned(),
        detail,
        strength: strength.to_owned(),
        suggests: suggests.to_owned(),
    }
}

/// Mesh ALPN (rung 3, strong), mesh SNI prefix and mesh port (rung 5, weak) and
/// `post_handshake_auth` (rung 6, weak: a capability, not its use).
pub(crate) fn cleartext(
    ch: Option<&ClientHello<'_>>,
    rules: &ProtocolRules,
    transport: Transport,
    server_port: u16,
) -> Vec<Indicator> {
    let mut out = Vec::new();
    if let Some(ch) = ch {
        let mesh_alpn: Vec<String> = ch
            .alpn
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .filter(|a| rules.is_mesh_alpn(a))
            .collect();
        if !mesh_alpn.is_empty() {
            out.push(indicator(
                "mesh_alpn",
                mesh_alpn.join(","),
                STRONG,
                CLIENT_CERT_LIKELY,
            ));
        }
        if let Some(sni) = &ch.sni
            && rules
                .mesh
                .sni_prefixes
                .iter()
                .any(|p| sni.starts_with(p.as_str()))
        {
            out.push(indicator("mesh_sni", sni.clone(), WEAK, CLIENT_CERT_LIKELY));
        }
        if ch.has(super::hello::ext::POST_HANDSHAKE_AUTH) {
            out.push(indicator(
                "post_handshake_auth",
                "client offered post-handshake authentication".to_owned(),
                WEAK,
                CLIENT_CERT_LIKELY,
            ));
        }
    }
    if rules
        .mesh
        .ports
        .iter()
        .any(|p| p.contains(transport, server_port))
    {
        out.push(indicator(
            "mesh_port",
            format!("server port {server_port}"),
            WEAK,
            CLIENT_CERT_LIKELY,
        ));
    }
    out
}

/// What the first encrypted client record's payload length suggests (§4.3), if anything.
pub(crate) fn flight_suggestion(len: u32, rules: &FlightRules) -> Option<&'static str> {
    if rules.finished_only.contains(&len) {
        Some(NO_CLIENT_CERT_LIKELY)
    } else if rules.empty_certificate.contains(&len) {
        Some(DECLINED_LIKELY)
    } else if len >= rules.certificate_min {
        Some(CLIENT_CERT_LIKELY)
    } else {
        None
    }
}

/// The flight-size indicator of one handshake: weak, since one handshake alone is a one-off.
pub(crate) fn flight(len: u32, rules: &FlightRules) -> Option<Indicator> {
    let suggests = flight_suggestion(len, rules)?;
    let what = match suggests {
        NO_CLIENT_CERT_LIKELY => "Finished only",
        DECLINED_LIKELY => "empty Certificate",
        _ => "certificate-sized",
    };
    Some(indicator(
        FLIGHT_KIND,
        format!("client flight {len} bytes ({what})"),
        WEAK,
        suggests,
    ))
}
