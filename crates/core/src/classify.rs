//! The seam between the flow table and the protocol probes.
//!
//! The flow table retains the first bytes of each direction and, when a flow's record is due (or
//! its payload budget is full), hands them to a [`Classify`] implementation. The flow table does
//! not know any protocol; the probes do not know any packet. Both sides are deterministic.

use crate::auth::{AppProto, AuthClass, AuthEvidence, Confidence};
use crate::flow::{Endpoint, Transport};
use crate::names::NameObservation;
use crate::time::Timestamp;

/// What a classifier may know about a flow besides its payload.
#[derive(Clone, Copy, Debug)]
pub struct FlowMeta {
    /// Transport.
    pub transport: Transport,
    /// Client side.
    pub client: Endpoint,
    /// Server side.
    pub server: Endpoint,
    /// True when the client was chosen by the port heuristic (no SYN seen).
    pub direction_inferred: bool,
    /// Time of the first packet (for name observations).
    pub first_ts: Timestamp,
    /// Time of the last packet so far.
    pub last_ts: Timestamp,
    /// True when the server sent anything.
    pub server_answered: bool,
}

/// The retained payload of one direction.
///
/// For TCP, `bytes` is the in-order byte stream from the start of the connection (or from the
/// first segment seen, midstream), up to the budget or the first gap. For other transports it is
/// the concatenation of the first datagrams; `datagrams` holds their lengths, so probes see
/// message boundaries.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirPayload<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Datagram lengths (empty for TCP).
    pub datagrams: &'a [u32],
    /// The stream stopped at a sequence gap (capture loss) before the budget.
    pub gap: bool,
    /// The per-direction budget was reached: more payload followed that was not retained.
    pub budget_reached: bool,
}

impl<'a> DirPayload<'a> {
    /// Iterates over the datagrams (for TCP: the whole stream as one item, if non-empty).
    pub fn messages(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        let lens: &'a [u32] = self.datagrams;
        let whole = (lens.is_empty() && !bytes.is_empty()).then_some(bytes);
        let mut off = 0usize;
        whole.into_iter().chain(lens.iter().map_while(move |&l| {
            let end = off.checked_add(l as usize)?;
            let m = bytes.get(off..end)?;
            off = end;
            Some(m)
        }))
    }
}

/// A classifier's answer for one flow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Classification {
    /// Application protocol.
    pub app_proto: AppProto,
    /// How it was identified.
    pub app_confidence: Confidence,
    /// Authentication verdict.
    pub auth: AuthClass,
    /// The evidence.
    pub evidence: AuthEvidence,
    /// Names revealed by this flow.
    pub names: Vec<NameObservation>,
    /// A probe claimed the payload but its parser failed on it (counted in the run statistics).
    pub parse_error: bool,
}

/// Classifies flows from their retained payload. Implementations are immutable (rules and key
/// logs are loaded up front) so one instance serves every shard.
pub trait Classify: Send + Sync {
    /// Classifies a flow. Must never panic, whatever the bytes.
    fn classify(
        &self,
        meta: &FlowMeta,
        client: DirPayload<'_>,
        server: DirPayload<'_>,
    ) -> Classification;
}

impl<T: Classify + ?Sized> Classify for std::sync::Arc<T> {
    fn classify(
        &self,
        meta: &FlowMeta,
        client: DirPayload<'_>,
        server: DirPayload<'_>,
    ) -> Classification {
        (**self).classify(meta, client, server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_datagrams_and_streams() {
        let d = DirPayload {
            bytes: b"abcdef",
            datagrams: &[2, 3, 1],
            ..Default::default()
        };
        assert_eq!(
            d.messages().collect::<Vec<_>>(),
            [b"ab" as &[u8], b"cde", b"f"]
        );
        let s = DirPayload {
            bytes: b"abcdef",
            ..Default::default()
        };
        assert_eq!(s.messages().collect::<Vec<_>>(), [b"abcdef" as &[u8]]);
        let bad = DirPayload {
            bytes: b"ab",
            datagrams: &[1, 5],
            ..Default::default()
        };
        assert_eq!(bad.messages().collect::<Vec<_>>(), [b"a" as &[u8]]);
        assert_eq!(DirPayload::default().messages().count(), 0);
    }
}
