//! The desk's staff, as `[[staff]]` declares them.

use super::EmailAddress;

#[derive(Debug, Clone)]
pub struct Staff {
    pub name: String,
    pub email: EmailAddress,
    pub handle: String,
    /// 1 service desk, 2 specialist, 3 third party.
    pub level: u8,
    pub groups: Vec<String>,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
        }
    }

    /// Whether someone of this role may do what `required` may.
    pub fn satisfies(self, required: Role) -> bool {
        self == Role::Manager || required == Role::Agent
    }
}
