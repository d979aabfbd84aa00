//! segscope-report (being built).
