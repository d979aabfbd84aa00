//! segscope's shared vocabulary: plain data types that every stage reads or writes, and no I/O.
//!
//! The pipeline is packets → flows ([`FlowRecord`]) → edges ([`Edge`]) → graph, zones, policy and
//! score. Each arrow is a type in this crate, so a stage can be fed from a capture, from another
//! sensor's edges or from a test without knowing where its input came from.

pub mod auth;
pub mod classify;
pub mod community_id;
pub mod edge;
pub mod flow;
pub mod names;
pub mod stats;
pub mod time;

pub use auth::{AppProto, AuthClass, AuthEvidence, Confidence};
pub use classify::{Classification, Classify, DirPayload, FlowMeta};
pub use community_id::community_id_v1;
pub use edge::{Edge, EdgeKey, EvidenceSample, WorkloadKey};
pub use flow::{
    ConnState, DirStats, EndReason, Endpoint, FlowId, FlowRecord, FlowRef, SourceRef, Transport,
};
pub use names::{NameObservation, NameSource};
pub use stats::RunStats;
pub use time::{Span, Timestamp};
