//! Ground-truth scenarios: captures whose meaning is known by construction, for testing
//! segscope's later stages — the workload graph and lateral-movement findings, default-deny
//! zone proposals, policies and audit mode, and the ZTMM Networks score and report.
//!
//! A scenario is written with a [`build::Builder`]: zones, hosts with roles, a firewall, and
//! sessions whose outcome the firewall and the servers' listening services decide. The
//! builder derives the ground truth ([`truth::ScenarioFacts`]) from the same data; after the
//! simulation [`rubric`] adds the expected maturity stages (they need byte counts).
//!
//! - [`lab`]: `lab` and `lab-followup`, the enterprise lab and its audit follow-up;
//! - [`score`]: `flat`, `zoned`, `mesh`, `tls13`, each built to reach a known stage;
//! - [`scale`]: a streamed million-flow workload for the analyze benchmark;
//! - [`inventory`]: the CSV and YAML inventory of a scenario's network.
//!
//! Protocol bytes come from the labelled conversations of [`crate::convo`] through
//! [`catalog`], which falls back to a conversation of the same labels when one is missing and
//! records the substitution in the truth.

pub mod build;
pub mod catalog;
pub mod certs;
pub mod inventory;
pub mod lab;
pub mod rubric;
pub mod scale;
pub mod score;
pub mod truth;

use std::fmt;

use crate::scenarios::build::Built;
use crate::scenarios::catalog::Catalog;
use crate::scenarios::rubric::Function;
use crate::scenarios::truth::ScenarioFacts;
use crate::truth::TruthFlow;

/// A scenario written as a session list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Named {
    /// The enterprise lab.
    Lab,
    /// The enterprise lab a week later, with new legitimate traffic.
    LabFollowup,
    /// A flat network with cleartext admin traffic.
    Flat,
    /// Zones with default-deny evidence.
    Zoned,
    /// An all-mTLS service mesh.
    Mesh,
    /// TLS 1.3 only.
    Tls13,
}

impl Named {
    /// Every named scenario.
    pub const ALL: [Named; 6] = [
        Named::Lab,
        Named::LabFollowup,
        Named::Flat,
        Named::Zoned,
        Named::Mesh,
        Named::Tls13,
    ];

    /// Its name (the `segscope-gen` subcommand).
    pub fn name(self) -> &'static str {
        match self {
            Named::Lab => "lab",
            Named::LabFollowup => "lab-followup",
            Named::Flat => "flat",
            Named::Zoned => "zoned",
            Named::Mesh => "mesh",
            Named::Tls13 => "tls13",
        }
    }

    /// The scenario with timing drawn from `seed`.
    pub fn build(self, seed: u64) -> Built {
        let catalog = Catalog::new();
        match self {
            Named::Lab => lab::lab(seed, catalog),
            Named::LabFollowup => lab::lab_followup(seed, catalog),
            Named::Flat => score::flat(seed, catalog),
            Named::Zoned => score::zoned(seed, catalog),
            Named::Mesh => score::mesh(seed, catalog),
            Named::Tls13 => score::tls13(seed, catalog),
        }
    }

    /// The Networks functions its truth evaluates: the ones it was built for, and both for
    /// the lab (for information).
    pub fn functions(self) -> Vec<Function> {
        match self {
            Named::Lab | Named::LabFollowup => vec![Function::Segmentation, Function::Encryption],
            _ => score::functions(self.name()),
        }
    }

    /// The truth completed with the expected stages, from the simulated flows.
    pub fn complete(self, mut facts: ScenarioFacts, flows: &[TruthFlow]) -> ScenarioFacts {
        facts.expected = Some(rubric::evaluate(&facts, flows, &self.functions()));
        facts
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
