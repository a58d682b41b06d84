//! Issue 11, the desk's side: `#show` mails a staff member a ticket's
//! whole record (messages, events, SLA clocks, survey, who closed it),
//! through the binary against Dovecot, the SMTP sink and SQLite /
//! PostgreSQL; and nobody else gets any of it.

use std::time::Duration;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko, wall_now};
use crate::staff::{alice_reports, desk, events, staff_mail, text};

const WAIT: Duration = Duration::from_secs(20);

/// What every record starts with (the desk speaks Indonesian).
const RECORD: &str = "Catatan lengkap tiket #";

/// A survey row as the resolution writes it (migration 0006), answered.
pub(crate) async fn answered_survey(
    posko: &Posko,
    ticket: i64,
    sent_at: i64,
    ratings: &str,
    score: i64,
    comment: &str,
) {
    posko
        .sql(&format!(
            "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, expires_at, \
             remind_at, reminded_at, answered_at, ratings, score, comment) VALUES \
             ({ticket}, 'hash-{ticket}-{sent_at}', 'answered', 'id', {sent_at}, {exp}, NULL, NULL, \
             {ans}, '{ratings}', {score}, '{comment}')",
            exp = sent_at + 30 * 86_400,
            ans = sent_at + 600,
            comment = comment.replace('\'', "''"),
        ))
        .await;
}

/// The records `user` got.
async fn records(stack: &MailStack, user: &str) -> Vec<String> {
    stack
        .inbox(user)
        .await
        .iter()
        .map(|m| text(m))
        .filter(|t| t.contains(RECORD))
        .collect()
}

/// Story: Budi resolves Alice's ticket; she answers the survey and the
/// desk closes it. Budi sends `#show` alone on the ticket: he gets one
/// mail with all of it, threaded under the ticket, and no confirmation;
/// Alice gets nothing more. A second `#show` does not repeat the first.
async fn show_mails_the_whole_record(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    stack.wait_for_mail("budi", 1, WAIT).await;
    let to = posko.staff_address("budi", Some(id), wall_now()).await;
    let subject = format!("Re: [Helpdesk #{id}] Internet lambat di gedung B");
    let budi = "Budi Santoso <budi@corp.test>";
    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #resolve"),
        "b1@corp.test",
        "",
        "Router gedung B sudah diganti.",
    )
    .await;
    posko.run_once();
    stack.wait_for_mail("alice", 2, WAIT).await;
    answered_survey(
        &posko,
        id,
        wall_now() - 60,
        r#"{"speed": 2, "overall": 4}"#,
        4,
        "Cepat, tapi <router> sering mati",
    )
    .await;
    posko
        .sql(&format!(
            "UPDATE tickets SET status = 'closed', closed_at = {}, closed_by = 'auto' \
             WHERE id = {id}",
            wall_now()
        ))
        .await;
    // Budi has his notice and the confirmation of #resolve.
    let before = stack.wait_for_mail("budi", 2, WAIT).await.len();
    staff_mail(&stack, budi, &to, &subject, "b2@corp.test", "", "#show").await;
    posko.run_once();
    let mails = stack.wait_for_mail("budi", before + 1, WAIT).await;
    assert_eq!(mails.len(), before + 1, "one mail, no confirmation");
    let raw = mails.last().unwrap();
    assert!(mail::subject(raw).contains(&format!("[Helpdesk #{id}]")));
    assert_eq!(
        mail::header(raw, "In-Reply-To").as_deref(),
        Some("<b2@corp.test>")
    );
    let record = text(raw);
    for want in [
        &format!("{RECORD}{id} di IT Helpdesk"),
        "Status     : ditutup (ditutup oleh desk, otomatis)",
        "Pemohon    : Alice Wijaya <alice@corp.test>",
        "Grup       : network",
        // The request and Budi's resolution, with who sent them.
        "Internet di gedung B lambat sekali sejak pagi.",
        "Router gedung B sudah diganti.",
        "Dari: Budi Santoso <budi@corp.test>",
        // Clocks, survey, events.
        "respons: terpenuhi",
        "nilai 4 dari 5\n    speed: 2\n    overall: 4\n  saran: Cepat, tapi <router> sering mati",
        "  command  budi  #resolve",
        "resolved_queued",
    ] {
        assert!(record.contains(want), "{want:?} not in:\n{record}");
    }
    let t = posko.ticket(id);
    assert_eq!(events(&t, "show_queued").len(), 1, "{t:#}");
    let show = events(&t, "command");
    assert_eq!(show.last().unwrap()["command"], "#show");
    // Alice: her acknowledgment and the resolution, nothing of the record.
    assert_eq!(stack.inbox("alice").await.len(), 2);

    // Again: the first record is listed, its text not repeated.
    staff_mail(&stack, budi, &to, &subject, "b3@corp.test", "", "#show").await;
    posko.run_once();
    stack.wait_for_mail("budi", before + 2, WAIT).await;
    let second = records(&stack, "budi").await.pop().unwrap();
    assert!(second.contains("(catatan tiket ini yang dikirim sebelumnya, tidak diulang)"));
    // (The request shows in the request and in the staff notices; the
    // first record's copies of it are not repeated.)
    let n = |t: &str| t.matches("Internet di gedung B lambat sekali").count();
    assert_eq!(n(&second), n(&record));
}
both!(show_mails_the_whole_record);

/// Hostile: `#show` from a requester guessing a ticket number, from a
/// forged Budi (no token, Reply-To elsewhere), and from the real Budi
/// with the token of another ticket: no record goes to anyone, and none
/// is queued.
async fn show_reveals_nothing_to_others(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let other = alice_reports(&stack, &posko, "Printer rusak", "a2@corp.test").await;
    stack.wait_for_mail("budi", 1, WAIT).await;
    // Bob is no party to Alice's ticket.
    let raw = mail::plain(
        "Bob <bob@corp.test>",
        &format!("Re: [Helpdesk #{id}] #show"),
        "bob1@corp.test",
        "",
        "#show",
    );
    stack
        .deliver("bob@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    // A forged Budi, to the plain desk address.
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        "helpdesk@corp.test",
        &format!("Re: [Helpdesk #{id}] x #show"),
        "forged@evil.test",
        "Reply-To: bob@corp.test\r\n",
        "",
    )
    .await;
    // The real Budi, with the reply address of the other ticket.
    let wrong = posko.staff_address("budi", Some(other), wall_now()).await;
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &wrong,
        &format!("Re: [Helpdesk #{id}] x #show"),
        "b-wrong@corp.test",
        "",
        "",
    )
    .await;
    posko.run_once();
    posko.run_once();
    let t = posko.ticket(id);
    assert!(events(&t, "show_queued").is_empty(), "{t:#}");
    assert_eq!(events(&t, "command_refused").len(), 2, "{t:#}");
    for user in ["bob", "budi", "alice", "siti"] {
        assert!(
            records(&stack, user).await.is_empty(),
            "{user} got a record"
        );
    }
    // Bob's mail reached no record; what he got (if anything) holds none
    // of Alice's words.
    for m in stack.inbox("bob").await {
        assert!(
            !text(&m).contains("lambat sekali sejak pagi"),
            "{}",
            text(&m)
        );
    }
}
both!(show_reveals_nothing_to_others);
