//! NTLMSSP messages (MS-NLMP §2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE, read for the
//! facts a passive observer can check — names, the NT response length (v1 or v2), anonymity —
//! never for the response values themselves.

use crate::bytes::Reader;

/// The 8-byte signature every NTLMSSP message starts with.
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE rather than OEM.
const FLAG_UNICODE: u32 = 0x0000_0001;

/// NT response length of NTLMv1 (and NTLM2 session response): 24 bytes. NTLMv2 responses are
/// longer (16-byte proof plus a variable blob).
const NTLMV1_RESPONSE_LEN: u16 = 24;

/// One parsed NTLMSSP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NtlmMessage {
    /// Type 1, client: what it supports (domain and workstation are usually empty).
    Negotiate {
        /// NegotiateFlags.
        flags: u32,
    },
    /// Type 2, server: the challenge and the server's names (from the target information).
    Challenge {
        /// NegotiateFlags.
        flags: u32,
        /// MsvAvNbComputerName.
        nb_computer: Option<String>,
        /// MsvAvNbDomainName.
        nb_domain: Option<String>,
        /// MsvAvDnsComputerName.
        dns_computer: Option<String>,
        /// MsvAvDnsDomainName.
        dns_domain: Option<String>,
    },
    /// Type 3, client: who authenticates and how long its responses are.
    Authenticate(Authenticate),
}

/// The visible part of an AUTHENTICATE message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Authenticate {
    /// NegotiateFlags.
    pub flags: u32,
    /// LmChallengeResponse length.
    pub lm_len: u16,
    /// NtChallengeResponse length.
    pub nt_len: u16,
    /// DomainName.
    pub domain: String,
    /// UserName.
    pub user: String,
    /// Workstation.
    pub workstation: String,
}

/// Which NTLM variant an AUTHENTICATE used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtlmVersion {
    /// No user and no responses (MS-NLMP §3.2.5.1.2, anonymous authentication).
    Anonymous,
    /// A 24-byte NT response (NTLMv1 or NTLM2 session response), or LM only: weak.
    V1,
    /// An NTLMv2 response.
    V2,
}

impl NtlmVersion {
    /// The value recorded in `NtlmFacts::version`.
    pub fn as_str(self) -> &'static str {
        match self {
            NtlmVersion::Anonymous => "anonymous",
            NtlmVersion::V1 => "v1",
            NtlmVersion::V2 => "v2",
        }
    }
}

impl Authenticate {
    /// The variant, from the response lengths (MS-NLMP §3.3: v2 responses are longer than 24
    /// bytes; anonymous sends an empty NT response and at most one zero LM byte).
    pub fn version(&self) -> NtlmVersion {
        if self.nt_len == 0 && self.lm_len <= 1 && self.user.is_empty() {
            NtlmVersion::Anonymous
        } else if self.nt_len > NTLMV1_RESPONSE_LEN {
            NtlmVersion::V2
        } else {
            NtlmVersion::V1
        }
    }
}

/// True when `bytes` starts like an NTLMSSP message.
pub fn is_ntlmssp(bytes: &[u8]) -> bool {
    bytes.starts_with(SIGNATURE)
}

/// Parses one NTLMSSP message. Returns `None` for anything malformed (offsets outside the
/// message, unknown type).
pub fn parse(msg: &[u8]) -> Option<NtlmMessage> {
    let mut r = Reader::new(msg);
    if r.take(8)? != SIGNATURE {
        return None;
    }
    match r.le_u32()? {
        1 => Some(NtlmMessage::Negotiate { flags: r.le_u32()? }),
        2 => parse_challenge(msg, r),
        3 => parse_authenticate(msg, r).map(NtlmMessage::Authenticate),
        _ => None,
    }
}

/// A (length, max length, offset) field descriptor pointing into the message.
fn field<'a>(msg: &'a [u8], r: &mut Reader<'_>) -> Option<&'a [u8]> {
    let len = r.le_u16()? as usize;
    let _max = r.le_u16()?;
    let off = r.le_u32()? as usize;
    msg.get(off..off.checked_add(len)?)
}

fn parse_challenge(msg: &[u8], mut r: Reader<'_>) -> Option<NtlmMessage> {
    let _target_name = field(msg, &mut r)?;
    let flags = r.le_u32()?;
    let _challenge = r.take(8)?;
    let _reserved = r.take(8)?;
    // Target information is present in every modern CHALLENGE; older ones end here.
    let info = field(msg, &mut r).unwrap_or(&[]);
    let mut out = NtlmMessage::Challenge {
        flags,
        nb_computer: None,
        nb_domain: None,
        dns_computer: None,
        dns_domain: None,
    };
    if let NtlmMessage::Challenge {
        nb_computer,
        nb_domain,
        dns_computer,
        dns_domain,
        ..
    } = &mut out
    {
        let mut av = Reader::new(info);
        while let (Some(id), Some(len)) = (av.le_u16(), av.le_u16()) {
            let Some(value) = av.take(len as usize) else {
                break;
            };
            let slot = match id {
                0 => break, // MsvAvEOL
                1 => &mut *nb_computer,
                2 => &mut *nb_domain,
                3 => &mut *dns_computer,
                4 => &mut *dns_domain,
                _ => continue,
            };
            *slot = Some(utf16le(value)).filter(|s| !s.is_empty());
        }
    }
    Some(out)
}

fn parse_authenticate(msg: &[u8], mut r: Reader<'_>) -> Option<Authenticate> {
    let lm = field(msg, &mut r)?;
    let nt = field(msg, &mut r)?;
    let domain = field(msg, &mut r)?;
    let user = field(msg, &mut r)?;
    let workstation = field(msg, &mut r)?;
    let _session_key = field(msg, &mut r)?;
    // NegotiateFlags follow; the oldest (NT4-era) messages end before them, and those clients
    // sent Unicode strings.
    let flags = r.le_u32().unwrap_or(FLAG_UNICODE);
    let text = |b: &[u8]| {
        if flags & FLAG_UNICODE != 0 {
            utf16le(b)
        } else {
            crate::bytes::printable(b, 256)
        }
    };
    Some(Authenticate {
        flags,
        lm_len: u16::try_from(lm.len()).ok()?,
        nt_len: u16::try_from(nt.len()).ok()?,
        domain: text(domain),
        user: text(user),
        workstation: text(workstation),
    })
}

/// Decodes UTF-16LE text for evidence: lossy, control characters dropped, length capped.
pub(crate) fn utf16le(b: &[u8]) -> String {
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|c| !c.is_control())
        .take(256)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16s(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// AUTHENTICATE laid out by hand after MS-NLMP §2.2.1.3 (64-byte fixed part + version).
    fn authenticate(lm: usize, nt: usize, user: &str) -> Vec<u8> {
        let (domain, ws) = (u16s("SUSE"), u16s("WS1"));
        let user = u16s(user);
        let mut payload = Vec::new();
        let mut fields = Vec::new();
        for part in [vec![0u8; lm], vec![7u8; nt], domain, user, ws, Vec::new()] {
            fields.push((part.len() as u16, 72 + payload.len() as u32));
            payload.extend_from_slice(&part);
        }
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&3u32.to_le_bytes());
        for (len, off) in fields {
            m.extend_from_slice(&len.to_le_bytes());
            m.extend_from_slice(&len.to_le_bytes());
            m.extend_from_slice(&off.to_le_bytes());
        }
        m.extend_from_slice(&0xe288_8215u32.to_le_bytes());
        m.extend_from_slice(&[0; 8]);
        assert_eq!(m.len(), 72);
        m.extend_from_slice(&payload);
        m
    }

    #[test]
    fn authenticate_versions_follow_response_lengths() {
        let v2 = parse(&authenticate(24, 330, "administrator"));
        let Some(NtlmMessage::Authenticate(a)) = v2 else {
            panic!("{v2:?}")
        };
        assert_eq!(
            (a.user.as_str(), a.domain.as_str(), a.workstation.as_str()),
            ("administrator", "SUSE", "WS1")
        );
        assert_eq!(a.version(), NtlmVersion::V2);
        let Some(NtlmMessage::Authenticate(a)) = parse(&authenticate(24, 24, "bob")) else {
            panic!()
        };
        assert_eq!(a.version(), NtlmVersion::V1);
        let Some(NtlmMessage::Authenticate(a)) = parse(&authenticate(1, 0, "")) else {
            panic!()
        };
        assert_eq!(a.version(), NtlmVersion::Anonymous);
    }

    #[test]
    fn hostile_offsets_are_rejected_not_read() {
        let mut m = authenticate(24, 24, "bob");
        m[16..20].copy_from_slice(&0xffff_fff0u32.to_le_bytes()); // LM offset far away
        assert_eq!(parse(&m), None);
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
        assert_eq!(parse(b"NTLMSSP\0\x09\0\0\0"), None);
    }
}
