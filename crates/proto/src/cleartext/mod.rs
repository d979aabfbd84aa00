//! The cleartext family.

use crate::probe::Probe;

/// The cleartext family's probes.
pub(crate) static PROBES: &[&dyn Probe] = &[];
