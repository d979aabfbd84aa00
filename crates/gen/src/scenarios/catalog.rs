//! The labelled conversations ([`crate::convo`]) a scenario replays, looked up by name with a
//! fallback by label, and adapted to the hosts they are replayed between.
//!
//! The conversation modules keep growing while scenarios are written against them, so a
//! scenario asks for a conversation by name *and* by the labels it needs (protocol,
//! authentication class, TLS version): when the name is missing, the first conversation with
//! the same labels is used instead, and the substitution is written into the ground truth
//! (`conversations[].fallback`), never hidden.
//!
//! Every conversation is also built twice: one whose bytes differ between the builds draws
//! randomness from the system and would make every capture different. Its TLS handshake is
//! then replaced by a seeded one ([`reproducible`]), and the replay's name says so.

use std::collections::BTreeMap;
use std::sync::Arc;

use segscope_core::{AppProto, AuthClass, Span, Transport};

use crate::app::{AppSpec, RecordedSpec, RecordedTurn, Side};
use crate::convo::{self, Conversation, Turn};
use crate::scenarios::truth::ConversationUse;

/// What a scenario needs of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    /// The conversation asked for.
    pub name: &'static str,
    /// Its protocol.
    pub app: AppProto,
    /// Its authentication class.
    pub auth: AuthClass,
    /// A name fragment a fallback must also contain (`"tls12"`, `"tls13"`), or empty.
    pub family: &'static str,
}

impl Want {
    /// A conversation named `name` speaking `app` with `auth`, any fallback of the same labels.
    pub const fn new(name: &'static str, app: AppProto, auth: AuthClass) -> Want {
        Want {
            name,
            app,
            auth,
            family: "",
        }
    }

    /// The same, with fallbacks restricted to names containing `family`.
    pub const fn family(self, family: &'static str) -> Want {
        Want { family, ..self }
    }
}

/// One conversation ready to replay.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The conversation's name.
    pub name: String,
    /// Transport it was recorded over.
    pub transport: Transport,
    /// Protocol label.
    pub app: AppProto,
    /// Authentication label.
    pub auth: AuthClass,
    /// Turns, shared between all sessions replaying it.
    pub turns: Arc<[RecordedTurn]>,
}

impl Replay {
    /// The application spec of one session replaying it, `gap` apart per turn.
    pub fn spec(&self, gap: Span) -> AppSpec {
        AppSpec::Recorded(RecordedSpec {
            proto: self.app,
            turns: Arc::clone(&self.turns),
            gap,
        })
    }

    /// Only the first `n` turns: a session that stops after them (for example an SMB
    /// session that authenticates and does nothing else).
    pub fn prefix(&self, n: usize, suffix: &str) -> Replay {
        Replay {
            name: format!("{}{suffix}", self.name),
            turns: self.turns.iter().take(n).cloned().collect(),
            ..self.clone()
        }
    }

    /// The same bytes with host names replaced (`(old, new)` pairs of equal length, as ASCII
    /// and as UTF-16LE), so names carried inside the protocol (an SMB tree path, an NTLM
    /// workstation, a Kerberos principal) match the hosts it is replayed between. Lengths
    /// are unchanged, so every length field stays right; pairs of different lengths are
    /// skipped.
    pub fn renamed(&self, pairs: &[(&str, &str)]) -> Replay {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .copied()
            .filter(|(a, b)| a.len() == b.len() && a != b)
            .collect();
        if pairs.is_empty() {
            return self.clone();
        }
        let turns: Vec<RecordedTurn> = self
            .turns
            .iter()
            .map(|t| {
                let mut bytes = t.bytes.clone();
                for (old, new) in &pairs {
                    replace_all(&mut bytes, old.as_bytes(), new.as_bytes());
                    replace_all(&mut bytes, &utf16(old), &utf16(new));
                }
                RecordedTurn {
                    from: t.from,
                    bytes,
                }
            })
            .collect();
        let tag: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}>{b}")).collect();
        Replay {
            name: format!("{}[{}]", self.name, tag.join(",")),
            turns: turns.into(),
            ..self.clone()
        }
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn replace_all(hay: &mut [u8], old: &[u8], new: &[u8]) {
    if old.is_empty() || old.len() != new.len() {
        return;
    }
    let mut i = 0;
    while let Some(window) = hay.get(i..i + old.len()) {
        if window == old {
            if let Some(dst) = hay.get_mut(i..i + old.len()) {
                dst.copy_from_slice(new);
            }
            i += old.len();
        } else {
            i += 1;
        }
    }
}

/// Every labelled conversation, and which ones a scenario used.
#[derive(Debug)]
pub struct Catalog {
    all: Vec<Conversation>,
    /// Conversation name → the seeded handshake spliced into it.
    spliced: BTreeMap<String, String>,
    used: BTreeMap<&'static str, ConversationUse>,
    cache: BTreeMap<&'static str, Replay>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

impl Catalog {
    /// The conversations of [`convo::all`], made reproducible (see [`reproducible`]).
    pub fn new() -> Catalog {
        let (all, spliced) = reproducible(convo::all(), &convo::all());
        Catalog {
            all,
            spliced,
            used: BTreeMap::new(),
            cache: BTreeMap::new(),
        }
    }

    /// A catalog of these conversations (tests use it to check the fallbacks).
    pub fn from_conversations(all: Vec<Conversation>) -> Catalog {
        Catalog {
            all,
            spliced: BTreeMap::new(),
            used: BTreeMap::new(),
            cache: BTreeMap::new(),
        }
    }

    /// The conversation `want` names, or one with its labels; `None` when nothing has them
    /// (the scenario then leaves the session out, and the truth says so).
    pub fn get(&mut self, want: Want) -> Option<Replay> {
        if let Some(r) = self.cache.get(want.name) {
            return Some(r.clone());
        }
        // The name decides when present (its own labels go into the truth, even if they were
        // revised since the scenario was written); the labels choose a substitute otherwise.
        let exact = self
            .all
            .iter()
            .find(|c| c.name == want.name && c.app == want.app);
        let fallback = || {
            self.all
                .iter()
                .find(|c| c.app == want.app && c.auth == want.auth && c.name.contains(want.family))
        };
        let found = exact.or_else(fallback);
        let Some(c) = found else {
            self.used.insert(
                want.name,
                ConversationUse {
                    wanted: want.name.to_owned(),
                    used: None,
                    app: want.app,
                    auth: want.auth,
                    fallback: true,
                },
            );
            return None;
        };
        let name = match self.spliced.get(&c.name) {
            Some(handshake) => format!("{}[tls:{handshake}]", c.name),
            None => c.name.clone(),
        };
        let replay = Replay {
            name: name.clone(),
            transport: c.transport,
            app: c.app,
            auth: c.auth,
            turns: c
                .turns
                .iter()
                .map(|t| RecordedTurn {
                    from: if t.from_client {
                        Side::Client
                    } else {
                        Side::Server
                    },
                    bytes: t.bytes.clone(),
                })
                .collect(),
        };
        self.used.insert(
            want.name,
            ConversationUse {
                wanted: want.name.to_owned(),
                used: Some(name),
                app: c.app,
                auth: c.auth,
                fallback: c.name != want.name,
            },
        );
        self.cache.insert(want.name, replay.clone());
        Some(replay)
    }

    /// What was asked for and what was used, in name order.
    pub fn uses(&self) -> Vec<ConversationUse> {
        self.used.values().cloned().collect()
    }
}

/// `first` with every conversation that differs from its namesake in `second` (another build)
/// made reproducible, and the seeded handshake each repaired one received.
///
/// The only such conversations are protocols upgraded to TLS in band (RDP with CredSSP, LDAP
/// StartTLS): their handshake is made with rustls' default provider and freshly generated keys,
/// so its randoms, key shares and signatures change on every build. The cleartext prelude is
/// kept and everything from the client's first TLS record on is replaced by the seeded TLS 1.2
/// handshake of [`convo::tls`] with the same authentication class. A conversation that cannot
/// be repaired so (a prelude that differs too, no handshake, no seeded handshake of its class)
/// is left out: scenarios then fall back by labels, and the truth records it.
pub fn reproducible(
    first: Vec<Conversation>,
    second: &[Conversation],
) -> (Vec<Conversation>, BTreeMap<String, String>) {
    let stable = |c: &Conversation| second.iter().any(|d| d == c);
    let handshakes: Vec<Conversation> = first
        .iter()
        .filter(|c| c.app == AppProto::Tls && c.name.starts_with("tls12-") && stable(c))
        .cloned()
        .collect();
    let mut spliced = BTreeMap::new();
    let mut out = Vec::with_capacity(first.len());
    for c in first {
        if stable(&c) {
            out.push(c);
            continue;
        }
        let Some(start) = c.turns.iter().position(is_client_hello) else {
            continue;
        };
        let prelude_stable = second
            .iter()
            .any(|d| d.name == c.name && d.turns.get(..start) == c.turns.get(..start));
        let handshake = handshakes
            .iter()
            .find(|h| h.auth == c.auth && h.transport == c.transport);
        let (true, Some(h)) = (prelude_stable, handshake) else {
            continue;
        };
        spliced.insert(c.name.clone(), h.name.clone());
        let mut turns = c.turns;
        turns.truncate(start);
        turns.extend(h.turns.iter().cloned());
        out.push(Conversation { turns, ..c });
    }
    (out, spliced)
}

/// A client turn starting with a TLS handshake record holding a ClientHello.
fn is_client_hello(t: &Turn) -> bool {
    t.from_client && matches!(t.bytes.as_slice(), [0x16, 0x03, _, _, _, 0x01, ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(name: &str, app: AppProto, auth: AuthClass, bytes: &[u8]) -> Conversation {
        Conversation {
            name: name.to_owned(),
            transport: Transport::TCP,
            server_port: 445,
            turns: vec![Turn {
                from_client: true,
                bytes: bytes.to_vec(),
            }],
            app,
            auth,
        }
    }

    #[test]
    fn a_missing_name_falls_back_to_the_same_labels_and_says_so() {
        let mut cat = Catalog::from_conversations(vec![
            conv("smb-a", AppProto::Smb, AuthClass::Ntlm, b"a"),
            conv("smb-b", AppProto::Smb, AuthClass::Kerberos, b"b"),
        ]);
        let want = Want::new("smb-new", AppProto::Smb, AuthClass::Kerberos);
        let r = cat.get(want).expect("a fallback exists");
        assert_eq!(r.name, "smb-b");
        assert!(
            cat.get(Want::new("x", AppProto::Ssh, AuthClass::Ssh))
                .is_none()
        );
        let uses = cat.uses();
        assert_eq!(uses.len(), 2);
        let smb = uses
            .iter()
            .find(|u| u.wanted == "smb-new")
            .expect("recorded");
        assert!(smb.fallback);
        assert_eq!(smb.used.as_deref(), Some("smb-b"));
        let ssh = uses.iter().find(|u| u.wanted == "x").expect("recorded");
        assert_eq!(ssh.used, None);
    }

    fn turns(c: &Conversation) -> Vec<(bool, Vec<u8>)> {
        c.turns
            .iter()
            .map(|t| (t.from_client, t.bytes.clone()))
            .collect()
    }

    #[test]
    fn a_conversation_that_changes_between_builds_gets_the_seeded_handshake() {
        // A cleartext prelude, then a ClientHello (handshake record, type 1) and a reply
        // that differ between the two builds, as an unseeded handshake does.
        let hello = |random: u8| vec![0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0, 0, 1, random];
        let upgraded = |random: u8| Conversation {
            name: "rdp-upgraded".to_owned(),
            transport: Transport::TCP,
            server_port: 3389,
            turns: vec![
                Turn {
                    from_client: true,
                    bytes: b"x224-request".to_vec(),
                },
                Turn {
                    from_client: false,
                    bytes: b"x224-confirm".to_vec(),
                },
                Turn {
                    from_client: true,
                    bytes: hello(random),
                },
                Turn {
                    from_client: false,
                    bytes: vec![0x16, 0x03, 0x03, random],
                },
            ],
            app: AppProto::Rdp,
            auth: AuthClass::TlsServerOnly,
        };
        let seeded = conv(
            "tls12-server-only",
            AppProto::Tls,
            AuthClass::TlsServerOnly,
            &hello(9),
        );
        let other = conv("smb", AppProto::Smb, AuthClass::Ntlm, b"smb");
        let build = |random: u8| vec![seeded.clone(), upgraded(random), other.clone()];
        let (out, spliced) = reproducible(build(1), &build(2));
        assert_eq!(
            spliced,
            BTreeMap::from([("rdp-upgraded".to_owned(), "tls12-server-only".to_owned())])
        );
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], seeded);
        assert_eq!(out[2], other);
        assert_eq!(
            turns(&out[1]),
            vec![
                (true, b"x224-request".to_vec()),
                (false, b"x224-confirm".to_vec()),
                (true, hello(9)),
            ]
        );
        assert_eq!(
            (out[1].app, out[1].auth),
            (AppProto::Rdp, AuthClass::TlsServerOnly)
        );

        // The replay says what was spliced in, and the truth records the replay's name.
        let mut cat = Catalog {
            all: out,
            spliced,
            used: BTreeMap::new(),
            cache: BTreeMap::new(),
        };
        let r = cat
            .get(Want::new(
                "rdp-upgraded",
                AppProto::Rdp,
                AuthClass::TlsServerOnly,
            ))
            .expect("present");
        assert_eq!(r.name, "rdp-upgraded[tls:tls12-server-only]");
        let uses = cat.uses();
        assert_eq!(uses[0].used.as_deref(), Some(r.name.as_str()));
        assert!(!uses[0].fallback);

        // Without a seeded handshake of its class the conversation is left out.
        let (out, spliced) = reproducible(vec![upgraded(1)], &[upgraded(2)]);
        assert!(out.is_empty() && spliced.is_empty());
    }

    #[test]
    fn renaming_keeps_lengths_and_replaces_ascii_and_utf16() {
        let mut bytes = b"\\\\fs01\\ADMIN$ ".to_vec();
        bytes.extend(utf16("\\\\fs01\\IPC$"));
        let mut cat =
            Catalog::from_conversations(vec![conv("smb", AppProto::Smb, AuthClass::Ntlm, &bytes)]);
        let r = cat
            .get(Want::new("smb", AppProto::Smb, AuthClass::Ntlm))
            .expect("present");
        let n = r.renamed(&[("fs01", "ws06"), ("toolong", "x")]);
        let out = &n.turns[0].bytes;
        assert_eq!(out.len(), bytes.len());
        assert!(out.starts_with(b"\\\\ws06\\ADMIN$ "));
        assert!(out.ends_with(&utf16("\\\\ws06\\IPC$")));
        assert!(n.name.contains("fs01>ws06"));
    }
}
