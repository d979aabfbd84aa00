//! The TLS record layer of one direction: record boundaries, and the plaintext handshake
//! messages reassembled across records (a message may span records, a record may hold several
//! messages).

use tls_parser::parse_tls_raw_record;

use crate::bytes::Reader;

/// Largest record payload TLS allows (2^14 plus the TLS 1.2 expansion allowance).
pub(crate) const MAX_RECORD_PAYLOAD: usize = 16_384 + 2_048;

/// Content types.
pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
pub(crate) const HANDSHAKE: u8 = 22;
pub(crate) const APPLICATION_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
pub(crate) mod msg {
    pub(crate) const CLIENT_HELLO: u8 = 1;
    pub(crate) const SERVER_HELLO: u8 = 2;
    pub(crate) const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub(crate) const CERTIFICATE: u8 = 11;
    pub(crate) const SERVER_KEY_EXCHANGE: u8 = 12;
    pub(crate) const CERTIFICATE_REQUEST: u8 = 13;
    pub(crate) const SERVER_HELLO_DONE: u8 = 14;
    pub(crate) const CERTIFICATE_VERIFY: u8 = 15;
    pub(crate) const CLIENT_KEY_EXCHANGE: u8 = 16;
    pub(crate) const FINISHED: u8 = 20;
}

/// One record of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// Content type (20–24).
    pub(crate) content_type: u8,
    /// Record-layer version.
    pub(crate) version: u16,
    /// The record payload (ciphertext for encrypted records).
    pub(crate) payload: &'a [u8],
    /// The five header bytes (additional data of TLS 1.3 AEAD records).
    pub(crate) header: [u8; 5],
    /// False for a last record cut short by the end of the captured bytes: its payload is the
    /// part that was captured (still useful for handshake messages that end before the cut).
    pub(crate) complete: bool,
}

/// Why the record walk stopped before the end of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// All bytes were whole records.
    End,
    /// The last record is cut short (capture budget or end of capture).
    Truncated,
    /// Bytes that are not a TLS record header.
    Malformed,
}

/// True when five bytes are a plausible TLS record header: a known content type, version
/// 3.0–3.4 and a length TLS allows.
pub(crate) fn plausible_header(h: &[u8]) -> bool {
    match h {
        [t, 3, minor, hi, lo, ..] => {
            let len = usize::from(*hi) << 8 | usize::from(*lo);
            (CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(t)
                && *minor <= 4
                && len > 0
                && len <= MAX_RECORD_PAYLOAD
        }
        _ => false,
    }
}

/// Splits a stream into records.
pub(crate) fn records(bytes: &[u8]) -> (Vec<Record<'_>>, Stop) {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if !plausible_header(rest) {
            let stop = if rest.len() < 5 && could_start_header(rest) {
                Stop::Truncated
            } else {
                Stop::Malformed
            };
            return (out, stop);
        }
        match parse_tls_raw_record(rest) {
            Ok((next, r)) => {
                let mut header = [0u8; 5];
                if let Some(h) = rest.get(..5) {
                    header.copy_from_slice(h);
                }
                out.push(Record {
                    content_type: u8::from(r.hdr.record_type),
                    version: r.hdr.version.0,
                    payload: r.data,
                    header,
                    complete: true,
                });
                rest = next;
            }
            Err(tls_parser::Err::Incomplete(_)) => {
                if let Some((h, payload)) = rest.split_at_checked(5)
                    && let [t, v0, v1, _, _] = *h
                {
                    let mut header = [0u8; 5];
                    header.copy_from_slice(h);
                    out.push(Record {
                        content_type: t,
                        version: u16::from_be_bytes([v0, v1]),
                        payload,
                        header,
                        complete: false,
                    });
                }
                return (out, Stop::Truncated);
            }
            Err(_) => return (out, Stop::Malformed),
        }
    }
    (out, Stop::End)
}

fn could_start_header(rest: &[u8]) -> bool {
    match rest {
        [t, ..] if !(CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(t) => false,
        [_, v, ..] if *v != 3 => false,
        _ => true,
    }
}

/// The plaintext handshake bytes of one direction, concatenated across records.
///
/// For TLS ≤ 1.2 the plaintext phase ends at the direction's ChangeCipherSpec (what follows is
/// the encrypted Finished); for TLS 1.3 encrypted records use content type 23, so every
/// handshake record is plaintext (the middlebox-compatibility ChangeCipherSpec may come between
/// two ClientHellos after a HelloRetryRequest).
pub(crate) fn handshake_bytes(records: &[Record<'_>], stop_at_ccs: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        match r.content_type {
            HANDSHAKE => out.extend_from_slice(r.payload),
            CHANGE_CIPHER_SPEC if stop_at_ccs => break,
            _ => {}
        }
    }
    out
}

/// One handshake message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    /// Handshake type.
    pub(crate) typ: u8,
    /// Body (after the four-byte header).
    pub(crate) body: &'a [u8],
    /// Header and body, as hashed into the transcript.
    pub(crate) raw: &'a [u8],
}

/// Splits reassembled handshake bytes into messages; the flag is true when the last message is
/// cut short.
pub(crate) fn messages(bytes: &[u8]) -> (Vec<Message<'_>>, bool) {
    let mut out = Vec::new();
    let mut r = Reader::new(bytes);
    while r.remaining() > 0 {
        let start = r.position();
        let Some(typ) = r.u8() else { break };
        let Some(len) = r.be_u24() else {
            return (out, true);
        };
        let Some(body) = r.take(len as usize) else {
            return (out, true);
        };
        let raw = bytes.get(start..r.position()).unwrap_or_default();
        out.push(Message { typ, body, raw });
    }
    (out, false)
}

/// Offset of the first plausible handshake record carrying a ClientHello or ServerHello whose
/// lengths agree with the record's (see [`super::find_record_start`]).
pub(crate) fn find_hello_record(bytes: &[u8]) -> Option<usize> {
    let mut from = 0usize;
    while let Some(rel) = bytes.get(from..)?.iter().position(|&b| b == HANDSHAKE) {
        let at = from.checked_add(rel)?;
        if hello_record_at(bytes.get(at..)?) {
            return Some(at);
        }
        from = at.checked_add(1)?;
    }
    None
}

/// Smallest ClientHello/ServerHello body.
const MIN_HELLO: usize = 38;

/// True when `b` starts with a handshake record whose first message is a Client/ServerHello with
/// a hello version 3.0–3.3 and a message length that fits the record (or continues beyond it).
pub(crate) fn hello_record_at(b: &[u8]) -> bool {
    let [
        HANDSHAKE,
        3,
        rminor,
        rhi,
        rlo,
        typ,
        l0,
        l1,
        l2,
        3,
        hminor,
        ..,
    ] = b
    else {
        return false;
    };
    let rec_len = usize::from(*rhi) << 8 | usize::from(*rlo);
    let msg_len = usize::from(*l0) << 16 | usize::from(*l1) << 8 | usize::from(*l2);
    *rminor <= 4
        && (msg::CLIENT_HELLO..=msg::SERVER_HELLO).contains(typ)
        && *hminor <= 3
        // A hello is at least version 2 + random 32 + session id length 1 + 3 more bytes.
        && (4 + MIN_HELLO..=MAX_RECORD_PAYLOAD).contains(&rec_len)
        && (MIN_HELLO..1 << 17).contains(&msg_len)
}

/// An SSL 2.0-format ClientHello (RFC 6101 appendix E.2, RFC 5246 appendix E.2): two-byte
/// header with the high bit set, message type 1, then the version the client offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sslv2Hello<'a> {
    /// Offered version (0x0002 for SSL 2.0, 0x0300–0x0303 for the compatible form).
    pub(crate) version: u16,
    /// Three-byte cipher specs.
    pub(crate) cipher_specs: &'a [u8],
    /// The challenge (the client random, right-aligned in 32 bytes when upgraded).
    pub(crate) challenge: &'a [u8],
    /// Bytes the hello occupies (the TLS records of the direction follow).
    pub(crate) len: usize,
}

/// Parses an SSL 2.0-format ClientHello at the start of `b`, requiring every length to agree.
pub(crate) fn sslv2_client_hello(b: &[u8]) -> Option<Sslv2Hello<'_>> {
    let mut r = Reader::new(b);
    let h = r.be_u16()?;
    if h & 0x8000 == 0 {
        return None;
    }
    let len = usize::from(h & 0x7fff);
    let body = r.take(len)?;
    let mut r = Reader::new(body);
    if r.u8()? != 1 {
        return None;
    }
    let version = r.be_u16()?;
    if version != 0x0002 && !(0x0300..=0x0303).contains(&version) {
        return None;
    }
    let cs_len = usize::from(r.be_u16()?);
    let sid_len = usize::from(r.be_u16()?);
    let ch_len = usize::from(r.be_u16()?);
    if cs_len == 0 || cs_len % 3 != 0 || !(16..=32).contains(&ch_len) || !matches!(sid_len, 0 | 16)
    {
        return None;
    }
    let cipher_specs = r.take(cs_len)?;
    r.skip(sid_len)?;
    let challenge = r.take(ch_len)?;
    (r.remaining() == 0).then_some(Sslv2Hello {
        version,
        cipher_specs,
        challenge,
        len: len + 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_and_report_truncation() {
        let bytes = [
            0x16, 3, 1, 0, 2, 0xaa, 0xbb, // handshake record, 2 bytes
            0x14, 3, 3, 0, 1, 1, // change cipher spec
            0x17, 3, 3, 0, 5, 1, 2, // application data, cut short
        ];
        let (recs, stop) = records(&bytes);
        assert_eq!(recs.len(), 3);
        assert!(!recs[2].complete, "the cut record keeps what was captured");
        assert_eq!(recs[2].payload, &[1, 2]);
        assert_eq!(recs[0].payload, &[0xaa, 0xbb]);
        assert_eq!(recs[1].content_type, CHANGE_CIPHER_SPEC);
        assert_eq!(stop, Stop::Truncated);
        let (recs, stop) = records(b"GET / HTTP/1.1\r\n");
        assert!(recs.is_empty());
        assert_eq!(stop, Stop::Malformed);
        assert_eq!(records(&[0x16, 3]).1, Stop::Truncated);
        assert_eq!(
            records(&[0x16, 3, 3, 0, 0]).1,
            Stop::Malformed,
            "empty record"
        );
    }

    #[test]
    fn messages_span_records_and_share_records() {
        // Two messages in one record, the second continued in the next record.
        let r1 = [0x16, 3, 3, 0, 8, 14, 0, 0, 0, 11, 0, 0, 3];
        let r2 = [0x16, 3, 3, 0, 3, 1, 2, 3];
        let stream: Vec<u8> = r1.iter().chain(r2.iter()).copied().collect();
        let (recs, stop) = records(&stream);
        assert_eq!(stop, Stop::End);
        let hs = handshake_bytes(&recs, true);
        let (msgs, cut) = messages(&hs);
        assert!(!cut);
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].typ, msgs[0].body.len()), (14, 0));
        assert_eq!((msgs[1].typ, msgs[1].body), (11, &[1u8, 2, 3][..]));
        let (msgs, cut) = messages(&hs[..hs.len() - 1]);
        assert_eq!((msgs.len(), cut), (1, true));
    }

    #[test]
    fn sslv2_hello_needs_consistent_lengths() {
        // RFC 5246 E.2: msg_type 1, version 3.1, 3 cipher specs, no session id, 16-byte challenge.
        let mut b = vec![0x80, 0x00, 1, 3, 1, 0, 9, 0, 0, 0, 16];
        b.extend_from_slice(&[0, 0, 0x2f, 0, 0, 0x35, 0x01, 0x00, 0x80]);
        b.extend_from_slice(&[7u8; 16]);
        b[1] = (b.len() - 2) as u8;
        let h = sslv2_client_hello(&b).expect("valid SSLv2 hello");
        assert_eq!(
            (h.version, h.cipher_specs.len(), h.len),
            (0x0301, 9, b.len())
        );
        let mut bad = b.clone();
        bad[6] = 8; // cipher spec length not a multiple of 3
        assert!(sslv2_client_hello(&bad).is_none());
        assert!(sslv2_client_hello(b"\x80\x03\x01\x03").is_none());
    }
}
