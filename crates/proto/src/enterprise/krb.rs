//! Kerberos (RFC 4120) through `kerberos-parser`: KDC exchanges on 88 (TCP with a 4-byte record
//! marker, or UDP), kpasswd on 464 (RFC 3244), and the AP-REQ/AP-REP/KRB-ERROR messages that
//! travel inside GSS-API tokens of other protocols.
//!
//! Names (`NameSource::KerberosPrincipal`): a client principal that is a machine account
//! (`HOST$`) names the flow's client address (`host`); a service principal's host part
//! (`cifs/dc1.contoso.local` → `dc1.contoso.local`) names the flow's server address only when the
//! AP-REQ travels inside the application flow itself (SMB, LDAP, DCE-RPC, HTTP), because there the
//! server is the service. In KDC exchanges the service is some other machine, so it names nothing.

use der_parser::asn1_rs::FromDer;
use kerberos_parser::krb5::{
    ApRep, ApReq, EncryptionType, KdcRep, KdcReq, KrbError, PrincipalName,
};
use kerberos_parser::krb5_parser::{parse_as_rep, parse_as_req, parse_tgs_rep, parse_tgs_req};
use segscope_core::auth::{KerberosFacts, Weakness};
use segscope_core::{AppProto, AuthClass, AuthEvidence, NameObservation, NameSource, Transport};

use crate::bytes::Reader;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// Application tags (class APPLICATION, constructed) of the Kerberos messages.
const AS_REQ: u8 = 0x6a;
const AS_REP: u8 = 0x6b;
const TGS_REQ: u8 = 0x6c;
const TGS_REP: u8 = 0x6d;
const AP_REQ: u8 = 0x6e;
const AP_REP: u8 = 0x6f;
const KRB_ERROR: u8 = 0x7e;

/// kpasswd protocol versions (RFC 3244 change password, and the set-password variant).
const KPASSWD_VERSIONS: [u16; 2] = [0x0001, 0xff80];

/// The name of an encryption type (RFC 3961/IANA names, as Zeek and MIT Kerberos print them).
pub fn etype_name(etype: i32) -> String {
    format!("{:?}", EncryptionType(etype))
}

/// True for the encryption types a `weak_crypto` finding covers: single DES (1–3) and the RC4
/// family (23, 24 and the negative pre-standard RC4/DES values).
pub fn is_weak_etype(etype: i32) -> bool {
    matches!(etype, 1..=3 | 23 | 24) || etype < 0
}

/// The message tag at the start of `msg` if it looks like a Kerberos v5 message: an
/// APPLICATION tag, a SEQUENCE, and `pvno [0|1] INTEGER 5` at its head. Cheap enough for probes.
pub fn message_tag(msg: &[u8]) -> Option<u8> {
    let mut r = Reader::new(msg);
    let tag = r.u8()?;
    if ![AS_REQ, AS_REP, TGS_REQ, TGS_REP, AP_REQ, AP_REP, KRB_ERROR].contains(&tag) {
        return None;
    }
    skip_ber_len(&mut r)?;
    if r.u8()? != 0x30 {
        return None;
    }
    skip_ber_len(&mut r)?;
    let pvno_tag = if matches!(tag, AS_REQ | TGS_REQ) {
        0xa1
    } else {
        0xa0
    };
    (r.take(5)? == [pvno_tag, 0x03, 0x02, 0x01, 0x05]).then_some(tag)
}

fn skip_ber_len(r: &mut Reader<'_>) -> Option<()> {
    let first = r.u8()?;
    if first & 0x80 != 0 {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        r.skip(n)?;
    }
    Some(())
}

/// Splits a TCP Kerberos stream into messages (RFC 4120 §7.2.2: 4-byte big-endian length whose
/// top bit is reserved). Stops at the first incomplete record.
pub fn tcp_records(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut r = Reader::new(stream);
    std::iter::from_fn(move || {
        let len = r.be_u32()?;
        if len & 0x8000_0000 != 0 {
            return None;
        }
        r.take(len as usize)
    })
}

/// The AP-REQ (client) or AP-REP/KRB-ERROR (server) inside a kpasswd message (RFC 3244 §2).
pub fn kpasswd_inner(msg: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(msg);
    let len = r.be_u16()?;
    let version = r.be_u16()?;
    if usize::from(len) != msg.len() || !KPASSWD_VERSIONS.contains(&version) {
        return None;
    }
    let ap_len = r.be_u16()?;
    if ap_len == 0 {
        // A reply without AP-REP carries a KRB-ERROR instead.
        return Some(r.rest());
    }
    r.take(usize::from(ap_len))
}

/// The Kerberos messages of one flow (or one GSS-API exchange), accumulated into evidence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KerberosExchange {
    /// Facts for the evidence.
    pub facts: KerberosFacts,
    /// Weak encryption types actually used (ticket or reply), deduplicated.
    pub weak: Vec<Weakness>,
    /// Encryption types the client asked for (KDC requests).
    pub requested: Vec<i32>,
    /// Machine account host from a client principal `HOST$`, lower-cased.
    pub client_machine: Option<String>,
    /// Host part of the service principal of an AP-REQ.
    pub ap_service_host: Option<String>,
    /// Messages that looked like Kerberos but did not parse.
    pub malformed: u32,
}

impl KerberosExchange {
    /// Adds one DER-encoded Kerberos message. Returns false (and counts it as malformed when it
    /// carried a Kerberos tag) when it did not parse.
    pub fn message(&mut self, der: &[u8]) -> bool {
        let ok = match der.first().copied() {
            Some(AS_REQ) => parse_as_req(der).map(|(_, m)| self.kdc_req("AS-REQ", &m)),
            Some(TGS_REQ) => parse_tgs_req(der).map(|(_, m)| self.kdc_req("TGS-REQ", &m)),
            Some(AS_REP) => parse_as_rep(der).map(|(_, m)| self.kdc_rep("AS-REP", &m)),
            Some(TGS_REP) => parse_tgs_rep(der).map(|(_, m)| self.kdc_rep("TGS-REP", &m)),
            Some(AP_REQ) => ApReq::from_der(der).map(|(_, m)| self.ap_req(&m)),
            Some(AP_REP) => ApRep::from_der(der).map(|(_, _m)| self.seen("AP-REP")),
            Some(KRB_ERROR) => KrbError::from_der(der).map(|(_, m)| self.error(&m)),
            _ => return false,
        }
        .is_ok();
        if !ok {
            self.malformed = self.malformed.saturating_add(1);
        }
        ok
    }

    /// True once any message parsed.
    pub fn any(&self) -> bool {
        !self.facts.messages.is_empty()
    }

    fn seen(&mut self, kind: &str) {
        if self.facts.messages.last().map(String::as_str) != Some(kind) {
            self.facts.messages.push(kind.to_owned());
        }
    }

    fn kdc_req(&mut self, kind: &str, m: &KdcReq<'_>) {
        self.seen(kind);
        let body = &m.req_body;
        self.facts.realm.get_or_insert_with(|| body.realm.0.clone());
        if let Some(cname) = &body.cname {
            self.client(cname);
        }
        if let Some(sname) = &body.sname {
            self.facts.service.get_or_insert_with(|| sname.to_string());
        }
        for e in &body.etype {
            if !self.requested.contains(&e.0) {
                self.requested.push(e.0);
            }
        }
    }

    fn kdc_rep(&mut self, kind: &str, m: &KdcRep<'_>) {
        self.seen(kind);
        self.facts.realm.get_or_insert_with(|| m.crealm.0.clone());
        self.client(&m.cname);
        self.facts
            .service
            .get_or_insert_with(|| m.ticket.sname.to_string());
        self.cipher(m.ticket.enc_part.etype.0);
        self.weak_etype(m.enc_part.etype.0);
    }

    fn ap_req(&mut self, m: &ApReq<'_>) {
        self.seen("AP-REQ");
        self.facts
            .realm
            .get_or_insert_with(|| m.ticket.realm.0.clone());
        self.facts
            .service
            .get_or_insert_with(|| m.ticket.sname.to_string());
        if self.ap_service_host.is_none() {
            self.ap_service_host = service_host(&m.ticket.sname);
        }
        self.cipher(m.ticket.enc_part.etype.0);
    }

    fn error(&mut self, m: &KrbError<'_>) {
        self.seen("KRB-ERROR");
        self.facts.error = Some(format!("{:?}", m.error_code));
        self.facts.realm.get_or_insert_with(|| m.realm.0.clone());
        if let Some(cname) = &m.cname {
            self.client(cname);
        }
        self.facts
            .service
            .get_or_insert_with(|| m.sname.to_string());
    }

    fn client(&mut self, cname: &PrincipalName) {
        if self.facts.client.is_some() {
            return;
        }
        let name = cname.to_string();
        if let [single] = cname.name_string.as_slice()
            && let Some(host) = single.strip_suffix('$')
            && !host.is_empty()
        {
            self.client_machine = Some(host.to_ascii_lowercase());
        }
        self.facts.client = Some(name);
    }

    fn cipher(&mut self, etype: i32) {
        self.facts.cipher.get_or_insert_with(|| etype_name(etype));
        self.weak_etype(etype);
    }

    fn weak_etype(&mut self, etype: i32) {
        if is_weak_etype(etype) {
            let w = Weakness::KerberosWeakEtype(etype_name(etype));
            if !self.weak.contains(&w) {
                self.weak.push(w);
            }
        }
    }

    /// Name observations for a KDC flow (the machine-account rule in the module docs).
    pub fn kdc_names(&self, ctx: &Ctx<'_>) -> Vec<NameObservation> {
        self.client_machine
            .iter()
            .map(|host| NameObservation {
                ip: ctx.meta.client.ip,
                name: host.clone(),
                source: NameSource::KerberosPrincipal,
                ts: ctx.meta.first_ts,
            })
            .collect()
    }

    /// One sentence for the evidence.
    pub fn describe(&self) -> String {
        let mut s = format!("Kerberos {}", self.facts.messages.join(", "));
        if let Some(c) = &self.facts.client {
            s.push_str(&format!(" for {c}"));
            if let Some(r) = &self.facts.realm {
                s.push_str(&format!("@{r}"));
            }
        }
        if let Some(svc) = &self.facts.service {
            s.push_str(&format!(" to {svc}"));
        }
        if !self.requested.is_empty() {
            let names: Vec<String> = self.requested.iter().map(|&e| etype_name(e)).collect();
            s.push_str(&format!("; requested etypes {}", names.join(" ")));
        }
        if let Some(c) = &self.facts.cipher {
            s.push_str(&format!("; ticket {c}"));
        }
        if let Some(e) = &self.facts.error {
            s.push_str(&format!("; error {e}"));
        }
        if !self.weak.is_empty() {
            s.push_str("; weak encryption type in use");
        }
        s
    }
}

/// The host part of a host-based service principal (`cifs/dc1.contoso.local`), except for the
/// KDC's own services.
fn service_host(sname: &PrincipalName) -> Option<String> {
    match sname.name_string.as_slice() {
        [service, host, ..] if !service.eq_ignore_ascii_case("krbtgt") && !host.is_empty() => {
            let host = host.split(':').next().unwrap_or(host);
            Some(host.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The DER messages of one direction of a KDC flow, whatever the transport.
fn kdc_messages<'a>(ctx: &Ctx<'a>, client: bool) -> Vec<&'a [u8]> {
    let dir = if client { ctx.client } else { ctx.server };
    let unwrap = |m: &'a [u8]| kpasswd_inner(m).unwrap_or(m);
    if ctx.meta.transport == Transport::TCP {
        tcp_records(dir.bytes).map(unwrap).collect()
    } else {
        dir.messages().map(unwrap).collect()
    }
}

/// The KDC probe: AS/TGS exchanges and kpasswd, over TCP or UDP.
pub(crate) struct KerberosProbe;

impl KerberosProbe {
    fn first_tag(bytes: &[u8], tcp: bool) -> Option<u8> {
        let msg = if tcp { bytes.get(4..)? } else { bytes };
        message_tag(msg).or_else(|| kpasswd_inner(msg).and_then(message_tag))
    }
}

impl Probe for KerberosProbe {
    fn name(&self) -> &'static str {
        "kerberos"
    }

    fn app(&self) -> AppProto {
        AppProto::Kerberos
    }

    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let tcp = ctx.meta.transport == Transport::TCP;
        if !tcp && ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let client = Self::first_tag(ctx.client_head(), tcp);
        let server = Self::first_tag(ctx.server_head(), tcp);
        match (client, server) {
            (Some(AS_REQ | TGS_REQ | AP_REQ), _) => Verdict::Certain,
            (_, Some(AS_REP | TGS_REP | KRB_ERROR | AP_REP)) => Verdict::Certain,
            _ => Verdict::NotForUs,
        }
    }

    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let mut ex = KerberosExchange::default();
        let mut client = kdc_messages(ctx, true).into_iter();
        let mut server = kdc_messages(ctx, false).into_iter();
        // Interleave request and reply so "first seen" facts follow the exchange order.
        loop {
            let (c, s) = (client.next(), server.next());
            if c.is_none() && s.is_none() {
                break;
            }
            for m in c.into_iter().chain(s) {
                ex.message(m);
            }
        }
        let auth = if ex.any() {
            AuthClass::Kerberos
        } else {
            AuthClass::Unknown
        };
        let reason = if ex.any() {
            ex.describe()
        } else {
            "Kerberos record marker seen but no message parsed".to_owned()
        };
        Analysis {
            app: AppProto::Kerberos,
            auth,
            names: ex.kdc_names(ctx),
            parse_error: ex.malformed > 0,
            evidence: AuthEvidence {
                reason,
                mechanism: Some("kerberos".to_owned()),
                user: ex.facts.client.clone(),
                weak: ex.weak.clone(),
                kerberos: Some(Box::new(ex.facts)),
                ..AuthEvidence::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etype_names_and_weakness() {
        assert_eq!(etype_name(18), "aes256-cts-hmac-sha1-96");
        assert_eq!(etype_name(23), "rc4-hmac");
        assert!(is_weak_etype(23) && is_weak_etype(3) && is_weak_etype(-128));
        assert!(!is_weak_etype(17) && !is_weak_etype(18) && !is_weak_etype(16));
    }

    #[test]
    fn message_tag_checks_pvno() {
        // AS-REQ head: 6a 81 xx 30 81 xx a1 03 02 01 05
        let head = [
            0x6a, 0x81, 0x90, 0x30, 0x81, 0x8d, 0xa1, 0x03, 0x02, 0x01, 0x05,
        ];
        assert_eq!(message_tag(&head), Some(AS_REQ));
        let mut wrong = head;
        wrong[10] = 4;
        assert_eq!(message_tag(&wrong), None);
        assert_eq!(message_tag(&head[..7]), None);
        let recs: Vec<&[u8]> = tcp_records(&[0, 0, 0, 2, 1, 2, 0, 0, 0, 9, 1]).collect();
        assert_eq!(recs, [&[1u8, 2][..]]);
        assert_eq!(tcp_records(&[0x80, 0, 0, 1, 0]).count(), 0);
    }
}
