//! The city SOP's ten questions (the default `[[survey.question]]`) and
//! the five-point scale's words, in Indonesian and English.

use crate::domain::Language;

/// One question: its key (the form field and the JSON key) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub key: String,
    pub text_id: String,
    pub text_en: String,
}

impl Question {
    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::Id => &self.text_id,
            Language::En => &self.text_en,
        }
    }
}

/// The default keys, in the SOP's order (fixed by issue 11).
pub const DEFAULT_KEYS: [&str; 10] = [
    "reporting",
    "speed",
    "quality",
    "fit",
    "friendliness",
    "information",
    "timeliness",
    "overall",
    "facilities",
    "service_fit",
];

const DEFAULT_TEXTS: [(&str, &str); 10] = [
    (
        "Kemudahan cara melaporkan masalah",
        "How easy it was to report the problem",
    ),
    ("Kecepatan penanganan", "Speed of handling"),
    ("Kualitas penyelesaian", "Quality of the solution"),
    (
        "Kesesuaian penyelesaian dengan masalah",
        "How well the solution fits the problem",
    ),
    ("Keramahan petugas", "Friendliness of the staff"),
    (
        "Kejelasan informasi yang diberikan",
        "Clarity of the information given",
    ),
    ("Ketepatan waktu", "Timeliness"),
    (
        "Kualitas layanan secara keseluruhan",
        "Overall quality of the service",
    ),
    ("Sarana dan prasarana", "Facilities"),
    (
        "Kesesuaian layanan dengan permintaan",
        "How well the service matched your request",
    ),
];

/// The SOP's ten questions.
pub fn default_questions() -> Vec<Question> {
    DEFAULT_KEYS
        .iter()
        .zip(DEFAULT_TEXTS)
        .map(|(k, (id, en))| Question {
            key: k.to_string(),
            text_id: id.to_string(),
            text_en: en.to_string(),
        })
        .collect()
}

/// The word for rating `n` (1..=5) on the scale ("tidak puas … sangat
/// puas"); empty outside it.
pub fn scale_label(lang: Language, n: u8) -> &'static str {
    const ID: [&str; 5] = [
        "Tidak puas",
        "Kurang puas",
        "Cukup puas",
        "Puas",
        "Sangat puas",
    ];
    const EN: [&str; 5] = [
        "Not satisfied",
        "Slightly satisfied",
        "Fairly satisfied",
        "Satisfied",
        "Very satisfied",
    ];
    let words = match lang {
        Language::Id => &ID,
        Language::En => &EN,
    };
    n.checked_sub(1)
        .and_then(|i| words.get(i as usize))
        .copied()
        .unwrap_or("")
}
