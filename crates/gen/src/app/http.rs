//! Cleartext HTTP/1.1 on one persistent connection: requests with `Host` and `User-Agent`,
//! responses with `Content-Length` bodies.

use crate::app::{AppSession, Body, FillKind, Message, Side, ms};
use crate::rng::Rng;

/// The body type a response declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// `text/html`: text-looking body.
    Html,
    /// `text/plain`.
    Text,
    /// `application/octet-stream`: high-entropy body.
    Binary,
}

impl ContentType {
    fn header(self) -> &'static str {
        match self {
            ContentType::Html => "text/html; charset=utf-8",
            ContentType::Text => "text/plain; charset=utf-8",
            ContentType::Binary => "application/octet-stream",
        }
    }
}

/// One request and its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpExchange {
    /// `GET` or `POST` (a POST carries `request_body` bytes).
    pub method: &'static str,
    /// Request target.
    pub path: String,
    /// Length of the request body.
    pub request_body: u64,
    /// Response status code.
    pub status: u16,
    /// Declared response type.
    pub content_type: ContentType,
    /// Length of the response body.
    pub response_body: u64,
}

/// The requests of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSpec {
    /// `Host` header value.
    pub host: String,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Exchanges in order.
    pub exchanges: Vec<HttpExchange>,
}

/// Plays an [`HttpSpec`].
#[derive(Debug)]
pub struct HttpSession {
    spec: HttpSpec,
    next: usize,
    awaiting_response: bool,
    seed: u64,
}

impl HttpSession {
    /// A session whose bodies are derived from `seed`.
    pub fn new(spec: HttpSpec, seed: u64) -> HttpSession {
        HttpSession {
            spec,
            next: 0,
            awaiting_response: false,
            seed,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

impl AppSession for HttpSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        let ex = self.spec.exchanges.get(self.next)?;
        let seed = self.seed.wrapping_add(self.next as u64 * 2);
        if self.awaiting_response {
            self.awaiting_response = false;
            self.next += 1;
            let head = format!(
                "HTTP/1.1 {} {}\r\nServer: nginx/1.24.0\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
                ex.status,
                reason(ex.status),
                ex.content_type.header(),
                ex.response_body
            );
            let mut body = Body::opaque(ex.response_body, seed);
            body.head = head.into_bytes();
            if ex.content_type != ContentType::Binary {
                body.fill_kind = FillKind::Text;
            }
            return Some(Message {
                from: Side::Server,
                body,
                delay: ms(0.2 + rng.exponential(8.0)),
            });
        }
        self.awaiting_response = true;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: keep-alive\r\n",
            ex.method, ex.path, self.spec.host, self.spec.user_agent
        );
        if ex.request_body > 0 {
            head.push_str(&format!(
                "Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
                ex.request_body
            ));
        }
        head.push_str("\r\n");
        let mut body = Body::opaque(ex.request_body, seed ^ 1);
        body.head = head.into_bytes();
        Some(Message {
            from: Side::Client,
            body,
            delay: if self.next == 0 {
                ms(0.0)
            } else {
                ms(rng.exponential(150.0))
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response_have_consistent_lengths() {
        let spec = HttpSpec {
            host: "web01.corp.example".into(),
            user_agent: "curl/8.5.0".into(),
            exchanges: vec![HttpExchange {
                method: "POST",
                path: "/api/upload".into(),
                request_body: 10,
                status: 200,
                content_type: ContentType::Html,
                response_body: 1000,
            }],
        };
        let mut s = HttpSession::new(spec, 1);
        let mut rng = Rng::new(1);
        let req = s.next_message(&mut rng).expect("request");
        assert_eq!(req.from, Side::Client);
        let mut bytes = Vec::new();
        req.body.copy_range(0, usize::MAX >> 1, &mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("POST /api/upload HTTP/1.1\r\nHost: web01.corp.example\r\n"));
        assert!(text.contains("Content-Length: 10\r\n\r\n"));
        assert_eq!(req.body.len() as usize, req.body.head.len() + 10);
        let resp = s.next_message(&mut rng).expect("response");
        assert_eq!(resp.from, Side::Server);
        let head = String::from_utf8_lossy(&resp.body.head);
        assert!(head.contains("Content-Length: 1000\r\n"));
        assert_eq!(resp.body.len(), resp.body.head.len() as u64 + 1000);
        assert!(s.next_message(&mut rng).is_none());
    }
}
