//! JA4 (ClientHello) and JA4S (ServerHello) fingerprints, as the FoxIO specification
//! (`technical_details/JA4.md`, `JA4S.md`) defines them: GREASE ignored everywhere, counts capped
//! at 99, cipher and extension lists sorted for JA4 (SNI and ALPN left out of the hashed
//! extension list), signature algorithms in wire order, SHA-256 truncated to 12 hex digits, and
//! `000000000000` for an empty list.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::hello::is_grease;

/// The transport a hello travelled on: the first character of both fingerprints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ja4Transport {
    /// TLS over TCP (`t`).
    Tcp,
    /// QUIC (`q`).
    Quic,
    /// DTLS (`d`).
    Dtls,
}

impl Ja4Transport {
    fn marker(self) -> char {
        match self {
            Ja4Transport::Tcp => 't',
            Ja4Transport::Quic => 'q',
            Ja4Transport::Dtls => 'd',
        }
    }
}

/// The ClientHello fields JA4 reads.
#[derive(Clone, Copy, Debug)]
pub struct Ja4Client<'a> {
    /// Transport.
    pub transport: Ja4Transport,
    /// ClientHello legacy_version.
    pub legacy_version: u16,
    /// supported_versions values, when the extension is present.
    pub supported_versions: Option<&'a [u16]>,
    /// Cipher suites in wire order.
    pub ciphers: &'a [u16],
    /// Extension types in wire order.
    pub extensions: &'a [u16],
    /// signature_algorithms in wire order.
    pub signature_algorithms: &'a [u16],
    /// The first ALPN value offered.
    pub first_alpn: Option<&'a [u8]>,
}

/// The ServerHello fields JA4S reads.
#[derive(Clone, Copy, Debug)]
pub struct Ja4Server<'a> {
    /// Transport.
    pub transport: Ja4Transport,
    /// Negotiated version (supported_versions, else legacy_version).
    pub version: u16,
    /// Chosen cipher suite.
    pub cipher: u16,
    /// Extension types in wire order.
    pub extensions: &'a [u16],
    /// ALPN value chosen.
    pub alpn: Option<&'a [u8]>,
}

/// The JA4 fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
pub fn ja4(c: &Ja4Client<'_>) -> String {
    let (a, ciphers, exts) = ja4_parts(c);
    format!("{a}_{}_{}", hash12(&ciphers), hash12(&exts))
}

/// The JA4_r raw form (sorted lists in clear), useful to compare with other tools.
pub fn ja4_raw(c: &Ja4Client<'_>) -> String {
    let (a, ciphers, exts) = ja4_parts(c);
    format!("{a}_{ciphers}_{exts}")
}

/// The JA4S fingerprint (`t120400_c030_4e8089b08790`).
pub fn ja4s(s: &Ja4Server<'_>) -> String {
    let exts = hex_list(s.extensions.iter().copied());
    format!(
        "{}{}{:02}{}_{:04x}_{}",
        s.transport.marker(),
        version_code(s.version),
        s.extensions.len().min(99),
        alpn_code(s.alpn),
        s.cipher,
        hash12(&exts)
    )
}

fn ja4_parts(c: &Ja4Client<'_>) -> (String, String, String) {
    let version = match c.supported_versions {
        Some(list) => list
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max_by_key(|v| version_rank(*v))
            .unwrap_or(0),
        None => c.legacy_version,
    };
    let ciphers: Vec<u16> = c
        .ciphers
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let exts: Vec<u16> = c
        .extensions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    let sni = if exts.contains(&0) { 'd' } else { 'i' };
    let a = format!(
        "{}{}{sni}{:02}{:02}{}",
        c.transport.marker(),
        version_code(version),
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_code(c.first_alpn)
    );
    let mut sorted_ciphers = ciphers;
    sorted_ciphers.sort_unstable();
    let mut hashed_exts: Vec<u16> = exts.into_iter().filter(|v| *v != 0 && *v != 16).collect();
    hashed_exts.sort_unstable();
    let mut ext_part = hex_list(hashed_exts.iter().copied());
    let sigs = hex_list(
        c.signature_algorithms
            .iter()
            .copied()
            .filter(|v| !is_grease(*v)),
    );
    if !ext_part.is_empty() && !sigs.is_empty() {
        ext_part.push('_');
        ext_part.push_str(&sigs);
    }
    (a, hex_list(sorted_ciphers.into_iter()), ext_part)
}

/// Orders versions by age, so DTLS (whose numbers count down) compares correctly.
fn version_rank(v: u16) -> u32 {
    match v {
        0xfeff => 0x0302,
        0xfefd => 0x0303,
        0xfefc => 0x0304,
        other => u32::from(other),
    }
}

fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of the ALPN value; its hex form's first and last character when
/// either end is not alphanumeric; `00` when there is none.
fn alpn_code(alpn: Option<&[u8]>) -> String {
    let Some(v) = alpn else {
        return "00".to_owned();
    };
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return "00".to_owned();
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", first as char, last as char)
    } else {
        let hex = hex::encode([first, last]);
        let mut chars = hex.chars();
        let a = chars.next().unwrap_or('0');
        let b = chars.next_back().unwrap_or('0');
        format!("{a}{b}")
    }
}

fn hex_list(values: impl Iterator<Item = u16>) -> String {
    let mut s = String::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_owned();
    }
    let digest = Sha256::digest(s.as_bytes());
    let mut out = hex::encode(digest);
    out.truncate(12);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the JA4 specification (`technical_details/JA4.md`).
    #[test]
    fn specification_example() {
        let ciphers = [
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let extensions = [
            0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
            0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let c = Ja4Client {
            transport: Ja4Transport::Tcp,
            legacy_version: 0x0303,
            supported_versions: Some(&[0x0a0a, 0x0304, 0x0303]),
            ciphers: &ciphers,
            extensions: &extensions,
            signature_algorithms: &sigs,
            first_alpn: Some(b"h2"),
        };
        assert_eq!(ja4(&c), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(
            ja4_raw(&c),
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,\
             cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,\
             0804,0401,0503,0805,0501,0806,0601"
        );
        // "If there are no signature algorithms … the string ends without an underscore":
        // the specification gives 6d807ffa2a79 for the extension list alone.
        let no_sigs = Ja4Client {
            signature_algorithms: &[],
            ..c
        };
        assert!(
            ja4(&no_sigs).ends_with("_6d807ffa2a79"),
            "{}",
            ja4(&no_sigs)
        );
        // GREASE anywhere is ignored.
        let mut greased_ciphers = vec![0x2a2a];
        greased_ciphers.extend_from_slice(&ciphers);
        let mut greased_exts = vec![0xdada];
        greased_exts.extend_from_slice(&extensions);
        let greased = Ja4Client {
            ciphers: &greased_ciphers,
            extensions: &greased_exts,
            ..c
        };
        assert_eq!(ja4(&greased), ja4(&c));
    }

    /// The JA4S example of `technical_details/JA4S.md`.
    #[test]
    fn ja4s_specification_example() {
        let s = Ja4Server {
            transport: Ja4Transport::Tcp,
            version: 0x0303,
            cipher: 0xc030,
            extensions: &[0x0005, 0x0017, 0xff01, 0x0000],
            alpn: None,
        };
        assert_eq!(ja4s(&s), "t120400_c030_4e8089b08790");
    }

    /// The ALPN examples of the specification.
    #[test]
    fn alpn_characters() {
        assert_eq!(alpn_code(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_code(Some(b"h2")), "h2");
        assert_eq!(alpn_code(Some(b"x")), "xx");
        assert_eq!(alpn_code(Some(b"")), "00");
        assert_eq!(alpn_code(None), "00");
        assert_eq!(alpn_code(Some(&[0xab])), "ab");
        assert_eq!(alpn_code(Some(&[0xab, 0xcd])), "ad");
        assert_eq!(alpn_code(Some(&[0x30, 0xab])), "3b");
        assert_eq!(alpn_code(Some(&[0x30, 0x31, 0xab, 0xcd])), "3d");
        assert_eq!(alpn_code(Some(&[0x30, 0xab, 0xcd, 0x31])), "01");
        assert_eq!(alpn_code(Some(b"istio-peer-exchange")), "ie");
    }

    #[test]
    fn no_ciphers_or_extensions_hash_to_zeros() {
        let c = Ja4Client {
            transport: Ja4Transport::Tcp,
            legacy_version: 0x0300,
            supported_versions: None,
            ciphers: &[],
            extensions: &[],
            signature_algorithms: &[],
            first_alpn: None,
        };
        assert_eq!(ja4(&c), "ts3i000000_000000000000_000000000000");
    }
}
