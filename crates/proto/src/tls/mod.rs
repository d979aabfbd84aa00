//! The TLS family: TLS handshakes on any port, certificates, JA4/JA4S, weak versions and suites,
//! client-authentication evidence (mTLS, server-only, TLS 1.3 unknown with passive indicators),
//! and TLS inside in-band upgrades (STARTTLS and friends call [`analyze_handshake`]).

pub mod keylog;

use segscope_core::auth::{Indicator, TlsFacts, Weakness};
use segscope_core::{AuthClass, NameObservation};

use crate::probe::{Ctx, Probe};

/// The TLS family's probes.
pub(crate) static PROBES: &[&dyn Probe] = &[];

/// What a TLS handshake showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsOutcome {
    /// `mtls`, `tls_server_only`, `tls_client_auth_unknown`, or `unknown` when no handshake
    /// could be parsed.
    pub auth: AuthClass,
    /// Handshake facts.
    pub facts: TlsFacts,
    /// Weak versions or suites.
    pub weak: Vec<Weakness>,
    /// Passive client-authentication indicators (TLS 1.3, resumption).
    pub indicators: Vec<Indicator>,
    /// Names (SNI, certificate names).
    pub names: Vec<NameObservation>,
    /// One sentence explaining `auth`.
    pub reason: String,
    /// The bytes looked like TLS but did not parse.
    pub parse_error: bool,
}

/// Analyses a TLS handshake whose first record starts at the beginning of `client` and
/// `server` (callers strip any cleartext prefix of an in-band upgrade first, see
/// [`find_record_start`]).
pub fn analyze_handshake(client: &[u8], server: &[u8], ctx: &Ctx<'_>) -> TlsOutcome {
    let _ = (client, server, ctx);
    TlsOutcome {
        reason: "TLS handshake not analysed".to_owned(),
        ..TlsOutcome::default()
    }
}

/// Offset of the first plausible TLS handshake record in `bytes`, for protocols that switch to
/// TLS after a cleartext exchange.
pub fn find_record_start(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(3)
        .position(|w| w[0] == 0x16 && w[1] == 0x03 && w[2] <= 0x04)
}
