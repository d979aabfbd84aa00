//! TLS key-log files (the SSLKEYLOGFILE format Wireshark reads), used to decrypt TLS 1.3
//! handshakes and confirm or refute client certificates.

/// Secrets from a key-log file, indexed by client random.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {}
