//! Classification: a parsed message → type, category, urgency, impact,
//! priority, group, assignee, tags, major incident, who else to tell, and
//! whether to ignore it. No I/O.
//!
//! Rules are tried in the order of the configuration. Every rule whose
//! conditions hold applies its `set`: a later rule overrides a field an
//! earlier one set, tags and `notify` addresses add up, and `stop = true`
//! ends the run. What no rule set comes from the category (the one a rule
//! named, else the catalogue's default category): its type, group, urgency
//! and impact. The priority is then read from the urgency × impact matrix.
//! Regexes are compiled (case-insensitive) when the configuration is
//! loaded, so classifying a message only runs them.

use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::catalogue::{Catalogue, TicketType};
use crate::domain::EmailAddress;
use crate::parse::InboundMessage;

/// Headers that name the address a message was delivered to, besides To
/// and Cc: an alias such as `security@` shows up here when it was Bcc'd or
/// forwarded.
const RECIPIENT_HEADERS: &[&str] = &["delivered-to", "x-original-to", "envelope-to"];

/// What part of the message a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Subject,
    Body,
    /// The subject or the body.
    Text,
    /// The sender's address (From, else Reply-To).
    From,
    /// Any recipient address: To, Cc, Delivered-To, X-Original-To, Envelope-To.
    To,
    /// Any value of the named header (name compared case-insensitively).
    Header(String),
    /// Any attachment's file name.
    Attachment,
}

impl Field {
    pub fn label(&self) -> String {
        match self {
            Field::Subject => "subject".into(),
            Field::Body => "body".into(),
            Field::Text => "text".into(),
            Field::From => "from".into(),
            Field::To => "to".into(),
            Field::Header(h) => format!("header.{h}"),
            Field::Attachment => "attachment".into(),
        }
    }
}

/// One condition: a field and a case-insensitive regex.
#[derive(Debug, Clone)]
pub struct Condition {
    pub field: Field,
    pub regex: Regex,
}

/// All conditions must hold, or any one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    All,
    Any,
}

/// What a rule sets; `None` leaves the field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Set {
    pub ticket_type: Option<TicketType>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub group: Option<String>,
    /// A staff handle.
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub major: Option<bool>,
    /// Spam or noise: recorded, never answered, nobody told.
    pub ignore: Option<bool>,
}

impl Set {
    /// The fields this sets, as the `classified` event records them.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put("type", self.ticket_type.map(|t| json!(t.as_str())));
        put("category", self.category.as_ref().map(|v| json!(v)));
        put("urgency", self.urgency.as_ref().map(|v| json!(v)));
        put("impact", self.impact.as_ref().map(|v| json!(v)));
        put("group", self.group.as_ref().map(|v| json!(v)));
        put("assignee", self.assignee.as_ref().map(|v| json!(v)));
        put(
            "tags",
            Some(json!(self.tags)).filter(|_| !self.tags.is_empty()),
        );
        put("major", self.major.map(|v| json!(v)));
        put("ignore", self.ignore.map(|v| json!(v)));
        Value::Object(m)
    }
}

/// One configured rule, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub conditions: Vec<Condition>,
    pub mode: Match,
    pub set: Set,
    pub notify: Vec<EmailAddress>,
    pub stop: bool,
}

/// A rule that matched, and what it set.
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    pub rule: String,
    pub set: Value,
}

/// The outcome of classifying one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    #[serde(rename = "type")]
    pub ticket_type: &'static str,
    pub category: String,
    pub urgency: String,
    pub impact: String,
    pub priority: u8,
    pub group: String,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub major: bool,
    pub notify: Vec<String>,
    pub ignore: bool,
}

/// Classification plus the rules that led to it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub matched: Vec<Matched>,
    #[serde(flatten)]
    pub result: Classification,
}

impl Outcome {
    pub fn is_security(&self) -> bool {
        self.result.ticket_type == TicketType::Security.as_str()
    }
}

/// How much of the body rules read. Every rule is a scan of the text, so
/// a 40 MB body under 200 rules would be 8 GB of matching; what a rule
/// looks for (what broke, where, how urgent) is in a mail's first lines.
pub const BODY_SCAN: usize = 256 * 1024;

/// The first [`BODY_SCAN`] bytes of `body`, cut on a character.
fn body_start(body: &str) -> &str {
    &body[..body.floor_char_boundary(BODY_SCAN)]
}

/// The parts of a message rules look at, gathered once per message.
pub struct Facts<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub from: Option<&'a str>,
    pub recipients: Vec<&'a str>,
    pub headers: &'a [(String, String)],
    pub attachments: Vec<&'a str>,
}

impl<'a> Facts<'a> {
    pub fn of(msg: &'a InboundMessage) -> Facts<'a> {
        let mut recipients: Vec<&str> = msg
            .to
            .iter()
            .chain(&msg.cc)
            .map(|m| m.address.as_str())
            .collect();
        for (name, value) in &msg.headers {
            if RECIPIENT_HEADERS
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
            {
                recipients.push(value.trim().trim_start_matches('<').trim_end_matches('>'));
            }
        }
        Facts {
            subject: &msg.subject,
            body: body_start(&msg.body_text),
            from: msg
                .from
                .as_ref()
                .or(msg.reply_to.as_ref())
                .map(|m| m.address.as_str()),
            recipients,
            headers: &msg.headers,
            attachments: msg
                .attachments
                .iter()
                .map(|a| a.filename.as_str())
                .collect(),
        }
    }
}

impl Condition {
    pub fn holds(&self, f: &Facts<'_>) -> bool {
        let re = &self.regex;
        match &self.field {
            Field::Subject => re.is_match(f.subject),
            Field::Body => re.is_match(f.body),
            Field::Text => re.is_match(f.subject) || re.is_match(f.body),
            Field::From => f.from.is_some_and(|a| re.is_match(a)),
            Field::To => f.recipients.iter().any(|a| re.is_match(a)),
            Field::Header(name) => f
                .headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(name) && re.is_match(v)),
            Field::Attachment => f.attachments.iter().any(|a| re.is_match(a)),
        }
    }
}

impl Rule {
    pub fn matches(&self, f: &Facts<'_>) -> bool {
        match self.mode {
            Match::All => self.conditions.iter().all(|c| c.holds(f)),
            Match::Any => self.conditions.iter().any(|c| c.holds(f)),
        }
    }
}

/// Classifies `msg` with `rules` against `cat`.
pub fn classify(rules: &[Rule], cat: &Catalogue, msg: &InboundMessage) -> Outcome {
    classify_facts(rules, cat, &Facts::of(msg))
}

/// [`classify`] on facts already gathered.
pub fn classify_facts(rules: &[Rule], cat: &Catalogue, facts: &Facts<'_>) -> Outcome {
    let mut acc = Set::default();
    let mut notify: Vec<String> = Vec::new();
    let mut matched = Vec::new();
    for rule in rules {
        if !rule.matches(facts) {
            continue;
        }
        let s = &rule.set;
        macro_rules! over {
            ($f:ident) => {
                if s.$f.is_some() {
                    acc.$f = s.$f.clone();
                }
            };
        }
        over!(ticket_type);
        over!(category);
        over!(urgency);
        over!(impact);
        over!(group);
        over!(assignee);
        over!(major);
        over!(ignore);
        for t in &s.tags {
            if !acc.tags.contains(t) {
                acc.tags.push(t.clone());
            }
        }
        for a in &rule.notify {
            if !notify.iter().any(|n| n == a.base()) {
                notify.push(a.base().to_string());
            }
        }
        matched.push(Matched {
            rule: rule.name.clone(),
            set: s.to_json(),
        });
        if rule.stop {
            break;
        }
    }
    let category = acc
        .category
        .as_deref()
        .and_then(|k| cat.category(k))
        .unwrap_or_else(|| cat.default_category());
    let urgency = acc.urgency.unwrap_or_else(|| category.urgency.clone());
    let impact = acc.impact.unwrap_or_else(|| category.impact.clone());
    // The matrix is complete (validated at load); the lowest level is the
    // safe answer should an unknown value ever slip through.
    let priority = cat.priority.priority(&urgency, &impact).unwrap_or_else(|| {
        cat.priority
            .levels
            .iter()
            .map(|l| l.value)
            .max()
            .unwrap_or(3)
    });
    Outcome {
        matched,
        result: Classification {
            ticket_type: acc.ticket_type.unwrap_or(category.ticket_type).as_str(),
            category: category.key.clone(),
            urgency,
            impact,
            priority,
            group: acc.group.unwrap_or_else(|| category.group.clone()),
            assignee: acc.assignee,
            tags: acc.tags,
            major: acc.major.unwrap_or(false),
            notify,
            ignore: acc.ignore.unwrap_or(false),
        },
    }
}

/// A case-insensitive regex, as every rule condition is compiled.
pub fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

#[cfg(test)]
mod tests;
