//! The state of one frame's decode as it descends the layers: VLAN ids, MPLS, the tunnels
//! peeled so far, and what to count when the frame is done.

use segscope_core::flow::{QuotedFlow, TunnelKind};
use segscope_core::stats::Layer;

use crate::outcome::Stop;
use crate::{Fragment, MAX_TUNNELS, TunnelHop};

/// Per-frame decode state; built fresh for every frame, never allocates.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Walk {
    /// First non-zero VLAN id of the current (innermost so far) Ethernet frame.
    pub(crate) vlan: Option<u16>,
    /// Second non-zero VLAN id of the current Ethernet frame.
    pub(crate) inner_vlan: Option<u16>,
    /// Tunnels peeled, outermost first.
    pub(crate) tunnels: [Option<TunnelHop>; MAX_TUNNELS],
    /// How many entries of `tunnels` are filled.
    pub(crate) depth: usize,
    /// Some 802.1Q/802.1ad tag was seen (priority tags included).
    pub(crate) tagged: bool,
    /// Some MPLS label was seen.
    pub(crate) labelled: bool,
    /// The packet is an ICMP/ICMPv6 error message.
    pub(crate) icmp_error: bool,
    /// The error's quoted header was cut short.
    pub(crate) quote_truncated: bool,
    /// The flow the error quotes.
    pub(crate) quoted: Option<QuotedFlow>,
    /// Fragmentation of the innermost IP packet.
    pub(crate) fragment: Fragment,
}

impl Walk {
    /// Starts a new Ethernet frame: the VLAN ids that matter are those of the frame carrying
    /// the innermost IP packet.
    pub(crate) fn enter_ethernet(&mut self) {
        self.vlan = None;
        self.inner_vlan = None;
    }

    /// Records a VLAN tag's id: 0 (a priority tag) is no VLAN; the first two non-zero ids are
    /// kept, outer first.
    pub(crate) fn tag(&mut self, vid: u16) {
        self.tagged = true;
        if vid == 0 {
            return;
        }
        if self.vlan.is_none() {
            self.vlan = Some(vid);
        } else if self.inner_vlan.is_none() {
            self.inner_vlan = Some(vid);
        }
    }

    /// Records a tunnel level, or refuses it (malformed at `layer`) past [`MAX_TUNNELS`].
    pub(crate) fn push_tunnel(&mut self, hop: TunnelHop, layer: Layer) -> Result<(), Stop> {
        let slot = self
            .tunnels
            .get_mut(self.depth)
            .ok_or(Stop::Malformed(layer))?;
        *slot = Some(hop);
        self.depth += 1;
        Ok(())
    }

    /// The tunnel kinds peeled, for counting.
    pub(crate) fn tunnel_kinds(&self) -> impl Iterator<Item = TunnelKind> + '_ {
        self.tunnels.iter().map_while(|h| h.map(|h| h.kind))
    }
}
