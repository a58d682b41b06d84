//! What a staff mail's commands will do to a ticket, decided before
//! anything is written: every command is checked against the ticket and
//! the desk's rules (handles, groups, categories, priority levels, role
//! limits), and either all of them make a [`Plan`] or the mail gets the
//! list of [`PlanError`]s and nothing applies.
//!
//! Pure: no database, no clock, no I/O. The caller reads the ticket (or
//! describes the one about to be opened, [`Subject::opening`]) and applies
//! the plan (`apply.rs`).

use std::fmt;

use crate::catalogue::{Catalogue, Group};
use crate::commands::{self, Assignee, Command, CommandError, Located, Parsed, StatusChange};
use crate::config::{Config, Role, Staff};
use crate::domain::{EmailAddress, Language, Status, TicketId};

/// The ticket the commands are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `None`: the ticket a new mail is about to open.
    pub id: Option<TicketId>,
    pub status: Status,
    pub group: Option<&'a str>,
    pub category: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// A ticket that exists.
    pub fn of(t: &'a crate::store::tickets::Ticket) -> Subject<'a> {
        Subject {
            id: Some(t.id),
            status: t.status,
            group: t.group_key.as_deref(),
            category: t.category.as_deref(),
        }
    }

    /// The ticket a new mail opens, as classified.
    pub fn opening(group: &'a str, category: &'a str) -> Subject<'a> {
        Subject {
            id: None,
            status: Status::New,
            group: Some(group),
            category: Some(category),
        }
    }
}

/// What the plan is checked with: the parts of the configuration it reads.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub catalogue: &'a Catalogue,
    pub staff: &'a [Staff],
    /// Who may close a ticket that is not resolved.
    pub close_requires: Role,
    /// Who may move a ticket to a group that is not a level up.
    pub move_requires: Role,
    pub desk_address: &'a EmailAddress,
    pub desk_aliases: &'a [EmailAddress],
}

impl<'a> Rules<'a> {
    pub fn of(cfg: &'a Config) -> Rules<'a> {
        Rules {
            catalogue: &cfg.catalogue,
            staff: &cfg.staff,
            close_requires: cfg.auth.close_requires,
            move_requires: cfg.auth.move_requires,
            desk_address: &cfg.desk.address,
            desk_aliases: &cfg.desk.aliases,
        }
    }

    fn is_own_address(&self, a: &EmailAddress) -> bool {
        a.base() == self.desk_address.base()
            || self.desk_aliases.iter().any(|x| x.base() == a.base())
    }

    fn staff_by(&self, who: &str) -> Option<&'a Staff> {
        let by_email = EmailAddress::parse(who);
        self.staff.iter().find(|s| s.handle == who).or_else(|| {
            by_email.and_then(|e| self.staff.iter().find(|s| s.email.base() == e.base()))
        })
    }
}

/// A new category, and the ticket type that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recategorise {
    pub category: String,
    pub ticket_type: String,
}

/// What a valid set of commands will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub status: Option<Status>,
    pub reopen: bool,
    pub assign: Option<Staff>,
    /// From the ticket's group to another.
    pub escalate: Option<(Group, Group)>,
    pub priority: Option<u8>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub recategorise: Option<Recategorise>,
    pub cc: Vec<EmailAddress>,
    /// The ticket to merge into (looked up when the plan is applied).
    pub merge: Option<TicketId>,
    /// `#lang`: the language the requester is answered in from now on.
    pub language: Option<Language>,
    pub internal: bool,
    pub help: bool,
    /// `#show`: mail the sender the ticket's record (after the other
    /// commands of the mail have applied).
    pub show: bool,
}

/// Why a command cannot be applied; each says what was probably meant.
#[derive(Debug, Clone)]
pub enum PlanError {
    /// What reading the commands found (unknown, bad value, conflict).
    Command(CommandError),
    /// `#close` on a ticket that is not resolved, by someone below the role.
    CloseNeedsRole {
        raw: String,
        role: Role,
    },
    /// `#reopen` on a ticket that is open.
    NotDone {
        raw: String,
        id: TicketId,
        status: Status,
    },
    UnknownStaff {
        raw: String,
        handle: String,
        suggestion: Option<String>,
    },
    UnknownGroup {
        raw: String,
        group: String,
        suggestion: Option<String>,
    },
    /// `#escalate` from the top level.
    NoHigherLevel {
        raw: String,
        id: TicketId,
        group: String,
        level: u8,
    },
    AlreadyWith {
        raw: String,
        id: TicketId,
        group: String,
    },
    /// A move sideways or down, by someone below the role.
    MoveNeedsRole {
        raw: String,
        role: Role,
        from: Group,
        to: Group,
    },
    NotAPriority {
        raw: String,
        value: u8,
        levels: Vec<u8>,
    },
    NotOnScale {
        raw: String,
        value: String,
        scale: Vec<String>,
    },
    UnknownCategory {
        raw: String,
        category: String,
        suggestion: Option<String>,
    },
    DeskCannotWatch {
        raw: String,
    },
    MergeIntoItself {
        raw: String,
    },
    /// `#requester:` in a reply on a ticket instead of a new mail.
    RequesterOnTicket {
        raw: String,
        id: TicketId,
        desk: EmailAddress,
    },
    /// `#show` in a new mail: there is no record to show yet.
    ShowWithoutTicket {
        raw: String,
    },
}

fn did_you_mean(f: &mut fmt::Formatter<'_>, command: &str, s: &Option<String>) -> fmt::Result {
    match s {
        Some(s) => write!(f, "; did you mean #{command}:{s}?"),
        None => Ok(()),
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Command(e) => write!(f, "{e}"),
            PlanError::CloseNeedsRole { raw, role } => write!(
                f,
                "{raw}: only a {} may close a ticket that is not resolved; did you mean #resolve?",
                role.as_str()
            ),
            PlanError::NotDone { raw, id, status } => {
                write!(
                    f,
                    "{raw}: ticket #{id} is not resolved or closed (it is {status})"
                )
            }
            PlanError::UnknownStaff {
                raw,
                handle,
                suggestion,
            } => {
                write!(f, "{raw}: no staff member has the handle {handle:?}")?;
                did_you_mean(f, "assign", suggestion)
            }
            PlanError::UnknownGroup {
                raw,
                group,
                suggestion,
            } => {
                write!(f, "{raw}: there is no group {group:?}")?;
                did_you_mean(f, "escalate", suggestion)
            }
            PlanError::NoHigherLevel {
                raw,
                id,
                group,
                level,
            } => write!(
                f,
                "{raw}: ticket #{id} is with {group} (level {level}), and there is no higher level"
            ),
            PlanError::AlreadyWith { raw, id, group } => {
                write!(f, "{raw}: ticket #{id} is with {group} already")
            }
            PlanError::MoveNeedsRole {
                raw,
                role,
                from,
                to,
            } => write!(
                f,
                "{raw}: only a {} may move a ticket from {} (level {}) to {} (level {}): \
                 escalation goes up a level",
                role.as_str(),
                from.key,
                from.level,
                to.key,
                to.level
            ),
            PlanError::NotAPriority { raw, value, levels } => {
                let levels: Vec<String> = levels.iter().map(u8::to_string).collect();
                write!(
                    f,
                    "{raw}: {value} is not a priority level (levels: {})",
                    levels.join(", ")
                )
            }
            PlanError::NotOnScale { raw, value, scale } => write!(
                f,
                "{raw}: {value} is not on this desk's scale ({})",
                scale.join(", ")
            ),
            PlanError::UnknownCategory {
                raw,
                category,
                suggestion,
            } => {
                write!(f, "{raw}: there is no category {category:?}")?;
                did_you_mean(f, "category", suggestion)
            }
            PlanError::DeskCannotWatch { raw } => {
                write!(f, "{raw}: the desk's own address cannot watch a ticket")
            }
            PlanError::MergeIntoItself { raw } => {
                write!(f, "{raw}: a ticket cannot be merged into itself")
            }
            PlanError::RequesterOnTicket { raw, id, desk } => write!(
                f,
                "{raw}: #requester opens a new ticket; send it in a new mail to {desk}, \
                 not in a reply on ticket #{id}"
            ),
            PlanError::ShowWithoutTicket { raw } => write!(
                f,
                "{raw}: shows a ticket's record; send it in a reply on the ticket \
                 (its subject tag, e.g. [Helpdesk #17])"
            ),
        }
    }
}

/// Checks every command of `parsed`, sent by `staff`, against `t`: the plan,
/// or every reason it cannot apply.
pub fn plan(
    rules: &Rules<'_>,
    t: &Subject<'_>,
    staff: &Staff,
    parsed: &Parsed,
) -> Result<Plan, Vec<PlanError>> {
    let cat = rules.catalogue;
    let mut errors: Vec<PlanError> = parsed
        .errors
        .iter()
        .cloned()
        .map(PlanError::Command)
        .collect();
    let mut p = Plan::default();
    let resolving = parsed
        .commands
        .iter()
        .any(|l| l.command.status_change() == Some(StatusChange::To(Status::Resolved)));
    let current_group = t
        .group
        .and_then(|g| cat.group(g))
        .unwrap_or(&cat.groups[0])
        .clone();
    let explicit_type = parsed.commands.iter().find_map(|l| match l.command {
        Command::Type(ty) => Some(ty.as_str().to_string()),
        _ => None,
    });
    // Messages name the ticket; a ticket about to be opened has no number yet.
    let id = t.id.unwrap_or_default();
    for Located { command, raw, .. } in &parsed.commands {
        let raw = raw.clone();
        match command {
            Command::Status(Status::Closed) | Command::Close => {
                if !matches!(t.status, Status::Resolved | Status::Closed)
                    && !resolving
                    && !staff.role.satisfies(rules.close_requires)
                {
                    errors.push(PlanError::CloseNeedsRole {
                        raw,
                        role: rules.close_requires,
                    });
                }
                p.status = Some(Status::Closed);
            }
            Command::Status(s) => p.status = Some(*s),
            Command::Pending => p.status = Some(Status::Pending),
            Command::Resolve => p.status = Some(Status::Resolved),
            Command::Reopen => {
                if matches!(t.status, Status::Resolved | Status::Closed) {
                    p.reopen = true;
                } else {
                    errors.push(PlanError::NotDone {
                        raw,
                        id,
                        status: t.status,
                    });
                }
            }
            Command::Assign(a) => {
                let who = match a {
                    Assignee::Me => Some(staff),
                    Assignee::Handle(h) => rules.staff_by(h),
                };
                match who {
                    Some(s) => p.assign = Some(s.clone()),
                    None => {
                        let handle = command.value().unwrap_or_default();
                        let suggestion = commands::suggest(
                            &handle,
                            rules.staff.iter().map(|s| s.handle.as_str()),
                        )
                        .map(str::to_string);
                        errors.push(PlanError::UnknownStaff {
                            raw,
                            handle,
                            suggestion,
                        });
                    }
                }
            }
            Command::Escalate(target) => {
                let to = match target {
                    Some(g) => match cat.group(g) {
                        Some(g) => Some(g.clone()),
                        None => {
                            let suggestion =
                                commands::suggest(g, cat.groups.iter().map(|g| g.key.as_str()))
                                    .map(str::to_string);
                            errors.push(PlanError::UnknownGroup {
                                raw: raw.clone(),
                                group: g.clone(),
                                suggestion,
                            });
                            None
                        }
                    },
                    None => {
                        let next = next_level(cat, t.category, &current_group);
                        if next.is_none() {
                            errors.push(PlanError::NoHigherLevel {
                                raw: raw.clone(),
                                id,
                                group: current_group.key.clone(),
                                level: current_group.level,
                            });
                        }
                        next
                    }
                };
                match to {
                    Some(to) if to.key == current_group.key => {
                        errors.push(PlanError::AlreadyWith {
                            raw,
                            id,
                            group: to.key,
                        });
                    }
                    Some(to)
                        if to.level <= current_group.level
                            && !staff.role.satisfies(rules.move_requires) =>
                    {
                        errors.push(PlanError::MoveNeedsRole {
                            raw,
                            role: rules.move_requires,
                            from: current_group.clone(),
                            to,
                        });
                    }
                    Some(to) => p.escalate = Some((current_group.clone(), to)),
                    None => {}
                }
            }
            Command::Priority(n) => {
                if cat.priority.level(*n).is_some() {
                    p.priority = Some(*n);
                } else {
                    errors.push(PlanError::NotAPriority {
                        raw,
                        value: *n,
                        levels: cat.priority.levels.iter().map(|l| l.value).collect(),
                    });
                }
            }
            Command::Urgency(l) | Command::Impact(l) => {
                let (scale, slot) = if matches!(command, Command::Urgency(_)) {
                    (&cat.priority.urgency, &mut p.urgency)
                } else {
                    (&cat.priority.impact, &mut p.impact)
                };
                if scale.iter().any(|s| s == l.as_str()) {
                    *slot = Some(l.as_str().to_string());
                } else {
                    errors.push(PlanError::NotOnScale {
                        raw,
                        value: l.as_str().to_string(),
                        scale: scale.clone(),
                    });
                }
            }
            Command::Category(k) => match cat.category(k) {
                Some(category) => {
                    let ticket_type = explicit_type
                        .clone()
                        .unwrap_or_else(|| category.ticket_type.as_str().to_string());
                    p.recategorise = Some(Recategorise {
                        category: k.clone(),
                        ticket_type,
                    });
                }
                None => {
                    let suggestion =
                        commands::suggest(k, cat.categories.iter().map(|c| c.key.as_str()))
                            .map(str::to_string);
                    errors.push(PlanError::UnknownCategory {
                        raw,
                        category: k.clone(),
                        suggestion,
                    });
                }
            },
            Command::Type(ty) => {
                if p.recategorise.is_none() {
                    let category = t
                        .category
                        .map(str::to_string)
                        .unwrap_or_else(|| cat.default_category().key.clone());
                    p.recategorise = Some(Recategorise {
                        category,
                        ticket_type: ty.as_str().to_string(),
                    });
                }
            }
            Command::Cc(a) => {
                if rules.is_own_address(a) {
                    errors.push(PlanError::DeskCannotWatch { raw });
                } else {
                    p.cc.push(a.clone());
                }
            }
            Command::Merge(n) => {
                if Some(*n) == t.id {
                    errors.push(PlanError::MergeIntoItself { raw });
                } else {
                    p.merge = Some(*n);
                }
            }
            Command::Requester(_) => {
                if let Some(id) = t.id {
                    errors.push(PlanError::RequesterOnTicket {
                        raw,
                        id,
                        desk: rules.desk_address.clone(),
                    });
                }
            }
            Command::Lang(l) => p.language = Some(*l),
            Command::Internal => p.internal = true,
            Command::Help => p.help = true,
            Command::Show => {
                if t.id.is_some() {
                    p.show = true;
                } else {
                    errors.push(PlanError::ShowWithoutTicket { raw });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// The group one level up: the category's own group when it is above the
/// current one, else the first group of the next level.
pub fn next_level(cat: &Catalogue, category: Option<&str>, current: &Group) -> Option<Group> {
    let home = category
        .and_then(|k| cat.category(k))
        .and_then(|c| cat.group(&c.group))
        .filter(|g| g.level > current.level);
    let next = cat
        .groups
        .iter()
        .filter(|g| g.level > current.level)
        .map(|g| g.level)
        .min();
    home.or_else(|| cat.groups.iter().find(|g| Some(g.level) == next))
        .cloned()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
