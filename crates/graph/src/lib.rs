//! segscope-graph (being built).
