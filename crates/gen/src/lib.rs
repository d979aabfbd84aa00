//! Deterministic capture generation and test-data helpers.

pub mod testdata;
