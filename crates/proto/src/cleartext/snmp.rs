//! SNMP v1, v2c and v3 (parsed with the rusticata `snmp-parser` crate; a minimal, lenient BER
//! reader covers what that crate rejects: v1/v2c communities that are not UTF-8, and v3 headers
//! with non-canonical integers, as real agents send them).
//!
//! - v1/v2c: the community string is a password sent in clear → `cleartext_credentials`
//!   (`community`, length only) and [`Weakness::SnmpCommunity`].
//! - v3 (USM), by the strongest `msgFlags` seen in the flow: authPriv → `encrypted_other` (PDUs
//!   encrypted, messages HMAC-authenticated); authNoPriv → [`super::CHALLENGE_RESPONSE_CLASS`]
//!   (HMAC-authenticated, no secret in clear, PDUs in clear); noAuthNoPriv →
//!   `cleartext_unauthenticated`. The USM user name is recorded (the engine-discovery request
//!   that opens every v3 exchange has an empty one and is ignored for the user).

use segscope_core::auth::Weakness;
use segscope_core::{AppProto, AuthClass, Transport};
use snmp_parser::{SecurityParameters, SnmpGenericMessage, parse_snmp_generic_message};

use super::sasl::for_user;
use super::{CHALLENGE_RESPONSE_CLASS, Login, user_name, verdict};
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// SNMP probe.
pub struct Snmp;
/// The SNMP probe instance.
pub static SNMP: Snmp = Snmp;

/// What one SNMP message shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnmpSummary {
    /// v1 (0) or v2c (1) with a community of this many bytes.
    Community {
        /// Wire version (0 = v1, 1 = v2c).
        version: u32,
        /// Community length.
        length: usize,
    },
    /// v3 with these `msgFlags` and USM user.
    V3 {
        /// `msgFlags` (bit 0 auth, bit 1 priv).
        flags: u8,
        /// USM user name.
        user: Option<String>,
    },
}

/// One BER TLV: (tag, content).
fn tlv<'a>(r: &mut Reader<'a>) -> Option<(u8, &'a [u8])> {
    let tag = r.u8()?;
    let first = r.u8()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        r.take(n)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    Some((tag, r.take(len)?))
}

/// Version and community length of a v1/v2c message, without decoding the PDU.
fn community_header(d: &[u8]) -> Option<(u32, usize)> {
    let (tag, body) = tlv(&mut Reader::new(d))?;
    if tag != 0x30 {
        return None;
    }
    let mut r = Reader::new(body);
    let (tag, version) = tlv(&mut r)?;
    let version = match (tag, version) {
        (0x02, [v]) if *v <= 1 => u32::from(*v),
        _ => return None,
    };
    let (tag, community) = tlv(&mut r)?;
    let (pdu_tag, _) = tlv(&mut r)?;
    (tag == 0x04 && (0xa0..=0xa8).contains(&pdu_tag)).then_some((version, community.len()))
}

/// `msgFlags` and USM user name of a v3 message, read leniently (real agents encode
/// `msgAuthoritativeEngineBoots` 221 as the one-byte INTEGER 0xdd, which strict decoders reject
/// as negative).
fn v3_header(d: &[u8]) -> Option<(u8, Option<String>)> {
    let (tag, body) = tlv(&mut Reader::new(d))?;
    if tag != 0x30 {
        return None;
    }
    let mut r = Reader::new(body);
    match tlv(&mut r)? {
        (0x02, [3]) => {}
        _ => return None,
    }
    let (tag, header) = tlv(&mut r)?;
    if tag != 0x30 {
        return None;
    }
    let mut h = Reader::new(header);
    tlv(&mut h)?;
    tlv(&mut h)?;
    let flags = match tlv(&mut h)? {
        (0x04, [f]) => *f,
        _ => return None,
    };
    let (tag, model) = tlv(&mut h)?;
    if tag != 0x02 || model != [3] {
        return Some((flags, None));
    }
    let (tag, params) = tlv(&mut r)?;
    if tag != 0x04 {
        return None;
    }
    let (_, usm) = tlv(&mut Reader::new(params))?;
    let mut u = Reader::new(usm);
    tlv(&mut u)?;
    tlv(&mut u)?;
    tlv(&mut u)?;
    let user = match tlv(&mut u)? {
        (0x04, name) => user_name(name),
        _ => None,
    };
    Some((flags, user))
}

/// Parses one SNMP message.
pub fn summarize(d: &[u8]) -> Option<SnmpSummary> {
    match parse_snmp_generic_message(d) {
        Ok((_, SnmpGenericMessage::V1(m))) | Ok((_, SnmpGenericMessage::V2(m))) => {
            Some(SnmpSummary::Community {
                version: m.version,
                length: m.community.len(),
            })
        }
        Ok((_, SnmpGenericMessage::V3(m))) => {
            let user = match &m.security_params {
                SecurityParameters::USM(usm) => user_name(usm.msg_user_name.as_bytes()),
                SecurityParameters::Raw(_) => None,
            };
            Some(SnmpSummary::V3 {
                flags: m.header_data.msg_flags,
                user,
            })
        }
        Err(_) => community_header(d)
            .map(|(version, length)| SnmpSummary::Community { version, length })
            .or_else(|| v3_header(d).map(|(flags, user)| SnmpSummary::V3 { flags, user })),
    }
}

impl Probe for Snmp {
    fn name(&self) -> &'static str {
        "snmp"
    }
    fn app(&self) -> AppProto {
        AppProto::Snmp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let first = ctx
            .client
            .messages()
            .next()
            .or_else(|| ctx.server.messages().next());
        match first {
            Some(d) if d.first() == Some(&0x30) && summarize(d).is_some() => Verdict::Certain,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut community: Option<(u32, usize)> = None;
        let mut v3_flags = 0u8;
        let mut v3 = false;
        let mut user: Option<String> = None;
        let mut messages = 0usize;
        let mut unparsed = 0usize;
        for d in ctx.client.messages().chain(ctx.server.messages()) {
            messages += 1;
            match summarize(d) {
                Some(SnmpSummary::Community { version, length }) => {
                    community.get_or_insert((version, length));
                }
                Some(SnmpSummary::V3 { flags, user: u }) => {
                    v3 = true;
                    v3_flags |= flags & 0x03;
                    if user.is_none() {
                        user = u;
                    }
                }
                None => unparsed += 1,
            }
        }
        let mut a = if let Some((version, length)) = community {
            let v = if version == 0 { "v1" } else { "v2c" };
            let mut a = Login::credentials(
                "snmp_community",
                None,
                "community",
                length,
                format!("SNMP{v} community string in clear ({length} bytes), {messages} messages"),
            )
            .into_analysis(AppProto::Snmp);
            a.evidence.weak.push(Weakness::SnmpCommunity);
            a
        } else if v3 {
            let (auth, level, mech) = match v3_flags {
                f if f & 0x02 != 0 => (
                    AuthClass::EncryptedOther,
                    "authPriv: PDUs encrypted and authenticated",
                    "snmpv3_usm_priv",
                ),
                f if f & 0x01 != 0 => (
                    CHALLENGE_RESPONSE_CLASS,
                    "authNoPriv: messages HMAC-authenticated, no secret in clear, PDUs in clear",
                    "snmpv3_usm_auth",
                ),
                _ => (
                    AuthClass::CleartextUnauthenticated,
                    "noAuthNoPriv: no authentication, PDUs in clear",
                    "snmpv3_usm_noauth",
                ),
            };
            Login::other(
                auth,
                mech,
                user.clone(),
                format!("SNMPv3 USM{} {level}", for_user(&user)),
            )
            .into_analysis(AppProto::Snmp)
        } else {
            let mut a = verdict(
                AppProto::Snmp,
                AuthClass::Unknown,
                "SNMP messages not parsed".to_owned(),
            );
            a.parse_error = true;
            a
        };
        if unparsed > 0 && !a.parse_error {
            a.evidence
                .reason
                .push_str(&format!(" ({unparsed} messages not parsed)"));
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_header_without_utf8() {
        // SEQUENCE { INTEGER 1, OCTET STRING ff fe, GetRequest-PDU {} }
        let d = [
            0x30, 0x09, 0x02, 0x01, 0x01, 0x04, 0x02, 0xff, 0xfe, 0xa0, 0x00,
        ];
        assert_eq!(community_header(&d), Some((1, 2)));
        assert_eq!(
            summarize(&d),
            Some(SnmpSummary::Community {
                version: 1,
                length: 2
            })
        );
        assert_eq!(
            community_header(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(summarize(&[0x30, 0x03, 0x02, 0x01, 0x07]), None);
        // zeek/snmp-snmpv3_get_next.pcap's GetNext: engine boots 221 encoded as INTEGER 0xdd.
        let get_next = hex::decode(
            "307902010330100204207b2f72020240000401040201030431302f040d80001f8880a9498e5e3a2c30430201dd0201dd0408757365726e616d65040c0000000000000000000000000400302f040d80001f8880a9498e5e3a2c30430400a11c0204207b2f72020100020100300e300c06082b060102010106000500",
        )
        .expect("hex");
        assert_eq!(
            summarize(&get_next),
            Some(SnmpSummary::V3 {
                flags: 4,
                user: Some("username".to_owned())
            })
        );
    }
}
