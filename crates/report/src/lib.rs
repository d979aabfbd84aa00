//! Everything segscope writes, and how: flow records as JSONL, CSV or a readable table, report
//! files, graphs and policies. Files are written to a temporary file in the destination folder
//! and renamed into place only when complete, so a crash, a full disk or Ctrl-C never leaves a
//! half-written output behind.

pub mod atomic;
pub mod records;
