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
mod tests {
    use super::*;
    use crate::catalogue::{Category, Group, Names, PriorityScheme};

    fn cat() -> Catalogue {
        let c = |key: &str, t: TicketType, group: &str, u: &str, i: &str| Category {
            key: key.into(),
            name: Names {
                id: key.into(),
                en: key.into(),
            },
            ticket_type: t,
            group: group.into(),
            urgency: u.into(),
            impact: i.into(),
            response: None,
            resolution: None,
        };
        let g = |key: &str, level| Group {
            key: key.into(),
            name: key.into(),
            level,
        };
        Catalogue {
            groups: vec![g("servicedesk", 1), g("network", 2), g("infra", 2)],
            categories: vec![
                c(
                    "other",
                    TicketType::Incident,
                    "servicedesk",
                    "medium",
                    "medium",
                ),
                c(
                    "net.down",
                    TicketType::Incident,
                    "network",
                    "high",
                    "medium",
                ),
                c("account", TicketType::Request, "servicedesk", "low", "low"),
            ],
            default_category: 0,
            priority: PriorityScheme::sop_default(),
        }
    }

    fn rule(name: &str, conds: &[(Field, &str)], set: Set) -> Rule {
        Rule {
            name: name.into(),
            conditions: conds
                .iter()
                .map(|(f, p)| Condition {
                    field: f.clone(),
                    regex: compile(p).unwrap(),
                })
                .collect(),
            mode: Match::All,
            set,
            notify: Vec::new(),
            stop: false,
        }
    }

    fn msg(extra_headers: &str, subject: &str, body: &str) -> InboundMessage {
        let raw = format!(
            "From: Alice <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: {subject}\r\n\
             Message-ID: <m1@corp.test>\r\n{extra_headers}\r\n{body}\r\n"
        );
        crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
    }

    #[test]
    fn rules_read_the_start_of_a_long_body() {
        let long = format!("{}printer rusak", "é kata ".repeat(BODY_SCAN / 8));
        let m = msg("", "Laporan", &long);
        let facts = Facts::of(&m);
        assert!(facts.body.len() <= BODY_SCAN && facts.body.len() > BODY_SCAN - 4);
        assert!(!facts.body.contains("printer"));
        let short = msg("", "Laporan", "printer rusak");
        assert_eq!(Facts::of(&short).body.trim_end(), "printer rusak");
    }

    fn set_cat(c: &str) -> Set {
        Set {
            category: Some(c.into()),
            ..Set::default()
        }
    }

    #[test]
    fn nothing_matches_gives_the_default_category() {
        let o = classify(&[], &cat(), &msg("", "Halo", "apa kabar"));
        assert!(o.matched.is_empty());
        let r = o.result;
        assert_eq!(r.category, "other");
        assert_eq!(r.ticket_type, "incident");
        assert_eq!(
            (r.urgency.as_str(), r.impact.as_str()),
            ("medium", "medium")
        );
        assert_eq!(r.priority, 2);
        assert_eq!(r.group, "servicedesk");
        assert!(!r.major && !r.ignore && r.tags.is_empty() && r.assignee.is_none());
    }

    #[test]
    fn subject_condition_is_case_insensitive() {
        let rules = [rule(
            "down",
            &[(Field::Subject, "(internet|wifi).*(mati|down)")],
            set_cat("net.down"),
        )];
        let o = classify(&rules, &cat(), &msg("", "INTERNET MATI di lantai 3", ""));
        assert_eq!(o.result.category, "net.down");
        assert_eq!(o.result.group, "network");
        assert_eq!(o.result.priority, 1, "high × medium");
        assert_eq!(o.matched[0].rule, "down");
        assert_eq!(o.matched[0].set, json!({"category": "net.down"}));
    }

    #[test]
    fn each_condition_kind() {
        let m = msg(
            "Cc: Sec <security@corp.test>\r\nX-Priority: 1 (Highest)\r\n",
            "Tolong",
            "printer macet",
        );
        let f = Facts::of(&m);
        let holds = |field: Field, p: &str| {
            Condition {
                field,
                regex: compile(p).unwrap(),
            }
            .holds(&f)
        };
        assert!(holds(Field::Body, "printer"));
        assert!(!holds(Field::Subject, "printer"));
        assert!(holds(Field::Text, "printer"));
        assert!(holds(Field::Text, "tolong"));
        assert!(holds(Field::From, "@corp\\.test$"));
        assert!(!holds(Field::From, "@vendor"));
        assert!(holds(Field::To, "^security@"));
        assert!(holds(Field::To, "^helpdesk@"));
        assert!(holds(Field::Header("x-priority".into()), "^1"));
        assert!(!holds(Field::Header("X-Priority".into()), "^5"));
        assert!(!holds(Field::Header("X-Missing".into()), ".*"));
        assert!(!holds(Field::Attachment, ".*"));
    }

    #[test]
    fn delivered_to_and_attachment_names() {
        let raw = "Delivered-To: security@corp.test\r\nFrom: a@corp.test\r\nTo: helpdesk@corp.test\r\n\
            Subject: x\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
            --b\r\nContent-Type: application/octet-stream\r\n\
            Content-Disposition: attachment; filename=\"invoice.exe\"\r\n\r\nMZ\r\n--b--\r\n";
        let m = crate::parse::parse(raw.as_bytes(), "corp.test").unwrap();
        let f = Facts::of(&m);
        let c = |field, p: &str| Condition {
            field,
            regex: compile(p).unwrap(),
        };
        assert!(c(Field::To, "^security@corp\\.test$").holds(&f));
        assert!(c(Field::Attachment, "\\.(exe|scr)$").holds(&f));
    }

    #[test]
    fn all_and_any() {
        let mut r = rule(
            "both",
            &[(Field::Subject, "internet"), (Field::Body, "lantai")],
            set_cat("net.down"),
        );
        let only_subject = msg("", "internet", "gedung B");
        assert!(!r.matches(&Facts::of(&only_subject)));
        r.mode = Match::Any;
        assert!(r.matches(&Facts::of(&only_subject)));
        assert!(!r.matches(&Facts::of(&msg("", "printer", "gedung"))));
    }

    #[test]
    fn later_rules_override_and_tags_add_up() {
        let rules = [
            rule(
                "first",
                &[(Field::Subject, "x")],
                Set {
                    category: Some("net.down".into()),
                    urgency: Some("low".into()),
                    tags: vec!["a".into()],
                    ..Set::default()
                },
            ),
            rule(
                "second",
                &[(Field::Subject, "x")],
                Set {
                    urgency: Some("high".into()),
                    impact: Some("high".into()),
                    group: Some("infra".into()),
                    tags: vec!["b".into(), "a".into()],
                    ..Set::default()
                },
            ),
        ];
        let o = classify(&rules, &cat(), &msg("", "x", ""));
        assert_eq!(o.matched.len(), 2);
        let r = o.result;
        assert_eq!(r.category, "net.down");
        assert_eq!(r.urgency, "high", "the later rule wins");
        assert_eq!(r.group, "infra", "a rule's group beats the category's");
        assert_eq!(r.tags, ["a", "b"]);
        assert_eq!(r.priority, 1);
    }

    #[test]
    fn explicit_values_beat_the_category_defaults_whatever_the_order() {
        let rules = [
            rule(
                "urgent",
                &[(Field::Subject, "segera")],
                Set {
                    urgency: Some("high".into()),
                    ..Set::default()
                },
            ),
            rule(
                "account",
                &[(Field::Subject, "password")],
                set_cat("account"),
            ),
        ];
        let o = classify(&rules, &cat(), &msg("", "password, segera", ""));
        assert_eq!(o.result.category, "account");
        assert_eq!(o.result.ticket_type, "request");
        assert_eq!(o.result.urgency, "high");
        assert_eq!(o.result.impact, "low", "from the category");
        assert_eq!(o.result.priority, 2);
    }

    #[test]
    fn stop_ends_the_run() {
        let mut first = rule(
            "security",
            &[(Field::Text, "phishing")],
            Set {
                ticket_type: Some(TicketType::Security),
                major: Some(true),
                ..Set::default()
            },
        );
        first.stop = true;
        first.notify = vec![EmailAddress::parse("Head@corp.test").unwrap()];
        let rules = [
            first,
            rule("account", &[(Field::Text, "password")], set_cat("account")),
        ];
        let o = classify(&rules, &cat(), &msg("", "phishing: password", ""));
        assert_eq!(o.matched.len(), 1);
        assert!(o.is_security());
        assert!(o.result.major);
        assert_eq!(o.result.category, "other");
        assert_eq!(o.result.notify, ["head@corp.test"]);
        // Without the stop, the second rule applies too.
        let mut rules = rules;
        rules[0].stop = false;
        let o = classify(&rules, &cat(), &msg("", "phishing: password", ""));
        assert_eq!(o.matched.len(), 2);
        assert_eq!(o.result.category, "account");
        assert_eq!(o.result.ticket_type, "security", "set explicitly earlier");
    }

    #[test]
    fn ignore_and_assignee() {
        let rules = [rule(
            "spam",
            &[(Field::From, "@spam\\.example$"), (Field::Subject, "promo")],
            Set {
                ignore: Some(true),
                assignee: Some("budi".into()),
                ..Set::default()
            },
        )];
        let mut m = msg("", "PROMO besar", "");
        assert!(!classify(&rules, &cat(), &m).result.ignore);
        m.from = Some(crate::parse::Mailbox {
            name: None,
            address: EmailAddress::parse("x@spam.example").unwrap(),
        });
        let r = classify(&rules, &cat(), &m).result;
        assert!(r.ignore);
        assert_eq!(r.assignee.as_deref(), Some("budi"));
    }
}
