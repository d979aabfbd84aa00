//! Data islands: JSON inside `<script type="application/json">`, and text inside HTML.

use serde::Serialize;

use crate::RenderError;

/// One embedded JSON document.
#[derive(Debug)]
pub(crate) struct Island {
    /// Element id the script reads it by.
    pub(crate) id: &'static str,
    /// The JSON, already escaped for a script element.
    pub(crate) json: String,
}

impl Island {
    /// Serializes `value` (named `document` in errors) for the element `id`.
    pub(crate) fn new(
        id: &'static str,
        document: &'static str,
        value: &impl Serialize,
    ) -> Result<Island, RenderError> {
        let json = serde_json::to_string(value)
            .map_err(|source| RenderError::Json { document, source })?;
        Ok(Island {
            id,
            json: escape_script_json(&json),
        })
    }
}

/// Makes JSON safe to place inside a `<script>` element.
///
/// A script element ends at the first `</script`, and `<!--` changes how the HTML parser
/// reads what follows, so neither may appear in the text. In JSON these characters can only
/// occur inside strings, where `\u003c` means the same thing to `JSON.parse`; `>` and `&`
/// are escaped too, and U+2028/U+2029 (line terminators to older script parsers), so the
/// text has no character the HTML parser treats specially.
pub(crate) fn escape_script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for an HTML element or a double-quoted attribute.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element_and_parses_to_the_same_value() {
        let name = "</script><script>alert(1)</script><!-- a&b \u{2028}";
        let json = serde_json::to_string(&serde_json::json!({ "name": name })).expect("JSON");
        let escaped = escape_script_json(&json);
        assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('&'));
        assert!(!escaped.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("JSON");
        assert_eq!(back["name"], name);
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            escape_html(r#"<b a="x">'&'</b>"#),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }
}
