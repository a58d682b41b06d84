//! The signs of machine mail, strongest first: each rule looks at one kind
//! of evidence and names it in the verdict's reason.

use super::*;

/// RFC 6522 `multipart/report` and the machine-readable parts it carries.
pub(super) fn report_structure(msg: &Message<'_>) -> Option<AutoVerdict> {
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
pub(super) fn report_parts(msg: &Message<'_>) -> Option<AutoVerdict> {
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
pub(super) fn feedback_signs(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
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
pub(super) fn ses_notification(facts: &Facts) -> Option<AutoVerdict> {
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
pub(super) fn ndr_headers(msg: &Message<'_>) -> Option<AutoVerdict> {
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
pub(super) fn daemon_who(facts: &Facts) -> Option<String> {
    match (&facts.daemon, facts.null_sender) {
        (Some(d), _) => Some(format!("sender {d}")),
        (None, Some(h)) => Some(h.to_string()),
        (None, None) => None,
    }
}

/// A mail system's account, or the null sender, writing about a delivery.
pub(super) fn daemon_bounce(facts: &Facts) -> Option<AutoVerdict> {
    let who = daemon_who(facts)?;
    facts.daemon_reports_failure().then_some(AutoVerdict {
        kind: AutoKind::Bounce,
        reason: who,
    })
}

/// The null sender and mail-system accounts never expect an answer, even
/// when nothing else tells what they sent. Vacation responders use the null
/// sender too (RFC 3834 section 3.3), which the earlier rules have sorted out.
pub(super) fn daemon_sender(facts: &Facts) -> Option<AutoVerdict> {
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
pub(super) fn ndr_wording(facts: &Facts) -> Option<AutoVerdict> {
    if let Some(s) = facts
        .ndr_subject
        .filter(|_| facts.ndr_body.is_some() || facts.carries_original)
    {
        return verdict(AutoKind::Bounce, format!("subject: {s}"));
    }
    // An MTA's complete fixed subject, unprefixed, is as good as a header:
    // a person writing about a bounce says more ("Undeliverable to X?").
    if let Some((_, s)) = NDR_WHOLE_SUBJECTS_LOWER
        .iter()
        .find(|(lower, _)| facts.whole_subject == *lower)
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
pub(super) fn auto_headers(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
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
pub(super) fn list_headers(msg: &Message<'_>) -> Option<AutoVerdict> {
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
pub(super) fn precedence(msg: &Message<'_>, facts: &Facts) -> Option<AutoVerdict> {
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
pub(super) fn auto_reply_subject(facts: &Facts) -> Option<AutoVerdict> {
    let p = auto_reply_subject_phrase(facts)?;
    verdict(AutoKind::AutoReply, format!("subject: {p}"))
}

/// `noreply@`-style senders send notifications and read no answers.
pub(super) fn noreply_sender(facts: &Facts) -> Option<AutoVerdict> {
    let who = facts.noreply.as_ref()?;
    let kind = if facts.looks_like_dsn() {
        AutoKind::Bounce
    } else {
        AutoKind::Bulk
    };
    verdict(kind, format!("sender {who}"))
}
