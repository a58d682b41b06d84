//! The service catalogue: groups, categories, and the urgency × impact
//! matrix that turns a ticket's urgency and impact into its priority.
//!
//! All of it is configuration (`[[group]]`, `[[category]]`, `[priority]`);
//! The `posko` crate's `config` validates it into these types, so everything here may
//! assume that every key it is given exists. No I/O.

use std::collections::HashMap;

use crate::domain::{EmailAddress, Language};

/// What kind of ticket it is (the recording form's kinds, plus change
/// requests and information security from the company SOP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketType {
    Incident,
    Request,
    Access,
    Change,
    Security,
}

impl TicketType {
    pub const ALL: [TicketType; 5] = [
        TicketType::Incident,
        TicketType::Request,
        TicketType::Access,
        TicketType::Change,
        TicketType::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketType::Incident => "incident",
            TicketType::Request => "request",
            TicketType::Access => "access",
            TicketType::Change => "change",
            TicketType::Security => "security",
        }
    }

    pub fn parse(s: &str) -> Option<TicketType> {
        TicketType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A text in the desk's two languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub id: String,
    pub en: String,
}

impl Names {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::Id => &self.id,
            Language::En => &self.en,
        }
    }
}

/// A team that works tickets: the service desk (L1), a specialist group
/// (L2) or a third party (L3).
#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub name: String,
    pub level: u8,
    /// Who gets the daily digest restricted to this group's tickets
    /// (`lead = "addr"` or a list); often nobody.
    pub leads: Vec<EmailAddress>,
}

/// One entry of the service catalogue.
#[derive(Debug, Clone)]
pub struct Category {
    pub key: String,
    pub name: Names,
    pub ticket_type: TicketType,
    /// The group a ticket of this category goes to unless a rule says otherwise.
    pub group: String,
    pub urgency: String,
    pub impact: String,
    /// Per-category SLA targets as written (e.g. "30m", "3d"); the SLA work
    /// reads them, and they override the per-priority targets.
    pub response: Option<String>,
    pub resolution: Option<String>,
}

/// A priority level: 1 is the highest.
#[derive(Debug, Clone)]
pub struct Level {
    pub value: u8,
    pub name: Names,
}

/// The level set and the urgency × impact matrix.
#[derive(Debug, Clone)]
pub struct PriorityScheme {
    /// The urgency scale, most urgent first.
    pub urgency: Vec<String>,
    /// The impact scale, widest first.
    pub impact: Vec<String>,
    pub levels: Vec<Level>,
    /// (urgency, impact) → level value; complete (validated at load).
    pub matrix: HashMap<(String, String), u8>,
}

impl PriorityScheme {
    /// The city SOP's three levels and matrix (ITIL v3).
    pub fn sop_default() -> PriorityScheme {
        let scale: Vec<String> = ["high", "medium", "low"].map(String::from).to_vec();
        let names = [("tinggi", "high"), ("sedang", "medium"), ("rendah", "low")];
        let levels = names
            .iter()
            .enumerate()
            .map(|(i, (id, en))| Level {
                value: i as u8 + 1,
                name: Names {
                    id: id.to_string(),
                    en: en.to_string(),
                },
            })
            .collect();
        let rows = [[1, 1, 2], [1, 2, 3], [2, 3, 3]];
        let mut matrix = HashMap::new();
        for (u, row) in scale.iter().zip(rows) {
            for (i, p) in scale.iter().zip(row) {
                matrix.insert((u.clone(), i.clone()), p);
            }
        }
        PriorityScheme {
            urgency: scale.clone(),
            impact: scale,
            levels,
            matrix,
        }
    }

    /// The priority of a ticket with this urgency and impact.
    pub fn priority(&self, urgency: &str, impact: &str) -> Option<u8> {
        self.matrix
            .get(&(urgency.to_string(), impact.to_string()))
            .copied()
    }

    pub fn level(&self, value: u8) -> Option<&Level> {
        self.levels.iter().find(|l| l.value == value)
    }

    /// "1 (tinggi)": the priority as the acknowledgment states it.
    pub fn describe(&self, value: u8, lang: Language) -> String {
        match self.level(value) {
            Some(l) => format!("{value} ({})", l.name.get(lang)),
            None => value.to_string(),
        }
    }
}

/// Groups, categories and the priority scheme, validated together.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub groups: Vec<Group>,
    pub categories: Vec<Category>,
    /// Index into `categories` of what a ticket gets when no rule names one.
    pub default_category: usize,
    /// True when the catalogue named no default and posko supplied the
    /// built-in `other` category ([`Catalogue::new`]).
    pub builtin_default: bool,
    pub priority: PriorityScheme,
}

impl Catalogue {
    /// What a configuration without `[[group]]` and `[[category]]` gets:
    /// one service-desk group and one category, `other`.
    pub fn minimal(priority: PriorityScheme) -> Catalogue {
        Catalogue::new(Vec::new(), Vec::new(), None, priority)
    }

    /// The catalogue of `groups` and `categories`, whose default (what a
    /// ticket gets when no rule names one) is `categories[default]`.
    ///
    /// Without a default, posko supplies a built-in `other` category (an
    /// incident of middling urgency and impact) routed to the service desk:
    /// the group keyed [`DEFAULT_GROUP`], else the first level-1 group,
    /// else a built-in `servicedesk` group. [`Catalogue::builtin_default`]
    /// says so, for `posko check`.
    pub fn new(
        mut groups: Vec<Group>,
        mut categories: Vec<Category>,
        default: Option<usize>,
        priority: PriorityScheme,
    ) -> Catalogue {
        let default = default.filter(|&i| i < categories.len());
        let builtin_default = default.is_none();
        let default_category = match default {
            Some(i) => i,
            None => {
                let desk = groups
                    .iter()
                    .find(|g| g.key == DEFAULT_GROUP)
                    .or_else(|| groups.iter().find(|g| g.level == 1))
                    .map(|g| g.key.clone());
                let desk = match desk {
                    Some(key) => key,
                    None => {
                        groups.push(Group {
                            key: DEFAULT_GROUP.into(),
                            name: "Service Desk".into(),
                            level: 1,
                            leads: Vec::new(),
                        });
                        DEFAULT_GROUP.into()
                    }
                };
                categories.push(builtin_other(&priority, desk));
                categories.len() - 1
            }
        };
        Catalogue {
            groups,
            categories,
            default_category,
            builtin_default,
            priority,
        }
    }

    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    pub fn group(&self, key: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.key == key)
    }

    pub fn default_category(&self) -> &Category {
        &self.categories[self.default_category]
    }
}

/// The built-in default category: `other`, an incident of middling urgency
/// and impact, routed to `group`.
fn builtin_other(priority: &PriorityScheme, group: String) -> Category {
    let medium = |scale: &[String]| {
        scale
            .get(scale.len() / 2)
            .cloned()
            .unwrap_or_else(|| "medium".into())
    };
    Category {
        key: DEFAULT_CATEGORY.into(),
        name: Names {
            id: "Lainnya".into(),
            en: "Other".into(),
        },
        ticket_type: TicketType::Incident,
        group,
        urgency: medium(&priority.urgency),
        impact: medium(&priority.impact),
        response: None,
        resolution: None,
    }
}

/// The key of the category used when no rule names one (unless a category
/// is marked `default = true`).
pub const DEFAULT_CATEGORY: &str = "other";
/// The group of the built-in `other` category: the service desk.
pub const DEFAULT_GROUP: &str = "servicedesk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sop_matrix() {
        let p = PriorityScheme::sop_default();
        assert_eq!(p.priority("high", "high"), Some(1));
        assert_eq!(p.priority("high", "medium"), Some(1));
        assert_eq!(p.priority("high", "low"), Some(2));
        assert_eq!(p.priority("medium", "high"), Some(1));
        assert_eq!(p.priority("medium", "medium"), Some(2));
        assert_eq!(p.priority("medium", "low"), Some(3));
        assert_eq!(p.priority("low", "high"), Some(2));
        assert_eq!(p.priority("low", "low"), Some(3));
        assert_eq!(p.priority("urgent", "low"), None);
        assert_eq!(p.describe(1, Language::Id), "1 (tinggi)");
        assert_eq!(p.describe(3, Language::En), "3 (low)");
    }

    #[test]
    fn minimal_catalogue_defaults_to_other_at_the_service_desk() {
        let c = Catalogue::minimal(PriorityScheme::sop_default());
        let d = c.default_category();
        assert_eq!(d.key, "other");
        assert_eq!(
            (d.urgency.as_str(), d.impact.as_str()),
            ("medium", "medium")
        );
        assert_eq!(c.group(&d.group).unwrap().level, 1);
    }

    fn category(key: &str, group: &str) -> Category {
        Category {
            key: key.into(),
            name: Names {
                id: key.into(),
                en: key.into(),
            },
            ticket_type: TicketType::Request,
            group: group.into(),
            urgency: "low".into(),
            impact: "low".into(),
            response: None,
            resolution: None,
        }
    }

    fn group(key: &str, level: u8) -> Group {
        Group {
            key: key.into(),
            name: key.into(),
            level,
            leads: Vec::new(),
        }
    }

    #[test]
    fn a_catalogue_without_a_default_gets_a_builtin_other_at_the_service_desk() {
        let p = PriorityScheme::sop_default();
        // The first level-1 group is the service desk.
        let c = Catalogue::new(
            vec![group("network", 2), group("helpdesk", 1)],
            vec![category("account", "helpdesk")],
            None,
            p.clone(),
        );
        assert!(c.builtin_default);
        let d = c.default_category();
        assert_eq!((d.key.as_str(), d.group.as_str()), ("other", "helpdesk"));
        assert_eq!(d.name.get(Language::En), "Other");
        assert_eq!(c.categories.len(), 2);
        assert_eq!(c.groups.len(), 2);
        // No level-1 group: a built-in service desk comes with it.
        let c = Catalogue::new(
            vec![group("network", 2)],
            vec![category("net", "network")],
            None,
            p.clone(),
        );
        let d = c.default_category();
        assert_eq!((d.key.as_str(), d.group.as_str()), ("other", DEFAULT_GROUP));
        assert_eq!(c.group(DEFAULT_GROUP).unwrap().level, 1);
        // A named default is kept.
        let c = Catalogue::new(
            vec![group("network", 2)],
            vec![category("net", "network")],
            Some(0),
            p,
        );
        assert!(!c.builtin_default);
        assert_eq!(c.default_category().key, "net");
    }
}
