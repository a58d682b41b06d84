//! Figures and names in words, in the desk's language: durations (`10
//! menit`, `1 hour 30 minutes`), clock names (`respons`), how targets are
//! counted, statuses, ticket types and internal subjects' prefixes. The
//! words are in the templates (`duration`, `clock_name`, `sla_hours`,
//! `sla_confirm`, `status_name`, `type_name`, `subject_prefix`), so a desk
//! can change them like any other text.

use std::sync::OnceLock;

use anyhow::Result;

use crate::catalogue::TicketType;
use crate::config::Language;
use crate::domain::{MailKind, Status};
use crate::mail::context::{
    ClockName, DurationWords, SlaConfirm, SlaHours, StatusName, SubjectPrefix, TypeName,
};
use crate::mail::templates::Templates;
use crate::sla::ClockKind;

impl Templates {
    /// `seconds` in words: `10 menit`, `8 jam`, `1 hour 30 minutes`.
    pub fn duration(&self, seconds: i64, lang: Language) -> Result<String> {
        self.fragment("duration", lang, &DurationWords::new(seconds))
    }

    /// The clock's name: `respons`, `resolution`.
    pub fn clock_name(&self, kind: ClockKind, lang: Language) -> Result<String> {
        let ctx = ClockName {
            kind: kind.as_str(),
        };
        self.fragment("clock_name", lang, &ctx)
    }

    /// How targets are counted: `dihitung dalam jam kerja`.
    pub fn sla_hours(&self, business_hours: bool, lang: Language) -> Result<String> {
        self.fragment("sla_hours", lang, &SlaHours { business_hours })
    }

    /// A confirmation's line about a re-targeted clock.
    pub fn sla_confirm(&self, ctx: &SlaConfirm, lang: Language) -> Result<String> {
        self.fragment("sla_confirm", lang, ctx)
    }

    /// What the subject of an internal mail of `kind` starts with.
    pub fn subject_prefix(&self, kind: MailKind, lang: Language) -> Result<String> {
        let ctx = SubjectPrefix {
            kind: kind.as_str(),
        };
        self.fragment("subject_prefix", lang, &ctx)
    }

    /// A status in words requesters read: `sedang dikerjakan`.
    pub fn status_name(&self, status: Status, lang: Language) -> Result<String> {
        let ctx = StatusName {
            status: status.as_str(),
        };
        self.fragment("status_name", lang, &ctx)
    }

    /// A ticket type's name: `Insiden`, `Service request`.
    pub fn type_name(&self, ticket_type: TicketType, lang: Language) -> Result<String> {
        let ctx = TypeName {
            ticket_type: ticket_type.as_str(),
        };
        self.fragment("type_name", lang, &ctx)
    }
}

/// The built-in templates, compiled once: for text outside mail (the
/// CLI's views), which no desk override applies to.
pub fn builtin() -> &'static Templates {
    static BUILTIN: OnceLock<Templates> = OnceLock::new();
    BUILTIN.get_or_init(|| Templates::load(None).expect("the built-in templates compile"))
}

/// `seconds` in words with the built-in templates (see [`builtin`]).
pub fn human_duration(seconds: i64, lang: Language) -> String {
    builtin()
        .duration(seconds, lang)
        .unwrap_or_else(|_| format!("{seconds} s"))
}

/// An instant as people read it in mail: the desk's zone, numeric
/// (`2026-11-23 09:10 WIB`), so no month name has to be in a language.
pub fn local_time(tz: &chrono_tz::Tz, t: i64) -> String {
    use chrono::TimeZone;
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(600, Language::Id), "10 menit");
        assert_eq!(human_duration(8 * 3600, Language::Id), "8 jam");
        assert_eq!(human_duration(3600, Language::En), "1 hour");
        assert_eq!(human_duration(5400, Language::En), "1 hour 30 minutes");
        assert_eq!(human_duration(450, Language::Id), "7 menit 30 detik");
        assert_eq!(human_duration(0, Language::En), "0 seconds");
        assert_eq!(human_duration(1, Language::En), "1 second");
        assert_eq!(human_duration(3661, Language::Id), "1 jam 1 menit 1 detik");
        assert_eq!(human_duration(7202, Language::En), "2 hours 2 seconds");
    }

    #[test]
    fn clock_names_and_hours() {
        let t = builtin();
        assert_eq!(
            t.clock_name(ClockKind::Response, Language::Id).unwrap(),
            "respons"
        );
        assert_eq!(
            t.clock_name(ClockKind::Resolution, Language::En).unwrap(),
            "resolution"
        );
        assert_eq!(
            t.sla_hours(true, Language::Id).unwrap(),
            "dihitung dalam jam kerja"
        );
        assert_eq!(
            t.sla_hours(false, Language::En).unwrap(),
            "counted around the clock"
        );
    }
}
