//! `[desk]`: who the desk is, its language and zone, and the limits on
//! what it sends to strangers.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, Language, NonParticipant};
use crate::domain::EmailAddress;
use crate::threading::SubjectTag;

#[derive(Debug, Clone)]
pub struct Desk {
    pub name: String,
    pub address: EmailAddress,
    /// Further addresses that deliver into the same mailbox (e.g. security@).
    pub aliases: Vec<EmailAddress>,
    /// The subject tag, `[<tag> #17]`.
    pub tag: SubjectTag,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDesk {
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

impl Validator<'_> {
    pub(super) fn desk(&self, d: RawDesk) -> Result<Desk, ConfigError> {
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
        let tag = SubjectTag::new(&d.tag).map_err(|e| self.err("desk.tag", e.to_string()))?;
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
            tag,
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
}
