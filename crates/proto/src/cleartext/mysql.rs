//! MySQL/MariaDB client/server protocol: the server greeting (HandshakeV10), the client's
//! SSL request or HandshakeResponse (4.1 and 3.20 formats), and an authentication switch.
//!
//! - A short HandshakeResponse (32 bytes) with `CLIENT_SSL` → TLS follows (`how:
//!   "CLIENT_SSL"`): the TLS handshake decides.
//! - A HandshakeResponse in clear with a non-empty auth response → `cleartext_credentials`, the
//!   secret's kind named after the plugin: `native_password_hash` (mysql_native_password: a SHA-1
//!   scramble attackable offline), `sha2_scramble` (caching_sha2_password/sha256_password),
//!   `old_password_hash` (pre-4.1), `password` (mysql_clear_password).
//! - An empty auth response and no switch → `cleartext_unauthenticated` (an account without a
//!   password).

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::for_user;
use super::{Login, tls_from, tls_upgrade, user_name, verdict};
use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// MySQL probe.
pub struct Mysql;
/// The MySQL probe instance.
pub static MYSQL: Mysql = Mysql;

const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_SSL: u32 = 0x800;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 0x20_0000;

/// One packet: sequence id and payload.
pub fn packets(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut r = Reader::new(b);
    std::iter::from_fn(move || {
        let [a, b, c] = r.array::<3>()?;
        let len = u32::from_le_bytes([a, b, c, 0]) as usize;
        let seq = r.u8()?;
        Some((seq, r.take(len)?))
    })
}

/// The server greeting (HandshakeV10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Greeting {
    /// Server version string.
    pub version: String,
    /// Capability flags.
    pub capabilities: u32,
    /// Default authentication plugin.
    pub plugin: Option<String>,
}

/// Parses a greeting payload.
pub fn parse_greeting(p: &[u8]) -> Option<Greeting> {
    let mut r = Reader::new(p);
    if r.u8()? != 10 {
        return None;
    }
    let version = cstring(&mut r)?;
    if version.is_empty() || !version.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    r.skip(4 + 8 + 1)?;
    let mut caps = u32::from(r.le_u16()?);
    let mut plugin = None;
    if r.remaining() >= 16 {
        r.skip(1 + 2)?;
        caps |= u32::from(r.le_u16()?) << 16;
        let auth_len = r.u8()?;
        r.skip(10)?;
        if caps & CLIENT_SECURE_CONNECTION != 0 {
            r.skip(usize::from(auth_len.saturating_sub(8)).max(13))?;
        }
        if caps & CLIENT_PLUGIN_AUTH != 0 {
            plugin = cstring(&mut r).map(|p| printable(p, 64));
        }
    }
    Some(Greeting {
        version: printable(version, 64),
        capabilities: caps,
        plugin,
    })
}

fn cstring<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let rest = r.rest();
    let end = rest.iter().position(|&b| b == 0)?;
    let s = r.take(end)?;
    r.skip(1)?;
    Some(s)
}

/// A length-encoded integer.
fn lenenc(r: &mut Reader<'_>) -> Option<u64> {
    match r.u8()? {
        n @ 0..=0xfa => Some(u64::from(n)),
        0xfc => r.le_u16().map(u64::from),
        0xfd => r
            .array::<3>()
            .map(|[a, b, c]| u64::from(u32::from_le_bytes([a, b, c, 0]))),
        0xfe => r.le_u64(),
        _ => None,
    }
}

/// The client's first packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientHello {
    /// SSL request: TLS follows.
    SslRequest,
    /// HandshakeResponse41 or 320.
    Response {
        /// User name.
        user: Option<String>,
        /// Length of the auth response.
        auth_len: usize,
        /// Plugin named by the client.
        plugin: Option<String>,
        /// Database named by the client.
        database: Option<String>,
        /// True for the 4.1 format.
        protocol41: bool,
    },
}

/// Parses the client's first packet payload.
pub fn parse_client_hello(p: &[u8]) -> Option<ClientHello> {
    let mut r = Reader::new(p);
    let low = u32::from(r.le_u16()?);
    if low & CLIENT_PROTOCOL_41 == 0 {
        // HandshakeResponse320: caps(2) max-packet(3) user\0 auth-response.
        r.skip(3)?;
        let user = cstring(&mut r)?;
        let auth = r.rest();
        let auth = auth.strip_suffix(&[0]).unwrap_or(auth);
        return Some(ClientHello::Response {
            user: user_name(user),
            auth_len: auth.len(),
            plugin: Some("mysql_old_password".to_owned()),
            database: None,
            protocol41: false,
        });
    }
    let caps = low | (u32::from(r.le_u16()?) << 16);
    r.skip(4 + 1 + 23)?;
    if r.remaining() == 0 {
        return (caps & CLIENT_SSL != 0).then_some(ClientHello::SslRequest);
    }
    let user = cstring(&mut r)?;
    let auth_len = if caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        usize::try_from(lenenc(&mut r)?).ok()?
    } else if caps & CLIENT_SECURE_CONNECTION != 0 {
        usize::from(r.u8()?)
    } else {
        cstring(&mut r)?.len()
    };
    if caps & (CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_SECURE_CONNECTION) != 0 {
        r.skip(auth_len)?;
    }
    let database = if caps & CLIENT_CONNECT_WITH_DB != 0 {
        cstring(&mut r).and_then(user_name)
    } else {
        None
    };
    let plugin = if caps & CLIENT_PLUGIN_AUTH != 0 {
        cstring(&mut r).map(|p| printable(p, 64))
    } else {
        None
    };
    Some(ClientHello::Response {
        user: user_name(user),
        auth_len,
        plugin,
        database,
        protocol41: true,
    })
}

impl Probe for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn app(&self) -> AppProto {
        AppProto::Mysql
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        match packets(ctx.server_head()).next() {
            Some((0, p)) if parse_greeting(p).is_some() => Verdict::Certain,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

/// The kind of secret an auth response is, by plugin.
fn secret_kind(plugin: &str) -> &'static str {
    match plugin {
        "mysql_native_password" => "native_password_hash",
        "caching_sha2_password" | "sha256_password" => "sha2_scramble",
        "mysql_old_password" => "old_password_hash",
        "mysql_clear_password" | "dialog" => "password",
        _ => "auth_plugin_response",
    }
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let Some((_, greeting_bytes)) = packets(ctx.server.bytes).next() else {
        return verdict(
            AppProto::Mysql,
            AuthClass::Unknown,
            "MySQL greeting not retained".to_owned(),
        );
    };
    let greeting = parse_greeting(greeting_bytes).unwrap_or_default();
    let greeting_end = greeting_bytes.len() + 4;
    let mut client_packets = packets(ctx.client.bytes);
    let Some((_, first)) = client_packets.next() else {
        return verdict(
            AppProto::Mysql,
            AuthClass::Unknown,
            format!(
                "MySQL server {} greeted; no client response retained",
                greeting.version
            ),
        );
    };
    let Some(hello) = parse_client_hello(first) else {
        let mut a = verdict(
            AppProto::Mysql,
            AuthClass::Unknown,
            "MySQL client response not parsed".to_owned(),
        );
        a.parse_error = true;
        return a;
    };
    match hello {
        ClientHello::SslRequest => {
            let c_tls = tls_from(ctx.client.bytes, first.len() + 4).unwrap_or(&[]);
            let s_tls = tls_from(ctx.server.bytes, greeting_end).unwrap_or(&[]);
            tls_upgrade(ctx, AppProto::Mysql, "CLIENT_SSL", c_tls, s_tls)
        }
        ClientHello::Response {
            user,
            auth_len,
            plugin,
            database,
            protocol41,
        } => {
            let mut plugin = plugin.or(greeting.plugin.clone()).unwrap_or_else(|| {
                if protocol41 {
                    "mysql_native_password"
                } else {
                    "mysql_old_password"
                }
                .to_owned()
            });
            let mut auth_len = auth_len;
            // AuthSwitchRequest (0xfe) from the server: the client answers with the new plugin's data.
            let switch = packets(ctx.server.bytes.get(greeting_end..).unwrap_or(&[]))
                .next()
                .filter(|(_, p)| p.first() == Some(&0xfe) && p.len() > 1);
            if let Some((_, p)) = switch {
                let mut r = Reader::new(p.get(1..).unwrap_or(&[]));
                if let Some(name) = cstring(&mut r) {
                    plugin = printable(name, 64);
                }
                if let Some((_, data)) = client_packets.next() {
                    auth_len = data.len();
                }
            }
            let outcome = packets(ctx.server.bytes.get(greeting_end..).unwrap_or(&[]))
                .find(|(_, p)| matches!(p.first(), Some(0x00 | 0xff)))
                .map(|(_, p)| {
                    if p.first() == Some(&0) {
                        "accepted"
                    } else {
                        "refused"
                    }
                })
                .unwrap_or("outcome not seen");
            let on = database
                .map(|d| format!(" to database {d}"))
                .unwrap_or_default();
            let server = format!("MySQL {}", greeting.version);
            if auth_len == 0 {
                let mut a = verdict(
                    AppProto::Mysql,
                    AuthClass::CleartextUnauthenticated,
                    format!(
                        "{server} login{}{on} with an empty password (login {outcome})",
                        for_user(&user)
                    ),
                );
                a.evidence.user = user;
                a.evidence.mechanism = Some(plugin);
                return a;
            }
            Login::credentials(
                &plugin,
                user.clone(),
                secret_kind(&plugin),
                auth_len,
                format!(
                    "{server} login{}{on} in clear with {plugin}: the password scramble is attackable offline (login {outcome})",
                    for_user(&user)
                ),
            )
            .into_analysis(AppProto::Mysql)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_response_with_client_ssl_is_an_ssl_request() {
        let mut p = vec![0u8; 32];
        p[0..4].copy_from_slice(
            &(CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION).to_le_bytes(),
        );
        assert_eq!(parse_client_hello(&p), Some(ClientHello::SslRequest));
        p[0..4].copy_from_slice(&(CLIENT_PROTOCOL_41).to_le_bytes());
        assert_eq!(parse_client_hello(&p), None);
    }

    #[test]
    fn lenenc_integers() {
        assert_eq!(lenenc(&mut Reader::new(&[0xfa])), Some(250));
        assert_eq!(lenenc(&mut Reader::new(&[0xfc, 1, 1])), Some(257));
        assert_eq!(lenenc(&mut Reader::new(&[0xfb])), None);
        assert_eq!(lenenc(&mut Reader::new(&[0xfe, 1])), None);
    }
}
