//! Connection-oriented DCE-RPC (C706 §12, MS-RPCE §2.2.2): PDU framing, bind/alter_context
//! interfaces, and the auth verifier (type, level, GSS token) that says how a client
//! authenticated — over TCP (epmapper on 135 and dynamic ports) and inside SMB named pipes.

use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};

use super::gss::GssAuth;
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// PDU types (C706 §12.6.4).
pub mod ptype {
    /// request
    pub const REQUEST: u8 = 0;
    /// response
    pub const RESPONSE: u8 = 2;
    /// bind
    pub const BIND: u8 = 11;
    /// bind_ack
    pub const BIND_ACK: u8 = 12;
    /// bind_nak
    pub const BIND_NAK: u8 = 13;
    /// alter_context
    pub const ALTER_CONTEXT: u8 = 14;
    /// alter_context_resp
    pub const ALTER_CONTEXT_RESP: u8 = 15;
    /// auth3 (third leg of a three-leg authentication such as NTLM)
    pub const AUTH3: u8 = 16;
}

/// Authentication services (MS-RPCE §2.2.1.1.7).
pub mod auth_type {
    /// RPC_C_AUTHN_GSS_NEGOTIATE (SPNEGO)
    pub const SPNEGO: u8 = 9;
    /// RPC_C_AUTHN_WINNT (NTLMSSP)
    pub const NTLMSSP: u8 = 10;
    /// RPC_C_AUTHN_GSS_KERBEROS
    pub const KERBEROS: u8 = 16;
    /// RPC_C_AUTHN_NETLOGON (Netlogon secure channel)
    pub const NETLOGON: u8 = 68;
}

/// The common header is 16 bytes; the auth verifier header 8.
const HEADER_LEN: usize = 16;
const AUTH_HEADER_LEN: usize = 8;

/// Privacy (sealing) authentication level.
const LEVEL_PRIVACY: u8 = 6;

/// Well-known interface UUIDs (MS-RPCE, MS-SCMR, MS-SAMR, MS-LSAD, MS-DRSR, MS-NRPC, MS-DCOM,
/// MS-WMI, MS-OXCRPC…), lower-case text form. Protocol knowledge users may want to extend: kept
/// here as data until it moves to `rules/`.
pub const DCERPC_INTERFACES: &[(&str, &str)] = &[
    ("e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper"),
    ("afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt"),
    ("367abb81-9844-35f1-ad32-98f038001003", "svcctl"),
    ("12345778-1234-abcd-ef00-0123456789ac", "samr"),
    ("12345778-1234-abcd-ef00-0123456789ab", "lsarpc"),
    ("3919286a-b10c-11d0-9ba8-00c04fd92ef5", "lsarpc_ds"),
    ("c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc"),
    ("df1941c5-fe89-4e79-bf10-463657acf44d", "efsrpc"),
    ("e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi"),
    ("12345678-1234-abcd-ef00-01234567cffb", "netlogon"),
    ("4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc"),
    ("6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc"),
    ("338cd001-2244-31f1-aaaa-900038001003", "winreg"),
    ("12345678-1234-abcd-ef00-0123456789ab", "spoolss"),
    ("76f03f96-cdfd-44fc-a22c-64950a001209", "IRemoteWinspool"),
    ("1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc"),
    (
        "86d35949-83c9-4044-b424-db363231fd0c",
        "ITaskSchedulerService",
    ),
    ("378e52b0-c0a9-11cf-822d-00aa0051e40f", "sasec"),
    ("82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog"),
    ("f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "IEventService"),
    ("894de0c0-0d55-11d3-a322-00c04fa321a1", "InitShutdown"),
    ("d95afe70-a6d5-4259-822e-2c84da1ddb0d", "WindowsShutdown"),
    ("4fc742e0-4a10-11cf-8273-00aa004ae673", "netdfs"),
    ("3dde7c30-165d-11d1-ab8f-00805f14db40", "BackupKey"),
    ("50abc2a4-574d-40b3-9d66-ee4fd5fba076", "dnsserver"),
    ("91ae6020-9e3c-11cf-8d7c-00aa00c091be", "ICertPassage"),
    ("000001a0-0000-0000-c000-000000000046", "ISystemActivator"),
    ("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation"),
    ("99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter"),
    ("00000131-0000-0000-c000-000000000046", "IRemUnknown"),
    ("00000143-0000-0000-c000-000000000046", "IRemUnknown2"),
    ("f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login"),
    ("9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices"),
    ("a4f1db00-ca47-1067-b31f-00dd010662da", "exchange_mapi"),
    (
        "5261574a-4572-206e-b268-6b199213b4e4",
        "exchange_async_emsmdb",
    ),
    ("f5cc5a18-4264-101a-8c59-08002b2f8426", "nspi"),
    ("1544f5e0-613c-11d1-93df-00c04fd7bd09", "exchange_rfr"),
];

/// The auth verifier at the end of a PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthVerifier<'a> {
    /// Authentication service.
    pub auth_type: u8,
    /// Authentication level (1 none … 6 privacy).
    pub auth_level: u8,
    /// The security provider's token (GSS-API token for types 9, 10, 16).
    pub token: &'a [u8],
}

/// One PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// PDU type.
    pub ptype: u8,
    /// Integers are little-endian (drep).
    pub little_endian: bool,
    /// Body after the common header, without the auth verifier.
    pub body: &'a [u8],
    /// The auth verifier, when `auth_length` is non-zero.
    pub auth: Option<AuthVerifier<'a>>,
}

/// True when `b` starts with a plausible connection-oriented PDU header of type `ptypes`.
pub fn looks_like_pdu(b: &[u8], ptypes: &[u8]) -> bool {
    let Some(h) = b
        .get(..HEADER_LEN)
        .and_then(|h| <&[u8; HEADER_LEN]>::try_from(h).ok())
    else {
        return false;
    };
    // Version 5.0 or 5.1; drep byte 0 holds only the integer representation bit (ASCII, IEEE).
    let frag = if h[4] & 0x10 != 0 {
        u16::from_le_bytes([h[8], h[9]])
    } else {
        u16::from_be_bytes([h[8], h[9]])
    };
    h[0] == 5
        && h[1] <= 1
        && ptypes.contains(&h[2])
        && h[4] & 0xef == 0
        && usize::from(frag) >= HEADER_LEN
}

/// Parses the PDU at the start of `b`; returns it and its length (`frag_length`).
pub fn parse_pdu(b: &[u8]) -> Option<(Pdu<'_>, usize)> {
    let mut r = Reader::new(b);
    if r.u8()? != 5 || r.u8()? > 1 {
        return None;
    }
    let ptype = r.u8()?;
    let _flags = r.u8()?;
    let drep = r.array::<4>()?;
    let little_endian = drep[0] & 0x10 != 0;
    let u16_at = |r: &mut Reader<'_>| {
        if little_endian {
            r.le_u16()
        } else {
            r.be_u16()
        }
    };
    let frag = usize::from(u16_at(&mut r)?);
    let auth_len = usize::from(u16_at(&mut r)?);
    let _call_id = r.take(4)?;
    let pdu = b.get(..frag)?;
    let body_end = if auth_len == 0 {
        frag
    } else {
        frag.checked_sub(auth_len)?.checked_sub(AUTH_HEADER_LEN)?
    };
    let body = pdu.get(HEADER_LEN..body_end)?;
    let auth = if auth_len == 0 {
        None
    } else {
        let mut a = Reader::new(pdu.get(body_end..)?);
        let auth_type = a.u8()?;
        let auth_level = a.u8()?;
        a.skip(6)?;
        Some(AuthVerifier {
            auth_type,
            auth_level,
            token: a.take(auth_len)?,
        })
    };
    Some((
        Pdu {
            ptype,
            little_endian,
            body,
            auth,
        },
        frag,
    ))
}

/// The complete PDUs of a byte stream, in order; stops at the first malformed or truncated one.
pub fn pdus(stream: &[u8]) -> impl Iterator<Item = Pdu<'_>> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let (pdu, len) = parse_pdu(rest)?;
        rest = rest.get(len..)?;
        Some(pdu)
    })
}

/// The abstract syntaxes (interface UUIDs, text form) of a bind or alter_context PDU.
pub fn bind_interfaces(pdu: &Pdu<'_>) -> Vec<String> {
    if !matches!(pdu.ptype, ptype::BIND | ptype::ALTER_CONTEXT) {
        return Vec::new();
    }
    let mut r = Reader::new(pdu.body);
    let mut out = Vec::new();
    if r.skip(8).is_none() {
        return out;
    }
    let Some(n) = r.u8() else { return out };
    if r.skip(3).is_none() {
        return out;
    }
    for _ in 0..n {
        let (Some(_ctx_id), Some(n_transfer), Some(_)) = (r.take(2), r.u8(), r.u8()) else {
            break;
        };
        let Some(uuid) = r.array::<16>() else { break };
        let uuid = uuid_text(uuid, pdu.little_endian);
        if r.skip(4 + 20 * usize::from(n_transfer)).is_none() {
            break;
        }
        if !out.contains(&uuid) {
            out.push(uuid);
        }
    }
    out
}

/// A UUID in its text form; the first three fields follow the PDU's byte order.
fn uuid_text(u: [u8; 16], little_endian: bool) -> String {
    let (a, b, c) = if little_endian {
        (
            u32::from_le_bytes([u[0], u[1], u[2], u[3]]),
            u16::from_le_bytes([u[4], u[5]]),
            u16::from_le_bytes([u[6], u[7]]),
        )
    } else {
        (
            u32::from_be_bytes([u[0], u[1], u[2], u[3]]),
            u16::from_be_bytes([u[4], u[5]]),
            u16::from_be_bytes([u[6], u[7]]),
        )
    };
    format!(
        "{a:08x}-{b:04x}-{c:04x}-{}-{}",
        hex::encode(&u[8..10]),
        hex::encode(&u[10..16])
    )
}

/// The well-known name of an interface UUID, or the UUID itself.
pub fn interface_label(uuid: &str) -> String {
    DCERPC_INTERFACES
        .iter()
        .find(|(u, _)| *u == uuid)
        .map_or_else(|| uuid.to_owned(), |(_, name)| (*name).to_owned())
}

/// Name of an authentication level.
pub fn level_name(level: u8) -> &'static str {
    match level {
        1 => "none",
        2 => "connect",
        3 => "call",
        4 => "pkt",
        5 => "integrity",
        6 => "privacy",
        _ => "unknown",
    }
}

fn type_name(t: u8) -> String {
    match t {
        0 => "none".to_owned(),
        auth_type::SPNEGO => "spnego".to_owned(),
        auth_type::NTLMSSP => "ntlmssp".to_owned(),
        auth_type::KERBEROS => "kerberos".to_owned(),
        auth_type::NETLOGON => "netlogon secure channel".to_owned(),
        other => format!("auth type {other}"),
    }
}

/// Everything the PDUs of one flow (or one pipe) showed.
#[derive(Default)]
pub struct RpcConversation {
    /// Interface UUIDs bound, in order.
    pub interfaces: Vec<String>,
    /// Binds or alter_contexts seen.
    pub binds: u32,
    /// Binds/alter_contexts that carried an auth verifier.
    pub authenticated_binds: u32,
    /// Auth type and level of the first verifier seen.
    pub first_auth: Option<(u8, u8)>,
    /// GSS tokens of types 9, 10 and 16.
    pub gss: GssAuth,
    /// PDUs parsed.
    pub pdus: u32,
}

impl RpcConversation {
    /// Adds the client's PDUs.
    pub fn client(&mut self, stream: &[u8]) {
        for pdu in pdus(stream) {
            self.pdus += 1;
            if matches!(pdu.ptype, ptype::BIND | ptype::ALTER_CONTEXT) {
                self.binds += 1;
                for i in bind_interfaces(&pdu) {
                    if !self.interfaces.contains(&i) {
                        self.interfaces.push(i);
                    }
                }
                if pdu.auth.is_some() {
                    self.authenticated_binds += 1;
                }
            }
            self.verifier(&pdu, true);
        }
    }

    /// Adds the server's PDUs.
    pub fn server(&mut self, stream: &[u8]) {
        for pdu in pdus(stream) {
            self.pdus += 1;
            self.verifier(&pdu, false);
        }
    }

    fn verifier(&mut self, pdu: &Pdu<'_>, client: bool) {
        let Some(auth) = pdu.auth else { return };
        self.first_auth
            .get_or_insert((auth.auth_type, auth.auth_level));
        let handshake = matches!(
            pdu.ptype,
            ptype::BIND
                | ptype::BIND_ACK
                | ptype::ALTER_CONTEXT
                | ptype::ALTER_CONTEXT_RESP
                | ptype::AUTH3
        );
        let gss_type = matches!(
            auth.auth_type,
            auth_type::SPNEGO | auth_type::NTLMSSP | auth_type::KERBEROS
        );
        if handshake && gss_type {
            if client {
                self.gss.client_token(auth.token);
            } else {
                self.gss.server_token(auth.token);
            }
        }
    }

    /// Interface names for evidence.
    pub fn interface_labels(&self) -> Vec<String> {
        self.interfaces.iter().map(|u| interface_label(u)).collect()
    }
}

/// The DCE-RPC probe (connection-oriented, over TCP).
pub(crate) struct DcerpcProbe;

impl Probe for DcerpcProbe {
    fn name(&self) -> &'static str {
        "dcerpc"
    }

    fn app(&self) -> AppProto {
        AppProto::Dcerpc
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let handshake_c = [ptype::BIND, ptype::ALTER_CONTEXT];
        let handshake_s = [ptype::BIND_ACK, ptype::BIND_NAK, ptype::ALTER_CONTEXT_RESP];
        if looks_like_pdu(ctx.client_head(), &handshake_c)
            || looks_like_pdu(ctx.server_head(), &handshake_s)
        {
            Verdict::Certain
        } else if looks_like_pdu(ctx.client_head(), &[ptype::REQUEST, ptype::AUTH3])
            || looks_like_pdu(ctx.server_head(), &[ptype::RESPONSE])
        {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut rpc = RpcConversation::default();
        rpc.client(ctx.client.bytes);
        rpc.server(ctx.server.bytes);
        let labels = rpc.interface_labels();
        let ifaces = if labels.is_empty() {
            String::new()
        } else {
            format!(" to {}", labels.join(", "))
        };
        let mut evidence = AuthEvidence::default();
        let mut names = Vec::new();
        let auth = if let Some(o) = rpc.gss.outcome() {
            let level = rpc
                .first_auth
                .map_or("unknown", |(_, level)| level_name(level));
            evidence.reason = format!(
                "DCE-RPC bind{ifaces} authenticated with {}; auth level {level}",
                o.describe()
            );
            evidence.mechanism = Some(o.mechanism.clone());
            evidence.user = o.user.clone();
            evidence.weak = o.weak.clone();
            evidence.ntlm = o.ntlm.clone().map(Box::new);
            evidence.kerberos = o.kerberos.clone().map(Box::new);
            names = o.names(ctx.meta);
            o.auth
        } else if let Some((t, level)) = rpc.first_auth {
            evidence.mechanism = Some(type_name(t).replace(' ', "_"));
            evidence.reason = format!(
                "DCE-RPC{ifaces} with {} verifier, auth level {}",
                type_name(t),
                level_name(level)
            );
            match t {
                auth_type::NETLOGON if level == LEVEL_PRIVACY => AuthClass::EncryptedOther,
                auth_type::NTLMSSP => AuthClass::Ntlm,
                auth_type::KERBEROS => AuthClass::Kerberos,
                _ => AuthClass::Unknown,
            }
        } else if rpc.binds > 0 {
            evidence.reason = format!(
                "unauthenticated DCE-RPC: {} bind(s){ifaces} without an auth verifier",
                rpc.binds
            );
            evidence.mechanism = Some("none".to_owned());
            AuthClass::CleartextUnauthenticated
        } else {
            evidence.reason = "DCE-RPC without a visible bind (capture started mid-association); \
                               authentication not seen"
                .to_owned();
            AuthClass::Unknown
        };
        Analysis {
            app: AppProto::Dcerpc,
            auth,
            evidence,
            names,
            parse_error: rpc.pdus == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bind for epmapper v3 with NDR, no auth, laid out after C706 §12.6.4.3.
    fn epm_bind(auth: Option<(u8, u8, &[u8])>) -> Vec<u8> {
        let mut body = vec![0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0];
        body.extend_from_slice(&[0, 0, 1, 0]);
        body.extend_from_slice(&[
            0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14,
            0xa0, 0xfa, 3, 0, 0, 0,
        ]);
        body.extend_from_slice(&[0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11]);
        body.extend_from_slice(&[0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0]);
        let mut trailer = Vec::new();
        if let Some((t, l, tok)) = auth {
            trailer.extend_from_slice(&[t, l, 0, 0, 0, 0, 0, 0]);
            trailer.extend_from_slice(tok);
        }
        let frag = 16 + body.len() + trailer.len();
        let auth_len = auth.map_or(0, |(_, _, t)| t.len());
        let mut p = vec![5, 0, 11, 3, 0x10, 0, 0, 0];
        p.extend_from_slice(&(frag as u16).to_le_bytes());
        p.extend_from_slice(&(auth_len as u16).to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&body);
        p.extend_from_slice(&trailer);
        p
    }

    #[test]
    fn bind_interfaces_and_verifier() {
        let b = epm_bind(None);
        let (pdu, len) = parse_pdu(&b).expect("pdu");
        assert_eq!(len, b.len());
        assert_eq!(
            bind_interfaces(&pdu),
            ["e1af8308-5d1f-11c9-91a4-08002b14a0fa"]
        );
        assert_eq!(interface_label(&bind_interfaces(&pdu)[0]), "epmapper");
        assert!(pdu.auth.is_none());
        let b = epm_bind(Some((10, 6, b"NTLMSSP\0")));
        let (pdu, _) = parse_pdu(&b).expect("pdu");
        let a = pdu.auth.expect("verifier");
        assert_eq!(
            (a.auth_type, a.auth_level, a.token),
            (10, 6, &b"NTLMSSP\0"[..])
        );
        assert!(looks_like_pdu(&b, &[ptype::BIND]));
    }

    #[test]
    fn truncated_and_hostile_pdus_fail_cleanly() {
        let b = epm_bind(Some((10, 6, b"NTLMSSP\0")));
        for n in 0..b.len() {
            assert!(parse_pdu(&b[..n]).is_none());
        }
        let mut bad = b.clone();
        bad[10] = 0xff; // auth_length larger than the PDU
        bad[11] = 0xff;
        assert!(parse_pdu(&bad).is_none());
    }
}
