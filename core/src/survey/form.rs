//! A submitted survey form: every question rated 1..5, a free-text
//! comment, and the one figure reports average.

use std::collections::BTreeMap;

use super::Question;

/// The longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 4000;

/// What a valid form says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Question key → rating, every configured question present.
    pub ratings: BTreeMap<String, u8>,
    /// Trimmed; `None` when empty.
    pub comment: Option<String>,
}

impl Answer {
    /// The ratings of 1 or 2, in the questions' order (the assignee is
    /// told of these).
    pub fn low<'q>(&self, questions: &'q [Question]) -> Vec<(&'q Question, u8)> {
        questions
            .iter()
            .filter_map(|q| self.ratings.get(&q.key).map(|r| (q, *r)))
            .filter(|(_, r)| *r <= 2)
            .collect()
    }

    /// How many of [`Answer::low`] there are, without listing them: every
    /// answer asks this (whether a staff notice is due, the event's
    /// `low`), so it looks a key up among the questions only for a rating
    /// of 1 or 2, instead of each question's rating in the map.
    pub fn low_count(&self, questions: &[Question]) -> usize {
        self.ratings
            .iter()
            .filter(|(k, r)| **r <= 2 && questions.iter().any(|q| &q.key == *k))
            .count()
    }
}

/// Why a form is refused (400), naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("{0}: missing")]
    Missing(String),
    #[error("{0}: not a rating from 1 to 5")]
    BadRating(String),
    #[error("{0}: given twice")]
    Twice(String),
    #[error("comment: longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
}

impl FormError {
    /// The field at fault.
    pub fn field(&self) -> &str {
        match self {
            FormError::Missing(f) | FormError::BadRating(f) | FormError::Twice(f) => f,
            FormError::CommentTooLong => "comment",
        }
    }
}

/// `"1"` … `"5"` (spaces around allowed); nothing else.
pub fn parse_rating(v: &str) -> Option<u8> {
    match v.trim() {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        "4" => Some(4),
        "5" => Some(5),
        _ => None,
    }
}

/// Reads the decoded form fields against the questions. Fields that are
/// not a question or `comment` (a button's name) are ignored.
pub fn read_form(questions: &[Question], fields: &[(String, String)]) -> Result<Answer, FormError> {
    let mut ratings = BTreeMap::new();
    let mut comment: Option<&str> = None;
    for (k, v) in fields {
        if k == "comment" {
            if comment.is_some() {
                return Err(FormError::Twice(k.clone()));
            }
            comment = Some(v);
        } else if questions.iter().any(|q| &q.key == k) {
            let r = parse_rating(v).ok_or_else(|| FormError::BadRating(k.clone()))?;
            if ratings.insert(k.clone(), r).is_some() {
                return Err(FormError::Twice(k.clone()));
            }
        }
    }
    if let Some(q) = questions.iter().find(|q| !ratings.contains_key(&q.key)) {
        return Err(FormError::Missing(q.key.clone()));
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(FormError::CommentTooLong);
    }
    Ok(Answer {
        ratings,
        comment: comment.map(str::to_string),
    })
}

/// The survey's one figure: the `overall` rating when asked, else the
/// mean of the ratings rounded half up; `None` without ratings.
pub fn score(ratings: &BTreeMap<String, u8>) -> Option<i64> {
    if let Some(r) = ratings.get("overall") {
        return Some(i64::from(*r));
    }
    if ratings.is_empty() {
        return None;
    }
    let sum: i64 = ratings.values().map(|r| i64::from(*r)).sum();
    let n = ratings.len() as i64;
    // Half up in integers: (2·sum + n) / (2·n).
    Some((2 * sum + n) / (2 * n))
}
