//! Issue "Staff work tickets by mail": replies relayed to requesters,
//! subject-line commands, authentication, role limits, through the binary
//! against Dovecot, the SMTP sink and SQLite / PostgreSQL.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, wall_now};

const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn desk(backend: Backend, stack: &MailStack) -> Posko {
    Posko::with(
        backend,
        stack,
        Options {
            catalogue: true,
            ..Options::default()
        },
    )
    .await
}

/// Alice reports slow internet; returns the ticket id (network group).
pub(crate) async fn alice_reports(
    stack: &MailStack,
    posko: &Posko,
    subject: &str,
    id: &str,
) -> i64 {
    let raw = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        subject,
        id,
        "",
        "Internet di gedung B lambat sekali sejak pagi.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    let t = posko
        .tickets()
        .into_iter()
        .find(|t| t["subject"] == subject)
        .expect("ticket");
    t["id"].as_i64().unwrap()
}

/// `handle`'s reply address for `ticket`, as the desk would give it now.
async fn address(posko: &Posko, handle: &str, ticket: i64) -> String {
    posko.staff_address(handle, Some(ticket), wall_now()).await
}

/// Whether `addr` (`helpdesk+<token>@…`) proves a mail from `handle` about
/// `ticket` (`None`: a new ticket) now, with the default lifetime.
async fn proves(posko: &Posko, addr: &str, handle: &str, ticket: Option<i64>) -> bool {
    let keys = posko::staff_token::KeyRing::new(posko.staff_keys().await).unwrap();
    let token = addr.split(['+', '@']).nth(1).unwrap_or_default();
    posko::staff_token::check(&keys, 60 * 86_400, handle, ticket, token, wall_now()).is_ok()
}

/// A staff member's mail to the desk: to `to` (their tokened address, or
/// the plain desk address for a forgery), subject and body as given.
pub(crate) async fn staff_mail(
    stack: &MailStack,
    from: &str,
    to: &str,
    subject: &str,
    id: &str,
    extra: &str,
    body: &str,
) {
    let raw = format!(
        "From: {from}\r\nTo: IT Helpdesk <{to}>\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    );
    let envelope = from
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(from);
    stack.deliver(envelope, &[to], raw.as_bytes()).await;
}

pub(crate) fn events<'a>(t: &'a Value, kind: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

pub(crate) fn text(raw: &[u8]) -> String {
    mail::body_text(raw)
}

/// Story: Budi answers the notice; Alice gets his text, threaded, without
/// the quoted notice; the ticket has a public staff reply and its first
/// response. Then subject commands assign him and set it in progress.
async fn budi_answers_and_takes_the_ticket(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let notice = stack.wait_for_mail("budi", 1, WAIT).await.remove(0);
    // Budi answers to the notice's Reply-To, as his mail client does.
    let to = mail::address(&mail::header(&notice, "Reply-To").unwrap());
    assert!(to.starts_with("helpdesk+1"), "{to}");
    let notice_id = mail::header(&notice, "Message-ID").unwrap();
    let subject = mail::subject(&notice);
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("Re: {subject}"),
        "b1@corp.test",
        &format!("In-Reply-To: {notice_id}\r\nReferences: {notice_id}\r\n"),
        "Sudah kami cek, router gedung B sedang di-restart.\r\n\r\n\
         Pada Sen, 23 Nov 2026 pukul 08.00, IT Helpdesk <helpdesk@corp.test> menulis:\r\n\
         > Tiket baru #1 masuk ke IT Helpdesk.\r\n> Pemohon  : Alice Wijaya\r\n",
    )
    .await;
    posko.run_once();
    let mails = stack.wait_for_mail("alice", 2, WAIT).await;
    let (ack, relay) = (&mails[0], &mails[1]);
    let body = text(relay);
    assert!(body.contains("router gedung B sedang di-restart"), "{body}");
    assert!(
        !body.contains("Tiket baru"),
        "quoted notice relayed: {body}"
    );
    assert_eq!(
        mail::header(relay, "From").unwrap(),
        "\"Budi Santoso via IT Helpdesk\" <helpdesk@corp.test>"
    );
    let ack_id = mail::header(ack, "Message-ID").unwrap();
    let refs = mail::header(relay, "References").unwrap();
    assert!(
        refs.contains("<a1@corp.test>") && refs.contains(&ack_id),
        "{refs}"
    );
    assert_eq!(mail::header(relay, "In-Reply-To").unwrap(), ack_id);
    assert!(mail::subject(relay).starts_with(&format!("[Helpdesk #{id}]")));

    let t = posko.ticket(id);
    let reply = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == "b1@corp.test")
        .unwrap();
    assert_eq!(reply["author"], "budi");
    assert_eq!(reply["visibility"], "public");
    assert_eq!(reply["kind"], "staff_reply");
    assert_eq!(t["messages"][0]["author"], "alice@corp.test");
    assert!(t["first_response_at"].is_string(), "{t:#}");
    assert_eq!(events(&t, "first_response").len(), 1);
    assert_eq!(t["status"], "in_progress", "a public reply starts the work");

    // Subject commands.
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("Re: {subject} #assign:me #status:in_progress #priority:1"),
        "b2@corp.test",
        "",
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["assignee"], "budi");
    assert_eq!(t["priority"], 1);
    let cmds = events(&t, "command");
    assert_eq!(cmds.len(), 3, "{t:#}");
    assert_eq!(cmds[0]["command"], "#assign:me");
    assert_eq!(cmds[0]["actor"], "budi");
    assert_eq!(cmds[0]["auth"]["token"]["result"], "pass");
    assert_eq!(cmds[0]["source_message"], "b2@corp.test");
    assert_eq!(events(&t, "first_response").len(), 1, "only the first");
    let alice = stack.wait_for_mail("alice", 3, WAIT).await;
    let notice = text(&alice[2]);
    assert!(notice.contains("Budi Santoso"), "{notice}");
    let budi = stack.wait_for_mail("budi", 2, WAIT).await;
    let confirm = text(&budi[1]);
    assert!(confirm.contains("#assign:me"), "{confirm}");
    assert!(confirm.contains("#priority:1"), "{confirm}");
    // The confirmation carries Budi's address for the same ticket.
    let again = mail::address(&mail::header(&budi[1], "Reply-To").unwrap());
    assert!(proves(&posko, &again, "budi", Some(id)).await, "{again}");
    assert!(!proves(&posko, &again, "siti", Some(id)).await);
}
both!(budi_answers_and_takes_the_ticket);

/// #internal stays with staff; #pending waits and Alice's answer resumes;
/// #resolve sends the note; #close (after resolving) and #reopen; and a
/// body command line works like a subject one.
async fn internal_pending_resolve_close_reopen(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let to = address(&posko, "budi", id).await;
    let subject = format!("Re: [Helpdesk #{id}] Internet lambat di gedung B");
    let budi = "Budi Santoso <budi@corp.test>";
    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #internal"),
        "b1@x",
        "",
        "Switch lantai 2 rusak, jangan bilang dulu.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    let note = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == "b1@x")
        .unwrap();
    assert_eq!(note["visibility"], "internal");
    assert_eq!(note["kind"], "note");
    assert!(t["first_response_at"].is_null());

    staff_mail(
        &stack,
        budi,
        &to,
        &subject,
        "b2@x",
        "",
        "#pending\r\n\r\nApakah masih lambat setelah restart?",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "pending");
    let alice = stack.wait_for_mail("alice", 2, WAIT).await;
    let pending = text(&alice[1]);
    assert!(
        pending.contains("masih lambat setelah restart"),
        "{pending}"
    );
    assert!(!pending.contains("jangan bilang"), "internal note leaked");
    assert!(!pending.contains("#pending"));

    let raw = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        &subject,
        "a2@corp.test",
        "",
        "Masih lambat.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "in_progress");

    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #resolve"),
        "b3@x",
        "",
        "Kabel uplink sudah diganti.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "resolved");
    let alice = stack.wait_for_mail("alice", 3, WAIT).await;
    let resolved = text(&alice[2]);
    assert!(
        resolved.contains("Kabel uplink sudah diganti"),
        "{resolved}"
    );
    assert!(resolved.contains("diselesaikan"), "{resolved}");

    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #close"),
        "b4@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "closed");
    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #reopen"),
        "b5@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "in_progress");
    assert_eq!(events(&t, "reopened").len(), 1);
}
both!(internal_pending_resolve_close_reopen);

/// A forged From carrying commands: no token, no DKIM. Nothing applies,
/// nothing reaches Alice, the attempt is recorded, and the real Budi is
/// told at his directory address. Anyone else's #resolve is just text.
async fn forged_commands_are_refused(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let subject = format!("Re: [Helpdesk #{id}] Internet lambat #close #assign:me");
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        "helpdesk@corp.test",
        &subject,
        "forged@evil.test",
        "Reply-To: attacker@evil.test\r\n",
        "Silakan login ulang di http://evil.test",
    )
    .await;
    let raw = mail::plain(
        "Bob <bob@corp.test>",
        &format!("Re: [Helpdesk #{id}] x #resolve"),
        "bob1@corp.test",
        "",
        "#resolve",
    );
    stack
        .deliver("bob@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "new");
    assert_eq!(t["assignee"], Value::Null);
    assert!(events(&t, "command").is_empty());
    let refused = events(&t, "command_refused");
    assert_eq!(refused.len(), 1, "{t:#}");
    // Recorded under the address it came from, never Budi's handle.
    assert_eq!(refused[0]["actor"], "budi@corp.test");
    assert_eq!(refused[0]["claimed_staff"], "budi");
    assert_eq!(refused[0]["auth"]["token"]["result"], "fail");
    assert_eq!(refused[0]["source_message"], "forged@evil.test");
    assert_eq!(
        refused[0]["commands"],
        serde_json::json!(["#close", "#assign:me"])
    );
    let forged = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == "forged@evil.test")
        .unwrap();
    assert_eq!(forged["visibility"], "internal");
    assert_eq!(forged["author"], "budi@corp.test");
    // Budi: the notice, then the refusal (to him, not to the Reply-To).
    let budi = stack.wait_for_mail("budi", 2, WAIT).await;
    assert!(
        text(&budi[1]).contains("TIDAK dijalankan"),
        "{}",
        text(&budi[1])
    );
    assert!(text(&budi[1]).contains("no token"));
    // Alice only ever got her acknowledgment.
    posko.run_once();
    assert_eq!(stack.inbox("alice").await.len(), 1);
}
both!(forged_commands_are_refused);

/// Role limits and invalid commands: nothing applies, and the reply says
/// which command, why, and what was probably meant.
async fn invalid_or_forbidden_commands_apply_nothing(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let to = address(&posko, "budi", id).await;
    let subject = format!("Re: [Helpdesk #{id}] Internet lambat di gedung B");
    let budi = "Budi Santoso <budi@corp.test>";
    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #assign:me #status:selesia"),
        "b1@x",
        "",
        "Sudah beres.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["assignee"], Value::Null, "nothing applies");
    assert_eq!(t["status"], "new");
    assert_eq!(events(&t, "command_invalid").len(), 1);
    let budi_mail = stack.wait_for_mail("budi", 2, WAIT).await;
    let error = text(&budi_mail[1]);
    assert!(error.contains("#status:selesai?"), "{error}");
    assert_eq!(stack.inbox("alice").await.len(), 1, "not relayed");

    // Only managers close what is not resolved.
    staff_mail(
        &stack,
        budi,
        &to,
        &format!("{subject} #close"),
        "b2@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "new");
    let budi_mail = stack.wait_for_mail("budi", 3, WAIT).await;
    assert!(
        text(&budi_mail[2]).contains("only a manager"),
        "{}",
        text(&budi_mail[2])
    );
    let hendra = address(&posko, "hendra", id).await;
    staff_mail(
        &stack,
        "Hendra Gunawan <manager@corp.test>",
        &hendra,
        &format!("{subject} #close"),
        "h1@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "closed");
}
both!(invalid_or_forbidden_commands_apply_nothing);

/// #requester opens a ticket for Alice; #cc adds a watcher who gets public
/// replies; #merge closes a duplicate into the first; #help answers.
async fn requester_cc_merge_help(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let first = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    // A new ticket with commands: Siti's personal address (no ticket).
    let personal = posko.staff_address("siti", None, wall_now()).await;
    let siti = "Siti Rahma <siti@corp.test>";
    staff_mail(
        &stack,
        siti,
        &personal,
        "Printer lantai 3 macet #requester:alice@corp.test",
        "s1@x",
        "",
        "Telepon dari Alice: printer macet sejak pagi.",
    )
    .await;
    posko.run_once();
    let t = posko
        .tickets()
        .into_iter()
        .find(|t| t["subject"] == "Printer lantai 3 macet")
        .expect("ticket on Alice's behalf");
    let second = t["id"].as_i64().unwrap();
    let t = posko.ticket(second);
    assert_eq!(t["requester"], "alice@corp.test");
    assert_eq!(t["messages"][0]["author"], "siti");
    assert_eq!(events(&t, "opened_on_behalf").len(), 1);
    let alice = stack.wait_for_mail("alice", 2, WAIT).await;
    assert!(mail::subject(&alice[1]).contains(&format!("#{second}]")));
    assert!(text(&alice[1]).contains("tiket #"), "{}", text(&alice[1]));
    let request = t["messages"][0]["body_text"].as_str().unwrap();
    assert_eq!(request, "Telepon dari Alice: printer macet sejak pagi.");

    // A watcher.
    let subject = format!("Re: [Helpdesk #{first}] Internet lambat di gedung B");
    staff_mail(
        &stack,
        siti,
        &address(&posko, "siti", first).await,
        &format!("{subject} #cc:bob@corp.test"),
        "s2@x",
        "",
        "Bob dari gedung B ikut memantau.",
    )
    .await;
    posko.run_once();
    let bob = stack.wait_for_mail("bob", 1, WAIT).await;
    assert!(text(&bob[0]).contains("ikut memantau"), "{}", text(&bob[0]));
    assert_eq!(events(&posko.ticket(first), "watcher_added").len(), 1);
    assert_eq!(
        posko.ticket(first)["watchers"],
        serde_json::json!(["bob@corp.test"])
    );

    // Merge the second into the first; Alice is told.
    let subject2 = format!("Re: [Helpdesk #{second}] Printer lantai 3 macet");
    staff_mail(
        &stack,
        siti,
        &address(&posko, "siti", second).await,
        &format!("{subject2} #merge:{first}"),
        "s3@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(second);
    assert_eq!(t["merged_into"], first);
    assert_eq!(t["status"], "closed");
    let alice = stack.wait_for_mail("alice", 4, WAIT).await;
    let merged = text(alice.last().unwrap());
    assert!(merged.contains(&format!("#{first}")), "{merged}");
    assert_eq!(events(&posko.ticket(first), "merged_from").len(), 1);

    // #help, without a ticket.
    staff_mail(&stack, siti, "helpdesk@corp.test", "#help", "s4@x", "", "").await;
    posko.run_once();
    let siti_mail = stack.inbox("siti").await;
    let help = siti_mail
        .iter()
        .map(|m| text(m))
        .find(|b| b.contains("#escalate"))
        .expect("help mail");
    // It gives Siti a personal address of hers, good for new tickets only.
    let given = help
        .split_whitespace()
        .find(|w| w.starts_with("helpdesk+"))
        .expect("personal address in the help mail");
    assert!(proves(&posko, given, "siti", None).await, "{help}");
    assert!(!proves(&posko, given, "siti", Some(first)).await);
}
both!(requester_cc_merge_help);

/// #escalate:network from the service desk with a reason: the network group
/// gets the escalation form with who, to whom, why, what was tried and the
/// history; Alice is told. Then #escalate (next level) from L2 goes to L3.
async fn escalation_carries_the_form(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let raw = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        "Tolong cek komputer saya",
        "a1@corp.test",
        "",
        "Tidak jelas masalahnya.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    let id = posko.tickets()[0]["id"].as_i64().unwrap();
    assert_eq!(posko.ticket(id)["group"], "servicedesk");
    let to = address(&posko, "siti", id).await;
    let siti = "Siti Rahma <siti@corp.test>";
    let subject = format!("Re: [Helpdesk #{id}] Tolong cek komputer saya");
    staff_mail(
        &stack,
        siti,
        &to,
        &format!("{subject} #internal"),
        "s1@x",
        "",
        "Sudah restart komputer, tetap tidak bisa ke internet.",
    )
    .await;
    staff_mail(
        &stack,
        siti,
        &to,
        &format!("{subject} #escalate:network"),
        "s2@x",
        "",
        "Kemungkinan masalah switch, perlu tim jaringan.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["group"], "network");
    let esc = events(&t, "escalated");
    assert_eq!(esc[0]["from_group"], "servicedesk");
    assert_eq!(esc[0]["to_group"], "network");
    let budi = stack.wait_for_mail("budi", 1, WAIT).await;
    let form = text(&budi[0]);
    assert!(
        mail::subject(&budi[0]).contains("Eskalasi"),
        "{}",
        mail::subject(&budi[0])
    );
    for needle in [
        "Siti Rahma",
        "Jaringan",
        "Kemungkinan masalah switch",
        "Sudah restart komputer",
        "Tidak jelas masalahnya",
        "created",
    ] {
        assert!(form.contains(needle), "{needle:?} missing in\n{form}");
    }
    let alice = stack.wait_for_mail("alice", 2, WAIT).await;
    let told = text(alice.last().unwrap());
    assert!(told.contains("dieskalasi"), "{told}");
    assert!(
        !told.contains("switch"),
        "the reason stays with staff: {told}"
    );

    // Budi (L2) escalates to the next level: the vendor (L3), which has no
    // members, so the managers get the form.
    let budi_to = address(&posko, "budi", id).await;
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &budi_to,
        &format!("{subject} #escalate"),
        "b1@x",
        "",
        "Perlu vendor.",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["group"], "vendor");
    stack.wait_for_mail("manager", 1, WAIT).await;
}
both!(escalation_carries_the_form);
