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
mod tests {
    use super::*;
    use crate::staff_token::{Key, issue};

    /// 2026-11-23T01:00:00Z.
    const T0: i64 = 1_795_395_600;

    fn staff() -> Staff {
        Staff {
            name: "Budi Santoso".into(),
            email: EmailAddress::parse("budi@corp.test").unwrap(),
            handle: "budi".into(),
            level: 2,
            groups: vec!["network".into()],
            role: Role::Agent,
        }
    }

    /// The desk's address and an alias.
    struct TestDesk {
        address: EmailAddress,
        aliases: Vec<EmailAddress>,
    }

    impl OwnAddress for TestDesk {
        fn is_own_address(&self, addr: &EmailAddress) -> bool {
            self.address.is_own_address(addr) || self.aliases.iter().any(|a| a.is_own_address(addr))
        }
    }

    fn desk() -> TestDesk {
        TestDesk {
            address: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            aliases: vec![EmailAddress::parse("security@corp.test").unwrap()],
        }
    }

    fn keys() -> KeyRing {
        KeyRing::new(vec![Key::new(b"s3cret-s3cret-s3cret".to_vec(), 0, None)]).unwrap()
    }

    fn message(headers: &str) -> InboundMessage {
        let raw = format!(
            "From: Budi Santoso <budi@corp.test>\r\n{headers}Subject: x\r\n\
             Message-ID: <m@x>\r\n\r\nbody\r\n"
        );
        crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
    }

    fn address(handle: &str, ticket: Option<TicketId>, at: i64) -> String {
        let t = issue(&keys(), handle, ticket, at);
        tokened_address(&desk().address, &t).to_string()
    }

    /// The verdict on `msg` (sent to `envelope` when given) about `ticket`.
    fn judge(
        auth: &Auth,
        msg: &InboundMessage,
        envelope: &[String],
        ticket: Option<TicketId>,
        now: i64,
    ) -> Verdict {
        let staff = staff();
        let r = recipients(auth, envelope, msg);
        verify(
            auth,
            &desk(),
            &keys(),
            &Claim {
                staff: &staff,
                ticket,
                recipients: &r,
                headers: &msg.headers,
                now,
            },
        )
    }

    #[test]
    fn a_reply_to_the_tickets_address_passes_and_others_fail() {
        let auth = Auth::default();
        let addr = address("budi", Some(7), T0);
        assert!(addr.starts_with("helpdesk+1"), "{addr}");
        let ok = judge(
            &auth,
            &message(&format!("To: IT Helpdesk <{addr}>\r\n")),
            &[],
            Some(7),
            T0 + 3600,
        );
        assert!(ok.passed(), "{ok:?}");
        assert!(
            ok.json()["token"]["detail"]
                .as_str()
                .unwrap()
                .contains("ticket #7")
        );
        // In Cc, next to another address, works as well.
        let cc = message(&format!("To: alice@corp.test\r\nCc: {addr}\r\n"));
        assert!(judge(&auth, &cc, &[], Some(7), T0).passed());
        // Another ticket: refused, and said so.
        let other = judge(
            &auth,
            &message(&format!("To: {addr}\r\n")),
            &[],
            Some(8),
            T0,
        );
        assert!(!other.passed());
        assert_eq!(
            other.token_problem,
            Some(Problem::OtherTicket {
                token_ticket: Some(7)
            })
        );
        assert!(
            other.reason().unwrap().contains("nothing on ticket #8"),
            "{other:?}"
        );
        // Siti's address for the same ticket is not Budi's.
        let siti = address("siti", Some(7), T0);
        let wrong = judge(
            &auth,
            &message(&format!("Cc: {siti}\r\n")),
            &[],
            Some(7),
            T0,
        );
        assert!(wrong.reason().unwrap().contains("not budi's"), "{wrong:?}");
        // A token on someone else's address proves nothing.
        let token = addr.split(['+', '@']).nth(1).unwrap();
        let elsewhere = message(&format!("To: budi+{token}@corp.test\r\n"));
        let v = judge(&auth, &elsewhere, &[], Some(7), T0);
        assert_eq!(v.token_problem, Some(Problem::Missing));
        // No token at all.
        let none = judge(
            &auth,
            &message("To: helpdesk@corp.test\r\n"),
            &[],
            Some(7),
            T0,
        );
        assert!(none.reason().unwrap().contains("no token"), "{none:?}");
        assert_eq!(none.json()["token"]["problem"], "missing");
    }

    #[test]
    fn an_expired_token_says_so() {
        let auth = Auth::default();
        let addr = address("budi", Some(7), T0);
        let msg = message(&format!("To: {addr}\r\n"));
        let lifetime = auth.token_lifetime.as_secs() as i64;
        assert!(judge(&auth, &msg, &[], Some(7), T0 + lifetime - 60).passed());
        let v = judge(&auth, &msg, &[], Some(7), T0 + lifetime);
        assert!(
            matches!(v.token_problem, Some(Problem::Expired { .. })),
            "{v:?}"
        );
        let why = v.reason().unwrap();
        assert!(why.contains("expired at 2027-01-22 01:00 UTC"), "{why}");
        assert!(why.contains("token_lifetime is 60d"), "{why}");
        assert!(why.contains("reply to a newer mail"), "{why}");
    }

    #[test]
    fn the_token_is_read_only_from_where_the_mail_was_sent() {
        let addr = address("budi", Some(7), T0);
        let token_mode = Auth::default();
        // A Delivered-To the sender wrote: not read by default.
        let written = message(&format!(
            "To: helpdesk@corp.test\r\nDelivered-To: {addr}\r\nX-Original-To: {addr}\r\n\
             Envelope-To: {addr}\r\nReply-To: {addr}\r\n"
        ));
        let v = judge(&token_mode, &written, &[], Some(7), T0);
        assert_eq!(v.token_problem, Some(Problem::Missing), "{v:?}");
        // When the server adds Delivered-To, the topmost one is the
        // server's; the sender's lies below it.
        let server = Auth {
            recipient_header: Some("Delivered-To".into()),
            ..Auth::default()
        };
        let stacked = message(&format!(
            "Delivered-To: helpdesk@corp.test\r\nTo: {addr}\r\nDelivered-To: {addr}\r\n"
        ));
        let v = judge(&server, &stacked, &[], Some(7), T0);
        assert_eq!(
            v.token_problem,
            Some(Problem::Missing),
            "To is not read either"
        );
        assert!(
            v.reason().unwrap().contains("topmost Delivered-To"),
            "{v:?}"
        );
        let delivered = message(&format!(
            "Delivered-To: <{addr}>\r\nTo: helpdesk@corp.test\r\n"
        ));
        assert!(judge(&server, &delivered, &[], Some(7), T0).passed());
        // The envelope recipient outranks every header.
        let env = |a: &str| vec![a.to_string()];
        assert!(judge(&token_mode, &written, &env(&addr), Some(7), T0).passed());
        let v = judge(
            &token_mode,
            &message(&format!("To: {addr}\r\n")),
            &env("helpdesk@corp.test"),
            Some(7),
            T0,
        );
        assert!(!v.passed(), "To does not count when the envelope is known");
        assert!(v.reason().unwrap().contains("envelope recipient"));
    }

    #[test]
    fn a_new_ticket_needs_the_personal_address() {
        let auth = Auth::default();
        let personal = address("budi", None, T0);
        let msg = message(&format!("To: {personal}\r\n"));
        assert!(judge(&auth, &msg, &[], None, T0).passed());
        assert!(!judge(&auth, &msg, &[], Some(7), T0).passed());
        let ticket = address("budi", Some(7), T0);
        let v = judge(&auth, &message(&format!("To: {ticket}\r\n")), &[], None, T0);
        assert!(v.reason().unwrap().contains("a new ticket"), "{v:?}");
    }

    #[test]
    fn the_closest_token_explains_the_failure() {
        let auth = Auth::default();
        let siti = address("siti", Some(7), T0);
        let other = address("budi", Some(9), T0);
        let msg = message(&format!(
            "To: {siti}, helpdesk+zz@corp.test\r\nCc: {other}\r\n"
        ));
        let v = judge(&auth, &msg, &[], Some(7), T0);
        assert_eq!(
            v.token_problem,
            Some(Problem::OtherTicket {
                token_ticket: Some(9)
            })
        );
    }

    #[test]
    fn trace_header_values_are_read_as_addresses() {
        let a = |v: &str| {
            addresses_in(v)
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(a("helpdesk+x@corp.test"), ["helpdesk+x@corp.test"]);
        assert_eq!(a(" <helpdesk+x@corp.test>"), ["helpdesk+x@corp.test"]);
        assert_eq!(a("a@x.test, b@y.test"), ["a@x.test", "b@y.test"]);
        assert!(a("nonsense").is_empty());
    }

    fn dkim_verdict(auth: &Auth, ar: &[&str]) -> Verdict {
        let headers: String = ar
            .iter()
            .map(|v| format!("Authentication-Results: {v}\r\n"))
            .collect();
        judge(auth, &message(&headers), &[], Some(7), T0)
    }

    #[test]
    fn dkim_needs_our_server_and_an_aligned_pass() {
        let auth = Auth {
            mode: AuthMode::Dkim,
            authserv_id: Some("mx.corp.test".into()),
            ..Auth::default()
        };
        let check = |v: &str| dkim_verdict(&auth, &[v]);
        assert!(
            check("mx.corp.test; dkim=pass (2048-bit key) header.d=corp.test header.s=s1").passed()
        );
        assert!(
            check(
                "MX.corp.test 1; spf=pass smtp.mailfrom=corp.test; dmarc=pass header.from=corp.test"
            )
            .passed()
        );
        let v = check("mx.corp.test; dkim=fail header.d=corp.test");
        assert!(v.reason().unwrap().contains("dkim=fail"), "{v:?}");
        assert!(!check("mx.corp.test; dkim=pass header.d=evil.test").passed());
        // Someone else's server vouches for nothing.
        assert!(!check("mx.evil.test; dkim=pass header.d=corp.test").passed());
        // Only the first of our headers counts (ours is prepended).
        let two = dkim_verdict(
            &auth,
            &[
                "mx.corp.test; dkim=none",
                "mx.corp.test; dkim=pass header.d=corp.test",
            ],
        );
        assert!(!two.passed());
        let both = Auth {
            mode: AuthMode::Both,
            ..auth.clone()
        };
        let v = dkim_verdict(&both, &["mx.corp.test; dkim=pass header.d=corp.test"]);
        assert!(!v.passed(), "both needs the token too");
        assert_eq!(v.json()["dkim"]["result"], "pass");
    }
}
