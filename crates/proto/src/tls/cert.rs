//! X.509 certificates as the evidence records them: RFC 4514 subject and issuer (with the
//! attribute names OpenSSL and Zeek print), typed SANs, SHA-256 of the DER, validity and the
//! clientAuth extended key usage. Parsing is x509-parser's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::Timestamp;
use segscope_core::auth::CertInfo;
use sha2::{Digest, Sha256};
use x509_parser::asn1_rs::Tag;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// A certificate as seen on the wire, with the names it gives its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParsedCert {
    /// The facts.
    pub(crate) info: CertInfo,
    /// Subject common names.
    pub(crate) common_names: Vec<String>,
}

/// SHA-256 of DER bytes, lower-case hex.
pub(crate) fn sha256_hex(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Parses one DER certificate.
pub(crate) fn parse(der: &[u8]) -> Option<ParsedCert> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let validity = cert.validity();
    let mut san = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => san.push(format!("DNS:{d}")),
                GeneralName::URI(u) => san.push(format!("URI:{u}")),
                GeneralName::RFC822Name(e) => san.push(format!("email:{e}")),
                GeneralName::IPAddress(b) => {
                    if let Some(ip) = ip_from(b) {
                        san.push(format!("IP:{ip}"));
                    }
                }
                _ => {}
            }
        }
    }
    let client_auth_eku = matches!(
        cert.extended_key_usage(),
        Ok(Some(ext)) if ext.value.client_auth || ext.value.any
    );
    let common_names = cert
        .subject()
        .iter_common_name()
        .filter_map(|a| attr_string(a))
        .collect();
    Some(ParsedCert {
        info: CertInfo {
            subject: rfc4514(cert.subject()),
            issuer: rfc4514(cert.issuer()),
            san,
            sha256: sha256_hex(der),
            not_before: seconds(validity.not_before.timestamp()),
            not_after: seconds(validity.not_after.timestamp()),
            client_auth_eku,
        },
        common_names,
    })
}

fn seconds(s: i64) -> Timestamp {
    Timestamp(s.saturating_mul(1_000_000_000))
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b)
            .ok()
            .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        16 => <[u8; 16]>::try_from(b)
            .ok()
            .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

/// RFC 4514 string: RDNs most specific first, `,` between RDNs, `+` inside one.
pub(crate) fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| {
                    let key = attr_name(&a.attr_type().to_id_string());
                    match attr_string(a) {
                        Some(v) => format!("{key}={}", escape(&v)),
                        None => format!("{key}=#{}", hex::encode(a.attr_value().data)),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// The short names OpenSSL prints (and Zeek logs), else the dotted OID (RFC 4514 §2.3).
fn attr_name(oid: &str) -> String {
    let name = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        other => return other.to_owned(),
    };
    name.to_owned()
}

/// An attribute's text: the string types, BMPString, and T.61 read as Latin-1.
fn attr_string(a: &AttributeTypeAndValue<'_>) -> Option<String> {
    let v = a.attr_value();
    match v.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(v.data).ok().map(str::to_owned),
        Tag::T61String => Some(v.data.iter().map(|&b| b as char).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = v
                .data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_rfc4514() {
        assert_eq!(
            escape("Internet Widgits Pty Ltd"),
            "Internet Widgits Pty Ltd"
        );
        assert_eq!(escape("Acme, Inc."), "Acme\\, Inc.");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape("a+b"), "a\\+b");
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse(&[0x30, 0x82, 0x01]).is_none());
        assert!(parse(b"not a certificate").is_none());
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
