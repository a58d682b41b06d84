//! What a ticket's events say happened: the `kind` column of `events`.
//!
//! The names are part of the database and the JSON interface (`posko show
//! --json`), so they are written here once, with [`EventKind::as_str`] and
//! [`EventKind::parse`] between the enum and the stored text.

use std::fmt;

/// The kinds of mail posko writes; `<kind>_queued` is the event of putting
/// one in the outbox. The names are the templates' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    Ack,
    StaffNew,
    SecurityAlert,
    MajorIncident,
    SlaWarning,
    SlaBreach,
    StaffReply,
    StatusChanged,
    Assigned,
    Escalated,
    Resolved,
    Merged,
    StaffConfirm,
    CommandError,
    Escalation,
    Help,
    NonParticipant,
}

impl MailKind {
    /// Every kind, in the order of the templates.
    pub const ALL: [MailKind; 17] = [
        MailKind::Ack,
        MailKind::StaffNew,
        MailKind::SecurityAlert,
        MailKind::MajorIncident,
        MailKind::SlaWarning,
        MailKind::SlaBreach,
        MailKind::StaffReply,
        MailKind::StatusChanged,
        MailKind::Assigned,
        MailKind::Escalated,
        MailKind::Resolved,
        MailKind::Merged,
        MailKind::StaffConfirm,
        MailKind::CommandError,
        MailKind::Escalation,
        MailKind::Help,
        MailKind::NonParticipant,
    ];

    /// The template's name, and the outbox row's `kind`.
    pub fn as_str(self) -> &'static str {
        self.names().0
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
            MailKind::StaffReply => ("staff_reply", "staff_reply_queued"),
            MailKind::StatusChanged => ("status_changed", "status_changed_queued"),
            MailKind::Assigned => ("assigned", "assigned_queued"),
            MailKind::Escalated => ("escalated", "escalated_queued"),
            MailKind::Resolved => ("resolved", "resolved_queued"),
            MailKind::Merged => ("merged", "merged_queued"),
            MailKind::StaffConfirm => ("staff_confirm", "staff_confirm_queued"),
            MailKind::CommandError => ("command_error", "command_error_queued"),
            MailKind::Escalation => ("escalation", "escalation_queued"),
            MailKind::Help => ("help", "help_queued"),
            MailKind::NonParticipant => ("non_participant", "non_participant_queued"),
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
    /// A command could not be read.
    CommandError,
    /// A command was refused (role, state, conflict).
    CommandRefused,
    /// A mail could not be delivered.
    DeliveryFailed,
    SlaStopped,
    SlaRestarted,
    SlaRetargeted,
    /// A breach climbed a step of the escalation chain.
    SlaEscalated,
    /// Staff set the language the requester is answered in (`#lang`).
    LanguageSet,
    /// A mail was put in the outbox.
    Queued(MailKind),
}

impl EventKind {
    /// Every kind without a mail, then the queueing of every mail.
    pub fn all() -> impl Iterator<Item = EventKind> {
        const PLAIN: [EventKind; 28] = [
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
            EventKind::DeliveryFailed,
            EventKind::SlaStopped,
            EventKind::SlaRestarted,
            EventKind::SlaRetargeted,
            EventKind::SlaEscalated,
            EventKind::LanguageSet,
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
            EventKind::DeliveryFailed => "delivery_failed",
            EventKind::SlaStopped => "sla_stopped",
            EventKind::SlaRestarted => "sla_restarted",
            EventKind::SlaRetargeted => "sla_retargeted",
            EventKind::SlaEscalated => "sla_escalated",
            EventKind::LanguageSet => "language_set",
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
        assert_eq!(seen.len(), 27 + MailKind::ALL.len());
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
}
