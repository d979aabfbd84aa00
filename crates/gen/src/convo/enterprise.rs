//! Conversations of the enterprise protocol family, byte-exact after the specifications and
//! labelled by construction.
//!
//! - Kerberos (RFC 4120) and LDAP (RFC 4511) messages are encoded with `rasn`'s DER/BER encoders
//!   and the `rasn-kerberos`/`rasn-ldap` schemas; SPNEGO (RFC 4178) and the GSS-API framing
//!   (RFC 2743 §3.1) with `rasn` types declared here from the RFC's ASN.1.
//! - NTLMSSP (MS-NLMP §2.2.1), SMB1 (MS-CIFS §2.2), SMB2/3 (MS-SMB2 §2.2), DCE-RPC (C706 §12,
//!   MS-RPCE), RDP (MS-RDPBCGR §2.2.1.1–2) and SSH (RFC 4253) are laid out field by field.
//! - TLS after RDP's and LDAP's upgrades is a real rustls TLS 1.2 handshake (server certificate
//!   from rcgen, no client certificate).
//!
//! Cryptographic values (NTLM responses, Kerberos ciphertexts, SSH cookies) are deterministic
//! filler of the right length: a passive observer cannot check them, and none of the labels
//! depends on them.

use std::sync::Arc;

use rasn::prelude::*;
use rasn::types::Any;
use rasn_kerberos as krb;
use rasn_ldap as ldap;
use segscope_core::{AppProto, AuthClass, Transport};

use super::{Conversation, Turn};

/// Every labelled enterprise conversation.
pub fn conversations() -> Vec<Conversation> {
    vec![
        smb2_session("smb2-ntlmv2", 445, SmbAuth::NtlmV2, AuthClass::Ntlm),
        smb2_session(
            "smb2-ntlmv2-port-8445",
            8445,
            SmbAuth::NtlmV2,
            AuthClass::Ntlm,
        ),
        smb2_session("smb2-kerberos", 445, SmbAuth::Kerberos, AuthClass::Kerberos),
        smb2_session(
            "smb2-anonymous",
            445,
            SmbAuth::Anonymous,
            AuthClass::CleartextUnauthenticated,
        ),
        smb1_ntlmv1(),
        smb3_encrypted_midstream(),
        kerberos_as_aes_tcp(),
        kerberos_tgs_rc4_udp(),
        dcerpc_bind(true),
        dcerpc_bind(false),
        ldap_simple_bind(),
        ldap_anonymous_search(),
        ldap_sasl_spnego_ntlm(),
        ldap_sasl_spnego_kerberos(),
        ldap_sasl_plain(),
        ldap_starttls(),
        rdp_standard_security(),
        rdp_hybrid(),
        ssh_session("ssh-22", 22, false),
        ssh_session("ssh-on-port-80", 80, false),
        ssh_session("ssh-weak-algorithms", 22, true),
    ]
}

fn convo(
    name: &str,
    transport: Transport,
    server_port: u16,
    turns: Vec<Turn>,
    app: AppProto,
    auth: AuthClass,
) -> Conversation {
    Conversation {
        name: name.to_owned(),
        transport,
        server_port,
        turns,
        app,
        auth,
    }
}

fn client(bytes: Vec<u8>) -> Turn {
    Turn {
        from_client: true,
        bytes,
    }
}

fn server(bytes: Vec<u8>) -> Turn {
    Turn {
        from_client: false,
        bytes,
    }
}

/// Deterministic filler for values a passive observer cannot check (hashes, ciphertexts).
fn filler(seed: u8, len: usize) -> Vec<u8> {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn len16(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes()
}

fn len32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes()
}

// ---------------------------------------------------------------------------------------------
// NTLMSSP (MS-NLMP §2.2.1)

const NTLM_FLAGS: u32 = 0xe288_8215; // UNICODE, NTLM, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, …
const NTLM_FLAG_ANONYMOUS: u32 = 0x0000_0800;
const NTLM_VERSION: [u8; 8] = [10, 0, 0x63, 0x45, 0, 0, 0, 15]; // 10.0 build 17763, NTLMSSP 15

/// How the client answers the challenge.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NtlmAnswer {
    V1,
    V2,
    Anonymous,
}

/// Payload fields after a fixed header: (len, maxlen, offset) descriptors plus the payload.
fn ntlm_fields(header_len: usize, parts: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
    let mut descriptors = Vec::new();
    let mut payload = Vec::new();
    for p in parts {
        descriptors.extend_from_slice(&len16(p.len()));
        descriptors.extend_from_slice(&len16(p.len()));
        descriptors.extend_from_slice(&len32(header_len + payload.len()));
        payload.extend_from_slice(p);
    }
    (descriptors, payload)
}

fn ntlm_negotiate() -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&0xe208_82b7u32.to_le_bytes());
    m.extend_from_slice(&[0; 16]); // empty domain and workstation fields
    m.extend_from_slice(&NTLM_VERSION);
    m
}

fn av_pair(id: u16, value: &[u8]) -> Vec<u8> {
    let mut v = id.to_le_bytes().to_vec();
    v.extend_from_slice(&len16(value.len()));
    v.extend_from_slice(value);
    v
}

fn ntlm_challenge(nb_domain: &str, nb_computer: &str, dns_domain: &str) -> Vec<u8> {
    let dns_computer = format!("{}.{dns_domain}", nb_computer.to_ascii_lowercase());
    let mut info = Vec::new();
    info.extend(av_pair(2, &utf16(nb_domain)));
    info.extend(av_pair(1, &utf16(nb_computer)));
    info.extend(av_pair(4, &utf16(dns_domain)));
    info.extend(av_pair(3, &utf16(&dns_computer)));
    info.extend(av_pair(5, &utf16(dns_domain)));
    info.extend(av_pair(7, &filler(7, 8)));
    info.extend(av_pair(0, &[]));
    let target = utf16(nb_domain);
    // Header: signature, type, TargetNameFields, flags, challenge, reserved, TargetInfoFields,
    // version = 56 bytes.
    let (desc, payload) = ntlm_fields(56, &[&target, &info]);
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&2u32.to_le_bytes());
    m.extend_from_slice(&desc[..8]);
    m.extend_from_slice(&NTLM_FLAGS.to_le_bytes());
    m.extend_from_slice(&filler(2, 8));
    m.extend_from_slice(&[0; 8]);
    m.extend_from_slice(&desc[8..]);
    m.extend_from_slice(&NTLM_VERSION);
    m.extend_from_slice(&payload);
    m
}

fn ntlm_authenticate(answer: NtlmAnswer, domain: &str, user: &str, ws: &str) -> Vec<u8> {
    let (lm, nt, flags) = match answer {
        NtlmAnswer::V1 => (filler(11, 24), filler(12, 24), NTLM_FLAGS),
        NtlmAnswer::V2 => {
            // NTProofStr followed by the NTLMv2_CLIENT_CHALLENGE blob (§2.2.2.7).
            let mut nt = filler(13, 16);
            nt.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
            nt.extend_from_slice(&filler(14, 8)); // timestamp
            nt.extend_from_slice(&filler(15, 8)); // client challenge
            nt.extend_from_slice(&[0; 4]);
            nt.extend(av_pair(1, &utf16("FILESRV")));
            nt.extend(av_pair(0, &[]));
            nt.extend_from_slice(&[0; 4]);
            (vec![0; 24], nt, NTLM_FLAGS)
        }
        NtlmAnswer::Anonymous => (vec![0], Vec::new(), NTLM_FLAGS | NTLM_FLAG_ANONYMOUS),
    };
    let (domain, user, ws) = (utf16(domain), utf16(user), utf16(ws));
    let key = if answer == NtlmAnswer::Anonymous {
        Vec::new()
    } else {
        filler(16, 16)
    };
    // Header: signature, type, 6 field descriptors, flags, version, MIC = 88 bytes.
    let (desc, payload) = ntlm_fields(88, &[&lm, &nt, &domain, &user, &ws, &key]);
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    m.extend_from_slice(&desc);
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&NTLM_VERSION);
    m.extend_from_slice(&filler(17, 16));
    m.extend_from_slice(&payload);
    m
}

// ---------------------------------------------------------------------------------------------
// GSS-API and SPNEGO (RFC 2743 §3.1, RFC 4178 §4.2, RFC 4121 §4.1)

const OID_SPNEGO: &[u32] = &[1, 3, 6, 1, 5, 5, 2];
const OID_KRB5: &[u32] = &[1, 2, 840, 113_554, 1, 2, 2];
const OID_MS_KRB5: &[u32] = &[1, 2, 840, 48_018, 1, 2, 2];
const OID_NTLMSSP: &[u32] = &[1, 3, 6, 1, 4, 1, 311, 2, 2, 10];

fn oid(arcs: &[u32]) -> ObjectIdentifier {
    ObjectIdentifier::new(arcs.to_vec())
        .unwrap_or_else(|| ObjectIdentifier::new_unchecked(std::borrow::Cow::Owned(vec![1, 3])))
}

/// InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech MechType,
/// innerContextToken ANY DEFINED BY thisMech }.
#[derive(AsnType, Encode)]
#[rasn(tag(application, 0))]
struct InitialContextToken {
    this_mech: ObjectIdentifier,
    inner_context_token: Any,
}

/// NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
#[derive(AsnType, Encode)]
#[rasn(choice)]
enum NegotiationToken {
    #[rasn(tag(explicit(0)))]
    Init(NegTokenInit),
    #[rasn(tag(explicit(1)))]
    Resp(NegTokenResp),
}

#[derive(AsnType, Encode)]
struct NegTokenInit {
    #[rasn(tag(explicit(0)))]
    mech_types: Vec<ObjectIdentifier>,
    #[rasn(tag(explicit(1)))]
    req_flags: Option<BitString>,
    #[rasn(tag(explicit(2)))]
    mech_token: Option<OctetString>,
    #[rasn(tag(explicit(3)))]
    mech_list_mic: Option<OctetString>,
}

#[derive(AsnType, Encode, Clone, Copy, Debug, PartialEq)]
#[rasn(enumerated)]
enum NegState {
    AcceptCompleted = 0,
    AcceptIncomplete = 1,
}

#[derive(AsnType, Encode)]
struct NegTokenResp {
    #[rasn(tag(explicit(0)))]
    neg_state: Option<NegState>,
    #[rasn(tag(explicit(1)))]
    supported_mech: Option<ObjectIdentifier>,
    #[rasn(tag(explicit(2)))]
    response_token: Option<OctetString>,
    #[rasn(tag(explicit(3)))]
    mech_list_mic: Option<OctetString>,
}

fn der<T: Encode>(v: &T) -> Vec<u8> {
    rasn::der::encode(v).unwrap_or_default()
}

fn ber<T: Encode>(v: &T) -> Vec<u8> {
    rasn::ber::encode(v).unwrap_or_default()
}

fn gss_token(mech: &[u32], inner: Vec<u8>) -> Vec<u8> {
    der(&InitialContextToken {
        this_mech: oid(mech),
        inner_context_token: Any::new(inner),
    })
}

/// The client's first SPNEGO token, offering `mechs` with a token for the first.
fn spnego_init(mechs: &[&[u32]], token: Vec<u8>) -> Vec<u8> {
    let init = NegotiationToken::Init(NegTokenInit {
        mech_types: mechs.iter().map(|m| oid(m)).collect(),
        req_flags: None,
        mech_token: Some(OctetString::from(token)),
        mech_list_mic: None,
    });
    gss_token(OID_SPNEGO, der(&init))
}

/// The server's NegTokenInit2 hint (MS-SPNG §2.2.1) in an SMB2 NEGOTIATE response.
fn spnego_hint(mechs: &[&[u32]]) -> Vec<u8> {
    let init = NegotiationToken::Init(NegTokenInit {
        mech_types: mechs.iter().map(|m| oid(m)).collect(),
        req_flags: None,
        mech_token: None,
        mech_list_mic: None,
    });
    gss_token(OID_SPNEGO, der(&init))
}

fn spnego_resp(state: NegState, mech: Option<&[u32]>, token: Option<Vec<u8>>) -> Vec<u8> {
    der(&NegotiationToken::Resp(NegTokenResp {
        neg_state: Some(state),
        supported_mech: mech.map(oid),
        response_token: token.map(OctetString::from),
        mech_list_mic: None,
    }))
}

/// A client-side SPNEGO continuation (NegTokenResp carrying only a token).
fn spnego_continue(token: Vec<u8>) -> Vec<u8> {
    der(&NegotiationToken::Resp(NegTokenResp {
        neg_state: None,
        supported_mech: None,
        response_token: Some(OctetString::from(token)),
        mech_list_mic: Some(OctetString::from(filler(40, 16))),
    }))
}

// ---------------------------------------------------------------------------------------------
// Kerberos (RFC 4120) through rasn-kerberos

const ETYPE_AES256: i32 = 18;
const ETYPE_AES128: i32 = 17;
const ETYPE_RC4: i32 = 23;

fn kstring(s: &str) -> krb::KerberosString {
    krb::KerberosString::try_from(s.to_owned()).unwrap_or_default()
}

fn principal(name_type: i32, parts: &[&str]) -> krb::PrincipalName {
    krb::PrincipalName {
        r#type: name_type,
        string: parts.iter().map(|p| kstring(p)).collect(),
    }
}

/// A KerberosTime, decoded from its DER form (GeneralizedTime, `YYYYMMDDHHMMSSZ`).
fn ktime(s: &str) -> krb::KerberosTime {
    let mut der_time = vec![0x18, u8::try_from(s.len()).unwrap_or(0)];
    der_time.extend_from_slice(s.as_bytes());
    krb::KerberosTime(rasn::der::decode(&der_time).unwrap_or_default())
}

fn encrypted(etype: i32, kvno: Option<u32>, seed: u8, len: usize) -> krb::EncryptedData {
    krb::EncryptedData {
        etype,
        kvno,
        cipher: OctetString::from(filler(seed, len)),
    }
}

fn ticket(realm: &str, sname: &[&str], etype: i32) -> krb::Ticket {
    krb::Ticket {
        tkt_vno: 5.into(),
        realm: kstring(realm),
        sname: principal(2, sname),
        enc_part: encrypted(etype, Some(2), 50, 980),
    }
}

fn kdc_req_body(
    cname: Option<&str>,
    realm: &str,
    sname: &[&str],
    etypes: &[i32],
) -> krb::KdcReqBody {
    krb::KdcReqBody {
        kdc_options: krb::KdcOptions(krb::KerberosFlags::from_slice(&[0x40, 0x81, 0, 0x10])),
        cname: cname.map(|c| principal(1, &[c])),
        realm: kstring(realm),
        sname: Some(principal(2, sname)),
        from: None,
        till: ktime("20370913024805Z"),
        rtime: None,
        nonce: 0x1d2c_3b4a,
        etype: etypes.to_vec(),
        addresses: None,
        enc_authorization_data: None,
        additional_tickets: None,
    }
}

fn ap_req(realm: &str, sname: &[&str], etype: i32) -> Vec<u8> {
    der(&krb::ApReq {
        pvno: 5.into(),
        msg_type: 14.into(),
        ap_options: krb::ApOptions(krb::KerberosFlags::from_slice(&[0x20, 0, 0, 0])),
        ticket: ticket(realm, sname, etype),
        authenticator: encrypted(etype, None, 51, 300),
    })
}

fn ap_rep(etype: i32) -> Vec<u8> {
    der(&krb::ApRep {
        pvno: 5.into(),
        msg_type: 15.into(),
        enc_part: encrypted(etype, None, 52, 120),
    })
}

/// The GSS-API Kerberos token: mechanism OID, TOK_ID, then the Kerberos message.
fn krb5_gss(tok_id: [u8; 2], msg: Vec<u8>) -> Vec<u8> {
    let mut inner = tok_id.to_vec();
    inner.extend(msg);
    gss_token(OID_KRB5, inner)
}

fn record_marked(msg: Vec<u8>) -> Vec<u8> {
    let mut v = u32::try_from(msg.len()).unwrap_or(0).to_be_bytes().to_vec();
    v.extend(msg);
    v
}

fn kerberos_as_aes_tcp() -> Conversation {
    let realm = "CONTOSO.LOCAL";
    let krbtgt = ["krbtgt", realm];
    let pa_enc_ts = krb::PaData {
        r#type: 2,
        value: OctetString::from(der(&encrypted(ETYPE_AES256, None, 53, 56))),
    };
    let req = krb::AsReq(krb::KdcReq {
        pvno: 5.into(),
        msg_type: 10.into(),
        padata: Some(vec![pa_enc_ts]),
        req_body: kdc_req_body(Some("WS01$"), realm, &krbtgt, &[ETYPE_AES256, ETYPE_AES128]),
    });
    let rep = krb::AsRep(krb::KdcRep {
        pvno: 5.into(),
        msg_type: 11.into(),
        padata: None,
        crealm: kstring(realm),
        cname: principal(1, &["WS01$"]),
        ticket: ticket(realm, &krbtgt, ETYPE_AES256),
        enc_part: encrypted(ETYPE_AES256, Some(3), 54, 280),
    });
    convo(
        "kerberos-as-aes-tcp",
        Transport::TCP,
        88,
        vec![
            client(record_marked(der(&req))),
            server(record_marked(der(&rep))),
        ],
        AppProto::Kerberos,
        AuthClass::Kerberos,
    )
}

fn kerberos_tgs_rc4_udp() -> Conversation {
    let realm = "CONTOSO.LOCAL";
    let spn = ["MSSQLSvc", "sql01.contoso.local:1433"];
    let tgt_ap_req = krb::PaData {
        r#type: 1, // PA-TGS-REQ
        value: OctetString::from(ap_req(realm, &["krbtgt", realm], ETYPE_AES256)),
    };
    let req = krb::TgsReq(krb::KdcReq {
        pvno: 5.into(),
        msg_type: 12.into(),
        padata: Some(vec![tgt_ap_req]),
        req_body: kdc_req_body(None, realm, &spn, &[ETYPE_RC4]),
    });
    let rep = krb::TgsRep(krb::KdcRep {
        pvno: 5.into(),
        msg_type: 13.into(),
        padata: None,
        crealm: kstring(realm),
        cname: principal(1, &["alice"]),
        ticket: ticket(realm, &spn, ETYPE_RC4),
        enc_part: encrypted(ETYPE_AES256, None, 55, 260),
    });
    convo(
        "kerberos-tgs-rc4-udp",
        Transport::UDP,
        88,
        vec![client(der(&req)), server(der(&rep))],
        AppProto::Kerberos,
        AuthClass::Kerberos,
    )
}

// ---------------------------------------------------------------------------------------------
// SMB2/3 (MS-SMB2 §2.2)

const STATUS_SUCCESS: u32 = 0;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xc000_0016;

fn nbss(msg: Vec<u8>) -> Vec<u8> {
    let len = u32::try_from(msg.len()).unwrap_or(0).to_be_bytes();
    let mut v = vec![0, len[1], len[2], len[3]];
    v.extend(msg);
    v
}

struct Smb2Header {
    command: u16,
    response: bool,
    status: u32,
    message_id: u64,
    tree_id: u32,
    session_id: u64,
}

fn smb2(h: &Smb2Header, body: &[u8]) -> Vec<u8> {
    let mut v = b"\xfeSMB".to_vec();
    v.extend_from_slice(&64u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // credit charge
    v.extend_from_slice(&h.status.to_le_bytes());
    v.extend_from_slice(&h.command.to_le_bytes());
    v.extend_from_slice(&(if h.response { 33u16 } else { 31 }).to_le_bytes());
    v.extend_from_slice(&u32::from(h.response).to_le_bytes()); // SMB2_FLAGS_SERVER_TO_REDIR
    v.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
    v.extend_from_slice(&h.message_id.to_le_bytes());
    v.extend_from_slice(&0xfeffu32.to_le_bytes()); // reserved (process id)
    v.extend_from_slice(&h.tree_id.to_le_bytes());
    v.extend_from_slice(&h.session_id.to_le_bytes());
    v.extend_from_slice(&[0; 16]); // signature
    v.extend_from_slice(body);
    v
}

fn req(command: u16, message_id: u64, tree_id: u32, session_id: u64) -> Smb2Header {
    Smb2Header {
        command,
        response: false,
        status: STATUS_SUCCESS,
        message_id,
        tree_id,
        session_id,
    }
}

fn resp(command: u16, status: u32, message_id: u64, tree_id: u32, session_id: u64) -> Smb2Header {
    Smb2Header {
        command,
        response: true,
        status,
        message_id,
        tree_id,
        session_id,
    }
}

fn smb2_negotiate_request() -> Vec<u8> {
    let dialects: [u16; 4] = [0x0202, 0x0210, 0x0300, 0x0302];
    let mut b = 36u16.to_le_bytes().to_vec();
    b.extend_from_slice(&len16(dialects.len()));
    b.extend_from_slice(&1u16.to_le_bytes()); // signing enabled
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&0x7fu32.to_le_bytes());
    b.extend_from_slice(&filler(60, 16)); // client GUID
    b.extend_from_slice(&[0; 8]); // ClientStartTime
    for d in dialects {
        b.extend_from_slice(&d.to_le_bytes());
    }
    smb2(&req(0, 0, 0, 0), &b)
}

fn smb2_negotiate_response(dialect: u16, signing_required: bool, hint: &[u8]) -> Vec<u8> {
    let mut b = 65u16.to_le_bytes().to_vec();
    let mode: u16 = if signing_required { 0x3 } else { 0x1 };
    b.extend_from_slice(&mode.to_le_bytes());
    b.extend_from_slice(&dialect.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&filler(61, 16)); // server GUID
    b.extend_from_slice(&0x2fu32.to_le_bytes());
    for _ in 0..3 {
        b.extend_from_slice(&0x0080_0000u32.to_le_bytes());
    }
    b.extend_from_slice(&filler(62, 16)); // system time, start time
    b.extend_from_slice(&128u16.to_le_bytes());
    b.extend_from_slice(&len16(hint.len()));
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(hint);
    smb2(&resp(0, STATUS_SUCCESS, 0, 0, 0), &b)
}

fn smb2_session_setup_request(message_id: u64, session_id: u64, blob: &[u8]) -> Vec<u8> {
    let mut b = 25u16.to_le_bytes().to_vec();
    b.push(0);
    b.push(1); // signing enabled
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&88u16.to_le_bytes());
    b.extend_from_slice(&len16(blob.len()));
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(blob);
    smb2(&req(1, message_id, 0, session_id), &b)
}

fn smb2_session_setup_response(
    status: u32,
    message_id: u64,
    session_id: u64,
    flags: u16,
    blob: &[u8],
) -> Vec<u8> {
    let mut b = 9u16.to_le_bytes().to_vec();
    b.extend_from_slice(&flags.to_le_bytes());
    b.extend_from_slice(&72u16.to_le_bytes());
    b.extend_from_slice(&len16(blob.len()));
    b.extend_from_slice(blob);
    smb2(&resp(1, status, message_id, 0, session_id), &b)
}

fn smb2_tree_connect(message_id: u64, session_id: u64, path: &str) -> Vec<u8> {
    let path = utf16(path);
    let mut b = 9u16.to_le_bytes().to_vec();
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&72u16.to_le_bytes());
    b.extend_from_slice(&len16(path.len()));
    b.extend_from_slice(&path);
    smb2(&req(3, message_id, 0, session_id), &b)
}

fn smb2_tree_connect_response(
    message_id: u64,
    tree_id: u32,
    session_id: u64,
    pipe: bool,
) -> Vec<u8> {
    let mut b = 16u16.to_le_bytes().to_vec();
    b.push(if pipe { 2 } else { 1 });
    b.push(0);
    b.extend_from_slice(&0x30u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0x001f_01ffu32.to_le_bytes());
    smb2(
        &resp(3, STATUS_SUCCESS, message_id, tree_id, session_id),
        &b,
    )
}

fn smb2_create(message_id: u64, tree_id: u32, session_id: u64, name: &str) -> Vec<u8> {
    let name = utf16(name);
    let mut b = 57u16.to_le_bytes().to_vec();
    b.push(0); // SecurityFlags
    b.push(0); // RequestedOplockLevel
    b.extend_from_slice(&2u32.to_le_bytes()); // impersonation
    b.extend_from_slice(&[0; 16]); // SmbCreateFlags, Reserved
    b.extend_from_slice(&0x0012_019fu32.to_le_bytes()); // desired access
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&7u32.to_le_bytes()); // share access
    b.extend_from_slice(&1u32.to_le_bytes()); // FILE_OPEN
    b.extend_from_slice(&0x40u32.to_le_bytes()); // non-directory
    b.extend_from_slice(&120u16.to_le_bytes());
    b.extend_from_slice(&len16(name.len()));
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&name);
    smb2(&req(5, message_id, tree_id, session_id), &b)
}

fn smb2_write(message_id: u64, tree_id: u32, session_id: u64, data: &[u8]) -> Vec<u8> {
    let mut b = 49u16.to_le_bytes().to_vec();
    b.extend_from_slice(&112u16.to_le_bytes());
    b.extend_from_slice(&len32(data.len()));
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&filler(63, 16)); // FileId
    b.extend_from_slice(&[0; 16]); // Channel, Remaining, WriteChannelInfo, Flags
    b.extend_from_slice(data);
    smb2(&req(9, message_id, tree_id, session_id), &b)
}

#[derive(Clone, Copy)]
enum SmbAuth {
    NtlmV2,
    Kerberos,
    Anonymous,
}

/// Negotiate, a two- or three-leg session setup, a tree connect to `ADMIN$` and one to `IPC$`
/// with the `svcctl` pipe and a DCE-RPC bind on it: the PsExec pattern.
fn smb2_session(name: &str, port: u16, auth: SmbAuth, label: AuthClass) -> Conversation {
    let sid = 0x0000_1000_0000_0041u64;
    let hint = spnego_hint(&[OID_MS_KRB5, OID_KRB5, OID_NTLMSSP]);
    let mut turns = vec![
        client(nbss(smb2_negotiate_request())),
        server(nbss(smb2_negotiate_response(0x0302, false, &hint))),
    ];
    let mut mid = 1;
    match auth {
        SmbAuth::Kerberos => {
            let token = krb5_gss(
                [1, 0],
                ap_req(
                    "CONTOSO.LOCAL",
                    &["cifs", "fs01.contoso.local"],
                    ETYPE_AES256,
                ),
            );
            let blob = spnego_init(&[OID_MS_KRB5, OID_KRB5, OID_NTLMSSP], token);
            turns.push(client(nbss(smb2_session_setup_request(mid, 0, &blob))));
            let reply = spnego_resp(
                NegState::AcceptCompleted,
                Some(OID_MS_KRB5),
                Some(krb5_gss([2, 0], ap_rep(ETYPE_AES256))),
            );
            turns.push(server(nbss(smb2_session_setup_response(
                STATUS_SUCCESS,
                mid,
                sid,
                0,
                &reply,
            ))));
        }
        SmbAuth::NtlmV2 | SmbAuth::Anonymous => {
            let blob = spnego_init(&[OID_NTLMSSP], ntlm_negotiate());
            turns.push(client(nbss(smb2_session_setup_request(mid, 0, &blob))));
            let challenge = spnego_resp(
                NegState::AcceptIncomplete,
                Some(OID_NTLMSSP),
                Some(ntlm_challenge("CONTOSO", "FS01", "contoso.local")),
            );
            turns.push(server(nbss(smb2_session_setup_response(
                STATUS_MORE_PROCESSING_REQUIRED,
                mid,
                sid,
                0,
                &challenge,
            ))));
            mid += 1;
            let (answer, domain, user, flags) = match auth {
                SmbAuth::Anonymous => (NtlmAnswer::Anonymous, "", "", 0x0002u16),
                _ => (NtlmAnswer::V2, "CONTOSO", "alice", 0),
            };
            let auth_msg = ntlm_authenticate(answer, domain, user, "WS01");
            turns.push(client(nbss(smb2_session_setup_request(
                mid,
                sid,
                &spnego_continue(auth_msg),
            ))));
            let done = spnego_resp(NegState::AcceptCompleted, None, None);
            turns.push(server(nbss(smb2_session_setup_response(
                STATUS_SUCCESS,
                mid,
                sid,
                flags,
                &done,
            ))));
        }
    }
    let shares: &[(&str, bool)] = match auth {
        SmbAuth::Anonymous => &[("\\\\fs01\\IPC$", true)],
        _ => &[("\\\\fs01\\ADMIN$", false), ("\\\\fs01\\IPC$", true)],
    };
    let mut tree = 0;
    for (path, pipe) in shares {
        mid += 1;
        tree += 1;
        turns.push(client(nbss(smb2_tree_connect(mid, sid, path))));
        turns.push(server(nbss(smb2_tree_connect_response(
            mid, tree, sid, *pipe,
        ))));
    }
    mid += 1;
    turns.push(client(nbss(smb2_create(mid, tree, sid, "svcctl"))));
    mid += 1;
    let bind = dcerpc_pdu(11, &bind_body(&SVCCTL, 2), None);
    turns.push(client(nbss(smb2_write(mid, tree, sid, &bind))));
    convo(name, Transport::TCP, port, turns, AppProto::Smb, label)
}

/// SMB3 traffic seen mid-session: only transform headers (encrypted messages).
fn smb3_encrypted_midstream() -> Conversation {
    let transform = |seed: u8, len: usize| {
        let mut v = b"\xfdSMB".to_vec();
        v.extend_from_slice(&filler(seed, 16)); // signature
        v.extend_from_slice(&filler(seed + 1, 16)); // nonce
        v.extend_from_slice(&len32(len));
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&1u16.to_le_bytes()); // encrypted
        v.extend_from_slice(&0x0000_1000_0000_0041u64.to_le_bytes());
        v.extend(filler(seed + 2, len));
        nbss(v)
    };
    convo(
        "smb3-encrypted-midstream",
        Transport::TCP,
        445,
        vec![
            client(transform(70, 120)),
            server(transform(80, 300)),
            client(transform(90, 96)),
            server(transform(100, 1400)),
        ],
        AppProto::Smb,
        AuthClass::EncryptedOther,
    )
}

// ---------------------------------------------------------------------------------------------
// SMB1 (MS-CIFS §2.2, MS-SMB §2.2)

fn smb1(command: u8, reply: bool, uid: u16, mid: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut v = b"\xffSMB".to_vec();
    v.push(command);
    v.extend_from_slice(&0u32.to_le_bytes());
    v.push(if reply { 0x98 } else { 0x18 });
    v.extend_from_slice(&0xc807u16.to_le_bytes()); // unicode, NT status, extended security
    v.extend_from_slice(&[0; 12]);
    v.extend_from_slice(&0u16.to_le_bytes()); // TID
    v.extend_from_slice(&0xfeffu16.to_le_bytes()); // PID
    v.extend_from_slice(&uid.to_le_bytes());
    v.extend_from_slice(&mid.to_le_bytes());
    v.push(u8::try_from(words.len() / 2).unwrap_or(0));
    v.extend_from_slice(words);
    v.extend_from_slice(&len16(bytes.len()));
    v.extend_from_slice(bytes);
    v
}

/// SMB1 NT LM 0.12 with raw NTLMSSP and an NTLMv1 response.
fn smb1_ntlmv1() -> Conversation {
    let negotiate = smb1(0x72, false, 0, 1, &[], b"\x02NT LM 0.12\0");
    let mut neg_words = vec![0, 0]; // dialect index 0
    neg_words.push(0x03); // user security, encrypt passwords; signing not enabled
    neg_words.extend_from_slice(&50u16.to_le_bytes());
    neg_words.extend_from_slice(&1u16.to_le_bytes());
    neg_words.extend_from_slice(&16_644u32.to_le_bytes());
    neg_words.extend_from_slice(&65_536u32.to_le_bytes());
    neg_words.extend_from_slice(&0u32.to_le_bytes());
    neg_words.extend_from_slice(&0x8000_e3fdu32.to_le_bytes()); // CAP_EXTENDED_SECURITY
    neg_words.extend_from_slice(&filler(64, 8));
    neg_words.extend_from_slice(&0u16.to_le_bytes());
    neg_words.push(0);
    let negotiate_reply = smb1(0x72, true, 0, 1, &neg_words, &filler(65, 16));
    let setup = |mid: u16, uid: u16, blob: &[u8]| {
        let mut w = vec![0xff, 0, 0, 0];
        w.extend_from_slice(&16_644u16.to_le_bytes());
        w.extend_from_slice(&50u16.to_le_bytes());
        w.extend_from_slice(&0u16.to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&len16(blob.len()));
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&0x8000_00d4u32.to_le_bytes());
        let mut bytes = blob.to_vec();
        bytes.extend_from_slice(b"Unix\0Samba\0");
        smb1(0x73, false, uid, mid, &w, &bytes)
    };
    let setup_reply = |mid: u16, uid: u16, status: u32, blob: &[u8]| {
        let mut w = vec![0xff, 0, 0, 0];
        w.extend_from_slice(&0u16.to_le_bytes()); // action: not guest
        w.extend_from_slice(&len16(blob.len()));
        let mut m = smb1(0x73, true, uid, mid, &w, blob);
        m[5..9].copy_from_slice(&status.to_le_bytes());
        m
    };
    convo(
        "smb1-ntlmv1",
        Transport::TCP,
        445,
        vec![
            client(nbss(negotiate)),
            server(nbss(negotiate_reply)),
            client(nbss(setup(2, 0, &ntlm_negotiate()))),
            server(nbss(setup_reply(
                2,
                0x800,
                STATUS_MORE_PROCESSING_REQUIRED,
                &ntlm_challenge("CORP", "NAS01", "corp.example"),
            ))),
            client(nbss(setup(
                3,
                0x800,
                &ntlm_authenticate(NtlmAnswer::V1, "CORP", "bob", "OLDPC"),
            ))),
            server(nbss(setup_reply(3, 0x800, STATUS_SUCCESS, &[]))),
        ],
        AppProto::Smb,
        AuthClass::Ntlm,
    )
}

// ---------------------------------------------------------------------------------------------
// DCE-RPC (C706 §12.6, MS-RPCE §2.2.2)

/// Interface UUIDs in NDR (little-endian) wire form, with their major version.
const SVCCTL: ([u8; 16], u16) = (
    [
        0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10,
        0x03,
    ],
    2,
);
const EPMAPPER: ([u8; 16], u16) = (
    [
        0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0,
        0xfa,
    ],
    3,
);
const NDR: [u8; 20] = [
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,
    2, 0, 0, 0,
];

fn bind_body(iface: &([u8; 16], u16), ctx_items: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&4280u16.to_le_bytes());
    b.extend_from_slice(&4280u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&[ctx_items, 0, 0, 0]);
    for i in 0..u16::from(ctx_items) {
        b.extend_from_slice(&i.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&iface.0);
        b.extend_from_slice(&iface.1.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&NDR);
    }
    b
}

fn bind_ack_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&4280u16.to_le_bytes());
    b.extend_from_slice(&4280u16.to_le_bytes());
    b.extend_from_slice(&0x0001_2345u32.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(b"135\0");
    b.extend_from_slice(&[1, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&NDR);
    b
}

/// A PDU with an optional auth verifier (type, level, token); pads the body to 4 bytes first.
fn dcerpc_pdu(ptype: u8, body: &[u8], auth: Option<(u8, u8, Vec<u8>)>) -> Vec<u8> {
    let mut body = body.to_vec();
    let mut auth_len = 0usize;
    if let Some((t, level, token)) = auth {
        let pad = (4 - body.len() % 4) % 4;
        body.extend(std::iter::repeat_n(0, pad));
        body.extend_from_slice(&[t, level, u8::try_from(pad).unwrap_or(0), 0]);
        body.extend_from_slice(&0u32.to_le_bytes()); // auth context id
        auth_len = token.len();
        body.extend(token);
    }
    let mut v = vec![5, 0, ptype, 0x03, 0x10, 0, 0, 0];
    v.extend_from_slice(&len16(16 + body.len()));
    v.extend_from_slice(&len16(auth_len));
    v.extend_from_slice(&2u32.to_le_bytes());
    v.extend(body);
    v
}

fn dcerpc_bind(authenticated: bool) -> Conversation {
    const NTLMSSP: u8 = 10;
    const PKT_PRIVACY: u8 = 6;
    let (name, port, turns, label) = if authenticated {
        let turns = vec![
            client(dcerpc_pdu(
                11,
                &bind_body(&SVCCTL, 1),
                Some((NTLMSSP, PKT_PRIVACY, ntlm_negotiate())),
            )),
            server(dcerpc_pdu(
                12,
                &bind_ack_body(),
                Some((
                    NTLMSSP,
                    PKT_PRIVACY,
                    ntlm_challenge("CONTOSO", "SRV02", "contoso.local"),
                )),
            )),
            client(dcerpc_pdu(
                16,
                &[0, 0, 0, 0],
                Some((
                    NTLMSSP,
                    PKT_PRIVACY,
                    ntlm_authenticate(NtlmAnswer::V2, "CONTOSO", "svc_deploy", "WS01"),
                )),
            )),
        ];
        ("dcerpc-bind-ntlmssp", 49_667, turns, AuthClass::Ntlm)
    } else {
        let turns = vec![
            client(dcerpc_pdu(11, &bind_body(&EPMAPPER, 1), None)),
            server(dcerpc_pdu(12, &bind_ack_body(), None)),
            client(dcerpc_pdu(0, &[0x48, 0, 0, 0, 0, 0, 3, 0], None)),
        ];
        (
            "dcerpc-epmapper-no-auth",
            135,
            turns,
            AuthClass::CleartextUnauthenticated,
        )
    };
    convo(name, Transport::TCP, port, turns, AppProto::Dcerpc, label)
}

// ---------------------------------------------------------------------------------------------
// LDAP (RFC 4511) through rasn-ldap

fn ldap_msg(id: u32, op: ldap::ProtocolOp) -> Vec<u8> {
    ber(&ldap::LdapMessage::new(id, op))
}

fn lstr(s: &str) -> ldap::LdapString {
    ldap::LdapString(s.to_owned())
}

fn bind_request(name: &str, auth: ldap::AuthenticationChoice) -> ldap::ProtocolOp {
    ldap::ProtocolOp::BindRequest(ldap::BindRequest::new(3, lstr(name), auth))
}

fn bind_response(code: ldap::ResultCode, sasl: Option<Vec<u8>>) -> ldap::ProtocolOp {
    ldap::ProtocolOp::BindResponse(ldap::BindResponse::new(
        code,
        lstr(""),
        lstr(""),
        None,
        sasl.map(OctetString::from),
    ))
}

fn search(base: &str) -> ldap::ProtocolOp {
    ldap::ProtocolOp::SearchRequest(ldap::SearchRequest::new(
        lstr(base),
        ldap::SearchRequestScope::WholeSubtree,
        ldap::SearchRequestDerefAliases::NeverDerefAliases,
        0,
        0,
        false,
        ldap::Filter::Present(lstr("objectClass")),
        vec![lstr("cn"), lstr("mail")],
    ))
}

fn search_done() -> ldap::ProtocolOp {
    ldap::ProtocolOp::SearchResDone(ldap::SearchResultDone(ldap::LdapResult::new(
        ldap::ResultCode::Success,
        lstr(""),
        lstr(""),
    )))
}

fn ldap_convo(name: &str, turns: Vec<Turn>, auth: AuthClass) -> Conversation {
    convo(name, Transport::TCP, 389, turns, AppProto::Ldap, auth)
}

fn ldap_simple_bind() -> Conversation {
    let dn = "CN=svc_backup,OU=Service Accounts,DC=contoso,DC=local";
    ldap_convo(
        "ldap-simple-bind",
        vec![
            client(ldap_msg(
                1,
                bind_request(
                    dn,
                    ldap::AuthenticationChoice::Simple(OctetString::from_static(b"Winter2024!")),
                ),
            )),
            server(ldap_msg(1, bind_response(ldap::ResultCode::Success, None))),
            client(ldap_msg(2, search("DC=contoso,DC=local"))),
            server(ldap_msg(2, search_done())),
        ],
        AuthClass::CleartextCredentials,
    )
}

fn ldap_anonymous_search() -> Conversation {
    ldap_convo(
        "ldap-anonymous-bind",
        vec![
            client(ldap_msg(
                1,
                bind_request(
                    "",
                    ldap::AuthenticationChoice::Simple(OctetString::from_static(b"")),
                ),
            )),
            server(ldap_msg(1, bind_response(ldap::ResultCode::Success, None))),
            client(ldap_msg(2, search(""))),
            server(ldap_msg(2, search_done())),
        ],
        AuthClass::CleartextUnauthenticated,
    )
}

fn sasl(mech: &str, creds: Vec<u8>) -> ldap::AuthenticationChoice {
    ldap::AuthenticationChoice::Sasl(ldap::SaslCredentials::new(
        lstr(mech),
        Some(OctetString::from(creds)),
    ))
}

fn ldap_sasl_spnego_ntlm() -> Conversation {
    let first = spnego_init(&[OID_NTLMSSP], ntlm_negotiate());
    let challenge = spnego_resp(
        NegState::AcceptIncomplete,
        Some(OID_NTLMSSP),
        Some(ntlm_challenge("CONTOSO", "DC01", "contoso.local")),
    );
    let answer = spnego_continue(ntlm_authenticate(
        NtlmAnswer::V2,
        "CONTOSO",
        "alice",
        "WS01",
    ));
    ldap_convo(
        "ldap-sasl-gss-spnego-ntlm",
        vec![
            client(ldap_msg(1, bind_request("", sasl("GSS-SPNEGO", first)))),
            server(ldap_msg(
                1,
                bind_response(ldap::ResultCode::SaslBindInProgress, Some(challenge)),
            )),
            client(ldap_msg(2, bind_request("", sasl("GSS-SPNEGO", answer)))),
            server(ldap_msg(
                2,
                bind_response(
                    ldap::ResultCode::Success,
                    Some(spnego_resp(NegState::AcceptCompleted, None, None)),
                ),
            )),
        ],
        AuthClass::Ntlm,
    )
}

fn ldap_sasl_spnego_kerberos() -> Conversation {
    let token = krb5_gss(
        [1, 0],
        ap_req(
            "CONTOSO.LOCAL",
            &["ldap", "dc01.contoso.local"],
            ETYPE_AES256,
        ),
    );
    let first = spnego_init(&[OID_MS_KRB5, OID_KRB5, OID_NTLMSSP], token);
    let reply = spnego_resp(
        NegState::AcceptCompleted,
        Some(OID_MS_KRB5),
        Some(krb5_gss([2, 0], ap_rep(ETYPE_AES256))),
    );
    ldap_convo(
        "ldap-sasl-gss-spnego-kerberos",
        vec![
            client(ldap_msg(1, bind_request("", sasl("GSS-SPNEGO", first)))),
            server(ldap_msg(
                1,
                bind_response(ldap::ResultCode::Success, Some(reply)),
            )),
        ],
        AuthClass::Kerberos,
    )
}

/// RFC 4616 PLAIN: `authzid NUL authcid NUL passwd`.
fn ldap_sasl_plain() -> Conversation {
    ldap_convo(
        "ldap-sasl-plain",
        vec![
            client(ldap_msg(
                1,
                bind_request("", sasl("PLAIN", b"\0carol\0s3cret-passw0rd".to_vec())),
            )),
            server(ldap_msg(1, bind_response(ldap::ResultCode::Success, None))),
        ],
        AuthClass::CleartextCredentials,
    )
}

fn ldap_starttls() -> Conversation {
    let starttls = ldap::ProtocolOp::ExtendedReq(ldap::ExtendedRequest {
        request_name: OctetString::from_static(b"1.3.6.1.4.1.1466.20037"),
        request_value: None,
    });
    let ok = ldap::ProtocolOp::ExtendedResp(ldap::ExtendedResponse {
        result_code: ldap::ResultCode::Success,
        matched_dn: lstr(""),
        diagnostic_message: lstr(""),
        referral: None,
        response_name: Some(OctetString::from_static(b"1.3.6.1.4.1.1466.20037")),
        response_value: None,
    });
    let mut turns = vec![client(ldap_msg(1, starttls)), server(ldap_msg(1, ok))];
    turns.extend(tls12_server_only("dc01.contoso.local"));
    ldap_convo("ldap-starttls", turns, AuthClass::TlsServerOnly)
}

// ---------------------------------------------------------------------------------------------
// TLS after an in-band upgrade: a real rustls TLS 1.2 handshake, server certificate only

/// The records of a full TLS 1.2 handshake without client certificate, then one application
/// record each way. Empty if rustls refuses (never with these parameters).
fn tls12_server_only(host: &str) -> Vec<Turn> {
    tls12_handshake(host).unwrap_or_default()
}

fn tls12_handshake(host: &str) -> Option<Vec<Turn>> {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use std::io::Write;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ca_key = rcgen::KeyPair::generate().ok()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).ok()?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Contoso Test CA");
    let ca_cert = ca_params.self_signed(&ca_key).ok()?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().ok()?;
    let mut leaf_params = rcgen::CertificateParams::new(vec![host.to_owned()]).ok()?;
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, host);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).ok()?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).ok()?;
    let tls12 = [&rustls::version::TLS12];
    let client_cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&tls12)
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server_cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&tls12)
        .ok()?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .ok()?;
    let name = ServerName::try_from(host.to_owned()).ok()?;
    let mut c = rustls::ClientConnection::new(Arc::new(client_cfg), name).ok()?;
    let mut s = rustls::ServerConnection::new(Arc::new(server_cfg)).ok()?;
    let mut turns = Vec::new();
    let mut sent_app = false;
    for _ in 0..16 {
        if !c.is_handshaking() && !s.is_handshaking() && !sent_app {
            c.writer().write_all(b"application data").ok()?;
            s.writer().write_all(b"application data").ok()?;
            sent_app = true;
        }
        let mut out = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut out).ok()?;
        }
        if !out.is_empty() {
            s.read_tls(&mut out.as_slice()).ok()?;
            s.process_new_packets().ok()?;
            turns.push(client(out));
        }
        let mut out = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut out).ok()?;
        }
        if !out.is_empty() {
            c.read_tls(&mut out.as_slice()).ok()?;
            c.process_new_packets().ok()?;
            turns.push(server(out));
        } else if sent_app && !c.wants_write() {
            break;
        }
    }
    Some(turns)
}

// ---------------------------------------------------------------------------------------------
// RDP (MS-RDPBCGR §2.2.1.1, §2.2.1.2)

fn tpkt(x224: &[u8]) -> Vec<u8> {
    let mut v = vec![3, 0];
    v.extend_from_slice(&u16::try_from(x224.len() + 4).unwrap_or(0).to_be_bytes());
    v.extend_from_slice(x224);
    v
}

fn rdp_connection_request(cookie: &str, requested: Option<u32>) -> Vec<u8> {
    let mut var = format!("Cookie: mstshash={cookie}\r\n").into_bytes();
    if let Some(p) = requested {
        var.extend_from_slice(&[1, 0, 8, 0]);
        var.extend_from_slice(&p.to_le_bytes());
    }
    let mut x = vec![
        u8::try_from(6 + var.len()).unwrap_or(0),
        0xe0,
        0,
        0,
        0,
        0,
        0,
    ];
    x.extend(var);
    tpkt(&x)
}

fn rdp_connection_confirm(selected: Option<u32>) -> Vec<u8> {
    let mut var = Vec::new();
    if let Some(p) = selected {
        var.extend_from_slice(&[2, 0x1f, 8, 0]);
        var.extend_from_slice(&p.to_le_bytes());
    }
    let mut x = vec![
        u8::try_from(6 + var.len()).unwrap_or(0),
        0xd0,
        0,
        0,
        0x12,
        0x34,
        0,
    ];
    x.extend(var);
    tpkt(&x)
}

fn rdp_standard_security() -> Conversation {
    convo(
        "rdp-standard-security",
        Transport::TCP,
        3389,
        vec![
            client(rdp_connection_request("jdoe", Some(0))),
            server(rdp_connection_confirm(Some(0))),
        ],
        AppProto::Rdp,
        AuthClass::EncryptedOther,
    )
}

fn rdp_hybrid() -> Conversation {
    let mut turns = vec![
        client(rdp_connection_request("jdoe", Some(0x3))),
        server(rdp_connection_confirm(Some(0x2))),
    ];
    turns.extend(tls12_server_only("ts01.contoso.local"));
    convo(
        "rdp-hybrid-credssp",
        Transport::TCP,
        3389,
        turns,
        AppProto::Rdp,
        AuthClass::TlsServerOnly,
    )
}

// ---------------------------------------------------------------------------------------------
// SSH (RFC 4253 §4.2, §6, §7.1)

fn name_list(names: &[&str]) -> Vec<u8> {
    let joined = names.join(",");
    let mut v = u32::try_from(joined.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    v.extend_from_slice(joined.as_bytes());
    v
}

/// A binary packet without MAC (before NEWKEYS): length, padding length, payload, padding to a
/// multiple of 8 with at least 4 bytes.
fn ssh_packet(payload: &[u8]) -> Vec<u8> {
    let mut pad = 8 - (5 + payload.len()) % 8;
    if pad < 4 {
        pad += 8;
    }
    let mut v = u32::try_from(1 + payload.len() + pad)
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    v.push(u8::try_from(pad).unwrap_or(4));
    v.extend_from_slice(payload);
    v.extend(std::iter::repeat_n(0, pad));
    v
}

fn kexinit(seed: u8, lists: [&[&str]; 10]) -> Vec<u8> {
    let mut p = vec![20];
    p.extend(filler(seed, 16));
    for l in lists {
        p.extend(name_list(l));
    }
    p.push(0);
    p.extend_from_slice(&[0; 4]);
    ssh_packet(&p)
}

fn ssh_session(name: &str, port: u16, weak: bool) -> Conversation {
    let (kex, hostkey, cipher, mac): (&[&str], &[&str], &[&str], &[&str]) = if weak {
        (
            &["diffie-hellman-group1-sha1"],
            &["ssh-dss"],
            &["aes128-cbc", "3des-cbc"],
            &["hmac-md5"],
        )
    } else {
        (
            &["curve25519-sha256", "ecdh-sha2-nistp256"],
            &["ssh-ed25519", "rsa-sha2-512"],
            &["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"],
            &["hmac-sha2-256-etm@openssh.com"],
        )
    };
    let none: &[&str] = &["none"];
    let empty: &[&str] = &[];
    let lists = [
        kex, hostkey, cipher, cipher, mac, mac, none, none, empty, empty,
    ];
    let client_id = if weak {
        "SSH-2.0-PuTTY_Release_0.58\r\n"
    } else {
        "SSH-2.0-OpenSSH_9.6\r\n"
    };
    convo(
        name,
        Transport::TCP,
        port,
        vec![
            server(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n".to_vec()),
            client(client_id.as_bytes().to_vec()),
            client(kexinit(90, lists)),
            server(kexinit(91, lists)),
            client(ssh_packet(
                &[30, 0, 0, 0, 32]
                    .iter()
                    .copied()
                    .chain(filler(92, 32))
                    .collect::<Vec<u8>>(),
            )),
        ],
        AppProto::Ssh,
        AuthClass::Ssh,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gss_framing_is_application_zero_with_the_oid_first() {
        let t = spnego_init(&[OID_NTLMSSP], ntlm_negotiate());
        assert_eq!(t[0], 0x60);
        // 06 06 2b 06 01 05 05 02 (SPNEGO OID) right after the outer length.
        let oid_at = if t[1] & 0x80 != 0 {
            2 + usize::from(t[1] & 0x7f)
        } else {
            2
        };
        assert_eq!(&t[oid_at..oid_at + 8], &[6, 6, 0x2b, 6, 1, 5, 5, 2]);
        assert_eq!(t[oid_at + 8], 0xa0, "NegTokenInit is [0]");
    }

    #[test]
    fn kerberos_messages_carry_pvno_5() {
        let c = kerberos_as_aes_tcp();
        let req = &c.turns[0].bytes;
        assert_eq!(&req[4..5], &[0x6a]);
        let body = &req[4..];
        assert!(body.windows(5).any(|w| w == [0xa1, 3, 2, 1, 5]));
    }

    #[test]
    fn every_conversation_has_both_sides_or_is_midstream() {
        for c in conversations() {
            assert!(!c.turns.is_empty(), "{}", c.name);
            assert!(c.turns.iter().any(|t| t.from_client), "{}", c.name);
        }
        assert_eq!(
            tls12_server_only("x.example").first().map(|t| t.bytes[0]),
            Some(0x16)
        );
    }
}
