//! Flow table behaviour, from hand-built packet sequences.

mod datagrams;
mod determinism;
mod frag_icmp;
mod limits;
mod payload;
mod props;
mod support;
mod synth;
mod tcp_states;
mod timeouts;
