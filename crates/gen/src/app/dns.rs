//! DNS over UDP in real wire format (RFC 1035): queries with the recursion-desired bit, answers
//! with compressed owner names, NXDOMAIN, and EDNS(0) for large answers.

use std::net::IpAddr;

use crate::app::{AppSession, Body, Message, Side, ms};
use crate::rng::Rng;

/// The type of record asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
}

impl QueryType {
    fn code(self) -> u16 {
        match self {
            QueryType::A => 1,
            QueryType::Aaaa => 28,
        }
    }
}

/// How the server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsAnswer {
    /// The name exists; these are its addresses (those of the query type are returned).
    Addresses(Vec<IpAddr>),
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The server never answers (a one-way flow).
    Silent,
}

/// One query and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuery {
    /// Fully qualified name, without the trailing dot.
    pub name: String,
    /// Record type asked for.
    pub qtype: QueryType,
    /// The answer.
    pub answer: DnsAnswer,
    /// Whether the query carries an EDNS(0) OPT record advertising 4096-byte answers (needed
    /// for answers larger than 512 bytes, which then travel as IP fragments).
    pub edns: bool,
}

/// The queries of one client socket, asked one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsSpec {
    /// Queries in order.
    pub queries: Vec<DnsQuery>,
}

/// Plays a [`DnsSpec`].
#[derive(Debug)]
pub struct DnsSession {
    spec: DnsSpec,
    next: usize,
    pending_answer: Option<Vec<u8>>,
    id: u16,
}

impl DnsSession {
    /// A session with transaction ids derived from `seed`.
    pub fn new(spec: DnsSpec, seed: u64) -> DnsSession {
        DnsSession {
            spec,
            next: 0,
            pending_answer: None,
            id: (seed >> 48) as u16,
        }
    }
}

impl AppSession for DnsSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        if let Some(answer) = self.pending_answer.take() {
            return Some(Message {
                from: Side::Server,
                body: Body::bytes(answer),
                delay: ms(0.05 + rng.unit() * 2.0),
            });
        }
        let q = self.spec.queries.get(self.next)?;
        self.next += 1;
        self.id = self.id.wrapping_add(1 + rng.below(1000) as u16);
        let query = encode_query(self.id, q);
        self.pending_answer = match &q.answer {
            DnsAnswer::Silent => None,
            _ => Some(encode_answer(self.id, q)),
        };
        Some(Message {
            from: Side::Client,
            body: Body::bytes(query),
            delay: if self.next == 1 {
                ms(0.0)
            } else {
                ms(rng.unit())
            },
        })
    }
}

fn push_name(out: &mut Vec<u8>, name: &str) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let bytes = label.as_bytes();
        let len = bytes.len().min(63);
        out.push(len as u8);
        out.extend_from_slice(&bytes[..len]);
    }
    out.push(0);
}

fn push_header(out: &mut Vec<u8>, id: u16, flags: u16, counts: [u16; 4]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        out.extend_from_slice(&c.to_be_bytes());
    }
}

fn push_question(out: &mut Vec<u8>, q: &DnsQuery) {
    push_name(out, &q.name);
    out.extend_from_slice(&q.qtype.code().to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
}

fn push_opt(out: &mut Vec<u8>) {
    // Root owner, type OPT (41), class = UDP payload size 4096, TTL 0, no options.
    out.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
}

/// The query message.
pub fn encode_query(id: u16, q: &DnsQuery) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    push_header(&mut out, id, 0x0100, [1, 0, 0, u16::from(q.edns)]);
    push_question(&mut out, q);
    if q.edns {
        push_opt(&mut out);
    }
    out
}

/// The answer message (an empty answer section when the name has no address of that type).
pub fn encode_answer(id: u16, q: &DnsQuery) -> Vec<u8> {
    let addrs: Vec<&IpAddr> = match &q.answer {
        DnsAnswer::Addresses(a) => a
            .iter()
            .filter(|ip| ip.is_ipv4() == (q.qtype == QueryType::A))
            .collect(),
        _ => Vec::new(),
    };
    let rcode = if q.answer == DnsAnswer::NxDomain {
        3
    } else {
        0
    };
    let mut out = Vec::with_capacity(64 + addrs.len() * 28);
    push_header(
        &mut out,
        id,
        0x8180 | rcode,
        [1, addrs.len() as u16, 0, u16::from(q.edns)],
    );
    push_question(&mut out, q);
    for ip in addrs {
        // Owner name compressed as a pointer to the question (offset 12).
        out.extend_from_slice(&[0xC0, 0x0C]);
        out.extend_from_slice(&q.qtype.code().to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&300u32.to_be_bytes());
        match ip {
            IpAddr::V4(a) => {
                out.extend_from_slice(&4u16.to_be_bytes());
                out.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                out.extend_from_slice(&16u16.to_be_bytes());
                out.extend_from_slice(&a.octets());
            }
        }
    }
    if q.edns {
        push_opt(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn query_matches_hand_encoded_bytes() {
        let q = DnsQuery {
            name: "a.bc".into(),
            qtype: QueryType::A,
            answer: DnsAnswer::Addresses(vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))]),
            edns: false,
        };
        assert_eq!(
            encode_query(0x1234, &q),
            [
                0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 1, 0,
                1
            ]
        );
        let a = encode_answer(0x1234, &q);
        assert_eq!(&a[2..4], &[0x81, 0x80]);
        assert_eq!(&a[6..8], &[0, 1], "one answer");
        assert_eq!(
            &a[22..],
            &[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 10, 0, 0, 1]
        );
    }

    #[test]
    fn nxdomain_sets_rcode_and_no_answers() {
        let q = DnsQuery {
            name: "nope.example".into(),
            qtype: QueryType::Aaaa,
            answer: DnsAnswer::NxDomain,
            edns: true,
        };
        let a = encode_answer(7, &q);
        assert_eq!(a[3] & 0x0F, 3);
        assert_eq!(&a[6..8], &[0, 0]);
        assert_eq!(&a[10..12], &[0, 1], "OPT record");
    }
}
