//! `[[sla]]` and `[clocks]`: targets per priority and category, and the
//! statuses that pause the clocks; with the catalogue's per-category
//! targets folded in.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;
use crate::catalogue::Catalogue;
use crate::domain::Status;
use crate::sla::{CategoryRule, Priority, SlaPolicy, Targets, parse_target};

/// One `[[sla]]` entry as written in the file:
///
/// ```toml
/// [[sla]]
/// priority = 1
/// response = "10m"
/// resolution = "8h"            # or "1x8h"
/// business_hours = true        # false: 24x7
///
/// [[sla]]                      # a service-catalogue override
/// category = "Incident-Network"
/// resolution = "3x8h"          # response: from the priority
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    priority: Option<u8>,
    category: Option<String>,
    response: Option<String>,
    resolution: Option<String>,
    business_hours: Option<bool>,
}

/// The `[[sla]]` array; empty means the city SOP's table.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(super) struct RawSlaTable(Vec<RawSla>);

/// `[clocks]`: which statuses pause the clocks.
///
/// ```toml
/// [clocks]
/// pause_on = ["pending"]
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClocks {
    /// Default `["pending"]`; `[]` never pauses.
    pause_on: Option<Vec<String>>,
}

impl Validator<'_> {
    /// `[[sla]]`, `[clocks]` and the catalogue's per-category targets.
    pub(super) fn sla(
        &self,
        raw: RawSlaTable,
        clocks: &RawClocks,
        catalogue: &Catalogue,
    ) -> Result<SlaPolicy, ConfigError> {
        let policy = self.sla_table(raw, clocks)?;
        let mut overrides = Vec::new();
        for (i, c) in catalogue.categories.iter().enumerate() {
            let target = |k: &str, v: &Option<String>| {
                v.as_deref()
                    .map(parse_target)
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

    /// Validates `[[sla]]` together with `[clocks]`.
    ///
    /// Entries with a priority and no category set that priority's targets;
    /// when there are any, they replace the default table as a whole (so a
    /// file that lists priorities 1 to 4 gets exactly those). Entries with a
    /// category are overrides, optionally limited to one priority.
    fn sla_table(&self, raw: RawSlaTable, clocks: &RawClocks) -> Result<SlaPolicy, ConfigError> {
        let mut priorities = BTreeMap::new();
        let mut categories: Vec<CategoryRule> = Vec::new();
        for (i, e) in raw.0.into_iter().enumerate() {
            let key = |k: &str| format!("sla[{i}].{k}");
            let target = |k: &str, v: &Option<String>| -> Result<Option<i64>, ConfigError> {
                v.as_deref()
                    .map(parse_target)
                    .transpose()
                    .map_err(|r| self.err(&key(k), r))
            };
            let response = target("response", &e.response)?;
            let resolution = target("resolution", &e.resolution)?;
            let priority = match e.priority {
                None => None,
                Some(p) => {
                    Some(Priority::try_from(p).map_err(|why| self.err(&key("priority"), why))?)
                }
            };
            match (priority, e.category) {
                (None, None) => {
                    return Err(self.err(
                        &format!("sla[{i}]"),
                        "needs a priority, a category, or both",
                    ));
                }
                (Some(p), None) => {
                    let (Some(response), Some(resolution)) = (response, resolution) else {
                        let missing = if response.is_none() {
                            "response"
                        } else {
                            "resolution"
                        };
                        return Err(self.err(&key(missing), format!("required for priority {p}")));
                    };
                    let t = Targets {
                        response,
                        resolution,
                        business_hours: e.business_hours.unwrap_or(true),
                    };
                    if priorities.insert(p, t).is_some() {
                        return Err(
                            self.err(&key("priority"), format!("priority {p} is listed twice"))
                        );
                    }
                }
                (priority, Some(category)) => {
                    let category = category.trim().to_lowercase();
                    if category.is_empty() {
                        return Err(self.err(&key("category"), "must not be empty"));
                    }
                    if response.is_none() && resolution.is_none() && e.business_hours.is_none() {
                        return Err(self.err(
                            &format!("sla[{i}]"),
                            "a category entry must set response, resolution or business_hours",
                        ));
                    }
                    if categories
                        .iter()
                        .any(|r| r.category == category && r.priority == priority)
                    {
                        return Err(self.err(
                            &key("category"),
                            format!("{category:?} is listed twice for the same priority"),
                        ));
                    }
                    categories.push(CategoryRule {
                        category,
                        priority,
                        response,
                        resolution,
                        business_hours: e.business_hours,
                    });
                }
            }
        }
        let pause_on = match &clocks.pause_on {
            None => vec![Status::Pending],
            Some(list) => {
                let mut set = Vec::new();
                for (i, s) in list.iter().enumerate() {
                    let key = format!("clocks.pause_on[{i}]");
                    let status = Status::parse(s.trim()).ok_or_else(|| {
                        self.err(
                            &key,
                            format!("{s:?} is not a status (new, in_progress, pending)"),
                        )
                    })?;
                    if matches!(status, Status::Resolved | Status::Closed) {
                        return Err(self.err(
                            &key,
                            format!("{s:?} stops the clocks; it cannot pause them"),
                        ));
                    }
                    if !set.contains(&status) {
                        set.push(status);
                    }
                }
                set
            }
        };
        Ok(SlaPolicy::new(priorities, categories, pause_on))
    }
}
