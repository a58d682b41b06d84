//! The languages posko writes to people in.

/// The language of the mail people read (`desk.language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Id,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Id => "id",
            Language::En => "en",
        }
    }

    /// The language of a code as stored (`"id"`, `"en"`), or of a BCP 47
    /// tag's primary subtag (`"en-GB"`; `"in"` is Indonesian's old code,
    /// which some clients still send); `None` for a language posko does
    /// not write in.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("id") || primary.eq_ignore_ascii_case("in") {
            Some(Language::Id)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Language::En)
        } else {
            None
        }
    }
}
