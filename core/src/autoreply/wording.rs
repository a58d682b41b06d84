//! Wording tables: subjects and body phrases of bounces, daemons and
//! out-of-office replies. Matched lower-cased; the table spelling goes into
//! the verdict's reason.

use super::*;

/// Subjects that open a non-delivery report, by MTA or provider.
pub(super) const NDR_SUBJECTS: &[&str] = &[
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
pub(super) const NDR_WHOLE_SUBJECTS: &[&str] = &[
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
/// A phrase list lower-cased, each beside the phrase as written (what a
/// verdict quotes): made once, where lower-casing each phrase for every
/// message cost more than the rest of the reading.
pub(super) type Lowered = LazyLock<Vec<(String, &'static str)>>;

/// `list` lower-cased, for a [`Lowered`].
fn lowered(list: &'static [&'static str]) -> Vec<(String, &'static str)> {
    list.iter().map(|p| (p.to_lowercase(), *p)).collect()
}

pub(super) static NDR_SUBJECTS_LOWER: Lowered = LazyLock::new(|| lowered(NDR_SUBJECTS));
pub(super) static NDR_WHOLE_SUBJECTS_LOWER: Lowered = LazyLock::new(|| lowered(NDR_WHOLE_SUBJECTS));
static AUTO_REPLY_SUBJECTS_LOWER: Lowered = LazyLock::new(|| lowered(AUTO_REPLY_SUBJECTS));
static AUTO_REPLY_SUBJECTS_WEAK_LOWER: Lowered =
    LazyLock::new(|| lowered(AUTO_REPLY_SUBJECTS_WEAK));

pub(super) static NDR_BODY_SET: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(NDR_BODY).expect("NDR_BODY phrases build an automaton"));

/// The first phrase of `phrases` (in list order, as `set` was built from
/// it) that occurs in `text`.
pub(super) fn first_phrase(
    set: &AhoCorasick,
    phrases: &[&'static str],
    text: &str,
) -> Option<&'static str> {
    set.find_overlapping_iter(text)
        .map(|m| m.pattern().as_usize())
        .min()
        .map(|i| phrases[i])
}

/// Phrases only delivery software writes in a report's text.
pub(super) const NDR_BODY: &[&str] = &[
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
pub(super) const DAEMON_SUBJECT_HINTS: &[&str] = &[
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
pub(super) const DAEMON_BODY_HINTS: &[&str] = &[
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
pub(super) const NDR_FIRST_LINES: &[&str] = &[
    "hi. this is the qmail-send program",
    "this is the mail system at host",
    "this is the dragonfly mail agent",
    "this message was created automatically by mail delivery software",
    "this is an automatically generated delivery status notification",
    "the original message was received at",
];

/// Subject openings only auto-responders write.
pub(super) const AUTO_REPLY_SUBJECTS: &[&str] = &[
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
pub(super) const AUTO_REPLY_SUBJECTS_WEAK: &[&str] = &[
    "Out of Office",
    "Out of the office",
    "Away",
    "Abwesend",
    "Di luar kantor",
    "Sedang cuti",
    "Fuera de la oficina",
];

/// What may follow a weak subject phrase in an auto-reply.
pub(super) const WEAK_TAILS: &[&str] = &[
    ":", " -", " –", " (", " until", " till", " from", " bis", " sampai", " hingga", " s.d", " s/d",
];

/// Body wording of out-of-office answers.
pub(super) const OOF_BODY: &[&str] = &[
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

pub(super) fn auto_reply_subject_phrase(facts: &Facts) -> Option<&'static str> {
    let s = facts.subject.as_str();
    if let Some((_, p)) = AUTO_REPLY_SUBJECTS_LOWER
        .iter()
        .find(|(lower, _)| s.starts_with(lower.as_str()))
    {
        return Some(p);
    }
    // The subject first: searching the body for every phrase costs far
    // more, and few subjects start with a weak phrase at all.
    let weak = AUTO_REPLY_SUBJECTS_WEAK_LOWER
        .iter()
        .find(|(lower, _)| {
            s.strip_prefix(lower.as_str()).is_some_and(|rest| {
                rest.trim().is_empty() || WEAK_TAILS.iter().any(|t| rest.starts_with(t))
            })
        })
        .map(|(_, p)| *p)?;
    if s.contains('?') || !OOF_BODY.iter().any(|b| facts.body.contains(b)) {
        return None;
    }
    Some(weak)
}
