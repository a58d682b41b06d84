//! Small domain types shared by every layer: ticket ids, statuses,
//! addresses, languages, staff, durations and sizes, field errors.
//!
//! The leaf of the house: everything may use it, it uses nothing of posko.

mod error;
mod event;
mod language;
mod priority;
mod staff;
pub mod survey;
mod units;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use error::FieldError;
pub use event::{EventKind, MailKind};
pub use language::Language;
pub use priority::Priority;
pub use staff::{Role, Staff};
pub use units::{parse_duration, parse_size};

/// A ticket's number, as shown to people: `#17`.
///
/// Still a plain integer: the store binds and reads it directly. It becomes
/// a newtype once the store takes typed ids at its boundary.
pub type TicketId = i64;

/// Where a ticket stands. The names are part of the JSON interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    InProgress,
    Pending,
    Resolved,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "new" => Status::New,
            "in_progress" => Status::InProgress,
            "pending" => Status::Pending,
            "resolved" => Status::Resolved,
            "closed" => Status::Closed,
            _ => return None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a message came into the desk or went out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Who may see a message: everyone on the ticket, or staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// An e-mail address, trimmed, with the domain lower-cased.
///
/// The local part keeps its case when displayed (RFC 5321 says it may be
/// case-sensitive) but comparisons use [`EmailAddress::base`], which folds case
/// and drops a `+detail` suffix, because in practice every mail system we serve
/// treats `Alice@corp.test` and `alice+x@corp.test` as one mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress {
    full: String,
    base: String,
}

impl EmailAddress {
    /// Parses a bare address (`local@domain`); `None` when it is not one.
    pub fn parse(s: &str) -> Option<EmailAddress> {
        let s = s
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        let (local, domain) = s.rsplit_once('@')?;
        if local.is_empty()
            || domain.is_empty()
            || !domain.chars().all(|c| {
                c.is_alphanumeric() || c == '.' || c == '-' || c == '[' || c == ']' || c == ':'
            })
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return None;
        }
        let domain = domain.to_ascii_lowercase();
        let base_local = local.split('+').next().unwrap_or(local).to_lowercase();
        Some(EmailAddress {
            full: format!("{local}@{domain}"),
            base: format!("{base_local}@{domain}"),
        })
    }

    /// The address as written (domain lower-cased).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The comparison key: lower-case, without `+detail`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn local(&self) -> &str {
        self.full.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }

    pub fn domain(&self) -> &str {
        self.full.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compare_by_base() {
        let a = EmailAddress::parse("Alice+phone@Corp.TEST").unwrap();
        let b = EmailAddress::parse("<alice@corp.test>").unwrap();
        assert_eq!(a.base(), b.base());
        assert_eq!(a.as_str(), "Alice+phone@corp.test");
    }

    #[test]
    fn intranet_hosts_are_addresses() {
        assert!(EmailAddress::parse("martin@mailhost").is_some());
    }

    #[test]
    fn non_addresses_are_refused() {
        for s in [
            "",
            "alice",
            "@corp.test",
            "alice@",
            "a b@corp.test",
            "a@corp.",
        ] {
            assert!(EmailAddress::parse(s).is_none(), "{s}");
        }
    }
}
