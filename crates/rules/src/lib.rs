//! segscope-rules (being built).
