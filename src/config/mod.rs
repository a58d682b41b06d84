//! The configuration file: serde structs, then validation into typed settings.
//!
//! One TOML file (default `config/posko.toml`). Unknown keys are errors, so a
//! typo never silently falls back to a default. Secrets never live in the file:
//! `password_env` names the environment variable that holds them. Every error
//! names the file, the key and the reason, because the admin reading it has
//! only the error to go on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::budget::Budget;
use crate::calendar::{Calendar, RawCalendar};
use crate::catalogue::{
    Catalogue, Category, DEFAULT_CATEGORY, Group, Level, Names, PriorityScheme, TicketType,
};
use crate::domain::EmailAddress;
use crate::escalation::{self, Recipient};
use crate::rules::{self, Condition, Field, Match, Rule, Set};
use crate::sla::{RawClocks, RawEscalation, RawSlaTable, SlaPolicy};

/// Where the configuration is read from when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/posko.toml";

/// A configuration problem: which file, which key, and why.
pub use posko_core::domain::FieldError as ConfigError;
pub use posko_core::domain::{Language, Role, Staff, parse_duration, parse_size};
pub use posko_core::participants::NonParticipant;
pub use posko_core::staff_auth::{Auth, AuthMode, DEFAULT_TOKEN_LIFETIME};

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
    pub escalation: escalation::Policy,
    /// Who may command by mail, with what proof, and what needs a manager.
    pub auth: Auth,
}

/// Headers a sender writes: never where a delivery says it went.
const SENDER_HEADERS: [&str; 9] = [
    "to",
    "cc",
    "bcc",
    "from",
    "sender",
    "reply-to",
    "subject",
    "resent-to",
    "resent-cc",
];

#[derive(Debug, Clone)]
pub struct Desk {
    pub name: String,
    pub address: EmailAddress,
    /// Further addresses that deliver into the same mailbox (e.g. security@).
    pub aliases: Vec<EmailAddress>,
    pub tag: String,
    pub language: Language,
    pub timezone: chrono_tz::Tz,
    /// A reply to a closed ticket within this window reopens it.
    pub reopen_window: Duration,
    /// At most this many acknowledgments to one sender within `ack_window`.
    pub ack_limit: u32,
    pub ack_window: Duration,
    /// At most this many acknowledgments from the whole desk within
    /// `ack_window`: forged senders cannot turn the desk into a mailer.
    pub ack_limit_total: u32,
    /// When not empty, only senders at these domains (or their subdomains)
    /// are acknowledged; mail from elsewhere still becomes a ticket.
    pub requester_domains: Vec<String>,
    /// What becomes of a reply to a ticket from someone who does not take
    /// part in it.
    pub non_participant: NonParticipant,
    /// A directory whose templates override the built-in ones.
    pub templates: Option<PathBuf>,
}

impl posko_core::staff_auth::OwnAddress for Desk {
    fn is_own_address(&self, addr: &EmailAddress) -> bool {
        Desk::is_own_address(self, addr)
    }
}

impl<'a> From<&'a Desk> for posko_core::ack_policy::AckLimits<'a> {
    fn from(desk: &'a Desk) -> Self {
        posko_core::ack_policy::AckLimits {
            limit: desk.ack_limit,
            limit_total: desk.ack_limit_total,
            window: desk.ack_window,
            requester_domains: &desk.requester_domains,
        }
    }
}

impl Desk {
    /// True when `addr` is the desk's own address or one of its aliases.
    pub fn is_own_address(&self, addr: &EmailAddress) -> bool {
        addr.base() == self.address.base() || self.aliases.iter().any(|a| a.base() == addr.base())
    }

    /// The domain used for the Message-IDs we make.
    pub fn domain(&self) -> &str {
        self.address.domain()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// No TLS at all: only allowed on loopback addresses.
    None,
}

#[derive(Debug, Clone)]
pub struct TlsClient {
    /// Extra CA certificate (PEM) to trust, e.g. a private CA.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum Inbound {
    Maildir {
        path: PathBuf,
        max_message_size: u64,
        poll_interval: Duration,
    },
    Imap(ImapSettings),
}

impl Inbound {
    pub fn max_message_size(&self) -> u64 {
        match self {
            Inbound::Maildir {
                max_message_size, ..
            } => *max_message_size,
            Inbound::Imap(s) => s.max_message_size,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsClient,
    pub username: String,
    pub password_env: String,
    pub mailbox: String,
    /// Where processed mail is moved; when absent it is flagged \Seen in place.
    pub processed_mailbox: Option<String>,
    pub idle: bool,
    pub poll_interval: Duration,
    pub timeout: Duration,
    pub max_message_size: u64,
}

#[derive(Debug, Clone)]
pub enum Outbound {
    File { path: PathBuf },
    Smtp(SmtpSettings),
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub tls: TlsClient,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub timeout: Duration,
}

/// Retry policy of the outbox, shared by both transports.
#[derive(Debug, Clone)]
pub struct OutboxPolicy {
    pub max_attempts: u32,
    pub poll_interval: Duration,
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

// ---------------------------------------------------------------------------
// The file format. Every struct denies unknown fields.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    desk: RawDesk,
    database: RawDatabase,
    inbound: RawInbound,
    outbound: RawOutbound,
    #[serde(default)]
    staff: Vec<RawStaff>,
    #[serde(default)]
    log: RawLog,
    #[serde(default, rename = "group")]
    groups: Vec<RawGroup>,
    #[serde(default, rename = "category")]
    categories: Vec<RawCategory>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
    priority: Option<RawPriority>,
    #[serde(default)]
    calendar: RawCalendar,
    #[serde(default)]
    sla: RawSlaTable,
    #[serde(default)]
    clocks: RawClocks,
    #[serde(default)]
    escalation: RawEscalation,
    auth: Option<RawAuth>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    mode: Option<String>,
    secret_env: Option<String>,
    token_lifetime: Option<String>,
    recipient_header: Option<String>,
    authserv_id: Option<String>,
    close_requires: Option<String>,
    move_requires: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    key: String,
    name: String,
    level: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    id: String,
    en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    key: String,
    name: RawNames,
    #[serde(rename = "type")]
    ticket_type: String,
    group: String,
    urgency: String,
    impact: String,
    response: Option<String>,
    resolution: Option<String>,
    /// The category of tickets no rule classifies (else the one keyed `other`).
    #[serde(default)]
    default: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    text: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    header: BTreeMap<String, String>,
    attachment: Option<String>,
    #[serde(rename = "match")]
    mode: Option<String>,
    #[serde(default)]
    set: RawSet,
    #[serde(default)]
    notify: Vec<String>,
    #[serde(default)]
    stop: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    category: Option<String>,
    urgency: Option<String>,
    impact: Option<String>,
    group: Option<String>,
    assignee: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    major: Option<bool>,
    ignore: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    urgency: Option<Vec<String>>,
    impact: Option<Vec<String>>,
    levels: Vec<RawLevel>,
    /// urgency → impact → level.
    matrix: BTreeMap<String, BTreeMap<String, u8>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    value: u8,
    name: RawNames,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesk {
    name: String,
    address: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default = "default_tag")]
    tag: String,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default = "default_timezone")]
    timezone: String,
    /// e.g. "14d"
    #[serde(default = "default_reopen_window")]
    reopen_window: String,
    #[serde(default = "default_ack_limit")]
    ack_limit: u32,
    #[serde(default = "default_ack_window")]
    ack_window: String,
    /// Default: 100, or ack_limit when that is higher.
    ack_limit_total: Option<u32>,
    #[serde(default)]
    requester_domains: Vec<String>,
    #[serde(default = "default_non_participant")]
    non_participant: String,
    templates: Option<PathBuf>,
}

fn default_tag() -> String {
    "Helpdesk".into()
}
fn default_language() -> String {
    "id".into()
}
fn default_timezone() -> String {
    "Asia/Jakarta".into()
}
fn default_reopen_window() -> String {
    "14d".into()
}
fn default_ack_limit() -> u32 {
    5
}
fn default_ack_window() -> String {
    "10m".into()
}
/// The desk-wide acknowledgment cap when the file sets none (see
/// [`Desk::ack_limit_total`]).
const DEFAULT_ACK_LIMIT_TOTAL: u32 = 100;
fn default_non_participant() -> String {
    "note".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
    busy_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInbound {
    kind: String,
    path: Option<PathBuf>,
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    password_env: Option<String>,
    mailbox: Option<String>,
    processed_mailbox: Option<String>,
    idle: Option<bool>,
    poll_interval: Option<String>,
    timeout: Option<String>,
    max_message_size: Option<String>,
    max_processing_time: Option<String>,
    max_message_memory: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbound {
    kind: String,
    path: Option<PathBuf>,
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    password_env: Option<String>,
    timeout: Option<String>,
    max_attempts: Option<u32>,
    poll_interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

// ---------------------------------------------------------------------------
// Loading and validation.

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        key: "-".into(),
        reason: format!("cannot read the file: {e}"),
    })?;
    parse(&text, path)
}

/// Parses and validates configuration text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&file, text, e))?;
    let v = Validator { file: &file };
    v.config(raw, path)
}

/// Turns a toml/serde error into file + key + reason, with the line number.
fn toml_error(file: &str, text: &str, e: toml::de::Error) -> ConfigError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
    let message = e.message().trim().to_string();
    // serde names the key in messages such as "unknown field `x`" and
    // "missing field `y`"; the span tells us where in the file.
    let key = message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| "-".into());
    ConfigError {
        file: match line {
            Some(l) => format!("{file}:{l}"),
            None => file.to_string(),
        },
        key,
        reason: message,
    }
}

struct Validator<'a> {
    file: &'a str,
}

impl Validator<'_> {
    fn err(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    fn address(&self, key: &str, value: &str) -> Result<EmailAddress, ConfigError> {
        EmailAddress::parse(value)
            .ok_or_else(|| self.err(key, format!("{value:?} is not an e-mail address")))
    }

    fn duration(&self, key: &str, value: &str) -> Result<Duration, ConfigError> {
        parse_duration(value).map_err(|why| self.err(key, why))
    }

    fn size(&self, key: &str, value: &str) -> Result<u64, ConfigError> {
        parse_size(value).map_err(|why| self.err(key, why))
    }

    fn security(&self, key: &str, value: Option<&str>) -> Result<Security, ConfigError> {
        match value.unwrap_or("tls") {
            "tls" => Ok(Security::Tls),
            "starttls" => Ok(Security::StartTls),
            "none" => Ok(Security::None),
            other => Err(self.err(
                key,
                format!("{other:?} is not one of \"tls\", \"starttls\", \"none\""),
            )),
        }
    }

    /// Plain-text connections carry passwords in the clear: allowed only on loopback.
    fn check_plain_host(
        &self,
        key: &str,
        security: Security,
        host: &str,
    ) -> Result<(), ConfigError> {
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false);
        if security == Security::None && !loopback {
            return Err(self.err(
                key,
                format!("security = \"none\" is only allowed for a loopback host, not {host:?}: use \"tls\" or \"starttls\""),
            ));
        }
        Ok(())
    }

    fn config(&self, raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        let desk = self.desk(raw.desk)?;
        let url = raw.database.url.trim().to_string();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(self.err(
                "database.url",
                format!("{url:?} is neither sqlite:… nor postgres://…"),
            ));
        }
        let busy_timeout = match &raw.database.busy_timeout {
            Some(v) => self.duration("database.busy_timeout", v)?,
            None => Duration::from_secs(10),
        };
        let message_budget = self.message_budget(&raw.inbound)?;
        let inbound = self.inbound(raw.inbound)?;
        let (outbound, policy) = self.outbound(raw.outbound)?;
        let staff = self.staff(raw.staff)?;
        let priority = match raw.priority {
            Some(p) => self.priority(p)?,
            None => PriorityScheme::sop_default(),
        };
        let catalogue = self.catalogue(raw.groups, raw.categories, priority, &staff)?;
        let rules = self.rules(raw.rules, &catalogue, &staff)?;
        let calendar = raw.calendar.validate(self.file, desk.timezone)?;
        let sla = self.sla(raw.sla, &raw.clocks, &catalogue)?;
        let escalation = self.escalation(raw.escalation, &catalogue, &staff)?;
        let auth = self.auth(raw.auth.unwrap_or_default())?;
        let log = LogSettings {
            json: match raw.log.format.as_deref().unwrap_or("text") {
                "text" => false,
                "json" => true,
                other => {
                    return Err(self.err(
                        "log.format",
                        format!("{other:?} is not \"text\" or \"json\""),
                    ));
                }
            },
            level: raw.log.level.unwrap_or_else(|| "info".into()),
        };
        Ok(Config {
            source: path.to_path_buf(),
            desk,
            database_url: url,
            database_busy_timeout: busy_timeout,
            inbound,
            message_budget,
            outbound,
            staff,
            log,
            outbox: policy,
            catalogue,
            rules,
            calendar,
            sla,
            escalation,
            auth,
        })
    }

    fn role(&self, key: &str, v: Option<&str>) -> Result<Role, ConfigError> {
        match v.unwrap_or("manager") {
            "agent" => Ok(Role::Agent),
            "manager" => Ok(Role::Manager),
            other => Err(self.err(key, format!("{other:?} is not \"agent\" or \"manager\""))),
        }
    }

    fn auth(&self, a: RawAuth) -> Result<Auth, ConfigError> {
        let mode = match a.mode.as_deref().unwrap_or("token") {
            "token" => AuthMode::Token,
            "dkim" => AuthMode::Dkim,
            "both" => AuthMode::Both,
            other => {
                return Err(self.err(
                    "auth.mode",
                    format!("{other:?} is not \"token\", \"dkim\" or \"both\""),
                ));
            }
        };
        let authserv_id = a.authserv_id.map(|s| s.trim().to_string());
        if mode != AuthMode::Token && authserv_id.as_deref().is_none_or(str::is_empty) {
            return Err(self.err(
                "auth.authserv_id",
                format!(
                    "required when mode = {:?}: the authserv-id your mail server writes in Authentication-Results",
                    mode.as_str()
                ),
            ));
        }
        if let Some(e) = &a.secret_env
            && (e.is_empty() || e.contains(['=', '\0']))
        {
            return Err(self.err("auth.secret_env", format!("{e:?} is not a variable name")));
        }
        let token_lifetime = match &a.token_lifetime {
            Some(v) => self.duration("auth.token_lifetime", v)?,
            None => DEFAULT_TOKEN_LIFETIME,
        };
        if token_lifetime < Duration::from_secs(60) {
            return Err(self.err(
                "auth.token_lifetime",
                "must be at least a minute (tokens count in minutes); the default is \"60d\"",
            ));
        }
        let recipient_header = a.recipient_header.map(|h| h.trim().to_string());
        if let Some(h) = &recipient_header {
            let valid = !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid || SENDER_HEADERS.contains(&h.to_ascii_lowercase().as_str()) {
                return Err(self.err(
                    "auth.recipient_header",
                    format!(
                        "{h:?} is not a header your mail server adds on delivery: name one such as \
                         \"Delivered-To\" or \"X-Original-To\", or leave it out to read To and Cc"
                    ),
                ));
            }
        }
        Ok(Auth {
            mode,
            secret_env: a.secret_env,
            token_lifetime,
            recipient_header,
            authserv_id,
            close_requires: self.role("auth.close_requires", a.close_requires.as_deref())?,
            move_requires: self.role("auth.move_requires", a.move_requires.as_deref())?,
        })
    }

    /// `[[sla]]` and `[clocks]`, with the catalogue's per-category targets.
    fn sla(
        &self,
        raw: RawSlaTable,
        clocks: &RawClocks,
        catalogue: &Catalogue,
    ) -> Result<SlaPolicy, ConfigError> {
        let policy = raw.validate(self.file, clocks)?;
        let mut overrides = Vec::new();
        for (i, c) in catalogue.categories.iter().enumerate() {
            let target = |k: &str, v: &Option<String>| {
                v.as_deref()
                    .map(crate::sla::parse_target)
                    .transpose()
                    .map_err(|r| self.err(&format!("category[{i}] {:?}.{k}", c.key), r))
            };
            overrides.push((
                c.key.clone(),
                target("response", &c.response)?,
                target("resolution", &c.resolution)?,
            ));
        }
        Ok(policy.with_catalogue_targets(overrides))
    }

    /// `[escalation]`: thresholds, the chain (entries must name configured
    /// staff and groups), the step interval and the scan interval.
    fn escalation(
        &self,
        mut raw: RawEscalation,
        catalogue: &Catalogue,
        staff: &[Staff],
    ) -> Result<escalation::Policy, ConfigError> {
        let defaults = escalation::Policy::default();
        let chain = match raw.chain.take() {
            None => defaults.chain,
            Some(list) => {
                let mut chain = Vec::new();
                for (i, entry) in list.iter().enumerate() {
                    let key = format!("escalation.chain[{i}]");
                    let r = Recipient::parse(entry).map_err(|why| self.err(&key, why))?;
                    match &r {
                        Recipient::Staff(h) if !staff.iter().any(|s| &s.handle == h) => {
                            return Err(self.err(
                                &key,
                                format!("{h:?} is not a staff handle (nor group, assignee, managers, group:KEY, level:N or an address)"),
                            ));
                        }
                        Recipient::GroupKey(g) if catalogue.group(g).is_none() => {
                            return Err(
                                self.err(&key, format!("{g:?} is not a configured [[group]]"))
                            );
                        }
                        _ => {}
                    }
                    chain.push(r);
                }
                chain
            }
        };
        let every = match raw.every.take() {
            None => defaults.every,
            Some(f) if f.is_finite() && f > 0.0 && f <= 100.0 => f,
            Some(f) => {
                return Err(self.err(
                    "escalation.every",
                    format!("{f} is not a positive fraction of the target (e.g. 0.5)"),
                ));
            }
        };
        let scan_interval = match raw.scan_interval.take() {
            None => defaults.scan_interval,
            Some(v) => {
                let d = self.duration("escalation.scan_interval", &v)?;
                if d.is_zero() {
                    return Err(self.err("escalation.scan_interval", "must be longer than zero"));
                }
                d
            }
        };
        let warn_at = raw.validate(self.file)?.warn_at;
        Ok(escalation::Policy {
            warn_at,
            chain,
            every,
            scan_interval,
        })
    }

    fn desk(&self, d: RawDesk) -> Result<Desk, ConfigError> {
        let address = self.address("desk.address", &d.address)?;
        let aliases = d
            .aliases
            .iter()
            .map(|a| self.address("desk.aliases", a))
            .collect::<Result<Vec<_>, _>>()?;
        // Staff get `local+<token>@domain`: RFC 5321 allows 64 characters
        // before the @.
        let room = 64 - 1 - crate::staff_token::MAX_LEN;
        if address.local().len() > room || address.local().contains('+') {
            return Err(self.err(
                "desk.address",
                format!(
                    "{address}: the part before the @ must be at most {room} characters and \
                     without '+', to leave room for the staff tokens (helpdesk+<token>@…)"
                ),
            ));
        }
        if d.tag.trim().is_empty() || d.tag.contains(['[', ']', '#']) {
            return Err(self.err(
                "desk.tag",
                format!("{:?} must be non-empty and free of '[', ']' and '#'", d.tag),
            ));
        }
        let language = match d.language.as_str() {
            "id" => Language::Id,
            "en" => Language::En,
            other => {
                return Err(self.err(
                    "desk.language",
                    format!("{other:?} is not a supported language (\"id\" or \"en\")"),
                ));
            }
        };
        let timezone = d.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            self.err(
                "desk.timezone",
                format!(
                    "{:?} is not an IANA time zone such as \"Asia/Jakarta\"",
                    d.timezone
                ),
            )
        })?;
        let ack_limit_total = d
            .ack_limit_total
            .unwrap_or(DEFAULT_ACK_LIMIT_TOTAL.max(d.ack_limit));
        if ack_limit_total < d.ack_limit {
            return Err(self.err(
                "desk.ack_limit_total",
                format!(
                    "{ack_limit_total} is below desk.ack_limit ({}): the desk-wide cap must \
                     allow at least one sender's acknowledgments",
                    d.ack_limit
                ),
            ));
        }
        let requester_domains = d
            .requester_domains
            .iter()
            .map(|x| {
                let domain = x.trim().to_ascii_lowercase();
                let valid = !domain.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && domain
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
                if valid {
                    Ok(domain)
                } else {
                    Err(self.err(
                        "desk.requester_domains",
                        format!("{x:?} is not a mail domain such as \"corp.test\""),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let non_participant = match d.non_participant.as_str() {
            "note" => NonParticipant::Note,
            "new_ticket" => NonParticipant::NewTicket,
            other => {
                return Err(self.err(
                    "desk.non_participant",
                    format!("{other:?} is not \"note\" or \"new_ticket\""),
                ));
            }
        };
        Ok(Desk {
            name: d.name,
            address,
            aliases,
            tag: d.tag.trim().to_string(),
            language,
            timezone,
            reopen_window: self.duration("desk.reopen_window", &d.reopen_window)?,
            ack_limit: d.ack_limit,
            ack_window: self.duration("desk.ack_window", &d.ack_window)?,
            ack_limit_total,
            requester_domains,
            non_participant,
            templates: d.templates,
        })
    }

    /// `inbound.max_processing_time` and `inbound.max_message_memory`,
    /// checked against each other and the size limit.
    fn message_budget(&self, r: &RawInbound) -> Result<Budget, ConfigError> {
        let max_size = self.max_message_size(r)?;
        let time_key = "inbound.max_processing_time";
        let time = self.duration(time_key, r.max_processing_time.as_deref().unwrap_or("30s"))?;
        if time < Duration::from_millis(100) {
            return Err(self.err(time_key, "must be at least 100ms"));
        }
        let memory_key = "inbound.max_message_memory";
        let memory = self.size(
            memory_key,
            r.max_message_memory.as_deref().unwrap_or("512MB"),
        )?;
        let least = max_size.saturating_mul(crate::budget::DECODE_FACTOR);
        if memory < least {
            return Err(self.err(
                memory_key,
                format!(
                    "{} MB is less than {} × inbound.max_message_size ({} MB): a message of the \
                     largest size accepted could never be read; raise it or lower the size limit",
                    memory >> 20,
                    crate::budget::DECODE_FACTOR,
                    max_size >> 20
                ),
            ));
        }
        Ok(Budget { time, memory })
    }

    fn max_message_size(&self, r: &RawInbound) -> Result<u64, ConfigError> {
        self.size(
            "inbound.max_message_size",
            r.max_message_size.as_deref().unwrap_or("50MB"),
        )
    }

    fn inbound(&self, r: RawInbound) -> Result<Inbound, ConfigError> {
        let max_message_size = self.max_message_size(&r)?;
        let poll_interval = self.duration(
            "inbound.poll_interval",
            r.poll_interval.as_deref().unwrap_or("30s"),
        )?;
        match r.kind.as_str() {
            "maildir" => {
                let path = r
                    .path
                    .ok_or_else(|| self.err("inbound.path", "required when kind = \"maildir\""))?;
                Ok(Inbound::Maildir {
                    path,
                    max_message_size,
                    poll_interval,
                })
            }
            "imap" => {
                let host = r
                    .host
                    .ok_or_else(|| self.err("inbound.host", "required when kind = \"imap\""))?;
                let security = self.security("inbound.security", r.security.as_deref())?;
                self.check_plain_host("inbound.security", security, &host)?;
                let port = r.port.unwrap_or(match security {
                    Security::Tls => 993,
                    _ => 143,
                });
                let username = r
                    .username
                    .ok_or_else(|| self.err("inbound.username", "required when kind = \"imap\""))?;
                let password_env = r.password_env.ok_or_else(|| {
                    self.err(
                        "inbound.password_env",
                        "required when kind = \"imap\": the name of the environment variable holding the password",
                    )
                })?;
                Ok(Inbound::Imap(ImapSettings {
                    host,
                    port,
                    security,
                    tls: TlsClient { ca_file: r.ca_file },
                    username,
                    password_env,
                    mailbox: r.mailbox.unwrap_or_else(|| "INBOX".into()),
                    processed_mailbox: r.processed_mailbox,
                    idle: r.idle.unwrap_or(true),
                    poll_interval,
                    timeout: self
                        .duration("inbound.timeout", r.timeout.as_deref().unwrap_or("60s"))?,
                    max_message_size,
                }))
            }
            other => Err(self.err(
                "inbound.kind",
                format!("{other:?} is not \"maildir\" or \"imap\""),
            )),
        }
    }

    fn outbound(&self, r: RawOutbound) -> Result<(Outbound, OutboxPolicy), ConfigError> {
        let policy = OutboxPolicy {
            max_attempts: r.max_attempts.unwrap_or(12),
            poll_interval: self.duration(
                "outbound.poll_interval",
                r.poll_interval.as_deref().unwrap_or("5s"),
            )?,
        };
        if policy.max_attempts == 0 {
            return Err(self.err("outbound.max_attempts", "must be at least 1"));
        }
        let outbound = match r.kind.as_str() {
            "file" => Outbound::File {
                path: r
                    .path
                    .ok_or_else(|| self.err("outbound.path", "required when kind = \"file\""))?,
            },
            "smtp" => {
                let host = r
                    .host
                    .ok_or_else(|| self.err("outbound.host", "required when kind = \"smtp\""))?;
                let security = self.security("outbound.security", r.security.as_deref())?;
                self.check_plain_host("outbound.security", security, &host)?;
                let port = r.port.unwrap_or(match security {
                    Security::Tls => 465,
                    Security::StartTls => 587,
                    Security::None => 25,
                });
                if r.username.is_some() != r.password_env.is_some() {
                    return Err(self.err(
                        "outbound.password_env",
                        "username and password_env go together: set both or neither",
                    ));
                }
                Outbound::Smtp(SmtpSettings {
                    host,
                    port,
                    security,
                    tls: TlsClient { ca_file: r.ca_file },
                    username: r.username,
                    password_env: r.password_env,
                    timeout: self
                        .duration("outbound.timeout", r.timeout.as_deref().unwrap_or("60s"))?,
                })
            }
            other => {
                return Err(self.err(
                    "outbound.kind",
                    format!("{other:?} is not \"file\" or \"smtp\""),
                ));
            }
        };
        Ok((outbound, policy))
    }

    fn staff(&self, raw: Vec<RawStaff>) -> Result<Vec<Staff>, ConfigError> {
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

    fn names(n: RawNames) -> Names {
        Names { id: n.id, en: n.en }
    }

    fn scale(&self, key: &str, v: Option<Vec<String>>) -> Result<Vec<String>, ConfigError> {
        let v = v.unwrap_or_else(|| ["high", "medium", "low"].map(String::from).to_vec());
        let mut seen = HashSet::new();
        if v.is_empty() {
            return Err(self.err(key, "the scale is empty"));
        }
        for s in &v {
            if !seen.insert(s) {
                return Err(self.err(key, format!("{s:?} is listed twice")));
            }
        }
        Ok(v)
    }

    fn priority(&self, p: RawPriority) -> Result<PriorityScheme, ConfigError> {
        let urgency = self.scale("priority.urgency", p.urgency)?;
        let impact = self.scale("priority.impact", p.impact)?;
        if p.levels.is_empty() {
            return Err(self.err("priority.levels", "at least one level is needed"));
        }
        let mut levels: Vec<Level> = Vec::new();
        for (i, l) in p.levels.into_iter().enumerate() {
            if l.value == 0 || levels.iter().any(|x| x.value == l.value) {
                return Err(self.err(
                    &format!("priority.levels[{i}].value"),
                    format!(
                        "{} must be at least 1 and unique (1 is the highest)",
                        l.value
                    ),
                ));
            }
            levels.push(Level {
                value: l.value,
                name: Self::names(l.name),
            });
        }
        let mut matrix = HashMap::new();
        for (u, row) in &p.matrix {
            if !urgency.contains(u) {
                return Err(self.err(
                    &format!("priority.matrix.{u}"),
                    format!("{u:?} is not on the urgency scale {urgency:?}"),
                ));
            }
            for (i, v) in row {
                if !impact.contains(i) {
                    return Err(self.err(
                        &format!("priority.matrix.{u}.{i}"),
                        format!("{i:?} is not on the impact scale {impact:?}"),
                    ));
                }
                if !levels.iter().any(|l| l.value == *v) {
                    return Err(self.err(
                        &format!("priority.matrix.{u}.{i}"),
                        format!("{v} is not one of the priority levels"),
                    ));
                }
                matrix.insert((u.clone(), i.clone()), *v);
            }
        }
        for u in &urgency {
            for i in &impact {
                if !matrix.contains_key(&(u.clone(), i.clone())) {
                    return Err(self.err(
                        &format!("priority.matrix.{u}.{i}"),
                        format!(
                            "the matrix has a hole: no priority for urgency {u:?} and impact {i:?}"
                        ),
                    ));
                }
            }
        }
        Ok(PriorityScheme {
            urgency,
            impact,
            levels,
            matrix,
        })
    }

    fn catalogue(
        &self,
        raw_groups: Vec<RawGroup>,
        raw_categories: Vec<RawCategory>,
        priority: PriorityScheme,
        staff: &[Staff],
    ) -> Result<Catalogue, ConfigError> {
        if raw_groups.is_empty() && raw_categories.is_empty() {
            return Ok(Catalogue::minimal(priority));
        }
        let mut groups: Vec<Group> = Vec::new();
        for (i, g) in raw_groups.into_iter().enumerate() {
            let key = format!("group[{i}]");
            if g.key.trim().is_empty() || groups.iter().any(|x| x.key == g.key) {
                return Err(self.err(
                    &format!("{key}.key"),
                    format!("{:?} is empty or used twice", g.key),
                ));
            }
            if !(1..=3).contains(&g.level) {
                return Err(self.err(
                    &format!("{key}.level"),
                    format!("{} is not 1, 2 or 3", g.level),
                ));
            }
            groups.push(Group {
                key: g.key,
                name: g.name,
                level: g.level,
            });
        }
        for (i, s) in staff.iter().enumerate() {
            for g in &s.groups {
                if !groups.iter().any(|x| &x.key == g) {
                    return Err(self.err(
                        &format!("staff[{i}].groups"),
                        format!("{g:?} is not a configured [[group]]"),
                    ));
                }
            }
        }
        let mut categories: Vec<Category> = Vec::new();
        let mut default = None;
        for (i, c) in raw_categories.into_iter().enumerate() {
            let key = |k: &str| format!("category[{i}] {:?}.{k}", c.key);
            if c.key.trim().is_empty() || categories.iter().any(|x| x.key == c.key) {
                return Err(self.err(&key("key"), "empty or used twice"));
            }
            let ticket_type = TicketType::parse(&c.ticket_type).ok_or_else(|| {
                self.err(
                    &key("type"),
                    format!(
                        "{:?} is not incident, request, access, change or security",
                        c.ticket_type
                    ),
                )
            })?;
            if !groups.iter().any(|g| g.key == c.group) {
                return Err(self.err(
                    &key("group"),
                    format!("{:?} is not a configured [[group]]", c.group),
                ));
            }
            self.on_scale(&key("urgency"), &c.urgency, &priority.urgency)?;
            self.on_scale(&key("impact"), &c.impact, &priority.impact)?;
            for (k, v) in [("response", &c.response), ("resolution", &c.resolution)] {
                if let Some(v) = v {
                    crate::sla::parse_target(v).map_err(|why| self.err(&key(k), why))?;
                }
            }
            if c.default {
                if default.is_some() {
                    return Err(self.err(&key("default"), "only one category can be the default"));
                }
                default = Some(categories.len());
            }
            categories.push(Category {
                key: c.key,
                name: Self::names(c.name),
                ticket_type,
                group: c.group,
                urgency: c.urgency,
                impact: c.impact,
                response: c.response,
                resolution: c.resolution,
            });
        }
        let default_category = default
            .or_else(|| categories.iter().position(|c| c.key == DEFAULT_CATEGORY))
            .ok_or_else(|| {
                self.err(
                    "category",
                    format!(
                        "no default category: add one keyed {DEFAULT_CATEGORY:?} or mark one default = true"
                    ),
                )
            })?;
        Ok(Catalogue {
            groups,
            categories,
            default_category,
            priority,
        })
    }

    fn on_scale(&self, key: &str, v: &str, scale: &[String]) -> Result<(), ConfigError> {
        if scale.iter().any(|s| s == v) {
            Ok(())
        } else {
            Err(self.err(key, format!("{v:?} is not one of {scale:?}")))
        }
    }

    fn rules(
        &self,
        raw: Vec<RawRule>,
        cat: &Catalogue,
        staff: &[Staff],
    ) -> Result<Vec<Rule>, ConfigError> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, r) in raw.into_iter().enumerate() {
            let name = r.name.clone().unwrap_or_else(|| format!("rule {}", i + 1));
            let key = |k: &str| format!("rule[{i}] {name:?}.{k}");
            let mut fields: Vec<(Field, String)> = Vec::new();
            for (field, v) in [
                (Field::Subject, r.subject),
                (Field::Body, r.body),
                (Field::Text, r.text),
                (Field::From, r.from),
                (Field::To, r.to),
                (Field::Attachment, r.attachment),
            ] {
                if let Some(v) = v {
                    fields.push((field, v));
                }
            }
            for (h, v) in r.header {
                fields.push((Field::Header(h), v));
            }
            let mut conditions = Vec::with_capacity(fields.len());
            for (field, pattern) in fields {
                let regex = rules::compile(&pattern).map_err(|e| {
                    self.err(
                        &key(&field.label()),
                        format!("invalid regex {pattern:?}: {e}"),
                    )
                })?;
                conditions.push(Condition { field, regex });
            }
            if conditions.is_empty() {
                return Err(self.err(
                    &key("subject"),
                    "the rule has no condition (subject, body, text, from, to, header, attachment)",
                ));
            }
            let mode = match r.mode.as_deref().unwrap_or("all") {
                "all" => Match::All,
                "any" => Match::Any,
                other => {
                    return Err(self.err(
                        &key("match"),
                        format!("{other:?} is not \"all\" or \"any\""),
                    ));
                }
            };
            let s = r.set;
            let ticket_type = match s.ticket_type {
                Some(t) => Some(TicketType::parse(&t).ok_or_else(|| {
                    self.err(
                        &key("set.type"),
                        format!("{t:?} is not incident, request, access, change or security"),
                    )
                })?),
                None => None,
            };
            if let Some(c) = &s.category
                && cat.category(c).is_none()
            {
                return Err(self.err(
                    &key("set.category"),
                    format!("unknown category {c:?}: it is not in the [[category]] catalogue"),
                ));
            }
            if let Some(g) = &s.group
                && cat.group(g).is_none()
            {
                return Err(self.err(
                    &key("set.group"),
                    format!("unknown group {g:?}: it is not a configured [[group]]"),
                ));
            }
            if let Some(a) = &s.assignee
                && !staff.iter().any(|st| &st.handle == a)
            {
                return Err(self.err(
                    &key("set.assignee"),
                    format!("unknown assignee {a:?}: no [[staff]] has that handle"),
                ));
            }
            if let Some(u) = &s.urgency {
                self.on_scale(&key("set.urgency"), u, &cat.priority.urgency)?;
            }
            if let Some(v) = &s.impact {
                self.on_scale(&key("set.impact"), v, &cat.priority.impact)?;
            }
            let notify = r
                .notify
                .iter()
                .map(|a| self.address(&key("notify"), a))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Rule {
                name,
                conditions,
                mode,
                set: Set {
                    ticket_type,
                    category: s.category,
                    urgency: s.urgency,
                    impact: s.impact,
                    group: s.group,
                    assignee: s.assignee,
                    tags: s.tags,
                    major: s.major,
                    ignore: s.ignore,
                },
                notify,
                stop: r.stop,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
[database]
url = "sqlite://var/posko.db"
[inbound]
kind = "maildir"
path = "var/mail"
[outbound]
kind = "file"
path = "var/outbox"
"#;

    #[test]
    fn message_budget_defaults_and_checks() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.message_budget.time, Duration::from_secs(30));
        assert_eq!(c.message_budget.memory, 512 << 20);
        let with = |extra: &str| {
            let text = MINIMAL.replace(
                "path = \"var/mail\"\n",
                &format!("path = \"var/mail\"\n{extra}\n"),
            );
            parse(&text, Path::new("x.toml"))
        };
        let c = with("max_processing_time = \"2s\"\nmax_message_memory = \"1GB\"").unwrap();
        assert_eq!(c.message_budget.time, Duration::from_secs(2));
        assert_eq!(c.message_budget.memory, 1 << 30);
        let e = with("max_processing_time = \"10ms\"").unwrap_err();
        assert_eq!(e.key, "inbound.max_processing_time");
        let e = with("max_message_memory = \"100MB\"").unwrap_err();
        assert_eq!(e.key, "inbound.max_message_memory");
        assert!(
            e.reason.contains("3 × inbound.max_message_size (50 MB)"),
            "{}",
            e.reason
        );
        assert!(with("max_message_size = \"10MB\"\nmax_message_memory = \"30MB\"").is_ok());
        let e = with("max_message_memory = \"lots\"").unwrap_err();
        assert_eq!(e.key, "inbound.max_message_memory");
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.desk.tag, "Helpdesk");
        assert_eq!(c.desk.language, Language::Id);
        assert_eq!(c.desk.reopen_window, Duration::from_secs(14 * 86400));
    }

    /// A per-sender limit above the default cap raises the cap with it.
    fn with_ack_limit_1000() -> u32 {
        let text = MINIMAL.replace("[database]", "ack_limit = 1000\n[database]");
        parse(&text, Path::new("x.toml"))
            .unwrap()
            .desk
            .ack_limit_total
    }

    #[test]
    fn acknowledgment_caps_and_non_participants() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.desk.ack_limit_total, 100);
        assert!(c.desk.requester_domains.is_empty());
        assert_eq!(c.desk.non_participant, NonParticipant::Note);
        assert_eq!(with_ack_limit_1000(), 1000);
        let with = |lines: &str| {
            parse(
                &MINIMAL.replace("[database]", &format!("{lines}\n[database]")),
                Path::new("x.toml"),
            )
        };
        let c = with(
            "ack_limit_total = 20\nrequester_domains = [\"Corp.test\", \"mitra.co.id\"]\n\
             non_participant = \"new_ticket\"",
        )
        .unwrap();
        assert_eq!(c.desk.ack_limit_total, 20);
        assert_eq!(c.desk.requester_domains, ["corp.test", "mitra.co.id"]);
        assert_eq!(c.desk.non_participant, NonParticipant::NewTicket);
        let e = with("ack_limit = 5\nack_limit_total = 4").unwrap_err();
        assert_eq!(e.key, "desk.ack_limit_total");
        assert!(e.reason.contains("below desk.ack_limit"), "{e}");
        let e = with("requester_domains = [\"@corp.test\"]").unwrap_err();
        assert_eq!(e.key, "desk.requester_domains");
        let e = with("non_participant = \"ignore\"").unwrap_err();
        assert_eq!(e.key, "desk.non_participant");
    }

    #[test]
    fn auth_defaults_to_tokens_and_dkim_needs_an_authserv_id() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.auth.mode, AuthMode::Token);
        assert_eq!(c.auth.secret_env, None);
        assert_eq!(c.auth.close_requires, Role::Manager);
        let e = parse(
            &format!("{MINIMAL}[auth]\nmode = \"dkim\"\n"),
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert_eq!(e.key, "auth.authserv_id");
        let c = parse(
            &format!(
                "{MINIMAL}[auth]\nmode = \"both\"\nauthserv_id = \"mx.corp.test\"\n\
                 close_requires = \"agent\"\nsecret_env = \"POSKO_STAFF_SECRET\"\n"
            ),
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.auth.mode, AuthMode::Both);
        assert_eq!(c.auth.close_requires, Role::Agent);
        assert_eq!(c.auth.token_lifetime, DEFAULT_TOKEN_LIFETIME);
        assert_eq!(c.auth.recipient_header, None);
        assert_eq!(c.auth.move_requires, Role::Manager);
        let e = parse(
            &format!("{MINIMAL}[auth]\nmode = \"pgp\"\n"),
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert_eq!(e.key, "auth.mode");
    }

    #[test]
    fn token_lifetime_recipient_header_and_desk_address_are_checked() {
        let with = |auth: &str| parse(&format!("{MINIMAL}[auth]\n{auth}\n"), Path::new("x.toml"));
        let c = with("token_lifetime = \"30d\"\nrecipient_header = \"Delivered-To\"").unwrap();
        assert_eq!(c.auth.token_lifetime, Duration::from_secs(30 * 86400));
        assert_eq!(c.auth.recipient_header.as_deref(), Some("Delivered-To"));
        assert_eq!(
            with("token_lifetime = \"10s\"").unwrap_err().key,
            "auth.token_lifetime"
        );
        for sender_written in ["To", "cc", "Reply-To", "", "X Bad"] {
            let e = with(&format!("recipient_header = {sender_written:?}")).unwrap_err();
            assert_eq!(e.key, "auth.recipient_header", "{sender_written}");
        }
        let long = MINIMAL.replace(
            "helpdesk@corp.test",
            "it-servicedesk-kantor-pusat-jakarta@corp.test",
        );
        let e = parse(&long, Path::new("x.toml")).unwrap_err();
        assert_eq!(e.key, "desk.address");
        assert!(e.reason.contains("at most 25"), "{e}");
    }

    #[test]
    fn unknown_key_is_named_with_line() {
        let text = MINIMAL.replace("[inbound]", "[inbound]\nhots = \"x\"");
        let e = parse(&text, Path::new("x.toml")).unwrap_err();
        assert_eq!(e.key, "hots");
        assert!(e.file.starts_with("x.toml:"), "{e}");
    }

    #[test]
    fn imap_without_host_is_refused() {
        let text = MINIMAL.replace("kind = \"maildir\"", "kind = \"imap\"");
        let e = parse(&text, Path::new("x.toml")).unwrap_err();
        assert_eq!(e.key, "inbound.host");
    }

    #[test]
    fn plain_text_to_remote_host_is_refused() {
        let text = MINIMAL.replace(
            "kind = \"maildir\"\npath = \"var/mail\"",
            "kind = \"imap\"\nhost = \"mail.example.com\"\nsecurity = \"none\"\nusername = \"u\"\npassword_env = \"P\"",
        );
        let e = parse(&text, Path::new("x.toml")).unwrap_err();
        assert_eq!(e.key, "inbound.security");
    }

    #[test]
    fn without_a_catalogue_every_ticket_is_other_at_the_service_desk() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.catalogue.default_category().key, "other");
        assert!(c.rules.is_empty());
        assert_eq!(c.catalogue.priority.priority("medium", "medium"), Some(2));
    }

    const CATALOGUE: &str = r#"
[[group]]
key = "servicedesk"
name = "Service Desk"
level = 1
[[group]]
key = "network"
name = "Network"
level = 2
[[category]]
key = "other"
name = { id = "Lainnya", en = "Other" }
type = "incident"
group = "servicedesk"
urgency = "medium"
impact = "medium"
[[category]]
key = "network.internet-down"
name = { id = "Internet mati", en = "Internet down" }
type = "incident"
group = "network"
urgency = "high"
impact = "medium"
"#;

    fn with(extra: &str) -> Result<Config, ConfigError> {
        parse(&format!("{MINIMAL}{CATALOGUE}{extra}"), Path::new("c.toml"))
    }

    #[test]
    fn a_rule_is_compiled_and_checked() {
        let c = with(
            r#"
[[rule]]
name = "internet down"
subject = '(internet|wifi|jaringan).*(mati|down|putus)'
header = { "X-Priority" = "1" }
match = "any"
set = { category = "network.internet-down", urgency = "high", tags = ["net"] }
notify = ["head@corp.test"]
stop = true
"#,
        )
        .unwrap();
        let r = &c.rules[0];
        assert_eq!(r.name, "internet down");
        assert_eq!(r.conditions.len(), 2);
        assert_eq!(r.mode, Match::Any);
        assert!(r.stop);
        assert!(r.conditions[0].regex.is_match("INTERNET MATI"));
    }

    #[test]
    fn invalid_regex_names_file_rule_and_reason() {
        let e = with(
            "[[rule]]
name = \"bad\"
subject = '(internet'
set = { urgency = \"high\" }
",
        )
        .unwrap_err();
        assert_eq!(e.file, "c.toml");
        assert_eq!(e.key, "rule[0] \"bad\".subject");
        assert!(e.reason.contains("invalid regex"), "{e}");
    }

    #[test]
    fn unknown_category_group_or_assignee_in_a_rule() {
        let e = with(
            "[[rule]]
name = \"x\"
subject = 'a'
set = { category = \"nope\" }
",
        )
        .unwrap_err();
        assert_eq!(e.key, "rule[0] \"x\".set.category");
        assert!(e.reason.contains("unknown category \"nope\""), "{e}");
        let e = with(
            "[[rule]]
subject = 'a'
set = { group = \"nope\" }
",
        )
        .unwrap_err();
        assert_eq!(e.key, "rule[0] \"rule 1\".set.group");
        let e = with(
            "[[rule]]
subject = 'a'
set = { assignee = \"nobody\" }
",
        )
        .unwrap_err();
        assert!(e.key.ends_with("set.assignee"), "{e}");
        let e = with(
            "[[rule]]
subject = 'a'
set = { urgency = \"urgent\" }
",
        )
        .unwrap_err();
        assert!(e.key.ends_with("set.urgency"), "{e}");
        let e = with(
            "[[rule]]
name = \"empty\"
set = { urgency = \"high\" }
",
        )
        .unwrap_err();
        assert!(e.reason.contains("no condition"), "{e}");
    }

    #[test]
    fn category_with_unknown_group() {
        let text = format!("{MINIMAL}{CATALOGUE}")
            .replace("group = \"network\"\nurgency", "group = \"nets\"\nurgency");
        let e = parse(&text, Path::new("c.toml")).unwrap_err();
        assert!(e.key.ends_with(".group"), "{e}");
        assert!(e.reason.contains("\"nets\""), "{e}");
    }

    const FOUR_LEVELS: &str = r#"
[priority]
urgency = ["high", "medium", "low"]
impact = ["high", "medium", "low"]
levels = [
  { value = 1, name = { id = "Mendesak", en = "Urgent" } },
  { value = 2, name = { id = "Tinggi", en = "High" } },
  { value = 3, name = { id = "Sedang", en = "Medium" } },
  { value = 4, name = { id = "Rendah", en = "Low" } },
]
[priority.matrix]
high   = { high = 1, medium = 2, low = 3 }
medium = { high = 2, medium = 3, low = 4 }
low    = { high = 3, medium = 4, low = 4 }
"#;

    #[test]
    fn a_four_level_matrix_is_expressible() {
        let c = with(FOUR_LEVELS).unwrap();
        let p = &c.catalogue.priority;
        assert_eq!(p.priority("high", "high"), Some(1));
        assert_eq!(p.priority("low", "low"), Some(4));
        assert_eq!(p.describe(1, Language::En), "1 (Urgent)");
    }

    #[test]
    fn a_matrix_with_a_hole_is_refused() {
        let text = FOUR_LEVELS.replace(
            "low    = { high = 3, medium = 4, low = 4 }",
            "low    = { high = 3, medium = 4 }",
        );
        let e = with(&text).unwrap_err();
        assert_eq!(e.key, "priority.matrix.low.low");
        assert!(e.reason.contains("hole"), "{e}");
        let text = FOUR_LEVELS.replace("low = 4 }\nlow", "low = 5 }\nlow");
        let e = with(&text).unwrap_err();
        assert!(e.reason.contains("not one of the priority levels"), "{e}");
    }

    #[test]
    fn the_shipped_config_is_valid() {
        let c = parse(
            include_str!("../config/posko.toml"),
            Path::new("config/posko.toml"),
        )
        .unwrap();
        assert!(c.rules.len() > 20);
        assert!(c.catalogue.categories.len() > 30);
        assert_eq!(c.managers().count(), 2);
        assert_eq!(c.catalogue.default_category().key, "other");
        // The city SOP's SLA table, business hours with the holiday file,
        // and the catalogue's per-category targets.
        let t = c.sla.targets(1, Some("network.internet-down")).unwrap();
        assert_eq!(
            (t.response, t.resolution, t.business_hours),
            (600, 8 * 3600, true)
        );
        let t = c.sla.targets(2, Some("request.account")).unwrap();
        assert_eq!((t.response, t.resolution), (3600, 8 * 3600));
        assert_eq!(c.sla.targets(3, None).unwrap().resolution, 48 * 3600);
        assert!(c.calendar.holidays().count() > 20);
        assert_eq!(c.escalation.chain.len(), 3);
        assert_eq!(c.escalation.warn_at, vec![0.75]);
    }

    #[test]
    fn sla_sections_are_wired_and_checked() {
        let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
        assert_eq!(c.sla, crate::sla::SlaPolicy::default());
        assert_eq!(c.escalation, escalation::Policy::default());
        let text = format!(
            "{MINIMAL}\n[[staff]]\nname = \"H\"\nemail = \"h@corp.test\"\nhandle = \"hendra\"\nlevel = 2\n\
             [calendar]\nhours = \"24x7\"\n[[sla]]\npriority = 1\nresponse = \"15m\"\nresolution = \"1x8h\"\n\
             [escalation]\nchain = [\"group\", \"hendra\", \"kabag@corp.test\"]\nevery = 1.0\nscan_interval = \"5s\""
        );
        let c = parse(&text, Path::new("x.toml")).unwrap();
        assert!(c.calendar.is_always_open());
        assert_eq!(c.sla.targets(1, None).unwrap().resolution, 8 * 3600);
        assert_eq!(c.escalation.chain[1], Recipient::Staff("hendra".into()));
        assert_eq!(c.escalation.scan_interval, Duration::from_secs(5));
        for (extra, key) in [
            ("[escalation]\nchain = [\"nobody\"]", "escalation.chain[0]"),
            (
                "[escalation]\nchain = [\"group:nope\"]",
                "escalation.chain[0]",
            ),
            ("[escalation]\nevery = 0.0", "escalation.every"),
            ("[escalation]\nwarn_at = [1.5]", "escalation.warn_at[0]"),
            (
                "[calendar]\nholidays = [\"2026-13-01\"]",
                "calendar.holidays[0]",
            ),
            (
                "[[sla]]\npriority = 1\nresponse = \"soon\"\nresolution = \"8h\"",
                "sla[0].response",
            ),
        ] {
            let e = parse(&format!("{MINIMAL}\n{extra}"), Path::new("x.toml")).unwrap_err();
            assert_eq!(e.key, key, "{extra}: {e}");
        }
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("3w").is_err());
        assert_eq!(parse_duration("400ms").unwrap(), Duration::from_millis(400));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5 minutes").is_err());
        assert_eq!(parse_size("25MB").unwrap(), 25 * 1024 * 1024);
        assert!(parse_size("lots").is_err());
    }

    fn shipped_msg(extra_headers: &str, subject: &str, body: &str) -> crate::parse::InboundMessage {
        let raw = format!(
            "From: Alice <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: {subject}\r\n\
             Message-ID: <m1@corp.test>\r\n{extra_headers}\r\n{body}\r\n"
        );
        crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
    }

    /// The shipped rules on the issue's stories and the catalogue's keywords.
    #[test]
    fn shipped_rules() {
        let cfg = parse(
            include_str!("../config/posko.toml"),
            std::path::Path::new("config/posko.toml"),
        )
        .unwrap();
        let cases: &[(&str, &str, &str, &str, u8, &str)] = &[
            // (subject, body, type, category, priority, group)
            (
                "Internet mati di lantai 3, semua user tidak bisa kerja",
                "",
                "incident",
                "network.internet-down",
                1,
                "network",
            ),
            (
                "Internet lambat di gedung B",
                "lambat sekali sejak kemarin",
                "incident",
                "network.internet-slow",
                2,
                "network",
            ),
            (
                "wifi putus terus",
                "",
                "incident",
                "network.internet-down",
                1,
                "network",
            ),
            (
                "Mohon reset password SIAKAD",
                "",
                "request",
                "request.account",
                3,
                "servicedesk",
            ),
            (
                "Forgot my password",
                "please reset it",
                "request",
                "request.account",
                3,
                "servicedesk",
            ),
            (
                "minta akses aplikasi keuangan",
                "",
                "access",
                "access.access",
                3,
                "servicedesk",
            ),
            (
                "RFC: upgrade server email",
                "",
                "change",
                "change.rfc",
                3,
                "infrastructure",
            ),
            (
                "Hati-hati email phishing",
                "ada email minta login",
                "security",
                "security.incident",
                1,
                "infrastructure",
            ),
            (
                "Password saya bocor",
                "",
                "security",
                "security.incident",
                1,
                "infrastructure",
            ),
            (
                "leaked password on pastebin",
                "",
                "security",
                "security.incident",
                1,
                "infrastructure",
            ),
            (
                "Komputer kena virus",
                "",
                "security",
                "hardware.virus",
                1,
                "infrastructure",
            ),
            (
                "Printer lantai 2 rusak",
                "",
                "incident",
                "hardware.printer",
                3,
                "infrastructure",
            ),
            (
                "Laptop saya hang terus",
                "",
                "incident",
                "hardware.laptop-hang",
                3,
                "infrastructure",
            ),
            (
                "Komputer rusak tidak bisa dipakai",
                "",
                "incident",
                "hardware.computer-broken",
                2,
                "infrastructure",
            ),
            (
                "Server email lumpuh",
                "seluruh kantor tidak bisa kirim email",
                "incident",
                "hardware.server-down",
                1,
                "infrastructure",
            ),
            (
                "Data penjualan hilang",
                "",
                "incident",
                "data.lost",
                1,
                "appdev",
            ),
            (
                "Aplikasi kepegawaian tidak bisa diakses",
                "",
                "incident",
                "app.down",
                1,
                "appdev",
            ),
            (
                "Selamat pagi",
                "Mau tanya jadwal rapat",
                "incident",
                "other",
                2,
                "servicedesk",
            ),
            (
                "[SPAM] Promo pinjaman",
                "",
                "incident",
                "other",
                2,
                "servicedesk",
            ),
        ];
        let mut failures = Vec::new();
        for (subject, body, ty, category, priority, group) in cases {
            let o =
                crate::rules::classify(&cfg.rules, &cfg.catalogue, &shipped_msg("", subject, body));
            let r = &o.result;
            let got = (
                r.ticket_type,
                r.category.as_str(),
                r.priority,
                r.group.as_str(),
            );
            if got != (*ty, *category, *priority, *group) {
                failures.push(format!("{subject:?}: got {got:?} via {:?}", o.matched));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let spam = crate::rules::classify(
            &cfg.rules,
            &cfg.catalogue,
            &shipped_msg("", "[SPAM] Promo", ""),
        );
        assert!(spam.result.ignore);
        let major = crate::rules::classify(
            &cfg.rules,
            &cfg.catalogue,
            &shipped_msg("", "Server email lumpuh", ""),
        );
        assert!(major.result.major);
        let alias = crate::rules::classify(
            &cfg.rules,
            &cfg.catalogue,
            &shipped_msg("Cc: security@corp.test\r\n", "Laporan", "ada yang aneh"),
        );
        assert!(alias.is_security());
        assert_eq!(alias.matched[0].rule, "security alias");
    }
}
