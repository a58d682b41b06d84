//! `[survey]`: whether a resolution sends the satisfaction survey, how
//! long its links work, the one reminder, and the questions (default: the
//! city SOP's ten, see [`crate::survey`]).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;
use crate::survey::{Question, Settings};

/// `[survey]` as written in the file.
///
/// ```toml
/// [survey]
/// enabled = true
/// valid_for = "30d"
/// remind_after = "3d"          # "off" for no reminder
/// [[survey.question]]
/// key = "speed"
/// text = { id = "Kecepatan penanganan", en = "Speed of handling" }
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSurvey {
    enabled: Option<bool>,
    valid_for: Option<String>,
    remind_after: Option<String>,
    /// Replaces the default questions when given.
    question: Option<Vec<RawQuestion>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    key: String,
    text: RawText,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    id: String,
    en: String,
}

/// The most questions a page shows (a survey is "a few minutes").
const MAX_QUESTIONS: usize = 20;

impl Validator<'_> {
    pub(super) fn survey(&self, raw: RawSurvey) -> Result<Settings, ConfigError> {
        let d = Settings::default();
        let valid_for = match raw.valid_for {
            Some(v) => {
                let t = self.duration("survey.valid_for", &v)?;
                if t.as_secs() < 3600 {
                    return Err(self.err("survey.valid_for", "must be at least 1h"));
                }
                t
            }
            None => d.valid_for,
        };
        let remind_after = match raw.remind_after.as_deref().map(str::trim) {
            None => d.remind_after,
            Some("off") => None,
            Some(v) => {
                let t = self.duration("survey.remind_after", v)?;
                if t.is_zero() || t >= valid_for {
                    return Err(self.err(
                        "survey.remind_after",
                        "must be longer than zero and shorter than survey.valid_for (or \"off\")",
                    ));
                }
                Some(t)
            }
        };
        let questions = match raw.question {
            None => d.questions,
            Some(list) => self.questions(list)?,
        };
        Ok(Settings {
            enabled: raw.enabled.unwrap_or(true),
            valid_for,
            remind_after,
            questions,
        })
    }

    fn questions(&self, list: Vec<RawQuestion>) -> Result<Vec<Question>, ConfigError> {
        if list.is_empty() || list.len() > MAX_QUESTIONS {
            return Err(self.err(
                "survey.question",
                format!("give 1 to {MAX_QUESTIONS} questions, or none for the default ten"),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, q) in list.into_iter().enumerate() {
            let key = format!("survey.question[{i}]");
            let ok = !q.key.is_empty()
                && q.key.len() <= 40
                && q.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok || q.key == "comment" {
                return Err(self.err(
                    &format!("{key}.key"),
                    format!(
                        "{:?} is not a key: lowercase letters, digits and _, not \"comment\"",
                        q.key
                    ),
                ));
            }
            if !seen.insert(q.key.clone()) {
                return Err(self.err(&format!("{key}.key"), format!("{:?} is given twice", q.key)));
            }
            for (lang, t) in [("id", &q.text.id), ("en", &q.text.en)] {
                if t.trim().is_empty() {
                    return Err(self.err(&format!("{key}.text.{lang}"), "is empty"));
                }
            }
            out.push(Question {
                key: q.key,
                text_id: q.text.id.trim().to_string(),
                text_en: q.text.en.trim().to_string(),
            });
        }
        Ok(out)
    }
}
