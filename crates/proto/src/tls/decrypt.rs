//! TLS 1.3 handshake decryption with secrets from a key log: traffic keys from
//! HKDF-Expand-Label (RFC 8446 §7.1, §7.3), per-record nonces from the record sequence number
//! (§5.3), AEAD with the record header as additional data (§5.2), and the inner content type
//! recovered from the zero-padded plaintext (§5.4).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::{Sha256, Sha384};

use super::record::{APPLICATION_DATA, HANDSHAKE, Record, messages, msg};

/// Why a direction could not be decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecryptError {
    /// The cipher suite is not one of the three segscope decrypts (the CCM suites are not).
    UnsupportedSuite(u16),
    /// The secret does not fit the suite's hash.
    BadSecret,
    /// No encrypted record to decrypt.
    NoRecords,
    /// No record authenticated with the key: wrong secret, or records missing.
    Authentication,
}

impl DecryptError {
    /// A phrase for the evidence sentence.
    pub(crate) fn describe(self) -> String {
        match self {
            DecryptError::UnsupportedSuite(id) => {
                format!("cipher suite 0x{id:04x} is not supported for decryption")
            }
            DecryptError::BadSecret => "the key-log secret does not fit the cipher suite".into(),
            DecryptError::NoRecords => "no encrypted handshake record was captured".into(),
            DecryptError::Authentication => {
                "the key-log secret did not decrypt the handshake records".into()
            }
        }
    }
}

enum Cipher {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    Chacha(Box<ChaCha20Poly1305>),
}

/// One direction's record protection: key, static IV and the next sequence number.
struct RecordKey {
    cipher: Cipher,
    iv: [u8; 12],
    seq: u64,
}

impl RecordKey {
    fn new(suite: u16, secret: &[u8]) -> Result<RecordKey, DecryptError> {
        let (cipher, iv) = match suite {
            0x1301 => {
                let key = expand_label(Hash::Sha256, secret, b"key", 16)?;
                let c = Aes128Gcm::new_from_slice(&key).map_err(|_| DecryptError::BadSecret)?;
                (
                    Cipher::Aes128(Box::new(c)),
                    expand_label(Hash::Sha256, secret, b"iv", 12)?,
                )
            }
            0x1302 => {
                let key = expand_label(Hash::Sha384, secret, b"key", 32)?;
                let c = Aes256Gcm::new_from_slice(&key).map_err(|_| DecryptError::BadSecret)?;
                (
                    Cipher::Aes256(Box::new(c)),
                    expand_label(Hash::Sha384, secret, b"iv", 12)?,
                )
            }
            0x1303 => {
                let key = expand_label(Hash::Sha256, secret, b"key", 32)?;
                let c =
                    ChaCha20Poly1305::new_from_slice(&key).map_err(|_| DecryptError::BadSecret)?;
                (
                    Cipher::Chacha(Box::new(c)),
                    expand_label(Hash::Sha256, secret, b"iv", 12)?,
                )
            }
            other => return Err(DecryptError::UnsupportedSuite(other)),
        };
        let iv: [u8; 12] = iv.try_into().map_err(|_| DecryptError::BadSecret)?;
        Ok(RecordKey { cipher, iv, seq: 0 })
    }

    /// Decrypts one record; on success returns the inner content type and content, and
    /// advances the sequence number.
    fn open(&mut self, r: &Record<'_>) -> Option<(u8, Vec<u8>)> {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        let payload = Payload {
            msg: r.payload,
            aad: &r.header,
        };
        let mut plain = match &self.cipher {
            Cipher::Aes128(c) => c.decrypt((&nonce).into(), payload),
            Cipher::Aes256(c) => c.decrypt((&nonce).into(), payload),
            Cipher::Chacha(c) => c.decrypt((&nonce).into(), payload),
        }
        .ok()?;
        self.seq = self.seq.checked_add(1)?;
        let end = plain.iter().rposition(|&b| b != 0)?;
        let content_type = plain[end];
        plain.truncate(end);
        Some((content_type, plain))
    }
}

/// The hash of a TLS 1.3 cipher suite.
#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
}

/// HKDF-Expand-Label(secret, label, "", len) of RFC 8446 §7.1.
fn expand_label(
    hash: Hash,
    secret: &[u8],
    label: &[u8],
    len: u16,
) -> Result<Vec<u8>, DecryptError> {
    let full_label_len = u8::try_from(6 + label.len()).map_err(|_| DecryptError::BadSecret)?;
    let mut info = Vec::with_capacity(4 + usize::from(full_label_len));
    info.extend_from_slice(&len.to_be_bytes());
    info.push(full_label_len);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; usize::from(len)];
    let expanded = match hash {
        Hash::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .map_err(|_| DecryptError::BadSecret)?
            .expand(&info, &mut out),
        Hash::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .map_err(|_| DecryptError::BadSecret)?
            .expand(&info, &mut out),
    };
    expanded.map_err(|_| DecryptError::BadSecret)?;
    Ok(out)
}

/// How many undecryptable records may precede the handshake (0-RTT early data is protected
/// with another key).
const MAX_SKIPPED: usize = 4;

/// Decrypts the encrypted handshake records of one direction and returns the handshake bytes,
/// up to and including Finished (or as far as the records go).
pub(crate) fn handshake_plaintext(
    suite: u16,
    secret: &[u8],
    records: &[Record<'_>],
) -> Result<Vec<u8>, DecryptError> {
    let mut key = RecordKey::new(suite, secret)?;
    let mut out = Vec::new();
    let mut opened = 0usize;
    let mut skipped = 0usize;
    let mut seen = 0usize;
    for r in records
        .iter()
        .filter(|r| r.content_type == APPLICATION_DATA && r.complete)
    {
        seen += 1;
        match key.open(r) {
            Some((HANDSHAKE, content)) => {
                opened += 1;
                out.extend_from_slice(&content);
                let (msgs, _) = messages(&out);
                if msgs.iter().any(|m| m.typ == msg::FINISHED) {
                    break;
                }
            }
            Some(_) => {
                opened += 1;
                break;
            }
            None if opened == 0 && skipped < MAX_SKIPPED => skipped += 1,
            None => break,
        }
    }
    match (seen, opened) {
        (0, _) => Err(DecryptError::NoRecords),
        (_, 0) => Err(DecryptError::Authentication),
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): the server handshake traffic secret and the
    /// write key and IV derived from it.
    #[test]
    fn rfc8448_server_handshake_key_schedule() {
        let secret =
            hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
                .expect("hex");
        assert_eq!(
            hex::encode(expand_label(Hash::Sha256, &secret, b"key", 16).expect("key")),
            "3fce516009c21727d0f2e4e86ee403bc"
        );
        assert_eq!(
            hex::encode(expand_label(Hash::Sha256, &secret, b"iv", 12).expect("iv")),
            "5d313eb2671276ee13000b30"
        );
    }

    #[test]
    fn unsupported_suites_and_missing_records_are_reported() {
        let secret = [7u8; 32];
        assert_eq!(
            handshake_plaintext(0x1304, &secret, &[]).err(),
            Some(DecryptError::UnsupportedSuite(0x1304))
        );
        assert_eq!(
            handshake_plaintext(0x1301, &secret, &[]).err(),
            Some(DecryptError::NoRecords)
        );
        let junk = [0u8; 40];
        let r = Record {
            content_type: APPLICATION_DATA,
            version: 0x0303,
            payload: &junk,
            header: [23, 3, 3, 0, 40],
            complete: true,
        };
        assert_eq!(
            handshake_plaintext(0x1301, &secret, &[r]).err(),
            Some(DecryptError::Authentication)
        );
    }
}
