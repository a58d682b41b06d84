//! The error every typed constructor of a configured value returns: which
//! file, which key, and why, so the operator can fix the line.

/// A problem with one configured value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct FieldError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(file: &str, key: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            file: file.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}
