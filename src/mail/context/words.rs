//! Contexts of the small fragments that put SLA figures into words in the
//! desk's language (`10 menit`, `respons`), and of the acknowledgment's
//! `sla` field.

use serde::Serialize;

/// Fragment `duration`: `10 menit`, `1 hour 30 minutes`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DurationWords {
    pub hours: i64,
    pub minutes: i64,
    pub seconds: i64,
    /// Seconds are shown when there are any, or when nothing else is.
    pub show_seconds: bool,
}

impl DurationWords {
    pub fn new(total: i64) -> DurationWords {
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60);
        DurationWords {
            hours,
            minutes,
            seconds,
            show_seconds: seconds > 0 || (hours <= 0 && minutes <= 0),
        }
    }
}

/// Fragment `clock_name`: `respons`, `resolution`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClockName {
    /// `response` or `resolution`.
    pub kind: &'static str,
}

/// Fragment `subject_prefix`: what an internal mail's subject starts with
/// (`Eskalasi`, `Major incident`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SubjectPrefix {
    /// The mail's kind: `security_alert`, `major_incident`,
    /// `non_participant` or `escalation`.
    pub kind: &'static str,
}

/// Fragment `status_name`: a status in words requesters read.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StatusName {
    /// The status's code: `new`, `in_progress`, `pending` …
    pub status: &'static str,
}

/// Fragment `type_name`: a ticket type's name (`Insiden`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TypeName {
    /// The type's code: `incident`, `request`, `access` …
    pub ticket_type: &'static str,
}

/// Fragment `sla_hours`: how the targets are counted.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlaHours {
    pub business_hours: bool,
}

/// Fragment `sla_confirm`: one line of a staff member's confirmation about
/// a clock their change re-targeted.
#[derive(Debug, Clone, Serialize)]
pub struct SlaConfirm {
    /// The clock's name in words.
    pub clock: String,
    /// Whether the clock is still measured.
    pub kept: bool,
    /// The new target in words (empty when not kept).
    pub target: String,
    /// The new due instant; empty while paused.
    pub due_at: String,
}

/// `sla` in the acknowledgment's context: the targets in words.
#[derive(Debug, Clone, Serialize)]
pub struct AckSla {
    pub response: String,
    pub resolution: String,
    pub response_seconds: i64,
    pub resolution_seconds: i64,
    pub business_hours: bool,
    /// `dihitung dalam jam kerja`.
    pub hours_text: String,
}
