//! ClientHello and ServerHello, parsed by tls-parser, with the extensions segscope reads
//! (SNI, ALPN, supported_versions, signature_algorithms, key_share, pre_shared_key…) kept in
//! wire order for JA4/JA4S.

use tls_parser::{
    ClientHello as _, DTLSClientHello, TlsExtension, TlsServerHelloContents,
    parse_tls_extension_alpn_content, parse_tls_extension_signature_algorithms_content,
    parse_tls_extension_sni_content, parse_tls_handshake_client_hello,
    parse_tls_handshake_server_hello,
};

use crate::bytes::Reader;

/// Extension types (IANA "TLS ExtensionType Values").
pub(crate) mod ext {
    pub(crate) const SERVER_NAME: u16 = 0;
    pub(crate) const SIGNATURE_ALGORITHMS: u16 = 13;
    pub(crate) const ALPN: u16 = 16;
    pub(crate) const PRE_SHARED_KEY: u16 = 41;
    pub(crate) const EARLY_DATA: u16 = 42;
    pub(crate) const SUPPORTED_VERSIONS: u16 = 43;
    pub(crate) const POST_HANDSHAKE_AUTH: u16 = 49;
    pub(crate) const KEY_SHARE: u16 = 51;
}

/// The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446
/// §4.1.3).
pub(crate) const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// GREASE values (RFC 8701): 0x?A?A with both bytes equal.
pub(crate) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// What a ClientHello offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientHello<'a> {
    /// legacy_version (the only version of pre-1.3 clients).
    pub(crate) legacy_version: u16,
    /// Client random (key-log lookups).
    pub(crate) random: &'a [u8],
    /// Session id (TLS ≤ 1.2 resumption).
    pub(crate) session_id: &'a [u8],
    /// Cipher suites in wire order.
    pub(crate) ciphers: Vec<u16>,
    /// Extensions in wire order.
    pub(crate) extensions: Vec<(u16, &'a [u8])>,
    /// Server Name Indication (first host name).
    pub(crate) sni: Option<String>,
    /// ALPN protocol names offered.
    pub(crate) alpn: Vec<&'a [u8]>,
    /// supported_versions list.
    pub(crate) supported_versions: Vec<u16>,
    /// signature_algorithms in wire order.
    pub(crate) signature_algorithms: Vec<u16>,
    /// An extension did not parse.
    pub(crate) malformed: bool,
}

impl ClientHello<'_> {
    /// True when the client sent extension `t`.
    pub(crate) fn has(&self, t: u16) -> bool {
        self.extensions.iter().any(|(x, _)| *x == t)
    }
}

/// Parses a TLS ClientHello body.
pub(crate) fn client_hello(body: &[u8]) -> Option<ClientHello<'_>> {
    let (_, ch) = parse_tls_handshake_client_hello(body).ok()?;
    Some(build_client_hello(
        ch.version.0,
        ch.random,
        ch.session_id.unwrap_or_default(),
        ch.ciphers.iter().map(|c| c.0).collect(),
        ch.ext,
    ))
}

/// Converts a DTLS ClientHello (which adds a cookie) to the common form.
pub(crate) fn dtls_client_hello<'a>(ch: &DTLSClientHello<'a>) -> ClientHello<'a> {
    build_client_hello(
        ch.version().0,
        ch.random(),
        ch.session_id().unwrap_or_default(),
        ch.ciphers().iter().map(|c| c.0).collect(),
        ch.ext(),
    )
}

fn build_client_hello<'a>(
    legacy_version: u16,
    random: &'a [u8],
    session_id: &'a [u8],
    ciphers: Vec<u16>,
    ext_block: Option<&'a [u8]>,
) -> ClientHello<'a> {
    let (extensions, mut malformed) = split_extensions(ext_block.unwrap_or_default());
    let mut out = ClientHello {
        legacy_version,
        random,
        session_id,
        ciphers,
        ..ClientHello::default()
    };
    for &(t, data) in &extensions {
        let ok = match t {
            ext::SERVER_NAME => match parse_tls_extension_sni_content(data) {
                Ok((_, TlsExtension::SNI(names))) => {
                    out.sni = names
                        .iter()
                        .find(|(typ, _)| typ.0 == 0)
                        .and_then(|(_, n)| std::str::from_utf8(n).ok())
                        .map(str::to_ascii_lowercase);
                    true
                }
                _ => false,
            },
            ext::ALPN => match parse_tls_extension_alpn_content(data) {
                Ok((_, TlsExtension::ALPN(v))) => {
                    out.alpn = v;
                    true
                }
                _ => false,
            },
            ext::SIGNATURE_ALGORITHMS => {
                match parse_tls_extension_signature_algorithms_content(data) {
                    Ok((_, TlsExtension::SignatureAlgorithms(v))) => {
                        out.signature_algorithms = v;
                        true
                    }
                    _ => false,
                }
            }
            ext::SUPPORTED_VERSIONS => match version_list(data) {
                Some(v) => {
                    out.supported_versions = v;
                    true
                }
                None => false,
            },
            _ => true,
        };
        malformed |= !ok;
    }
    out.extensions = extensions;
    out.malformed = malformed;
    out
}

/// ClientHello supported_versions: a one-byte length, then two-byte versions.
fn version_list(data: &[u8]) -> Option<Vec<u16>> {
    let mut r = Reader::new(data);
    let list = r.u8_prefixed()?;
    if list.len() % 2 != 0 || r.remaining() != 0 {
        return None;
    }
    Some(
        list.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    )
}

/// Splits an extensions block into (type, data) in wire order; the flag is true when the block
/// does not end on an extension boundary.
pub(crate) fn split_extensions(block: &[u8]) -> (Vec<(u16, &[u8])>, bool) {
    let mut out = Vec::new();
    let mut r = Reader::new(block);
    while r.remaining() > 0 {
        let Some(t) = r.be_u16() else {
            return (out, true);
        };
        let Some(data) = r.be_u16_prefixed() else {
            return (out, true);
        };
        out.push((t, data));
    }
    (out, false)
}

/// What a ServerHello (or HelloRetryRequest) chose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerHello<'a> {
    /// legacy_version.
    pub(crate) legacy_version: u16,
    /// Server random.
    pub(crate) random: &'a [u8],
    /// Session id.
    pub(crate) session_id: &'a [u8],
    /// Chosen cipher suite.
    pub(crate) cipher: u16,
    /// Extensions in wire order.
    pub(crate) extensions: Vec<(u16, &'a [u8])>,
    /// supported_versions (TLS 1.3).
    pub(crate) selected_version: Option<u16>,
    /// key_share group (TLS 1.3; for a HelloRetryRequest, the group asked for).
    pub(crate) group: Option<u16>,
    /// ALPN protocol chosen (visible here up to TLS 1.2).
    pub(crate) alpn: Option<&'a [u8]>,
    /// The server accepted a pre-shared key (TLS 1.3 resumption).
    pub(crate) psk_accepted: bool,
    /// An extension did not parse.
    pub(crate) malformed: bool,
}

impl ServerHello<'_> {
    /// The negotiated version.
    pub(crate) fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }

    /// True for a HelloRetryRequest (a ServerHello with the special random).
    pub(crate) fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }
}

/// Parses a TLS ServerHello body.
pub(crate) fn server_hello(body: &[u8]) -> Option<ServerHello<'_>> {
    let (_, sh) = parse_tls_handshake_server_hello(body).ok()?;
    Some(from_contents(&sh))
}

/// Converts tls-parser's ServerHello (TLS or DTLS) to the common form.
pub(crate) fn from_contents<'a>(sh: &TlsServerHelloContents<'a>) -> ServerHello<'a> {
    let (extensions, mut malformed) = split_extensions(sh.ext.unwrap_or_default());
    let mut out = ServerHello {
        legacy_version: sh.version.0,
        random: sh.random,
        session_id: sh.session_id.unwrap_or_default(),
        cipher: sh.cipher.0,
        ..ServerHello::default()
    };
    for &(t, data) in &extensions {
        let mut r = Reader::new(data);
        let ok = match t {
            ext::SUPPORTED_VERSIONS => {
                out.selected_version = r.be_u16();
                out.selected_version.is_some()
            }
            ext::KEY_SHARE => {
                out.group = r.be_u16();
                out.group.is_some()
            }
            ext::PRE_SHARED_KEY => {
                out.psk_accepted = true;
                r.be_u16().is_some()
            }
            ext::ALPN => match parse_tls_extension_alpn_content(data) {
                Ok((_, TlsExtension::ALPN(v))) => {
                    out.alpn = v.first().copied();
                    true
                }
                _ => false,
            },
            _ => true,
        };
        malformed |= !ok;
    }
    out.extensions = extensions;
    out.malformed = malformed;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn extensions_split_in_wire_order() {
        let block = [0, 0, 0, 0, 0x00, 0x10, 0, 1, 9];
        let (v, bad) = split_extensions(&block);
        assert!(!bad);
        assert_eq!(v, vec![(0, &[][..]), (16, &[9u8][..])]);
        assert!(split_extensions(&block[..7]).1);
    }

    #[test]
    fn supported_versions_list() {
        assert_eq!(version_list(&[4, 3, 4, 3, 3]), Some(vec![0x0304, 0x0303]));
        assert_eq!(version_list(&[3, 3, 4, 3]), None);
    }
}
