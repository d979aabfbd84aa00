//! Names from the IANA TLS registries for the values segscope reports.

use tls_parser::TlsCipherSuiteID;

/// Protocol version name in the form the rules use (`TLSv1.2`, `SSLv3`, `DTLSv1.2`).
pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSLv2".to_owned(),
        0x0300 => "SSLv3".to_owned(),
        0x0301 => "TLSv1.0".to_owned(),
        0x0302 => "TLSv1.1".to_owned(),
        0x0303 => "TLSv1.2".to_owned(),
        0x0304 => "TLSv1.3".to_owned(),
        0xfeff => "DTLSv1.0".to_owned(),
        0xfefd => "DTLSv1.2".to_owned(),
        0xfefc => "DTLSv1.3".to_owned(),
        other => format!("0x{other:04x}"),
    }
}

/// Human form for sentences (`TLS 1.2`).
pub(crate) fn version_words(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".to_owned(),
        0x0300 => "SSL 3.0".to_owned(),
        _ => version_name(v).replace('v', " "),
    }
}

/// True for TLS 1.3 and DTLS 1.3.
pub(crate) fn is_tls13(v: u16) -> bool {
    v == 0x0304 || v == 0xfefc
}

/// IANA cipher-suite name from tls-parser's table, or the hex value.
pub(crate) fn cipher_name(id: u16) -> String {
    match TlsCipherSuiteID(id).get_ciphersuite() {
        Some(s) => s.name.to_owned(),
        None => format!("0x{id:04x}"),
    }
}

/// IANA "TLS Supported Groups" name, or the hex value.
pub(crate) fn group_name(id: u16) -> String {
    let name = match id {
        0x0017 => "secp256r1",
        0x0018 => "secp384r1",
        0x0019 => "secp521r1",
        0x001d => "x25519",
        0x001e => "x448",
        0x001f => "brainpoolP256r1tls13",
        0x0020 => "brainpoolP384r1tls13",
        0x0021 => "brainpoolP512r1tls13",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        other => return format!("0x{other:04x}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(version_name(0x0303), "TLSv1.2");
        assert_eq!(version_words(0x0304), "TLS 1.3");
        assert_eq!(version_words(0x0300), "SSL 3.0");
        assert_eq!(cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(cipher_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(cipher_name(0xfefe), "0xfefe");
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
        assert_eq!(group_name(0x6399), "X25519Kyber768Draft00");
        assert_eq!(group_name(0x001d), "x25519");
    }
}
