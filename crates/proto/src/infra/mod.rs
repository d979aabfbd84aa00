//! The infra family.

use crate::probe::Probe;

/// The infra family's probes.
pub(crate) static PROBES: &[&dyn Probe] = &[];
