//! The staff-command use case, in process.

use posko::ingest::Outcome;

use crate::harness::{Desk, mail, opened};

/// A proved `#assign:budi #priority:1` applies both, records each command,
/// and confirms to the staff member.
#[tokio::test]
async fn proved_commands_apply_and_are_recorded() {
    let mut desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "VPN putus",
            "s1@corp.test",
            "",
            "Putus.",
        ))
        .await,
    );
    desk.later(60);
    let to = desk.staff_address("siti", Some(id)).await;
    let cmd = mail(
        "siti@corp.test",
        &format!("[Helpdesk #{id}] #assign:budi #priority:1"),
        "s2@corp.test",
        "",
        "Saya teruskan ke Budi.",
    );
    assert_eq!(desk.deliver_to(&cmd, Some(&to)).await, Outcome::Comment(id));
    let t = desk.ticket(id).await;
    assert_eq!(t.assignee.as_deref(), Some("budi"));
    assert_eq!(t.priority, Some(1));
    let timeline = desk.timeline(id).await;
    assert_eq!(
        timeline.iter().filter(|k| *k == "command").count(),
        2,
        "{timeline:?}"
    );
    assert!(timeline.contains(&"assigned".to_string()), "{timeline:?}");
    assert!(
        timeline.contains(&"priority_changed".to_string()),
        "{timeline:?}"
    );
    assert!(
        timeline.contains(&"staff_confirm_queued".to_string()),
        "{timeline:?}"
    );
}

/// One invalid command and none applies: `command_invalid`, the ticket
/// unchanged, the staff member told.
#[tokio::test]
async fn an_invalid_command_applies_nothing() {
    let desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "Email lambat",
            "s3@corp.test",
            "",
            "Lambat.",
        ))
        .await,
    );
    let to = desk.staff_address("siti", Some(id)).await;
    let cmd = mail(
        "siti@corp.test",
        &format!("[Helpdesk #{id}] #assign:budy #resolve"),
        "s4@corp.test",
        "",
        "",
    );
    assert_eq!(desk.deliver_to(&cmd, Some(&to)).await, Outcome::Comment(id));
    let t = desk.ticket(id).await;
    assert_eq!(t.assignee, None);
    assert_eq!(t.status.as_str(), "new");
    let timeline = desk.timeline(id).await;
    assert!(
        timeline.contains(&"command_invalid".to_string()),
        "{timeline:?}"
    );
    assert!(!timeline.contains(&"command".to_string()), "{timeline:?}");
}

/// A command from a staff From without proof (no token) changes nothing
/// and is refused with the evidence.
#[tokio::test]
async fn an_unproved_command_is_refused() {
    let desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "Laptop rusak",
            "s5@corp.test",
            "",
            "Rusak.",
        ))
        .await,
    );
    let cmd = mail(
        "siti@corp.test",
        &format!("[Helpdesk #{id}] #close"),
        "s6@corp.test",
        "",
        "",
    );
    assert_eq!(desk.deliver(&cmd).await, Outcome::Comment(id));
    assert_eq!(desk.ticket(id).await.status.as_str(), "new");
    let timeline = desk.timeline(id).await;
    assert!(
        timeline.contains(&"command_refused".to_string()),
        "{timeline:?}"
    );
}

/// `#help` on a ticket: the command reference is kept on the ticket like
/// any mail to staff (its message row, linked to its outbox row).
#[tokio::test]
async fn help_on_a_ticket_is_kept_on_it() {
    let desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "Monitor",
            "s7@corp.test",
            "",
            "Mati.",
        ))
        .await,
    );
    let to = desk.staff_address("siti", Some(id)).await;
    let cmd = mail(
        "siti@corp.test",
        &format!("[Helpdesk #{id}] #help"),
        "s8@corp.test",
        "",
        "",
    );
    assert_eq!(desk.deliver_to(&cmd, Some(&to)).await, Outcome::Comment(id));
    let out = desk.outgoing(id).await;
    assert!(out.iter().any(|(k, html)| k == "help" && *html), "{out:?}");
}
