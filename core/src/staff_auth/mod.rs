//! Proof that a staff member's mail is really theirs: pure, no I/O.
//!
//! A From header is easy to forge, and a staff mail changes tickets and
//! speaks to requesters in the staff member's name, so every mail whose
//! From is a staff address needs evidence beyond From before it counts as
//! theirs (`[auth] mode`):
//!
//! - **token** (the default; works with any mail server): the desk's mail
//!   to a staff member carries `Reply-To: helpdesk+<token>@corp.test`, the
//!   token bound to that staff member and that ticket and good for
//!   `auth.token_lifetime` ([`crate::staff_token`]). A reply to the notice
//!   goes to that address; a forger who never saw it cannot make one, and
//!   one who did (someone Cc'd) can use it only on that ticket, as that
//!   staff member, until it expires.
//! - **dkim**: the `Authentication-Results` header that the desk's own
//!   server (its `authserv_id`) put on the message says `dkim=pass` with
//!   `header.d=` the staff member's domain (or a parent domain: relaxed
//!   alignment), or `dmarc=pass` with `header.from=` that domain. Only the
//!   first such header counts: the server prepends its own, and must remove
//!   any arriving with its id (RFC 8601 §5), or a forger could add one.
//! - **both**: the strict setting.
//!
//! ## Where the token is read: the address the mail was sent to
//!
//! A token proves something only where the *delivery* put it, not where the
//! sender wrote it. A sender writes every header of a message, including
//! `Delivered-To`, `X-Original-To` and `Envelope-To` (they are only
//! "trace" headers by convention); a receiving server adds its own *on top*
//! but leaves the sender's below. So, in this order ([`recipients`]):
//!
//! 1. **the envelope recipient** (`RCPT TO`), when the source knows it:
//!    `posko ingest --recipient ADDR` from an MTA pipe (Postfix
//!    `${original_recipient}`). Nothing in the message is looked at.
//! 2. **`auth.recipient_header`**, when the admin says their server adds it
//!    (Postfix's local delivery and Dovecot's LMTP add `Delivered-To`;
//!    Postfix also `X-Original-To`): only the **topmost** occurrence, the
//!    one the server wrote last. Without the setting posko cannot know
//!    whether the server adds one, and the topmost might be the sender's, so
//!    no trace header is read at all.
//! 3. otherwise **To and Cc**: what the sender addressed. A forger can write
//!    a token there, but only one they saw, and that is bounded by the
//!    token's binding and lifetime, not by where it was written.
//!
//! Never Reply-To, Received, Resent-*, the body, or any other header.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};

use crate::domain::{EmailAddress, Role, Staff, TicketId};
use crate::parse::InboundMessage;
use crate::staff_token::{self, KeyRing, Problem};

/// `[auth]`: how staff commands are authenticated, and role limits.
#[derive(Debug, Clone)]
pub struct Auth {
    pub mode: AuthMode,
    /// The environment variable holding the keys of the staff tokens (the
    /// current one first, older ones after commas). When `None`, the keys
    /// are kept in the database (`posko auth rotate-key`).
    pub secret_env: Option<String>,
    /// How long the reply address in a mail to staff proves a reply.
    pub token_lifetime: Duration,
    /// The header the desk's mail server adds with the envelope recipient
    /// (`Delivered-To`); only its topmost occurrence is read. `None`: To
    /// and Cc (see [`crate::staff_auth`]).
    pub recipient_header: Option<String>,
    /// The authserv-id of the desk's own mail server in
    /// `Authentication-Results` (required for `dkim` and `both`).
    pub authserv_id: Option<String>,
    /// Who may `#close` a ticket that is not resolved.
    pub close_requires: Role,
    /// Who may move a ticket to a group not above its current level
    /// (`#escalate:<group>` sideways or down).
    pub move_requires: Role,
}

/// The evidence beyond From that staff commands need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// The per-staff token in the address the mail was sent to.
    Token,
    /// DKIM or DMARC pass for the staff member's domain, as the desk's own
    /// server recorded in `Authentication-Results`.
    Dkim,
    /// Both.
    Both,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Token => "token",
            AuthMode::Dkim => "dkim",
            AuthMode::Both => "both",
        }
    }
}

/// `auth.token_lifetime`: a reply to a notice two months old still works.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 86_400);

impl Default for Auth {
    fn default() -> Auth {
        Auth {
            mode: AuthMode::Token,
            secret_env: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            recipient_header: None,
            authserv_id: None,
            close_requires: Role::Manager,
            move_requires: Role::Manager,
        }
    }
}

/// The desk's own addresses: a token counts only in an address of the desk.
pub trait OwnAddress {
    /// True when `addr` is one of the desk's own addresses.
    fn is_own_address(&self, addr: &EmailAddress) -> bool;
}

/// A desk with one address.
impl OwnAddress for EmailAddress {
    fn is_own_address(&self, addr: &EmailAddress) -> bool {
        self.base() == addr.base()
    }
}

/// `helpdesk+<token>@corp.test`: where a staff member's replies go.
pub fn tokened_address(desk: &EmailAddress, token: &str) -> EmailAddress {
    let local = desk.local().split('+').next().unwrap_or(desk.local());
    EmailAddress::parse(&format!("{local}+{token}@{}", desk.domain()))
        .unwrap_or_else(|| desk.clone())
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass(String),
    Fail(String),
    /// The desk's mode does not ask for it.
    Skipped,
}

impl Check {
    fn json(&self, problem: Option<&Problem>) -> Value {
        let mut v = match self {
            Check::Pass(d) => json!({ "result": "pass", "detail": d }),
            Check::Fail(d) => json!({ "result": "fail", "detail": d }),
            Check::Skipped => json!({ "result": "not required" }),
        };
        if let (Some(p), Some(o)) = (problem, v.as_object_mut()) {
            o.insert("problem".into(), p.code().into());
        }
        v
    }

    fn failed(&self) -> Option<&str> {
        match self {
            Check::Fail(d) => Some(d),
            _ => None,
        }
    }
}

/// What was found, and whether it is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub mode: AuthMode,
    pub token: Check,
    pub dkim: Check,
    /// Why the token failed, when it did: what the staff member is told to
    /// do about it.
    pub token_problem: Option<Problem>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.token.failed().is_none() && self.dkim.failed().is_none()
    }

    /// Why it failed, for the staff member and the event.
    pub fn reason(&self) -> Option<String> {
        let why: Vec<&str> = [self.token.failed(), self.dkim.failed()]
            .into_iter()
            .flatten()
            .collect();
        (!why.is_empty()).then(|| why.join("; "))
    }

    /// The evidence as recorded in events.
    pub fn json(&self) -> Value {
        json!({
            "mode": self.mode.as_str(),
            "token": self.token.json(self.token_problem.as_ref()),
            "dkim": self.dkim.json(None),
            "passed": self.passed(),
        })
    }
}

/// Where the addresses a token is read from came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The envelope recipients the mail source gave (`--recipient`).
    Envelope,
    /// The topmost occurrence of `auth.recipient_header`.
    Header(String),
    /// To and Cc.
    ToCc,
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Envelope => "the envelope recipient".into(),
            Source::Header(h) => format!("the topmost {h}"),
            Source::ToCc => "To/Cc".into(),
        }
    }
}

/// The addresses a mail was sent to, as far as the desk can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    pub source: Source,
    pub addresses: Vec<EmailAddress>,
}

/// The address the mail was sent to: see the module documentation.
/// `envelope` holds the envelope recipients when the source knows them.
pub fn recipients(auth: &Auth, envelope: &[String], msg: &InboundMessage) -> Recipients {
    if !envelope.is_empty() {
        return Recipients {
            source: Source::Envelope,
            addresses: envelope
                .iter()
                .filter_map(|a| EmailAddress::parse(a))
                .collect(),
        };
    }
    if let Some(name) = &auth.recipient_header {
        let topmost = msg
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| addresses_in(v))
            .unwrap_or_default();
        return Recipients {
            source: Source::Header(name.clone()),
            addresses: topmost,
        };
    }
    Recipients {
        source: Source::ToCc,
        addresses: msg
            .to
            .iter()
            .chain(&msg.cc)
            .map(|m| m.address.clone())
            .collect(),
    }
}

static ANGLED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^<>]*)>").expect("angled"));

/// The addresses in a trace header's value (`a@x`, `<a@x>`, `a@x, b@y`).
fn addresses_in(value: &str) -> Vec<EmailAddress> {
    let angled: Vec<EmailAddress> = ANGLED
        .captures_iter(value)
        .filter_map(|c| EmailAddress::parse(&c[1]))
        .collect();
    if !angled.is_empty() {
        return angled;
    }
    value
        .split([',', ';'])
        .filter_map(EmailAddress::parse)
        .collect()
}

/// What a mail from a staff member is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub staff: &'a Staff,
    /// The ticket it acts on; `None` for a mail opening a new ticket.
    pub ticket: Option<TicketId>,
    pub recipients: &'a Recipients,
    /// All headers (for `Authentication-Results`).
    pub headers: &'a [(String, String)],
    pub now: i64,
}

/// Checks a mail from `claim.staff`.
pub fn verify(auth: &Auth, desk: &impl OwnAddress, keys: &KeyRing, claim: &Claim<'_>) -> Verdict {
    let (token, token_problem) = match auth.mode {
        AuthMode::Token | AuthMode::Both => match check_token(auth, desk, keys, claim) {
            Ok(pass) => (Check::Pass(pass), None),
            Err((detail, problem)) => (Check::Fail(detail), Some(problem)),
        },
        AuthMode::Dkim => (Check::Skipped, None),
    };
    let dkim = match (auth.mode, &auth.authserv_id) {
        (AuthMode::Dkim | AuthMode::Both, Some(id)) => check_dkim(id, claim.staff, claim.headers),
        (AuthMode::Dkim | AuthMode::Both, None) => Check::Fail("no authserv_id configured".into()),
        (AuthMode::Token, _) => Check::Skipped,
    };
    Verdict {
        mode: auth.mode,
        token,
        dkim,
        token_problem,
    }
}

/// The best token among the recipients: its description, or why none
/// passes (the failure of the token that came closest).
fn check_token(
    auth: &Auth,
    desk: &impl OwnAddress,
    keys: &KeyRing,
    claim: &Claim<'_>,
) -> Result<String, (String, Problem)> {
    let lifetime = auth.token_lifetime.as_secs() as i64;
    let handle = &claim.staff.handle;
    let place = claim.recipients.source.describe();
    let mut worst: Option<Problem> = None;
    for addr in &claim.recipients.addresses {
        if !desk.is_own_address(addr) {
            continue;
        }
        let Some((_, token)) = addr.local().split_once('+') else {
            continue;
        };
        match staff_token::check(keys, lifetime, handle, claim.ticket, token, claim.now) {
            Ok(v) => {
                let about = match v.ticket {
                    Some(t) => format!("ticket #{t}"),
                    None => "new tickets".into(),
                };
                return Ok(format!(
                    "{handle}'s token for {about} in {place} (key {}, issued {}, valid until {})",
                    v.key_id,
                    utc(v.issued_at),
                    utc(v.expires_at)
                ));
            }
            Err(p) => {
                if worst.as_ref().is_none_or(|w| p.rank() > w.rank()) {
                    worst = Some(p);
                }
            }
        }
    }
    let problem = worst.unwrap_or(Problem::Missing);
    let detail = match &problem {
        Problem::Missing => format!(
            "no token: the mail was not sent to {handle}'s reply address for {} \
             ({place} holds none); reply to a notice from the desk",
            about(claim.ticket)
        ),
        Problem::Malformed => format!("the desk address in {place} carries no valid token"),
        Problem::UnknownKey => format!(
            "the token in {place} was made with a key the desk no longer has (it was replaced)"
        ),
        Problem::NotTheirs => format!("the token in {place} is not {handle}'s (or was altered)"),
        Problem::OtherTicket { token_ticket } => format!(
            "the token in {place} is {handle}'s address for {}: it does nothing on {}",
            about(*token_ticket),
            match claim.ticket {
                Some(t) => format!("ticket #{t}"),
                None => "a new ticket".into(),
            }
        ),
        Problem::Expired {
            issued_at,
            expired_at,
        } => format!(
            "the token in {place} expired at {} (issued {}; auth.token_lifetime is {}): \
             reply to a newer mail from the desk about {}",
            utc(*expired_at),
            utc(*issued_at),
            span(lifetime),
            about(claim.ticket)
        ),
    };
    Err((detail, problem))
}

fn about(ticket: Option<TicketId>) -> String {
    match ticket {
        Some(t) => format!("ticket #{t}"),
        None => "new tickets (the personal address #help gives)".into(),
    }
}

/// `60d`, `12h`, `90m` or `45s`.
pub fn span(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

static COMMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^()]*\)").expect("comment"));

fn check_dkim(authserv_id: &str, staff: &Staff, headers: &[(String, String)]) -> Check {
    let domain = staff.email.domain().to_ascii_lowercase();
    let ours = headers.iter().find_map(|(name, value)| {
        if !name.eq_ignore_ascii_case("authentication-results") {
            return None;
        }
        let value = COMMENT.replace_all(value, " ");
        let mut parts = value.split(';');
        let id = parts
            .next()?
            .split_whitespace()
            .next()?
            .to_ascii_lowercase();
        (id == authserv_id.to_ascii_lowercase())
            .then(|| parts.map(str::to_string).collect::<Vec<_>>())
    });
    let Some(results) = ours else {
        return Check::Fail(format!(
            "no Authentication-Results from {authserv_id} (the desk's mail server)"
        ));
    };
    let aligned = |d: &str| {
        let d = d.trim().trim_matches('"').to_ascii_lowercase();
        !d.is_empty() && (domain == d || domain.ends_with(&format!(".{d}")))
    };
    let mut seen = Vec::new();
    for r in &results {
        let mut words = r.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let method = method.to_ascii_lowercase();
        let result = result.to_ascii_lowercase();
        let props: Vec<(String, String)> = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        let prop = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        match (method.as_str(), result.as_str()) {
            ("dkim", "pass") if prop("header.d").is_some_and(aligned) => {
                return Check::Pass(format!(
                    "{authserv_id}: dkim=pass header.d={}",
                    prop("header.d").unwrap_or_default()
                ));
            }
            ("dmarc", "pass") if prop("header.from").is_some_and(aligned) => {
                return Check::Pass(format!(
                    "{authserv_id}: dmarc=pass header.from={}",
                    prop("header.from").unwrap_or_default()
                ));
            }
            ("dkim" | "dmarc", _) => seen.push(format!("{method}={result}")),
            _ => {}
        }
    }
    Check::Fail(format!(
        "{authserv_id} shows no DKIM or DMARC pass for {domain}{}",
        if seen.is_empty() {
            String::new()
        } else {
            format!(" ({})", seen.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests;
