//! Encrypted tunnels without a visible TLS handshake → `encrypted_other`: IPsec (IKE on UDP
//! 500/4500, ESP in UDP on 4500 per RFC 3948, ESP as IP protocol 50), WireGuard and OpenVPN.
//!
//! IKE itself authenticates the peers (pre-shared key, certificates or EAP) inside its encrypted
//! exchanges; what the wire shows is recorded: IKE version and exchange type. IKEv1 aggressive
//! mode is called out in the reason: its pre-shared-key hash is attackable offline.

use segscope_core::{AppProto, AuthClass, Transport};

use crate::bytes::Reader;
use crate::cleartext::verdict;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// IKE probe.
pub struct Ike;
/// The IKE probe instance.
pub static IKE: Ike = Ike;
/// ESP in UDP (4500) probe.
pub struct EspUdp;
/// The ESP-in-UDP probe instance.
pub static ESP_UDP: EspUdp = EspUdp;
/// ESP as IP protocol 50.
pub struct EspIp;
/// The IP-protocol-50 ESP probe instance.
pub static ESP_IP: EspIp = EspIp;
/// WireGuard probe.
pub struct Wireguard;
/// The WireGuard probe instance.
pub static WIREGUARD: Wireguard = Wireguard;
/// OpenVPN probe.
pub struct Openvpn;
/// The OpenVPN probe instance.
pub static OPENVPN: Openvpn = Openvpn;

const IKE_PORT: u16 = 500;
const NAT_T_PORT: u16 = 4500;

fn first_client<'a>(ctx: &Ctx<'a>) -> Option<&'a [u8]> {
    ctx.client.messages().next()
}

fn on_port(ctx: &Ctx<'_>, port: u16) -> bool {
    ctx.meta.client.port == port || ctx.meta.server.port == port
}

/// (IKE major version, exchange type) of an ISAKMP message; on port 4500 the 4-byte non-ESP
/// marker is removed first.
pub fn ike_header(d: &[u8], nat_t: bool) -> Option<(u8, u8)> {
    let d = if nat_t {
        d.strip_prefix(&[0, 0, 0, 0])?
    } else {
        d
    };
    let mut r = Reader::new(d);
    let initiator_spi = r.take(8)?;
    r.skip(8 + 1)?;
    let version = r.u8()?;
    let exchange = r.u8()?;
    r.skip(1 + 4)?;
    let len = r.be_u32()? as usize;
    let major = version >> 4;
    let ok = initiator_spi.iter().any(|&b| b != 0) && (major == 1 || major == 2) && len == d.len();
    ok.then_some((major, exchange))
}

fn exchange_name(major: u8, x: u8) -> String {
    match (major, x) {
        (1, 2) => "Identity Protection (main mode)".into(),
        (1, 4) => "Aggressive mode (pre-shared-key hash attackable offline)".into(),
        (1, 5) => "Informational".into(),
        (1, 32) => "Quick mode".into(),
        (2, 34) => "IKE_SA_INIT".into(),
        (2, 35) => "IKE_AUTH".into(),
        (2, 36) => "CREATE_CHILD_SA".into(),
        (2, 37) => "INFORMATIONAL".into(),
        (_, n) => format!("exchange {n}"),
    }
}

impl Probe for Ike {
    fn name(&self) -> &'static str {
        "ike"
    }
    fn app(&self) -> AppProto {
        AppProto::Ike
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let nat_t = on_port(ctx, NAT_T_PORT);
        let d = first_client(ctx).or_else(|| ctx.server.messages().next());
        match d.and_then(|d| ike_header(d, nat_t)) {
            Some(_) if nat_t || on_port(ctx, IKE_PORT) => Verdict::Certain,
            Some(_) => Verdict::Unsure,
            None => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let nat_t = on_port(ctx, NAT_T_PORT);
        let mut exchanges: Vec<String> = Vec::new();
        let mut version = 0u8;
        for d in ctx.client.messages().chain(ctx.server.messages()).take(64) {
            if let Some((v, x)) = ike_header(d, nat_t) {
                version = v;
                let name = exchange_name(v, x);
                if !exchanges.contains(&name) {
                    exchanges.push(name);
                }
            }
        }
        let mut a = verdict(
            AppProto::Ike,
            AuthClass::EncryptedOther,
            format!(
                "IKEv{version}{} key exchange ({}): peers authenticate inside the encrypted exchange",
                if nat_t { " over NAT-T (4500)" } else { "" },
                exchanges.join(", ")
            ),
        );
        a.evidence.mechanism = Some(format!("ikev{version}"));
        a
    }
}

impl Probe for EspUdp {
    fn name(&self) -> &'static str {
        "esp_udp"
    }
    fn app(&self) -> AppProto {
        AppProto::Esp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP || !on_port(ctx, NAT_T_PORT) {
            return Verdict::NotForUs;
        }
        // A non-zero SPI (RFC 3948 §2.2) and at least SPI + sequence + IV/ICV bytes.
        let d = first_client(ctx)
            .or_else(|| ctx.server.messages().next())
            .unwrap_or(&[]);
        let spi = d.get(..4).unwrap_or(&[0]);
        if d.len() >= 16 && spi.iter().any(|&b| b != 0) {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let spi = first_client(ctx)
            .or_else(|| ctx.server.messages().next())
            .and_then(|d| d.get(..4))
            .map(hex::encode);
        verdict(
            AppProto::Esp,
            AuthClass::EncryptedOther,
            format!(
                "IPsec ESP in UDP 4500 (SPI 0x{}): encrypted",
                spi.unwrap_or_default()
            ),
        )
    }
}

impl Probe for EspIp {
    fn name(&self) -> &'static str {
        "esp"
    }
    fn app(&self) -> AppProto {
        AppProto::Esp
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport == Transport::ESP {
            Verdict::Certain
        } else {
            Verdict::NotForUs
        }
    }
    fn analyze(&self, _ctx: &Ctx<'_>) -> Analysis {
        verdict(
            AppProto::Esp,
            AuthClass::EncryptedOther,
            "IPsec ESP (IP protocol 50): encrypted".to_owned(),
        )
    }
}

/// WireGuard message type, when `d` has one of the exact message sizes.
pub fn wireguard_type(d: &[u8]) -> Option<u8> {
    let t = *d.first()?;
    if d.get(1..4)? != [0, 0, 0] {
        return None;
    }
    match (t, d.len()) {
        (1, 148) | (2, 92) | (3, 64) => Some(t),
        (4, n) if n >= 32 && (n - 32) % 16 == 0 => Some(4),
        _ => None,
    }
}

impl Probe for Wireguard {
    fn name(&self) -> &'static str {
        "wireguard"
    }
    fn app(&self) -> AppProto {
        AppProto::Wireguard
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let c = first_client(ctx).and_then(wireguard_type);
        let s = ctx.server.messages().next().and_then(wireguard_type);
        match (c, s) {
            (Some(1), _) | (_, Some(2)) => Verdict::Certain,
            (Some(4), Some(4)) => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let handshake = first_client(ctx).and_then(wireguard_type) == Some(1);
        verdict(
            AppProto::Wireguard,
            AuthClass::EncryptedOther,
            format!(
                "WireGuard{}: Noise IK handshake with static keys, transport encrypted",
                if handshake {
                    " (handshake initiation seen)"
                } else {
                    " (transport data)"
                }
            ),
        )
    }
}

/// OpenVPN opcode of a packet (TCP packets carry a 2-byte length first).
pub fn openvpn_opcode(d: &[u8], tcp: bool) -> Option<u8> {
    let p = if tcp {
        let mut r = Reader::new(d);
        let len = usize::from(r.be_u16()?);
        let p = r.rest();
        if len > p.len() || len < 14 {
            return None;
        }
        p
    } else {
        d
    };
    if p.len() < 14 || p.len() > 1600 {
        return None;
    }
    let first = *p.first()?;
    (first & 0x07 == 0).then_some(first >> 3)
}

const HARD_RESET_CLIENT_V2: u8 = 7;
const HARD_RESET_SERVER_V2: u8 = 8;
const HARD_RESET_CLIENT_V3: u8 = 10;

impl Probe for Openvpn {
    fn name(&self) -> &'static str {
        "openvpn"
    }
    fn app(&self) -> AppProto {
        AppProto::Openvpn
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        let tcp = ctx.meta.transport == Transport::TCP;
        if !tcp && ctx.meta.transport != Transport::UDP {
            return Verdict::NotForUs;
        }
        let (c, s) = if tcp {
            (Some(ctx.client_head()), Some(ctx.server_head()))
        } else {
            (first_client(ctx), ctx.server.messages().next())
        };
        let c = c.and_then(|d| openvpn_opcode(d, tcp));
        let s = s.and_then(|d| openvpn_opcode(d, tcp));
        match (c, s) {
            (Some(HARD_RESET_CLIENT_V2 | HARD_RESET_CLIENT_V3), Some(HARD_RESET_SERVER_V2)) => {
                Verdict::Certain
            }
            (Some(HARD_RESET_CLIENT_V2 | HARD_RESET_CLIENT_V3), None) => Verdict::Unsure,
            _ => Verdict::NotForUs,
        }
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        verdict(
            AppProto::Openvpn,
            AuthClass::EncryptedOther,
            format!(
                "OpenVPN over {} (hard reset seen): TLS control channel inside OpenVPN framing, data channel encrypted",
                if ctx.meta.transport == Transport::TCP {
                    "TCP"
                } else {
                    "UDP"
                }
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ike_and_wireguard_headers() {
        let mut m = vec![1u8; 8];
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&[33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28]);
        assert_eq!(ike_header(&m, false), Some((2, 34)));
        let mut nat = vec![0u8; 4];
        nat.extend_from_slice(&m);
        assert_eq!(ike_header(&nat, true), Some((2, 34)));
        assert_eq!(ike_header(&m[..27], false), None);
        let mut wg = vec![1u8, 0, 0, 0];
        wg.resize(148, 7);
        assert_eq!(wireguard_type(&wg), Some(1));
        wg.push(0);
        assert_eq!(wireguard_type(&wg), None);
        assert_eq!(openvpn_opcode(&[0x38; 14], false), Some(7));
        assert_eq!(openvpn_opcode(&[0x39; 14], false), None);
    }
}
