//! segscope-policy (being built).
