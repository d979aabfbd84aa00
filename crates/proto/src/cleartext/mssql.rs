//! Microsoft SQL Server TDS (MS-TDS): PRELOGIN encryption negotiation, the TLS handshake that TDS
//! wraps in PRELOGIN packets, and LOGIN7.
//!
//! - Encryption negotiated (either side `ENCRYPT_ON`/`ENCRYPT_REQ`, or both `ENCRYPT_OFF`, which
//!   still encrypts the login) → the wrapped TLS handshake decides (`how: "TDS PRELOGIN"`); with
//!   `ENCRYPT_OFF` only the login is protected, which the reason says.
//! - No encryption (`ENCRYPT_NOT_SUP` on a side) → LOGIN7 in clear. Its password is only
//!   obfuscated (each byte nibble-swapped and XORed with 0xA5, trivially reversible): SQL logins
//!   are `cleartext_credentials` (`password`); integrated logins carry SSPI tokens → [`GssAuth`].

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::{Login, gss_login, tls_upgrade, user_name, verdict};
use crate::bytes::Reader;
use crate::enterprise::gss::GssAuth;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// MSSQL probe.
pub struct Mssql;
/// The MSSQL probe instance.
pub static MSSQL: Mssql = Mssql;

const PRELOGIN: u8 = 0x12;
const LOGIN7: u8 = 0x10;
const SSPI: u8 = 0x11;
const TABULAR_RESULT: u8 = 0x04;
const OPTION_ENCRYPTION: u8 = 0x01;
const OPTION_TERMINATOR: u8 = 0xff;

/// Encryption values of the PRELOGIN ENCRYPTION option.
const ENCRYPT_OFF: u8 = 0;
const ENCRYPT_NOT_SUP: u8 = 2;

/// TDS packets: (type, payload).
pub fn packets(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut r = Reader::new(b);
    std::iter::from_fn(move || {
        let kind = r.u8()?;
        let _status = r.u8()?;
        let len = usize::from(r.be_u16()?);
        r.skip(4)?;
        let payload = r.take(len.checked_sub(8)?)?;
        Some((kind, payload))
    })
}

/// The ENCRYPTION option of a PRELOGIN payload; `None` when the option list is malformed.
pub fn prelogin_encryption(p: &[u8]) -> Option<Option<u8>> {
    let mut r = Reader::new(p);
    let mut found = None;
    for _ in 0..32 {
        let token = r.u8()?;
        if token == OPTION_TERMINATOR {
            return Some(found);
        }
        let offset = usize::from(r.be_u16()?);
        let len = usize::from(r.be_u16()?);
        let value = p.get(offset..offset.checked_add(len)?)?;
        if token == OPTION_ENCRYPTION {
            found = value.first().copied();
        }
    }
    None
}

fn encryption_name(v: Option<u8>) -> &'static str {
    match v {
        Some(0) => "ENCRYPT_OFF",
        Some(1) => "ENCRYPT_ON",
        Some(2) => "ENCRYPT_NOT_SUP",
        Some(3) => "ENCRYPT_REQ",
        _ => "absent",
    }
}

impl Probe for Mssql {
    fn name(&self) -> &'static str {
        "mssql"
    }
    fn app(&self) -> AppProto {
        AppProto::Mssql
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        match packets(ctx.client_head()).next() {
            Some((PRELOGIN, p)) if prelogin_encryption(p).is_some() => Verdict::Certain,
            Some((LOGIN7, p)) if parse_login7(p).is_some() => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

/// LOGIN7 fields segscope keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login7<'a> {
    /// Client host name.
    pub host: Option<String>,
    /// SQL login name.
    pub user: Option<String>,
    /// Obfuscated password length in bytes.
    pub password_len: usize,
    /// SSPI (integrated authentication) token.
    pub sspi: &'a [u8],
}

/// Reads a UCS-2 string of `chars` characters at `offset` of the LOGIN7 record.
fn ucs2(p: &[u8], offset: u16, chars: u16) -> Option<&[u8]> {
    let start = usize::from(offset);
    p.get(start..start.checked_add(usize::from(chars).checked_mul(2)?)?)
}

fn ucs2_string(b: &[u8]) -> Option<String> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .filter_map(|c| c.try_into().ok().map(u16::from_le_bytes))
        .collect();
    user_name(String::from_utf16_lossy(&units).as_bytes())
}

/// Length of LOGIN7's fixed part (MS-TDS 2.2.6.4).
const LOGIN7_FIXED_LEN: usize = 94;

/// An (offset, length) pair of LOGIN7's variable part.
fn pair(r: &mut Reader<'_>) -> Option<(u16, u16)> {
    Some((r.le_u16()?, r.le_u16()?))
}

/// Parses a LOGIN7 record.
pub fn parse_login7(p: &[u8]) -> Option<Login7<'_>> {
    let mut r = Reader::new(p);
    let total = r.le_u32()? as usize;
    if !(LOGIN7_FIXED_LEN..=1 << 20).contains(&total) {
        return None;
    }
    r.skip(32)?;
    let host = pair(&mut r)?;
    let user = pair(&mut r)?;
    let password = pair(&mut r)?;
    // AppName, ServerName, Extension, CltIntName, Language, Database, then ClientID.
    r.skip(6 * 4 + 6)?;
    let (sspi_off, sspi_len) = pair(&mut r)?;
    let host = ucs2(p, host.0, host.1).and_then(ucs2_string);
    let user_s = ucs2(p, user.0, user.1).and_then(ucs2_string);
    let sspi = p
        .get(usize::from(sspi_off)..usize::from(sspi_off).checked_add(usize::from(sspi_len))?)
        .unwrap_or(&[]);
    Some(Login7 {
        host,
        user: user_s,
        password_len: usize::from(password.1) * 2,
        sspi,
    })
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let client: Vec<(u8, &[u8])> = packets(ctx.client.bytes).take(256).collect();
    let server: Vec<(u8, &[u8])> = packets(ctx.server.bytes).take(256).collect();
    let client_enc = client
        .first()
        .filter(|(k, _)| *k == PRELOGIN)
        .and_then(|(_, p)| prelogin_encryption(p).flatten());
    let server_enc = server
        .first()
        .filter(|(k, _)| *k == TABULAR_RESULT)
        .and_then(|(_, p)| prelogin_encryption(p).flatten());
    let negotiation = format!(
        "PRELOGIN encryption client {} / server {}",
        encryption_name(client_enc),
        encryption_name(server_enc)
    );
    // TLS handshake records travel inside PRELOGIN packets after the first exchange.
    let wrapped = |pk: &[(u8, &[u8])], skip: usize, whole: &[u8]| -> Vec<u8> {
        let mut out = Vec::new();
        let mut consumed = 0usize;
        for (k, p) in pk.iter().skip(skip) {
            if *k != PRELOGIN {
                break;
            }
            out.extend_from_slice(p);
            consumed += 1;
        }
        if consumed > 0 {
            let used: usize = pk
                .iter()
                .take(skip + consumed)
                .map(|(_, p)| p.len() + 8)
                .sum();
            out.extend_from_slice(whole.get(used..).unwrap_or(&[]));
        }
        out
    };
    let c_tls = wrapped(&client, 1, ctx.client.bytes);
    if c_tls.first() == Some(&0x16) {
        let s_tls = wrapped(&server, 1, ctx.server.bytes);
        let mut a = tls_upgrade(ctx, AppProto::Mssql, "TDS PRELOGIN", &c_tls, &s_tls);
        let login_only = client_enc == Some(ENCRYPT_OFF) && server_enc == Some(ENCRYPT_OFF);
        a.evidence.reason = format!(
            "{negotiation}{}; {}",
            if login_only {
                " (only the login is encrypted, the session continues in clear)"
            } else {
                ""
            },
            a.evidence.reason
        );
        return a;
    }
    let Some(login) = client
        .iter()
        .find(|(k, _)| *k == LOGIN7)
        .and_then(|(_, p)| parse_login7(p))
    else {
        let not_sup = client_enc == Some(ENCRYPT_NOT_SUP) || server_enc == Some(ENCRYPT_NOT_SUP);
        return verdict(
            AppProto::Mssql,
            AuthClass::Unknown,
            format!(
                "{negotiation}; no LOGIN7 or TLS handshake retained{}",
                if not_sup {
                    " (the login would travel in clear)"
                } else {
                    ""
                }
            ),
        );
    };
    let from = login
        .host
        .as_deref()
        .map(|h| format!(" from host {h}"))
        .unwrap_or_default();
    if !login.sspi.is_empty() {
        let mut gss = GssAuth::new();
        gss.client_token(login.sspi);
        let server_tokens = server
            .iter()
            .filter(|(k, _)| *k == TABULAR_RESULT)
            .filter_map(|(_, p)| sspi_token(p));
        let client_tokens = client.iter().filter(|(k, _)| *k == SSPI).map(|(_, p)| *p);
        for (s, c) in server_tokens.zip(client_tokens.map(Some).chain(std::iter::repeat(None))) {
            gss.server_token(s);
            if let Some(c) = c {
                gss.client_token(c);
            }
        }
        let l = gss_login(
            &gss,
            &format!("MSSQL LOGIN7{from} (integrated authentication, {negotiation})"),
        )
        .unwrap_or_else(|| {
            Login::other(
                AuthClass::Unknown,
                "mssql_sspi",
                None,
                format!("MSSQL LOGIN7{from} with SSPI tokens not recognised"),
            )
        });
        return l.into_analysis(AppProto::Mssql);
    }
    Login::credentials(
        "mssql_login7",
        login.user.clone(),
        "password",
        login.password_len,
        format!(
            "MSSQL LOGIN7 in clear{}{from}: the password is only obfuscated (reversible), {negotiation}",
            for_user(&login.user)
        ),
    )
    .into_analysis(AppProto::Mssql)
}

/// The SSPI token (0xED) at the start of a server response.
fn sspi_token(p: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(p);
    if r.u8()? != 0xed {
        return None;
    }
    let len = usize::from(r.le_u16()?);
    r.take(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelogin_options() {
        // VERSION at 11 (6 bytes), ENCRYPTION at 17 (1 byte), terminator.
        let p = [
            0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xff, 15, 0, 7, 0xd0, 0, 0, 2,
        ];
        assert_eq!(prelogin_encryption(&p), Some(Some(2)));
        assert_eq!(prelogin_encryption(&[1, 0, 99, 0, 1, 0xff]), None);
        assert_eq!(prelogin_encryption(&[0xff]), Some(None));
    }
}
