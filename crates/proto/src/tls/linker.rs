//! Cross-flow TLS evidence: a resumed session carries the client authentication of the full
//! handshake it resumes (RFC 8446 §4.3.2, `ztmm-networks-rubric.md` §4.1), and a TLS 1.3
//! client flight size means more when every full handshake of a pair agrees (§4.2 rung 4).
//!
//! The rules, applied to flow records in time order:
//! - A full handshake (not resumed) is remembered per (client address, server address, server
//!   port, SNI): its flow id, what it showed about the client certificate, and how sure that is
//!   (`strong` for a TLS ≤ 1.2 or decrypted handshake, the flight indicator's strength for TLS
//!   1.3, `weak` otherwise).
//! - A resumed session of the same key gets an indicator `resumption_of` naming that flow and
//!   status, suggesting what it suggested.
//! - TLS 1.3 full handshakes of one key whose client-flight indicators suggest the same thing
//!   `consistent_handshakes` times in a row (from `rules/protocols.yaml`) get that indicator
//!   raised to `strong`, from the N-th handshake on (records already written are not revisited).
//!   An inconclusive or different flight restarts the count.
//!
//! Memory is bounded: past `capacity` pairs, the least recently seen pair is forgotten and
//! counted in [`ResumptionLinker::evicted`]. The outcome depends only on the order of the
//! records, never on hashing.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use segscope_core::auth::{ClientCertStatus, Indicator};
use segscope_core::{AuthClass, FlowId, FlowRecord};
use segscope_rules::ProtocolRules;
use segscope_rules::protocols::FlightRules;

use super::indicators::{
    CLIENT_CERT_LIKELY, DECLINED_LIKELY, FLIGHT_KIND, NO_CLIENT_CERT_LIKELY, STRONG, WEAK,
};

/// Pairs remembered by default.
pub(crate) const DEFAULT_CAPACITY: usize = 65_536;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PairKey {
    client: IpAddr,
    server: IpAddr,
    port: u16,
    sni: Option<String>,
}

#[derive(Clone, Debug)]
struct FullHandshake {
    flow: FlowId,
    status: String,
    suggests: String,
    strength: &'static str,
}

#[derive(Clone, Debug)]
struct PairState {
    tick: u64,
    last_full: Option<FullHandshake>,
    streak_suggests: Option<String>,
    streak: u32,
}

/// Links resumed TLS sessions to the full handshake they resume and strengthens consistent
/// TLS 1.3 flight indicators (see the module documentation for the exact rules).
#[derive(Debug)]
pub struct ResumptionLinker {
    flight: FlightRules,
    capacity: usize,
    pairs: HashMap<PairKey, PairState>,
    recency: BTreeMap<u64, PairKey>,
    tick: u64,
    evicted: u64,
}

impl ResumptionLinker {
    /// A linker remembering up to [`DEFAULT_CAPACITY`] pairs.
    pub fn new(rules: &ProtocolRules) -> ResumptionLinker {
        Self::with_capacity(rules, DEFAULT_CAPACITY)
    }

    /// A linker remembering up to `capacity` pairs (at least one).
    pub fn with_capacity(rules: &ProtocolRules, capacity: usize) -> ResumptionLinker {
        ResumptionLinker {
            flight: rules.tls13_client_flight.clone(),
            capacity: capacity.max(1),
            pairs: HashMap::new(),
            recency: BTreeMap::new(),
            tick: 0,
            evicted: 0,
        }
    }

    /// Pairs forgotten because the capacity was reached.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Pairs remembered now.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when no pair is remembered.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Looks at one output record (in time order) and adds cross-flow indicators to it.
    pub fn observe(&mut self, record: &mut FlowRecord) {
        if record.record_seq > 0
            || !matches!(
                record.auth,
                AuthClass::Mtls | AuthClass::TlsServerOnly | AuthClass::TlsClientAuthUnknown
            )
        {
            return;
        }
        let Some(tls) = record.evidence.tls.as_deref() else {
            return;
        };
        let key = PairKey {
            client: record.client.ip,
            server: record.server.ip,
            port: record.server.port,
            sni: tls.sni.clone(),
        };
        let resumed = tls.resumed;
        let tls13 = tls.version.as_deref() == Some("TLSv1.3");
        let status = tls.client_cert;
        let decrypted = tls.decrypted;
        let consistent = self.flight.consistent_handshakes;
        let state = self.touch(key);
        if resumed {
            let link = match &state.last_full {
                Some(full) => Indicator {
                    kind: "resumption_of".to_owned(),
                    detail: format!("{} ({})", full.flow, full.status),
                    strength: full.strength.to_owned(),
                    suggests: full.suggests.clone(),
                },
                None => return,
            };
            record.evidence.indicators.push(link);
            return;
        }

        let flight = record
            .evidence
            .indicators
            .iter()
            .position(|i| i.kind == FLIGHT_KIND);
        let full = match status {
            Some(ClientCertStatus::Presented) => {
                known("client certificate presented", CLIENT_CERT_LIKELY)
            }
            Some(ClientCertStatus::RequestedEmpty) => known(
                "client certificate requested, empty answer",
                DECLINED_LIKELY,
            ),
            Some(ClientCertStatus::NotRequested) => {
                known("no client certificate requested", NO_CLIENT_CERT_LIKELY)
            }
            _ => match flight.and_then(|i| record.evidence.indicators.get(i)) {
                Some(i) => (
                    format!("client authentication encrypted; {}", i.detail),
                    i.suggests.clone(),
                    WEAK,
                ),
                None => (
                    "client authentication unknown".to_owned(),
                    "unknown".to_owned(),
                    WEAK,
                ),
            },
        };
        let (status_text, suggests, strength) = full;

        if tls13 && !decrypted {
            match flight.and_then(|i| record.evidence.indicators.get_mut(i)) {
                Some(ind) => {
                    if state.streak_suggests.as_deref() == Some(ind.suggests.as_str()) {
                        state.streak = state.streak.saturating_add(1);
                    } else {
                        state.streak_suggests = Some(ind.suggests.clone());
                        state.streak = 1;
                    }
                    if state.streak >= consistent {
                        ind.strength = STRONG.to_owned();
                        ind.detail = format!(
                            "{}; consistent over {} full handshakes of this pair",
                            ind.detail, state.streak
                        );
                    }
                }
                None => {
                    state.streak_suggests = None;
                    state.streak = 0;
                }
            }
        }
        state.last_full = Some(FullHandshake {
            flow: record.flow_id,
            status: status_text,
            suggests,
            strength,
        });
    }

    /// The state of `key`, created if new, marked most recently used.
    fn touch(&mut self, key: PairKey) -> &mut PairState {
        self.tick += 1;
        let tick = self.tick;
        match self.pairs.get(&key) {
            Some(s) => {
                self.recency.remove(&s.tick);
            }
            None => {
                if self.pairs.len() >= self.capacity
                    && let Some((_, oldest)) = self.recency.pop_first()
                {
                    self.pairs.remove(&oldest);
                    self.evicted += 1;
                }
            }
        }
        self.recency.insert(tick, key.clone());
        let state = self.pairs.entry(key).or_insert(PairState {
            tick,
            last_full: None,
            streak_suggests: None,
            streak: 0,
        });
        state.tick = tick;
        state
    }
}

fn known(status: &str, suggests: &str) -> (String, String, &'static str) {
    (status.to_owned(), suggests.to_owned(), STRONG)
}
