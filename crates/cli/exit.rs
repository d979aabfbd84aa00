//! Exit codes (documented in the README) and one-line error reports.

use std::process::ExitCode;

/// Findings at or above `--fail-on`, or flows blocked under `--fail-on-block`.
pub(crate) const GATE: u8 = 1;
/// Bad command-line arguments, or an invalid rule, policy, inventory or key-log file.
pub(crate) const USAGE: u8 = 2;
/// An input capture cannot be read: missing, unreadable, not a capture, unsupported link type.
pub(crate) const INPUT: u8 = 3;
/// Live capture failed: no such interface, missing permission.
pub(crate) const LIVE: u8 = 4;
/// An output could not be written.
pub(crate) const OUTPUT: u8 = 5;
/// A bug in segscope.
pub(crate) const INTERNAL: u8 = 70;

/// A failure with its exit code and a one-line message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure::new(USAGE, message)
    }

    pub(crate) fn output(message: impl Into<String>) -> Failure {
        Failure::new(OUTPUT, message)
    }

    /// Prints the message and returns the exit code. A closed pipe (`segscope … | head`) is
    /// not an error.
    pub(crate) fn report(self) -> ExitCode {
        if self.code == OUTPUT && self.message.contains("Broken pipe") {
            return ExitCode::SUCCESS;
        }
        eprintln!("segscope: error: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl From<segscope_capture::CaptureError> for Failure {
    fn from(e: segscope_capture::CaptureError) -> Failure {
        use segscope_capture::CaptureError as E;
        let code = match &e {
            E::InterfaceNotFound { .. } | E::CapturePermission { .. } | E::Live { .. } => LIVE,
            E::BadFilter { .. } | E::NoInput | E::TooManyInputs { .. } => USAGE,
            _ => INPUT,
        };
        Failure::new(code, e.to_string())
    }
}

impl From<segscope_engine::EngineError> for Failure {
    fn from(e: segscope_engine::EngineError) -> Failure {
        use segscope_engine::EngineError as E;
        match e {
            E::Capture(c) => c.into(),
            E::Output(m) => Failure::output(m),
            E::Worker(m) => Failure::new(INTERNAL, m),
        }
    }
}

impl From<segscope_rules::RuleError> for Failure {
    fn from(e: segscope_rules::RuleError) -> Failure {
        Failure::usage(e.to_string())
    }
}
