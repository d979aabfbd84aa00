//! QUIC (RFC 9000, version 2 RFC 9369, drafts 29–32): long-header recognition and decryption of
//! the client's Initial packets, whose keys every observer can derive from the Destination
//! Connection ID (RFC 9001 §5.2), to read the TLS ClientHello: SNI and ALPN.
//!
//! QUIC always carries TLS 1.3, so client authentication is encrypted:
//! `tls_client_auth_unknown`, with the mesh-ALPN indicator when the client offers a service-mesh
//! protocol (from the rules). The SNI names the server address.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::aes::Aes128;
use aes_gcm::aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use segscope_core::auth::{ClientCertStatus, Indicator, TlsFacts};
use segscope_core::names::{NameObservation, NameSource};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};
use sha2::Sha256;
use tls_parser::{TlsMessage, TlsMessageHandshake, parse_tls_message_handshake};

use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// QUIC probe.
pub struct Quic;
/// The QUIC probe instance.
pub static QUIC: Quic = Quic;

const V1: u32 = 0x0000_0001;
const V2: u32 = 0x6b33_43cf;
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// Most CRYPTO bytes reassembled (a ClientHello with post-quantum key shares is ~1.8 KB).
const MAX_CRYPTO: usize = 16 * 1024;

/// Versions this module can decrypt: (salt, label prefix, Initial packet type bits).
fn version_params(v: u32) -> Option<(&'static [u8; 20], &'static str, u8)> {
    match v {
        V1 => Some((&SALT_V1, "quic", 0)),
        V2 => Some((&SALT_V2, "quicv2", 1)),
        0xff00_001d..=0xff00_0020 => Some((&SALT_DRAFT29, "quic", 0)),
        _ => None,
    }
}

fn version_name(v: u32) -> String {
    match v {
        V1 => "QUIC v1".into(),
        V2 => "QUIC v2".into(),
        0 => "QUIC version negotiation".into(),
        v if v >> 8 == 0x00ff_0000 => format!("QUIC draft-{}", v & 0xff),
        v => format!("QUIC version 0x{v:08x}"),
    }
}

/// A long-header packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongHeader<'a> {
    /// First byte (still header-protected).
    pub first: u8,
    /// Version.
    pub version: u32,
    /// Destination connection id.
    pub dcid: &'a [u8],
    /// Offset of the packet-number field (Initial packets only).
    pub pn_offset: usize,
    /// End of this packet in the datagram (Initial packets only; coalesced packets follow).
    pub end: usize,
    /// True for an Initial packet.
    pub initial: bool,
}

/// A QUIC variable-length integer (RFC 9000 §16).
pub fn varint(r: &mut Reader<'_>) -> Option<u64> {
    let first = r.u8()?;
    let extra = (1usize << (first >> 6)) - 1;
    let mut v = u64::from(first & 0x3f);
    for b in r.take(extra)? {
        v = (v << 8) | u64::from(*b);
    }
    Some(v)
}

/// Parses the long header at the start of `d`.
pub fn long_header(d: &[u8]) -> Option<LongHeader<'_>> {
    let mut r = Reader::new(d);
    let first = r.u8()?;
    if first & 0xc0 != 0xc0 {
        return None;
    }
    let version = r.be_u32()?;
    let dcid = r.u8_prefixed()?;
    let scid = r.u8_prefixed()?;
    if dcid.len() > 20 || scid.len() > 20 {
        return None;
    }
    let initial = version_params(version).is_some_and(|(_, _, t)| (first >> 4) & 0x3 == t);
    if !initial {
        return Some(LongHeader {
            first,
            version,
            dcid,
            pn_offset: 0,
            end: d.len(),
            initial: false,
        });
    }
    let token_len = usize::try_from(varint(&mut r)?).ok()?;
    r.skip(token_len)?;
    let len = usize::try_from(varint(&mut r)?).ok()?;
    let pn_offset = r.position();
    let end = pn_offset.checked_add(len)?;
    if end > d.len() {
        return None;
    }
    Some(LongHeader {
        first,
        version,
        dcid,
        pn_offset,
        end,
        initial: true,
    })
}

fn expand_label(secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(full.len()).ok()?);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let mut out = vec![0u8; len];
    hk.expand(&info, &mut out).ok()?;
    Some(out)
}

/// Client Initial keys: (key, iv, header-protection key).
struct InitialKeys {
    key: Vec<u8>,
    iv: Vec<u8>,
    hp: Vec<u8>,
}

fn client_initial_keys(version: u32, dcid: &[u8]) -> Option<InitialKeys> {
    let (salt, prefix, _) = version_params(version)?;
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let client = expand_label(&prk, "client in", 32)?;
    Some(InitialKeys {
        key: expand_label(&client, &format!("{prefix} key"), 16)?,
        iv: expand_label(&client, &format!("{prefix} iv"), 12)?,
        hp: expand_label(&client, &format!("{prefix} hp"), 16)?,
    })
}

/// Removes header protection and decrypts one Initial packet; returns the plaintext frames.
fn decrypt_initial(d: &[u8], h: &LongHeader<'_>, keys: &InitialKeys) -> Option<Vec<u8>> {
    let sample = d.get(h.pn_offset + 4..h.pn_offset + 20)?;
    let hp = Aes128::new_from_slice(&keys.hp).ok()?;
    let mut mask = GenericArray::clone_from_slice(sample);
    hp.encrypt_block(&mut mask);
    let first = h.first ^ (mask.first()? & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let mut header = d.get(..h.pn_offset + pn_len)?.to_vec();
    *header.first_mut()? = first;
    let mut pn = 0u64;
    for i in 0..pn_len {
        let b = header.get_mut(h.pn_offset + i)?;
        *b ^= mask.get(1 + i)?;
        pn = (pn << 8) | u64::from(*b);
    }
    let mut nonce = keys.iv.clone();
    for (n, p) in nonce.iter_mut().rev().zip(pn.to_be_bytes().iter().rev()) {
        *n ^= p;
    }
    let cipher = Aes128Gcm::new_from_slice(&keys.key).ok()?;
    let ciphertext = d.get(h.pn_offset + pn_len..h.end)?;
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: ciphertext,
                aad: &header,
            },
        )
        .ok()
}

/// CRYPTO frame pieces (offset, data) of a decrypted Initial payload.
fn crypto_frames(plain: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut r = Reader::new(plain);
    while let Some(kind) = varint(&mut r) {
        match kind {
            0x00 | 0x01 => {}
            0x02 | 0x03 => {
                if skip_ack(&mut r, kind == 0x03).is_none() {
                    break;
                }
            }
            0x06 => {
                let (Some(off), Some(len)) = (varint(&mut r), varint(&mut r)) else {
                    break;
                };
                let Some(data) = usize::try_from(len).ok().and_then(|l| r.take(l)) else {
                    break;
                };
                out.push((off, data));
            }
            _ => break,
        }
    }
    out
}

/// Skips the body of an ACK frame (with ECN counts for type 0x03).
fn skip_ack(r: &mut Reader<'_>, ecn: bool) -> Option<()> {
    varint(r)?;
    varint(r)?;
    let ranges = varint(r)?;
    varint(r)?;
    for _ in 0..ranges.min(256) {
        varint(r)?;
        varint(r)?;
    }
    if ecn {
        for _ in 0..3 {
            varint(r)?;
        }
    }
    Some(())
}

/// The contiguous CRYPTO stream from offset 0.
fn reassemble(mut pieces: Vec<(u64, Vec<u8>)>) -> Vec<u8> {
    pieces.sort_by_key(|(o, _)| *o);
    let mut out: Vec<u8> = Vec::new();
    for (off, data) in pieces {
        let Ok(off) = usize::try_from(off) else { break };
        if off > out.len() || off >= MAX_CRYPTO {
            break;
        }
        let skip = out.len() - off;
        if let Some(new) = data.get(skip..) {
            out.extend_from_slice(new);
        }
        out.truncate(MAX_CRYPTO);
    }
    out
}

/// SNI and ALPN values from ClientHello extension bytes.
fn hello_extensions(ext: &[u8]) -> (Option<String>, Vec<String>) {
    let mut sni = None;
    let mut alpn = Vec::new();
    let mut r = Reader::new(ext);
    while let (Some(kind), Some(data)) = (r.be_u16(), r.be_u16_prefixed()) {
        match kind {
            0 => {
                let mut d = Reader::new(data);
                let _list_len = d.be_u16();
                if d.u8() == Some(0) {
                    sni = d
                        .be_u16_prefixed()
                        .map(|n| printable(n, 255).to_ascii_lowercase());
                }
            }
            16 => {
                let mut d = Reader::new(data);
                if let Some(list) = d.be_u16_prefixed() {
                    let mut l = Reader::new(list);
                    while let Some(p) = l.u8_prefixed() {
                        alpn.push(printable(p, 64));
                    }
                }
            }
            _ => {}
        }
    }
    (sni, alpn)
}

/// What the client's Initial packets show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInitial {
    /// Version of the first packet.
    pub version: u32,
    /// Initial packets decrypted.
    pub decrypted: usize,
    /// Initial packets that failed to decrypt.
    pub failed: usize,
    /// True when a complete ClientHello was read.
    pub client_hello: bool,
    /// SNI.
    pub sni: Option<String>,
    /// ALPN protocols offered.
    pub alpn: Vec<String>,
}

/// Decrypts the client's Initial packets (each datagram may hold several coalesced packets)
/// and reads the ClientHello.
pub fn client_initial<'a>(datagrams: impl Iterator<Item = &'a [u8]>) -> ClientInitial {
    let mut out = ClientInitial::default();
    let mut keys: Option<(Vec<u8>, InitialKeys)> = None;
    let mut pieces: Vec<(u64, Vec<u8>)> = Vec::new();
    for d in datagrams.take(32) {
        let mut at = 0usize;
        while let Some(h) = d.get(at..).and_then(long_header) {
            if out.version == 0 {
                out.version = h.version;
            }
            if !h.initial {
                break;
            }
            let pkt = d.get(at..at + h.end).unwrap_or(&[]);
            // Keys come from the first Initial's DCID; after a Retry the DCID changes.
            if keys
                .as_ref()
                .is_none_or(|(dcid, _)| dcid != h.dcid && out.decrypted == 0)
            {
                keys = client_initial_keys(h.version, h.dcid).map(|k| (h.dcid.to_vec(), k));
            }
            match keys.as_ref().and_then(|(_, k)| decrypt_initial(pkt, &h, k)) {
                Some(plain) => {
                    out.decrypted += 1;
                    for (off, data) in crypto_frames(&plain) {
                        pieces.push((off, data.to_vec()));
                    }
                }
                None => out.failed += 1,
            }
            at += h.end;
        }
    }
    let stream = reassemble(pieces);
    if let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) =
        parse_tls_message_handshake(&stream)
    {
        out.client_hello = true;
        let (sni, alpn) = hello_extensions(ch.ext.unwrap_or(&[]));
        out.sni = sni;
        out.alpn = alpn;
    }
    out
}

impl Probe for Quic {
    fn name(&self) -> &'static str {
        "quic"
    }
    fn app(&self) -> AppProto {
        AppProto::Quic
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        match ctx.client.messages().next().and_then(long_header) {
            Some(h)
                if h.initial
                    && ctx
                        .client
                        .messages()
                        .next()
                        .is_some_and(|d| d.len() >= 1200) =>
            {
                Verdict::Certain
            }
            Some(h) if version_params(h.version).is_some() || h.version >> 8 == 0x00ff_0000 => {
                Verdict::Unsure
            }
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let ci = client_initial(ctx.client.messages());
        let version = version_name(ci.version);
        let mut facts = TlsFacts {
            version: Some("TLSv1.3".to_owned()),
            sni: ci.sni.clone(),
            alpn_offered: ci.alpn.clone(),
            client_cert: Some(ClientCertStatus::NotVisible),
            ..TlsFacts::default()
        };
        let indicators: Vec<Indicator> = ci
            .alpn
            .iter()
            .filter(|a| ctx.rules.is_mesh_alpn(a))
            .map(|a| Indicator {
                kind: "mesh_alpn".to_owned(),
                detail: a.clone(),
                strength: "strong".to_owned(),
                suggests: "client_cert_likely".to_owned(),
            })
            .collect();
        let seen = if ci.client_hello {
            format!(
                "ClientHello decrypted from {} Initial packets (SNI {}, ALPN {})",
                ci.decrypted,
                ci.sni.as_deref().unwrap_or("none"),
                if ci.alpn.is_empty() {
                    "none".to_owned()
                } else {
                    ci.alpn.join(",")
                }
            )
        } else if ci.decrypted > 0 {
            format!(
                "{} Initial packets decrypted, ClientHello incomplete",
                ci.decrypted
            )
        } else {
            "client Initial not decrypted".to_owned()
        };
        if !ci.client_hello {
            facts.sni = None;
        }
        let names = ci
            .sni
            .iter()
            .map(|n| NameObservation {
                ip: ctx.meta.server.ip,
                name: n.clone(),
                source: NameSource::TlsSni,
                ts: ctx.meta.first_ts,
            })
            .collect();
        Analysis {
            app: AppProto::Quic,
            auth: AuthClass::TlsClientAuthUnknown,
            evidence: AuthEvidence {
                reason: format!(
                    "{version}: TLS 1.3 inside QUIC, client authentication encrypted; {seen}"
                ),
                indicators,
                tls: Some(Box::new(facts)),
                ..AuthEvidence::default()
            },
            names,
            parse_error: ci.failed > 0 && ci.decrypted == 0 && version_params(ci.version).is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9001 Appendix A.1: keys for DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").expect("hex");
        let k = client_initial_keys(V1, &dcid).expect("keys");
        assert_eq!(hex::encode(&k.key), "1f369613dd76d5467730efcbe3b1a22d");
        assert_eq!(hex::encode(&k.iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(hex::encode(&k.hp), "9f50449e04a0e810283a1e9933adedd2");
    }

    /// RFC 9369 Appendix A.1: version 2 keys for the same DCID.
    #[test]
    fn rfc9369_initial_keys() {
        let dcid = hex::decode("8394c8f03e515708").expect("hex");
        let k = client_initial_keys(V2, &dcid).expect("keys");
        assert_eq!(hex::encode(&k.key), "8b1a0bc121284290a29e0971b5cd045d");
        assert_eq!(hex::encode(&k.iv), "91f73e2351d8fa91660e909f");
        assert_eq!(hex::encode(&k.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
    }

    #[test]
    fn varints_and_reassembly() {
        assert_eq!(
            varint(&mut Reader::new(&[
                0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c
            ])),
            Some(151_288_809_941_952_652)
        );
        assert_eq!(varint(&mut Reader::new(&[0x40, 0x25])), Some(37));
        assert_eq!(varint(&mut Reader::new(&[0x80, 0x00])), None);
        let s = reassemble(vec![
            (3, b"def".to_vec()),
            (0, b"abcd".to_vec()),
            (10, b"x".to_vec()),
        ]);
        assert_eq!(s, b"abcdef");
    }
}
