//! SSH (RFC 4253): identification strings and the two KEXINIT name-lists, from which the
//! negotiated algorithms follow (§7.1: the first client algorithm the server also supports).
//! In-house because the only passive crate (ssh-parser) is LGPL.

use segscope_core::auth::{SshFacts, Weakness};
use segscope_core::{AppProto, AuthClass, AuthEvidence, Transport};

use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// SSH_MSG_KEXINIT.
const MSG_KEXINIT: u8 = 20;
/// RFC 4253 §6.1: implementations must handle packets of at least 35000 bytes; anything far
/// beyond is not SSH.
const MAX_PACKET: usize = 256 * 1024;
/// Lines a server may send before its identification (RFC 4253 §4.2); bounded here.
const MAX_PRE_BANNER_LINES: usize = 16;

/// Key exchanges, host keys, ciphers and MACs that a `weak_crypto` finding covers (RFC 9142
/// §4 "SHOULD NOT" key exchanges, RFC 8758 RC4, RFC 4253 CBC modes, DSA, MD5 and truncated MACs).
/// Protocol knowledge kept here as data until it moves to `rules/`.
pub const WEAK_SSH_ALGORITHMS: &[&str] = &[
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group-exchange-sha1",
    "gss-group1-sha1-*",
    "gss-gex-sha1-*",
    "rsa1024-sha1",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "arcfour*",
    "*-cbc",
    "rijndael-cbc@lysator.liu.se",
    "des",
    "none",
    "hmac-md5*",
    "hmac-sha1-96*",
];

/// One side's identification line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identification {
    /// Protocol version (`2.0`, `1.99`, `1.5`).
    pub proto: String,
    /// Software version (`OpenSSH_9.6p1`).
    pub software: String,
    /// Offset just past the line (where binary packets start).
    pub end: usize,
}

/// The identification line of a stream (skipping lines a server may send before it).
pub fn identification(stream: &[u8]) -> Option<Identification> {
    let mut off = 0usize;
    for _ in 0..MAX_PRE_BANNER_LINES {
        let rest = stream.get(off..)?;
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        off += nl + 1;
        if let Some(id) = line.strip_prefix(b"SSH-") {
            let mut parts = id.splitn(2, |&b| b == b'-');
            let proto = crate::bytes::printable(parts.next()?, 16);
            let software = parts.next().unwrap_or(&[]);
            let software = software.split(|&b| b == b' ').next().unwrap_or(&[]);
            return Some(Identification {
                proto,
                software: crate::bytes::printable(software, 128),
                end: off,
            });
        }
    }
    None
}

/// The ten name-lists of a KEXINIT (RFC 4253 §7.1), in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KexInit {
    /// kex_algorithms, server_host_key_algorithms, encryption c2s/s2c, mac c2s/s2c,
    /// compression c2s/s2c, languages c2s/s2c.
    pub lists: [Vec<String>; 10],
}

/// Finds and parses the KEXINIT in the binary packets after the identification line.
pub fn kexinit(packets: &[u8]) -> Option<KexInit> {
    let mut r = Reader::new(packets);
    // The first packets are unencrypted; KEXINIT is normally the first one.
    for _ in 0..4 {
        let len = r.be_u32()? as usize;
        if !(5..=MAX_PACKET).contains(&len) {
            return None;
        }
        let packet = r.take(len)?;
        let mut p = Reader::new(packet);
        let pad = usize::from(p.u8()?);
        let payload = packet.get(1..len.checked_sub(pad)?)?;
        if payload.first() == Some(&MSG_KEXINIT) {
            return parse_kexinit_payload(payload);
        }
    }
    None
}

fn parse_kexinit_payload(payload: &[u8]) -> Option<KexInit> {
    let mut r = Reader::new(payload);
    r.skip(1 + 16)?;
    let mut out = KexInit::default();
    for list in &mut out.lists {
        let n = r.be_u32()? as usize;
        let raw = r.take(n)?;
        *list = raw
            .split(|&b| b == b',')
            .filter(|s| !s.is_empty())
            .take(64)
            .map(|s| crate::bytes::printable(s, 96))
            .collect();
    }
    Some(out)
}

/// RFC 4253 §7.1: the first algorithm on the client's list that the server also supports.
pub fn negotiate(client: &[String], server: &[String]) -> Option<String> {
    client.iter().find(|a| server.contains(a)).cloned()
}

/// True when `alg` matches a `WEAK_SSH_ALGORITHMS` pattern (`*` at either end).
pub fn is_weak(alg: &str) -> bool {
    WEAK_SSH_ALGORITHMS.iter().any(|p| {
        if let Some(prefix) = p.strip_suffix('*') {
            alg.starts_with(prefix)
        } else if let Some(suffix) = p.strip_prefix('*') {
            alg.ends_with(suffix)
        } else {
            alg == *p
        }
    })
}

/// The SSH probe (any port).
pub(crate) struct SshProbe;

impl Probe for SshProbe {
    fn name(&self) -> &'static str {
        "ssh"
    }

    fn app(&self) -> AppProto {
        AppProto::Ssh
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        if ctx.client_head().starts_with(b"SSH-") || ctx.server_head().starts_with(b"SSH-") {
            Verdict::Certain
        } else if identification(ctx.server_head()).is_some() {
            Verdict::Unsure
        } else {
            Verdict::NotForUs
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let client_id = identification(ctx.client.bytes);
        let server_id = identification(ctx.server.bytes);
        let client_kex = client_id
            .as_ref()
            .and_then(|id| kexinit(ctx.client.bytes.get(id.end..)?));
        let server_kex = server_id
            .as_ref()
            .and_then(|id| kexinit(ctx.server.bytes.get(id.end..)?));
        let mut facts = SshFacts {
            client_software: client_id.as_ref().map(|i| i.software.clone()),
            server_software: server_id.as_ref().map(|i| i.software.clone()),
            version: version(client_id.as_ref(), server_id.as_ref()),
            ..SshFacts::default()
        };
        let mut weak = Vec::new();
        if facts.version.as_deref().is_some_and(|v| v.starts_with('1')) {
            weak.push(Weakness::SshWeak("SSH-1".to_owned()));
        }
        if let (Some(c), Some(s)) = (&client_kex, &server_kex) {
            let pick = |i: usize| negotiate(&c.lists[i], &s.lists[i]);
            facts.kex = pick(0);
            facts.host_key = pick(1);
            facts.cipher = pick(2);
            facts.mac = pick(4);
            let cipher_s2c = pick(3);
            let mac_s2c = pick(5);
            // AEAD ciphers carry their own integrity; the MAC list is then not used.
            let aead = |c: &Option<String>| {
                c.as_deref()
                    .is_some_and(|c| c.contains("gcm") || c.contains("poly1305"))
            };
            let macs_used = [
                (!aead(&facts.cipher)).then(|| facts.mac.clone()).flatten(),
                (!aead(&cipher_s2c)).then_some(mac_s2c).flatten(),
            ];
            let used = [
                facts.kex.clone(),
                facts.host_key.clone(),
                facts.cipher.clone(),
                cipher_s2c,
            ];
            for alg in used.into_iter().chain(macs_used).flatten() {
                let w = Weakness::SshWeak(alg.clone());
                if is_weak(&alg) && !weak.contains(&w) {
                    weak.push(w);
                }
            }
        }
        let mut reason = format!(
            "SSH {} client {} server {}",
            facts.version.as_deref().unwrap_or("?"),
            facts.client_software.as_deref().unwrap_or("?"),
            facts.server_software.as_deref().unwrap_or("?")
        );
        if let Some(kex) = &facts.kex {
            reason.push_str(&format!(
                "; kex {kex}, host key {}, cipher {}, mac {}",
                facts.host_key.as_deref().unwrap_or("?"),
                facts.cipher.as_deref().unwrap_or("?"),
                facts.mac.as_deref().unwrap_or("?")
            ));
        } else {
            reason.push_str("; key exchange not seen");
        }
        if !weak.is_empty() {
            reason.push_str("; weak algorithms negotiated");
        }
        Analysis {
            app: AppProto::Ssh,
            auth: AuthClass::Ssh,
            evidence: AuthEvidence {
                reason,
                weak,
                ssh: Some(Box::new(facts)),
                ..AuthEvidence::default()
            },
            names: Vec::new(),
            parse_error: client_id.is_none() && server_id.is_none(),
        }
    }
}

/// The protocol version in use: `2.0` when both speak 2 (`1.99` means both), else the lower.
fn version(c: Option<&Identification>, s: Option<&Identification>) -> Option<String> {
    let speaks2 = |i: &Identification| i.proto == "2.0" || i.proto == "1.99";
    match (c, s) {
        (Some(c), Some(s)) if speaks2(c) && speaks2(s) => Some("2.0".to_owned()),
        (Some(c), Some(s)) => Some(if speaks2(c) {
            s.proto.clone()
        } else {
            c.proto.clone()
        }),
        (Some(one), None) | (None, Some(one)) => Some(one.proto.clone()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification_skips_pre_banner_lines() {
        let id = identification(b"hello\r\nSSH-2.0-OpenSSH_7.5 Debian\r\nrest").expect("id");
        assert_eq!(
            (id.proto.as_str(), id.software.as_str()),
            ("2.0", "OpenSSH_7.5")
        );
        assert_eq!(id.end, 35);
        assert_eq!(identification(b"SSH-2.0-x"), None);
    }

    #[test]
    fn negotiation_and_weakness() {
        let c: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let s: Vec<String> = ["c", "b"].map(String::from).to_vec();
        assert_eq!(negotiate(&c, &s).as_deref(), Some("b"));
        assert!(is_weak("aes128-cbc") && is_weak("arcfour256") && is_weak("hmac-md5-96"));
        assert!(is_weak("ssh-dss") && is_weak("diffie-hellman-group1-sha1"));
        assert!(
            !is_weak("aes128-ctr") && !is_weak("curve25519-sha256") && !is_weak("hmac-sha2-256")
        );
    }

    #[test]
    fn truncated_kexinit_is_none() {
        let mut p = vec![0, 0, 0, 12, 4, MSG_KEXINIT];
        p.extend_from_slice(&[0; 10]);
        for n in 0..p.len() {
            assert_eq!(kexinit(&p[..n]), None);
        }
        assert_eq!(kexinit(&p), None);
    }
}
