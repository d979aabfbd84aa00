//! Databases and caches (PostgreSQL, MySQL, MSSQL TDS, MongoDB with BSON, Redis RESP, Memcached text and binary) on arbitrary bytes. Input format: see `probe_harness`.

#![no_main]

#[path = "probe_harness/mod.rs"]
mod probe_harness;

use libfuzzer_sys::fuzz_target;
use segscope_core::Transport;
use segscope_proto::Probe;
use segscope_proto::cleartext;

const PROBES: &[&dyn Probe] = &[
    &cleartext::postgres::POSTGRES,
    &cleartext::mysql::MYSQL,
    &cleartext::mssql::MSSQL,
    &cleartext::mongodb::MONGODB,
    &cleartext::redis::REDIS,
    &cleartext::memcached::MEMCACHED,
];
const PORTS: &[u16] = &[5432, 3306, 1433, 27017, 6379, 11211];

fuzz_target!(|data: &[u8]| {
    probe_harness::run(data, PROBES, Transport::TCP, PORTS);
});
