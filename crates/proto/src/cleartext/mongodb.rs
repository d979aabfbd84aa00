//! MongoDB wire protocol: OP_QUERY, OP_MSG, OP_COMPRESSED (and the legacy opcodes), with the
//! command documents walked as BSON.
//!
//! - `saslStart` (also inside `speculativeAuthenticate` of `hello`/`isMaster`): SCRAM-SHA-1/256 →
//!   [`super::CHALLENGE_RESPONSE_CLASS`]; PLAIN (LDAP proxy) → `cleartext_credentials`; GSSAPI →
//!   [`crate::enterprise::gss::GssAuth`].
//! - `authenticate` with MONGODB-CR → `cleartext_credentials` (`md5_response`); MONGODB-X509 →
//!   the certificate was checked by TLS, which this flow does not show → `unknown`.
//! - Commands without any of these → `cleartext_unauthenticated`.
//!
//! OP_COMPRESSED bodies (snappy, zlib, zstd) are not decompressed: the MongoDB compression
//! specification forbids compressing `hello`/`isMaster`, `saslStart`, `saslContinue`,
//! `getnonce`, `authenticate` and the user-management commands, so authentication is always
//! visible in clear. A compressor id of 0 (noop) is read like an uncompressed message.

use segscope_core::{AppProto, AuthClass, Transport};

use super::sasl::{self, for_user};
use super::{Login, user_name, verdict};
use crate::bytes::{Reader, printable};
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// MongoDB probe.
pub struct Mongodb;
/// The MongoDB probe instance.
pub static MONGODB: Mongodb = Mongodb;

const OP_REPLY: u32 = 1;
const OP_UPDATE: u32 = 2001;
const OP_INSERT: u32 = 2002;
const OP_QUERY: u32 = 2004;
const OP_GET_MORE: u32 = 2005;
const OP_DELETE: u32 = 2006;
const OP_KILL_CURSORS: u32 = 2007;
const OP_COMMAND: u32 = 2010;
const OP_COMMAND_REPLY: u32 = 2011;
const OP_COMPRESSED: u32 = 2012;
const OP_MSG: u32 = 2013;
/// MongoDB's maximum message size.
const MAX_MESSAGE: u32 = 48_000_000;

fn known_opcode(op: u32) -> bool {
    matches!(
        op,
        OP_REPLY
            | OP_UPDATE
            | OP_INSERT
            | OP_QUERY
            | OP_GET_MORE
            | OP_DELETE
            | OP_KILL_CURSORS
            | OP_COMMAND
            | OP_COMMAND_REPLY
            | OP_COMPRESSED
            | OP_MSG
    )
}

/// One message: (opcode, responseTo, body after the 16-byte header).
pub fn messages(b: &[u8]) -> impl Iterator<Item = (u32, u32, &[u8])> {
    let mut r = Reader::new(b);
    std::iter::from_fn(move || {
        let len = r.le_u32()?;
        let _request_id = r.le_u32()?;
        let response_to = r.le_u32()?;
        let op = r.le_u32()?;
        if !(16..=MAX_MESSAGE).contains(&len) || !known_opcode(op) {
            return None;
        }
        let body = r.take(len as usize - 16)?;
        Some((op, response_to, body))
    })
}

/// A BSON element: (type, key, value bytes).
pub type Element<'a> = (u8, &'a [u8], &'a [u8]);

/// The elements of a BSON document (stops at the first malformed one).
pub fn bson_elements(doc: &[u8]) -> impl Iterator<Item = Element<'_>> {
    let body = Reader::new(doc)
        .le_u32()
        .and_then(|len| doc.get(4..(len as usize).checked_sub(1)?))
        .unwrap_or(&[]);
    let mut r = Reader::new(body);
    std::iter::from_fn(move || {
        let kind = r.u8()?;
        let rest = r.rest();
        let key_len = rest.iter().position(|&b| b == 0)?;
        let key = r.take(key_len)?;
        r.skip(1)?;
        let value_len = match kind {
            0x01 | 0x09 | 0x11 | 0x12 => 8,
            0x02 | 0x0d | 0x0e => (Reader::new(r.rest()).le_u32()? as usize).checked_add(4)?,
            0x03 | 0x04 | 0x0f => Reader::new(r.rest()).le_u32()? as usize,
            0x05 => (Reader::new(r.rest()).le_u32()? as usize).checked_add(5)?,
            0x06 | 0x0a | 0xff | 0x7f => 0,
            0x07 => 12,
            0x08 => 1,
            0x0b => {
                let rest = r.rest();
                let a = rest.iter().position(|&b| b == 0)?;
                let b = rest.get(a + 1..)?.iter().position(|&b| b == 0)?;
                a + b + 2
            }
            0x0c => (Reader::new(r.rest()).le_u32()? as usize).checked_add(16)?,
            0x10 => 4,
            0x13 => 16,
            _ => return None,
        };
        Some((kind, key, r.take(value_len)?))
    })
}

/// A string element's value.
fn bson_str(value: &[u8]) -> Option<&[u8]> {
    let len = Reader::new(value).le_u32()? as usize;
    value.get(4..4 + len.checked_sub(1)?)
}

/// A binary element's data.
fn bson_binary(value: &[u8]) -> Option<&[u8]> {
    value.get(5..)
}

/// The command documents of one client message (OP_QUERY query, OP_MSG body section,
/// OP_COMMAND metadata), or `None` when compressed.
fn command_doc(op: u32, body: &[u8]) -> Result<Option<&[u8]>, ()> {
    let mut r = Reader::new(body);
    match op {
        OP_QUERY => {
            r.skip(4).ok_or(())?;
            let rest = r.rest();
            let end = rest.iter().position(|&b| b == 0).ok_or(())?;
            r.skip(end + 1 + 8).ok_or(())?;
            let doc = r.rest();
            // `{$query: {...}}` wraps the command for some drivers.
            let inner = bson_elements(doc)
                .find(|(t, k, _)| *t == 0x03 && (*k == b"$query" || *k == b"query"));
            Ok(Some(inner.map(|(_, _, v)| v).unwrap_or(doc)))
        }
        OP_MSG => {
            r.skip(4).ok_or(())?;
            while let Some(kind) = r.u8() {
                let len = Reader::new(r.rest()).le_u32().ok_or(())? as usize;
                let section = r.take(len).ok_or(())?;
                if kind == 0 {
                    return Ok(Some(section));
                }
            }
            Ok(None)
        }
        OP_COMMAND => {
            let rest = r.rest();
            let db_end = rest.iter().position(|&b| b == 0).ok_or(())?;
            let after_db = rest.get(db_end + 1..).ok_or(())?;
            let name_end = after_db.iter().position(|&b| b == 0).ok_or(())?;
            Ok(after_db.get(name_end + 1..))
        }
        OP_COMPRESSED => {
            let original = r.le_u32().ok_or(())?;
            r.skip(4).ok_or(())?;
            if r.u8().ok_or(())? == 0 {
                command_doc(original, r.rest())
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

impl Probe for Mongodb {
    fn name(&self) -> &'static str {
        "mongodb"
    }
    fn app(&self) -> AppProto {
        AppProto::Mongodb
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        let mut r = Reader::new(ctx.client_head());
        // responseTo is 0 in requests, but some drivers send -1: it is not checked.
        let (Some(len), Some(_), Some(_), Some(op)) =
            (r.le_u32(), r.le_u32(), r.le_u32(), r.le_u32())
        else {
            return Verdict::NotForUs;
        };
        let client_side = matches!(
            op,
            OP_QUERY
                | OP_MSG
                | OP_COMPRESSED
                | OP_COMMAND
                | OP_INSERT
                | OP_UPDATE
                | OP_DELETE
                | OP_GET_MORE
        );
        if !client_side || !(21..=MAX_MESSAGE).contains(&len) {
            return Verdict::NotForUs;
        }
        match messages(ctx.client.bytes).next() {
            Some((op, _, body)) if command_doc(op, body).is_ok() => Verdict::Certain,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        analyze(ctx)
    }
}

/// What one command document says about authentication.
fn auth_in(doc: &[u8]) -> Option<Login> {
    let mut elements = bson_elements(doc);
    let (_, name, _) = elements.next()?;
    let field = |key: &[u8]| {
        bson_elements(doc)
            .find(|(_, k, _)| *k == key)
            .map(|(t, _, v)| (t, v))
    };
    if name == b"saslStart" {
        return Some(sasl_start(doc));
    }
    if name == b"authenticate" {
        let mech = field(b"mechanism")
            .and_then(|(_, v)| bson_str(v))
            .unwrap_or(b"MONGODB-CR");
        let user = field(b"user")
            .and_then(|(_, v)| bson_str(v))
            .and_then(user_name);
        if mech == b"MONGODB-X509" {
            return Some(Login::other(
                AuthClass::Unknown,
                "mongodb_x509",
                user,
                "MongoDB MONGODB-X509 authentication: the certificate is checked by a TLS layer not visible in this flow".to_owned(),
            ));
        }
        let key_len = field(b"key")
            .and_then(|(_, v)| bson_str(v))
            .map(<[u8]>::len)
            .unwrap_or(0);
        return Some(Login::credentials(
            "mongodb_cr",
            user.clone(),
            "md5_response",
            key_len,
            format!(
                "MongoDB MONGODB-CR authenticate{}: an MD5 response attackable offline crossed in clear",
                for_user(&user)
            ),
        ));
    }
    if (name == b"hello" || name == b"isMaster" || name == b"ismaster")
        && let Some((0x03, spec)) = field(b"speculativeAuthenticate")
    {
        return Some(sasl_start(spec));
    }
    None
}

/// A `saslStart` document: `{saslStart: 1, mechanism: "...", payload: BinData}`.
fn sasl_start(doc: &[u8]) -> Login {
    let field = |key: &[u8]| {
        bson_elements(doc)
            .find(|(_, k, _)| *k == key)
            .map(|(_, _, v)| v)
    };
    let mech = field(b"mechanism").and_then(bson_str).unwrap_or(b"");
    let payload = field(b"payload").and_then(bson_binary).unwrap_or(&[]);
    if mech == b"MONGODB-AWS" {
        return Login::other(
            super::CHALLENGE_RESPONSE_CLASS,
            "mongodb-aws",
            None,
            "MongoDB MONGODB-AWS: a signed AWS STS request, no reusable secret in clear".to_owned(),
        );
    }
    sasl::judge("MongoDB", mech, &[payload.to_vec()], &[])
}

fn analyze(ctx: &Ctx<'_>) -> Analysis {
    let mut commands = 0usize;
    let mut compressed = 0usize;
    let mut first_command: Option<String> = None;
    let mut parse_error = false;
    for (op, _, body) in messages(ctx.client.bytes).take(256) {
        match command_doc(op, body) {
            Ok(Some(doc)) => {
                commands += 1;
                if let Some(login) = auth_in(doc) {
                    return login.into_analysis(AppProto::Mongodb);
                }
                if first_command.is_none() {
                    first_command = bson_elements(doc).next().map(|(_, k, _)| printable(k, 64));
                }
            }
            Ok(None) => compressed += usize::from(op == OP_COMPRESSED),
            Err(()) => parse_error = true,
        }
    }
    let first = first_command
        .map(|c| format!(" (first: {c})"))
        .unwrap_or_default();
    let compressed = if compressed > 0 {
        format!("; {compressed} compressed messages (authentication commands are never compressed)")
    } else {
        String::new()
    };
    let mut a = verdict(
        AppProto::Mongodb,
        AuthClass::CleartextUnauthenticated,
        format!("MongoDB: {commands} commands without authentication{first}{compressed}"),
    );
    a.parse_error = parse_error;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(elements: &[u8]) -> Vec<u8> {
        let mut d = ((elements.len() + 5) as u32).to_le_bytes().to_vec();
        d.extend_from_slice(elements);
        d.push(0);
        d
    }

    #[test]
    fn bson_walks_elements() {
        let mut e = vec![0x10];
        e.extend_from_slice(b"isMaster\0");
        e.extend_from_slice(&1i32.to_le_bytes());
        e.push(0x02);
        e.extend_from_slice(b"s\0");
        e.extend_from_slice(&3u32.to_le_bytes());
        e.extend_from_slice(b"ab\0");
        let d = doc(&e);
        let v: Vec<_> = bson_elements(&d).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1, b"isMaster");
        assert_eq!(bson_str(v[1].2), Some(&b"ab"[..]));
        assert_eq!(bson_elements(&[0xff, 0xff, 0xff, 0xff, 0x02]).count(), 0);
        assert_eq!(
            bson_elements(&doc(&[0x02, b'k', 0, 0xff, 0xff, 0xff, 0xff])).count(),
            0
        );
    }
}
