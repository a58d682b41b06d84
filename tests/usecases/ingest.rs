//! The ingest use case, in process.

use posko::ingest::Outcome;

use crate::harness::{Desk, mail, opened};

/// Issue 10: when a reply reopens a ticket, its timeline reads in causal
/// order — the comment, then the reopening, then the clocks restarting.
/// (Before, the clock events were written before the comment's.)
#[tokio::test]
async fn a_reply_that_reopens_a_ticket_is_recorded_in_order() {
    let mut desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "Printer macet",
            "o1@corp.test",
            "",
            "Macet.",
        ))
        .await,
    );
    desk.later(600);
    let resolve = desk.staff_address("siti", Some(id)).await;
    let staff = mail(
        "siti@corp.test",
        &format!("[Helpdesk #{id}] #resolve"),
        "o2@corp.test",
        "",
        "Sudah diperbaiki.",
    );
    assert_eq!(
        desk.deliver_to(&staff, Some(&resolve)).await,
        Outcome::Comment(id)
    );
    assert_eq!(desk.ticket(id).await.status.as_str(), "resolved");
    desk.later(3600);
    let reply = mail(
        "alice@corp.test",
        &format!("Re: [Helpdesk #{id}] Printer macet"),
        "o3@corp.test",
        "In-Reply-To: <o1@corp.test>\r\n",
        "Masih macet.",
    );
    assert_eq!(desk.deliver(&reply).await, Outcome::Comment(id));
    assert_eq!(desk.ticket(id).await.status.as_str(), "in_progress");
    let timeline = desk.timeline(id).await;
    let last_comment = timeline.iter().rposition(|k| k == "comment_added").unwrap();
    let tail = &timeline[last_comment..];
    assert_eq!(tail[0], "comment_added", "{timeline:?}");
    assert_eq!(tail[1], "reopened", "{timeline:?}");
    assert!(
        tail[2..].iter().any(|k| k == "sla_restarted"),
        "the clocks restart after the reopening: {timeline:?}"
    );
}

/// A new ticket's acknowledgment and notices are kept on the ticket,
/// linked to the outbox row (with its HTML) they went out as (one
/// `record_outgoing`).
#[tokio::test]
async fn outgoing_mail_is_kept_linked_to_its_outbox_row() {
    let desk = Desk::new().await;
    let id = opened(
        desk.deliver(&mail(
            "alice@corp.test",
            "Wifi mati",
            "k1@corp.test",
            "",
            "Mati.",
        ))
        .await,
    );
    let out = desk.outgoing(id).await;
    assert!(out.iter().any(|(k, ..)| k == "ack"), "{out:?}");
    assert!(out.iter().any(|(k, ..)| k == "staff_new"), "{out:?}");
    assert!(out.iter().all(|(_, html)| *html), "{out:?}");
    let timeline = desk.timeline(id).await;
    assert!(timeline.contains(&"ack_queued".to_string()), "{timeline:?}");
}

/// One entry point for one message and for a batch: the same mail makes
/// the same tickets either way, a repeat is a duplicate, and a reply in the
/// same batch threads to the ticket the batch just opened.
#[tokio::test]
async fn a_batch_takes_the_same_steps_as_one_message() {
    let desk = Desk::new().await;
    let out = desk
        .deliver_batch(vec![
            mail("alice@corp.test", "Satu", "b1@corp.test", "", "Satu."),
            mail("bob@corp.test", "Dua", "b2@corp.test", "", "Dua."),
            mail("alice@corp.test", "Satu", "b1@corp.test", "", "Satu."),
            mail(
                "alice@corp.test",
                "Re: Satu",
                "b3@corp.test",
                "In-Reply-To: <b1@corp.test>\r\nReferences: <b1@corp.test>\r\n",
                "Tambahan.",
            ),
        ])
        .await;
    assert_eq!(
        out,
        [
            Outcome::NewTicket(1),
            Outcome::NewTicket(2),
            Outcome::Duplicate,
            Outcome::Comment(1)
        ]
    );
    // Taken in again one by one: nothing new.
    let again = desk
        .deliver(&mail("bob@corp.test", "Dua", "b2@corp.test", "", "Dua."))
        .await;
    assert_eq!(again, Outcome::Duplicate);
}

/// A message the database refuses is quarantined with the reason, in the
/// one-message path and in a batch (where it costs only itself).
#[tokio::test]
async fn a_refused_message_is_quarantined_not_retried() {
    // The fault hook of debug builds stands in for the database's refusal.
    // SAFETY: set before any thread of this test reads the environment;
    // the marker is this test's own.
    unsafe { std::env::set_var(posko::isolate::FAULT_STORE_ENV, "DITOLAK-UC") };
    let desk = Desk::new().await;
    let bad = mail("m@outside.test", "DITOLAK-UC x", "q1@outside.test", "", "x");
    match desk.deliver(&bad).await {
        Outcome::Quarantined { reason, .. } => {
            assert!(reason.starts_with("could not be stored"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let out = desk
        .deliver_batch(vec![
            mail("a@corp.test", "Satu", "q2@corp.test", "", "1"),
            mail("m@outside.test", "DITOLAK-UC y", "q3@outside.test", "", "y"),
            mail("b@corp.test", "Dua", "q4@corp.test", "", "2"),
        ])
        .await;
    assert!(matches!(out[0], Outcome::NewTicket(_)), "{out:?}");
    assert!(matches!(out[1], Outcome::Quarantined { .. }), "{out:?}");
    assert!(matches!(out[2], Outcome::NewTicket(_)), "{out:?}");
}
