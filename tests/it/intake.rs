//! Issue "Mail in, ticket out", stories 1–5, through the real binary against
//! Dovecot, the SMTP sink and SQLite / PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::both;
use crate::harness::mail::{self, header};
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko};

const WAIT: Duration = Duration::from_secs(20);

fn messages(t: &Value) -> &Vec<Value> {
    t["messages"].as_array().expect("messages[]")
}

fn events_of<'a>(t: &'a Value, kind: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// Story 1 and 2: the daemon (IMAP IDLE) answers Alice within seconds with a
/// threaded acknowledgment, and the service desk gets the notice.
async fn new_mail_is_acknowledged_and_desk_told(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = Posko::new(backend, &stack).await;
    posko.start_daemon();
    // Let the daemon connect and enter IDLE before the mail arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent_at = Instant::now();
    let original = mail::outlook_with_screenshot("CAOutlook.17@mail.corp.test");
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &original)
        .await;

    let ack = stack.wait_for_mail("alice", 1, WAIT).await.remove(0);
    let latency = sent_at.elapsed();
    assert!(latency < Duration::from_secs(10), "ack took {latency:?}");
    eprintln!("acknowledgment arrived {latency:?} after delivery");

    let tickets = posko.tickets();
    assert_eq!(tickets.len(), 1);
    let id = tickets[0]["id"].as_i64().unwrap();
    assert_eq!(
        mail::subject(&ack),
        format!("[Helpdesk #{id}] Internet lambat di gedung B")
    );
    assert_eq!(
        header(&ack, "In-Reply-To").as_deref(),
        Some("<CAOutlook.17@mail.corp.test>")
    );
    assert!(
        header(&ack, "References")
            .unwrap()
            .contains("<CAOutlook.17@mail.corp.test>")
    );
    assert_eq!(
        header(&ack, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert!(
        header(&ack, "Reply-To")
            .unwrap()
            .contains("helpdesk@corp.test")
    );
    let text = mail::body_text(&ack);
    assert!(text.contains(&format!("tiket #{id}")), "{text}");
    assert!(
        text.contains("balas email ini"),
        "says that replying adds to the ticket: {text}"
    );

    // Story 2: Siti (L1) gets the notice with the text and attachment names;
    // Budi (L2) does not.
    let notice = stack.wait_for_mail("siti", 1, WAIT).await.remove(0);
    assert_eq!(
        mail::subject(&notice),
        format!("[Helpdesk #{id}] Internet lambat di gedung B")
    );
    let notice_text = mail::body_text(&notice);
    assert!(
        notice_text.contains("lambat sekali sejak kemarin sore"),
        "{notice_text}"
    );
    assert!(notice_text.contains("speedtest.png"), "{notice_text}");
    assert!(stack.inbox("budi").await.is_empty());

    let t = posko.ticket(id);
    assert_eq!(t["status"], "new");
    assert_eq!(t["requester"], "alice@corp.test");
    let first = &messages(&t)[0];
    assert_eq!(first["direction"], "in");
    assert_eq!(first["visibility"], "public");
    assert_eq!(first["message_id"], "CAOutlook.17@mail.corp.test");
    assert_eq!(first["attachments"][0]["filename"], "speedtest.png");
    assert_eq!(first["attachments"][0]["content_type"], "image/png");
    assert_eq!(first["attachments"][0]["size"], 70);
    assert!(first["body_text"].as_str().unwrap().contains("gedung B"));
    let outs: Vec<_> = messages(&t)
        .iter()
        .filter(|m| m["direction"] == "out")
        .collect();
    assert_eq!(outs.len(), 2, "ack + notice recorded on the ticket");
    assert!(!events_of(&t, "created").is_empty());

    // On the server the mail is marked done only after the commit.
    let flags = stack.mailbox_flags("helpdesk", "INBOX").await;
    assert!(
        flags.iter().all(|(_, f)| f.iter().any(|x| x == "\\Seen")),
        "{flags:?}"
    );
    assert!(
        posko.stop_daemon(),
        "clean exit on SIGTERM\n{}",
        posko.daemon_log()
    );
}
both!(new_mail_is_acknowledged_and_desk_told);

/// Story 3: replies become comments, however the client threads them.
async fn replies_become_comments(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain(
                "Alice Wijaya <alice@corp.test>",
                "Internet lambat di gedung B",
                "first@mail.corp.test",
                "",
                "Internet lambat.",
            ),
        )
        .await;
    posko.run_once();
    let ack = stack.wait_for_mail("alice", 1, WAIT).await.remove(0);
    let ack_id = header(&ack, "Message-ID").unwrap();
    let id = posko.tickets()[0]["id"].as_i64().unwrap();

    // a) From her phone, quoting the acknowledgment under her text.
    let quoted = mail::body_text(&ack)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let reply = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        &format!("Re: [Helpdesk #{id}] Internet lambat di gedung B"),
        "reply1@phone.corp.test",
        &format!("In-Reply-To: {ack_id}\r\nReferences: <first@mail.corp.test> {ack_id}\r\n"),
        &format!(
            "Sekarang mati total di lantai 2.\r\n\r\nDikirim dari iPhone saya\r\n\r\n\
             Pada Sen, 23 Nov 2026 pukul 07.56, IT Helpdesk <helpdesk@corp.test> menulis:\r\n{quoted}"
        ),
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &reply)
        .await;
    // b) A fresh mail with the tag in the subject, no references.
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain(
                "alice@corp.test",
                &format!("[Helpdesk #{id}] tambahan info"),
                "fresh@mail.corp.test",
                "",
                "Router di ruang server berkedip merah.",
            ),
        )
        .await;
    // c) Her client dropped the tag but kept the references.
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain(
                "alice@corp.test",
                "Re: Internet lambat di gedung B",
                "notag@mail.corp.test",
                &format!("In-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\n"),
                "Sudah normal lagi, terima kasih.",
            ),
        )
        .await;
    let out = posko.run_once();
    assert!(out.contains("3 comments"), "{out}");
    assert_eq!(posko.tickets().len(), 1, "no new ticket");

    let t = posko.ticket(id);
    let inbound: Vec<_> = messages(&t)
        .iter()
        .filter(|m| m["direction"] == "in")
        .collect();
    assert_eq!(inbound.len(), 4);
    let phone = inbound
        .iter()
        .find(|m| m["message_id"] == "reply1@phone.corp.test")
        .unwrap();
    assert_eq!(phone["body_text"], "Sekarang mati total di lantai 2.");
    let set_aside = phone["quoted_text"].as_str().unwrap();
    assert!(set_aside.contains("menulis:"), "{set_aside}");
    assert!(
        set_aside.contains("Terima kasih, laporan Anda"),
        "{set_aside}"
    );
    assert_eq!(events_of(&t, "comment_added").len(), 3);
    // Comments are not acknowledged again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.inbox("alice").await.len(), 1);
}
both!(replies_become_comments);

/// Story 4: robots never get an automatic answer; a flood is capped.
async fn robots_are_never_answered(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let robots: Vec<(&str, Vec<u8>)> = vec![
        (
            "bob",
            mail::plain("bob@corp.test", "Automatic reply: cuti", "ooo@x", "Auto-Submitted: auto-replied\r\n", "Saya sedang cuti."),
        ),
        (
            "bob",
            mail::plain("bob@corp.test", "Weekly digest", "list@x", "List-Id: <it-news.corp.test>\r\nPrecedence: list\r\n", "News."),
        ),
        (
            "bob",
            mail::plain("bob@corp.test", "Ticket update", "bulk@x", "Precedence: bulk\r\n", "Update."),
        ),
        (
            "bob",
            mail::plain("bob@corp.test", "Info", "xars@x", "X-Auto-Response-Suppress: All\r\n", "Please do not reply."),
        ),
        (
            "bob",
            b"From: Mail Delivery System <MAILER-DAEMON@corp.test>\r\nTo: helpdesk@corp.test\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@corp.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n\
Content-Type: text/plain\r\n\r\nThis is the mail system at host corp.test.\r\n--B\r\n\
Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; corp.test\r\n\r\nFinal-Recipient: rfc822; nobody@corp.test\r\n\
Action: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
                .to_vec(),
        ),
        (
            "helpdesk",
            mail::plain("IT Helpdesk <helpdesk@corp.test>", "Loop?", "own@x", "", "From ourselves."),
        ),
    ];
    for (_, raw) in &robots {
        stack
            .deliver("bob@corp.test", &["helpdesk@corp.test"], raw)
            .await;
    }
    posko.run_once();
    let tickets = posko.tickets();
    assert_eq!(tickets.len(), robots.len(), "every robot mail is recorded");
    for t in &tickets {
        let full = posko.ticket(t["id"].as_i64().unwrap());
        assert_eq!(events_of(&full, "ack_suppressed").len(), 1, "{full:#}");
        assert!(
            messages(&full).iter().all(|m| m["direction"] == "in"),
            "nothing sent"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stack.inbox("bob").await.is_empty(), "no answer to robots");

    // 20 mails in a few minutes: 20 tickets, 5 acknowledgments (desk.ack_limit).
    for i in 0..20 {
        stack
            .deliver(
                "alice@corp.test",
                &["helpdesk@corp.test"],
                &mail::plain(
                    "alice@corp.test",
                    &format!("Printer {i} rusak"),
                    &format!("flood{i}@corp.test"),
                    "",
                    "Tolong.",
                ),
            )
            .await;
    }
    let out = posko.run_once();
    assert!(out.contains("20 new tickets"), "{out}");
    let acks = stack.wait_for_mail("alice", 5, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.inbox("alice").await.len(), 5, "capped at ack_limit");
    assert_eq!(acks.len(), 5);
    let limited = posko
        .tickets()
        .iter()
        .filter(|t| {
            events_of(&posko.ticket(t["id"].as_i64().unwrap()), "ack_suppressed")
                .iter()
                .any(|e| e["reason"].as_str().unwrap_or("").starts_with("rate limit"))
        })
        .count();
    assert_eq!(limited, 15);
}
both!(robots_are_never_answered);

/// Story 5: the same message twice makes one ticket and one acknowledgment;
/// a restart resumes where it stopped.
async fn same_message_twice_is_one_ticket(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let raw = mail::plain(
        "alice@corp.test",
        "Laptop hang",
        "twice@corp.test",
        "",
        "Laptop hang terus.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    let out = posko.run_once();
    assert!(
        out.contains("1 new tickets") && out.contains("1 duplicates"),
        "{out}"
    );

    // A restart: nothing new is fetched again.
    let out = posko.run_once();
    assert!(out.starts_with("fetched 0"), "{out}");

    // A crash after the commit but before the server was told: the same
    // mail comes again (here: copied back into the INBOX) and is recognised.
    stack.append("helpdesk", "INBOX", &raw).await;
    let out = posko.run_once();
    assert!(
        out.contains("fetched 1") && out.contains("1 duplicates"),
        "{out}"
    );

    assert_eq!(posko.tickets().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.inbox("alice").await.len(), 1, "one acknowledgment");
    assert_eq!(stack.inbox("siti").await.len(), 1, "one notice");
}
both!(same_message_twice_is_one_ticket);

/// A desk taking mail from a Maildir (`mail/`, in batches), two
/// acknowledgments per sender at most; with the folder new mail goes to.
async fn maildir_desk(backend: Backend) -> (Posko, std::path::PathBuf) {
    let io = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n\
              [outbound]\nkind = \"file\"\npath = \"outbox\"\n";
    let posko = Posko::from_parts(backend, "ack_limit = 2", io).await;
    let new = posko.path().join("mail/new");
    std::fs::create_dir_all(posko.path().join("mail/cur")).unwrap();
    std::fs::create_dir_all(posko.path().join("mail/tmp")).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    (posko, new)
}

/// One intake batch (a Maildir pass takes up to 200 messages in one
/// transaction) mixing mail that surely opens a ticket with mail that needs
/// the database to be threaded: the result is the same as one by one.
/// New tickets are written while the next message is prepared, so this
/// checks that a reply finds a ticket opened earlier in the same batch, that
/// a copy in the same batch is a duplicate, and that the acknowledgment cap
/// counts acknowledgments queued by either kind of message.
async fn one_batch_mixes_new_mail_and_replies(backend: Backend) {
    let (posko, new) = maildir_desk(backend).await;
    let first = mail::plain(
        "alice@corp.test",
        "Printer rusak",
        "b1@corp.test",
        "",
        "Tolong.",
    );
    let batch: Vec<Vec<u8>> = vec![
        // 1: new (alice's first acknowledgment)
        first.clone(),
        // 2: bob answers message 1, whose ticket is not committed yet: a
        //    comment on it
        mail::plain(
            "bob@corp.test",
            "Re: Printer rusak",
            "b2@corp.test",
            "In-Reply-To: <b1@corp.test>\r\nReferences: <b1@corp.test>\r\n",
            "Printer saya juga.",
        ),
        // 3: refers to a message nobody knows: threaded by the database, a
        //    new ticket, alice's second acknowledgment
        mail::plain(
            "alice@corp.test",
            "Scanner juga",
            "b3@corp.test",
            "In-Reply-To: <elsewhere@corp.test>\r\n",
            "Dan scanner.",
        ),
        // 4: new, but alice is at the cap now
        mail::plain("alice@corp.test", "Monitor", "b4@corp.test", "", "Mati."),
        // 5: message 1 again
        first,
        // 6: someone else: acknowledged
        mail::plain("carol@corp.test", "Wifi", "b6@corp.test", "", "Putus."),
    ];
    for (i, raw) in batch.iter().enumerate() {
        std::fs::write(new.join(format!("{:04}.batch", i + 1)), raw).unwrap();
    }
    let out = posko.run_once();
    assert!(
        out.contains("4 new tickets") && out.contains("1 comments") && out.contains("1 duplicates"),
        "{out}"
    );
    let tickets = posko.tickets();
    let by_subject = |s: &str| {
        let t = tickets
            .iter()
            .find(|t| t["subject"] == s)
            .unwrap_or_else(|| panic!("no ticket {s:?}: {tickets:?}"));
        posko.ticket(t["id"].as_i64().unwrap())
    };
    let printer = by_subject("Printer rusak");
    let ins: Vec<&Value> = messages(&printer)
        .iter()
        .filter(|m| m["direction"] == "in")
        .collect();
    assert_eq!(ins.len(), 2, "the report and bob's reply: {printer}");
    assert!(
        ins[1]["body_text"]
            .as_str()
            .unwrap()
            .contains("Printer saya juga")
    );
    for (subject, acked) in [
        ("Printer rusak", true),
        ("Scanner juga", true),
        ("Monitor", false),
        ("Wifi", true),
    ] {
        let t = by_subject(subject);
        assert_eq!(
            !events_of(&t, "ack_queued").is_empty(),
            acked,
            "{subject}: {t}"
        );
        let limited = events_of(&t, "ack_suppressed")
            .iter()
            .any(|e| e["reason"].as_str().unwrap_or("").starts_with("rate limit"));
        assert_eq!(limited, !acked, "{subject}: {t}");
    }
}
both!(one_batch_mixes_new_mail_and_replies);

/// Replies that open tickets, at the start of a batch (before any mail that
/// opens one without the database): each is told whether it was taken in
/// before and how many acknowledgments its sender got lately by what the
/// batch read once and keeps up to date — the acknowledgments queued by
/// the replies before it included — not by reading it again; the result is
/// the same as one by one.
async fn replies_in_a_batch_count_the_acknowledgments_before_them(backend: Backend) {
    let (posko, new) = maildir_desk(backend).await;
    let reply = |subject: &str, id: &str| {
        mail::plain(
            "alice@corp.test",
            subject,
            id,
            "In-Reply-To: <elsewhere@corp.test>\r\n",
            "Tolong.",
        )
    };
    // Before the batch: alice's first acknowledgment.
    let earlier = reply("Printer rusak", "r1@corp.test");
    std::fs::write(new.join("0001.earlier"), &earlier).unwrap();
    let out = posko.run_once();
    assert!(out.contains("1 new tickets"), "{out}");
    let batch: Vec<Vec<u8>> = vec![
        // The earlier mail again: a duplicate.
        earlier,
        // A new ticket: alice's second acknowledgment.
        reply("Scanner rusak", "r2@corp.test"),
        // Alice is at the cap: counted with the one the batch just queued.
        reply("Monitor rusak", "r3@corp.test"),
        // Itself again, in the same batch: a duplicate.
        reply("Monitor rusak", "r3@corp.test"),
        // Someone else, new mail: acknowledged.
        mail::plain("carol@corp.test", "Wifi", "r5@corp.test", "", "Putus."),
    ];
    for (i, raw) in batch.iter().enumerate() {
        std::fs::write(new.join(format!("{:04}.batch", i + 2)), raw).unwrap();
    }
    let run = posko.cmd(&["run", "--once"]);
    let (out, log) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(run.status.success(), "{out}\n{log}");
    // The batch wrote it, not the one-by-one fallback.
    assert!(!log.contains("batch failed"), "{log}");
    assert!(
        out.contains("3 new tickets") && out.contains("2 duplicates"),
        "{out}"
    );
    let tickets = posko.tickets();
    assert_eq!(tickets.len(), 4, "{tickets:?}");
    for (subject, acked) in [
        ("Printer rusak", true),
        ("Scanner rusak", true),
        ("Monitor rusak", false),
        ("Wifi", true),
    ] {
        let t = tickets
            .iter()
            .find(|t| t["subject"] == subject)
            .unwrap_or_else(|| panic!("no ticket {subject:?}: {tickets:?}"));
        let t = posko.ticket(t["id"].as_i64().unwrap());
        assert_eq!(
            !events_of(&t, "ack_queued").is_empty(),
            acked,
            "{subject}: {t}"
        );
    }
}
both!(replies_in_a_batch_count_the_acknowledgments_before_them);
