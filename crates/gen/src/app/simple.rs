//! Small applications: silence, NTP, syslog, ICMP echo payloads, and opaque request/response
//! exchanges for services whose protocol is not modelled yet.

use crate::app::{AppSession, Body, FillKind, Message, Side, ms};
use crate::rng::Rng;

/// An application that says nothing (handshake-only and failed connections).
#[derive(Debug)]
pub struct Silent;

impl AppSession for Silent {
    fn next_message(&mut self, _rng: &mut Rng) -> Option<Message> {
        None
    }
}

/// Seconds between the NTP era (1900) and the Unix epoch.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// One NTPv4 client request (mode 3) and server response (mode 4), 48 bytes each.
#[derive(Debug)]
pub struct NtpSession {
    step: u8,
    client_tx: u64,
}

impl NtpSession {
    /// A session whose timestamps derive from `seed` (around 2024-03-04).
    pub fn new(seed: u64) -> NtpSession {
        let secs = 1_709_542_800 + NTP_UNIX_OFFSET + (seed % 3600);
        NtpSession {
            step: 0,
            client_tx: (secs << 32) | (seed & 0xFFFF_FFFF),
        }
    }
}

impl AppSession for NtpSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        self.step += 1;
        let mut p = vec![0u8; 48];
        match self.step {
            1 => {
                p[0] = 0x23; // LI 0, version 4, mode 3 (client)
                p[2] = 6; // poll 2^6 s
                p[3] = 0xE9; // precision 2^-23 s
                p[40..48].copy_from_slice(&self.client_tx.to_be_bytes());
                Some(Message {
                    from: Side::Client,
                    body: Body::bytes(p),
                    delay: ms(0.0),
                })
            }
            2 => {
                let recv = self.client_tx.wrapping_add(1 << 22);
                p[0] = 0x24; // LI 0, version 4, mode 4 (server)
                p[1] = 2; // stratum 2
                p[2] = 6;
                p[3] = 0xE9;
                p[4..8].copy_from_slice(&0x0000_0A00u32.to_be_bytes()); // root delay
                p[8..12].copy_from_slice(&0x0000_1400u32.to_be_bytes()); // root dispersion
                p[12..16].copy_from_slice(&[192, 0, 2, 123]); // reference id: upstream address
                p[16..24].copy_from_slice(&(recv - (64u64 << 32)).to_be_bytes());
                p[24..32].copy_from_slice(&self.client_tx.to_be_bytes());
                p[32..40].copy_from_slice(&recv.to_be_bytes());
                p[40..48].copy_from_slice(&recv.wrapping_add(1 << 12).to_be_bytes());
                Some(Message {
                    from: Side::Server,
                    body: Body::bytes(p),
                    delay: ms(0.02 + rng.unit() * 0.1),
                })
            }
            _ => None,
        }
    }
}

/// One-way syslog (RFC 3164) messages from one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogSpec {
    /// The sending host's name, as written in the message.
    pub hostname: String,
    /// How many messages.
    pub messages: u32,
}

/// Plays a [`SyslogSpec`].
#[derive(Debug)]
pub struct SyslogSession {
    spec: SyslogSpec,
    sent: u32,
    seed: u64,
}

impl SyslogSession {
    /// A session whose texts derive from `seed`.
    pub fn new(spec: SyslogSpec, seed: u64) -> SyslogSession {
        SyslogSession {
            spec,
            sent: 0,
            seed,
        }
    }
}

const SYSLOG_LINES: &[(&str, u8, &str)] = &[
    (
        "sshd",
        38,
        "Accepted publickey for deploy from 10.10.0.23 port 51515 ssh2",
    ),
    ("CRON", 78, "(root) CMD (/usr/local/bin/backup.sh)"),
    ("kernel", 4, "eth0: link up, 10000Mbps, full-duplex"),
    ("nginx", 134, "upstream response time 0.012s"),
    ("systemd", 30, "Started Daily apt download activities."),
];

impl AppSession for SyslogSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        if self.sent >= self.spec.messages {
            return None;
        }
        self.sent += 1;
        let pick = rng.below(SYSLOG_LINES.len() as u64) as usize;
        let (app, pri, text) = SYSLOG_LINES
            .get(pick)
            .copied()
            .unwrap_or(("app", 134, "ok"));
        let second = (self.seed + u64::from(self.sent)) % 60;
        let pid = 1000 + self.seed % 30_000;
        let line = format!(
            "<{pri}>Mar  4 09:00:{second:02} {} {app}[{pid}]: {text}",
            self.spec.hostname
        );
        Some(Message {
            from: Side::Client,
            body: Body::bytes(line.into_bytes()),
            delay: if self.sent == 1 {
                ms(0.0)
            } else {
                ms(rng.exponential(500.0))
            },
        })
    }
}

/// ICMP echo requests (and replies, when answered), one per second as `ping` sends them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoSpec {
    /// Number of requests.
    pub count: u32,
    /// Whether the target replies.
    pub answered: bool,
}

/// Plays an [`EchoSpec`] with Linux `ping`'s 56-byte payload (timestamp, then 0x10..0x37).
#[derive(Debug)]
pub struct EchoSession {
    spec: EchoSpec,
    sent: u32,
    reply: Option<Vec<u8>>,
    seed: u64,
}

impl EchoSession {
    /// A session whose timestamps derive from `seed`.
    pub fn new(spec: EchoSpec, seed: u64) -> EchoSession {
        EchoSession {
            spec,
            sent: 0,
            reply: None,
            seed,
        }
    }
}

impl AppSession for EchoSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        if let Some(data) = self.reply.take() {
            return Some(Message {
                from: Side::Server,
                body: Body::bytes(data),
                delay: ms(0.01),
            });
        }
        if self.sent >= self.spec.count {
            return None;
        }
        self.sent += 1;
        let mut data = Vec::with_capacity(56);
        data.extend_from_slice(
            &(1_709_542_800 + self.seed % 3600 + u64::from(self.sent)).to_le_bytes(),
        );
        data.extend(0x10u8..0x38);
        if self.spec.answered {
            self.reply = Some(data.clone());
        }
        Some(Message {
            from: Side::Client,
            body: Body::bytes(data),
            delay: if self.sent == 1 {
                ms(0.0)
            } else {
                ms(1000.0 + rng.unit())
            },
        })
    }
}

/// Request/response exchanges of high-entropy bytes: a protocol not modelled yet (databases,
/// file transfers, RPC). `segscope` should find them `unknown`.
#[derive(Clone, Debug, PartialEq)]
pub struct OpaqueSpec {
    /// `(client bytes, server bytes)` per exchange; a zero server length means no reply.
    pub exchanges: Vec<(u64, u64)>,
    /// Mean client think time between exchanges, in milliseconds.
    pub think_ms: f64,
    /// Mean server processing time, in milliseconds.
    pub server_ms: f64,
}

/// Plays an [`OpaqueSpec`].
#[derive(Debug)]
pub struct OpaqueSession {
    spec: OpaqueSpec,
    next: usize,
    reply_due: bool,
    seed: u64,
}

impl OpaqueSession {
    /// A session whose bytes derive from `seed`.
    pub fn new(spec: OpaqueSpec, seed: u64) -> OpaqueSession {
        OpaqueSession {
            spec,
            next: 0,
            reply_due: false,
            seed,
        }
    }
}

impl AppSession for OpaqueSession {
    fn next_message(&mut self, rng: &mut Rng) -> Option<Message> {
        loop {
            let &(c, s) = self.spec.exchanges.get(self.next)?;
            let seed = self.seed.wrapping_add(2 * self.next as u64);
            if self.reply_due {
                self.reply_due = false;
                self.next += 1;
                if s == 0 {
                    continue;
                }
                return Some(Message {
                    from: Side::Server,
                    body: opaque(s, seed ^ 1),
                    delay: ms(rng.exponential(self.spec.server_ms)),
                });
            }
            self.reply_due = true;
            if c == 0 {
                continue;
            }
            return Some(Message {
                from: Side::Client,
                body: opaque(c, seed),
                delay: if self.next == 0 {
                    ms(0.0)
                } else {
                    ms(rng.exponential(self.spec.think_ms))
                },
            });
        }
    }
}

fn opaque(len: u64, seed: u64) -> Body {
    let mut b = Body::opaque(len, seed);
    b.fill_kind = FillKind::Random;
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_exchanges_alternate_and_skip_empty_replies() {
        let spec = OpaqueSpec {
            exchanges: vec![(100, 2000), (50, 0), (10, 20)],
            think_ms: 1.0,
            server_ms: 1.0,
        };
        let mut s = OpaqueSession::new(spec, 9);
        let mut rng = Rng::new(3);
        let got: Vec<(Side, u64)> = std::iter::from_fn(|| s.next_message(&mut rng))
            .map(|m| (m.from, m.body.len()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Side::Client, 100),
                (Side::Server, 2000),
                (Side::Client, 50),
                (Side::Client, 10),
                (Side::Server, 20)
            ]
        );
    }

    #[test]
    fn ntp_messages_are_48_bytes_with_client_and_server_modes() {
        let mut s = NtpSession::new(5);
        let mut rng = Rng::new(1);
        let q = s.next_message(&mut rng).expect("request");
        let r = s.next_message(&mut rng).expect("response");
        assert_eq!((q.body.head.len(), r.body.head.len()), (48, 48));
        assert_eq!((q.body.head[0] & 7, r.body.head[0] & 7), (3, 4));
        assert_eq!(
            &r.body.head[24..32],
            &q.body.head[40..48],
            "origin = client transmit"
        );
        assert!(s.next_message(&mut rng).is_none());
    }
}
