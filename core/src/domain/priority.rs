//! A ticket's priority: 1 is the most urgent.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A ticket's priority, 1 (most urgent) to [`Priority::LOWEST`]. Which
/// levels a desk uses, and their names, are configuration (`[priority]`);
/// this type only keeps a value in the range every level set lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

impl Priority {
    /// The largest value a priority may have.
    pub const LOWEST: u8 = 9;

    /// `value` as a priority; `None` unless it is 1 to [`Priority::LOWEST`].
    pub fn new(value: u8) -> Option<Priority> {
        (1..=Priority::LOWEST)
            .contains(&value)
            .then_some(Priority(value))
    }

    /// The number, as people and the database write it.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Priority {
    type Error = String;

    fn try_from(value: u8) -> Result<Priority, String> {
        Priority::new(value)
            .ok_or_else(|| format!("{value} is not between 1 and {}", Priority::LOWEST))
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> u8 {
        p.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_nine_are_priorities() {
        assert_eq!(Priority::new(0), None);
        assert_eq!(Priority::new(10), None);
        assert_eq!(Priority::new(1).map(Priority::get), Some(1));
        assert!(Priority::new(1) < Priority::new(2));
        assert_eq!(Priority::new(9).unwrap().to_string(), "9");
        assert!(
            Priority::try_from(0)
                .unwrap_err()
                .contains("between 1 and 9")
        );
    }
}
