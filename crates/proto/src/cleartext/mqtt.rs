//! MQTT 3.1, 3.1.1 and 5.0 CONNECT (and CONNACK).
//!
//! Password flag set → `cleartext_credentials` (`password`, user from the username field);
//! MQTT 5 enhanced authentication (Authentication Method property) → judged as SASL (SCRAM →
//! [`super::CHALLENGE_RESPONSE_CLASS`]); otherwise `cleartext_unauthenticated` (a username alone
//! proves nothing).

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{self, for_user};
use super::{Login, user_name, verdict};
use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// MQTT probe.
pub struct Mqtt;
/// The MQTT probe instance.
pub static MQTT: Mqtt = Mqtt;

const CONNECT: u8 = 0x10;
const FLAG_USERNAME: u8 = 0x80;
const FLAG_PASSWORD: u8 = 0x40;
const FLAG_WILL: u8 = 0x04;
const PROP_AUTH_METHOD: u8 = 0x15;
const PROP_AUTH_DATA: u8 = 0x16;

/// A CONNECT packet's authentication-relevant fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Protocol level (3, 4 or 5).
    pub level: u8,
    /// Client identifier.
    pub client_id: &'a [u8],
    /// User name, when the flag is set.
    pub username: Option<&'a [u8]>,
    /// Password, when the flag is set.
    pub password: Option<&'a [u8]>,
    /// MQTT 5 authentication method and data.
    pub auth_method: Option<(&'a [u8], &'a [u8])>,
}

/// MQTT variable-byte integer.
fn varint(r: &mut Reader<'_>) -> Option<usize> {
    let mut v = 0usize;
    for shift in [0u32, 7, 14, 21] {
        let b = r.u8()?;
        v |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// MQTT 5 properties: returns the authentication method and data, if present.
fn properties<'a>(r: &mut Reader<'a>) -> Option<Option<(&'a [u8], &'a [u8])>> {
    let len = varint(r)?;
    let mut p = Reader::new(r.take(len)?);
    let (mut method, mut data): (Option<&[u8]>, &[u8]) = (None, &[]);
    while p.remaining() > 0 {
        let id = p.u8()?;
        match id {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2a => p.skip(1)?,
            0x13 | 0x21 | 0x22 | 0x23 => p.skip(2)?,
            0x02 | 0x11 | 0x18 | 0x27 => p.skip(4)?,
            0x0b => {
                varint(&mut p)?;
            }
            PROP_AUTH_METHOD => method = Some(p.be_u16_prefixed()?),
            PROP_AUTH_DATA => data = p.be_u16_prefixed()?,
            0x03 | 0x08 | 0x09 | 0x12 | 0x1a | 0x1c | 0x1f => {
                p.be_u16_prefixed()?;
            }
            0x26 => {
                p.be_u16_prefixed()?;
                p.be_u16_prefixed()?;
            }
            _ => return None,
        }
    }
    Some(method.map(|m| (m, data)))
}

/// Parses a CONNECT packet.
pub fn parse_connect(b: &[u8]) -> Option<Connect<'_>> {
    let mut r = Reader::new(b);
    if r.u8()? != CONNECT {
        return None;
    }
    let len = varint(&mut r)?;
    let mut r = Reader::new(r.take(len).or_else(|| Some(r.rest()))?);
    let name = r.be_u16_prefixed()?;
    if name != b"MQTT" && name != b"MQIsdp" {
        return None;
    }
    let level = r.u8()?;
    let flags = r.u8()?;
    r.skip(2)?;
    let auth_method = if level >= 5 {
        properties(&mut r)?
    } else {
        None
    };
    let client_id = r.be_u16_prefixed()?;
    if flags & FLAG_WILL != 0 {
        if level >= 5 {
            properties(&mut r)?;
        }
        r.be_u16_prefixed()?;
        r.be_u16_prefixed()?;
    }
    let username = if flags & FLAG_USERNAME != 0 {
        Some(r.be_u16_prefixed()?)
    } else {
        None
    };
    let password = if flags & FLAG_PASSWORD != 0 {
        Some(r.be_u16_prefixed()?)
    } else {
        None
    };
    Some(Connect {
        level,
        client_id,
        username,
        password,
        auth_method,
    })
}

impl Probe for Mqtt {
    fn name(&self) -> &'static str {
        "mqtt"
    }
    fn app(&self) -> AppProto {
        AppProto::Mqtt
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        let mut r = Reader::new(c);
        let is_connect = r.u8() == Some(CONNECT)
            && varint(&mut r).is_some()
            && matches!(r.be_u16_prefixed(), Some(b"MQTT" | b"MQIsdp"));
        if is_connect {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let Some(c) = parse_connect(ctx.client.bytes) else {
            let mut a = verdict(
                AppProto::Mqtt,
                AuthClass::Unknown,
                "MQTT CONNECT not parsed".to_owned(),
            );
            a.parse_error = true;
            return a;
        };
        let user = c.username.and_then(user_name);
        let client = printable(c.client_id, 64);
        let connack = match ctx.server.bytes {
            [0x20, _, _, code, ..] => match code {
                0 => " (CONNACK accepted)",
                _ => " (CONNACK refused)",
            },
            _ => "",
        };
        if let Some(p) = c.password {
            return Login::credentials(
                "mqtt_password",
                user.clone(),
                "password",
                p.len(),
                format!(
                    "MQTT {} CONNECT of client {client:?}{} with the password in clear ({} bytes){connack}",
                    c.level,
                    for_user(&user),
                    p.len()
                ),
            )
            .into_analysis(AppProto::Mqtt);
        }
        if let Some((method, data)) = c.auth_method {
            let mut l = sasl::judge(
                "MQTT 5 enhanced authentication",
                method,
                &[data.to_vec()],
                &[],
            );
            if l.user.is_none() {
                l.user = user;
            }
            return l.into_analysis(AppProto::Mqtt);
        }
        let mut a = verdict(
            AppProto::Mqtt,
            AuthClass::CleartextUnauthenticated,
            format!(
                "MQTT {} CONNECT of client {client:?}{} without a password{connack}",
                c.level,
                for_user(&user)
            ),
        );
        a.evidence.user = user;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_with_credentials() {
        let mut p = vec![0x10, 0];
        p.extend_from_slice(&[0, 4]);
        p.extend_from_slice(b"MQTT");
        p.extend_from_slice(&[4, 0xc2, 0, 60, 0, 2]);
        p.extend_from_slice(b"c1");
        p.extend_from_slice(&[0, 3]);
        p.extend_from_slice(b"bob");
        p.extend_from_slice(&[0, 2]);
        p.extend_from_slice(b"pw");
        p[1] = (p.len() - 2) as u8;
        let c = parse_connect(&p).expect("parsed");
        assert_eq!(
            (c.level, c.username, c.password),
            (4, Some(&b"bob"[..]), Some(&b"pw"[..]))
        );
        assert!(parse_connect(&p[..p.len() - 1]).is_none());
        assert_eq!(
            varint(&mut Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x01])),
            None
        );
        assert_eq!(varint(&mut Reader::new(&[0xc1, 0x02])), Some(321));
    }
}
