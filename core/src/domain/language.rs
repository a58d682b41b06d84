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
}
