//! `[[staff]]`: who works the desk, at which level, in which groups.

use std::collections::HashSet;

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, Role, Staff};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStaff {
    name: String,
    email: String,
    handle: String,
    level: u8,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    "agent".into()
}

impl Validator<'_> {
    pub(super) fn staff(&self, raw: Vec<RawStaff>) -> Result<Vec<Staff>, ConfigError> {
        let mut handles = HashSet::new();
        let mut emails = HashSet::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, s) in raw.into_iter().enumerate() {
            let key = |k: &str| format!("staff[{i}].{k}");
            let email = self.address(&key("email"), &s.email)?;
            let handle = s.handle.trim().to_lowercase();
            if handle.is_empty()
                || !handle
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(self.err(
                    &key("handle"),
                    format!("{:?} must be letters, digits, '.', '_' or '-'", s.handle),
                ));
            }
            if !handles.insert(handle.clone()) {
                return Err(self.err(&key("handle"), format!("{handle:?} is used twice")));
            }
            if !emails.insert(email.base().to_string()) {
                return Err(self.err(&key("email"), format!("{email} is used twice")));
            }
            if !(1..=3).contains(&s.level) {
                return Err(self.err(
                    &key("level"),
                    format!(
                        "{} is not 1 (service desk), 2 (specialist) or 3 (third party)",
                        s.level
                    ),
                ));
            }
            let role = match s.role.as_str() {
                "agent" => Role::Agent,
                "manager" => Role::Manager,
                other => {
                    return Err(self.err(
                        &key("role"),
                        format!("{other:?} is not \"agent\" or \"manager\""),
                    ));
                }
            };
            out.push(Staff {
                name: s.name,
                email,
                handle,
                level: s.level,
                groups: s.groups,
                role,
            });
        }
        Ok(out)
    }
}
