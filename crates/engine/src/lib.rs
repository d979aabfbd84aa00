//! segscope-engine (being built).
