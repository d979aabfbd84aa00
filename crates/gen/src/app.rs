//! Application payloads: the seam between "what the applications say" and "how the transport
//! carries it".
//!
//! An [`AppSession`] yields the messages of one conversation in order: who speaks, what bytes,
//! after how much think time. The simulator turns each message into TCP segments (at the MSS,
//! with ACKs, retransmissions and reordering) or into one UDP datagram (fragmented when it does
//! not fit the MTU) or one ICMP echo. A session never sees packets, sequence numbers or time
//! stamps, so an implementation is a plain byte-producing state machine.
//!
//! Protocols with real bytes plug in two ways, neither touching the transport:
//!
//! - Bytes made beforehand (a TLS handshake made with rustls, an LDAP bind, a Kerberos
//!   exchange — for example the labelled conversations of [`crate::convo`]) are replayed with
//!   [`AppSpec::Recorded`]: map each turn to a [`RecordedTurn`] (`from_client` → [`Side`]) and
//!   name the protocol the flow should be classified as.
//! - Bytes that depend on the session (sizes, names, many variants) get their own
//!   `AppSession` and [`AppSpec`] variant, as HTTP and DNS have here.
//!
//! Scenarios then name the spec in their planned sessions.

use std::sync::Arc;

use segscope_core::Span;
use segscope_core::auth::AppProto;

use crate::rng::{Rng, splitmix64};

pub mod dns;
pub mod http;
pub mod simple;

/// Which end of a conversation sends a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The side that opened the conversation.
    Client,
    /// The side that accepted it.
    Server,
}

impl Side {
    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// How the synthetic tail of a [`Body`] looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillKind {
    /// Uniformly random bytes: compressed or encrypted content.
    Random,
    /// Lower-case letters, spaces and punctuation: text content.
    Text,
}

/// A message's bytes: an explicit head (protocol headers) followed by a synthetic tail that is
/// generated on demand from a seed, so a multi-megabyte transfer costs no memory and any range
/// of it (a retransmission) can be produced again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Explicit bytes.
    pub head: Vec<u8>,
    /// Length of the synthetic tail.
    pub fill_len: u64,
    /// Seed of the tail.
    pub fill_seed: u64,
    /// Look of the tail.
    pub fill_kind: FillKind,
}

/// Letters in rough English frequency, spaces and punctuation; no line breaks, so that a
/// segment starting inside a body never looks like the blank line ending an HTTP header.
const TEXT_ALPHABET: &[u8; 64] =
    b"etaoinshrdlucmfwypvbgkqjxz etaoinshrdlu etaoinsh  ,.etaoin .abcd";

impl Body {
    /// A body of exactly these bytes.
    pub fn bytes(head: Vec<u8>) -> Body {
        Body {
            head,
            fill_len: 0,
            fill_seed: 0,
            fill_kind: FillKind::Random,
        }
    }

    /// `len` high-entropy bytes.
    pub fn opaque(len: u64, seed: u64) -> Body {
        Body {
            head: Vec::new(),
            fill_len: len,
            fill_seed: seed,
            fill_kind: FillKind::Random,
        }
    }

    /// Total length.
    pub fn len(&self) -> u64 {
        self.head.len() as u64 + self.fill_len
    }

    /// True for a zero-length body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces `out` with bytes `offset..offset + n` of the body (fewer at the end).
    pub fn copy_range(&self, offset: u64, n: usize, out: &mut Vec<u8>) {
        out.clear();
        let end = (offset + n as u64).min(self.len());
        let head_len = self.head.len() as u64;
        if offset < head_len
            && let Some(part) = self.head.get(offset as usize..end.min(head_len) as usize)
        {
            out.extend_from_slice(part);
        }
        let mut pos = offset.max(head_len) - head_len;
        let fill_end = end.saturating_sub(head_len);
        while pos < fill_end {
            let block = splitmix64(self.fill_seed ^ (pos / 8).wrapping_mul(0xA24B_AED4_963E_E407));
            let bytes = block.to_le_bytes();
            let from = (pos % 8) as usize;
            let take = (8 - from).min((fill_end - pos) as usize);
            for &b in bytes.iter().skip(from).take(take) {
                out.push(match self.fill_kind {
                    FillKind::Random => b,
                    FillKind::Text => TEXT_ALPHABET[usize::from(b & 63)],
                });
            }
            pos += take as u64;
        }
    }
}

/// One application message: what one side writes in one go (a request, a response, a
/// datagram).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who sends it.
    pub from: Side,
    /// The bytes.
    pub body: Body,
    /// Think time between the end of the previous message and this one (network latency is
    /// added by the simulator).
    pub delay: Span,
}

/// One conversation's application layer: yields its messages in order, then `None`.
pub trait AppSession {
    /// The next message, or `None` when the application has nothing more to say (the transport
    /// then closes as planned).
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message>;
}

/// One message of a recorded conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedTurn {
    /// Who sends it.
    pub from: Side,
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
}

/// A conversation whose bytes were made elsewhere, replayed as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedSpec {
    /// The protocol the bytes speak, as segscope should classify the flow.
    pub proto: AppProto,
    /// The messages in order (shared: one recording may be replayed by many sessions).
    pub turns: Arc<[RecordedTurn]>,
    /// Think time before each message after the first.
    pub gap: Span,
}

/// Plays a [`RecordedSpec`].
#[derive(Debug)]
pub struct RecordedSession {
    spec: RecordedSpec,
    next: usize,
}

impl AppSession for RecordedSession {
    fn next_message(&mut self, _rng: &mut Rng) -> Option<Message> {
        let turn = self.spec.turns.get(self.next)?;
        self.next += 1;
        Some(Message {
            from: turn.from,
            body: Body::bytes(turn.bytes.clone()),
            delay: if self.next == 1 {
                Span(0)
            } else {
                self.spec.gap
            },
        })
    }
}

/// What an application session says, declared as data so that scenarios stay declarative.
#[derive(Clone, Debug)]
pub enum AppSpec {
    /// No payload: handshakes, failed attempts.
    None,
    /// HTTP/1.1 over one persistent connection.
    Http(http::HttpSpec),
    /// DNS queries and answers (one query per UDP flow, as stub resolvers do).
    Dns(dns::DnsSpec),
    /// One NTP client/server exchange.
    Ntp,
    /// One-way BSD syslog messages.
    Syslog(simple::SyslogSpec),
    /// ICMP echo request/reply pairs.
    Echo(simple::EchoSpec),
    /// High-entropy request/response exchanges (database, file, RPC traffic not modelled yet).
    Opaque(simple::OpaqueSpec),
    /// Bytes made elsewhere, replayed.
    Recorded(RecordedSpec),
}

impl AppSpec {
    /// A new session of this application.
    pub fn start(&self, seed: u64) -> Box<dyn AppSession> {
        match self {
            AppSpec::None => Box::new(simple::Silent),
            AppSpec::Http(s) => Box::new(http::HttpSession::new(s.clone(), seed)),
            AppSpec::Dns(s) => Box::new(dns::DnsSession::new(s.clone(), seed)),
            AppSpec::Ntp => Box::new(simple::NtpSession::new(seed)),
            AppSpec::Syslog(s) => Box::new(simple::SyslogSession::new(s.clone(), seed)),
            AppSpec::Echo(s) => Box::new(simple::EchoSession::new(*s, seed)),
            AppSpec::Opaque(s) => Box::new(simple::OpaqueSession::new(s.clone(), seed)),
            AppSpec::Recorded(s) => Box::new(RecordedSession {
                spec: s.clone(),
                next: 0,
            }),
        }
    }

    /// The protocol segscope should find in the flow (`unknown` for opaque bytes).
    pub fn proto(&self) -> AppProto {
        match self {
            AppSpec::None | AppSpec::Opaque(_) => AppProto::Unknown,
            AppSpec::Http(_) => AppProto::Http,
            AppSpec::Dns(_) => AppProto::Dns,
            AppSpec::Ntp => AppProto::Ntp,
            AppSpec::Syslog(_) => AppProto::Syslog,
            AppSpec::Echo(_) => AppProto::Icmp,
            AppSpec::Recorded(s) => s.proto,
        }
    }
}

/// Milliseconds as a [`Span`].
pub fn ms(v: f64) -> Span {
    Span((v * 1e6) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_ranges_are_consistent() {
        let mut b = Body::opaque(10_000, 42);
        b.head = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        b.fill_kind = FillKind::Text;
        let mut whole = Vec::new();
        b.copy_range(0, 20_000, &mut whole);
        assert_eq!(whole.len() as u64, b.len());
        assert!(whole.starts_with(b"HTTP/1.1 200 OK\r\n\r\n"));
        let mut part = Vec::new();
        for (off, n) in [(0u64, 7usize), (5, 30), (19, 1), (1234, 1460), (9990, 100)] {
            b.copy_range(off, n, &mut part);
            let end = (off as usize + n).min(whole.len());
            assert_eq!(
                part.as_slice(),
                &whole[off as usize..end],
                "range {off}+{n}"
            );
        }
        assert!(whole[19..].iter().all(|c| TEXT_ALPHABET.contains(c)));
    }
}
