//! GSS-API tokens as they travel inside other protocols (SPNEGO-wrapped or raw NTLMSSP and
//! Kerberos): HTTP `Authorization: NTLM|Negotiate`, WinRM, LDAP SASL, SMB session setup,
//! DCE-RPC auth verifiers.

use segscope_core::AuthClass;
use segscope_core::auth::{KerberosFacts, NtlmFacts, Weakness};

/// What an exchange of GSS-API tokens showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GssOutcome {
    /// `kerberos` or `ntlm`.
    pub auth: AuthClass,
    /// Mechanism as recorded in evidence (`ntlmssp`, `kerberos`, `spnego/ntlmssp`…).
    pub mechanism: String,
    /// NTLM details.
    pub ntlm: Option<NtlmFacts>,
    /// Kerberos details.
    pub kerberos: Option<KerberosFacts>,
    /// Authenticated user, where visible.
    pub user: Option<String>,
    /// NTLMv1, Kerberos RC4…
    pub weak: Vec<Weakness>,
}

/// Accumulates the tokens of one authentication exchange, from both sides.
#[derive(Clone, Debug, Default)]
pub struct GssAuth {}

impl GssAuth {
    /// A fresh accumulator.
    pub fn new() -> GssAuth {
        GssAuth::default()
    }

    /// A token the client sent.
    pub fn client_token(&mut self, token: &[u8]) {
        let _ = token;
    }

    /// A token the server sent.
    pub fn server_token(&mut self, token: &[u8]) {
        let _ = token;
    }

    /// The outcome, once a recognisable mechanism was seen.
    pub fn outcome(&self) -> Option<GssOutcome> {
        None
    }
}
