//! The probe interface: recognise a protocol from its first bytes, then analyse it.

use segscope_core::{AppProto, AuthClass, AuthEvidence, DirPayload, FlowMeta, NameObservation};
use segscope_rules::ProtocolRules;

use crate::tls::keylog::KeyLog;

/// How sure a probe is that a flow carries its protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The bytes can only be this protocol (magic numbers, exact grammar).
    Certain,
    /// The bytes fit, but could be something else (short or generic text).
    Unsure,
    /// Not this protocol.
    NotForUs,
}

/// Everything a probe may look at.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// Flow metadata (transport, endpoints, timing).
    pub meta: &'a FlowMeta,
    /// Client-to-server payload.
    pub client: DirPayload<'a>,
    /// Server-to-client payload.
    pub server: DirPayload<'a>,
    /// Protocol knowledge.
    pub rules: &'a ProtocolRules,
    /// TLS secrets, when a key log was given.
    pub keylog: Option<&'a KeyLog>,
}

impl<'a> Ctx<'a> {
    /// The first `PROBE_BUDGET` bytes of the client direction.
    pub fn client_head(&self) -> &'a [u8] {
        head(self.client.bytes)
    }

    /// The first `PROBE_BUDGET` bytes of the server direction.
    pub fn server_head(&self) -> &'a [u8] {
        head(self.server.bytes)
    }
}

fn head(b: &[u8]) -> &[u8] {
    b.get(..crate::PROBE_BUDGET).unwrap_or(b)
}

/// What an analysis found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// The protocol (may differ from the probe's, e.g. STARTTLS analysed as TLS facts on SMTP).
    pub app: AppProto,
    /// Authentication verdict before the infrastructure rule is applied.
    pub auth: AuthClass,
    /// Evidence.
    pub evidence: AuthEvidence,
    /// Names revealed.
    pub names: Vec<NameObservation>,
    /// The payload was recognised but did not parse cleanly.
    pub parse_error: bool,
}

/// A protocol probe. Implementations are stateless unit structs registered in a family's
/// `PROBES` list.
pub trait Probe: Send + Sync {
    /// Name used in tests and debugging.
    fn name(&self) -> &'static str;
    /// The protocol this probe recognises (matched against port hints to break ties between
    /// unsure probes).
    fn app(&self) -> AppProto;
    /// Looks at the first bytes (use [`Ctx::client_head`]/[`Ctx::server_head`]).
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict;
    /// Analyses a flow this probe recognised.
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis;
}
