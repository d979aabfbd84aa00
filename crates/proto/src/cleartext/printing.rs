//! Raw printing (HP JetDirect, port 9100): the client streams a print job — PJL (after the
//! Universal Exit Language sequence), PostScript or PCL — and nothing authenticates it, so these
//! flows are `cleartext_unauthenticated`.

use segscope_core::{AppProto, AuthClass, Transport};

use super::verdict;
use crate::probe::{Analysis, Ctx, Probe, Verdict};

/// Raw-printing probe.
pub struct RawPrinting;
/// The raw-printing probe instance.
pub static RAW_PRINTING: RawPrinting = RawPrinting;

/// Universal Exit Language: the start of a PJL job.
const UEL: &[u8] = b"\x1b%-12345X";

/// The job language a print stream starts with.
pub fn job_language(head: &[u8]) -> Option<(&'static str, Verdict)> {
    if head.starts_with(UEL) || head.starts_with(b"@PJL") {
        Some(("PJL", Verdict::Certain))
    } else if head.starts_with(b"%!PS") {
        Some(("PostScript", Verdict::Unsure))
    } else if head.starts_with(b"\x1bE") {
        Some(("PCL", Verdict::Unsure))
    } else {
        None
    }
}

impl Probe for RawPrinting {
    fn name(&self) -> &'static str {
        "raw_printing"
    }
    fn app(&self) -> AppProto {
        AppProto::RawPrinting
    }
    fn probe(&self, ctx: &Ctx<'_>) -> Verdict {
        if ctx.meta.transport != Transport::TCP {
            return Verdict::NotForUs;
        }
        job_language(ctx.client_head()).map_or(Verdict::NotForUs, |(_, v)| v)
    }
    fn analyze(&self, ctx: &Ctx<'_>) -> Analysis {
        let lang = job_language(ctx.client.bytes).map_or("unknown", |(l, _)| l);
        verdict(
            AppProto::RawPrinting,
            AuthClass::CleartextUnauthenticated,
            format!("raw print job ({lang}): raw printing has no authentication"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(
            job_language(b"\x1b%-12345X@PJL JOB\r\n").map(|l| l.0),
            Some("PJL")
        );
        assert_eq!(
            job_language(b"%!PS-Adobe-3.0").map(|l| l.0),
            Some("PostScript")
        );
        assert_eq!(job_language(b"\x1bE\x1b&l0O").map(|l| l.0), Some("PCL"));
        assert_eq!(job_language(b"GET /"), None);
    }
}
