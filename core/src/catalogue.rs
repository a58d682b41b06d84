//! The service catalogue: groups, categories, and the urgency × impact
//! matrix that turns a ticket's urgency and impact into its priority.
//!
//! All of it is configuration (`[[group]]`, `[[category]]`, `[priority]`);
//! [`crate::config`] validates it into these types, so everything here may
//! assume that every key it is given exists. No I/O.

use std::collections::HashMap;

use crate::domain::Language;

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

    /// The name people read, in the desk's language.
    pub fn name(self, lang: Language) -> &'static str {
        match (self, lang) {
            (TicketType::Incident, Language::Id) => "Insiden",
            (TicketType::Incident, Language::En) => "Incident",
            (TicketType::Request, Language::Id) => "Permintaan layanan",
            (TicketType::Request, Language::En) => "Service request",
            (TicketType::Access, Language::Id) => "Permintaan akses",
            (TicketType::Access, Language::En) => "Access request",
            (TicketType::Change, Language::Id) => "Permintaan perubahan (RFC)",
            (TicketType::Change, Language::En) => "Change request (RFC)",
            (TicketType::Security, Language::Id) => "Keamanan informasi",
            (TicketType::Security, Language::En) => "Information security",
        }
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
    pub priority: PriorityScheme,
}

impl Catalogue {
    /// What a configuration without `[[group]]` and `[[category]]` gets:
    /// one service-desk group and one category, `other`.
    pub fn minimal(priority: PriorityScheme) -> Catalogue {
        let medium = |scale: &[String]| {
            scale
                .get(scale.len() / 2)
                .cloned()
                .unwrap_or_else(|| "medium".into())
        };
        Catalogue {
            groups: vec![Group {
                key: DEFAULT_GROUP.into(),
                name: "Service Desk".into(),
                level: 1,
            }],
            categories: vec![Category {
                key: DEFAULT_CATEGORY.into(),
                name: Names {
                    id: "Lainnya".into(),
                    en: "Other".into(),
                },
                ticket_type: TicketType::Incident,
                group: DEFAULT_GROUP.into(),
                urgency: medium(&priority.urgency),
                impact: medium(&priority.impact),
                response: None,
                resolution: None,
            }],
            default_category: 0,
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
}
