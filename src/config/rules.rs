//! `[[rule]]`: classification rules, checked against the catalogue and
//! the staff list.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, Staff};
use crate::catalogue::{Catalogue, TicketType};
use crate::rules::{self, Condition, Field, Match, Rule, Set};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
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
pub(super) struct RawSet {
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

impl Validator<'_> {
    pub(super) fn rules(
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
