//! HTTP/1.x on any TCP port (heads parsed with `httparse`), with WinRM and Elasticsearch
//! recognised on top of it, and HTTP/2 with prior knowledge.
//!
//! Authentication, over every request the client sent within the retained bytes:
//! - `Basic` → `cleartext_credentials` (`password`, user from the decoded `user:password`).
//! - HTML form logins: a `POST`/`PUT` body (`application/x-www-form-urlencoded` or JSON) with a
//!   non-empty field whose name is password-like (see [`is_password_field`]) →
//!   `cleartext_credentials` (`form_password`), user from a user-like field.
//! - `Digest` → `cleartext_credentials` (`digest_response`): an MD5 response attackable offline
//!   with the user name in clear, like the PostgreSQL MD5 response the issue lists.
//! - `Bearer` → `cleartext_credentials` (`bearer_token`): the token is replayable as is.
//!   Other schemes (`Token`, `ApiKey`, custom) are treated the same way (`authorization_token`).
//! - `NTLM`/`Negotiate`/`Kerberos` → the tokens (client `Authorization`, server
//!   `WWW-Authenticate`) go to [`GssAuth`] → `ntlm` or `kerberos`.
//! - No `Authorization` → `cleartext_unauthenticated`.
//!
//! Cleartext credentials win over GSS-API when a flow shows both: a secret crossed the wire.

use segscope_core::auth::HttpFacts;
use segscope_core::names::{NameObservation, NameSource};
use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{for_user, quoted_param};
use super::text::{b64, trim};
use super::{Login, gss_login, user_name, verdict};
use crate::bytes::{Reader, printable, starts_with_ignore_case};
use crate::enterprise::gss::GssAuth;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// HTTP/1.x probe.
pub struct Http;
/// The HTTP/1.x probe instance.
pub static HTTP: Http = Http;

/// HTTP/2 prior-knowledge probe.
pub struct Http2;
/// The HTTP/2 probe instance.
pub static HTTP2: Http2 = Http2;

/// Request methods recognised on a first line (RFC 9110, WebDAV, CalDAV, cache purge).
const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"PUT",
    b"HEAD",
    b"DELETE",
    b"OPTIONS",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
    b"MKCALENDAR",
    b"PURGE",
];

/// Path fragments of the Elasticsearch/OpenSearch REST API.
const ELASTIC_PATHS: &[&[u8]] = &[
    b"/_search",
    b"/_msearch",
    b"/_cat/",
    b"/_cluster/",
    b"/_bulk",
    b"/_nodes",
    b"/_mget",
    b"/_doc",
    b"/_count",
    b"/_mapping",
    b"/_aliases",
    b"/_xpack",
    b"/_security/",
    b"/_index_template",
    b"/_template",
    b"/_snapshot",
    b"/_ingest/",
    b"/_tasks",
    b"/_license",
];

/// The HTTP/2 connection preface (RFC 9113 §3.4).
pub const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How many messages of each direction are examined.
const MAX_MESSAGES: usize = 64;
/// Header slots for `httparse` (requests with more headers are analysed no further).
const MAX_HEADERS: usize = 96;

impl Probe for Http {
    fn name(&self) -> &'static str {
        "http"
    }
    fn app(&self) -> AppProto {
        AppProto::Http
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let c = ctx.client_head();
        if is_request_start(c) || (c.is_empty() && is_response_start(ctx.server_head())) {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

impl Probe for Http2 {
    fn name(&self) -> &'static str {
        "http2"
    }
    fn app(&self) -> AppProto {
        AppProto::Http2
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let c = ctx.client_head();
        if ctx.meta.transport == Transport::TCP && c.starts_with(HTTP2_PREFACE) {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze_http2(ctx.client.bytes)
    }
}

/// True when `head` starts with a request line: a known method, a space, and ` HTTP/1.` on the
/// first line.
pub fn is_request_start(head: &[u8]) -> bool {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = head.get(..line_end).unwrap_or(head);
    let Some(sp) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let method = line.get(..sp).unwrap_or(&[]);
    METHODS.contains(&method) && line.windows(8).any(|w| w == b" HTTP/1.")
}

/// True when `head` starts with a status line (`HTTP/1.x NNN`).
pub fn is_response_start(head: &[u8]) -> bool {
    head.starts_with(b"HTTP/1.")
        && head.get(8) == Some(&b' ')
        && head
            .get(9..12)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// Authentication seen in one request.
#[derive(Clone, Debug, PartialEq)]
enum Cred {
    Basic {
        user: Option<String>,
        len: usize,
    },
    Form {
        user: Option<String>,
        field: String,
        len: usize,
    },
    Digest {
        user: Option<String>,
        len: usize,
    },
    Token {
        scheme: String,
        len: usize,
    },
}

impl Cred {
    fn rank(&self) -> u8 {
        match self {
            Cred::Basic { .. } => 0,
            Cred::Form { .. } => 1,
            Cred::Digest { .. } => 2,
            Cred::Token { .. } => 3,
        }
    }
}

/// What the requests and responses of one flow showed.
#[derive(Debug, Default)]
struct Seen {
    facts: HttpFacts,
    host: Option<String>,
    cred: Option<Cred>,
    cred_scheme: Option<String>,
    gss_scheme: Option<String>,
    client_tokens: Vec<Vec<u8>>,
    server_tokens: Vec<Vec<u8>>,
    requests: usize,
    winrm: bool,
    elastic: bool,
    soap: bool,
    parse_error: bool,
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let mut seen = Seen::default();
    let methods = requests(ctx.client.bytes, &mut seen);
    responses(ctx.server.bytes, &methods, &mut seen);
    if seen.soap && matches!(ctx.meta.server.port, 5985 | 5986) {
        seen.winrm = true;
    }
    let app = if seen.winrm {
        AppProto::Winrm
    } else if seen.elastic {
        AppProto::Elasticsearch
    } else {
        AppProto::Http
    };
    let what = request_summary(&seen.facts, seen.requests);
    let login = if let Some(cred) = seen.cred.clone() {
        Some(cred_login(&what, cred))
    } else if let Some(scheme) = seen.gss_scheme.clone() {
        let mut gss = GssAuth::new();
        let n = seen.client_tokens.len().max(seen.server_tokens.len());
        for i in 0..n {
            if let Some(t) = seen.client_tokens.get(i) {
                gss.client_token(t);
            }
            if let Some(t) = seen.server_tokens.get(i) {
                gss.server_token(t);
            }
        }
        Some(
            gss_login(&gss, &format!("{what}: Authorization {scheme}")).unwrap_or_else(|| {
                Login::other(
                    AuthClass::Unknown,
                    &format!("http_{}", scheme.to_ascii_lowercase()),
                    None,
                    format!(
                        "{what}: Authorization {scheme}, but its GSS-API tokens were not recognised"
                    ),
                )
            }),
        )
    } else {
        None
    };
    seen.facts.auth_scheme = seen.cred_scheme.clone().or(seen.gss_scheme.clone());
    let mut a = match login {
        Some(l) => l.into_analysis(app),
        None => {
            let status = match seen.facts.status {
                Some(s) => format!(", response {s}"),
                None => String::new(),
            };
            verdict(
                app,
                AuthClass::CleartextUnauthenticated,
                format!("{what} without an Authorization header{status}"),
            )
        }
    };
    if let Some(host) = seen.host {
        a.names.push(NameObservation {
            ip: ctx.meta.server.ip,
            name: host,
            source: NameSource::HttpHost,
            ts: ctx.meta.first_ts,
        });
    }
    a.evidence.http = Some(Box::new(seen.facts));
    a.parse_error = seen.parse_error;
    a
}

fn request_summary(f: &HttpFacts, n: usize) -> String {
    let mut s = format!(
        "HTTP {} {}",
        f.method.as_deref().unwrap_or("?"),
        f.path.as_deref().unwrap_or("?")
    );
    if n > 1 {
        s.push_str(&format!(" (+{} more requests)", n - 1));
    }
    s
}

fn cred_login(what: &str, cred: Cred) -> Login {
    match cred {
        Cred::Basic { user, len } => {
            let reason = format!(
                "{what}: Authorization Basic{} with the password in clear ({len} bytes)",
                for_user(&user)
            );
            Login::credentials("http_basic", user, "password", len, reason)
        }
        Cred::Form { user, field, len } => {
            let reason = format!(
                "{what}: HTML form login{} with password field {field:?} in clear ({len} bytes)",
                for_user(&user)
            );
            Login::credentials("http_form", user, "form_password", len, reason)
        }
        Cred::Digest { user, len } => {
            let reason = format!(
                "{what}: Authorization Digest{}: an MD5 response attackable offline crossed in clear",
                for_user(&user)
            );
            Login::credentials("http_digest", user, "digest_response", len, reason)
        }
        Cred::Token { scheme, len } => {
            let kind = if scheme.eq_ignore_ascii_case("bearer") {
                "bearer_token"
            } else {
                "authorization_token"
            };
            let reason = format!(
                "{what}: Authorization {scheme} token in clear ({len} bytes), replayable as is"
            );
            let mech = format!("http_{}", scheme.to_ascii_lowercase());
            Login::credentials(&mech, None, kind, len, reason)
        }
    }
}

/// Parses the client's requests, filling `seen`; returns their methods (to know which responses
/// have no body).
fn requests<'a>(mut buf: &'a [u8], seen: &mut Seen) -> Vec<&'a [u8]> {
    let mut methods = Vec::new();
    while !buf.is_empty() && methods.len() < MAX_MESSAGES {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let head_len = match req.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => break,
            Err(_) => {
                if methods.is_empty() {
                    seen.parse_error = true;
                }
                break;
            }
        };
        let method = req.method.unwrap_or("");
        let path = req.path.unwrap_or("");
        let mut content_length = None;
        let mut chunked = false;
        let mut content_type: &[u8] = &[];
        for h in req.headers.iter() {
            let v = h.value;
            if h.name.eq_ignore_ascii_case("content-length") {
                content_length = parse_decimal(v);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = contains_ignore_case(v, b"chunked");
            } else if h.name.eq_ignore_ascii_case("content-type") {
                content_type = v;
            } else if h.name.eq_ignore_ascii_case("host") && seen.host.is_none() {
                seen.host = host_name(v);
                if seen.facts.host.is_none() {
                    seen.facts.host = Some(printable(v, 256));
                }
            } else if h.name.eq_ignore_ascii_case("user-agent") && seen.facts.user_agent.is_none() {
                seen.facts.user_agent = Some(printable(v, 256));
            } else if h.name.eq_ignore_ascii_case("authorization") {
                authorization(v, seen);
            }
        }
        if methods.is_empty() {
            seen.facts.method = Some(printable(method.as_bytes(), 32));
            let no_query = path.split('?').next().unwrap_or("");
            seen.facts.path = Some(printable(no_query.as_bytes(), 512));
        }
        if starts_with_ignore_case(path.as_bytes(), b"/wsman") {
            seen.winrm = true;
        }
        if ELASTIC_PATHS
            .iter()
            .any(|p| contains_ignore_case(path.as_bytes(), p))
        {
            seen.elastic = true;
        }
        if contains_ignore_case(content_type, b"application/soap+xml") {
            seen.soap = true;
        }
        methods.push(method.as_bytes());
        seen.requests += 1;
        let rest = buf.get(head_len..).unwrap_or(&[]);
        let (body, consumed) = if chunked {
            match chunked_len(rest) {
                Some(n) => (&[][..], n),
                None => break,
            }
        } else {
            let n = content_length.unwrap_or(0).min(rest.len());
            (rest.get(..n).unwrap_or(&[]), n)
        };
        if matches!(method, "POST" | "PUT" | "PATCH")
            && let Some(cred) = form_login(content_type, body)
        {
            offer(seen, cred, "form");
        }
        buf = rest.get(consumed..).unwrap_or(&[]);
    }
    methods
}

/// Records the better of two credential findings (Basic over form over Digest over tokens).
fn offer(seen: &mut Seen, cred: Cred, scheme: &str) {
    if seen.cred.as_ref().is_none_or(|c| cred.rank() < c.rank()) {
        seen.cred = Some(cred);
        seen.cred_scheme = Some(scheme.to_owned());
    }
}

/// One `Authorization` header.
fn authorization(value: &[u8], seen: &mut Seen) {
    let value = trim(value);
    let (scheme, rest) = super::text::split_word(value);
    let scheme_s = printable(scheme, 32);
    let creds = trim(rest);
    if scheme.eq_ignore_ascii_case(b"basic") {
        let decoded = b64(creds).unwrap_or_default();
        let (user, len) = match decoded.iter().position(|&b| b == b':') {
            Some(i) => (
                user_name(decoded.get(..i).unwrap_or(&[])),
                decoded.len().saturating_sub(i + 1),
            ),
            None => (None, decoded.len()),
        };
        offer(seen, Cred::Basic { user, len }, "Basic");
    } else if scheme.eq_ignore_ascii_case(b"ntlm")
        || scheme.eq_ignore_ascii_case(b"negotiate")
        || scheme.eq_ignore_ascii_case(b"kerberos")
    {
        if let Some(token) = b64(creds).filter(|t| !t.is_empty()) {
            seen.client_tokens.push(token);
        }
        seen.gss_scheme.get_or_insert(scheme_s);
    } else if scheme.eq_ignore_ascii_case(b"digest") {
        let user = quoted_param(creds, b"username=").and_then(user_name);
        offer(
            seen,
            Cred::Digest {
                user,
                len: creds.len(),
            },
            "Digest",
        );
    } else if !scheme.is_empty() {
        let len = if creds.is_empty() {
            scheme.len()
        } else {
            creds.len()
        };
        offer(
            seen,
            Cred::Token {
                scheme: scheme_s.clone(),
                len,
            },
            &scheme_s,
        );
    }
}

/// Parses the server's responses: status of the first, GSS-API challenges, Elasticsearch
/// banners.
fn responses(mut buf: &[u8], methods: &[&[u8]], seen: &mut Seen) {
    let mut i = 0usize;
    while !buf.is_empty() && i < MAX_MESSAGES {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            _ => break,
        };
        let code = resp.code.unwrap_or(0);
        if seen.facts.status.is_none() {
            seen.facts.status = Some(code);
        }
        let mut content_length = None;
        let mut chunked = false;
        for h in resp.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                content_length = parse_decimal(h.value);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = contains_ignore_case(h.value, b"chunked");
            } else if h.name.eq_ignore_ascii_case("www-authenticate") {
                let (scheme, rest) = super::text::split_word(trim(h.value));
                let gss = scheme.eq_ignore_ascii_case(b"ntlm")
                    || scheme.eq_ignore_ascii_case(b"negotiate")
                    || scheme.eq_ignore_ascii_case(b"kerberos");
                if gss && let Some(token) = b64(rest).filter(|t| !t.is_empty()) {
                    seen.server_tokens.push(token);
                }
            } else if h.name.eq_ignore_ascii_case("x-elastic-product") {
                seen.elastic = true;
            }
        }
        let rest = buf.get(head_len..).unwrap_or(&[]);
        let no_body = (100..200).contains(&code)
            || code == 204
            || code == 304
            || methods.get(i).is_some_and(|m| *m == b"HEAD");
        let consumed = if no_body {
            0
        } else if chunked {
            match chunked_len(rest) {
                Some(n) => n,
                None => break,
            }
        } else if let Some(n) = content_length {
            n.min(rest.len())
        } else {
            // Body until the connection closes.
            rest.len()
        };
        let body = rest.get(..consumed).unwrap_or(&[]);
        if contains_ignore_case(body, b"\"cluster_name\"")
            && contains_ignore_case(body, b"You Know, for Search")
        {
            seen.elastic = true;
        }
        if code != 100 {
            i += 1;
        }
        buf = rest.get(consumed..).unwrap_or(&[]);
    }
}

/// Length of a chunked body including its terminating chunk and trailers, or `None` when it
/// runs past the retained bytes.
fn chunked_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..)?;
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = rest.get(..nl)?;
        let hex_part = line
            .split(|&b| b == b';' || b == b'\r')
            .next()
            .unwrap_or(&[]);
        let size = parse_hex(trim(hex_part))?;
        pos = pos.checked_add(nl)?.checked_add(1)?;
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                let rest = buf.get(pos..)?;
                let nl = rest.iter().position(|&b| b == b'\n')?;
                pos = pos.checked_add(nl)?.checked_add(1)?;
                if rest.get(..nl).is_some_and(|l| l.is_empty() || l == b"\r") {
                    return Some(pos);
                }
            }
        }
        pos = pos.checked_add(size)?;
        let crlf = buf.get(pos..)?;
        pos = pos.checked_add(if crlf.starts_with(b"\r\n") { 2 } else { 1 })?;
        if pos > buf.len() {
            return None;
        }
    }
}

fn parse_decimal(v: &[u8]) -> Option<usize> {
    let v = trim(v);
    if v.is_empty() || v.len() > 15 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0usize, |acc, &d| {
        acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}

fn parse_hex(v: &[u8]) -> Option<usize> {
    if v.is_empty() || v.len() > 12 {
        return None;
    }
    v.iter().try_fold(0usize, |acc, &d| {
        let n = (d as char).to_digit(16)?;
        acc.checked_mul(16)?.checked_add(n as usize)
    })
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The DNS name in a `Host` header (port removed, lower-cased); `None` for IP literals and
/// values that are not host names.
fn host_name(v: &[u8]) -> Option<String> {
    let v = trim(v);
    if v.starts_with(b"[") {
        return None;
    }
    let host = v.split(|&b| b == b':').next().unwrap_or(&[]);
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !ok {
        return None;
    }
    let s = String::from_utf8_lossy(host).to_ascii_lowercase();
    if s.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    Some(s.trim_end_matches('.').to_owned())
}

/// Field names that carry a password in login forms: the name, lower-cased, with any
/// `prefix[...]` wrapper removed and punctuation dropped, contains `password`, `passwd`,
/// `passwort`, `passphrase` or `pwd`, or is exactly `pass`, `pw` or `secret`.
pub fn is_password_field(name: &str) -> bool {
    let n = normalize_field(name);
    ["password", "passwd", "passwort", "passphrase", "pwd"]
        .iter()
        .any(|p| n.contains(p))
        || ["pass", "pw", "secret"].contains(&n.as_str())
}

/// Rank of a user-name field (lower is better), `None` when it is not one: names containing
/// `user` (`username`, `j_username`, `userid`), then `email`/`mail`, then `login`/`account`.
fn user_field_rank(name: &str) -> Option<u8> {
    let n = normalize_field(name);
    if n.contains("user") || n == "uname" || n == "usr" {
        Some(0)
    } else if n.contains("mail") {
        Some(1)
    } else if n.contains("login") || n.contains("account") {
        Some(2)
    } else {
        None
    }
}

fn normalize_field(name: &str) -> String {
    let inner = name
        .rsplit('[')
        .next()
        .unwrap_or(name)
        .trim_end_matches(']');
    inner
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A password-like field in a URL-encoded or JSON request body.
fn form_login(content_type: &[u8], body: &[u8]) -> Option<Cred> {
    if body.is_empty() {
        return None;
    }
    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    if contains_ignore_case(content_type, b"json") {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        json_fields(&v, 0, &mut fields);
    } else if content_type.is_empty()
        || contains_ignore_case(content_type, b"x-www-form-urlencoded")
    {
        for pair in body.split(|&b| b == b'&').take(256) {
            let mut kv = pair.splitn(2, |&b| b == b'=');
            let k = url_decode(kv.next().unwrap_or(&[]));
            let v = url_decode(kv.next().unwrap_or(&[]));
            fields.push((String::from_utf8_lossy(&k).into_owned(), v));
        }
    } else {
        return None;
    }
    let (field, pass) = fields
        .iter()
        .find(|(k, v)| !v.is_empty() && is_password_field(k))?;
    let user = fields
        .iter()
        .filter(|(k, v)| !v.is_empty() && !is_password_field(k))
        .filter_map(|(k, v)| user_field_rank(k).map(|r| (r, v)))
        .min_by_key(|(r, _)| *r)
        .and_then(|(_, v)| user_name(v));
    Some(Cred::Form {
        user,
        field: printable(field.as_bytes(), 64),
        len: pass.len(),
    })
}

/// String fields of a JSON object, one level of nesting deep (`{"user":{"password":…}}`).
fn json_fields(v: &serde_json::Value, depth: u8, out: &mut Vec<(String, Vec<u8>)>) {
    if let serde_json::Value::Object(map) = v {
        for (k, val) in map.iter().take(256) {
            match val {
                serde_json::Value::String(s) => out.push((k.clone(), s.as_bytes().to_vec())),
                serde_json::Value::Object(_) if depth == 0 => json_fields(val, 1, out),
                _ => {}
            }
        }
    }
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space, `%XX` a byte).
fn url_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0usize;
    while let Some(&b) = s.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// HTTP/2 with prior knowledge: walks the client's HEADERS/CONTINUATION frames and looks for an
/// `authorization` header field in the HPACK blocks (static-table name index 23, or a literal
/// name sent without Huffman coding). Values are never decoded; a Huffman-coded value's length is
/// its encoded length.
fn analyze_http2(client: &[u8]) -> Analysis {
    let mut r = Reader::new(client.get(HTTP2_PREFACE.len()..).unwrap_or(&[]));
    let mut found: Option<Http2Auth> = None;
    let mut frames = 0usize;
    let mut parse_error = false;
    while r.remaining() >= 9 && frames < 256 {
        let (Some(len), Some(kind), Some(flags), Some(_stream)) =
            (r.be_u24(), r.u8(), r.u8(), r.be_u32())
        else {
            break;
        };
        let Some(payload) = r.take(len as usize) else {
            break;
        };
        frames += 1;
        if kind == 0x1 || kind == 0x9 {
            match header_block(kind, flags, payload) {
                Some(block) => {
                    if let Some(a) = hpack_authorization(block) {
                        found.get_or_insert(a);
                    }
                }
                None => parse_error = true,
            }
        }
    }
    let mut a = match found {
        Some(auth) => {
            let scheme = auth.scheme.clone();
            let reason = format!(
                "HTTP/2 (prior knowledge) request with an authorization header{} in clear ({} bytes)",
                scheme
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                auth.len
            );
            let mut l = Login::credentials(
                "http2_authorization",
                None,
                "authorization_header",
                auth.len,
                reason,
            )
            .into_analysis(AppProto::Http2);
            l.evidence.http = Some(Box::new(HttpFacts {
                auth_scheme: scheme,
                ..HttpFacts::default()
            }));
            l
        }
        None => verdict(
            AppProto::Http2,
            AuthClass::CleartextUnauthenticated,
            format!(
                "HTTP/2 with prior knowledge in clear, no authorization header in {frames} client frames"
            ),
        ),
    };
    a.parse_error = parse_error;
    a
}

struct Http2Auth {
    scheme: Option<String>,
    len: usize,
}

/// The header block fragment of a HEADERS (padding and priority removed) or CONTINUATION frame.
fn header_block(kind: u8, flags: u8, payload: &[u8]) -> Option<&[u8]> {
    if kind == 0x9 {
        return Some(payload);
    }
    let mut r = Reader::new(payload);
    let pad = if flags & 0x08 != 0 {
        r.u8()? as usize
    } else {
        0
    };
    if flags & 0x20 != 0 {
        r.skip(5)?;
    }
    let rest = r.rest();
    rest.get(..rest.len().checked_sub(pad)?)
}

/// HPACK integer with an `n`-bit prefix (RFC 7541 §5.1).
fn hpack_int(r: &mut Reader<'_>, first: u8, n: u32) -> Option<usize> {
    let mask = (1u16 << n) - 1;
    let mut v = usize::from(u16::from(first) & mask);
    if v < mask as usize {
        return Some(v);
    }
    let mut shift = 0u32;
    loop {
        let b = r.u8()?;
        v = v.checked_add(usize::from(b & 0x7f).checked_shl(shift)?)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
}

/// An HPACK string: (Huffman-coded, bytes).
fn hpack_str<'a>(r: &mut Reader<'a>) -> Option<(bool, &'a [u8])> {
    let first = r.u8()?;
    let len = hpack_int(r, first, 7)?;
    Some((first & 0x80 != 0, r.take(len)?))
}

/// Finds an `authorization` field in one header block.
fn hpack_authorization(block: &[u8]) -> Option<Http2Auth> {
    const AUTHORIZATION_INDEX: usize = 23;
    let mut r = Reader::new(block);
    while let Some(first) = r.u8() {
        if first & 0x80 != 0 {
            hpack_int(&mut r, first, 7)?;
            continue;
        }
        if first & 0xe0 == 0x20 {
            hpack_int(&mut r, first, 5)?;
            continue;
        }
        let prefix = if first & 0xc0 == 0x40 { 6 } else { 4 };
        let index = hpack_int(&mut r, first, prefix)?;
        let is_auth = if index == 0 {
            let (huffman, name) = hpack_str(&mut r)?;
            !huffman && name.eq_ignore_ascii_case(b"authorization")
        } else {
            index == AUTHORIZATION_INDEX
        };
        let (huffman, value) = hpack_str(&mut r)?;
        if is_auth {
            let scheme = (!huffman)
                .then(|| super::text::split_word(value).0)
                .map(|s| printable(s, 32));
            return Some(Http2Auth {
                scheme,
                len: value.len(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response_starts() {
        assert!(is_request_start(b"GET / HTTP/1.1\r\nHost: x\r\n"));
        assert!(is_request_start(b"POST /a?b HTTP/1.0\r\n"));
        assert!(!is_request_start(b"GETX / HTTP/1.1\r\n"));
        assert!(!is_request_start(b"OPTIONS rtsp://x RTSP/1.0\r\n"));
        assert!(is_response_start(b"HTTP/1.1 200 OK\r\n"));
        assert!(!is_response_start(b"HTTP/1.1 2x0 OK\r\n"));
    }

    #[test]
    fn field_names() {
        for n in [
            "password",
            "Password",
            "user[password]",
            "txtPwd",
            "j_password",
            "pass",
            "login_passwd",
        ] {
            assert!(is_password_field(n), "{n}");
        }
        for n in ["username", "Login", "passenger", "compass_x", "email"] {
            assert!(!is_password_field(n), "{n}");
        }
        assert_eq!(user_field_rank("username"), Some(0));
        assert_eq!(user_field_rank("Login"), Some(2));
        assert_eq!(user_field_rank("submit"), None);
    }

    #[test]
    fn forms_and_json() {
        let c = form_login(
            b"application/x-www-form-urlencoded",
            b"username=admin&password=p%40ss&Login=Login",
        );
        assert_eq!(
            c,
            Some(Cred::Form {
                user: Some("admin".into()),
                field: "password".into(),
                len: 4
            })
        );
        let c = form_login(
            b"application/json",
            br#"{"user":{"email":"a@b.c","password":"xyz"}}"#,
        );
        assert!(matches!(c, Some(Cred::Form { len: 3, .. })));
        assert_eq!(form_login(b"text/plain", b"password=x"), None);
        assert_eq!(form_login(b"", b"password="), None);
    }

    #[test]
    fn chunked_bodies_are_skipped() {
        let body = b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\nNEXT";
        assert_eq!(chunked_len(body), Some(body.len() - 4));
        assert_eq!(chunked_len(b"4\r\nWi"), None);
        assert_eq!(chunked_len(b"zz\r\n"), None);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_name(b"WWW.Example.com:8080"),
            Some("www.example.com".into())
        );
        assert_eq!(host_name(b"10.0.0.1:80"), None);
        assert_eq!(host_name(b"[::1]:80"), None);
        assert_eq!(host_name(b"a b"), None);
    }

    #[test]
    fn hpack_finds_authorization() {
        // Literal with incremental indexing, indexed name 23, raw value "Basic abc".
        let block = [&[0x82u8, 0x57, 0x09][..], b"Basic abc"].concat();
        let a = hpack_authorization(&block).expect("found");
        assert_eq!((a.scheme.as_deref(), a.len), (Some("Basic"), 9));
        // Never-indexed literal, index 23 = 0x1f 0x08.
        let block = [&[0x1fu8, 0x08, 0x83][..], b"xyz"].concat();
        assert_eq!(hpack_authorization(&block).map(|a| a.len), Some(3));
        assert!(hpack_authorization(&[0x82, 0x86, 0x84]).is_none());
        assert!(hpack_authorization(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]).is_none());
    }
}
