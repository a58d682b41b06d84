//! Detects mail sent by machines (bounces, auto-replies, lists); see RFC 3834.
//!
//! A helpdesk that answers a robot can loop forever with it. Whatever this
//! module flags still becomes a ticket or a comment (nothing is lost), but
//! never gets an automatic answer.
//!
//! The rules run from the most to the least certain evidence: the MIME
//! structure of a report (RFC 3462/3464/8098, ARF RFC 5965) cannot be typed by
//! accident; explicit headers (`Auto-Submitted`, `X-Failed-Recipients`, list
//! headers, `Precedence`) are set by software; the sender's address comes
//! next; subject and body wording comes last and, where a person could write
//! the same words, only counts together with other evidence. The first rule
//! that fires decides the kind, so a bounce that also carries
//! `Auto-Submitted` is still a bounce.
//!
//! Everything here is a pure function of the parsed message.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

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

fn verdict(kind: AutoKind, reason: impl Into<String>) -> Option<AutoVerdict> {
    Some(AutoVerdict {
        kind,
        reason: reason.into(),
    })
}

/// `Some` when a machine sent `msg`.
pub fn classify(msg: &Message<'_>) -> Option<AutoVerdict> {
    let facts = Facts::gather(msg);
    report_structure(msg)
        .or_else(|| feedback_signs(msg, &facts))
        .or_else(|| ndr_headers(msg))
        .or_else(|| ses_notification(&facts))
        .or_else(|| daemon_bounce(&facts))
        .or_else(|| ndr_wording(&facts))
        .or_else(|| auto_headers(msg, &facts))
        .or_else(|| list_headers(msg))
        .or_else(|| precedence(msg, &facts))
        .or_else(|| auto_reply_subject(&facts))
        .or_else(|| daemon_sender(&facts))
        .or_else(|| noreply_sender(&facts))
}

/// What several rules look at, computed once.
struct Facts {
    /// Lower-cased subject with leading reply prefixes removed.
    subject: String,
    /// Lower-cased, trimmed subject as sent.
    whole_subject: String,
    /// Lower-cased start of the readable body (text parts of this message
    /// only, never of a message attached to it).
    body: String,
    /// The null reverse-path RFC 5321 reserves for notifications so that
    /// they are never answered (`Return-Path: <>`, or an empty `From`); the
    /// value names the header for `reason`.
    null_sender: Option<&'static str>,
    /// From / Sender / Return-Path local part of a mail system account.
    daemon: Option<String>,
    /// From / Sender local part like `noreply`.
    noreply: Option<String>,
    /// The NDR subject phrase, if the subject starts with one.
    ndr_subject: Option<&'static str>,
    /// A phrase only delivery software writes, if the body has one.
    ndr_body: Option<&'static str>,
    /// The message carries an original message or its headers: what a
    /// bounce quotes. A person forwarding as attachment does too, but then
    /// the subject starts with `Fw:`, which no NDR rule accepts.
    carries_original: bool,
}

/// How much of the body the wording rules read: notifications say what they
/// are near the top, and reading megabytes of attachments-as-text is waste.
const BODY_SCAN: usize = 6000;

impl Facts {
    fn gather(msg: &Message<'_>) -> Facts {
        let whole_subject = msg.subject().unwrap_or_default().trim().to_lowercase();
        let subject = strip_reply_prefixes(&whole_subject);
        let body = body_start(msg).to_lowercase();
        let authors: Vec<&mail_parser::Addr<'_>> = [msg.from(), msg.sender()]
            .into_iter()
            .flatten()
            .flat_map(|a| a.iter())
            .collect();
        let null_return_path = msg.header_raw("Return-Path").is_some_and(|rp| {
            rp.trim()
                .trim_matches(|c| c == '<' || c == '>')
                .trim()
                .is_empty()
        });
        // `From: MAILER-DAEMON <>` (DragonFly, some spam) is the null sender
        // written into the header instead of the envelope. Only when no
        // author has an address: one broken mailbox in a list is a typo.
        let null_from = !authors.is_empty()
            && authors
                .iter()
                .all(|a| a.address().is_none_or(|ad| ad.trim().is_empty()));
        let null_sender = if null_return_path {
            Some("Return-Path: <>")
        } else if null_from {
            Some("From: <>")
        } else {
            None
        };
        let senders = sender_addresses(msg);
        let daemon = senders
            .iter()
            .find(|a| is_daemon_local(local_part(a)))
            .cloned()
            .or_else(|| {
                // The display name alone when the address is missing or odd.
                authors
                    .iter()
                    .filter_map(|a| a.name())
                    .find(|n| is_daemon_name(n))
                    .map(|n| n.trim().to_string())
            });
        let noreply = senders
            .iter()
            .find(|a| is_noreply_local(local_part(a)))
            .cloned();
        let ndr_subject = NDR_SUBJECTS
            .iter()
            .find(|p| subject.starts_with(&p.to_lowercase()))
            .copied();
        let ndr_body = first_phrase(&NDR_BODY_SET, NDR_BODY, &body);
        let carries_original = msg.parts.iter().any(|p| {
            matches!(p.body, PartType::Message(_))
                || content_type_is(p, "text", "rfc822-headers")
                || content_type_is(p, "message", "rfc822-headers")
        });
        Facts {
            subject,
            whole_subject,
            body,
            null_sender,
            daemon,
            noreply,
            ndr_subject,
            ndr_body,
            carries_original,
        }
    }

    /// Whether the message reads like a delivery report.
    fn looks_like_dsn(&self) -> bool {
        self.ndr_subject.is_some() || self.ndr_body.is_some()
    }

    /// Whether a mail system's own account is writing about a failure. Coming
    /// from such an account, much vaguer wording is enough than from anyone.
    fn daemon_reports_failure(&self) -> bool {
        self.looks_like_dsn()
            || self.carries_original
            || DAEMON_SUBJECT_HINTS
                .iter()
                .any(|h| self.whole_subject.contains(h))
            || DAEMON_BODY_HINTS.iter().any(|h| self.body.contains(h))
    }
}

// ---------------------------------------------------------------------------
// Rules, strongest first.
// ---------------------------------------------------------------------------

/// RFC 6522 `multipart/report` and the machine-readable parts it carries.
fn report_structure(msg: &Message<'_>) -> Option<AutoVerdict> {
    let root = msg.root_part();
    if let Some(ct) = root.content_type().filter(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        let report_type = ct
            .attribute("report-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let kind = match report_type.as_str() {
            "delivery-status" | "global-delivery-status" => Some(AutoKind::Bounce),
            "disposition-notification" | "global-disposition-notification" => {
                // A read receipt: an automatic answer to the original mail.
                Some(AutoKind::AutoReply)
            }
            "feedback-report" => Some(AutoKind::Feedback),
            _ => None,
        };
        if let Some(kind) = kind {
            return verdict(
                kind,
                format!("Content-Type: multipart/report; report-type={report_type}"),
            );
        }
        // A missing or unknown report-type: the parts tell what it is, and a
        // report without a known part is still a report from a machine.
        return report_parts(msg).or_else(|| {
            let reason = if report_type.is_empty() {
                "Content-Type: multipart/report".to_string()
            } else {
                format!("Content-Type: multipart/report; report-type={report_type}")
            };
            verdict(AutoKind::Bounce, reason)
        });
    }
    report_parts(msg)
}

/// A machine-readable report part anywhere in this message (not inside an
/// attached one), whatever the outer type says.
fn report_parts(msg: &Message<'_>) -> Option<AutoVerdict> {
    for part in &msg.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        if !ct.ctype().eq_ignore_ascii_case("message") {
            continue;
        }
        let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
        let kind = match sub.as_str() {
            "delivery-status" | "global-delivery-status" => AutoKind::Bounce,
            "feedback-report" => AutoKind::Feedback,
            "disposition-notification" | "global-disposition-notification" => AutoKind::AutoReply,
            _ => continue,
        };
        return verdict(kind, format!("part Content-Type: message/{sub}"));
    }
    None
}

/// ARF reports without the standard structure, and their relatives.
fn feedback_signs(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
    if let Some(v) = header_values(msg, "Feedback-Type").next() {
        return verdict(AutoKind::Feedback, format!("Feedback-Type: {}", v.trim()));
    }
    // Old AOL-style reports put the ARF fields into a text part.
    if facts.body.contains("\nfeedback-type:") || facts.body.starts_with("feedback-type:") {
        return verdict(AutoKind::Feedback, "body: Feedback-Type:");
    }
    // Apple Mail's one-click unsubscribe answers a list mail on its own.
    if header_values(msg, "X-Apple-Unsubscribe").any(|v| v.trim().eq_ignore_ascii_case("true")) {
        return verdict(AutoKind::Feedback, "X-Apple-Unsubscribe: true");
    }
    // Microsoft's JMRP complaint forwards the reported mail, stamped with
    // the complaining recipient, inside a plain multipart/mixed.
    let jmrp = msg.parts.iter().any(|part| {
        matches!(&part.body, PartType::Message(inner)
            if inner.header_raw("X-HmXmrOriginalRecipient").is_some())
    });
    if jmrp {
        return verdict(
            AutoKind::Feedback,
            "attached message has X-HmXmrOriginalRecipient",
        );
    }
    None
}

/// Amazon SES forwards its bounce, complaint and delivery events through
/// SNS as a JSON document in a plain-text mail.
fn ses_notification(facts: &Facts) -> Option<AutoVerdict> {
    let compact: String = facts
        .body
        .chars()
        .take(400)
        .filter(|c| !c.is_whitespace())
        .collect();
    let (kind, ty) = [
        (AutoKind::Bounce, "bounce"),
        (AutoKind::Feedback, "complaint"),
        (AutoKind::Bounce, "delivery"),
    ]
    .into_iter()
    .find(|(_, ty)| compact.contains(&format!("\"notificationtype\":\"{ty}\"")))?;
    verdict(kind, format!("body: SES notificationType {ty}"))
}

/// Headers only delivery software adds to a non-delivery report.
fn ndr_headers(msg: &Message<'_>) -> Option<AutoVerdict> {
    if msg.header_raw("X-Failed-Recipients").is_some() {
        return verdict(AutoKind::Bounce, "X-Failed-Recipients");
    }
    if header_values(msg, "X-MS-Exchange-Message-Is-Ndr")
        .next()
        .is_some()
    {
        return verdict(AutoKind::Bounce, "X-MS-Exchange-Message-Is-Ndr");
    }
    None
}

/// Who sent it when the null sender or a mail-system account did.
fn daemon_who(facts: &Facts) -> Option<String> {
    match (&facts.daemon, facts.null_sender) {
        (Some(d), _) => Some(format!("sender {d}")),
        (None, Some(h)) => Some(h.to_string()),
        (None, None) => None,
    }
}

/// A mail system's account, or the null sender, writing about a delivery.
fn daemon_bounce(facts: &Facts) -> Option<AutoVerdict> {
    let who = daemon_who(facts)?;
    facts.daemon_reports_failure().then_some(AutoVerdict {
        kind: AutoKind::Bounce,
        reason: who,
    })
}

/// The null sender and mail-system accounts never expect an answer, even
/// when nothing else tells what they sent. Vacation responders use the null
/// sender too (RFC 3834 section 3.3), which the earlier rules have sorted out.
fn daemon_sender(facts: &Facts) -> Option<AutoVerdict> {
    verdict(AutoKind::Bulk, daemon_who(facts)?)
}

/// Vendor NDRs without the standard structure, recognised by wording.
///
/// A person may forward a bounce or paste one into a request ("why did my
/// mail bounce?"), so the subject or the body alone is not enough: the
/// subject must open with the phrase (forwards start with `Fw:`), and it must
/// be backed by delivery-software wording in the body or a quoted original.
/// The body alone counts only when its very first line is a mail system
/// introducing itself.
fn ndr_wording(facts: &Facts) -> Option<AutoVerdict> {
    if let Some(s) = facts
        .ndr_subject
        .filter(|_| facts.ndr_body.is_some() || facts.carries_original)
    {
        return verdict(AutoKind::Bounce, format!("subject: {s}"));
    }
    // An MTA's complete fixed subject, unprefixed, is as good as a header:
    // a person writing about a bounce says more ("Undeliverable to X?").
    if let Some(s) = NDR_WHOLE_SUBJECTS
        .iter()
        .find(|s| facts.whole_subject == s.to_lowercase())
    {
        return verdict(AutoKind::Bounce, format!("subject: {s}"));
    }
    let first_line = facts.body.trim_start().lines().next().unwrap_or("");
    if let Some(p) = NDR_FIRST_LINES.iter().find(|p| first_line.starts_with(*p)) {
        return verdict(AutoKind::Bounce, format!("body: {p}"));
    }
    None
}

/// RFC 3834 `Auto-Submitted` and the vendor headers that predate it.
fn auto_headers(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
    if let Some(v) = msg.header_raw("Auto-Submitted") {
        let v = v.trim().to_ascii_lowercase();
        // The value may carry a comment, e.g. `auto-generated (failure)`.
        let keyword = v
            .split(|c: char| c == ';' || c == '(' || c.is_whitespace())
            .next();
        if keyword != Some("no") && !v.is_empty() {
            let kind = if v.starts_with("auto-replied") {
                AutoKind::AutoReply
            } else if facts.looks_like_dsn() {
                AutoKind::Bounce
            } else if auto_reply_subject_phrase(facts).is_some() {
                AutoKind::AutoReply
            } else {
                // auto-generated / auto-notified: a notice, not an answer.
                AutoKind::Bulk
            };
            return verdict(kind, format!("Auto-Submitted: {v}"));
        }
    }
    // Headers whose mere presence marks an automatic answer.
    for name in [
        "X-Autoreply",
        "X-Autorespond",
        "X-AutoReply-From",
        "X-Mail-Autoreply",
        "X-Autoresponder",
        "X-Vacation",
    ] {
        let value = header_values(msg, name).next().map(str::trim);
        if let Some(v) =
            value.filter(|v| !matches!(v.to_ascii_lowercase().as_str(), "no" | "false" | "0"))
        {
            return verdict(AutoKind::AutoReply, format!("{name}: {v}"));
        }
    }
    // Apple iCloud's vacation responder.
    if header_values(msg, "X-Apple-Action").any(|v| v.trim().eq_ignore_ascii_case("vacation")) {
        return verdict(AutoKind::AutoReply, "X-Apple-Action: VACATION");
    }
    // Microsoft: the sender asks that nobody answers it automatically, which
    // Exchange does on its own out-of-office replies and on notifications.
    if let Some(v) = header_values(msg, "X-Auto-Response-Suppress").next() {
        let lower = v.to_ascii_lowercase();
        let asks = lower
            .split(|c: char| c == ',' || c.is_whitespace())
            .any(|t| matches!(t, "all" | "oof" | "autoreply"));
        if asks {
            let kind = if auto_reply_subject_phrase(facts).is_some() {
                AutoKind::AutoReply
            } else {
                AutoKind::Bulk
            };
            return verdict(kind, format!("X-Auto-Response-Suppress: {}", v.trim()));
        }
    }
    // `X-Autogenerated: Reply` (and Forward, Group, Mirror) from older
    // groupware; FirstClass marks its own mail the same way.
    for name in ["X-Autogenerated", "X-FC-MachineGenerated"] {
        if let Some(v) = header_values(msg, name).next() {
            let kind = if v.trim().eq_ignore_ascii_case("reply")
                || auto_reply_subject_phrase(facts).is_some()
            {
                AutoKind::AutoReply
            } else {
                AutoKind::Bulk
            };
            return verdict(kind, format!("{name}: {}", v.trim()));
        }
    }
    // Set by list managers and ticket systems to stop exactly this kind of
    // loop: whoever set it is software that has seen the mail before.
    if let Some(v) = header_values(msg, "X-Loop").next() {
        let kind = if auto_reply_subject_phrase(facts).is_some() {
            AutoKind::AutoReply
        } else {
            AutoKind::Bulk
        };
        return verdict(kind, format!("X-Loop: {}", v.trim()));
    }
    None
}

/// RFC 2369 / RFC 2919 list headers.
fn list_headers(msg: &Message<'_>) -> Option<AutoVerdict> {
    [
        "List-Id",
        "List-Unsubscribe",
        "List-Post",
        "List-Subscribe",
        "List-Help",
        "List-Owner",
        "List-Archive",
        // Pre-RFC 2369 list managers (ezmlm, fml).
        "Mailing-List",
        "X-Mailing-List",
        "X-ML-Name",
        "X-MLServer",
    ]
    .into_iter()
    .find(|name| msg.header_raw(*name).is_some())
    .and_then(|name| verdict(AutoKind::List, name))
}

/// The old `Precedence` header (RFC 3834 section 2 says not to answer these).
fn precedence(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
    let v = msg.header_raw("Precedence")?.trim().to_ascii_lowercase();
    let kind = match v.as_str() {
        "list" => AutoKind::List,
        "auto_reply" | "auto-reply" => AutoKind::AutoReply,
        // Vacation programs traditionally send their answer as `junk`.
        "bulk" | "junk" if auto_reply_subject_phrase(facts).is_some() => AutoKind::AutoReply,
        "bulk" | "junk" => AutoKind::Bulk,
        _ => return None,
    };
    verdict(kind, format!("Precedence: {v}"))
}

/// Auto-reply wording with no header to back it (Exchange and iCloud often
/// send none).
fn auto_reply_subject(facts: &Facts) -> Option<AutoVerdict> {
    let p = auto_reply_subject_phrase(facts)?;
    verdict(AutoKind::AutoReply, format!("subject: {p}"))
}

/// `noreply@`-style senders send notifications and read no answers.
fn noreply_sender(facts: &Facts) -> Option<AutoVerdict> {
    let who = facts.noreply.as_ref()?;
    let kind = if facts.looks_like_dsn() {
        AutoKind::Bounce
    } else {
        AutoKind::Bulk
    };
    verdict(kind, format!("sender {who}"))
}

// ---------------------------------------------------------------------------
// Wording tables. Matched lower-cased; the table spelling goes into `reason`.
// ---------------------------------------------------------------------------

/// Subjects that open a non-delivery report, by MTA or provider.
const NDR_SUBJECTS: &[&str] = &[
    "Undelivered Mail Returned to Sender", // Postfix
    "Undelivered Mail",
    "Delivery Status Notification", // Gmail, Exchange: (Failure) / (Delay)
    "Delivery Notification",
    "Mail delivery failed", // Exim
    "Mail delivery failure",
    "Message delivery failed",
    "Delivery failure",
    "Delivery failed",
    "Delivery has failed",
    "Failure notice", // qmail
    "Failed mail",
    "Failed delivery",
    "Returned mail", // sendmail
    "Return mail",
    "Undeliverable", // Exchange, Outlook
    "Undeliverable mail",
    "Undeliverable message",
    "Unzustellbar",
    "Nicht zustellbar",
    "Non remis",
    "Non recapitabile",
    "No se puede entregar",
    "Não é possível entregar",
    "Onbestelbaar",
    "Warning: could not send message", // sendmail delay warning
    "Warning: message",
    "Delayed Mail",
    "Delivery delayed",
    "Mail could not be delivered",
    "Message could not be delivered",
    "Message not delivered",
    "Mail System Error",
    "Nondeliverable mail",
    "Non-delivery",
    "Notice of delivery failure",
    "Notification d'état de remise",
    "Benachrichtung zum Übermittlungsstatus",
    "Sorry, your message could not be delivered",
    "Your message could not be delivered",
    "Message Delivery Failure",
    "DELIVERY FAILURE:", // Lotus Domino
    "Rejected:",
    "Email address could not be found",
];

/// Complete subjects that MTAs and gateways use verbatim for their reports.
const NDR_WHOLE_SUBJECTS: &[&str] = &[
    "Undelivered Mail Returned to Sender",
    "Delivery Status Notification (Failure)",
    "Delivery Status Notification (Delay)",
    "Mail delivery failed: returning message to sender",
    "Mail delivery failed",
    "failure notice",
    "Failed mail",
    "Returned mail: see transcript for details",
    "Returned mail: User unknown",
    "Returned mail",
    "Undeliverable mail",
    "Nondeliverable mail",
    "Mail System Error - Returned Mail",
    "Warning: could not send message for past 4 hours",
    "Delivery Notification: Delivery has failed",
    "Message delivery has failed",
];

/// [`NDR_BODY`] as one automaton: every message's body is checked for all
/// of them, and one pass over 6,000 characters beats thirty-three.
static NDR_BODY_SET: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(NDR_BODY).expect("NDR_BODY phrases build an automaton"));

/// The first phrase of `phrases` (in list order, as `set` was built from
/// it) that occurs in `text`.
fn first_phrase(set: &AhoCorasick, phrases: &[&'static str], text: &str) -> Option<&'static str> {
    set.find_overlapping_iter(text)
        .map(|m| m.pattern().as_usize())
        .min()
        .map(|i| phrases[i])
}

/// Phrases only delivery software writes in a report's text.
const NDR_BODY: &[&str] = &[
    "this is the mail system at host",
    "this is the qmail-send program",
    "there was an error delivering your mail to",
    "this message was created automatically by mail delivery software",
    "the original message was received at",
    "----- transcript of session follows -----",
    "delivery to the following recipient failed permanently",
    "delivery to the following recipients failed",
    "delivery has failed to these recipients or groups",
    "could not be delivered to one or more recipients",
    "your message could not be delivered",
    "your message did not reach some or all of the intended recipients",
    "i'm sorry to have to inform you that your message could not",
    "permanent fatal errors",
    "the following addresses had permanent",
    "sorry, we were unable to deliver your message",
    "unable to deliver your message",
    "message could not be delivered",
    "could not be delivered to",
    "was not delivered to",
    "delivery to the following recipients has been delayed",
    "smtp error from remote mail server",
    "diagnostic-code:",
    "final-recipient:",
    "remote host said:",
    "undeliverable message",
    "delivery status notification",
    "mail delivery failed",
    "delivery failure",
    "permanent error",
    "user unknown",
    "mailbox unavailable",
    "mailbox is full",
];

/// Subject words that, from a mail system's own account, mean a report.
const DAEMON_SUBJECT_HINTS: &[&str] = &[
    "fail",
    "deliver",
    "return",
    "error",
    "reject",
    "bounce",
    "could not",
    "unable",
    "zustell",
    "remis",
    "warning",
    "undeliver",
    "notification",
];

/// Body wording that, from a mail system's own account, means a report.
const DAEMON_BODY_HINTS: &[&str] = &[
    "unable to deliver",
    "no such user",
    "invalid user",
    "original message follows",
    "copy of your message",
    "transcript of session",
    "message headers follow",
    "error delivering your mail",
    "message text follows",
    "failed addresses",
    "recipient address rejected",
];

/// Greetings of mail systems that write their reports as plain text.
const NDR_FIRST_LINES: &[&str] = &[
    "hi. this is the qmail-send program",
    "this is the mail system at host",
    "this is the dragonfly mail agent",
    "this message was created automatically by mail delivery software",
    "this is an automatically generated delivery status notification",
    "the original message was received at",
];

/// Subject openings only auto-responders write.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "Automatic reply:",
    "Auto reply:",
    "Auto-reply:",
    "Autoreply:",
    "Auto response:",
    "Auto-response:",
    "Autoresponse:",
    "Automatic response:",
    "Out of Office AutoReply:",
    "Abwesenheitsnotiz",
    "Automatische Antwort:",
    "Réponse automatique",
    "Reponse automatique",
    "Respuesta automática:",
    "Risposta automatica:",
    "Automatisch antwoord:",
    "Resposta automática:",
    "Balasan otomatis",
    "Jawaban otomatis",
    "自动回复",
    "自動回覆",
    "自動返信",
    "自動応答",
];

/// Subject openings a person might also write ("Out of office tomorrow?"):
/// they count only as the whole subject or followed by a date-ish tail, with
/// out-of-office wording in the body as well.
const AUTO_REPLY_SUBJECTS_WEAK: &[&str] = &[
    "Out of Office",
    "Out of the office",
    "Away",
    "Abwesend",
    "Di luar kantor",
    "Sedang cuti",
    "Fuera de la oficina",
];

/// What may follow a weak subject phrase in an auto-reply.
const WEAK_TAILS: &[&str] = &[
    ":", " -", " –", " (", " until", " till", " from", " bis", " sampai", " hingga", " s.d", " s/d",
];

/// Body wording of out-of-office answers.
const OOF_BODY: &[&str] = &[
    "out of the office",
    "out of office",
    "away from the office",
    "away from my desk",
    "on vacation",
    "on holiday",
    "on leave",
    "annual leave",
    "limited access to e-mail",
    "limited access to email",
    "no access to e-mail",
    "no access to email",
    "will be back",
    "i will return",
    "i'll be back",
    "back in the office",
    "currently away",
    "nicht im büro",
    "abwesend",
    "im urlaub",
    "absent",
    "de retour",
    "en congé",
    "sedang cuti",
    "di luar kantor",
    "tidak berada di kantor",
    "akan kembali",
];

fn auto_reply_subject_phrase(facts: &Facts) -> Option<&'static str> {
    let s = facts.subject.as_str();
    if let Some(p) = AUTO_REPLY_SUBJECTS
        .iter()
        .find(|p| s.starts_with(&p.to_lowercase()))
    {
        return Some(p);
    }
    if s.contains('?') || !OOF_BODY.iter().any(|b| facts.body.contains(b)) {
        return None;
    }
    AUTO_REPLY_SUBJECTS_WEAK
        .iter()
        .find(|p| {
            s.strip_prefix(&p.to_lowercase()).is_some_and(|rest| {
                rest.trim().is_empty() || WEAK_TAILS.iter().any(|t| rest.starts_with(t))
            })
        })
        .copied()
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Removes `Re:`, `AW:` and similar reply prefixes (not forward prefixes: a
/// forwarded notification is a person's mail).
fn strip_reply_prefixes(subject: &str) -> String {
    const PREFIXES: &[&str] = &["re", "aw", "antw", "antwort", "sv", "vs", "odp", "r"];
    let mut s = subject.trim();
    for _ in 0..5 {
        let Some((head, rest)) = s.split_once(':') else {
            break;
        };
        // `Re[2]:` and `Re :` are common too.
        let head = head.trim();
        let head = head.split('[').next().unwrap_or(head).trim();
        if PREFIXES.contains(&head) {
            s = rest.trim_start();
        } else {
            break;
        }
    }
    s.to_string()
}

/// The start of this message's own readable text.
fn body_start(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for part in msg.text_bodies() {
        let text = match &part.body {
            PartType::Text(t) => t.as_ref(),
            PartType::Html(h) => h.as_ref(),
            _ => continue,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(truncate(text, BODY_SCAN));
        if out.len() >= BODY_SCAN {
            break;
        }
    }
    if out.trim().is_empty() {
        // Broken MIME (a boundary parameter on an unfolded line, say) can
        // leave no text part; the raw body still reads the same.
        let root = msg.root_part();
        let raw = msg
            .raw_message
            .get(root.offset_body as usize..root.offset_end as usize)
            .unwrap_or_default();
        out = String::from_utf8_lossy(&raw[..raw.len().min(BODY_SCAN)]).into_owned();
    }
    out.replace("\r\n", "\n")
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn header_values<'m>(msg: &'m Message<'_>, name: &'m str) -> impl Iterator<Item = &'m str> + 'm {
    msg.headers_raw()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn content_type_is(part: &mail_parser::MessagePart<'_>, ty: &str, sub: &str) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ty)
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case(sub))
    })
}

/// From, Sender and Return-Path addresses, lower-cased.
fn sender_addresses(msg: &Message<'_>) -> Vec<String> {
    let mut out: Vec<String> = [msg.from(), msg.sender()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(str::to_ascii_lowercase)
        .collect();
    if let Some(rp) = msg.header_raw("Return-Path") {
        let rp = rp.trim().trim_matches(|c| c == '<' || c == '>').trim();
        if !rp.is_empty() {
            out.push(rp.to_ascii_lowercase());
        }
    }
    out
}

fn local_part(addr: &str) -> &str {
    addr.rsplit_once('@').map_or(addr, |(l, _)| l)
}

fn is_daemon_local(local: &str) -> bool {
    let l: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    matches!(
        l.as_str(),
        "mailerdaemon" | "maildaemon" | "postmaster" | "mailadmin" | "mailsystem"
    ) || l.starts_with("mailerdaemon")
}

fn is_daemon_name(name: &str) -> bool {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    matches!(
        n.as_str(),
        "mailer-daemon"
            | "mailer daemon"
            | "mail delivery subsystem"
            | "mail delivery system"
            | "postmaster"
    )
}

fn is_noreply_local(local: &str) -> bool {
    let l: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    [
        "noreply",
        "donotreply",
        "dontreply",
        "noreplies",
        "noresponse",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

// ---------------------------------------------------------------------------
// Embedded message IDs.
// ---------------------------------------------------------------------------

/// Message-IDs of the original message inside a bounce or report.
///
/// Only reports qualify: a person forwarding a mail as an attachment is
/// writing about it, not reporting its delivery, and must not be threaded
/// into the attached mail's ticket.
pub fn embedded_message_ids(msg: &Message<'_>) -> Vec<String> {
    embedded_message_ids_given(msg, classify(msg).as_ref())
}

/// [`embedded_message_ids`] for a caller that already ran [`classify`] on
/// `msg` and passes its verdict, so the rules are not run twice per message
/// (they read the body; [`crate::parse::parse`] needs both results).
pub fn embedded_message_ids_given(msg: &Message<'_>, verdict: Option<&AutoVerdict>) -> Vec<String> {
    let is_report = report_structure(msg).is_some()
        || verdict.is_some_and(|v| matches!(v.kind, AutoKind::Bounce | AutoKind::Feedback));
    if !is_report {
        return Vec::new();
    }
    let own = msg.message_id().map(clean_id);
    let mut ids = Ids::default();

    for part in &msg.parts {
        match &part.body {
            PartType::Message(inner) => ids.add_message(inner),
            PartType::Text(t)
                if content_type_is(part, "text", "rfc822-headers")
                    || content_type_is(part, "message", "rfc822-headers")
                    || content_type_is(part, "message", "rfc822") =>
            {
                // Headers only, or an original too broken to parse as a
                // message: parse the text on its own.
                if let Some(inner) = MessageParser::default().parse(t.as_bytes()) {
                    ids.add_message(&inner);
                }
            }
            PartType::Text(t) | PartType::Html(t)
                if content_type_is(part, "message", "disposition-notification") =>
            {
                ids.add_lines(t, &["original-message-id:"]);
            }
            PartType::Binary(b) | PartType::InlineBinary(b)
                if content_type_is(part, "message", "disposition-notification")
                    || content_type_is(part, "text", "rfc822-headers") =>
            {
                let t = String::from_utf8_lossy(b);
                ids.add_lines(&t, &["original-message-id:", "message-id:"]);
                ids.add_lines(&t, &["in-reply-to:", "references:"]);
            }
            _ => {}
        }
    }
    if ids.list.is_empty() {
        // Vendor NDRs quote the original's headers in their text.
        for part in msg.text_bodies().chain(msg.attachments()) {
            if let PartType::Text(t) = &part.body {
                ids.add_lines(t, &["message-id:", "original-message-id:"]);
                if !ids.list.is_empty() {
                    ids.add_lines(t, &["in-reply-to:", "references:"]);
                    break;
                }
            }
        }
    }
    ids.list.retain(|id| Some(id) != own.as_ref());
    ids.list
}

#[derive(Default)]
struct Ids {
    list: Vec<String>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        let id = clean_id(id);
        if !id.is_empty() && id.contains('@') && !self.list.contains(&id) {
            self.list.push(id);
        }
    }

    fn add_message(&mut self, m: &Message<'_>) {
        if let Some(id) = m.message_id() {
            self.push(id);
        }
        for v in [m.in_reply_to(), m.references()] {
            match v {
                mail_parser::HeaderValue::Text(t) => self.push(t),
                // Nearest ancestor first, as with In-Reply-To.
                mail_parser::HeaderValue::TextList(l) => l.iter().rev().for_each(|t| self.push(t)),
                _ => {}
            }
        }
    }

    /// `Name: <id> <id>` lines (and their folded continuations) in quoted
    /// header text. Only the first matching field for each name is taken: a
    /// report quotes one original.
    fn add_lines(&mut self, text: &str, names: &[&str]) {
        let mut seen: Vec<&str> = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start();
            let lower = trimmed.to_ascii_lowercase();
            let Some(name) = names.iter().find(|n| lower.starts_with(**n)) else {
                continue;
            };
            if seen.contains(name) {
                continue;
            }
            seen.push(name);
            let mut value = trimmed[name.len()..].to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with([' ', '\t']) && !next.trim().is_empty() {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            let bracketed: Vec<&str> = value
                .split('<')
                .skip(1)
                .filter_map(|s| s.split_once('>').map(|(id, _)| id))
                .collect();
            if bracketed.is_empty() {
                // Some NDRs print the id without brackets.
                if let Some(tok) = value.split_whitespace().next() {
                    self.push(tok);
                }
            } else if name.starts_with("references") {
                bracketed.iter().rev().for_each(|id| self.push(id));
            } else {
                bracketed.iter().for_each(|id| self.push(id));
            }
        }
    }
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Message<'_> {
        MessageParser::default().parse(raw.as_bytes()).unwrap()
    }

    fn kind_of(raw: &str) -> Option<(AutoKind, String)> {
        classify(&parse(raw)).map(|v| (v.kind, v.reason))
    }

    const HUMAN_HEADERS: &str = "From: Alice <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nMessage-ID: <h1@corp.test>\r\nDate: Mon, 23 Nov 2026 07:55:00 +0700\r\n";

    fn with(headers: &str, subject: &str, body: &str) -> String {
        format!("{HUMAN_HEADERS}{headers}Subject: {subject}\r\n\r\n{body}\r\n")
    }

    #[test]
    fn the_phrase_automaton_agrees_with_reading_the_list_in_order() {
        let bodies = [
            "user unknown; then diagnostic-code: smtp; 550",
            "mailbox is full",
            "we could not be delivered to anyone, message could not be delivered",
            "nothing of the sort",
            "",
        ];
        for b in bodies {
            let linear = NDR_BODY.iter().find(|p| b.contains(*p)).copied();
            assert_eq!(first_phrase(&NDR_BODY_SET, NDR_BODY, b), linear, "{b}");
        }
        assert_eq!(
            first_phrase(&NDR_BODY_SET, NDR_BODY, bodies[0]),
            Some("diagnostic-code:")
        );
    }

    #[test]
    fn auto_submitted() {
        let (k, r) = kind_of(&with("Auto-Submitted: auto-replied\r\n", "Re: hi", "x")).unwrap();
        assert_eq!(k, AutoKind::AutoReply);
        assert_eq!(r, "Auto-Submitted: auto-replied");
        let (k, _) = kind_of(&with("Auto-Submitted: auto-generated\r\n", "Report", "x")).unwrap();
        assert_eq!(k, AutoKind::Bulk);
        assert!(kind_of(&with("Auto-Submitted: no\r\n", "Printer", "broken")).is_none());
    }

    #[test]
    fn vendor_auto_reply_headers() {
        for h in [
            "X-Autoreply: yes",
            "X-Autorespond: on vacation",
            "X-AutoReply-From: alice@corp.test",
            "X-Mail-Autoreply: yes",
            "X-Autogenerated: Reply",
        ] {
            let (k, r) = kind_of(&with(&format!("{h}\r\n"), "Hello", "x")).unwrap();
            assert_eq!(k, AutoKind::AutoReply, "{h}");
            assert!(h.starts_with(r.split(':').next().unwrap()), "{h} -> {r}");
        }
        let (k, _) = kind_of(&with("X-FC-MachineGenerated: true\r\n", "Hello", "x")).unwrap();
        assert_eq!(k, AutoKind::Bulk);
        let (k, r) = kind_of(&with("X-Loop: helpdesk@other.test\r\n", "Ticket 5", "x")).unwrap();
        assert_eq!(
            (k, r.as_str()),
            (AutoKind::Bulk, "X-Loop: helpdesk@other.test")
        );
    }

    #[test]
    fn auto_response_suppress() {
        let (k, _) = kind_of(&with(
            "X-Auto-Response-Suppress: All\r\n",
            "Automatic reply: x",
            "away",
        ))
        .unwrap();
        assert_eq!(k, AutoKind::AutoReply);
        let (k, r) = kind_of(&with(
            "X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n",
            "Alert",
            "x",
        ))
        .unwrap();
        assert_eq!(k, AutoKind::Bulk);
        assert_eq!(r, "X-Auto-Response-Suppress: DR, OOF, AutoReply");
        // Only delivery/read receipts suppressed: says nothing about a robot.
        assert!(kind_of(&with("X-Auto-Response-Suppress: RN, NRN\r\n", "Hello", "x")).is_none());
    }

    #[test]
    fn precedence_and_list_headers() {
        let k = |h: &str| kind_of(&with(h, "News", "x")).unwrap();
        assert_eq!(
            k("Precedence: bulk\r\n"),
            (AutoKind::Bulk, "Precedence: bulk".into())
        );
        assert_eq!(k("Precedence: junk\r\n").0, AutoKind::Bulk);
        assert_eq!(k("Precedence: list\r\n").0, AutoKind::List);
        assert_eq!(
            k("List-Id: <it.corp.test>\r\n"),
            (AutoKind::List, "List-Id".into())
        );
        assert_eq!(
            k("List-Unsubscribe: <mailto:u@x.test>\r\n").0,
            AutoKind::List
        );
        assert_eq!(k("List-Post: <mailto:l@x.test>\r\n").0, AutoKind::List);
        assert!(kind_of(&with("Precedence: first-class\r\n", "Hi", "x")).is_none());
    }

    #[test]
    fn null_and_daemon_senders() {
        let raw = "Return-Path: <>\r\nFrom: someone@corp.test\r\nSubject: Notice\r\n\r\nhello\r\n";
        assert_eq!(
            kind_of(raw).unwrap(),
            (AutoKind::Bulk, "Return-Path: <>".into())
        );
        let raw = "From: MAILER-DAEMON@mx.corp.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nThis is the mail system at host mx.\r\n";
        let (k, r) = kind_of(raw).unwrap();
        assert_eq!(k, AutoKind::Bounce);
        assert_eq!(r, "sender mailer-daemon@mx.corp.test");
        let raw = "From: postmaster@corp.test\r\nSubject: Quota policy\r\n\r\nPlease clean up.\r\n";
        assert_eq!(kind_of(raw).unwrap().0, AutoKind::Bulk);
        for from in [
            "noreply@x.test",
            "no-reply@x.test",
            "do-not-reply@x.test",
            "DoNotReply@x.test",
            "no_reply+abc@x.test",
        ] {
            let raw = format!("From: {from}\r\nSubject: Your invoice\r\n\r\nhi\r\n");
            assert_eq!(kind_of(&raw).unwrap().0, AutoKind::Bulk, "{from}");
        }
    }

    const DSN: &str = "From: MAILER-DAEMON@mx.test\r\nTo: helpdesk@corp.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.test>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.test.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; bob@gone.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: helpdesk@corp.test\r\nTo: bob@gone.test\r\nSubject: [Ticket#42] received\r\nMessage-ID: <ack-42@corp.test>\r\nIn-Reply-To: <req-42@user.test>\r\nReferences: <req-41@user.test> <req-42@user.test>\r\n\r\nWe got it.\r\n--B--\r\n";

    #[test]
    fn multipart_report_kinds() {
        assert_eq!(
            kind_of(DSN).unwrap(),
            (
                AutoKind::Bounce,
                "Content-Type: multipart/report; report-type=delivery-status".into()
            )
        );
        let mdn = DSN
            .replace("delivery-status", "disposition-notification")
            .replace(
                "Subject: Undelivered Mail Returned to Sender",
                "Subject: Read: x",
            );
        assert_eq!(kind_of(&mdn).unwrap().0, AutoKind::AutoReply);
        let arf = DSN.replace("delivery-status", "feedback-report");
        assert_eq!(kind_of(&arf).unwrap().0, AutoKind::Feedback);
        // No report-type: the part decides.
        let bare = DSN.replace("; report-type=delivery-status", "");
        assert_eq!(
            kind_of(&bare).unwrap(),
            (
                AutoKind::Bounce,
                "part Content-Type: message/delivery-status".into()
            )
        );
    }

    #[test]
    fn feedback_type_header() {
        let (k, r) = kind_of(&with("Feedback-Type: abuse\r\n", "Complaint", "x")).unwrap();
        assert_eq!(
            (k, r.as_str()),
            (AutoKind::Feedback, "Feedback-Type: abuse")
        );
    }

    #[test]
    fn vendor_ndrs_by_header_and_wording() {
        let (k, r) = kind_of(&with(
            "X-Failed-Recipients: bob@gone.test\r\n",
            "Mail delivery failed",
            "x",
        ))
        .unwrap();
        assert_eq!((k, r.as_str()), (AutoKind::Bounce, "X-Failed-Recipients"));
        let (k, _) = kind_of(&with(
            "X-MS-Exchange-Message-Is-Ndr: \r\n",
            "Undeliverable: x",
            "x",
        ))
        .unwrap();
        assert_eq!(k, AutoKind::Bounce);
        let qmail = "From: someone@mx.test\r\nSubject: failure notice\r\n\r\nHi. This is the qmail-send program at mx.test.\r\nI'm afraid I wasn't able to deliver your message.\r\n";
        assert_eq!(kind_of(qmail).unwrap().0, AutoKind::Bounce);
        let german = with(
            "",
            "Nicht zustellbar: Drucker",
            "Ihre Nachricht konnte nicht zugestellt werden.\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown",
        );
        assert_eq!(
            kind_of(&german).unwrap(),
            (AutoKind::Bounce, "subject: Nicht zustellbar".into())
        );
    }

    #[test]
    fn fixed_ndr_subject_alone() {
        // A fax gateway's "Failed Mail" (Zammad mail087): the MTA's fixed
        // subject with nothing added.
        let (k, r) = kind_of(&with(
            "",
            "Failed Mail",
            "Sie haben ein neues Fax empfangen.",
        ))
        .unwrap();
        assert_eq!((k, r.as_str()), (AutoKind::Bounce, "subject: Failed mail"));
        // The same words in a person's question are not enough.
        let q = with(
            "",
            "Undeliverable: report to client",
            "Why can't I mail this client?",
        );
        assert_eq!(kind_of(&q), None);
    }

    #[test]
    fn null_from_and_ses() {
        let dfly = "From: MAILER-DAEMON <>\r\nSubject: Mail delivery failed\r\n\r\nThis is the DragonFly Mail Agent v0.13 at df.test.\r\nThere was an error delivering your mail to <a@b.test>.\r\n";
        assert_eq!(kind_of(dfly).unwrap().0, AutoKind::Bounce);
        let ses = |t: &str| {
            format!(
                "From: no-reply@sns.amazonaws.com\r\nSubject: AWS Notification Message\r\n\r\n{{\"notificationType\":\"{t}\",\"mail\":{{}}}}\r\n"
            )
        };
        assert_eq!(kind_of(&ses("Bounce")).unwrap().0, AutoKind::Bounce);
        assert_eq!(kind_of(&ses("Complaint")).unwrap().0, AutoKind::Feedback);
    }

    #[test]
    fn auto_reply_subjects() {
        for s in [
            "Automatic reply: Printer",
            "Auto reply: x",
            "Autoreply: x",
            "Abwesenheitsnotiz: x",
            "Réponse automatique : x",
            "Balasan Otomatis: x",
            "Re: Automatic reply: x",
        ] {
            let (k, r) = kind_of(&with("", s, "Thanks for your mail.")).unwrap();
            assert_eq!(k, AutoKind::AutoReply, "{s}");
            assert!(r.starts_with("subject: "), "{r}");
        }
        let (k, r) = kind_of(&with(
            "",
            "Out of Office",
            "I am out of the office until Monday.",
        ))
        .unwrap();
        assert_eq!(
            (k, r.as_str()),
            (AutoKind::AutoReply, "subject: Out of Office")
        );
        let (k, _) = kind_of(&with(
            "",
            "Di luar kantor: Printer",
            "Saya sedang cuti sampai 5 Mei.",
        ))
        .unwrap();
        assert_eq!(k, AutoKind::AutoReply);
        let (k, _) = kind_of(&with("", "Sedang cuti", "Saya akan kembali tanggal 5.")).unwrap();
        assert_eq!(k, AutoKind::AutoReply);
        // Weak subject without out-of-office wording in the body: a person.
        assert!(kind_of(&with("", "Away", "Can you reset my password?")).is_none());
    }

    #[test]
    fn human_mail_is_not_flagged() {
        // Outlook: Thread-Index, X-MS-Has-Attach, a reply to our ticket.
        let outlook = "From: Budi Santoso <budi@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: RE: Printer lantai 2 [Ticket#1042]\r\nThread-Topic: Printer lantai 2 [Ticket#1042]\r\nThread-Index: AQHZ1234abcd==\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\nMessage-ID: <AM0PR01MB1234@AM0PR01MB.eurprd01.prod.outlook.com>\r\nIn-Reply-To: <ack-1042@corp.test>\r\nX-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\nContent-Type: multipart/alternative; boundary=\"_000_\"\r\nMIME-Version: 1.0\r\n\r\n--_000_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nMasih rusak, tolong dicek.\r\n\r\nFrom: helpdesk@corp.test\r\nSent: Monday\r\nSubject: Printer lantai 2 [Ticket#1042]\r\n--_000_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n<p>Masih rusak, tolong dicek.</p>\r\n--_000_--\r\n";
        assert_eq!(kind_of(outlook), None);
        let gmail = "MIME-Version: 1.0\r\nReferences: <ack-7@corp.test>\r\nIn-Reply-To: <ack-7@corp.test>\r\nFrom: Siti <siti.rahma@gmail.com>\r\nDate: Tue, 24 Nov 2026 09:00:00 +0700\r\nMessage-ID: <CAF=abc123@mail.gmail.com>\r\nSubject: Re: VPN tidak bisa connect\r\nTo: helpdesk@corp.test\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nSudah saya coba restart, tetap gagal.\r\n\r\nOn Mon, Nov 23, 2026 at 8:00 AM <helpdesk@corp.test> wrote:\r\n> We received your request.\r\n";
        assert_eq!(kind_of(gmail), None);
        let question = with(
            "",
            "Re: out of office tomorrow?",
            "I will be on leave tomorrow. How do I set an out of office reply?",
        );
        assert_eq!(kind_of(&question), None);
        let setup = with(
            "",
            "Out of office message not working",
            "My automatic reply is not sent while I am on leave.",
        );
        assert_eq!(kind_of(&setup), None);
        // A person forwarding a bounce to ask about it.
        let fwd = with(
            "",
            "Fw: Undeliverable: Laporan",
            "Why did this bounce?\r\n\r\nDelivery has failed to these recipients or groups:\r\nbob@gone.test",
        );
        assert_eq!(kind_of(&fwd), None);
        // A person pasting a bounce under their own words.
        let paste = with(
            "",
            "Email bounce",
            "Hi, I got this:\r\n\r\nThis is the mail system at host mx.test.\r\n",
        );
        assert_eq!(kind_of(&paste), None);
    }

    #[test]
    fn embedded_ids_from_rfc822_part() {
        let ids = embedded_message_ids(&parse(DSN));
        assert_eq!(
            ids,
            vec!["ack-42@corp.test", "req-42@user.test", "req-41@user.test"]
        );
    }

    #[test]
    fn embedded_ids_from_headers_part_and_body() {
        let headers_only = DSN
            .replace("message/rfc822", "text/rfc822-headers")
            .replace("\r\nWe got it.", "");
        assert_eq!(
            embedded_message_ids(&parse(&headers_only)),
            vec!["ack-42@corp.test", "req-42@user.test", "req-41@user.test"]
        );
        let text_ndr = "From: MAILER-DAEMON@mx.test\r\nSubject: failure notice\r\nMessage-ID: <own@mx.test>\r\n\r\nHi. This is the qmail-send program at mx.test.\r\n<bob@gone.test>:\r\nSorry, no mailbox here by that name.\r\n\r\n--- Below this line is a copy of the message.\r\n\r\nFrom: helpdesk@corp.test\r\nMessage-Id: <ack-9@corp.test>\r\nIn-Reply-To: <req-9@user.test>\r\n\r\nWe got it.\r\n";
        assert_eq!(
            embedded_message_ids(&parse(text_ndr)),
            vec!["ack-9@corp.test", "req-9@user.test"]
        );
    }

    #[test]
    fn embedded_ids_empty_for_people() {
        let fwd = "From: a@corp.test\r\nSubject: Fw: this\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@x.test\r\nMessage-ID: <orig@x.test>\r\n\r\nhi\r\n--B--\r\n";
        assert!(embedded_message_ids(&parse(fwd)).is_empty());
        assert!(
            embedded_message_ids(&parse(&with("", "Hello", "Message-ID: <x@y.test>"))).is_empty()
        );
    }

    #[test]
    fn kind_names() {
        assert_eq!(AutoKind::AutoReply.as_str(), "auto_reply");
        assert_eq!(AutoKind::Bounce.as_str(), "bounce");
    }
}
