//! DTLS (RFC 6347) over UDP: the same client-authentication evidence as TLS, from the
//! plaintext epoch-0 handshake. DTLS handshake messages carry a fragment header; fragments sent
//! in order are reassembled, retransmissions are dropped.

use segscope_core::{AppProto, Transport};
use tls_parser::{
    DTLSMessage, DTLSMessageHandshakeBody, parse_dtls_message_handshake, parse_dtls_record_header,
};

use super::analysis::{self, Parsed};
use super::hello;
use super::ja4::Ja4Transport;
use super::record::{CHANGE_CIPHER_SPEC, HANDSHAKE, Message, msg};
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// DTLS over UDP.
pub(crate) struct DtlsProbe;

/// True when a datagram starts with an epoch-0 DTLS handshake record carrying `typ`.
fn dtls_hello(d: &[u8], types: &[u8]) -> bool {
    matches!(d, [HANDSHAKE, 0xfe, 0xff | 0xfd | 0xfc, 0, 0, _, _, _, _, _, _, _, _, t, ..] if types.contains(t))
}

impl Probe for DtlsProbe {
    fn name(&self) -> &'static str {
        "dtls"
    }

    fn app(&self) -> AppProto {
        AppProto::Dtls
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let first_client = ctx.client.messages().next().unwrap_or_default();
        let first_server = ctx.server.messages().next().unwrap_or_default();
        if dtls_hello(first_client, &[msg::CLIENT_HELLO])
            || (first_client.is_empty() && dtls_hello(first_server, &[msg::SERVER_HELLO, 3]))
        {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let client = Direction::read(ctx.client.messages());
        let server = Direction::read(ctx.server.messages());
        let client_msgs = client.view();
        let server_msgs = server.view();
        let mut parse_error = client.error || server.error;
        let client_hello = client_msgs
            .iter()
            .find(|m| m.typ == msg::CLIENT_HELLO)
            .and_then(|m| match parse_dtls_message_handshake(m.raw) {
                Ok((_, DTLSMessage::Handshake(h))) => match h.body {
                    DTLSMessageHandshakeBody::ClientHello(ch) => {
                        Some(hello::dtls_client_hello(&ch))
                    }
                    _ => None,
                },
                _ => None,
            });
        parse_error |=
            client_hello.is_none() && client_msgs.iter().any(|m| m.typ == msg::CLIENT_HELLO);
        let mut server_hellos = Vec::new();
        for m in server_msgs.iter().filter(|m| m.typ == msg::SERVER_HELLO) {
            match parse_dtls_message_handshake(m.raw) {
                Ok((_, DTLSMessage::Handshake(h))) => match h.body {
                    DTLSMessageHandshakeBody::ServerHello(sh) => {
                        server_hellos.push(hello::from_contents(&sh));
                    }
                    _ => parse_error = true,
                },
                _ => parse_error = true,
            }
        }
        let parsed = Parsed {
            client_hello,
            server_hellos,
            client_msgs,
            server_msgs,
            server_ccs: server.ccs,
            encrypted_records: client.encrypted || server.encrypted,
            parse_error,
            ..Parsed::default()
        };
        analysis::decide(&parsed, ctx, Ja4Transport::Dtls).into_analysis(AppProto::Dtls)
    }
}

/// One direction's DTLS handshake: whole messages with their 12-byte header (fragment offset
/// rewritten to 0 and fragment length to the message length once reassembled).
#[derive(Default)]
struct Direction {
    messages: Vec<(u8, Vec<u8>)>,
    ccs: bool,
    encrypted: bool,
    error: bool,
}

/// A message being reassembled.
struct Partial {
    seq: u16,
    typ: u8,
    len: usize,
    raw: Vec<u8>,
}

impl Direction {
    /// The messages in TLS form: type and body after the 12-byte DTLS header.
    fn view(&self) -> Vec<Message<'_>> {
        self.messages
            .iter()
            .map(|(typ, raw)| Message {
                typ: *typ,
                body: raw.get(12..).unwrap_or_default(),
                raw,
            })
            .collect()
    }

    fn read<'a>(datagrams: impl Iterator<Item = &'a [u8]>) -> Direction {
        let mut d = Direction::default();
        let mut partial: Option<Partial> = None;
        let mut next_seq: u16 = 0;
        for datagram in datagrams {
            let mut rest = datagram;
            while !rest.is_empty() {
                let Ok((after, hdr)) = parse_dtls_record_header(rest) else {
                    d.error = true;
                    break;
                };
                let Some(fragment) = after.get(..usize::from(hdr.length)) else {
                    d.error = true;
                    break;
                };
                rest = after.get(usize::from(hdr.length)..).unwrap_or_default();
                match (hdr.content_type.0, hdr.epoch) {
                    (HANDSHAKE, 0) => {
                        d.handshake(fragment, &mut partial, &mut next_seq);
                    }
                    (CHANGE_CIPHER_SPEC, _) => d.ccs = true,
                    (_, e) if e > 0 => d.encrypted = true,
                    _ => {}
                }
            }
        }
        d
    }

    fn handshake(
        &mut self,
        mut fragment: &[u8],
        partial: &mut Option<Partial>,
        next_seq: &mut u16,
    ) {
        while !fragment.is_empty() {
            let mut r = Reader::new(fragment);
            let header = (r.u8(), r.be_u24(), r.be_u16(), r.be_u24(), r.be_u24());
            let (Some(typ), Some(len), Some(seq), Some(off), Some(flen)) = header else {
                self.error = true;
                return;
            };
            let Some(body) = r.take(flen as usize) else {
                self.error = true;
                return;
            };
            fragment = r.rest();
            let (len, off) = (len as usize, off as usize);
            if seq < *next_seq {
                continue; // retransmission of a message already complete
            }
            let p = match partial {
                Some(p) if p.seq == seq => p,
                _ => partial.insert(Partial {
                    seq,
                    typ,
                    len,
                    raw: Vec::new(),
                }),
            };
            if p.raw.is_empty() {
                if off != 0 {
                    continue; // first fragment lost or out of order
                }
                p.raw.push(typ);
                p.raw.extend_from_slice(&u24(len));
                p.raw.extend_from_slice(&seq.to_be_bytes());
                p.raw.extend_from_slice(&[0, 0, 0]);
                p.raw.extend_from_slice(&u24(len));
            }
            if off + 12 == p.raw.len() && p.typ == typ && p.len == len {
                p.raw.extend_from_slice(body);
            }
            if p.raw.len() >= p.len + 12 {
                let done = std::mem::take(&mut p.raw);
                self.messages.push((p.typ, done));
                *partial = None;
                *next_seq = seq.wrapping_add(1);
            }
        }
    }
}

fn u24(v: usize) -> [u8; 3] {
    let b = (v as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}
