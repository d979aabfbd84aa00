//! The line protocols (FTP, SMTP, POP3, IMAP, XMPP, IRC, telnet, rlogin/rsh/rexec, raw printing) with their SASL exchanges and in-band TLS upgrades on arbitrary bytes. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[
    &cleartext::ftp::FTP,
    &cleartext::mail::SMTP,
    &cleartext::mail::POP3,
    &cleartext::mail::IMAP,
    &cleartext::chat::XMPP,
    &cleartext::chat::IRC,
    &cleartext::telnet::TELNET,
    &cleartext::rsh::RLOGIN,
    &cleartext::rsh::RSH,
    &cleartext::printing::RAW_PRINTING,
    &cleartext::ftp::FTP_DATA,
];
const PORTS: &[u16] = &[21, 25, 110, 143, 5222, 6667, 23, 513, 512, 514, 9100, 20];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::TCP, PORTS);
});
