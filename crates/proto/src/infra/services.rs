//! Small infrastructure services recognised by their first bytes: NTP (RFC 5905), syslog (RFC
//! 3164/5424 over UDP, and RFC 6587 over TCP), SSDP (UPnP discovery), NetFlow v5/v9, IPFIX and
//! sFlow v5 exports. All are infrastructure (`not_applicable` through the rules); the analysis
//! returns `cleartext_unauthenticated` so that a user who removes one from the rules'
//! infrastructure list sees it as the unauthenticated cleartext protocol it is.

use segscope_core::{AppProto, AuthClass, Transport};

use crate::bytes::{Reader, printable, starts_with_ignore_case};
use crate::cleartext::verdict;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// NTP probe.
pub struct Ntp;
/// The NTP probe instance.
pub static NTP: Ntp = Ntp;
/// Syslog probe.
pub struct Syslog;
/// The syslog probe instance.
pub static SYSLOG: Syslog = Syslog;
/// SSDP probe.
pub struct Ssdp;
/// The SSDP probe instance.
pub static SSDP: Ssdp = Ssdp;
/// NetFlow v5/v9 and IPFIX probe.
pub struct Netflow;
/// The NetFlow probe instance.
pub static NETFLOW: Netflow = Netflow;
/// sFlow probe.
pub struct Sflow;
/// The sFlow probe instance.
pub static SFLOW: Sflow = Sflow;

const NTP_PORT: u16 = 123;
const SYSLOG_PORTS: [u16; 2] = [514, 601];
const SFLOW_PORT: u16 = 6343;

fn first_datagram<'a>(ctx: &Ctx<'a>) -> Option<&'a [u8]> {
    ctx.client
        .messages()
        .next()
        .or_else(|| ctx.server.messages().next())
}

fn on_port(ctx: &Ctx<'_>, port: u16) -> bool {
    ctx.meta.client.port == port || ctx.meta.server.port == port
}

/// (version, mode, MAC present) of an NTP packet.
pub fn ntp_header(d: &[u8]) -> Option<(u8, u8, bool)> {
    let first = *d.first()?;
    let version = (first >> 3) & 0x7;
    let mode = first & 0x7;
    if !(1..=4).contains(&version) || mode == 0 {
        return None;
    }
    match mode {
        6 | 7 => (d.len() >= 12).then_some((version, mode, false)),
        _ => {
            let mac = match d.len() {
                48 => false,
                68 | 72 | 116 => true,
                n if n > 48 && (n - 48) % 4 == 0 => n >= 48 + 20,
                _ => return None,
            };
            Some((version, mode, mac))
        }
    }
}

impl Probe for Ntp {
    fn name(&self) -> &'static str {
        "ntp"
    }
    fn app(&self) -> AppProto {
        AppProto::Ntp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        match first_datagram(ctx).and_then(ntp_header) {
            Some(_) if on_port(ctx, NTP_PORT) => Verdict::Certain,
            Some((_, mode, _)) if mode <= 5 => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let (version, mode, mac) = first_datagram(ctx)
            .and_then(ntp_header)
            .unwrap_or((0, 0, false));
        let mode_name = match mode {
            1 => "symmetric active",
            2 => "symmetric passive",
            3 => "client",
            4 => "server",
            5 => "broadcast",
            6 => "control",
            7 => "private",
            _ => "unknown",
        };
        let mac = if mac {
            ", symmetric-key MAC present"
        } else {
            ", no MAC"
        };
        verdict(
            AppProto::Ntp,
            AuthClass::CleartextUnauthenticated,
            format!("NTPv{version} {mode_name} mode{mac} (infrastructure)"),
        )
    }
}

/// True when `b` starts with a syslog priority `<N>` (N ≤ 191), optionally after an RFC 6587
/// octet count.
pub fn is_syslog(b: &[u8]) -> bool {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let b = if digits > 0 && b.get(digits) == Some(&b' ') {
        b.get(digits + 1..).unwrap_or(&[])
    } else {
        b
    };
    let Some(rest) = b.strip_prefix(b"<") else {
        return false;
    };
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=3).contains(&n)
        && rest.get(n) == Some(&b'>')
        && std::str::from_utf8(rest.get(..n).unwrap_or(&[]))
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
            .is_some_and(|p| p <= 191)
}

impl Probe for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }
    fn app(&self) -> AppProto {
        AppProto::Syslog
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let t = ctx.meta.transport;
        if t != Transport::UDP && t != Transport::TCP {
            return Verdict::NotForUs;
        }
        if !is_syslog(ctx.client_head()) {
            return Verdict::NotForUs;
        }
        if SYSLOG_PORTS.iter().any(|p| on_port(ctx, *p)) {
            Verdict::Certain
        } else {
            Verdict::Unsure
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let n = if ctx.meta.transport == Transport::UDP {
            ctx.client.datagrams.len()
        } else {
            1
        };
        verdict(
            AppProto::Syslog,
            AuthClass::CleartextUnauthenticated,
            format!("syslog in clear ({n} messages; infrastructure)"),
        )
    }
}

impl Probe for Ssdp {
    fn name(&self) -> &'static str {
        "ssdp"
    }
    fn app(&self) -> AppProto {
        AppProto::Ssdp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let d = first_datagram(ctx).unwrap_or(&[]);
        let start = [b"M-SEARCH * HTTP/1.1".as_slice(), b"NOTIFY * HTTP/1.1"]
            .iter()
            .any(|p| starts_with_ignore_case(d, p));
        let reply = starts_with_ignore_case(d, b"HTTP/1.1 200")
            && d.windows(4).any(|w| w.eq_ignore_ascii_case(b"USN:"));
        if start || reply {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let first = first_datagram(ctx).unwrap_or(&[]);
        let line = first
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or(&[]);
        verdict(
            AppProto::Ssdp,
            AuthClass::CleartextUnauthenticated,
            format!(
                "SSDP {} (UPnP discovery; infrastructure)",
                printable(line, 40)
            ),
        )
    }
}

/// Walks NetFlow v9 flowsets or IPFIX sets; true when they tile the rest exactly.
fn sets_tile(mut r: Reader<'_>, min_id: u16) -> bool {
    let mut sets = 0usize;
    while r.remaining() > 0 {
        let (Some(id), Some(len)) = (r.be_u16(), r.be_u16()) else {
            return false;
        };
        if len < 4 || (id < min_id && id > 3) || r.skip(usize::from(len) - 4).is_none() {
            return false;
        }
        sets += 1;
    }
    sets > 0
}

/// The export format of a datagram: `NetFlow v5`, `NetFlow v9` or `IPFIX`.
pub fn netflow_version(d: &[u8]) -> Option<&'static str> {
    let mut r = Reader::new(d);
    match r.be_u16()? {
        5 => {
            let count = usize::from(r.be_u16()?);
            ((1..=30).contains(&count) && d.len() == 24 + 48 * count).then_some("NetFlow v5")
        }
        9 => {
            r.skip(18)?;
            sets_tile(r, 256).then_some("NetFlow v9")
        }
        10 => {
            let len = usize::from(r.be_u16()?);
            r.skip(12)?;
            (len == d.len() && sets_tile(r, 256)).then_some("IPFIX")
        }
        _ => None,
    }
}

impl Probe for Netflow {
    fn name(&self) -> &'static str {
        "netflow"
    }
    fn app(&self) -> AppProto {
        AppProto::Netflow
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        if ctx
            .client
            .messages()
            .next()
            .and_then(netflow_version)
            .is_some()
        {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let v = ctx
            .client
            .messages()
            .next()
            .and_then(netflow_version)
            .unwrap_or("NetFlow");
        verdict(
            AppProto::Netflow,
            AuthClass::CleartextUnauthenticated,
            format!(
                "{v} export, {} datagrams (infrastructure)",
                ctx.client.datagrams.len()
            ),
        )
    }
}

/// True for an sFlow v5 datagram header.
pub fn is_sflow(d: &[u8]) -> bool {
    let mut r = Reader::new(d);
    let (Some(version), Some(addr_type)) = (r.be_u32(), r.be_u32()) else {
        return false;
    };
    let addr_len = match addr_type {
        1 => 4,
        2 => 16,
        _ => return false,
    };
    version == 5 && r.skip(addr_len + 12).is_some() && r.be_u32().is_some_and(|n| n <= 1000)
}

impl Probe for Sflow {
    fn name(&self) -> &'static str {
        "sflow"
    }
    fn app(&self) -> AppProto {
        AppProto::Sflow
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP
            || !ctx.client.messages().next().is_some_and(is_sflow)
        {
            return Verdict::NotForUs;
        }
        if on_port(ctx, SFLOW_PORT) {
            Verdict::Certain
        } else {
            Verdict::Unsure
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        verdict(
            AppProto::Sflow,
            AuthClass::CleartextUnauthenticated,
            format!(
                "sFlow v5 export, {} datagrams (infrastructure)",
                ctx.client.datagrams.len()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_and_syslog() {
        let mut p = [0u8; 48];
        p[0] = 0x23;
        assert_eq!(ntp_header(&p), Some((4, 3, false)));
        assert_eq!(ntp_header(&p[..47]), None);
        p[0] = 0x03;
        assert_eq!(ntp_header(&p), None);
        assert!(is_syslog(
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed"
        ));
        assert!(is_syslog(
            b"71 <165>1 2003-10-11T22:14:15.003Z host app - - msg"
        ));
        assert!(!is_syslog(b"<192>x"));
        assert!(!is_syslog(b"<html>"));
    }

    #[test]
    fn flow_exports() {
        let mut v5 = vec![0u8; 24 + 48];
        v5[1] = 5;
        v5[3] = 1;
        assert_eq!(netflow_version(&v5), Some("NetFlow v5"));
        v5.push(0);
        assert_eq!(netflow_version(&v5), None);
        let mut ipfix = vec![0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        ipfix.extend_from_slice(&[0, 2, 0, 4]);
        assert_eq!(netflow_version(&ipfix), Some("IPFIX"));
    }
}
