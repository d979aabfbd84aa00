//! segscope-flow (being built).
