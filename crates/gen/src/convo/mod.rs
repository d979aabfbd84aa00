//! Protocol conversations with real bytes, labelled by construction.
//!
//! Each builder produces the byte exchanges of one session of one protocol — made with the
//! protocol's real encoders where they exist (a TLS library for handshakes, BER encoders for
//! LDAP, Kerberos and SNMP) — together with what the session is by construction: its protocol
//! and its authentication class. Classifier tests feed the bytes straight to the classifier; the
//! capture generator wraps them in TCP/UDP packets for end-to-end scenarios.

pub mod cleartext;
pub mod enterprise;
pub mod infra;
pub mod tls;

use segscope_core::{AppProto, AuthClass, Transport};

/// Every labelled conversation of every family.
pub fn all() -> Vec<Conversation> {
    let mut v = tls::conversations();
    v.extend(enterprise::conversations());
    v.extend(cleartext::conversations());
    v.extend(infra::conversations());
    v
}

/// One side's turn: a message (a TCP write, or one UDP datagram).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// True when the client sends it.
    pub from_client: bool,
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
}

/// A labelled session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// Short unique name (`tls12-mtls`, `ldap-simple-bind`…), used in test output.
    pub name: String,
    /// Transport.
    pub transport: Transport,
    /// Server port the session normally uses (scenarios may move it).
    pub server_port: u16,
    /// The turns in order.
    pub turns: Vec<Turn>,
    /// The protocol, by construction.
    pub app: AppProto,
    /// The authentication class, by construction.
    pub auth: AuthClass,
}

impl Conversation {
    /// All bytes one side sent, concatenated, and the length of each message.
    pub fn side(&self, from_client: bool) -> (Vec<u8>, Vec<u32>) {
        let mut bytes = Vec::new();
        let mut lens = Vec::new();
        for t in self.turns.iter().filter(|t| t.from_client == from_client) {
            bytes.extend_from_slice(&t.bytes);
            lens.push(t.bytes.len() as u32);
        }
        (bytes, lens)
    }
}
