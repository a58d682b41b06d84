//! Reading the configuration: the one place that touches files (the
//! configuration itself and the holiday file it names), and the assembly
//! of the checked sections into a [`Config`].

use std::path::Path;

use serde::Deserialize;

use super::auth::RawAuth;
use super::calendar::RawCalendar;
use super::catalogue::{RawCategory, RawGroup, RawPriority};
use super::closure::RawClosure;
use super::database::RawDatabase;
use super::desk::RawDesk;
use super::escalation::RawEscalation;
use super::inbound::RawInbound;
use super::log::RawLog;
use super::outbound::RawOutbound;
use super::rules::RawRule;
use super::sla::{RawClocks, RawSlaTable};
use super::staff::RawStaff;
use super::survey::RawSurvey;
use super::validator::Validator;
use super::web::RawWeb;
use super::{Config, ConfigError};
use crate::catalogue::PriorityScheme;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
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
    #[serde(default)]
    digest: crate::digest::config::RawDigest,
    #[serde(default)]
    web: RawWeb,
    #[serde(default)]
    survey: RawSurvey,
    #[serde(default)]
    closure: RawClosure,
}

/// Reads and validates the configuration file at `path`, and the holiday
/// file it names.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        key: "-".into(),
        reason: format!("cannot read the file: {e}"),
    })?;
    parse(&text, path)
}

/// Parses and validates configuration text. `path` names it in messages;
/// a `calendar.holidays_file` it names is read from disk (relative to the
/// working directory, like every path in the configuration).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_with(text, path, |p| std::fs::read_to_string(p))
}

/// [`parse`] with the reading of the holiday file passed in (for tests).
pub fn parse_with(
    text: &str,
    path: &Path,
    read: impl FnOnce(&Path) -> std::io::Result<String>,
) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&file, text, e))?;
    let v = Validator { file: &file };
    let holidays = raw
        .calendar
        .holidays_file
        .as_ref()
        .map(|p| (p.clone(), read(p)));
    assemble(&v, raw, path, holidays)
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

/// Checks every section, in the order that lets later ones refer to
/// earlier ones (rules to the catalogue, the chain to staff and groups).
fn assemble(
    v: &Validator<'_>,
    raw: RawConfig,
    path: &Path,
    holidays: Option<(std::path::PathBuf, std::io::Result<String>)>,
) -> Result<Config, ConfigError> {
    let desk = v.desk(raw.desk)?;
    let (database_url, database_busy_timeout) = v.database(raw.database)?;
    let message_budget = v.message_budget(&raw.inbound)?;
    let inbound = v.inbound(raw.inbound)?;
    let (outbound, outbox) = v.outbound(raw.outbound)?;
    let staff = v.staff(raw.staff)?;
    let priority = match raw.priority {
        Some(p) => v.priority(p)?,
        None => PriorityScheme::sop_default(),
    };
    let catalogue = v.catalogue(raw.groups, raw.categories, priority, &staff)?;
    let rules = v.rules(raw.rules, &catalogue, &staff)?;
    let calendar = v.calendar(raw.calendar, desk.timezone, holidays)?;
    let sla = v.sla(raw.sla, &raw.clocks, &catalogue)?;
    let escalation = v.escalation(raw.escalation, &catalogue, &staff)?;
    let auth = v.auth(raw.auth.unwrap_or_default())?;
    let log = v.log(raw.log)?;
    let digest = raw.digest.validate(v.file)?;
    let web = v.web(raw.web)?;
    let survey = v.survey(raw.survey)?;
    let closure = v.closure(raw.closure)?;
    Ok(Config {
        source: path.to_path_buf(),
        desk,
        database_url,
        database_busy_timeout,
        inbound,
        message_budget,
        outbound,
        staff,
        log,
        outbox,
        catalogue,
        rules,
        calendar,
        sla,
        escalation,
        auth,
        digest,
        web,
        survey,
        closure,
    })
}
