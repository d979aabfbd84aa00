//! segscope-proto (being built).
