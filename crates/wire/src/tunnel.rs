//! Tunnel headers: GRE (with ERSPAN types I–III), VXLAN and GENEVE. Each parser returns `None`
//! unless the header is well-formed, so that a packet that merely uses the port or protocol
//! number stays the packet (and is not counted as malformed).

use segscope_core::flow::TunnelKind;

/// UDP destination ports of VXLAN: IANA's 4789 and Linux's historical default 8472.
pub(crate) const VXLAN_PORTS: [u16; 2] = [4789, 8472];
/// UDP destination port of GENEVE.
pub(crate) const GENEVE_PORT: u16 = 6081;

/// What a tunnel header encapsulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inner {
    Ethernet,
    Ipv4,
    Ipv6,
    Mpls,
}

/// A well-formed tunnel header, peeled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decap<'a> {
    pub(crate) kind: TunnelKind,
    /// GRE key, VNI or ERSPAN session id.
    pub(crate) id: Option<u32>,
    pub(crate) inner: Inner,
    pub(crate) bytes: &'a [u8],
}

/// GRE (RFC 2784 with RFC 2890 key and sequence number). Version 1 (PPTP) and the RFC 1701
/// routing fields are not decapsulated.
pub(crate) fn gre(data: &[u8]) -> Option<Decap<'_>> {
    let h: &[u8; 4] = data.first_chunk()?;
    let (checksum, key, seq) = (h[0] & 0x80 != 0, h[0] & 0x20 != 0, h[0] & 0x10 != 0);
    // Routing present, strict source route, recursion control, reserved flags, version.
    if h[0] & 0x4f != 0 || h[1] != 0 {
        return None;
    }
    let key_at = if checksum { 8 } else { 4 };
    let header_len = key_at + if key { 4 } else { 0 } + if seq { 4 } else { 0 };
    let gre_key = if key {
        let k: &[u8; 4] = data.get(key_at..)?.first_chunk()?;
        Some(u32::from_be_bytes(*k))
    } else {
        None
    };
    let body = data.get(header_len..)?;
    let (kind, id, inner, bytes) = match u16::from_be_bytes([h[2], h[3]]) {
        0x0800 => (TunnelKind::Gre, gre_key, Inner::Ipv4, body),
        0x86dd => (TunnelKind::Gre, gre_key, Inner::Ipv6, body),
        0x6558 => (TunnelKind::Gre, gre_key, Inner::Ethernet, body),
        0x8847 | 0x8848 => (TunnelKind::Gre, gre_key, Inner::Mpls, body),
        // ERSPAN type II has a sequence number and an 8-byte header; type I has neither.
        0x88be if seq => {
            let e: &[u8; 8] = body.first_chunk()?;
            if e[0] >> 4 != 1 {
                return None;
            }
            let session = u16::from_be_bytes([e[2], e[3]]) & 0x03ff;
            (
                TunnelKind::Erspan,
                Some(u32::from(session)),
                Inner::Ethernet,
                body.get(8..)?,
            )
        }
        0x88be => (TunnelKind::Erspan, None, Inner::Ethernet, body),
        // ERSPAN type III: 12-byte header, plus an 8-byte platform sub-header when O is set.
        0x22eb => {
            let e: &[u8; 12] = body.first_chunk()?;
            if e[0] >> 4 != 2 {
                return None;
            }
            let session = u16::from_be_bytes([e[2], e[3]]) & 0x03ff;
            let len = if e[11] & 0x01 != 0 { 20 } else { 12 };
            (
                TunnelKind::Erspan,
                Some(u32::from(session)),
                Inner::Ethernet,
                body.get(len..)?,
            )
        }
        _ => return None,
    };
    Some(Decap {
        kind,
        id,
        inner,
        bytes,
    })
}

/// VXLAN (RFC 7348): the I flag must be set; other flag bits are ignored on receipt, as the
/// RFC says (group-policy extensions use them).
pub(crate) fn vxlan(payload: &[u8]) -> Option<Decap<'_>> {
    let (h, bytes) = payload.split_first_chunk::<8>()?;
    if h[0] & 0x08 == 0 {
        return None;
    }
    Some(Decap {
        kind: TunnelKind::Vxlan,
        id: Some(u32::from_be_bytes([0, h[4], h[5], h[6]])),
        inner: Inner::Ethernet,
        bytes,
    })
}

/// GENEVE (RFC 8926): version 0, options skipped by their length, Ethernet or IP inside.
pub(crate) fn geneve(payload: &[u8]) -> Option<Decap<'_>> {
    let h: &[u8; 8] = payload.first_chunk()?;
    if h[0] >> 6 != 0 {
        return None;
    }
    let options = usize::from(h[0] & 0x3f) * 4;
    let inner = match u16::from_be_bytes([h[2], h[3]]) {
        0x6558 => Inner::Ethernet,
        0x0800 => Inner::Ipv4,
        0x86dd => Inner::Ipv6,
        _ => return None,
    };
    Some(Decap {
        kind: TunnelKind::Geneve,
        id: Some(u32::from_be_bytes([0, h[4], h[5], h[6]])),
        inner,
        bytes: payload.get(8 + options..)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_reads_key_after_checksum_and_skips_sequence() {
        // C, K and S set; checksum word, key 0x0000_00ff, sequence 7; IPv4 inside.
        let mut g = vec![
            0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 7,
        ];
        g.push(0x45);
        let d = gre(&g).expect("well-formed");
        assert_eq!(
            (d.kind, d.id, d.inner),
            (TunnelKind::Gre, Some(255), Inner::Ipv4)
        );
        assert_eq!(d.bytes, &[0x45]);
    }

    #[test]
    fn gre_refuses_versions_routing_and_unknown_protocols() {
        assert_eq!(gre(&[0x00, 0x01, 0x88, 0x0b]), None, "version 1 (PPTP)");
        assert_eq!(gre(&[0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0]), None, "routing");
        assert_eq!(gre(&[0x00, 0x00, 0x12, 0x34]), None, "unknown protocol");
        assert_eq!(gre(&[0x20, 0x00, 0x08, 0x00, 0, 0]), None, "key cut short");
    }

    #[test]
    fn erspan_session_ids() {
        // Type II: S set, sequence, then version 1, VLAN 0, session 0x123.
        let ii = [
            0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x00, 0x01, 0x23, 0, 0, 0, 0, 0xaa,
        ];
        let d = gre(&ii).expect("type II");
        assert_eq!(
            (d.kind, d.id, d.bytes),
            (TunnelKind::Erspan, Some(0x123), &[0xaa][..])
        );
        // Type III with the optional sub-header (O flag): 20 bytes skipped.
        let mut iii = vec![0x00, 0, 0x22, 0xeb, 0x20, 0x00, 0x00, 0x07];
        iii.extend([0; 7]);
        iii.push(0x01);
        iii.extend([0; 8]);
        iii.push(0xbb);
        let d = gre(&iii).expect("type III");
        assert_eq!((d.id, d.bytes), (Some(7), &[0xbb][..]));
    }

    #[test]
    fn vxlan_and_geneve_need_their_flags() {
        let v = [0x08, 0, 0, 0, 0x00, 0x10, 0x01, 0x00, 0xcc];
        assert_eq!(vxlan(&v).map(|d| d.id), Some(Some(0x1001)));
        assert_eq!(vxlan(&[0, 0, 0, 0, 0, 0, 0, 0]), None);
        let g = [0x01, 0x00, 0x65, 0x58, 0, 0, 0x2a, 0, 1, 2, 3, 4, 0xdd];
        let d = geneve(&g).expect("one option word");
        assert_eq!(
            (d.id, d.inner, d.bytes),
            (Some(42), Inner::Ethernet, &[0xdd][..])
        );
        assert_eq!(
            geneve(&[0x40, 0, 0x65, 0x58, 0, 0, 0, 0]),
            None,
            "version 1"
        );
    }
}
