//! The configuration file: one file per section, each holding its raw
//! serde type and its checks; [`load`] reads the files and assembles the
//! sections into a [`Config`].
//!
//! One TOML file (which one: [`path`]). Unknown keys are errors, so a
//! typo never silently falls back to a default. Secrets never live in the file:
//! `password_env` names the environment variable that holds them. Every error
//! names the file, the key and the reason, because the admin reading it has
//! only the error to go on.
//!
//! The typed values the pure cores take (a [`Calendar`], a [`SlaPolicy`], a
//! [`Catalogue`], [`Staff`], [`Auth`] …) are defined by the cores in
//! posko-core; this folder only turns text into them, so the arrows point
//! from here into the cores and never back.

mod auth;
mod calendar;
mod catalogue;
mod closure;
mod database;
mod desk;
mod escalation;
mod inbound;
mod load;
mod log;
mod oauth;
mod outbound;
pub mod path;
mod rules;
mod security;
mod sla;
mod staff;
mod survey;
#[cfg(test)]
mod tests;
mod validator;
mod web;

use std::path::PathBuf;
use std::time::Duration;

use crate::budget::Budget;
use crate::calendar::Calendar;
use crate::catalogue::Catalogue;
use crate::domain::EmailAddress;
use crate::rules::Rule;
use crate::sla::SlaPolicy;

/// A configuration problem: which file, which key, and why.
pub use posko_core::domain::FieldError as ConfigError;
pub use posko_core::domain::{Language, Role, Staff, parse_duration, parse_size};
pub use posko_core::participants::NonParticipant;
pub use posko_core::staff_auth::{Auth, AuthMode, DEFAULT_TOKEN_LIFETIME};

pub use desk::Desk;
pub use inbound::{ImapSettings, Inbound};
pub use load::{load, parse};
pub use oauth::{Grant, MailAuth, OAuthSettings};
pub use outbound::{Outbound, OutboxPolicy, SmtpSettings};
pub use security::{Security, TlsClient};
pub use web::Web;

pub use path::{DEV_CONFIG_PATH, SYSTEM_CONFIG_PATH, config_path};

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from (for messages).
    pub source: PathBuf,
    pub desk: Desk,
    pub database_url: String,
    /// SQLite: how long a write waits for another writer's lock before it
    /// fails (and the mail is left for the next pass, or the MTA told to
    /// try again).
    pub database_busy_timeout: Duration,
    pub inbound: Inbound,
    /// What one message may cost (`inbound.max_processing_time`,
    /// `inbound.max_message_memory`; see [`crate::budget`]).
    pub message_budget: Budget,
    pub outbound: Outbound,
    pub outbox: OutboxPolicy,
    pub staff: Vec<Staff>,
    pub log: LogSettings,
    /// Groups, categories and the priority matrix.
    pub catalogue: Catalogue,
    /// Classification rules, in order.
    pub rules: Vec<Rule>,
    /// Business hours and holidays (`[calendar]`).
    pub calendar: Calendar,
    /// Targets per priority and category, and what pauses the clocks
    /// (`[[sla]]`, `[clocks]`, and the catalogue's per-category targets).
    pub sla: SlaPolicy,
    /// Warnings, the escalation chain and the scan (`[escalation]`).
    pub escalation: crate::sla::due::Policy,
    /// Who may command by mail, with what proof, and what needs a manager.
    pub auth: Auth,
    /// The managers' daily digest (`[digest]`).
    pub digest: crate::digest::config::Settings,
    /// The HTTP listener (`[web]`).
    pub web: Web,
    /// The satisfaction survey sent on resolution (`[survey]`).
    pub survey: crate::survey::Settings,
    /// When resolved tickets close by themselves (`[closure]`).
    pub closure: crate::survey::Closure,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub json: bool,
    pub level: String,
}

impl Config {
    /// The names and addresses a sender's display name may not borrow.
    pub fn known_names(&self) -> posko_core::display_name::Known {
        posko_core::display_name::Known::new(
            &self.desk.name,
            std::iter::once(&self.desk.address)
                .chain(&self.desk.aliases)
                .cloned()
                .collect(),
            self.staff
                .iter()
                .map(|s| (s.name.clone(), s.email.clone()))
                .collect(),
        )
    }

    /// The survey's question keys, in the order it asks them (exports,
    /// reports and `#show` list answers so).
    /// The configured `[[survey.question]]` keys; the SOP's ten by default.
    pub fn survey_question_keys(&self) -> Vec<&str> {
        self.survey
            .questions
            .iter()
            .map(|q| q.key.as_str())
            .collect()
    }

    /// The staff member with this address, if any.
    pub fn staff_by_email(&self, addr: &EmailAddress) -> Option<&Staff> {
        self.staff.iter().find(|s| s.email.base() == addr.base())
    }

    /// The service desk (level 1): told of every new ticket.
    pub fn service_desk(&self) -> impl Iterator<Item = &Staff> {
        self.staff.iter().filter(|s| s.level == 1)
    }

    /// The members of group `key`.
    pub fn group_members<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Staff> + 'a {
        self.staff
            .iter()
            .filter(move |s| s.groups.iter().any(|g| g == key))
    }

    /// Managers: told at once of security matters and major incidents.
    pub fn managers(&self) -> impl Iterator<Item = &Staff> {
        self.staff.iter().filter(|s| s.role == Role::Manager)
    }

    pub fn staff_by_handle(&self, handle: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.handle == handle)
    }
}
