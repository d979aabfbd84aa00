//! SMB 1, 2 and 3 over the NetBIOS session service (direct TCP on 445, NBSS on 139, or any
//! port): dialect, signing, encryption, session setup security blobs (→ [`GssAuth`]), tree
//! connects and the named pipes opened on `IPC$` (DCE-RPC over SMB). Layouts from MS-SMB2 §2.2
//! and MS-CIFS/MS-SMB §2.2.

use std::net::IpAddr;

use segscope_core::auth::{NtlmFacts, SecretSeen, SmbFacts, Weakness};
use segscope_core::{AppProto, AuthClass, AuthEvidence, NameObservation, NameSource, Transport};

use super::dcerpc::{self, RpcConversation};
use super::gss::{GssAuth, GssOutcome};
use super::ntlmssp::utf16le;
use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

const SMB1_MAGIC: &[u8; 4] = b"\xffSMB";
const SMB2_MAGIC: &[u8; 4] = b"\xfeSMB";
const TRANSFORM_MAGIC: &[u8; 4] = b"\xfdSMB";
const COMPRESSED_MAGIC: &[u8; 4] = b"\xfcSMB";

/// NBSS message types (RFC 1002 §4.3.1).
const NBSS_MESSAGE: u8 = 0x00;
const NBSS_SESSION_REQUEST: u8 = 0x81;

const SMB2_HEADER_LEN: usize = 64;
const SMB1_HEADER_LEN: usize = 32;

/// SMB2 commands.
const SMB2_NEGOTIATE: u16 = 0x0000;
const SMB2_SESSION_SETUP: u16 = 0x0001;
const SMB2_TREE_CONNECT: u16 = 0x0003;
const SMB2_CREATE: u16 = 0x0005;
const SMB2_WRITE: u16 = 0x0009;
const SMB2_IOCTL: u16 = 0x000b;
const SMB2_FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
const SMB2_FLAGS_ASYNC: u32 = 0x0000_0002;
const SMB2_SIGNING_REQUIRED: u16 = 0x0002;
const SMB2_SESSION_FLAG_IS_GUEST: u16 = 0x0001;
const SMB2_SESSION_FLAG_IS_NULL: u16 = 0x0002;
const SMB2_SESSION_FLAG_ENCRYPT_DATA: u16 = 0x0004;
const SMB2_SHARE_TYPE_PIPE: u8 = 0x02;
const SMB2_SHAREFLAG_ENCRYPT_DATA: u32 = 0x0000_0008;
const SMB2_WILDCARD_DIALECT: u16 = 0x02ff;

/// SMB1 commands.
const SMB1_NEGOTIATE: u8 = 0x72;
const SMB1_SESSION_SETUP_ANDX: u8 = 0x73;
const SMB1_TREE_CONNECT_ANDX: u8 = 0x75;
const SMB1_NT_CREATE_ANDX: u8 = 0xa2;
const SMB1_TRANSACTION: u8 = 0x25;
const SMB1_WRITE_ANDX: u8 = 0x2f;
const SMB1_ANDX_NONE: u8 = 0xff;
const SMB1_FLAGS_REPLY: u8 = 0x80;
const SMB1_FLAGS2_UNICODE: u16 = 0x8000;
const SMB1_SECMODE_ENCRYPT_PASSWORDS: u8 = 0x02;
const SMB1_SECMODE_SIGNATURES_REQUIRED: u8 = 0x08;
const SMB1_ACTION_GUEST: u16 = 0x0001;

/// NT status values that matter for evidence.
const STATUS_SUCCESS: u32 = 0;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xc000_0016;

/// The NetBIOS session service frames of a stream: (type, payload). A stream captured mid-way
/// is resynchronised on the first SMB magic preceded by a zero type byte.
pub fn nbss_frames(stream: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let start = if frame_is_smb(stream) || stream.first() == Some(&NBSS_SESSION_REQUEST) {
        0
    } else {
        resync(stream).unwrap_or(stream.len())
    };
    let mut r = Reader::new(stream.get(start..).unwrap_or(&[]));
    std::iter::from_fn(move || {
        let kind = r.u8()?;
        let len = r.be_u24()? as usize;
        Some((kind, r.take(len)?))
    })
}

fn frame_is_smb(b: &[u8]) -> bool {
    b.first() == Some(&NBSS_MESSAGE) && b.get(4..8).is_some_and(is_smb_magic)
}

fn is_smb_magic(b: &[u8]) -> bool {
    [SMB1_MAGIC, SMB2_MAGIC, TRANSFORM_MAGIC, COMPRESSED_MAGIC]
        .iter()
        .any(|m| b == *m)
}

fn resync(b: &[u8]) -> Option<usize> {
    (0..b.len().saturating_sub(8)).find(|&i| frame_is_smb(&b[i..]))
}

/// What one SMB connection showed.
#[derive(Default)]
pub struct SmbConversation {
    /// Negotiated dialect.
    pub dialect: Option<String>,
    /// SMB1 dialect strings the client offered, in order.
    smb1_offered: Vec<String>,
    /// SMB1 header seen in a non-negotiate command, or an SMB1 dialect selected.
    smb1_in_use: bool,
    /// The server requires signing (negotiate response).
    pub signing_required: Option<bool>,
    /// SMB1 server security mode (negotiate response).
    smb1_security_mode: Option<u8>,
    /// Transform headers (SMB3 encryption) seen.
    pub transform_headers: u32,
    /// Session or share flags demand encryption.
    pub encryption_demanded: bool,
    /// Session setups seen (requests or responses).
    pub session_setups: u32,
    /// A session setup response flagged a NULL session.
    pub null_session: bool,
    /// A session setup response flagged a guest session.
    pub guest_session: bool,
    /// A session setup failed with this status.
    pub logon_failure: Option<u32>,
    /// Security blobs.
    pub gss: GssAuth,
    /// SMB1 session setup without extended security.
    legacy: Option<LegacyLogon>,
    /// Tree connect requests: (message id, path).
    tree_requests: Vec<(u64, String)>,
    /// Successful tree connect responses: (message id, tree id, the server typed it a pipe).
    tree_responses: Vec<(u64, u32, bool)>,
    /// Create requests: (tree id, name).
    creates: Vec<(u32, String)>,
    /// DCE-RPC seen in pipe writes.
    pub rpc: RpcConversation,
    /// SMB messages parsed.
    pub messages: u32,
    /// SMB messages that did not parse.
    pub malformed: u32,
}

/// An SMB1 session setup with the LM/NTLM passwords in the request itself.
#[derive(Clone, Debug, Default)]
struct LegacyLogon {
    oem_password_len: u16,
    unicode_password_len: u16,
    account: String,
    domain: String,
}

impl SmbConversation {
    /// Parses the client's stream.
    pub fn client(&mut self, stream: &[u8]) {
        for (kind, frame) in nbss_frames(stream) {
            if kind == NBSS_MESSAGE {
                self.frame(frame, true);
            }
        }
    }

    /// Parses the server's stream.
    pub fn server(&mut self, stream: &[u8]) {
        for (kind, frame) in nbss_frames(stream) {
            if kind == NBSS_MESSAGE {
                self.frame(frame, false);
            }
        }
    }

    fn frame(&mut self, frame: &[u8], client: bool) {
        match frame.get(..4) {
            Some(m) if m == SMB2_MAGIC => self.smb2_compound(frame, client),
            Some(m) if m == SMB1_MAGIC => self.smb1(frame, client),
            Some(m) if m == TRANSFORM_MAGIC => self.transform_headers += 1,
            Some(m) if m == COMPRESSED_MAGIC => self.messages += 1,
            _ => self.malformed += 1,
        }
    }

    fn smb2_compound(&mut self, frame: &[u8], client: bool) {
        let mut off = 0usize;
        // A compound chains headers through NextCommand (8-byte aligned, strictly forward).
        for _ in 0..64 {
            let Some(msg) = frame.get(off..) else { return };
            let next = match self.smb2(msg, client) {
                Some(n) => n,
                None => {
                    self.malformed += 1;
                    return;
                }
            };
            if next == 0 {
                return;
            }
            off = match off.checked_add(next as usize) {
                Some(o) => o,
                None => return,
            };
        }
    }

    /// One SMB2 message; returns its NextCommand.
    fn smb2(&mut self, msg: &[u8], client: bool) -> Option<u32> {
        let mut h = Reader::new(msg);
        if h.take(4)? != SMB2_MAGIC || h.le_u16()? != 64 {
            return None;
        }
        h.skip(2)?;
        let status = h.le_u32()?;
        let command = h.le_u16()?;
        h.skip(2)?;
        let flags = h.le_u32()?;
        let next = h.le_u32()?;
        let message_id = h.le_u64()?;
        let tree_id = if flags & SMB2_FLAGS_ASYNC == 0 {
            h.skip(4)?;
            h.le_u32()?
        } else {
            h.skip(8)?;
            0
        };
        let body = msg.get(SMB2_HEADER_LEN..)?;
        let response = flags & SMB2_FLAGS_SERVER_TO_REDIR != 0;
        if response == client {
            // A direction that does not match the flag: count, do not interpret.
            self.malformed += 1;
            return Some(next);
        }
        self.messages += 1;
        let mut b = Reader::new(body);
        match (command, response) {
            (SMB2_NEGOTIATE, false) => {}
            (SMB2_NEGOTIATE, true) => {
                b.skip(2)?;
                let security_mode = b.le_u16()?;
                let dialect = b.le_u16()?;
                if dialect != SMB2_WILDCARD_DIALECT {
                    self.dialect = Some(smb2_dialect(dialect));
                    self.signing_required = Some(security_mode & SMB2_SIGNING_REQUIRED != 0);
                }
            }
            (SMB2_SESSION_SETUP, false) => {
                b.skip(12)?;
                let blob = buffer(msg, b.le_u16()?, b.le_u16()?)?;
                self.session_setups += 1;
                self.gss.client_token(blob);
            }
            (SMB2_SESSION_SETUP, true) => {
                b.skip(2)?;
                let session_flags = b.le_u16()?;
                let blob = buffer(msg, b.le_u16()?, b.le_u16()?)?;
                self.session_setups += 1;
                self.session_status(status);
                if status == STATUS_SUCCESS {
                    self.null_session |= session_flags & SMB2_SESSION_FLAG_IS_NULL != 0;
                    self.guest_session |= session_flags & SMB2_SESSION_FLAG_IS_GUEST != 0;
                    self.encryption_demanded |= session_flags & SMB2_SESSION_FLAG_ENCRYPT_DATA != 0;
                }
                if !blob.is_empty() {
                    self.gss.server_token(blob);
                }
            }
            (SMB2_TREE_CONNECT, false) => {
                b.skip(4)?;
                let path = buffer(msg, b.le_u16()?, b.le_u16()?)?;
                self.tree_requests.push((message_id, utf16le(path)));
            }
            (SMB2_TREE_CONNECT, true) if status == STATUS_SUCCESS => {
                b.skip(2)?;
                let share_type = b.u8()?;
                b.skip(1)?;
                let share_flags = b.le_u32()?;
                self.encryption_demanded |= share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA != 0;
                self.tree_responses
                    .push((message_id, tree_id, share_type == SMB2_SHARE_TYPE_PIPE));
            }
            (SMB2_CREATE, false) => {
                b.skip(44)?;
                let name = buffer(msg, b.le_u16()?, b.le_u16()?)?;
                self.creates.push((tree_id, utf16le(name)));
            }
            (SMB2_WRITE, false) => {
                b.skip(2)?;
                let off = b.le_u16()?;
                let len = b.le_u32()?;
                self.rpc_data(msg, usize::from(off), len as usize);
            }
            (SMB2_IOCTL, false) => {
                b.skip(24)?;
                let off = b.le_u32()?;
                let len = b.le_u32()?;
                self.rpc_data(msg, off as usize, len as usize);
            }
            _ => {}
        }
        Some(next)
    }

    fn session_status(&mut self, status: u32) {
        if status != STATUS_SUCCESS && status != STATUS_MORE_PROCESSING_REQUIRED {
            self.logon_failure = Some(status);
        }
    }

    fn rpc_data(&mut self, msg: &[u8], off: usize, len: usize) {
        let data = off
            .checked_add(len)
            .and_then(|end| msg.get(off..end.min(msg.len())));
        if let Some(data) = data
            && dcerpc::looks_like_pdu(data, &[dcerpc::ptype::BIND, dcerpc::ptype::ALTER_CONTEXT])
        {
            self.rpc.client(data);
        }
    }

    /// One SMB1 message with its AndX chain.
    fn smb1(&mut self, msg: &[u8], client: bool) {
        if self.smb1_message(msg, client).is_none() {
            self.malformed += 1;
        }
    }

    fn smb1_message(&mut self, msg: &[u8], client: bool) -> Option<()> {
        let mut h = Reader::new(msg);
        h.skip(4)?;
        let mut command = h.u8()?;
        let status = h.le_u32()?;
        let flags = h.u8()?;
        let flags2 = h.le_u16()?;
        h.skip(12)?;
        let tid = h.le_u16()?;
        h.skip(4)?;
        let mid = u64::from(h.le_u16()?);
        let response = flags & SMB1_FLAGS_REPLY != 0;
        if response == client {
            self.malformed += 1;
            return Some(());
        }
        self.messages += 1;
        let unicode = flags2 & SMB1_FLAGS2_UNICODE != 0;
        let mut off = SMB1_HEADER_LEN;
        // Follow the AndX chain forward only (offsets are from the header start).
        for _ in 0..8 {
            let mut r = Reader::new(msg.get(off..)?);
            let word_count = usize::from(r.u8()?);
            let words = r.take(word_count * 2)?;
            let byte_count = usize::from(r.le_u16()?);
            let bytes_off = off + 1 + word_count * 2 + 2;
            let bytes = r.take(byte_count).unwrap_or_else(|| r.rest());
            let block = Smb1Block {
                msg,
                words,
                bytes,
                bytes_off,
                unicode,
                status,
                tid: u32::from(tid),
                mid,
            };
            if command != SMB1_NEGOTIATE {
                self.smb1_in_use = true;
            }
            self.smb1_command(command, response, &block);
            let (true, [next, _, lo, hi, ..]) = (is_andx(command), words) else {
                return Some(());
            };
            let (next, lo, hi) = (*next, *lo, *hi);
            let next_off = usize::from(u16::from_le_bytes([lo, hi]));
            if next == SMB1_ANDX_NONE || next_off <= off {
                return Some(());
            }
            command = next;
            off = next_off;
        }
        Some(())
    }

    fn smb1_command(&mut self, command: u8, response: bool, b: &Smb1Block<'_>) {
        match (command, response) {
            (SMB1_NEGOTIATE, false) => {
                self.smb1_offered = b
                    .bytes
                    .split(|&c| c == 0)
                    .filter_map(|d| d.strip_prefix(&[0x02]))
                    .map(|d| crate::bytes::printable(d, 64))
                    .collect();
            }
            (SMB1_NEGOTIATE, true) => {
                let mut w = Reader::new(b.words);
                let Some(index) = w.le_u16() else { return };
                if let Some(d) = self.smb1_offered.get(usize::from(index)) {
                    self.dialect = Some(d.clone());
                    self.smb1_in_use = true;
                }
                if let Some(mode) = w.u8() {
                    self.smb1_security_mode = Some(mode);
                    self.signing_required = Some(mode & SMB1_SECMODE_SIGNATURES_REQUIRED != 0);
                }
            }
            (SMB1_SESSION_SETUP_ANDX, false) => self.smb1_session_setup_request(b),
            (SMB1_SESSION_SETUP_ANDX, true) => {
                self.session_setups += 1;
                self.session_status(b.status);
                let mut w = Reader::new(b.words);
                let action = w.skip(4).and_then(|()| w.le_u16());
                if b.status == STATUS_SUCCESS && action.is_some_and(|a| a & SMB1_ACTION_GUEST != 0)
                {
                    self.guest_session = true;
                }
                if b.words.len() == 8
                    && let Some(blob) = w.le_u16().and_then(|n| b.bytes.get(..usize::from(n)))
                    && !blob.is_empty()
                {
                    self.gss.server_token(blob);
                }
            }
            (SMB1_TREE_CONNECT_ANDX, false) => {
                let mut w = Reader::new(b.words);
                let Some(pw_len) = w.skip(6).and_then(|()| w.le_u16()) else {
                    return;
                };
                if let Some(path) = b.string_at(usize::from(pw_len)) {
                    self.tree_requests.push((b.mid, path));
                }
            }
            (SMB1_TREE_CONNECT_ANDX, true) if b.status == STATUS_SUCCESS => {
                let pipe = b.bytes.starts_with(b"IPC\0");
                self.tree_responses.push((b.mid, b.tid, pipe));
            }
            (SMB1_NT_CREATE_ANDX, false) => {
                if let Some(name) = b.string_at(0) {
                    self.creates.push((b.tid, name));
                }
            }
            (SMB1_TRANSACTION, false) => {
                let mut w = Reader::new(b.words);
                if w.skip(22).is_some()
                    && let (Some(count), Some(off)) = (w.le_u16(), w.le_u16())
                {
                    self.rpc_data(b.msg, usize::from(off), usize::from(count));
                }
            }
            (SMB1_WRITE_ANDX, false) => {
                let mut w = Reader::new(b.words);
                if w.skip(20).is_some()
                    && let (Some(count), Some(off)) = (w.le_u16(), w.le_u16())
                {
                    self.rpc_data(b.msg, usize::from(off), usize::from(count));
                }
            }
            _ => {}
        }
    }

    fn smb1_session_setup_request(&mut self, b: &Smb1Block<'_>) {
        self.session_setups += 1;
        let mut w = Reader::new(b.words);
        match b.words.len() {
            // Extended security: the security blob (SPNEGO or raw NTLMSSP).
            24 => {
                if let Some(blob) = w
                    .skip(14)
                    .and_then(|()| w.le_u16())
                    .and_then(|n| b.bytes.get(..usize::from(n)))
                {
                    self.gss.client_token(blob);
                }
            }
            // NT LM 0.12 without extended security: passwords inline, then the account.
            26 => {
                let (Some(()), Some(oem), Some(uni)) = (w.skip(14), w.le_u16(), w.le_u16()) else {
                    return;
                };
                let pw = usize::from(oem) + usize::from(uni);
                let account = b.string_at(pw).unwrap_or_default();
                let account_bytes = if b.unicode {
                    (account.encode_utf16().count() + 1) * 2
                } else {
                    account.len() + 1
                };
                let domain = b
                    .string_at(pw + b.align_pad(pw) + account_bytes)
                    .unwrap_or_default();
                self.legacy = Some(LegacyLogon {
                    oem_password_len: oem,
                    unicode_password_len: uni,
                    account,
                    domain,
                });
            }
            _ => {}
        }
    }

    /// Share paths, deduplicated, in order.
    pub fn trees(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (_, p) in &self.tree_requests {
            if !v.contains(p) {
                v.push(p.clone());
            }
        }
        v
    }

    /// Named pipes opened on IPC$ (or on a share the server typed as a pipe).
    pub fn pipes(&self) -> Vec<String> {
        let pipe_tids: Vec<u32> =
            self.tree_responses
                .iter()
                .filter(|(mid, _, pipe)| {
                    *pipe
                        || self.tree_requests.iter().any(|(m, path)| {
                            m == mid && path.to_ascii_uppercase().ends_with("\\IPC$")
                        })
                })
                .map(|(_, tid, _)| *tid)
                .collect();
        let mut v: Vec<String> = Vec::new();
        for (tid, name) in &self.creates {
            if !pipe_tids.contains(tid) {
                continue;
            }
            let name = name.trim_start_matches('\\');
            let name = name
                .strip_prefix("PIPE\\")
                .or_else(|| name.strip_prefix("pipe\\"))
                .unwrap_or(name)
                .to_owned();
            if !name.is_empty() && !v.contains(&name) {
                v.push(name);
            }
        }
        v
    }
}

fn is_andx(command: u8) -> bool {
    matches!(
        command,
        SMB1_SESSION_SETUP_ANDX | SMB1_TREE_CONNECT_ANDX | SMB1_NT_CREATE_ANDX | SMB1_WRITE_ANDX
    ) || command == 0x2e
        || command == 0x24
        || command == 0x2d
}

/// One SMB1 command block (header fields plus its words and bytes).
struct Smb1Block<'a> {
    msg: &'a [u8],
    words: &'a [u8],
    bytes: &'a [u8],
    /// Offset of `bytes` from the SMB header (Unicode strings align on it).
    bytes_off: usize,
    unicode: bool,
    status: u32,
    tid: u32,
    mid: u64,
}

impl Smb1Block<'_> {
    /// Padding before a Unicode string at `at` within the bytes (aligned to the header start).
    fn align_pad(&self, at: usize) -> usize {
        usize::from(self.unicode && (self.bytes_off + at) % 2 == 1)
    }

    /// The NUL-terminated string starting at `at` within the bytes.
    fn string_at(&self, at: usize) -> Option<String> {
        let start = at + self.align_pad(at);
        let s = self.bytes.get(start..)?;
        if self.unicode {
            let end = s
                .chunks_exact(2)
                .position(|c| c == [0, 0])
                .map_or(s.len() - s.len() % 2, |i| i * 2);
            Some(utf16le(&s[..end]))
        } else {
            let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
            Some(crate::bytes::printable(&s[..end], 256))
        }
    }
}

/// A (offset from the SMB2 header, length) buffer.
fn buffer(msg: &[u8], off: u16, len: u16) -> Option<&[u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let off = usize::from(off);
    msg.get(off..off.checked_add(usize::from(len))?)
}

/// SMB2 dialect revision as text.
fn smb2_dialect(d: u16) -> String {
    match d {
        0x0202 => "2.0.2".to_owned(),
        0x0210 => "2.1".to_owned(),
        0x0300 => "3.0".to_owned(),
        0x0302 => "3.0.2".to_owned(),
        0x0311 => "3.1.1".to_owned(),
        other => format!("0x{other:04x}"),
    }
}

/// The SMB probe.
pub(crate) struct SmbProbe;

impl SmbProbe {
    fn head_verdict(head: &[u8]) -> Verdict {
        if frame_is_smb(head) {
            return Verdict::Certain;
        }
        match nbss_frames(head).next() {
            Some((NBSS_SESSION_REQUEST, names)) if names.len() == 68 => Verdict::Certain,
            _ if resync(head).is_some() => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
}

impl Probe for SmbProbe {
    fn name(&self) -> &'static str {
        "smb"
    }

    fn app(&self) -> AppProto {
        AppProto::Smb
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        Self::head_verdict(ctx.client_head()).min(Self::head_verdict(ctx.server_head()))
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut smb = SmbConversation::default();
        smb.client(ctx.client.bytes);
        smb.server(ctx.server.bytes);
        verdict(&smb, ctx)
    }
}

fn verdict(smb: &SmbConversation, ctx: &Ctx<'_>) -> Analysis {
    let trees = smb.trees();
    let pipes = smb.pipes();
    let encrypted = smb.transform_headers > 0 || smb.encryption_demanded;
    let mut ev = AuthEvidence::default();
    let mut names = tree_host_names(&trees, ctx);
    let smb1 = smb.smb1_in_use;
    let mut weak = Vec::new();
    if smb1 {
        weak.push(Weakness::Smb1);
    }
    if smb.signing_required == Some(false) {
        weak.push(Weakness::SmbSigningNotRequired);
    }
    let dialect = smb.dialect.clone().unwrap_or_else(|| {
        if smb1 {
            "SMB1".to_owned()
        } else {
            "SMB2/3".to_owned()
        }
    });
    let mut reason = format!("SMB {dialect}");
    let auth = if let Some(legacy) = &smb.legacy {
        legacy_logon(legacy, smb, &mut ev, &mut reason)
    } else if let Some(o) = smb.gss.outcome() {
        gss_evidence(&o, &mut ev);
        names.extend(o.names(ctx.meta));
        weak.extend(o.weak.iter().cloned());
        reason.push_str(&format!("; session setup: {}", o.describe()));
        if o.is_anonymous() || smb.null_session {
            reason.push_str("; anonymous (NULL) session");
            AuthClass::CleartextUnauthenticated
        } else if smb.guest_session {
            reason.push_str("; server granted a guest session (identity not verified)");
            AuthClass::CleartextUnauthenticated
        } else {
            o.auth
        }
    } else if smb.null_session {
        reason.push_str("; anonymous (NULL) session");
        AuthClass::CleartextUnauthenticated
    } else if smb.transform_headers > 0 {
        reason.push_str(&format!(
            "; {} SMB3 transform (encrypted) message(s), session setup not seen",
            smb.transform_headers
        ));
        AuthClass::EncryptedOther
    } else {
        reason.push_str("; no session setup seen");
        AuthClass::Unknown
    };
    if let Some(status) = smb.logon_failure {
        reason.push_str(&format!("; logon failed (status 0x{status:08x})"));
    }
    if encrypted {
        reason.push_str("; encryption in use");
    }
    match smb.signing_required {
        Some(true) => reason.push_str("; signing required"),
        Some(false) => reason.push_str("; signing not required"),
        None => {}
    }
    if !trees.is_empty() {
        reason.push_str(&format!("; trees {}", trees.join(", ")));
    }
    if !pipes.is_empty() {
        reason.push_str(&format!("; pipes {}", pipes.join(", ")));
    }
    let rpc = smb.rpc.interface_labels();
    if !rpc.is_empty() {
        reason.push_str(&format!("; DCE-RPC over pipes to {}", rpc.join(", ")));
    }
    dedup(&mut weak);
    ev.reason = reason;
    ev.weak = weak;
    ev.smb = Some(Box::new(SmbFacts {
        dialect: smb.dialect.clone(),
        signing_required: smb.signing_required,
        encrypted,
        trees,
        pipes,
    }));
    Analysis {
        app: AppProto::Smb,
        auth,
        evidence: ev,
        names,
        parse_error: smb.messages == 0 || smb.malformed > 0,
    }
}

fn gss_evidence(o: &GssOutcome, ev: &mut AuthEvidence) {
    ev.mechanism = Some(o.mechanism.clone());
    ev.user = o.user.clone();
    ev.ntlm = o.ntlm.clone().map(Box::new);
    ev.kerberos = o.kerberos.clone().map(Box::new);
}

/// SMB1 logon without extended security: LM/NTLM responses (or, when the server did not ask
/// for encrypted passwords, the password itself) sit in the request.
fn legacy_logon(
    l: &LegacyLogon,
    smb: &SmbConversation,
    ev: &mut AuthEvidence,
    reason: &mut String,
) -> AuthClass {
    let plaintext = smb
        .smb1_security_mode
        .is_some_and(|m| m & SMB1_SECMODE_ENCRYPT_PASSWORDS == 0);
    let pw_total = u32::from(l.oem_password_len) + u32::from(l.unicode_password_len);
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ev.user = non_empty(&l.account);
    if l.account.is_empty() && pw_total <= 1 {
        ev.mechanism = Some("smb1_anonymous".to_owned());
        reason.push_str("; anonymous (NULL) session without extended security");
        return AuthClass::CleartextUnauthenticated;
    }
    if plaintext && pw_total > 0 {
        ev.mechanism = Some("smb1_plaintext_password".to_owned());
        ev.secret = Some(SecretSeen {
            kind: "password".to_owned(),
            length: pw_total,
        });
        reason.push_str(&format!(
            "; plaintext password logon (server does not encrypt passwords) as {}",
            l.account
        ));
        return AuthClass::CleartextCredentials;
    }
    let v1 = l.unicode_password_len <= 24;
    ev.mechanism = Some("smb1_ntlm".to_owned());
    ev.ntlm = Some(Box::new(NtlmFacts {
        version: Some(if v1 { "v1" } else { "v2" }.to_owned()),
        user: non_empty(&l.account),
        domain: non_empty(&l.domain),
        ..NtlmFacts::default()
    }));
    if v1 {
        ev.weak.push(Weakness::Ntlmv1);
    }
    reason.push_str(&format!(
        "; NTLM{} logon without extended security as {}\\{}",
        if v1 { "v1" } else { "v2" },
        l.domain,
        l.account
    ));
    AuthClass::Ntlm
}

fn tree_host_names(trees: &[String], ctx: &Ctx<'_>) -> Vec<NameObservation> {
    let mut v: Vec<NameObservation> = Vec::new();
    for t in trees {
        let host = t.trim_start_matches('\\').split('\\').next().unwrap_or("");
        if host.is_empty() || host.parse::<IpAddr>().is_ok() || host.contains('*') {
            continue;
        }
        let name = host.to_ascii_lowercase();
        if !v.iter().any(|n| n.name == name) {
            v.push(NameObservation {
                ip: ctx.meta.server.ip,
                name,
                source: NameSource::SmbHost,
                ts: ctx.meta.first_ts,
            });
        }
    }
    v
}

fn dedup(weak: &mut Vec<Weakness>) {
    let mut seen = Vec::new();
    weak.retain(|w| {
        let keep = !seen.contains(w);
        if keep {
            seen.push(w.clone());
        }
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nbss_framing_and_resync() {
        let mut s = vec![0, 0, 0, 4];
        s.extend_from_slice(SMB2_MAGIC);
        s.extend_from_slice(&[0, 0, 0, 4, 0xfd, b'S']); // truncated frame
        let frames: Vec<_> = nbss_frames(&s).collect();
        assert_eq!(frames, [(0u8, &SMB2_MAGIC[..])]);
        let mut mid = vec![0x11, 0x22, 0x33];
        mid.extend_from_slice(&s);
        assert_eq!(nbss_frames(&mid).count(), 1);
        assert_eq!(SmbProbe::head_verdict(&s), Verdict::Certain);
        assert_eq!(SmbProbe::head_verdict(&mid), Verdict::Unsure);
        assert_eq!(
            SmbProbe::head_verdict(b"GET / HTTP/1.1\r\n"),
            Verdict::NotForUs
        );
    }

    #[test]
    fn hostile_frames_never_panic() {
        let mut c = SmbConversation::default();
        let mut f = vec![0, 0, 0, 70];
        f.extend_from_slice(SMB2_MAGIC);
        f.extend_from_slice(&[64, 0]);
        f.extend_from_slice(&[0xff; 64]);
        c.client(&f);
        c.server(&f);
        let mut f1 = vec![0, 0, 0, 40];
        f1.extend_from_slice(SMB1_MAGIC);
        f1.extend_from_slice(&[0x73; 36]);
        c.client(&f1);
        c.server(&f1);
        assert!(c.malformed > 0);
    }
}
