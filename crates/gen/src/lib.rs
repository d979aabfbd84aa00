//! Deterministic capture generation and test-data helpers.

pub mod convo;
pub mod testdata;
