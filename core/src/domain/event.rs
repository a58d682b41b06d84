//! What a ticket's events say happened: the `kind` column of `events`.
//!
//! The names are part of the database and the JSON interface (`posko show
//! --json`), so they are written here once, with [`EventKind::as_str`] and
//! [`EventKind::parse`] between the enum and the stored text.

use std::fmt;

/// The kinds of mail posko writes; `<kind>_queued` is the event of putting
/// one in the outbox. The names are the templates' names, but for an
/// escalation step's notice (the breach template sent again) and a refused
/// or unreadable command's answer (`command_error`): [`MailKind::template`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    Ack,
    StaffNew,
    SecurityAlert,
    MajorIncident,
    SlaWarning,
    SlaBreach,
    /// A further step of the escalation chain: `sla_breach`'s template.
    SlaEscalated,
    StaffReply,
    StatusChanged,
    Assigned,
    Escalated,
    Resolved,
    Merged,
    StaffConfirm,
    CommandError,
    /// The `command_error` template, for commands refused (role, state,
    /// conflict).
    CommandRefused,
    /// The `command_error` template, for a command that could not be read.
    CommandInvalid,
    Escalation,
    Help,
    NonParticipant,
    /// The one reminder of the satisfaction survey (issue 11).
    SurveyReminder,
    /// A survey rated 1 or 2, to the assignee or group.
    SurveyLow,
    /// The requester reopened from the page, to the assignee or group.
    SurveyReopened,
    /// The ticket's record, for `#show`.
    Show,
    /// To the requester: the ticket closed by itself after its resolution.
    Closed,
}

impl MailKind {
    /// Every kind, in the order of the templates.
    pub const ALL: [MailKind; 25] = [
        MailKind::Ack,
        MailKind::StaffNew,
        MailKind::SecurityAlert,
        MailKind::MajorIncident,
        MailKind::SlaWarning,
        MailKind::SlaBreach,
        MailKind::SlaEscalated,
        MailKind::StaffReply,
        MailKind::StatusChanged,
        MailKind::Assigned,
        MailKind::Escalated,
        MailKind::Resolved,
        MailKind::Merged,
        MailKind::StaffConfirm,
        MailKind::CommandError,
        MailKind::CommandRefused,
        MailKind::CommandInvalid,
        MailKind::Escalation,
        MailKind::Help,
        MailKind::NonParticipant,
        MailKind::SurveyReminder,
        MailKind::SurveyLow,
        MailKind::SurveyReopened,
        MailKind::Show,
        MailKind::Closed,
    ];

    /// The outbox row's and the message row's `kind`.
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// The template it is rendered from.
    pub fn template(self) -> &'static str {
        match self {
            MailKind::SlaEscalated => MailKind::SlaBreach.as_str(),
            MailKind::CommandRefused | MailKind::CommandInvalid => MailKind::CommandError.as_str(),
            k => k.as_str(),
        }
    }

    /// The event of queueing it: `ack_queued`.
    pub fn queued(self) -> &'static str {
        self.names().1
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            MailKind::Ack => ("ack", "ack_queued"),
            MailKind::StaffNew => ("staff_new", "staff_new_queued"),
            MailKind::SecurityAlert => ("security_alert", "security_alert_queued"),
            MailKind::MajorIncident => ("major_incident", "major_incident_queued"),
            MailKind::SlaWarning => ("sla_warning", "sla_warning_queued"),
            MailKind::SlaBreach => ("sla_breach", "sla_breach_queued"),
            MailKind::SlaEscalated => ("sla_escalated", "sla_escalated_queued"),
            MailKind::StaffReply => ("staff_reply", "staff_reply_queued"),
            MailKind::StatusChanged => ("status_changed", "status_changed_queued"),
            MailKind::Assigned => ("assigned", "assigned_queued"),
            MailKind::Escalated => ("escalated", "escalated_queued"),
            MailKind::Resolved => ("resolved", "resolved_queued"),
            MailKind::Merged => ("merged", "merged_queued"),
            MailKind::StaffConfirm => ("staff_confirm", "staff_confirm_queued"),
            MailKind::CommandError => ("command_error", "command_error_queued"),
            MailKind::CommandRefused => ("command_refused", "command_refused_queued"),
            MailKind::CommandInvalid => ("command_invalid", "command_invalid_queued"),
            MailKind::Escalation => ("escalation", "escalation_queued"),
            MailKind::Help => ("help", "help_queued"),
            MailKind::NonParticipant => ("non_participant", "non_participant_queued"),
            MailKind::SurveyReminder => ("survey_reminder", "survey_reminder_queued"),
            MailKind::SurveyLow => ("survey_low", "survey_low_queued"),
            MailKind::SurveyReopened => ("survey_reopened", "survey_reopened_queued"),
            MailKind::Show => ("show", "show_queued"),
            MailKind::Closed => ("closed", "closed_queued"),
        }
    }
}

/// What happened to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The ticket was opened.
    Created,
    /// The rules classified it (type, category, priority, group).
    Classified,
    /// A rule said to ignore it: recorded, never answered.
    Ignored,
    /// No acknowledgment went out (rate limits, requester domains).
    AckSuppressed,
    /// A message joined the ticket.
    CommentAdded,
    StatusChanged,
    /// A reply brought a resolved or closed ticket back to life.
    Reopened,
    Assigned,
    PriorityChanged,
    Recategorised,
    Escalated,
    WatcherAdded,
    /// Merged into another ticket.
    Merged,
    /// Another ticket was merged into this one.
    MergedFrom,
    FollowedUp,
    /// Staff answered the requester for the first time.
    FirstResponse,
    /// Staff opened it for someone else.
    OpenedOnBehalf,
    /// A mail from someone who does not take part in the ticket.
    NonParticipant,
    /// A mail claiming a staff From that did not prove it.
    SenderUnverified,
    /// Staff commands were applied.
    Command,
    /// Not written by this version (a command that could not be read is
    /// [`EventKind::CommandInvalid`]); kept so the name stays taken.
    CommandError,
    /// A command was refused (role, state, conflict).
    CommandRefused,
    /// A command could not be read, and none applied.
    CommandInvalid,
    /// A mail could not be delivered.
    DeliveryFailed,
    /// A clock's warning threshold was crossed.
    SlaWarning,
    /// A clock's target passed.
    SlaBreach,
    SlaStopped,
    SlaRestarted,
    SlaRetargeted,
    /// A breach climbed a step of the escalation chain.
    SlaEscalated,
    /// The satisfaction survey went to the requester.
    SurveySent,
    /// The requester was reminded of the survey.
    SurveyReminded,
    /// The requester answered the survey.
    SurveyAnswered,
    /// The requester confirmed the resolution.
    Confirmed,
    /// A resolved ticket closed by itself after its waiting time.
    AutoClosed,
    /// The requester's language was set.
    LanguageSet,
    /// The ticket was counted in a managers' digest that went out.
    DigestSent,
    /// A mail was put in the outbox.
    Queued(MailKind),
}

impl EventKind {
    /// Every kind without a mail, then the queueing of every mail.
    pub fn all() -> impl Iterator<Item = EventKind> {
        const PLAIN: [EventKind; 37] = [
            EventKind::Created,
            EventKind::Classified,
            EventKind::Ignored,
            EventKind::AckSuppressed,
            EventKind::CommentAdded,
            EventKind::StatusChanged,
            EventKind::Reopened,
            EventKind::Assigned,
            EventKind::PriorityChanged,
            EventKind::Recategorised,
            EventKind::Escalated,
            EventKind::WatcherAdded,
            EventKind::Merged,
            EventKind::MergedFrom,
            EventKind::FollowedUp,
            EventKind::FirstResponse,
            EventKind::OpenedOnBehalf,
            EventKind::NonParticipant,
            EventKind::SenderUnverified,
            EventKind::Command,
            EventKind::CommandError,
            EventKind::CommandRefused,
            EventKind::CommandInvalid,
            EventKind::DeliveryFailed,
            EventKind::SlaWarning,
            EventKind::SlaBreach,
            EventKind::SlaStopped,
            EventKind::SlaRestarted,
            EventKind::SlaRetargeted,
            EventKind::SlaEscalated,
            EventKind::SurveySent,
            EventKind::SurveyReminded,
            EventKind::SurveyAnswered,
            EventKind::Confirmed,
            EventKind::AutoClosed,
            EventKind::LanguageSet,
            EventKind::DigestSent,
        ];
        PLAIN
            .into_iter()
            .chain(MailKind::ALL.into_iter().map(EventKind::Queued))
    }

    /// The name stored in `events.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Classified => "classified",
            EventKind::Ignored => "ignored",
            EventKind::AckSuppressed => "ack_suppressed",
            EventKind::CommentAdded => "comment_added",
            EventKind::StatusChanged => "status_changed",
            EventKind::Reopened => "reopened",
            EventKind::Assigned => "assigned",
            EventKind::PriorityChanged => "priority_changed",
            EventKind::Recategorised => "recategorised",
            EventKind::Escalated => "escalated",
            EventKind::WatcherAdded => "watcher_added",
            EventKind::Merged => "merged",
            EventKind::MergedFrom => "merged_from",
            EventKind::FollowedUp => "followed_up",
            EventKind::FirstResponse => "first_response",
            EventKind::OpenedOnBehalf => "opened_on_behalf",
            EventKind::NonParticipant => "non_participant",
            EventKind::SenderUnverified => "sender_unverified",
            EventKind::Command => "command",
            EventKind::CommandError => "command_error",
            EventKind::CommandRefused => "command_refused",
            EventKind::CommandInvalid => "command_invalid",
            EventKind::DeliveryFailed => "delivery_failed",
            EventKind::SlaWarning => "sla_warning",
            EventKind::SlaBreach => "sla_breach",
            EventKind::SlaStopped => "sla_stopped",
            EventKind::SlaRestarted => "sla_restarted",
            EventKind::SlaRetargeted => "sla_retargeted",
            EventKind::SlaEscalated => "sla_escalated",
            EventKind::SurveySent => "survey_sent",
            EventKind::SurveyReminded => "survey_reminded",
            EventKind::SurveyAnswered => "survey_answered",
            EventKind::Confirmed => "confirmed",
            EventKind::AutoClosed => "auto_closed",
            EventKind::LanguageSet => "language_set",
            EventKind::DigestSent => "digest_sent",
            EventKind::Queued(mail) => mail.queued(),
        }
    }

    /// The kind stored as `s`; `None` for a name posko does not write.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::all().find(|k| k.as_str() == s)
    }

    /// Whether it records a mail put in the outbox.
    pub fn is_queued(self) -> bool {
        matches!(self, EventKind::Queued(_))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_reads_back() {
        let mut seen = HashSet::new();
        for k in EventKind::all() {
            assert!(seen.insert(k.as_str()), "{k} twice");
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(seen.len(), 37 + MailKind::ALL.len());
        assert_eq!(
            EventKind::parse("sla_breach_queued"),
            Some(EventKind::Queued(MailKind::SlaBreach))
        );
        assert!(EventKind::Queued(MailKind::Ack).is_queued());
        assert_eq!(EventKind::parse("nonsense"), None);
        for m in MailKind::ALL {
            assert_eq!(MailKind::parse(m.as_str()), Some(m));
        }
    }

    /// Existing databases hold these names: a rename here would orphan
    /// their events, so the list is written out, not derived.
    #[test]
    fn the_stored_names_stay_as_they_are() {
        let stored = [
            "created",
            "classified",
            "ignored",
            "ack_suppressed",
            "comment_added",
            "status_changed",
            "reopened",
            "assigned",
            "priority_changed",
            "recategorised",
            "escalated",
            "watcher_added",
            "merged",
            "merged_from",
            "followed_up",
            "first_response",
            "opened_on_behalf",
            "non_participant",
            "sender_unverified",
            "command",
            "command_error",
            "command_refused",
            "command_invalid",
            "delivery_failed",
            "sla_warning",
            "sla_breach",
            "sla_stopped",
            "sla_restarted",
            "sla_retargeted",
            "sla_escalated",
            "survey_sent",
            "survey_reminded",
            "survey_answered",
            "confirmed",
            "auto_closed",
            "language_set",
            "digest_sent",
            "ack_queued",
            "staff_new_queued",
            "security_alert_queued",
            "major_incident_queued",
            "sla_warning_queued",
            "sla_breach_queued",
            "sla_escalated_queued",
            "staff_reply_queued",
            "status_changed_queued",
            "assigned_queued",
            "escalated_queued",
            "resolved_queued",
            "merged_queued",
            "staff_confirm_queued",
            "command_error_queued",
            "command_refused_queued",
            "command_invalid_queued",
            "escalation_queued",
            "help_queued",
            "non_participant_queued",
            "survey_reminder_queued",
            "survey_low_queued",
            "survey_reopened_queued",
            "show_queued",
            "closed_queued",
        ];
        let written: Vec<&str> = EventKind::all().map(EventKind::as_str).collect();
        assert_eq!(written, stored);
        assert_eq!(MailKind::SlaEscalated.template(), "sla_breach");
        assert_eq!(MailKind::Ack.template(), "ack");
    }
}
