//! One GSS-API token (SPNEGO NegTokenInit/NegTokenResp, krb5 token, raw NTLMSSP or Kerberos),
//! fed as a client and as a server token.
#![no_main]
use libfuzzer_sys::fuzz_target;
use segscope_proto::enterprise::gss::GssAuth;

fuzz_target!(|data: &[u8]| {
    let mut g = GssAuth::new();
    g.client_token(data);
    g.server_token(data);
    if let Some(o) = g.outcome() {
        let _ = o.describe();
    }
});
