//! Conversations of the cleartext protocol family, byte-exact from the protocol specifications
//! (RFC 9110 HTTP/1.1, RFC 9113/7541 HTTP/2 and HPACK, RFC 959/4217 FTP, RFC 5321/4954/3207
//! SMTP, RFC 1939/2595 POP3, RFC 9051 IMAP, RFC 6120 XMPP, RFC 2812 IRC, RFC 854 telnet,
//! RFC 1282 rlogin, RFC 1350 TFTP, the PostgreSQL, MySQL, MS-TDS, MongoDB, RESP and memcached
//! protocol documentation, MQTT 3.1.1, RFC 6143 RFB, HP PJL, MS-NLMP NTLMSSP).
//!
//! SNMP messages are encoded with a real BER encoder (`rasn` with the `rasn-snmp` RFC 1157/3416/
//! 3412/3414 types). In-band TLS upgrades (STARTTLS, `AUTH TLS`, SSLRequest, `CLIENT_SSL`) carry
//! real TLS handshakes made by rustls (the TLS family's [`super::tls::sessions`]), and their
//! label is the label of the spliced TLS session. NTLMSSP messages have the exact MS-NLMP layout;
//! their cryptographic fields (challenge, NTProofStr, session key) are fixed bytes, which a
//! passive observer cannot tell from real ones. Everything is deterministic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rasn_snmp::{v1, v2, v2c, v3};
use segscope_core::{AppProto, AuthClass, Transport};

use super::tls::{TlsSession, sessions};
use super::{Conversation, Turn};

/// The verdict the classifier gives challenge-response authentication without a secret in
/// clear (SCRAM, SNMPv3 authNoPriv): see `segscope_proto::cleartext::CHALLENGE_RESPONSE_CLASS`.
pub const CHALLENGE_RESPONSE_CLASS: AuthClass = AuthClass::Ntlm;

/// Every labelled cleartext conversation.
pub fn conversations() -> Vec<Conversation> {
    let tls = sessions();
    let mut v = Vec::new();
    v.extend(http());
    v.extend(ftp(&tls));
    v.extend(mail(&tls));
    v.extend(chat(&tls));
    v.extend(shells());
    v.extend(databases(&tls));
    v.extend(misc());
    v.extend(snmp());
    v
}

pub(crate) fn c(bytes: impl AsRef<[u8]>) -> Turn {
    Turn {
        from_client: true,
        bytes: bytes.as_ref().to_vec(),
    }
}

pub(crate) fn s(bytes: impl AsRef<[u8]>) -> Turn {
    Turn {
        from_client: false,
        bytes: bytes.as_ref().to_vec(),
    }
}

pub(crate) fn conv(
    name: &str,
    transport: Transport,
    port: u16,
    app: AppProto,
    auth: AuthClass,
    turns: Vec<Turn>,
) -> Conversation {
    Conversation {
        name: name.to_owned(),
        transport,
        server_port: port,
        turns,
        app,
        auth,
    }
}

fn tcp(name: &str, port: u16, app: AppProto, auth: AuthClass, turns: Vec<Turn>) -> Conversation {
    conv(name, Transport::TCP, port, app, auth, turns)
}

fn b64(b: impl AsRef<[u8]>) -> String {
    STANDARD.encode(b)
}

/// The turns and label of one TLS session by name (not resumed), for in-band upgrades.
fn tls_tail(sessions: &[TlsSession], name: &str) -> Option<(Vec<Turn>, AuthClass)> {
    sessions
        .iter()
        .find(|s| s.conversation.name == name && !s.resumed)
        .map(|s| (s.conversation.turns.clone(), s.conversation.auth))
}

/// A cleartext prelude followed by a TLS session.
fn upgraded(
    name: &str,
    port: u16,
    app: AppProto,
    prelude: Vec<Turn>,
    tls: Option<(Vec<Turn>, AuthClass)>,
) -> Option<Conversation> {
    let (tail, auth) = tls?;
    let mut turns = prelude;
    turns.extend(tail);
    Some(tcp(name, port, app, auth, turns))
}

// ---------------------------------------------------------------- HTTP

fn response(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn http() -> Vec<Conversation> {
    let ok = response(
        "200 OK",
        "Content-Type: text/html\r\n",
        "<html>hello</html>",
    );
    let mut v = vec![
        tcp(
            "http-get-unauthenticated",
            80,
            AppProto::Http,
            AuthClass::CleartextUnauthenticated,
            vec![
                c(
                    "GET /index.html?session=abc HTTP/1.1\r\nHost: intranet.example\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
                ),
                s(&ok),
            ],
        ),
        tcp(
            "http-cleartext-on-443",
            443,
            AppProto::Http,
            AuthClass::CleartextUnauthenticated,
            vec![
                c("GET /status HTTP/1.1\r\nHost: app.example\r\n\r\n"),
                s(&ok),
            ],
        ),
        tcp(
            "http-basic-auth",
            8000,
            AppProto::Http,
            AuthClass::CleartextCredentials,
            vec![
                c(format!(
                    "GET /admin HTTP/1.1\r\nHost: admin.example:8000\r\nAuthorization: Basic {}\r\n\r\n",
                    b64("alice:s3cr3t:pw")
                )),
                s(&ok),
            ],
        ),
        tcp(
            "http-form-login",
            80,
            AppProto::Http,
            AuthClass::CleartextCredentials,
            vec![
                c({
                    let body = "username=admin&password=password&Login=Login";
                    format!(
                        "POST /dvwa/login.php HTTP/1.1\r\nHost: dvwa.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                }),
                s("HTTP/1.1 302 Found\r\nLocation: index.php\r\nContent-Length: 0\r\n\r\n"),
            ],
        ),
        tcp(
            "http-json-login",
            8080,
            AppProto::Http,
            AuthClass::CleartextCredentials,
            vec![
                c({
                    let body = r#"{"email":"ops@example.com","password":"hunter2"}"#;
                    format!(
                        "POST /api/session HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                }),
                s(response(
                    "201 Created",
                    "Content-Type: application/json\r\n",
                    r#"{"ok":true}"#,
                )),
            ],
        ),
        tcp(
            "http-bearer-token",
            8080,
            AppProto::Http,
            AuthClass::CleartextCredentials,
            vec![
                c(
                    "GET /v1/orders HTTP/1.1\r\nHost: orders.example\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.sig\r\n\r\n",
                ),
                s(response(
                    "200 OK",
                    "Content-Type: application/json\r\n",
                    "[]",
                )),
            ],
        ),
        tcp(
            "http-digest-auth",
            80,
            AppProto::Http,
            AuthClass::CleartextCredentials,
            vec![
                c("GET /private/ HTTP/1.1\r\nHost: files.example\r\n\r\n"),
                s(response(
                    "401 Unauthorized",
                    "WWW-Authenticate: Digest realm=\"files\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n",
                    "",
                )),
                c(
                    "GET /private/ HTTP/1.1\r\nHost: files.example\r\nAuthorization: Digest username=\"bob\", realm=\"files\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/private/\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n\r\n",
                ),
                s(&ok),
            ],
        ),
        tcp(
            "elasticsearch-rest-unauthenticated",
            9200,
            AppProto::Elasticsearch,
            AuthClass::CleartextUnauthenticated,
            vec![
                c("GET /_cluster/health HTTP/1.1\r\nHost: es01:9200\r\n\r\n"),
                s(response(
                    "200 OK",
                    "Content-Type: application/json\r\nX-elastic-product: Elasticsearch\r\n",
                    r#"{"cluster_name":"logs","status":"green"}"#,
                )),
            ],
        ),
        tcp(
            "elasticsearch-banner-unauthenticated",
            9200,
            AppProto::Elasticsearch,
            AuthClass::CleartextUnauthenticated,
            vec![
                c("GET / HTTP/1.1\r\nHost: es01:9200\r\n\r\n"),
                s(response(
                    "200 OK",
                    "Content-Type: application/json\r\n",
                    "{\n  \"name\" : \"es01\",\n  \"cluster_name\" : \"logs\",\n  \"tagline\" : \"You Know, for Search\"\n}\n",
                )),
            ],
        ),
        http2(false),
        http2(true),
    ];
    v.push(ntlm_over_http(
        "winrm-ntlm",
        5985,
        AppProto::Winrm,
        "Negotiate",
        "/wsman",
    ));
    v.push(ntlm_over_http(
        "http-ntlm-iis",
        80,
        AppProto::Http,
        "NTLM",
        "/intranet/",
    ));
    v
}

/// An HTTP/2 prior-knowledge connection: preface, SETTINGS, one HEADERS frame (HPACK).
fn http2(with_authorization: bool) -> Conversation {
    let mut block = vec![0x82, 0x86, 0x84]; // :method GET, :scheme http, :path /
    block.push(0x41); // :authority, literal with incremental indexing, static name 1
    block.push(11);
    block.extend_from_slice(b"api.example");
    if with_authorization {
        let value = b"Bearer 0123456789abcdef";
        block.push(0x40 | 23); // authorization, static name 23
        block.push(value.len() as u8);
        block.extend_from_slice(value);
    }
    let frame = |kind: u8, flags: u8, stream: u32, payload: &[u8]| {
        let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        f.extend_from_slice(&[kind, flags]);
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    };
    let mut client = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    client.extend(frame(0x4, 0, 0, &[0, 3, 0, 0, 0, 100]));
    client.extend(frame(0x1, 0x05, 1, &block));
    let server = frame(0x4, 0, 0, &[]);
    let (name, auth) = if with_authorization {
        (
            "http2-prior-knowledge-bearer",
            AuthClass::CleartextCredentials,
        )
    } else {
        (
            "http2-prior-knowledge-unauthenticated",
            AuthClass::CleartextUnauthenticated,
        )
    };
    tcp(name, 80, AppProto::Http2, auth, vec![c(client), s(server)])
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Appends an MS-NLMP (len, maxlen, offset) field header for `data` placed at `offset`.
fn field(header: &mut Vec<u8>, data: &[u8], offset: usize) {
    header.extend_from_slice(&(data.len() as u16).to_le_bytes());
    header.extend_from_slice(&(data.len() as u16).to_le_bytes());
    header.extend_from_slice(&(offset as u32).to_le_bytes());
}

const NTLM_FLAGS: u32 = 0xe288_8215;
const NTLM_VERSION: [u8; 8] = [10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f];

/// NTLMSSP NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
pub fn ntlm_negotiate() -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&NTLM_FLAGS.to_le_bytes());
    field(&mut m, &[], 0);
    field(&mut m, &[], 0);
    m.extend_from_slice(&NTLM_VERSION);
    m
}

fn av_pairs() -> Vec<u8> {
    let mut t = Vec::new();
    let mut pair = |id: u16, value: &[u8]| {
        t.extend_from_slice(&id.to_le_bytes());
        t.extend_from_slice(&(value.len() as u16).to_le_bytes());
        t.extend_from_slice(value);
    };
    pair(2, &utf16("CONTOSO"));
    pair(1, &utf16("WEB01"));
    pair(4, &utf16("contoso.local"));
    pair(3, &utf16("web01.contoso.local"));
    pair(7, &[0x00, 0x4c, 0x2d, 0x1e, 0x7b, 0x3a, 0xda, 0x01]);
    pair(0, &[]);
    t
}

/// NTLMSSP CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
pub fn ntlm_challenge() -> Vec<u8> {
    let target = utf16("CONTOSO");
    let info = av_pairs();
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&2u32.to_le_bytes());
    field(&mut m, &target, 56);
    m.extend_from_slice(&NTLM_FLAGS.to_le_bytes());
    m.extend_from_slice(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    m.extend_from_slice(&[0; 8]);
    field(&mut m, &info, 56 + target.len());
    m.extend_from_slice(&NTLM_VERSION);
    m.extend_from_slice(&target);
    m.extend_from_slice(&info);
    m
}

/// NTLMSSP AUTHENTICATE_MESSAGE with an NTLMv2 response (MS-NLMP 2.2.1.3, 2.2.2.8).
pub fn ntlm_authenticate(domain: &str, user: &str, workstation: &str) -> Vec<u8> {
    let lm = [0u8; 24];
    let mut nt = vec![
        0x5d, 0x8e, 0x11, 0x3c, 0x0e, 0x91, 0x4a, 0x7f, 0x62, 0x9b, 0x38, 0xd4, 0xc1, 0x07, 0xe6,
        0xa5,
    ];
    nt.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    nt.extend_from_slice(&[0x00, 0x4c, 0x2d, 0x1e, 0x7b, 0x3a, 0xda, 0x01]);
    nt.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44]);
    nt.extend_from_slice(&[0; 4]);
    nt.extend_from_slice(&av_pairs());
    nt.extend_from_slice(&[0; 4]);
    let (d, u, w) = (utf16(domain), utf16(user), utf16(workstation));
    let key = [0x42u8; 16];
    let mut offset = 88;
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    let mut payload = Vec::new();
    for part in [&lm[..], &nt, &d, &u, &w, &key] {
        field(&mut m, part, offset);
        offset += part.len();
        payload.extend_from_slice(part);
    }
    m.extend_from_slice(&NTLM_FLAGS.to_le_bytes());
    m.extend_from_slice(&NTLM_VERSION);
    m.extend_from_slice(&[0x17; 16]); // MIC
    m.extend_from_slice(&payload);
    m
}

/// An NTLM handshake over HTTP: NEGOTIATE, 401 with CHALLENGE, AUTHENTICATE, 200.
fn ntlm_over_http(name: &str, port: u16, app: AppProto, scheme: &str, path: &str) -> Conversation {
    let soap = app == AppProto::Winrm;
    let ctype = if soap {
        "Content-Type: application/soap+xml;charset=UTF-8\r\n"
    } else {
        ""
    };
    let method = if soap { "POST" } else { "GET" };
    let body = if soap {
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>"
    } else {
        ""
    };
    let request = |token: &[u8]| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: web01.contoso.local:{port}\r\nUser-Agent: Microsoft WinRM Client\r\n{ctype}Authorization: {scheme} {}\r\nContent-Length: {}\r\n\r\n{body}",
            b64(token),
            body.len()
        )
    };
    tcp(
        name,
        port,
        app,
        AuthClass::Ntlm,
        vec![
            c(request(&ntlm_negotiate())),
            s(format!(
                "HTTP/1.1 401 \r\nWWW-Authenticate: {scheme} {}\r\nContent-Length: 0\r\n\r\n",
                b64(ntlm_challenge())
            )),
            c(request(&ntlm_authenticate("CONTOSO", "alice", "WS01"))),
            s(response("200 OK", ctype, body)),
        ],
    )
}

// ---------------------------------------------------------------- FTP

fn ftp(tls: &[TlsSession]) -> Vec<Conversation> {
    let login = |user: &str, pass: &str| {
        vec![
            s("220 (vsFTPd 3.0.5)\r\n"),
            c(format!("USER {user}\r\n")),
            s("331 Please specify the password.\r\n"),
            c(format!("PASS {pass}\r\n")),
            s("230 Login successful.\r\n"),
            c("SYST\r\n"),
            s("215 UNIX Type: L8\r\n"),
            c("QUIT\r\n"),
            s("221 Goodbye.\r\n"),
        ]
    };
    let mut v = vec![
        tcp(
            "ftp-user-pass",
            21,
            AppProto::Ftp,
            AuthClass::CleartextCredentials,
            login("bob", "Tr0ub4dor&3"),
        ),
        tcp(
            "ftp-anonymous",
            21,
            AppProto::Ftp,
            AuthClass::CleartextCredentials,
            login("anonymous", "guest@example.com"),
        ),
        conv(
            "ftp-active-data-connection",
            Transport::TCP,
            20,
            AppProto::FtpData,
            AuthClass::CleartextUnauthenticated,
            vec![s(
                "-rw-r--r--    1 1000     1000         1024 Jan 01 00:00 report.csv\r\n",
            )],
        ),
    ];
    v.extend(upgraded(
        "ftp-auth-tls",
        21,
        AppProto::Ftp,
        vec![
            s("220 ProFTPD Server ready.\r\n"),
            c("FEAT\r\n"),
            s("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"),
            c("AUTH TLS\r\n"),
            s("234 AUTH TLS successful\r\n"),
        ],
        tls_tail(tls, "tls12-server-only"),
    ));
    v
}

// ---------------------------------------------------------------- mail

fn mail(tls: &[TlsSession]) -> Vec<Conversation> {
    let ehlo = vec![
        s("220 mail.example ESMTP Postfix\r\n"),
        c("EHLO client.example\r\n"),
        s(
            "250-mail.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
        ),
    ];
    let with = |mut head: Vec<Turn>, tail: Vec<Turn>| {
        head.extend(tail);
        head
    };
    let mut v = vec![
        tcp(
            "smtp-auth-plain",
            587,
            AppProto::Smtp,
            AuthClass::CleartextCredentials,
            with(
                ehlo.clone(),
                vec![
                    c(format!("AUTH PLAIN {}\r\n", b64("\0carol\0winter-2024"))),
                    s("235 2.7.0 Authentication successful\r\n"),
                    c("QUIT\r\n"),
                    s("221 2.0.0 Bye\r\n"),
                ],
            ),
        ),
        tcp(
            "smtp-auth-login",
            587,
            AppProto::Smtp,
            AuthClass::CleartextCredentials,
            with(
                ehlo.clone(),
                vec![
                    c("AUTH LOGIN\r\n"),
                    s("334 VXNlcm5hbWU6\r\n"),
                    c(format!("{}\r\n", b64("carol"))),
                    s("334 UGFzc3dvcmQ6\r\n"),
                    c(format!("{}\r\n", b64("winter-2024"))),
                    s("235 2.7.0 Authentication successful\r\n"),
                ],
            ),
        ),
        tcp(
            "smtp-relay-unauthenticated",
            25,
            AppProto::Smtp,
            AuthClass::CleartextUnauthenticated,
            with(
                ehlo.clone(),
                vec![
                    c("MAIL FROM:<a@example.com>\r\n"),
                    s("250 2.1.0 Ok\r\n"),
                    c("RCPT TO:<b@example.net>\r\n"),
                    s("250 2.1.5 Ok\r\n"),
                    c("DATA\r\n"),
                    s("354 End data with <CR><LF>.<CR><LF>\r\n"),
                    c("Subject: hi\r\n\r\nAUTH PLAIN is just text here.\r\n.\r\n"),
                    s("250 2.0.0 Ok: queued\r\n"),
                    c("QUIT\r\n"),
                    s("221 2.0.0 Bye\r\n"),
                ],
            ),
        ),
        tcp(
            "pop3-user-pass",
            110,
            AppProto::Pop3,
            AuthClass::CleartextCredentials,
            vec![
                s("+OK Dovecot ready.\r\n"),
                c("USER dave\r\n"),
                s("+OK\r\n"),
                c("PASS correct-horse\r\n"),
                s("+OK Logged in.\r\n"),
                c("STAT\r\n"),
                s("+OK 2 320\r\n"),
            ],
        ),
        tcp(
            "pop3-apop",
            110,
            AppProto::Pop3,
            AuthClass::CleartextCredentials,
            vec![
                s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
                c("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
                s("+OK maildrop has 1 message (369 octets)\r\n"),
            ],
        ),
        tcp(
            "imap-login",
            143,
            AppProto::Imap,
            AuthClass::CleartextCredentials,
            vec![
                s("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"),
                c("a001 LOGIN erin \"p@ss word\"\r\n"),
                s("a001 OK Logged in\r\n"),
                c("a002 SELECT INBOX\r\n"),
                s("* 3 EXISTS\r\na002 OK [READ-WRITE] Select completed.\r\n"),
            ],
        ),
        tcp(
            "imap-authenticate-plain",
            143,
            AppProto::Imap,
            AuthClass::CleartextCredentials,
            vec![
                s("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n"),
                c(format!(
                    "a1 AUTHENTICATE PLAIN {}\r\n",
                    b64("\0erin\0hunter22")
                )),
                s("a1 OK Logged in\r\n"),
            ],
        ),
    ];
    v.extend(upgraded(
        "smtp-starttls",
        25,
        AppProto::Smtp,
        with(
            ehlo,
            vec![c("STARTTLS\r\n"), s("220 2.0.0 Ready to start TLS\r\n")],
        ),
        tls_tail(tls, "tls13-server-only"),
    ));
    v.extend(upgraded(
        "pop3-stls",
        110,
        AppProto::Pop3,
        vec![
            s("+OK ready\r\n"),
            c("CAPA\r\n"),
            s("+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
            c("STLS\r\n"),
            s("+OK Begin TLS\r\n"),
        ],
        tls_tail(tls, "tls12-cert-requested-empty"),
    ));
    v.extend(upgraded(
        "imap-starttls",
        143,
        AppProto::Imap,
        vec![
            s("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
            c("a1 STARTTLS\r\n"),
            s("a1 OK Begin TLS negotiation now\r\n"),
        ],
        tls_tail(tls, "tls12-mtls-spiffe"),
    ));
    v
}

// ---------------------------------------------------------------- chat

fn chat(tls: &[TlsSession]) -> Vec<Conversation> {
    let stream_open = "<?xml version='1.0'?><stream:stream to='chat.example' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    let stream_reply = "<?xml version='1.0'?><stream:stream from='chat.example' id='c2s_123' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    let mut v = vec![
        tcp(
            "xmpp-sasl-plain",
            5222,
            AppProto::Xmpp,
            AuthClass::CleartextCredentials,
            vec![
                c(stream_open),
                s(format!(
                    "{stream_reply}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
                )),
                c(format!(
                    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
                    b64("\0juliet\0r0m30myr0m30")
                )),
                s("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            ],
        ),
        tcp(
            "irc-server-password",
            6667,
            AppProto::Irc,
            AuthClass::CleartextCredentials,
            vec![
                c("PASS letmein\r\nNICK frank\r\nUSER frank 0 * :Frank\r\n"),
                s(":irc.example 001 frank :Welcome to the network frank\r\n"),
            ],
        ),
        tcp(
            "irc-unauthenticated",
            6667,
            AppProto::Irc,
            AuthClass::CleartextUnauthenticated,
            vec![
                c("NICK grace\r\nUSER grace 0 * :Grace\r\n"),
                s(
                    ":irc.example NOTICE * :*** Looking up your hostname...\r\n:irc.example 001 grace :Welcome\r\n",
                ),
                c("JOIN #ops\r\n"),
            ],
        ),
    ];
    v.extend(upgraded(
        "xmpp-starttls",
        5222,
        AppProto::Xmpp,
        vec![
            c(stream_open),
            s(format!("{stream_reply}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")),
            c("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            s("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        ],
        tls_tail(tls, "tls12-mtls-spiffe"),
    ));
    v.extend(upgraded(
        "irc-starttls",
        6667,
        AppProto::Irc,
        vec![
            c("CAP LS 302\r\nSTARTTLS\r\n"),
            s(":irc.example CAP * LS :tls sasl\r\n:irc.example 670 * :STARTTLS successful, proceed with TLS handshake\r\n"),
        ],
        tls_tail(tls, "tls12-server-only"),
    ));
    v
}

// ---------------------------------------------------------------- remote shells, TFTP

fn shells() -> Vec<Conversation> {
    // Character-at-a-time telnet: every keystroke its own segment, echoed by the server (the
    // password is not echoed).
    let mut telnet = vec![
        s([
            0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27,
        ]),
        c([
            0xff, 0xfb, 0x18, 0xff, 0xfc, 0x20, 0xff, 0xfc, 0x23, 0xff, 0xfc, 0x27,
        ]),
        s([0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0]),
        c(b"\xff\xfa\x18\x00xterm-256color\xff\xf0"),
        s([0xff, 0xfb, 0x03, 0xff, 0xfd, 0x01, 0xff, 0xfb, 0x01]),
        c([0xff, 0xfd, 0x03, 0xff, 0xfc, 0x01, 0xff, 0xfd, 0x01]),
        s("Ubuntu 22.04.4 LTS\r\nweb01 login: "),
    ];
    for ch in "heidi".chars() {
        telnet.push(c(ch.to_string()));
        telnet.push(s(ch.to_string()));
    }
    telnet.push(c("\r\0"));
    telnet.push(s("\r\nPassword: "));
    for ch in "Sup3rSecret".chars() {
        telnet.push(c(ch.to_string()));
    }
    telnet.push(c("\r\0"));
    telnet.push(s(
        "\r\nLast login: Mon Jan  1 10:00:00 2024 from 10.1.1.10\r\nheidi@web01:~$ ",
    ));
    vec![
        tcp(
            "telnet-login",
            23,
            AppProto::Telnet,
            AuthClass::CleartextCredentials,
            telnet,
        ),
        tcp(
            "telnet-no-login",
            23,
            AppProto::Telnet,
            AuthClass::CleartextUnauthenticated,
            vec![
                s([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03]),
                c([0xff, 0xfd, 0x01, 0xff, 0xfd, 0x03]),
                s("\r\nSwitch console ready.\r\nswitch> "),
                c("show version\r\n"),
                s("show version\r\nFirmware 1.2.3\r\nswitch> "),
            ],
        ),
        tcp(
            "rlogin-rhosts",
            513,
            AppProto::Rlogin,
            AuthClass::CleartextCredentials,
            vec![
                c(b"\0ivan\0ivan\0xterm/38400\0"),
                s(b"\0"),
                s("Last login: today\r\n$ "),
                c("id\r"),
            ],
        ),
        tcp(
            "rsh-command",
            514,
            AppProto::Rsh,
            AuthClass::CleartextCredentials,
            vec![
                c(b"1021\0ivan\0root\0cat /etc/shadow\0"),
                s(b"\0root:*:19000:0:99999:7:::\n"),
            ],
        ),
        tcp(
            "rexec-password",
            512,
            AppProto::Rsh,
            AuthClass::CleartextCredentials,
            vec![
                c(b"0\0ivan\0rexec-secret\0uptime\0"),
                s(b"\0 10:00:00 up 1 day\n"),
            ],
        ),
        conv(
            "tftp-read-request",
            Transport::UDP,
            69,
            AppProto::Tftp,
            AuthClass::CleartextUnauthenticated,
            vec![c(b"\x00\x01pxelinux.0\x00octet\x00blksize\x001468\x00")],
        ),
    ]
}

// ---------------------------------------------------------------- databases and caches

fn pg_msg(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&((payload.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(payload);
    m
}

fn pg_startup(user: &str, db: &str) -> Vec<u8> {
    let params = format!("user\0{user}\0database\0{db}\0application_name\0psql\0\0");
    let mut m = ((params.len() + 8) as u32).to_be_bytes().to_vec();
    m.extend_from_slice(&0x0003_0000u32.to_be_bytes());
    m.extend_from_slice(params.as_bytes());
    m
}

fn pg_auth(code: u32, extra: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(extra);
    pg_msg(b'R', &p)
}

fn pg_ready() -> Vec<u8> {
    let mut m = pg_auth(0, &[]);
    m.extend(pg_msg(b'S', b"server_version\x0016.2\0"));
    m.extend(pg_msg(b'Z', b"I"));
    m
}

const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

fn postgres(tls: &[TlsSession]) -> Vec<Conversation> {
    let mut v = vec![
        tcp(
            "postgresql-cleartext-password",
            5432,
            AppProto::Postgresql,
            AuthClass::CleartextCredentials,
            vec![
                c(SSL_REQUEST),
                s(b"N"),
                c(pg_startup("judy", "shop")),
                s(pg_auth(3, &[])),
                c(pg_msg(b'p', b"pgpass-123\0")),
                s(pg_ready()),
            ],
        ),
        tcp(
            "postgresql-md5",
            5432,
            AppProto::Postgresql,
            AuthClass::CleartextCredentials,
            vec![
                c(pg_startup("judy", "shop")),
                s(pg_auth(5, &[0x93, 0x1a, 0x7c, 0x05])),
                c(pg_msg(b'p', b"md5a3556571e93b0d20722ba62be61e8c2d\0")),
                s(pg_ready()),
            ],
        ),
        tcp(
            "postgresql-scram-sha-256",
            5432,
            AppProto::Postgresql,
            CHALLENGE_RESPONSE_CLASS,
            vec![
                c(pg_startup("judy", "shop")),
                s(pg_auth(10, b"SCRAM-SHA-256\0\0")),
                c({
                    let first = b"n,,n=,r=rOprNGfwEbeRWgbNEkqO";
                    let mut p = b"SCRAM-SHA-256\0".to_vec();
                    p.extend_from_slice(&(first.len() as u32).to_be_bytes());
                    p.extend_from_slice(first);
                    pg_msg(b'p', &p)
                }),
                s(pg_auth(11, b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
                c(pg_msg(b'p', b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")),
                s([pg_auth(12, b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), pg_ready()].concat()),
            ],
        ),
        tcp(
            "postgresql-trust",
            5432,
            AppProto::Postgresql,
            AuthClass::CleartextUnauthenticated,
            vec![c(pg_startup("postgres", "postgres")), s(pg_ready())],
        ),
    ];
    v.extend(upgraded(
        "postgresql-sslrequest",
        5432,
        AppProto::Postgresql,
        vec![c(SSL_REQUEST), s(b"S")],
        tls_tail(tls, "tls13-server-only"),
    ));
    v
}

fn mysql_packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    p.push(seq);
    p.extend_from_slice(payload);
    p
}

fn mysql_greeting() -> Vec<u8> {
    let mut g = vec![10];
    g.extend_from_slice(b"8.0.36\0");
    g.extend_from_slice(&42u32.to_le_bytes());
    g.extend_from_slice(b"\x3a\x23\x3d\x4b\x43\x4a\x2e\x43");
    g.push(0);
    g.extend_from_slice(&0xffffu16.to_le_bytes());
    g.push(0xff);
    g.extend_from_slice(&2u16.to_le_bytes());
    g.extend_from_slice(&0xdfffu16.to_le_bytes());
    g.push(21);
    g.extend_from_slice(&[0; 10]);
    g.extend_from_slice(b"\x6f\x52\x4f\x6d\x2a\x30\x39\x67\x25\x5f\x21\x7a\0");
    g.extend_from_slice(b"mysql_native_password\0");
    mysql_packet(0, &g)
}

const CLIENT_BASE: u32 =
    0x0000_0001 | 0x0000_0200 | 0x0000_2000 | 0x0000_8000 | 0x0008_0000 | 0x0002_0000;

fn mysql(tls: &[TlsSession]) -> Vec<Conversation> {
    let mut resp = (CLIENT_BASE | 0x8).to_le_bytes().to_vec();
    resp.extend_from_slice(&16_777_216u32.to_le_bytes());
    resp.push(0x21);
    resp.extend_from_slice(&[0; 23]);
    resp.extend_from_slice(b"kim\0");
    resp.push(20);
    resp.extend_from_slice(&[
        0x9e, 0x1f, 0x44, 0x31, 0x05, 0xbc, 0x6a, 0x77, 0x20, 0x8d, 0xe2, 0x0b, 0x58, 0x3c, 0x4f,
        0x99, 0x12, 0xa4, 0x7e, 0x66,
    ]);
    resp.extend_from_slice(b"shop\0");
    resp.extend_from_slice(b"mysql_native_password\0");
    let ok = mysql_packet(2, &[0, 0, 0, 2, 0, 0, 0]);
    let mut ssl = (CLIENT_BASE | 0x800).to_le_bytes().to_vec();
    ssl.extend_from_slice(&16_777_216u32.to_le_bytes());
    ssl.push(0x21);
    ssl.extend_from_slice(&[0; 23]);
    let mut v = vec![tcp(
        "mysql-native-password",
        3306,
        AppProto::Mysql,
        AuthClass::CleartextCredentials,
        vec![s(mysql_greeting()), c(mysql_packet(1, &resp)), s(ok)],
    )];
    v.extend(upgraded(
        "mysql-client-ssl",
        3306,
        AppProto::Mysql,
        vec![s(mysql_greeting()), c(mysql_packet(1, &ssl))],
        tls_tail(tls, "tls12-cert-requested-empty"),
    ));
    v
}

fn tds(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![kind, 0x01];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    p
}

fn prelogin(encryption: u8) -> Vec<u8> {
    let mut p = Vec::new();
    for (token, offset, len) in [
        (0u8, 26u16, 6u16),
        (1, 32, 1),
        (2, 33, 1),
        (3, 34, 4),
        (4, 38, 1),
    ] {
        p.push(token);
        p.extend_from_slice(&offset.to_be_bytes());
        p.extend_from_slice(&len.to_be_bytes());
    }
    p.push(0xff);
    p.extend_from_slice(&[16, 0, 0x07, 0xd0, 0, 0]);
    p.push(encryption);
    p.push(0);
    p.extend_from_slice(&[0, 0, 0x12, 0x34]);
    p.push(0);
    p
}

fn login7(user: &str, password: &str) -> Vec<u8> {
    let obfuscate = |s: &str| -> Vec<u8> {
        utf16(s)
            .into_iter()
            .map(|b| b.rotate_right(4) ^ 0xa5)
            .collect()
    };
    let fields: [(Vec<u8>, usize); 9] = [
        (utf16("WS01"), 4),
        (utf16(user), user.chars().count()),
        (obfuscate(password), password.chars().count()),
        (utf16("sqlcmd"), 6),
        (utf16("db01"), 4),
        (Vec::new(), 0),
        (utf16("ODBC"), 4),
        (Vec::new(), 0),
        (utf16("master"), 6),
    ];
    let mut fixed = Vec::new();
    fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes());
    fixed.extend_from_slice(&4096u32.to_le_bytes());
    fixed.extend_from_slice(&7u32.to_le_bytes());
    fixed.extend_from_slice(&1234u32.to_le_bytes());
    fixed.extend_from_slice(&0u32.to_le_bytes());
    fixed.extend_from_slice(&[0xe0, 0x03, 0x00, 0x00]);
    fixed.extend_from_slice(&0u32.to_le_bytes());
    fixed.extend_from_slice(&0x0409u32.to_le_bytes());
    let mut data = Vec::new();
    let mut offset = 94usize;
    for (bytes, chars) in &fields {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&(*chars as u16).to_le_bytes());
        offset += bytes.len();
        data.extend_from_slice(bytes);
    }
    fixed.extend_from_slice(&[0x00, 0x50, 0x56, 0xa1, 0xb2, 0xc3]);
    for _ in 0..3 {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&0u16.to_le_bytes());
    }
    fixed.extend_from_slice(&0u32.to_le_bytes());
    let mut m = ((fixed.len() + 4 + data.len()) as u32)
        .to_le_bytes()
        .to_vec();
    m.extend_from_slice(&fixed);
    m.extend_from_slice(&data);
    m
}

fn mssql() -> Vec<Conversation> {
    vec![tcp(
        "mssql-login7-cleartext",
        1433,
        AppProto::Mssql,
        AuthClass::CleartextCredentials,
        vec![
            c(tds(0x12, &prelogin(2))),
            s(tds(0x04, &prelogin(2))),
            c(tds(0x10, &login7("sa", "Passw0rd!"))),
            s(tds(0x04, &[0xad, 0x36, 0x00, 0x01, 0x74, 0x00, 0x00, 0x04])),
        ],
    )]
}

/// A BSON document from raw elements.
fn bson(elements: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = elements.concat();
    let mut d = ((body.len() + 5) as u32).to_le_bytes().to_vec();
    d.extend_from_slice(&body);
    d.push(0);
    d
}

fn bson_el(kind: u8, key: &str, value: &[u8]) -> Vec<u8> {
    let mut e = vec![kind];
    e.extend_from_slice(key.as_bytes());
    e.push(0);
    e.extend_from_slice(value);
    e
}

fn bson_str(key: &str, v: &str) -> Vec<u8> {
    let mut val = ((v.len() + 1) as u32).to_le_bytes().to_vec();
    val.extend_from_slice(v.as_bytes());
    val.push(0);
    bson_el(0x02, key, &val)
}

fn bson_i32(key: &str, v: i32) -> Vec<u8> {
    bson_el(0x10, key, &v.to_le_bytes())
}

fn bson_bin(key: &str, v: &[u8]) -> Vec<u8> {
    let mut val = (v.len() as u32).to_le_bytes().to_vec();
    val.push(0);
    val.extend_from_slice(v);
    bson_el(0x05, key, &val)
}

fn op_msg(request_id: u32, response_to: u32, doc: &[u8]) -> Vec<u8> {
    let mut body = 0u32.to_le_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(doc);
    let mut m = ((body.len() + 16) as u32).to_le_bytes().to_vec();
    m.extend_from_slice(&request_id.to_le_bytes());
    m.extend_from_slice(&response_to.to_le_bytes());
    m.extend_from_slice(&2013u32.to_le_bytes());
    m.extend_from_slice(&body);
    m
}

fn mongodb() -> Vec<Conversation> {
    let hello = bson(&[bson_i32("hello", 1), bson_str("$db", "admin")]);
    let hello_reply = bson(&[
        bson_el(0x08, "isWritablePrimary", &[1]),
        bson_i32("maxWireVersion", 21),
        bson_el(0x01, "ok", &1f64.to_le_bytes()),
    ]);
    let find = bson(&[bson_str("find", "orders"), bson_str("$db", "shop")]);
    let ok = bson(&[bson_el(0x01, "ok", &1f64.to_le_bytes())]);
    let sasl = |mech: &str, payload: &[u8]| {
        bson(&[
            bson_i32("saslStart", 1),
            bson_str("mechanism", mech),
            bson_bin("payload", payload),
            bson_str("$db", "admin"),
        ])
    };
    vec![
        tcp(
            "mongodb-unauthenticated",
            27017,
            AppProto::Mongodb,
            AuthClass::CleartextUnauthenticated,
            vec![
                c(op_msg(1, 0, &hello)),
                s(op_msg(100, 1, &hello_reply)),
                c(op_msg(2, 0, &find)),
                s(op_msg(101, 2, &ok)),
            ],
        ),
        tcp(
            "mongodb-scram-sha-256",
            27017,
            AppProto::Mongodb,
            CHALLENGE_RESPONSE_CLASS,
            vec![
                c(op_msg(1, 0, &hello)),
                s(op_msg(100, 1, &hello_reply)),
                c(op_msg(
                    2,
                    0,
                    &sasl("SCRAM-SHA-256", b"n,,n=app,r=rOprNGfwEbeRWgbNEkqO"),
                )),
                s(op_msg(101, 2, &ok)),
            ],
        ),
        tcp(
            "mongodb-sasl-plain",
            27017,
            AppProto::Mongodb,
            AuthClass::CleartextCredentials,
            vec![
                c(op_msg(1, 0, &sasl("PLAIN", b"\0ldapuser\0ldap-secret"))),
                s(op_msg(100, 1, &ok)),
            ],
        ),
    ]
}

fn resp(args: &[&str]) -> String {
    let mut s = format!("*{}\r\n", args.len());
    for a in args {
        s.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s
}

fn caches() -> Vec<Conversation> {
    let mc_bin = |magic: u8, op: u8, key: &[u8], value: &[u8]| {
        let mut p = vec![magic, op];
        p.extend_from_slice(&(key.len() as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(&((key.len() + value.len()) as u32).to_be_bytes());
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(key);
        p.extend_from_slice(value);
        p
    };
    vec![
        tcp(
            "redis-auth",
            6379,
            AppProto::Redis,
            AuthClass::CleartextCredentials,
            vec![
                c(resp(&["AUTH", "redis-pass-9"])),
                s("+OK\r\n"),
                c(resp(&["GET", "session:42"])),
                s("$5\r\nvalue\r\n"),
            ],
        ),
        tcp(
            "redis-acl-auth",
            6379,
            AppProto::Redis,
            AuthClass::CleartextCredentials,
            vec![c(resp(&["AUTH", "cache-user", "acl-pass"])), s("+OK\r\n")],
        ),
        tcp(
            "redis-unauthenticated",
            6379,
            AppProto::Redis,
            AuthClass::CleartextUnauthenticated,
            vec![
                c(resp(&["SET", "k", "v"])),
                s("+OK\r\n"),
                c(resp(&["KEYS", "*"])),
                s("*1\r\n$1\r\nk\r\n"),
            ],
        ),
        tcp(
            "redis-inline-ping",
            6379,
            AppProto::Redis,
            AuthClass::CleartextUnauthenticated,
            vec![c("PING\r\n"), s("+PONG\r\n")],
        ),
        tcp(
            "memcached-text-unauthenticated",
            11211,
            AppProto::Memcached,
            AuthClass::CleartextUnauthenticated,
            vec![
                c("set greeting 0 0 5\r\nhello\r\n"),
                s("STORED\r\n"),
                c("get greeting\r\n"),
                s("VALUE greeting 0 5\r\nhello\r\nEND\r\n"),
            ],
        ),
        tcp(
            "memcached-binary-sasl-plain",
            11211,
            AppProto::Memcached,
            AuthClass::CleartextCredentials,
            vec![
                c(mc_bin(0x80, 0x20, b"", b"")),
                s(mc_bin(0x81, 0x20, b"", b"PLAIN")),
                c(mc_bin(0x80, 0x21, b"PLAIN", b"\0cacheapp\0mc-secret")),
                s(mc_bin(0x81, 0x21, b"", b"Authenticated")),
            ],
        ),
    ]
}

fn databases(tls: &[TlsSession]) -> Vec<Conversation> {
    let mut v = postgres(tls);
    v.extend(mysql(tls));
    v.extend(mssql());
    v.extend(mongodb());
    v.extend(caches());
    v
}

// ---------------------------------------------------------------- MQTT, VNC, printing

fn mqtt_connect(user: Option<&str>, password: Option<&str>) -> Vec<u8> {
    let mut flags = 0x02u8;
    let mut payload = Vec::new();
    let mut string = |b: &[u8]| {
        payload.extend_from_slice(&(b.len() as u16).to_be_bytes());
        payload.extend_from_slice(b);
    };
    string(b"sensor-17");
    if let Some(u) = user {
        flags |= 0x80;
        string(u.as_bytes());
    }
    if let Some(p) = password {
        flags |= 0x40;
        string(p.as_bytes());
    }
    let mut var = vec![0, 4];
    var.extend_from_slice(b"MQTT");
    var.extend_from_slice(&[4, flags, 0, 60]);
    var.extend_from_slice(&payload);
    let mut p = vec![0x10, var.len() as u8];
    p.extend_from_slice(&var);
    p
}

fn misc() -> Vec<Conversation> {
    let rfb = "RFB 003.008\n";
    vec![
        tcp(
            "mqtt-password",
            1883,
            AppProto::Mqtt,
            AuthClass::CleartextCredentials,
            vec![
                c(mqtt_connect(Some("telemetry"), Some("mqtt-pass"))),
                s([0x20, 0x02, 0x00, 0x00]),
            ],
        ),
        tcp(
            "mqtt-anonymous",
            1883,
            AppProto::Mqtt,
            AuthClass::CleartextUnauthenticated,
            vec![c(mqtt_connect(None, None)), s([0x20, 0x02, 0x00, 0x00])],
        ),
        tcp(
            "vnc-no-authentication",
            5900,
            AppProto::Vnc,
            AuthClass::CleartextUnauthenticated,
            vec![s(rfb), c(rfb), s([1, 1]), c([1]), s([0, 0, 0, 0]), c([1])],
        ),
        tcp(
            "vnc-authentication",
            5900,
            AppProto::Vnc,
            AuthClass::CleartextCredentials,
            vec![
                s(rfb),
                c(rfb),
                s([2, 1, 2]),
                c([2]),
                s([
                    0x5a, 0x1b, 0x9c, 0x03, 0x7d, 0xe2, 0x44, 0x10, 0x8f, 0x66, 0x2e, 0xb1, 0x03,
                    0xc9, 0x75, 0x0d,
                ]),
                c([
                    0x91, 0x0e, 0x3a, 0x6b, 0x2f, 0xd4, 0x58, 0x87, 0x1c, 0xe0, 0x4b, 0x22, 0x9d,
                    0x13, 0x66, 0xfa,
                ]),
                s([0, 0, 0, 0]),
            ],
        ),
        tcp(
            "raw-printing-pjl",
            9100,
            AppProto::RawPrinting,
            AuthClass::CleartextUnauthenticated,
            vec![c(
                "\x1b%-12345X@PJL JOB NAME=\"payroll.pdf\"\r\n@PJL ENTER LANGUAGE=POSTSCRIPT\r\n%!PS-Adobe-3.0\n%%Pages: 1\nshowpage\n\x1b%-12345X@PJL EOJ\r\n\x1b%-12345X",
            )],
        ),
    ]
}

// ---------------------------------------------------------------- SNMP (rasn BER encoder)

fn oid_sys_descr() -> rasn::types::ObjectIdentifier {
    rasn::types::ObjectIdentifier::new(vec![1, 3, 6, 1, 2, 1, 1, 1, 0]).expect("valid OID")
}

fn v2_pdu(request_id: i32, value: v2::VarBindValue) -> v2::Pdu {
    v2::Pdu {
        request_id,
        error_status: 0,
        error_index: 0,
        variable_bindings: vec![v2::VarBind {
            name: oid_sys_descr(),
            value,
        }],
    }
}

fn sys_descr_value() -> v2::VarBindValue {
    v2::VarBindValue::Value(rasn_smi::v2::ObjectSyntax::Simple(
        rasn_smi::v2::SimpleSyntax::String(rasn::types::OctetString::from_static(
            b"Linux router 6.1",
        )),
    ))
}

fn ber<T: rasn::Encode>(v: &T) -> Vec<u8> {
    rasn::ber::encode(v).expect("SNMP message encodes")
}

fn snmp_v3(flags: u8, user: &str, auth_params: &[u8], data: v3::ScopedPduData) -> Vec<u8> {
    let usm = v3::USMSecurityParameters {
        authoritative_engine_id: rasn::types::OctetString::from(vec![
            0x80, 0x00, 0x1f, 0x88, 0x80, 0x59, 0xdc, 0x48, 0x61, 0x45, 0xa2, 0x63, 0x22,
        ]),
        authoritative_engine_boots: 3.into(),
        authoritative_engine_time: 12_345.into(),
        user_name: rasn::types::OctetString::from(user.as_bytes().to_vec()),
        authentication_parameters: rasn::types::OctetString::from(auth_params.to_vec()),
        privacy_parameters: rasn::types::OctetString::from(if flags & 2 != 0 {
            vec![0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44]
        } else {
            Vec::new()
        }),
    };
    let msg = v3::Message {
        version: 3.into(),
        global_data: v3::HeaderData {
            message_id: 4242.into(),
            max_size: 65_507.into(),
            flags: rasn::types::OctetString::from(vec![flags]),
            security_model: 3.into(),
        },
        security_parameters: rasn::types::OctetString::from(ber(&usm)),
        scoped_data: data,
    };
    ber(&msg)
}

fn scoped(pdu: v2::Pdus) -> v3::ScopedPduData {
    v3::ScopedPduData::CleartextPdu(v3::ScopedPdu {
        engine_id: rasn::types::OctetString::from(vec![
            0x80, 0x00, 0x1f, 0x88, 0x80, 0x59, 0xdc, 0x48, 0x61, 0x45, 0xa2, 0x63, 0x22,
        ]),
        name: rasn::types::OctetString::from_static(b""),
        data: pdu,
    })
}

fn snmp() -> Vec<Conversation> {
    let udp = |name: &str, auth: AuthClass, turns: Vec<Turn>| {
        conv(name, Transport::UDP, 161, AppProto::Snmp, auth, turns)
    };
    let v1_get = v1::Message {
        version: 0.into(),
        community: rasn::types::OctetString::from_static(b"public"),
        data: v1::Pdus::GetRequest(v1::GetRequest(v1::Pdu {
            request_id: 1.into(),
            error_status: 0.into(),
            error_index: 0.into(),
            variable_bindings: vec![v1::VarBind {
                name: oid_sys_descr(),
                value: rasn_smi::v1::ObjectSyntax::Simple(rasn_smi::v1::SimpleSyntax::Empty),
            }],
        })),
    };
    let v2c_get = v2c::Message {
        version: 1.into(),
        community: rasn::types::OctetString::from_static(b"n3tw0rk-ro"),
        data: v2::Pdus::GetRequest(v2::GetRequest(v2_pdu(7, v2::VarBindValue::Unspecified))),
    };
    let v2c_resp = v2c::Message {
        version: 1.into(),
        community: rasn::types::OctetString::from_static(b"n3tw0rk-ro"),
        data: v2::Pdus::Response(v2::Response(v2_pdu(7, sys_descr_value()))),
    };
    let get = |id| v2::Pdus::GetRequest(v2::GetRequest(v2_pdu(id, v2::VarBindValue::Unspecified)));
    let response = |id| v2::Pdus::Response(v2::Response(v2_pdu(id, sys_descr_value())));
    let discovery = snmp_v3(0x04, "", &[], scoped(get(1)));
    let report = snmp_v3(
        0x00,
        "",
        &[],
        scoped(v2::Pdus::Report(v2::Report(v2_pdu(
            1,
            v2::VarBindValue::Unspecified,
        )))),
    );
    let mac = [
        0xb9, 0x2f, 0x31, 0x8d, 0x0c, 0x61, 0x7a, 0x45, 0x21, 0x9e, 0x54, 0x05,
    ];
    vec![
        udp(
            "snmpv1-community",
            AuthClass::CleartextCredentials,
            vec![c(ber(&v1_get))],
        ),
        udp(
            "snmpv2c-community",
            AuthClass::CleartextCredentials,
            vec![c(ber(&v2c_get)), s(ber(&v2c_resp))],
        ),
        udp(
            "snmpv3-noauth",
            AuthClass::CleartextUnauthenticated,
            vec![
                c(&discovery),
                s(&report),
                c(snmp_v3(0x04, "username", &[], scoped(get(2)))),
                s(snmp_v3(0x00, "username", &[], scoped(response(2)))),
            ],
        ),
        udp(
            "snmpv3-authnopriv",
            CHALLENGE_RESPONSE_CLASS,
            vec![
                c(&discovery),
                s(&report),
                c(snmp_v3(0x05, "monitor", &mac, scoped(get(2)))),
                s(snmp_v3(0x01, "monitor", &mac, scoped(response(2)))),
            ],
        ),
        udp(
            "snmpv3-authpriv",
            AuthClass::EncryptedOther,
            vec![
                c(&discovery),
                s(&report),
                c(snmp_v3(
                    0x07,
                    "admin",
                    &mac,
                    v3::ScopedPduData::EncryptedPdu(rasn::types::OctetString::from(vec![0x5c; 48])),
                )),
                s(snmp_v3(
                    0x03,
                    "admin",
                    &mac,
                    v3::ScopedPduData::EncryptedPdu(rasn::types::OctetString::from(vec![0xa7; 64])),
                )),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upgrade_found_its_tls_session() {
        let names: Vec<String> = conversations().into_iter().map(|c| c.name).collect();
        for n in [
            "ftp-auth-tls",
            "smtp-starttls",
            "pop3-stls",
            "imap-starttls",
            "xmpp-starttls",
            "irc-starttls",
            "postgresql-sslrequest",
            "mysql-client-ssl",
        ] {
            assert!(
                names.iter().any(|x| x == n),
                "{n} missing: TLS session not found"
            );
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "conversation names are unique");
    }

    #[test]
    fn snmp_ber_is_the_rfc_layout() {
        // SNMPv1 GetRequest, community "public", sysDescr.0 = NULL: SEQUENCE { INTEGER 0,
        // OCTET STRING "public", [0] { INTEGER 1, INTEGER 0, INTEGER 0, SEQUENCE { SEQUENCE {
        // OID 1.3.6.1.2.1.1.1.0, NULL } } } }
        let bytes = &snmp()[0].turns[0].bytes;
        let expected = [
            0x30, 0x26, 0x02, 0x01, 0x00, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c,
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
        ];
        assert_eq!(bytes.as_slice(), expected.as_slice());
    }

    #[test]
    fn ntlm_messages_have_the_nlmp_layout() {
        let n = ntlm_negotiate();
        assert_eq!((&n[..8], n.len()), (&b"NTLMSSP\0"[..], 40));
        let a = ntlm_authenticate("CONTOSO", "alice", "WS01");
        // UserNameFields at offset 36: length 10 (UTF-16 "alice").
        assert_eq!(&a[36..38], &10u16.to_le_bytes());
        let off = u32::from_le_bytes([a[40], a[41], a[42], a[43]]) as usize;
        assert_eq!(&a[off..off + 10], utf16("alice").as_slice());
    }
}
