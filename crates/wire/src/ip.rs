//! IPv4 and IPv6 headers (with the IPv6 extension-header chain), read at fixed offsets from
//! borrowed bytes.
//!
//! The IP packet is bounded by its own length field, so Ethernet padding and trailers never
//! become payload; a packet cut short by the snapshot length keeps what was captured.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use segscope_core::stats::Layer;

use crate::Fragment;

/// IPv6 extension headers walked before the transport; a longer chain is treated as malformed.
const MAX_IPV6_EXTENSIONS: usize = 16;

/// Source and destination addresses, borrowed from the header (they sit side by side in both
/// versions). `IpAddr`s are built only once the packet is complete: building them early and
/// copying them down the layers costs more than the rest of a decode.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Addrs<'a> {
    V4(&'a [u8; 8]),
    V6(&'a [u8; 32]),
}

impl Addrs<'_> {
    pub(crate) fn src(self) -> IpAddr {
        match self {
            Addrs::V4(a) => IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
            Addrs::V6(a) => IpAddr::V6(Ipv6Addr::from(*a.first_chunk::<16>().unwrap_or(&[0; 16]))),
        }
    }

    pub(crate) fn dst(self) -> IpAddr {
        match self {
            Addrs::V4(a) => IpAddr::V4(Ipv4Addr::new(a[4], a[5], a[6], a[7])),
            Addrs::V6(a) => IpAddr::V6(Ipv6Addr::from(*a.last_chunk::<16>().unwrap_or(&[0; 16]))),
        }
    }
}

/// An IP header, parsed: what the layers above need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IpView<'a> {
    pub(crate) addrs: Addrs<'a>,
    /// IPv4 protocol or the IPv6 next header after the extension chain.
    pub(crate) proto: u8,
    /// Total length by the header (IPv6: payload length + 40).
    pub(crate) ip_len: u32,
    pub(crate) fragment: Fragment,
    /// The IP payload as captured, bounded by the header's length.
    pub(crate) data: &'a [u8],
    /// The IP payload length by the header (after IPv6 extension headers).
    pub(crate) data_len: u32,
    /// Layer to blame when the IP payload is too short for its transport.
    pub(crate) layer: Layer,
}

/// Parses an IPv4 header. A total length of 0 (TCP segmentation offload on the capturing host)
/// is taken as "everything captured", as Wireshark does.
#[inline(always)]
pub(crate) fn ipv4(bytes: &[u8]) -> Result<IpView<'_>, Layer> {
    const BAD: Layer = Layer::Ipv4;
    let h: &[u8; 20] = bytes.first_chunk().ok_or(BAD)?;
    let addrs = h.last_chunk::<8>().ok_or(BAD)?;
    if h[0] >> 4 != 4 {
        return Err(BAD);
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let declared = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let total = if declared == 0 { bytes.len() } else { declared };
    if ihl < 20 || total < ihl {
        return Err(BAD);
    }
    let data = bytes.get(ihl..total.min(bytes.len())).ok_or(BAD)?;
    let id = u32::from(u16::from_be_bytes([h[4], h[5]]));
    let flags_offset = u16::from_be_bytes([h[6], h[7]]);
    let more_fragments = flags_offset & 0x2000 != 0;
    let fragment = if flags_offset & 0x1fff != 0 {
        Fragment::Later { id }
    } else if more_fragments {
        Fragment::First { id }
    } else {
        Fragment::None
    };
    Ok(IpView {
        addrs: Addrs::V4(addrs),
        proto: h[9],
        ip_len: total as u32,
        fragment,
        data,
        data_len: (total - ihl) as u32,
        layer: BAD,
    })
}

/// The fixed IPv6 header's fields.
pub(crate) struct Ipv6Fixed<'a> {
    pub(crate) addrs: &'a [u8; 32],
    pub(crate) next_header: u8,
    pub(crate) payload_len: u16,
    /// Everything after the fixed header that was captured.
    pub(crate) rest: &'a [u8],
}

/// Splits the fixed 40-byte IPv6 header.
#[inline]
pub(crate) fn ipv6_fixed(bytes: &[u8]) -> Option<Ipv6Fixed<'_>> {
    let (h, rest) = bytes.split_first_chunk::<8>()?;
    let (addrs, rest) = rest.split_first_chunk::<32>()?;
    if h[0] >> 4 != 6 {
        return None;
    }
    Some(Ipv6Fixed {
        addrs,
        next_header: h[6],
        payload_len: u16::from_be_bytes([h[4], h[5]]),
        rest,
    })
}

/// Where an IPv6 extension-header chain ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainEnd {
    /// The first next-header value that is not an extension header (ESP and "no next header"
    /// end the chain too).
    pub(crate) proto: u8,
    /// Offset of the transport header from the end of the fixed header.
    pub(crate) offset: usize,
    pub(crate) fragment: Fragment,
}

/// Why a chain could not be walked to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainCut {
    /// The last next-header value known.
    pub(crate) proto: u8,
}

/// Walks the extension headers in `data` (captured bytes after the fixed header), which the
/// header says are `limit` bytes long. Stops at a non-first fragment: what follows it is
/// fragment data, not a header.
#[inline(always)]
pub(crate) fn ipv6_chain(mut proto: u8, data: &[u8], limit: usize) -> Result<ChainEnd, ChainCut> {
    let mut offset = 0usize;
    let mut fragment = Fragment::None;
    for _ in 0..MAX_IPV6_EXTENSIONS {
        let here = data.get(offset..).unwrap_or_default();
        let len = match proto {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: (len + 1) * 8.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let h: &[u8; 2] = here.first_chunk().ok_or(ChainCut { proto })?;
                (usize::from(h[1]) + 1) * 8
            }
            // Authentication header: (len + 2) * 4.
            51 => {
                let h: &[u8; 2] = here.first_chunk().ok_or(ChainCut { proto })?;
                (usize::from(h[1]) + 2) * 4
            }
            44 => {
                let h: &[u8; 8] = here.first_chunk().ok_or(ChainCut { proto })?;
                let offset_flags = u16::from_be_bytes([h[2], h[3]]);
                let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                if offset_flags >> 3 != 0 {
                    fragment = Fragment::Later { id };
                } else if offset_flags & 1 != 0 {
                    fragment = Fragment::First { id };
                }
                8
            }
            _ => {
                return Ok(ChainEnd {
                    proto,
                    offset,
                    fragment,
                });
            }
        };
        let next = here.first().copied().ok_or(ChainCut { proto })?;
        let end = offset + len;
        if end > limit || end > data.len() {
            return Err(ChainCut { proto });
        }
        proto = next;
        offset = end;
        if matches!(fragment, Fragment::Later { .. }) {
            return Ok(ChainEnd {
                proto,
                offset,
                fragment,
            });
        }
    }
    Err(ChainCut { proto })
}

/// Parses an IPv6 header and its extension chain. A payload length of 0 (jumbogram or
/// segmentation offload) is taken as "everything captured".
#[inline(always)]
pub(crate) fn ipv6(bytes: &[u8]) -> Result<IpView<'_>, Layer> {
    let fixed = ipv6_fixed(bytes).ok_or(Layer::Ipv6)?;
    let declared = if fixed.payload_len == 0 {
        fixed.rest.len()
    } else {
        usize::from(fixed.payload_len)
    };
    let captured = fixed.rest.get(..declared).unwrap_or(fixed.rest);
    let end = ipv6_chain(fixed.next_header, captured, declared).map_err(|_| Layer::Ipv6Ext)?;
    Ok(IpView {
        addrs: Addrs::V6(fixed.addrs),
        proto: end.proto,
        ip_len: (declared + 40) as u32,
        fragment: end.fragment,
        data: captured.get(end.offset..).unwrap_or_default(),
        data_len: (declared - end.offset) as u32,
        layer: Layer::Ipv6,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_skips_extensions_and_stops_at_transport() {
        // Hop-by-hop (8 bytes, next = routing), routing (16 bytes, next = TCP).
        let mut data = vec![43, 0, 0, 0, 0, 0, 0, 0];
        data.extend([6, 1]);
        data.extend([0; 14]);
        let end = ipv6_chain(0, &data, data.len()).expect("valid chain");
        assert_eq!(
            end,
            ChainEnd {
                proto: 6,
                offset: 24,
                fragment: Fragment::None
            }
        );
    }

    #[test]
    fn chain_reports_fragments_and_esp() {
        // Fragment header, offset 0, M = 1, id 0x01020304, next = UDP.
        let first = [17, 0, 0x00, 0x01, 1, 2, 3, 4];
        let end = ipv6_chain(44, &first, 8).expect("valid");
        assert_eq!(end.fragment, Fragment::First { id: 0x0102_0304 });
        assert_eq!(end.proto, 17);
        // Offset 1 (8 bytes), M = 0: a later fragment whose data follows.
        let later = [17, 0, 0x00, 0x08, 0, 0, 0, 9, 0xde, 0xad];
        let end = ipv6_chain(44, &later, 10).expect("valid");
        assert_eq!(end.fragment, Fragment::Later { id: 9 });
        assert_eq!(end.offset, 8);
        assert_eq!(ipv6_chain(50, &[], 0).map(|e| e.proto), Ok(50));
    }

    #[test]
    fn chain_beyond_the_payload_is_cut() {
        let data = [6, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(ipv6_chain(0, &data, 8), Err(ChainCut { proto: 0 }));
        assert_eq!(ipv6_chain(0, &data[..1], 8), Err(ChainCut { proto: 0 }));
    }
}
