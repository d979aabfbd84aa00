//! RDP connection setup (MS-RDPBCGR §2.2.1.1–2.2.1.2): TPKT + X.224 Connection Request with the
//! `mstshash` cookie and RDP_NEG_REQ, and the Connection Confirm with RDP_NEG_RSP or
//! RDP_NEG_FAILURE. Standard RDP security (RC4) is `encrypted_other` and weak; TLS, CredSSP and
//! RDSTLS are judged by the TLS handshake that follows. RDP over UDP (MS-RDPEUDP) is recognised
//! by its SYN datagram.

use segscope_core::auth::{RdpFacts, Upgrade, Weakness};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};

use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// X.224 TPDU codes.
const X224_CONNECTION_REQUEST: u8 = 0xe0;
const X224_CONNECTION_CONFIRM: u8 = 0xd0;

/// RDP negotiation structure types.
const TYPE_RDP_NEG_REQ: u8 = 0x01;
const TYPE_RDP_NEG_RSP: u8 = 0x02;
const TYPE_RDP_NEG_FAILURE: u8 = 0x03;

/// Security protocol flags (requestedProtocols / selectedProtocol).
const PROTOCOL_RDP: u32 = 0;
const PROTOCOL_SSL: u32 = 0x1;
const PROTOCOL_HYBRID: u32 = 0x2;
const PROTOCOL_RDSTLS: u32 = 0x4;
const PROTOCOL_HYBRID_EX: u32 = 0x8;

/// RDPEUDP SYN: snSourceAck is -1 and the SYN flag is set; SYN datagrams are padded to 1232.
const RDPEUDP_SYN_FLAG: u16 = 0x0001;
const RDPEUDP_SYN_MIN_LEN: usize = 1232;

/// The parsed X.224 Connection Request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// `mstshash` cookie value.
    pub cookie: Option<String>,
    /// requestedProtocols, when an RDP_NEG_REQ was present.
    pub requested: Option<u32>,
    /// Length of the whole TPKT.
    pub len: usize,
}

/// What the server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionConfirm {
    /// RDP_NEG_RSP with the selected protocol.
    Selected(u32),
    /// RDP_NEG_FAILURE with its code.
    Failure(u32),
    /// No negotiation structure: a pre-RDP 5.2 server, standard RDP security.
    Legacy,
}

/// The X.224 payload of the TPKT at the start of `b`, and the TPKT length.
fn tpkt(b: &[u8]) -> Option<(&[u8], usize)> {
    let mut r = Reader::new(b);
    if r.u8()? != 3 || r.u8()? != 0 {
        return None;
    }
    let len = usize::from(r.be_u16()?);
    let body = b.get(4..len)?;
    Some((body, len))
}

/// The X.224 TPDU (code, variable part) inside a TPKT: LI, code, dst-ref, src-ref, class.
fn x224(body: &[u8]) -> Option<(u8, &[u8])> {
    let mut r = Reader::new(body);
    let li = usize::from(r.u8()?);
    let code = r.u8()? & 0xf0;
    let tpdu = body.get(1..1 + li)?;
    Some((code, tpdu.get(6..)?))
}

/// Parses a Connection Request TPKT.
pub fn parse_request(b: &[u8]) -> Option<ConnectionRequest> {
    let (body, len) = tpkt(b)?;
    let (code, mut var) = x224(body)?;
    if code != X224_CONNECTION_REQUEST {
        return None;
    }
    let mut out = ConnectionRequest {
        len,
        ..ConnectionRequest::default()
    };
    // A routing token or cookie line ends with CR LF.
    if var.starts_with(b"Cookie: ") {
        let end = var.windows(2).position(|w| w == b"\r\n")?;
        let line = var.get(8..end)?;
        let value = line.strip_prefix(b"mstshash=").unwrap_or(line);
        out.cookie = Some(crate::bytes::printable(value, 128));
        var = var.get(end + 2..)?;
    }
    let mut r = Reader::new(var);
    match r.u8() {
        Some(TYPE_RDP_NEG_REQ) => {
            r.skip(1)?;
            if r.le_u16()? != 8 {
                return None;
            }
            out.requested = Some(r.le_u32()?);
        }
        // Other ISO transport users (S7comm's TSAP parameters…) are not RDP.
        Some(_) => return None,
        None => {}
    }
    Some(out)
}

/// Parses a Connection Confirm TPKT; returns the answer and the TPKT length.
pub fn parse_confirm(b: &[u8]) -> Option<(ConnectionConfirm, usize)> {
    let (body, len) = tpkt(b)?;
    let (code, var) = x224(body)?;
    if code != X224_CONNECTION_CONFIRM {
        return None;
    }
    let mut r = Reader::new(var);
    let confirm = match r.u8() {
        Some(t @ (TYPE_RDP_NEG_RSP | TYPE_RDP_NEG_FAILURE)) => {
            r.skip(1)?;
            if r.le_u16()? != 8 {
                return None;
            }
            let value = r.le_u32()?;
            if t == TYPE_RDP_NEG_RSP {
                ConnectionConfirm::Selected(value)
            } else {
                ConnectionConfirm::Failure(value)
            }
        }
        _ => ConnectionConfirm::Legacy,
    };
    Some((confirm, len))
}

/// Protocol flag names, as recorded in `RdpFacts`.
fn protocol_names(flags: u32) -> Vec<String> {
    if flags == PROTOCOL_RDP {
        return vec!["rdp".to_owned()];
    }
    [
        (PROTOCOL_SSL, "ssl"),
        (PROTOCOL_HYBRID, "hybrid"),
        (PROTOCOL_RDSTLS, "rdstls"),
        (PROTOCOL_HYBRID_EX, "hybrid_ex"),
    ]
    .iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, n)| (*n).to_owned())
    .collect()
}

fn failure_name(code: u32) -> String {
    match code {
        1 => "SSL_REQUIRED_BY_SERVER".to_owned(),
        2 => "SSL_NOT_ALLOWED_BY_SERVER".to_owned(),
        3 => "SSL_CERT_NOT_ON_SERVER".to_owned(),
        4 => "INCONSISTENT_FLAGS".to_owned(),
        5 => "HYBRID_REQUIRED_BY_SERVER".to_owned(),
        6 => "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER".to_owned(),
        other => format!("failure code {other}"),
    }
}

/// True for an RDPEUDP SYN datagram.
pub fn is_rdpeudp_syn(d: &[u8]) -> bool {
    let mut r = Reader::new(d);
    d.len() >= RDPEUDP_SYN_MIN_LEN
        && r.be_u32() == Some(0xffff_ffff)
        && r.skip(2).is_some()
        && r.be_u16().is_some_and(|f| f & RDPEUDP_SYN_FLAG != 0)
}

/// The RDP probe.
pub(crate) struct RdpProbe;

impl Probe for RdpProbe {
    fn name(&self) -> &'static str {
        "rdp"
    }

    fn app(&self) -> AppProto {
        AppProto::Rdp
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport == Transport::UDP {
            return if ctx.client.messages().next().is_some_and(is_rdpeudp_syn) {
                Verdict::Certain
            } else {
                Verdict::NotForUs
            };
        }
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        match parse_request(ctx.client_head()) {
            Some(cr) if cr.cookie.is_some() || cr.requested.is_some() => Verdict::Certain,
            Some(_) => Verdict::Unsure,
            None if parse_confirm(ctx.server_head()).is_some() => Verdict::Unsure,
            None => Verdict::NotForUs,
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        if ctx.meta.transport == Transport::UDP {
            return Analysis {
                app: AppProto::Rdp,
                auth: AuthClass::EncryptedOther,
                evidence: AuthEvidence {
                    reason: "RDP over UDP (MS-RDPEUDP SYN); its payload is secured by TLS or \
                             DTLS (MS-RDPEMT), which is not analysed"
                        .to_owned(),
                    ..AuthEvidence::default()
                },
                ..Analysis::default()
            };
        }
        let request = parse_request(ctx.client.bytes);
        let confirm = parse_confirm(ctx.server.bytes);
        let mut facts = RdpFacts {
            cookie: request.as_ref().and_then(|r| r.cookie.clone()),
            requested: request
                .as_ref()
                .and_then(|r| r.requested)
                .map(protocol_names)
                .unwrap_or_default(),
            selected: None,
        };
        let mut ev = AuthEvidence::default();
        let mut names = Vec::new();
        let mut parse_error = request.is_none() && confirm.is_none();
        let requested = if facts.requested.is_empty() {
            "no negotiation request".to_owned()
        } else {
            format!("requested {}", facts.requested.join("|"))
        };
        let auth = match confirm {
            None => {
                ev.reason = format!("RDP connection request ({requested}); no server answer seen");
                AuthClass::Unknown
            }
            Some((ConnectionConfirm::Failure(code), _)) => {
                ev.reason = format!(
                    "RDP negotiation failed: {} ({requested})",
                    failure_name(code)
                );
                if code == 2 {
                    ev.weak.push(Weakness::RdpStandardSecurity);
                }
                AuthClass::Unknown
            }
            Some((ConnectionConfirm::Legacy, _)) | Some((ConnectionConfirm::Selected(0), _)) => {
                facts.selected = Some("rdp".to_owned());
                ev.reason = format!(
                    "RDP standard security selected ({requested}): RC4 under the RDP key exchange, \
                     no TLS"
                );
                ev.mechanism = Some("rdp_standard_security".to_owned());
                ev.weak.push(Weakness::RdpStandardSecurity);
                AuthClass::EncryptedOther
            }
            Some((ConnectionConfirm::Selected(sel), s_len)) => {
                let name = protocol_names(sel).join("|");
                facts.selected = Some(name.clone());
                let how = if sel & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX) != 0 {
                    "RDP CredSSP"
                } else {
                    "RDP TLS"
                };
                let c_off = request.as_ref().map_or(0, |r| r.len);
                let client = ctx.client.bytes.get(c_off..).unwrap_or(&[]);
                let server = ctx.server.bytes.get(s_len..).unwrap_or(&[]);
                let client =
                    crate::tls::find_record_start(client).map_or(&[][..], |i| &client[i..]);
                let server =
                    crate::tls::find_record_start(server).map_or(&[][..], |i| &server[i..]);
                let tls = crate::tls::analyze_handshake(client, server, ctx);
                ev.reason = format!(
                    "RDP {requested}, server selected {name}; TLS follows: {}",
                    tls.reason
                );
                ev.mechanism = Some(format!("rdp_{}", name.replace('|', "_")));
                ev.upgrade = Some(Upgrade {
                    from: AppProto::Rdp,
                    how: how.to_owned(),
                });
                ev.weak = tls.weak;
                ev.indicators = tls.indicators;
                ev.tls = Some(Box::new(tls.facts));
                names = tls.names;
                parse_error |= tls.parse_error;
                tls.auth
            }
        };
        ev.user = facts.cookie.clone();
        ev.rdp = Some(Box::new(facts));
        Analysis {
            app: AppProto::Rdp,
            auth,
            evidence: ev,
            names,
            parse_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Connection Request of MS-RDPBCGR §4.1.1 (cookie "eltons"), with requestedProtocols
    /// changed from 0 to PROTOCOL_SSL.
    const CR: &[u8] = &[
        0x03, 0x00, 0x00, 0x2c, 0x27, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x43, 0x6f, 0x6f, 0x6b,
        0x69, 0x65, 0x3a, 0x20, 0x6d, 0x73, 0x74, 0x73, 0x68, 0x61, 0x73, 0x68, 0x3d, 0x65, 0x6c,
        0x74, 0x6f, 0x6e, 0x73, 0x0d, 0x0a, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    /// The Connection Confirm of MS-RDPBCGR §4.1.2, with selectedProtocol changed from 0 to
    /// PROTOCOL_SSL.
    const CC: &[u8] = &[
        0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00,
        0x01, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn spec_examples_parse() {
        let cr = parse_request(CR).expect("cr");
        assert_eq!(cr.cookie.as_deref(), Some("eltons"));
        assert_eq!(cr.requested, Some(PROTOCOL_SSL));
        assert_eq!(cr.len, CR.len());
        assert_eq!(
            parse_confirm(CC),
            Some((ConnectionConfirm::Selected(PROTOCOL_SSL), CC.len()))
        );
        assert_eq!(protocol_names(3), ["ssl", "hybrid"]);
        for n in 0..CR.len() {
            let _ = parse_request(&CR[..n]);
        }
    }
}
