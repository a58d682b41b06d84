//! Issue "Hostile mail", findings 5–7: what an outsider can make the desk
//! show, change and send. Through the real binary against Dovecot, the SMTP
//! sink and SQLite / PostgreSQL.
//!
//! - a display name that lies is shown beside the real address, flagged;
//! - mail about a ticket from someone who takes no part in it changes
//!   nothing but a note (or opens a linked ticket, when configured);
//! - acknowledgments are capped desk-wide, limited to `requester_domains`,
//!   and `#requester:` counts against its target's limit.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko};
use crate::staff::{alice_reports, desk, events, staff_mail, text};
use crate::staff_tokens::{message, reply_to};

const WAIT: Duration = Duration::from_secs(20);

/// A fixed instant for `tickets show --now`, so clocks read the same twice.
const LATER: &str = "2030-01-01T00:00:00+00:00";

/// `tickets show ID --json --now LATER`.
fn ticket_later(posko: &Posko, id: i64) -> Value {
    let out = crate::harness::posko::ok(
        posko.cmd(&["tickets", "show", &id.to_string(), "--json", "--now", LATER]),
        "tickets show --now",
    );
    serde_json::from_str(&out).expect("tickets show JSON")
}

/// A posko with `desk_extra` lines in `[desk]` (and the shipped catalogue).
async fn with_desk(
    backend: Backend,
    stack: &MailStack,
    desk_extra: &str,
    catalogue: bool,
) -> Posko {
    let o = Options {
        desk_extra: desk_extra.into(),
        catalogue,
        ..Options::default()
    };
    Posko::with(backend, stack, o).await
}

/// Whether posko sent anything to `addr`: the SMTP sink logs each message
/// it delivered (`rcpts=['…']`) and each recipient Dovecot refused (the
/// strangers of these tests have no mailbox).
fn sent_to(stack: &MailStack, addr: &str) -> bool {
    let log = stack.smtp_log();
    log.contains(&format!("'{addr}'")) || log.contains(&format!("refused {addr}"))
}

/// Finding 5: the notice Budi gets shows the address behind a lying name,
/// and says why the name is suspect; so does `tickets show`.
async fn lying_display_name_shows_the_real_address(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    staff_mail(
        &stack,
        "\"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>",
        "helpdesk@corp.test",
        "Internet lambat di gedung B",
        "m1@outside.test",
        "",
        "Sejak pagi lambat sekali.",
    )
    .await;
    staff_mail(
        &stack,
        "Budi Santoso <budi.santoso@gmail.test>",
        "helpdesk@corp.test",
        "Internet mati di lantai 2",
        "m2@gmail.test",
        "",
        "Tolong reset password saya.",
    )
    .await;
    posko.run_once();
    let budi = stack.wait_for_mail("budi", 1, WAIT).await;
    let notice = text(&budi[0]);
    assert!(
        notice.contains("Pemohon  : \"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>\n"),
        "{notice}"
    );
    assert!(
        notice.contains(
            "PERHATIAN: nama pengirim memuat alamat lain (helpdesk@corp.test), \
             nama atau alamat desk ini. Alamat pengirim yang sebenarnya: mallory@outside.test"
        ),
        "{notice}"
    );
    // The HTML part says it too.
    let html = posko::parse::parse(&budi[0], "corp.test")
        .unwrap()
        .body_html
        .unwrap_or_default();
    assert!(
        html.contains("&lt;mallory@outside.test&gt;") && html.contains("PERHATIAN: nama pengirim"),
        "{html}"
    );

    // A staff member's name on another address; Siti (L1) gets both notices.
    let siti = stack.wait_for_mail("siti", 2, WAIT).await;
    let other = siti
        .iter()
        .map(|m| text(m))
        .find(|t| t.contains("Internet mati"))
        .expect("second notice");
    assert!(
        other.contains("Budi Santoso <budi.santoso@gmail.test>"),
        "{other}"
    );
    assert!(other.contains("nama staf Budi Santoso"), "{other}");

    // The ticket's text view.
    let id = posko
        .tickets()
        .iter()
        .find(|t| t["requester"] == "mallory@outside.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let view = crate::harness::posko::ok(
        posko.cmd(&["tickets", "show", &id.to_string()]),
        "tickets show",
    );
    assert!(
        view.contains("Requester: \"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>"),
        "{view}"
    );
    assert!(
        view.contains("WARNING: the sender's name contains another address (helpdesk@corp.test)"),
        "{view}"
    );
}
both!(lying_display_name_shows_the_real_address);

/// Alice's report, assigned to and resolved by Budi through his notice's
/// Reply-To; returns (ticket id, Budi's reply address, the subject).
async fn resolved_ticket(stack: &MailStack, posko: &Posko) -> (i64, String, String) {
    let id = alice_reports(stack, posko, "Internet lambat di gedung B", "a1@corp.test").await;
    let notice = stack.wait_for_mail("budi", 1, WAIT).await.remove(0);
    let to = reply_to(&notice);
    let subject = format!("Re: [Helpdesk #{id}] Internet lambat di gedung B");
    staff_mail(
        stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("{subject} #assign:me #resolve"),
        "b1@corp.test",
        "",
        "Kabel uplink sudah diganti.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "resolved", "{t:#}");
    assert_eq!(t["assignee"], "budi");
    // Alice: the acknowledgment and the resolution; Budi: the notice and
    // the confirmation.
    stack.wait_for_mail("alice", 2, WAIT).await;
    stack.wait_for_mail("budi", 2, WAIT).await;
    (id, to, subject)
}

/// Finding 6: an outsider who guesses the tag of a resolved ticket adds an
/// internal note and tells the assignee; the ticket stays resolved, its
/// clocks as they were, and the requester hears nothing. The requester's
/// own reply still reopens it, and so does a watcher's.
async fn outsider_reply_changes_nothing(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let (id, budi_to, subject) = resolved_ticket(&stack, &posko).await;
    let before = ticket_later(&posko, id);
    let budi_before = stack.inbox("budi").await.len();

    staff_mail(
        &stack,
        "Mallory <mallory@outside.test>",
        "helpdesk@corp.test",
        &format!("[Helpdesk #{id}] still broken"),
        "m1@outside.test",
        "",
        "Masih rusak, tolong buka lagi.",
    )
    .await;
    let out = posko.run_once();
    assert!(out.contains("1 comments"), "{out}");
    let after = ticket_later(&posko, id);
    assert_eq!(after["status"], "resolved");
    assert!(events(&after, "reopened").is_empty(), "{after:#}");
    assert_eq!(after["sla"], before["sla"], "the clocks did not move");
    assert_eq!(after["resolved_at"], before["resolved_at"]);
    assert_eq!(after["updated_at"], before["updated_at"]);
    let note = message(&after, "m1@outside.test");
    assert_eq!(note["visibility"], "internal");
    assert_eq!(note["kind"], "non_participant");
    assert_eq!(note["body_text"], "Masih rusak, tolong buka lagi.");
    let ev = events(&after, "non_participant");
    assert_eq!(ev.len(), 1, "{after:#}");
    assert_eq!(ev[0]["mode"], "note");
    assert_eq!(ev[0]["actor"], "mallory@outside.test");
    assert_eq!(ev[0]["notified"], serde_json::json!(["budi@corp.test"]));
    // Budi (the assignee) is told; Alice hears nothing; nothing to Mallory.
    let budi = stack.wait_for_mail("budi", budi_before + 1, WAIT).await;
    let told = text(budi.last().unwrap());
    assert!(told.contains("bukan peserta"), "{told}");
    assert!(told.contains("Masih rusak, tolong buka lagi."), "{told}");
    assert!(told.contains("#cc:mallory@outside.test"), "{told}");
    assert!(
        mail::subject(budi.last().unwrap()).starts_with(&format!("[Helpdesk #{id}]")),
        "{}",
        mail::subject(budi.last().unwrap())
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        stack.inbox("alice").await.len(),
        2,
        "nothing to the requester"
    );
    let to_mallory = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out")
        .filter(|m| m["to"].to_string().contains("mallory"))
        .count();
    assert_eq!(to_mallory, 0, "no answer to the outsider: {after:#}");
    assert!(
        !sent_to(&stack, "mallory@outside.test"),
        "{}",
        stack.smtp_log()
    );

    // The requester's own reply reopens it.
    staff_mail(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        "helpdesk@corp.test",
        &subject,
        "a2@corp.test",
        "",
        "Masih lambat.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "in_progress");
    assert_eq!(events(&t, "reopened").len(), 1);
    assert_eq!(message(&t, "a2@corp.test")["visibility"], "public");

    // Budi adds Bob as a watcher and resolves again; Bob's reply reopens it.
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &budi_to,
        &format!("{subject} #cc:bob@corp.test #resolve"),
        "b2@corp.test",
        "",
        "Sudah normal lagi.",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "resolved");
    staff_mail(
        &stack,
        "Bob <bob@corp.test>",
        "helpdesk@corp.test",
        &subject,
        "bob1@corp.test",
        "",
        "Di lantai 3 masih putus.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "in_progress", "{t:#}");
    assert_eq!(events(&t, "reopened").len(), 2);
    assert_eq!(message(&t, "bob1@corp.test")["visibility"], "public");
    assert_eq!(events(&t, "non_participant").len(), 1);
}
both!(outsider_reply_changes_nothing);

/// Finding 6 with `non_participant = "new_ticket"`: the outsider's mail
/// opens a ticket of their own, linked to the one they wrote about, which
/// stays as it was.
async fn outsider_reply_opens_a_linked_ticket_when_configured(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = with_desk(backend, &stack, "non_participant = \"new_ticket\"", true).await;
    let (id, _, _) = resolved_ticket(&stack, &posko).await;
    let before = ticket_later(&posko, id);
    staff_mail(
        &stack,
        "Mallory <mallory@outside.test>",
        "helpdesk@corp.test",
        &format!("Re: [Helpdesk #{id}] still broken"),
        "m1@outside.test",
        "",
        "Masih rusak.",
    )
    .await;
    let out = posko.run_once();
    assert!(out.contains("1 new tickets"), "{out}");
    let new = posko
        .tickets()
        .into_iter()
        .find(|t| t["requester"] == "mallory@outside.test")
        .expect("a ticket of Mallory's");
    assert_eq!(new["linked_ticket"], id);
    assert_eq!(new["subject"], "still broken");
    let after = ticket_later(&posko, id);
    assert_eq!(after["status"], "resolved");
    assert!(events(&after, "reopened").is_empty());
    assert_eq!(after["sla"], before["sla"]);
    let ev = events(&after, "non_participant");
    assert_eq!(ev.len(), 1, "{after:#}");
    assert_eq!(ev[0]["mode"], "new_ticket");
    assert_eq!(ev[0]["new_ticket"], new["id"]);
    assert!(
        after["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["message_id"] != "m1@outside.test"),
        "the mail is on the new ticket only"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        stack.inbox("alice").await.len(),
        2,
        "nothing to the requester"
    );
}
both!(outsider_reply_opens_a_linked_ticket_when_configured);

/// Finding 7: fifty forged senders in one pass become fifty tickets, and
/// get no more acknowledgments between them than the desk-wide cap; the
/// next pass counts what the first sent.
async fn forged_senders_get_at_most_the_desk_wide_cap(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = with_desk(backend, &stack, "ack_limit_total = 10", false).await;
    // Forged senders i in `range`, delivered, then one pass.
    let (stack, posko) = (&stack, &posko);
    let pass = |range: std::ops::Range<usize>| async move {
        for i in range {
            let forged = mail::plain(
                &format!("Victim {i} <victim{i}@target{i}.test>"),
                "Your account is locked: http://evil.test/login",
                &format!("forged{i}@evil.test"),
                "",
                "Click the link.",
            );
            let envelope = format!("victim{i}@target{i}.test");
            stack
                .deliver(&envelope, &["helpdesk@corp.test"], &forged)
                .await;
        }
        posko.run_once()
    };
    let out = pass(0..50).await;
    assert!(out.contains("50 new tickets"), "{out}");
    let out = pass(50..55).await;
    assert!(out.contains("5 new tickets"), "{out}");
    let tickets = posko.tickets();
    assert_eq!(tickets.len(), 55, "every mail is a ticket");
    let (mut acked, mut capped) = (0, 0);
    for t in &tickets {
        let full = posko.ticket(t["id"].as_i64().unwrap());
        acked += events(&full, "ack_queued").len();
        capped += events(&full, "ack_suppressed")
            .iter()
            .filter(|e| {
                e["reason"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("desk-wide limit: 10 acknowledgments")
            })
            .count();
    }
    assert_eq!(acked, 10, "the cap");
    assert_eq!(capped, 45);
    // What went out: the sink refuses the strangers' addresses, so each
    // acknowledgment is a failed row in the outbox and a refusal in its log.
    let acks = posko
        .outbox_unsent()
        .into_iter()
        .filter(|o| o["kind"] == "ack")
        .count();
    assert_eq!(acks, 10);
    let log = stack.smtp_log();
    let refused = log
        .lines()
        .filter(|l| l.contains("LMTP refused") && l.contains(".test"))
        .count();
    assert_eq!(refused, 10, "{log}");
}
both!(forged_senders_get_at_most_the_desk_wide_cap);

/// Finding 7: with `requester_domains`, a sender from elsewhere gets a
/// ticket and no acknowledgment; a sender from the desk's domain gets both.
async fn requester_domains_limit_acknowledgments(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = with_desk(
        backend,
        &stack,
        "requester_domains = [\"corp.test\"]",
        false,
    )
    .await;
    staff_mail(
        &stack,
        "Mallory <mallory@outside.test>",
        "helpdesk@corp.test",
        "Printer rusak",
        "m1@outside.test",
        "",
        "Tolong.",
    )
    .await;
    staff_mail(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        "helpdesk@corp.test",
        "Scanner rusak",
        "a1@corp.test",
        "",
        "Tolong.",
    )
    .await;
    let out = posko.run_once();
    assert!(out.contains("2 new tickets"), "{out}");
    let tickets = posko.tickets();
    let of = |who: &str| {
        let t = tickets.iter().find(|t| t["requester"] == who).unwrap();
        posko.ticket(t["id"].as_i64().unwrap())
    };
    let m = of("mallory@outside.test");
    assert!(events(&m, "ack_queued").is_empty(), "{m:#}");
    let why = events(&m, "ack_suppressed");
    assert_eq!(why.len(), 1, "{m:#}");
    assert!(
        why[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("requester_domains: outside.test"),
        "{m:#}"
    );
    assert_eq!(events(&m, "staff_new_queued").len(), 1, "staff still told");
    assert_eq!(events(&of("alice@corp.test"), "ack_queued").len(), 1);
    stack.wait_for_mail("alice", 1, WAIT).await;
    assert!(
        !sent_to(&stack, "mallory@outside.test"),
        "{}",
        stack.smtp_log()
    );
}
both!(requester_domains_limit_acknowledgments);

/// Finding 7: `#requester:` does not reset its target's count: an address
/// at its limit gets no acknowledgment for a ticket staff open for it.
async fn requester_command_counts_against_its_target(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = with_desk(backend, &stack, "ack_limit = 2", false).await;
    for i in 0..2 {
        staff_mail(
            &stack,
            "Alice Wijaya <alice@corp.test>",
            "helpdesk@corp.test",
            &format!("Printer {i} rusak"),
            &format!("a{i}@corp.test"),
            "",
            "Tolong.",
        )
        .await;
    }
    posko.run_once();
    stack.wait_for_mail("alice", 2, WAIT).await;
    // Siti's personal desk address, from #help.
    let siti = "Siti Rahma <siti@corp.test>";
    staff_mail(&stack, siti, "helpdesk@corp.test", "#help", "s0@x", "", "").await;
    posko.run_once();
    let help = stack.wait_for_mail("siti", 3, WAIT).await;
    let help = help
        .iter()
        .find(|m| text(m).contains("#requester"))
        .expect("the help mail");
    let personal = reply_to(help);
    staff_mail(
        &stack,
        siti,
        &personal,
        "Printer lantai 3 macet #requester:alice@corp.test",
        "s1@x",
        "",
        "Telepon dari Alice.",
    )
    .await;
    posko.run_once();
    let t = posko
        .tickets()
        .into_iter()
        .find(|t| t["subject"] == "Printer lantai 3 macet")
        .expect("the ticket on Alice's behalf");
    let t = posko.ticket(t["id"].as_i64().unwrap());
    assert_eq!(t["requester"], "alice@corp.test");
    assert_eq!(events(&t, "opened_on_behalf").len(), 1, "{t:#}");
    assert!(events(&t, "ack_queued").is_empty(), "{t:#}");
    assert!(
        events(&t, "ack_suppressed")[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("rate limit: 2 acknowledgments to alice@corp.test"),
        "{t:#}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.inbox("alice").await.len(), 2, "not past the limit");
}
both!(requester_command_counts_against_its_target);

/// The requester of a ticket merged into another still takes part in it:
/// Bob's reply to his merged ticket is a public reply on the surviving one.
async fn requester_of_a_merged_ticket_takes_part(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let first = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    staff_mail(
        &stack,
        "Bob <bob@corp.test>",
        "helpdesk@corp.test",
        "Internet putus di gedung B",
        "bob1@corp.test",
        "",
        "Sama, di lantai 3.",
    )
    .await;
    posko.run_once();
    let second = posko
        .tickets()
        .into_iter()
        .find(|t| t["requester"] == "bob@corp.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let budi = stack.wait_for_mail("budi", 2, WAIT).await;
    let notice = budi
        .iter()
        .find(|m| mail::subject(m).starts_with(&format!("[Helpdesk #{second}]")))
        .expect("the notice of Bob's ticket");
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &reply_to(notice),
        &format!("Re: [Helpdesk #{second}] Internet putus di gedung B #merge:{first}"),
        "b1@corp.test",
        "",
        "",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(second)["merged_into"], first);
    staff_mail(
        &stack,
        "Bob <bob@corp.test>",
        "helpdesk@corp.test",
        &format!("Re: [Helpdesk #{second}] Internet putus di gedung B"),
        "bob2@corp.test",
        "",
        "Sekarang lantai 2 juga.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(first);
    assert_eq!(
        message(&t, "bob2@corp.test")["visibility"],
        "public",
        "{t:#}"
    );
    assert!(events(&t, "non_participant").is_empty(), "{t:#}");
}
both!(requester_of_a_merged_ticket_takes_part);
