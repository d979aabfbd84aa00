//! TLS key-log files (the SSLKEYLOGFILE format Wireshark reads), used to decrypt TLS 1.3
//! handshakes and confirm or refute client certificates.
//!
//! Each line is `LABEL <client random, 64 hex digits> <secret, hex>`; `#` starts a comment.
//! The TLS 1.3 handshake secrets are kept; the other labels Wireshark knows (`CLIENT_RANDOM`
//! for TLS 1.2 master secrets, traffic and exporter secrets, `RSA`) are accepted and not used,
//! because segscope only needs the handshake; unknown labels are counted and skipped as
//! Wireshark does. Secrets never appear in `Debug` output or errors.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use thiserror::Error;

/// A malformed key-log file.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct KeyLogError {
    /// The file (or `<key log>` for text not read from a file).
    pub file: String,
    /// 1-based line number (0 when the file could not be read).
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// The TLS 1.3 handshake secrets of one session.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct HandshakeSecrets {
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub(crate) client: Option<Vec<u8>>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub(crate) server: Option<Vec<u8>>,
}

/// Secrets from a key-log file, indexed by client random.
#[derive(Clone, Default)]
pub struct KeyLog {
    sessions: HashMap<[u8; 32], HandshakeSecrets>,
    ignored_lines: usize,
}

impl fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLog")
            .field("sessions", &self.sessions.len())
            .field("ignored_lines", &self.ignored_lines)
            .finish()
    }
}

/// Labels Wireshark reads that segscope accepts without using.
const ACCEPTED_UNUSED: &[&str] = &[
    "CLIENT_RANDOM",
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EARLY_EXPORTER_SECRET",
    "EXPORTER_SECRET",
    "ECH_SECRET",
    "ECH_CONFIG",
];

impl KeyLog {
    /// Parses key-log text.
    pub fn parse(text: &str) -> Result<KeyLog, KeyLogError> {
        Self::parse_named("<key log>", text)
    }

    /// Reads and parses a key-log file.
    pub fn load(path: &Path) -> Result<KeyLog, KeyLogError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeyLogError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read the key log ({e}); check the path given to --keylog"),
        })?;
        Self::parse_named(&file, &text)
    }

    fn parse_named(file: &str, text: &str) -> Result<KeyLog, KeyLogError> {
        let mut log = KeyLog::default();
        for (i, line) in text.lines().enumerate() {
            let err = |message: String| KeyLogError {
                file: file.to_owned(),
                line: i + 1,
                message,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(err(
                    "expected three fields: LABEL CLIENT_RANDOM SECRET (SSLKEYLOGFILE format)"
                        .to_owned(),
                ));
            };
            let is_client = label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
            let is_server = label == "SERVER_HANDSHAKE_TRAFFIC_SECRET";
            if label == "RSA" {
                continue;
            }
            if !is_client && !is_server && !ACCEPTED_UNUSED.contains(&label) {
                log.ignored_lines += 1;
                continue;
            }
            let random: [u8; 32] = hex::decode(random)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    err(format!(
                        "{label}: the client random must be 64 hexadecimal digits"
                    ))
                })?;
            let secret = hex::decode(secret)
                .map_err(|_| err(format!("{label}: the secret is not hexadecimal")))?;
            if (is_client || is_server) && !matches!(secret.len(), 32 | 48) {
                return Err(err(format!(
                    "{label}: a secret is 32 or 48 bytes, this one has {}",
                    secret.len()
                )));
            }
            if is_client || is_server {
                let entry = log.sessions.entry(random).or_default();
                if is_client {
                    entry.client = Some(secret);
                } else {
                    entry.server = Some(secret);
                }
            }
        }
        Ok(log)
    }

    /// Sessions with at least one TLS 1.3 handshake secret.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Lines skipped because their label is not one Wireshark defines.
    pub fn ignored_lines(&self) -> usize {
        self.ignored_lines
    }

    /// The handshake secrets of the session with this client random.
    pub(crate) fn handshake(&self, client_random: &[u8]) -> Option<&HandshakeSecrets> {
        let key: [u8; 32] = client_random.try_into().ok()?;
        self.sessions.get(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn parses_handshake_secrets_and_accepts_other_labels() {
        let secret = "ab".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {RANDOM} {}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {RANDOM} \
             {secret}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {RANDOM} {secret}\nFUTURE_LABEL a b\n",
            "cd".repeat(48)
        );
        let log = KeyLog::parse(&text).expect("valid key log");
        assert_eq!(log.sessions(), 1);
        assert_eq!(log.ignored_lines(), 1);
        let s = log.handshake(&[1u8; 32]).expect("session");
        assert_eq!(s.client.as_deref(), Some(&[0xab; 32][..]));
        assert!(log.handshake(&[2u8; 32]).is_none());
        assert!(
            !format!("{log:?}").contains("abab"),
            "Debug must not print secrets"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let text = format!(
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET {RANDOM} {}\nCLIENT_RANDOM zz 00\n",
            "00".repeat(32)
        );
        let e = KeyLog::parse(&text).expect_err("bad random");
        assert_eq!(e.line, 2);
        assert!(
            e.to_string().starts_with("<key log>:2: CLIENT_RANDOM"),
            "{e}"
        );
        let e = KeyLog::parse("CLIENT_HANDSHAKE_TRAFFIC_SECRET 00\n").expect_err("two fields");
        assert_eq!(e.line, 1);
        let e = KeyLog::parse(&format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {RANDOM} abcd\n"))
            .expect_err("short secret");
        assert!(e.message.contains("32 or 48 bytes"), "{e}");
        let e = KeyLog::load(Path::new("/nonexistent/keys.log")).expect_err("missing file");
        assert!(
            e.to_string()
                .starts_with("/nonexistent/keys.log:0: cannot read"),
            "{e}"
        );
    }
}
