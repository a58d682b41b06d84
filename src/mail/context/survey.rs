//! The mail of the survey and closure (issue 11): the reminder to the
//! requester (`survey_reminder`), and what the assignee (or group) is told
//! of a low rating (`survey_low`) or of a reopening from the page
//! (`survey_reopened`), and the requester's notice of the ticket closed by
//! itself (`closed`). The resolution mail itself is `resolved`
//! ([`super::requester_notice`]), with its links in `survey`.

use serde::Serialize;

use super::{Desk, TicketRef};
use crate::lifecycle::links::Links;

/// `survey_reminder`.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyReminder {
    pub desk: Desk,
    pub ticket: TicketRef,
    pub reference: String,
    pub requester: super::requester_notice::Requester,
    /// The links expire on this day (in the desk's zone).
    pub expires: String,
    pub survey: Links,
}

/// One rated question, as staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct Rated {
    pub question: String,
    pub rating: u8,
    pub label: &'static str,
}

/// `survey_low`.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyLow {
    pub desk: Desk,
    pub ticket: TicketRef,
    pub reference: String,
    pub requester: String,
    /// The ratings of 1 or 2.
    pub low: Vec<Rated>,
    /// Every rating, in the questions' order.
    pub ratings: Vec<Rated>,
    pub comment: Option<String>,
}

/// `survey_reopened`.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyReopened {
    pub desk: Desk,
    pub ticket: TicketRef,
    pub reference: String,
    pub requester: String,
    /// What is still wrong, in the requester's words.
    pub text: String,
}

/// `closed`: the ticket closed by itself, no answer having come.
#[derive(Debug, Clone, Serialize)]
pub struct Closed {
    pub desk: Desk,
    pub ticket: TicketRef,
    pub reference: String,
    pub requester: super::requester_notice::Requester,
    /// The day it was resolved (in the desk's zone).
    pub resolved: String,
    /// How long a reply still reopens it (`desk.reopen_window`), in words,
    /// and in days when it is whole days.
    pub reopen_within: String,
    pub reopen_days: Option<u64>,
}
