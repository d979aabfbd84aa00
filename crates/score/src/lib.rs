//! segscope-score (being built).
