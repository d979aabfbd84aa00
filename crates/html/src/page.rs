//! The page: shell, embedded stylesheet and script, islands, and the Content-Security-Policy
//! that pins the page to them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::island::{Island, escape_html};

/// The stylesheet (screen and print).
const STYLE: &str = include_str!("../assets/report.css");
/// The script that draws every section from the islands.
const SCRIPT: &str = include_str!("../assets/report.js");
/// The static markup the script fills.
const BODY: &str = include_str!("../assets/body.html");

/// `'sha256-…'` source expression of an inline element's text.
fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The policy: nothing is fetched, only the embedded script and stylesheet run. Data islands
/// are not scripts the browser runs, so they need no allowance.
fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// Puts the page together.
pub(crate) fn assemble(title: &str, islands: &[Island]) -> String {
    let size: usize = islands.iter().map(|i| i.json.len() + 64).sum();
    let mut out = String::with_capacity(STYLE.len() + SCRIPT.len() + BODY.len() + size + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"");
    out.push_str(&content_security_policy());
    out.push_str("\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>");
    out.push_str(&escape_html(title));
    out.push_str(" — segscope report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(BODY);
    for island in islands {
        out.push_str("<script type=\"application/json\" id=\"");
        out.push_str(island.id);
        out.push_str("\">");
        out.push_str(&island.json);
        out.push_str("</script>\n");
    }
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_assets_cannot_end_their_element_early() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        assert!(!SCRIPT.contains("<!--"));
    }

    #[test]
    fn policy_hashes_the_exact_embedded_text() {
        // The empty string's SHA-256, from `printf '' | openssl dgst -sha256 -binary | base64`.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains(&csp_hash(SCRIPT)) && csp.contains(&csp_hash(STYLE)));
    }
}
