//! `[[group]]`, `[[category]]` and `[priority]`: the service catalogue.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::validator::Validator;
use super::{ConfigError, Staff};
use crate::catalogue::{
    Catalogue, Category, DEFAULT_CATEGORY, Group, Level, Names, PriorityScheme, TicketType,
};
use crate::domain::EmailAddress;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    key: String,
    name: String,
    level: u8,
    /// Who gets the group's digest: one address or a list.
    #[serde(default)]
    lead: Option<Leads>,
}

/// `lead = "addr"` or `lead = ["addr", …]`. Untagged is safe here: both
/// shapes are plain values, so no unknown key can hide behind the mismatch.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Leads {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNames {
    id: String,
    en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCategory {
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
pub(super) struct RawPriority {
    urgency: Option<Vec<String>>,
    impact: Option<Vec<String>>,
    levels: Vec<RawLevel>,
    /// urgency → impact → level.
    matrix: BTreeMap<String, BTreeMap<String, u8>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevel {
    value: u8,
    name: RawNames,
}

impl Validator<'_> {
    pub(super) fn names(n: RawNames) -> Names {
        Names { id: n.id, en: n.en }
    }

    pub(super) fn scale(
        &self,
        key: &str,
        v: Option<Vec<String>>,
    ) -> Result<Vec<String>, ConfigError> {
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

    pub(super) fn priority(&self, p: RawPriority) -> Result<PriorityScheme, ConfigError> {
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

    pub(super) fn catalogue(
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
            let leads = match g.lead {
                None => Vec::new(),
                Some(Leads::One(a)) => vec![a],
                Some(Leads::Many(v)) => v,
            };
            let mut parsed: Vec<EmailAddress> = Vec::new();
            for a in &leads {
                let addr = EmailAddress::parse(a.trim()).ok_or_else(|| {
                    self.err(&format!("{key}.lead"), format!("{a:?} is not an address"))
                })?;
                if !parsed.iter().any(|p| p.base() == addr.base()) {
                    parsed.push(addr);
                }
            }
            groups.push(Group {
                key: g.key,
                name: g.name,
                level: g.level,
                leads: parsed,
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
        // Without a default, the core supplies a built-in `other` at the
        // service desk (and `posko check` says so).
        let default = default.or_else(|| categories.iter().position(|c| c.key == DEFAULT_CATEGORY));
        Ok(Catalogue::new(groups, categories, default, priority))
    }

    pub(super) fn on_scale(&self, key: &str, v: &str, scale: &[String]) -> Result<(), ConfigError> {
        if scale.iter().any(|s| s == v) {
            Ok(())
        } else {
            Err(self.err(key, format!("{v:?} is not one of {scale:?}")))
        }
    }
}
