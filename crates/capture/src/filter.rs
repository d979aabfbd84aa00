//! tcpdump-syntax capture filters for files, compiled by libpcap (one program per link type,
//! compiled when the link type is first met) and run with `pcap_offline_filter`.
//!
//! libpcap's BPF program sees each frame's captured bytes; the `pcap` crate passes the captured
//! length as the wire length too, so `len`/`greater`/`less` compare against the captured length
//! of snaplen-truncated frames.

use std::sync::Arc;

use pcap::{BpfProgram, Capture, Linktype};

use crate::CaptureError;

/// A filter expression and its compiled programs.
pub(crate) struct FilterSet {
    expr: Arc<str>,
    programs: Vec<(u32, BpfProgram)>,
}

impl FilterSet {
    /// A filter for `expr`; nothing is compiled yet.
    pub(crate) fn new(expr: &str) -> FilterSet {
        FilterSet {
            expr: Arc::from(expr),
            programs: Vec::new(),
        }
    }

    /// Compiles the program for `linktype` unless it already exists.
    pub(crate) fn prepare(&mut self, linktype: u32) -> Result<(), CaptureError> {
        if !self.programs.iter().any(|(lt, _)| *lt == linktype) {
            let program = compile(&self.expr, linktype)?;
            self.programs.push((linktype, program));
        }
        Ok(())
    }

    /// True when the frame passes the filter.
    #[inline]
    pub(crate) fn matches(&mut self, linktype: u32, frame: &[u8]) -> Result<bool, CaptureError> {
        if let Some((_, p)) = self.programs.iter().find(|(lt, _)| *lt == linktype) {
            return Ok(p.filter(frame));
        }
        self.prepare(linktype)?;
        Ok(self.programs.last().is_some_and(|(_, p)| p.filter(frame)))
    }
}

/// Compiles `expr` for `linktype` (optimised), as tcpdump would for a file of that link type.
pub(crate) fn compile(expr: &str, linktype: u32) -> Result<BpfProgram, CaptureError> {
    let bad = |message: String| CaptureError::BadFilter {
        expr: expr.into(),
        linktype,
        linktype_name: linktype_name(linktype),
        message,
    };
    let dead =
        Capture::dead(Linktype(linktype_to_dlt(linktype))).map_err(|e| bad(e.to_string()))?;
    dead.compile(expr, true).map_err(|e| bad(pcap_message(e)))
}

/// libpcap's text of an error, without the `pcap` crate's "libpcap error: " prefix.
pub(crate) fn pcap_message(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(msg) => msg,
        other => other.to_string(),
    }
}

/// The DLT_* value libpcap uses for a LINKTYPE_* value: the same number except for the few
/// link types whose DLT value differs between platforms (libpcap's `linktype_to_dlt`).
fn linktype_to_dlt(linktype: u32) -> i32 {
    match linktype {
        100 => 11, // LINKTYPE_ATM_RFC1483 -> DLT_ATM_RFC1483
        101 => 12, // LINKTYPE_RAW -> DLT_RAW
        102 => 15, // LINKTYPE_SLIP_BSDOS -> DLT_SLIP_BSDOS
        103 => 16, // LINKTYPE_PPP_BSDOS -> DLT_PPP_BSDOS
        other => i32::try_from(other).unwrap_or(i32::MAX),
    }
}

/// libpcap's name for a link type (`EN10MB`), or `unknown` when it has none.
pub(crate) fn linktype_name(linktype: u32) -> String {
    Linktype(linktype_to_dlt(linktype))
        .get_name()
        .unwrap_or_else(|_| "unknown".into())
}

/// `EN10MB (1), LINUX_SLL (113)` for a list of link types.
pub(crate) fn linktype_list(linktypes: &[u32]) -> String {
    linktypes
        .iter()
        .map(|lt| format!("{} ({lt})", linktype_name(*lt)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/TCP frame from 10.0.0.1:1234 to 10.0.0.2:80.
    fn tcp_frame(dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20];
        f[12] = 0x08;
        f[14] = 0x45;
        f[14 + 2..14 + 4].copy_from_slice(&40u16.to_be_bytes());
        f[14 + 8] = 64;
        f[14 + 9] = 6;
        f[14 + 12..14 + 16].copy_from_slice(&[10, 0, 0, 1]);
        f[14 + 16..14 + 20].copy_from_slice(&[10, 0, 0, 2]);
        f[34..36].copy_from_slice(&1234u16.to_be_bytes());
        f[36..38].copy_from_slice(&dport.to_be_bytes());
        f[34 + 12] = 0x50;
        f
    }

    #[test]
    fn filters_by_port_per_link_type() {
        let mut f = FilterSet::new("tcp port 80");
        assert!(f.matches(1, &tcp_frame(80)).expect("compiles"));
        assert!(!f.matches(1, &tcp_frame(443)).expect("compiles"));
        // The same IPv4 packet without the Ethernet header, as LINKTYPE_RAW (101).
        assert!(f.matches(101, &tcp_frame(80)[14..]).expect("compiles"));
        assert_eq!(f.programs.len(), 2);
    }

    #[test]
    fn bad_expression_names_itself_and_libpcap_message() {
        let err = compile("tcp port eighty", 1).err().expect("must fail");
        let msg = err.to_string();
        assert!(msg.contains("\"tcp port eighty\""), "{msg}");
        assert!(msg.contains("EN10MB (1)"), "{msg}");
        assert!(msg.contains("man pcap-filter"), "{msg}");
        assert!(!msg.contains("libpcap error:"), "{msg}");
    }

    #[test]
    fn names_link_types() {
        assert_eq!(linktype_list(&[1, 113]), "EN10MB (1), LINUX_SLL (113)");
        assert_eq!(linktype_name(101), "RAW");
    }
}
