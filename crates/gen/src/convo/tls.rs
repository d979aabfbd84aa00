//! Conversations of the tls protocol family: real TLS handshakes made by rustls, client and
//! server in memory, with certificates made by rcgen (a CA, a server leaf, client leaves — one
//! with a `spiffe://` URI SAN).
//!
//! Every byte is deterministic: rustls draws its randomness from the crypto provider, so the
//! provider used here has a seeded [`SecureRandom`] and an X25519 key exchange whose private
//! keys come from the same seeded stream; certificate keys are Ed25519 (deterministic
//! signatures) made from fixed seeds. The same build therefore produces the same bytes on every
//! machine, and the TLS 1.3 sessions come with the key-log lines (SSLKEYLOGFILE format) that
//! decrypt them.

use std::cell::Cell;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::client::Resumption;
use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, SecureRandom, SharedSecret,
    SupportedKxGroup,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::time_provider::TimeProvider;
use rustls::{
    ClientConfig, ClientConnection, Connection, NamedGroup, RootCertStore, ServerConfig,
    ServerConnection, SupportedProtocolVersion,
};
use segscope_core::{AppProto, AuthClass, Transport};

use super::{Conversation, Turn};

/// A TLS conversation with the key-log lines of its session (empty for TLS 1.2: the handshake is
/// in clear there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    /// The labelled conversation.
    pub conversation: Conversation,
    /// SSLKEYLOGFILE lines written by the client, one secret per line.
    pub keylog: String,
    /// True when this session resumed an earlier one of the list (the one just before it).
    pub resumed: bool,
    /// What a key log reveals for TLS 1.3 sessions: `mtls` when the client sent a certificate,
    /// `tls_server_only` when it did not. Equal to `conversation.auth` for TLS 1.2.
    pub auth_with_keylog: AuthClass,
}

/// Every labelled tls conversation.
pub fn conversations() -> Vec<Conversation> {
    sessions().into_iter().map(|s| s.conversation).collect()
}

/// Server name every conversation's certificate is issued for.
pub const SERVER_NAME: &str = "api.internal.example";
/// SPIFFE id on the workload client certificate.
pub const CLIENT_SPIFFE_ID: &str = "spiffe://cluster.local/ns/shop/sa/frontend";
/// Common name of the workload client certificate.
pub const CLIENT_CN: &str = "frontend.shop.svc";
/// Istio-style SNI of the mesh conversation.
pub const MESH_SNI: &str = "outbound_.9080_._.reviews.shop.svc.cluster.local";

/// Every TLS session, in a fixed order, with its key log.
pub fn sessions() -> Vec<TlsSession> {
    let pki = Pki::new();
    let mut out = Vec::new();
    static V12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
    static V13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
    let (v12, v13) = (V12, V13);

    let mut plan = vec![
        Plan::new(
            "tls12-server-only",
            443,
            v12,
            ClientAuth::None,
            AuthClass::TlsServerOnly,
        ),
        Plan::new(
            "tls12-mtls-spiffe",
            443,
            v12,
            ClientAuth::Required,
            AuthClass::Mtls,
        ),
        Plan::new(
            "tls12-cert-requested-empty",
            443,
            v12,
            ClientAuth::OptionalNotSent,
            AuthClass::TlsServerOnly,
        ),
        Plan::new(
            "tls12-mtls-port-4433",
            4433,
            v12,
            ClientAuth::Required,
            AuthClass::Mtls,
        ),
        Plan::new(
            "tls13-server-only",
            443,
            v13,
            ClientAuth::None,
            AuthClass::TlsClientAuthUnknown,
        )
        .keylog(AuthClass::TlsServerOnly),
        Plan::new(
            "tls13-mtls",
            443,
            v13,
            ClientAuth::Required,
            AuthClass::TlsClientAuthUnknown,
        )
        .keylog(AuthClass::Mtls),
        Plan::new(
            "tls13-cert-requested-empty",
            8443,
            v13,
            ClientAuth::OptionalNotSent,
            AuthClass::TlsClientAuthUnknown,
        )
        .keylog(AuthClass::TlsServerOnly),
        Plan::new(
            "tls13-istio-mesh",
            15008,
            v13,
            ClientAuth::Required,
            AuthClass::TlsClientAuthUnknown,
        )
        .keylog(AuthClass::Mtls)
        .alpn(&[b"istio-peer-exchange", b"istio"])
        .sni(MESH_SNI),
        Plan::new(
            "tls13-mtls-port-5671",
            5671,
            v13,
            ClientAuth::Required,
            AuthClass::TlsClientAuthUnknown,
        )
        .keylog(AuthClass::Mtls)
        .alpn(&[b"amqp"]),
    ];
    for (seed, p) in plan.iter_mut().enumerate() {
        p.seed = seed as u64 + 1;
    }
    for p in &plan {
        let client = client_config(&pki, p);
        out.push(run(&pki, p, &client, None));
    }

    // Resumption: a full handshake, then a second connection with the same client and server
    // configurations (session id for TLS 1.2, PSK ticket for TLS 1.3).
    let resumptions = [
        (
            Plan::new(
                "tls12-mtls-full",
                443,
                v12,
                ClientAuth::Required,
                AuthClass::Mtls,
            ),
            AuthClass::TlsClientAuthUnknown,
        ),
        (
            Plan::new(
                "tls13-mtls-full",
                443,
                v13,
                ClientAuth::Required,
                AuthClass::TlsClientAuthUnknown,
            )
            .keylog(AuthClass::Mtls),
            AuthClass::TlsClientAuthUnknown,
        ),
    ];
    for (i, (full, resumed_auth)) in resumptions.into_iter().enumerate() {
        let mut full = full;
        full.seed = 100 + i as u64;
        let client = client_config(&pki, &full);
        let server = server_config(&pki, &full);
        out.push(run(&pki, &full, &client, Some(&server)));
        let mut again = full.clone();
        again.name = full.name.replace("-full", "-resumed");
        again.auth = resumed_auth;
        // A resumed session carries no certificates: even the key log cannot show the client's.
        again.auth_with_keylog = resumed_auth;
        again.seed = 200 + i as u64;
        let mut session = run(&pki, &again, &client, Some(&server));
        session.resumed = true;
        out.push(session);
    }
    out
}

/// How the server treats client certificates, and whether the client has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientAuth {
    /// No CertificateRequest.
    None,
    /// CertificateRequest, client presents its certificate.
    Required,
    /// CertificateRequest (unauthenticated clients allowed), client has no certificate.
    OptionalNotSent,
}

#[derive(Clone, Debug)]
struct Plan {
    name: String,
    port: u16,
    versions: &'static [&'static SupportedProtocolVersion],
    client_auth: ClientAuth,
    auth: AuthClass,
    auth_with_keylog: AuthClass,
    alpn: Vec<Vec<u8>>,
    sni: &'static str,
    seed: u64,
}

impl Plan {
    fn new(
        name: &str,
        port: u16,
        versions: &'static [&'static SupportedProtocolVersion],
        client_auth: ClientAuth,
        auth: AuthClass,
    ) -> Plan {
        Plan {
            name: name.to_owned(),
            port,
            versions,
            client_auth,
            auth,
            auth_with_keylog: auth,
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            sni: SERVER_NAME,
            seed: 0,
        }
    }

    fn keylog(mut self, auth: AuthClass) -> Plan {
        self.auth_with_keylog = auth;
        self
    }

    fn alpn(mut self, alpn: &[&[u8]]) -> Plan {
        self.alpn = alpn.iter().map(|a| a.to_vec()).collect();
        self
    }

    fn sni(mut self, sni: &'static str) -> Plan {
        self.sni = sni;
        self
    }
}

/// Drives one connection to the end of the handshake plus one request and one response.
fn run(
    pki: &Pki,
    plan: &Plan,
    client_config: &Arc<ClientConfig>,
    server_config: Option<&Arc<ServerConfig>>,
) -> TlsSession {
    let keylog = Arc::new(CollectedKeyLog::default());
    with_seed(plan.seed, || {
        let server_config = match server_config {
            Some(s) => s.clone(),
            None => server_config_for(pki, plan),
        };
        let mut cc = (**client_config).clone();
        cc.key_log = keylog.clone();
        let name = ServerName::try_from(plan.sni.to_owned()).expect("valid server name");
        let mut client: Connection = ClientConnection::new(Arc::new(cc), name)
            .expect("client connection")
            .into();
        let mut server: Connection = ServerConnection::new(server_config)
            .expect("server connection")
            .into();
        let mut turns = Vec::new();
        let mut request_sent = false;
        let mut response_sent = false;
        for _ in 0..32 {
            let c = transfer(&mut client, &mut server);
            if !c.is_empty() {
                turns.push(Turn {
                    from_client: true,
                    bytes: c,
                });
            }
            let s = transfer(&mut server, &mut client);
            if !s.is_empty() {
                turns.push(Turn {
                    from_client: false,
                    bytes: s,
                });
            }
            if !client.is_handshaking() && !request_sent {
                client
                    .writer()
                    .write_all(b"GET /v1/orders HTTP/1.1\r\nHost: api\r\n\r\n")
                    .expect("buffered write");
                request_sent = true;
                continue;
            }
            if request_sent && !server.is_handshaking() && !response_sent {
                let mut buf = [0u8; 256];
                if let Ok(n) = server.reader().read(&mut buf)
                    && n > 0
                {
                    server
                        .writer()
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
                        .expect("buffered write");
                    response_sent = true;
                    continue;
                }
            }
            if response_sent && !client.wants_write() && !server.wants_write() {
                break;
            }
        }
        assert!(
            response_sent,
            "{}: the TLS exchange did not complete",
            plan.name
        );
        TlsSession {
            conversation: Conversation {
                name: plan.name.clone(),
                transport: Transport::TCP,
                server_port: plan.port,
                turns,
                app: AppProto::Tls,
                auth: plan.auth,
            },
            keylog: keylog.text(),
            resumed: false,
            auth_with_keylog: plan.auth_with_keylog,
        }
    })
}

/// Moves everything `from` wants to write into `to`; returns the bytes (one TCP write).
fn transfer(from: &mut Connection, to: &mut Connection) -> Vec<u8> {
    let mut wire = Vec::new();
    while from.wants_write() {
        if from.write_tls(&mut wire).expect("write to a Vec") == 0 {
            break;
        }
    }
    let mut rd = wire.as_slice();
    while !rd.is_empty() {
        if to.read_tls(&mut rd).expect("read from a slice") == 0 {
            break;
        }
        to.process_new_packets()
            .expect("handshake between our own peers");
    }
    wire
}

fn client_config(pki: &Pki, plan: &Plan) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone()).expect("CA certificate");
    let builder = ClientConfig::builder_with_details(provider(), Arc::new(FixedTime))
        .with_protocol_versions(plan.versions)
        .expect("supported versions")
        .with_root_certificates(roots);
    let mut config = match plan.client_auth {
        ClientAuth::Required => builder
            .with_client_auth_cert(
                vec![pki.client.clone(), pki.ca.clone()],
                pki.client_key.clone_key(),
            )
            .expect("client certificate"),
        ClientAuth::None | ClientAuth::OptionalNotSent => builder.with_no_client_auth(),
    };
    config.alpn_protocols = plan.alpn.clone();
    config.resumption = Resumption::in_memory_sessions(8);
    Arc::new(config)
}

fn server_config(pki: &Pki, plan: &Plan) -> Arc<ServerConfig> {
    with_seed(plan.seed ^ 0x5e5e, || server_config_for(pki, plan))
}

fn server_config_for(pki: &Pki, plan: &Plan) -> Arc<ServerConfig> {
    let builder = ServerConfig::builder_with_details(provider(), Arc::new(FixedTime))
        .with_protocol_versions(plan.versions)
        .expect("supported versions");
    let builder = match plan.client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Required | ClientAuth::OptionalNotSent => {
            let mut roots = RootCertStore::empty();
            roots.add(pki.ca.clone()).expect("CA certificate");
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider());
            let verifier = if plan.client_auth == ClientAuth::OptionalNotSent {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build().expect("client verifier"))
        }
    };
    let mut config = builder
        .with_single_cert(
            vec![pki.server.clone(), pki.ca.clone()],
            pki.server_key.clone_key(),
        )
        .expect("server certificate");
    config.alpn_protocols = plan.alpn.iter().take(1).cloned().collect();
    config.send_tls13_tickets = 1;
    Arc::new(config)
}

/// The certificates: a CA, a server leaf for [`SERVER_NAME`] and a workload client leaf.
struct Pki {
    ca: CertificateDer<'static>,
    server: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
    client: CertificateDer<'static>,
    client_key: PrivateKeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let ca_key = ed25519_key(0xca);
        let mut ca = params("Segscope Test CA", 1);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let server_key = ed25519_key(0x5e);
        let mut server = params(SERVER_NAME, 2);
        server.subject_alt_names = vec![
            SanType::DnsName(SERVER_NAME.try_into().expect("DNS name")),
            SanType::DnsName(MESH_SNI.try_into().expect("DNS name")),
        ];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server
            .signed_by(&server_key, &issuer)
            .expect("server certificate");

        let client_key = ed25519_key(0xc1);
        let mut client = params(CLIENT_CN, 3);
        client.subject_alt_names = vec![
            SanType::URI(CLIENT_SPIFFE_ID.try_into().expect("URI")),
            SanType::DnsName(CLIENT_CN.try_into().expect("DNS name")),
        ];
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client
            .signed_by(&client_key, &issuer)
            .expect("client certificate");

        Pki {
            ca: ca_cert.der().clone(),
            server: server_cert.der().clone(),
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
            client: client_cert.der().clone(),
            client_key: PrivatePkcs8KeyDer::from(client_key.serialize_der()).into(),
        }
    }
}

fn params(cn: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Segscope Test");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.serial_number = Some(SerialNumber::from(serial));
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2044, 1, 1);
    p
}

/// An Ed25519 key from a fixed seed (PKCS#8 v1: RFC 8410 §7 prefix followed by the seed).
fn ed25519_key(seed: u8) -> KeyPair {
    const PKCS8_V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PKCS8_V1_PREFIX.to_vec();
    der.extend((0..32u8).map(|i| seed.wrapping_mul(31).wrapping_add(i)));
    KeyPair::try_from(der).expect("Ed25519 PKCS#8 key")
}

/// rustls' ring provider with deterministic randomness and key exchange.
fn provider() -> Arc<CryptoProvider> {
    static X25519: &dyn SupportedKxGroup = &SeededX25519;
    Arc::new(CryptoProvider {
        kx_groups: vec![X25519],
        secure_random: &SeededRandom,
        ..rustls::crypto::ring::default_provider()
    })
}

/// Certificate validity is checked against this instant (2025-01-01T00:00:00Z).
#[derive(Debug)]
struct FixedTime;

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            1_735_689_600,
        )))
    }
}

thread_local! {
    static RNG_STATE: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` with the thread's random stream seeded by `seed` (the handshakes run on the calling
/// thread, so parallel tests do not disturb each other).
fn with_seed<T>(seed: u64, f: impl FnOnce() -> T) -> T {
    let saved = RNG_STATE.with(|s| s.replace(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let out = f();
    RNG_STATE.with(|s| s.set(saved));
    out
}

/// SplitMix64: a tiny, well-known generator. Not secure, and not meant to be: the handshakes
/// are test data.
fn next_random() -> u64 {
    RNG_STATE.with(|s| {
        let v = s.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.set(v);
        let mut z = v;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

#[derive(Debug)]
struct SeededRandom;

impl SecureRandom for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        for chunk in buf.chunks_mut(8) {
            let v = next_random().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

/// X25519 whose private keys come from the seeded stream.
#[derive(Debug)]
struct SeededX25519;

impl SupportedKxGroup for SeededX25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let mut private = [0u8; 32];
        SeededRandom
            .fill(&mut private)
            .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        let public = x25519_dalek::x25519(private, x25519_dalek::X25519_BASEPOINT_BYTES);
        Ok(Box::new(X25519Exchange { private, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    private: [u8; 32],
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| rustls::Error::from(rustls::PeerMisbehaved::InvalidKeyShare))?;
        Ok(SharedSecret::from(
            &x25519_dalek::x25519(self.private, peer)[..],
        ))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// Collects key-log lines in the SSLKEYLOGFILE format.
#[derive(Debug, Default)]
struct CollectedKeyLog {
    lines: Mutex<String>,
}

impl CollectedKeyLog {
    fn text(&self) -> String {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl rustls::KeyLog for CollectedKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Ok(mut l) = self.lines.lock() {
            l.push_str(&format!(
                "{label} {} {}\n",
                hex_lower(client_random),
                hex_lower(secret)
            ));
        }
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_deterministic_and_complete() {
        let a = sessions();
        let b = sessions();
        assert_eq!(a, b, "two builds must produce the same bytes");
        assert!(a.len() >= 13);
        for s in &a {
            let (c, _) = s.conversation.side(true);
            let (srv, _) = s.conversation.side(false);
            assert_eq!(
                c.first(),
                Some(&0x16),
                "{}: ClientHello record",
                s.conversation.name
            );
            assert_eq!(
                srv.first(),
                Some(&0x16),
                "{}: ServerHello record",
                s.conversation.name
            );
        }
        let tls13 = a
            .iter()
            .find(|s| s.conversation.name == "tls13-mtls")
            .expect("tls13-mtls");
        assert!(tls13.keylog.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
        assert!(tls13.keylog.contains("SERVER_HANDSHAKE_TRAFFIC_SECRET "));
    }
}
