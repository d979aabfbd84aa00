//! The bidirectional flow table: decoded packets in, [`FlowRecord`](segscope_core::FlowRecord)s out.
//!
//! Sans-IO and deterministic, in the style of quinn-proto: time comes only from packet
//! timestamps, nothing is read from a clock or a socket, and the same packets always give the
//! same records, whatever the machine, the hash seed or the number of tables the engine shards
//! the traffic over (each table fed the packets whose unordered address pair hashes to it).
//!
//! ```text
//! process(ts, source, frame, &packet, &mut out)   per packet; appends records that became due
//! advance(now, &mut out)                          expiry by packet time, O(1) when nothing is due
//! flush(&mut out)                                 end of input: every open flow, in a fixed order
//! ```
//!
//! What a record holds, and where it comes from:
//!
//! - **Identity.** A canonical key (both endpoints in a fixed order, transport, outer and inner
//!   VLAN unless [`FlowConfig::vlans_in_key`] is off, innermost tunnel kind and id) hashed with
//!   hashbrown's seeded foldhash for lookup. The
//!   `flow_id` is a fixed function of that key and the first packet's time (see
//!   `FlowKey::flow_id`: SHA-1 over a documented byte layout), so it is the same on every run.
//!   ICMP request and reply share a key through the Community ID type pairing; the echo
//!   identifier is not part of the key because the decoded packet does not carry it.
//! - **Direction.** SYN sender, SYN-ACK receiver (history `^`), ICMP request sender, or the side
//!   on the ephemeral port ([`is_service_port`]; `direction_inferred`), with DNS's QR bit
//!   deciding between two service ports; never a broadcast or multicast address.
//! - **TCP state, history, bytes.** Zeek's `conn_state`, `history` and `orig_bytes`/`resp_bytes`
//!   semantics, reproduced transition by transition (module `tcp`). UDP and other transports:
//!   `S0` one-way, `SF` two-way, `SHR` when only the server spoke (as Zeek); ICMP likewise
//!   (Zeek writes `OTH` for ICMP) with an empty history.
//! - **Timeouts.** Per class (TCP attempt / open / closed-linger, UDP, ICMP, other), measured in
//!   packet time; each class is an activity-ordered intrusive list in a slab (ordered to within
//!   2^30 ns, about a second, so that busy flows are not relinked on every packet), so expiry
//!   touches only the flows that expire. A packet whose time goes backwards is counted
//!   (`time_went_backwards`) and does not move its flow's `last_ts` back.
//! - **Interim records.** A flow whose record has lasted `active_timeout` is written as an
//!   interim record when its next packet arrives; the next record (same `flow_id`, next
//!   `record_seq`) covers only the packets after it: packets, bytes (TCP: sequence space),
//!   fragments and ICMP errors are per record, so summing a flow's records gives its totals.
//!   History and state are those of the whole flow so far.
//! - **Bounded memory.** At most `max_flows` flows (the least recently active, to within about a
//!   second, is written early,
//!   `EndReason::Evicted`); 272 bytes of hot state per flow plus about 10 of index (289 bytes
//!   resident per open flow, measured by the `memory` test), with rare facts
//!   (tunnels, ICMP, errors, classification) behind one optional box and retained payload
//!   behind another.
//! - **Payload for classification.** The first `payload_budget` bytes of each direction (TCP
//!   reassembled in sequence order, datagrams concatenated with their lengths), under a
//!   table-wide cap; handed to the [`Classify`](segscope_core::Classify) implementation when the
//!   flow closes, both directions are full, or its first record is written. The classification
//!   is kept for later records of the flow; its names go only into the first record carrying it.
//! - **Fragments.** A first fragment registers its datagram in a small bounded map; later
//!   fragments count as packets of that flow (and in `fragments`), or as `orphan_fragments`.
//!   Unlike Zeek, which reassembles fragments and counts one packet, every fragment is a packet
//!   here.
//! - **ICMP errors.** An error quoting an open flow (same VLANs and realm) is listed on that flow
//!   (not counted as one of its packets); otherwise it starts an ICMP flow whose `icmp.refers_to`
//!   is the quoted five-tuple.
//!
//! Accounting: every packet handed to `process` is counted exactly once, as a packet of some
//! record, or in `orphan_fragments`, `icmp_errors_attributed` or `icmp_errors_over_cap`.
//!
//! Sharding: a table must see both directions of a flow, its fragments and the ICMP errors that
//! quote it, so the engine routes packets by their unordered address pair (an ICMP error by the
//! pair it quotes) and calls `advance` on every table with the input's packet time.
//!
//! Checked against Zeek: the `zeek_conn` test reads the real captures of the shared test set
//! with segscope's reader and decoder and compares every connection of Zeek's `conn.log`
//! baselines (state, history, bytes, packets, IP bytes). The known differences are by design:
//! an ICMP error is listed on the flow it quotes instead of being a connection of its own,
//! VXLAN/GENEVE outer flows are decapsulated rather than reported, ICMP flows are `S0`/`SF`
//! rather than Zeek's `OTH`, and fragments count as packets.

mod config;
mod direction;
mod flow;
mod frag;
mod history;
mod key;
mod record;
mod retain;
mod slab;
mod table;
mod tcp;

pub use config::FlowConfig;
pub use direction::{SERVICE_PORTS, is_service_port};
pub use history::MAX_HISTORY;
pub use table::FlowTable;
