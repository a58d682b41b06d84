//! Issue 9, finding 4: staff tokens are bound to a ticket and a staff
//! member, expire, are read only from where the mail was sent, survive a
//! key rotation; and nothing claiming a staff From counts as staff without
//! proof. Through the binary, against Dovecot, the SMTP sink and SQLite /
//! PostgreSQL. Every reply address used here is read from the mail the desk
//! sent, as a mail client (or an eavesdropper) would.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko};
use crate::staff::{alice_reports, desk, events, staff_mail, text};

const WAIT: Duration = Duration::from_secs(20);
const BUDI: &str = "Budi Santoso <budi@corp.test>";

/// The desk's first mail of kind `kind` (`notice`, `command_error` …) about
/// `ticket` in `user`'s inbox, waiting for it.
async fn mail_about(stack: &MailStack, user: &str, ticket: i64, kind: &str) -> Vec<u8> {
    let prefix = format!("<posko.{ticket}.{kind}.");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = stack
            .inbox(user)
            .await
            .into_iter()
            .find(|m| mail::header(m, "Message-ID").is_some_and(|id| id.starts_with(&prefix)));
        if let Some(m) = found {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} about #{ticket} for {user}\n{}",
            stack.smtp_log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Reply-To of a mail the desk sent.
pub(crate) fn reply_to(raw: &[u8]) -> String {
    mail::address(&mail::header(raw, "Reply-To").expect("Reply-To"))
}

/// A desk where Alice reported slow internet (ticket A, network group):
/// the stack, posko, A, and the reply address of Budi's notice about A.
async fn alice_and_budis_address(backend: Backend) -> (MailStack, Posko, i64, String) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    alice_and_budis_address_on(stack, posko).await
}

/// [`alice_and_budis_address`] on a desk already made.
async fn alice_and_budis_address_on(
    stack: MailStack,
    posko: Posko,
) -> (MailStack, Posko, i64, String) {
    let a = alice_reports(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "a1@corp.test",
    )
    .await;
    let to_a = reply_to(&mail_about(&stack, "budi", a, "notice").await);
    (stack, posko, a, to_a)
}

/// Why the `n`th refusal on `t` found no proof: `auth.token` of its event.
fn refused_token(t: &Value, n: usize) -> &Value {
    &events(t, "command_refused")
        .get(n)
        .unwrap_or_else(|| panic!("no refusal #{n} in {t:#}"))["auth"]["token"]
}

/// Bob reports a broken wifi (network group, so Budi is told); the id.
async fn bob_reports(stack: &MailStack, posko: &Posko) -> i64 {
    let raw = mail::plain(
        "Bob <bob@corp.test>",
        "Wifi lantai 3 putus",
        "bob1@corp.test",
        "",
        "Wifi di lantai 3 putus sejak jam 8.",
    );
    stack
        .deliver("bob@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    posko.ticket_titled("Wifi lantai 3 putus")["id"]
        .as_i64()
        .unwrap()
}

pub(crate) fn message<'a>(t: &'a Value, message_id: &str) -> &'a Value {
    t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == message_id)
        .unwrap_or_else(|| panic!("no message {message_id} in {t:#}"))
}

/// An instant `days` from now, for `run --once --now`.
fn days_from_now(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// The finding as reported: Budi answers ticket A with a vendor in Cc. The
/// vendor's copy shows the address Budi wrote to. Later the vendor forges
/// Budi's From, writes to that address about Bob's ticket B, and sends
/// `#cc:spy@outside.test #resolve`. Nothing applies; B is unchanged; Bob
/// gets no "Budi Santoso via IT Helpdesk" mail; the spy watches nothing;
/// the refusal is recorded under the vendor's forged address and Budi is
/// told that the address belongs to ticket A.
async fn vendor_cced_once_cannot_act_on_another_ticket(backend: Backend) {
    let (stack, posko, a, _) = alice_and_budis_address(backend).await;
    let b = bob_reports(&stack, &posko).await;
    let notice = mail_about(&stack, "budi", a, "notice").await;
    let to_a = reply_to(&notice);
    // Budi's genuine reply on A, the vendor in Cc.
    let subject_a = format!("Re: {}", mail::subject(&notice));
    staff_mail(
        &stack,
        BUDI,
        &to_a,
        &subject_a,
        "budi-a1@corp.test",
        "Cc: Vendor <vendor@outside.test>\r\n",
        "Vendor sudah kami minta cek router gedung B.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(a);
    assert_eq!(message(&t, "budi-a1@corp.test")["author"], "budi");
    assert_eq!(stack.wait_for_mail("alice", 2, WAIT).await.len(), 2);
    // What the vendor's copy shows: the To Budi wrote to.
    let seen_by_vendor = to_a.clone();

    staff_mail(
        &stack,
        BUDI,
        &seen_by_vendor,
        &format!("Re: [Helpdesk #{b}] Wifi lantai 3 putus #cc:spy@outside.test #resolve"),
        "forged-b@outside.test",
        "",
        "Sudah beres. Mohon login ulang di http://evil.test/login",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(b);
    assert_eq!(t["status"], "new", "{t:#}");
    assert_eq!(t["watchers"], serde_json::json!([]));
    assert!(t["resolved_at"].is_null());
    assert!(events(&t, "command").is_empty(), "{t:#}");
    assert!(events(&t, "watcher_added").is_empty());
    let refused = events(&t, "command_refused");
    assert_eq!(refused.len(), 1, "{t:#}");
    assert_eq!(refused[0]["actor"], "budi@corp.test");
    assert_eq!(refused[0]["claimed_staff"], "budi");
    assert_eq!(refused_token(&t, 0)["problem"], "other_ticket");
    assert_eq!(
        refused[0]["commands"],
        serde_json::json!(["#cc:spy@outside.test", "#resolve"])
    );
    let forged = message(&t, "forged-b@outside.test");
    assert_eq!(forged["visibility"], "internal");
    assert_eq!(forged["author"], "budi@corp.test");
    assert_eq!(forged["kind"], "reply", "not a staff reply");
    // Bob only ever got his acknowledgment; nothing went to the spy.
    posko.run_once();
    assert_eq!(stack.inbox("bob").await.len(), 1);
    assert!(!stack.smtp_log().contains("spy@outside.test"));
    // Budi is told, at his own address, whose address it was.
    let told = text(&mail_about(&stack, "budi", b, "command_refused").await);
    assert!(told.contains("TIDAK dijalankan"), "{told}");
    assert!(told.contains(&format!("milik tiket #{a}")), "{told}");
}
both!(vendor_cced_once_cannot_act_on_another_ticket);

/// A token the sender wrote into Delivered-To / X-Original-To (the mail
/// went to the plain desk address) proves nothing: by default only To and
/// Cc are read.
async fn token_in_a_header_the_sender_wrote_does_not_count(backend: Backend) {
    let (stack, posko, a, to_a) = alice_and_budis_address(backend).await;
    staff_mail(
        &stack,
        BUDI,
        "helpdesk@corp.test",
        &format!("Re: [Helpdesk #{a}] Internet lambat di gedung B #assign:me #resolve"),
        "planted@x",
        &format!("Delivered-To: {to_a}\r\nX-Original-To: {to_a}\r\nEnvelope-To: {to_a}\r\n"),
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(a);
    assert_eq!(t["status"], "new", "{t:#}");
    assert!(t["assignee"].is_null());
    assert_eq!(events(&t, "command_refused").len(), 1, "{t:#}");
    assert_eq!(refused_token(&t, 0)["problem"], "missing");
}
both!(token_in_a_header_the_sender_wrote_does_not_count);

/// `recipient_header = "Delivered-To"`: the topmost one, which Dovecot
/// writes on delivery, is the address the mail went to. A reply to the
/// tokened address whose To the client rewrote passes; a planted
/// Delivered-To below Dovecot's does not, nor does a token in To.
async fn recipient_header_reads_only_the_servers_delivered_to(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::with(
        backend,
        &stack,
        Options {
            catalogue: true,
            extra: "[auth]\nrecipient_header = \"Delivered-To\"\n".into(),
            ..Options::default()
        },
    )
    .await;
    let (stack, posko, a, to_a) = alice_and_budis_address_on(stack, posko).await;
    let subject = format!("Re: [Helpdesk #{a}] Internet lambat di gedung B");
    // Planted: to the plain address, the token in To and a Delivered-To.
    let raw = format!(
        "From: {BUDI}\r\nTo: {to_a}\r\nDelivered-To: {to_a}\r\nSubject: {subject} #priority:1\r\n\
         Message-ID: <planted@x>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\n\r\n\r\n"
    );
    stack
        .deliver("budi@corp.test", &["helpdesk@corp.test"], raw.as_bytes())
        .await;
    posko.run_once();
    let t = posko.ticket(a);
    assert_ne!(t["priority"], 1, "{t:#}");
    assert_eq!(events(&t, "command_refused").len(), 1, "{t:#}");
    let detail = refused_token(&t, 0)["detail"].as_str().unwrap();
    assert!(detail.contains("topmost Delivered-To"), "{detail}");
    // Genuine: delivered to the tokened address (Bcc, say), To rewritten.
    let raw = format!(
        "From: {BUDI}\r\nTo: IT Helpdesk <helpdesk@corp.test>\r\nSubject: {subject} #assign:me\r\n\
         Message-ID: <genuine@x>\r\nDate: Mon, 23 Nov 2026 09:01:00 +0700\r\n\r\n\r\n"
    );
    stack
        .deliver("budi@corp.test", &[&to_a], raw.as_bytes())
        .await;
    posko.run_once();
    let t = posko.ticket(a);
    assert_eq!(t["assignee"], "budi", "{t:#}");
    let cmd = &events(&t, "command")[0];
    assert!(
        cmd["auth"]["token"]["detail"]
            .as_str()
            .unwrap()
            .contains("topmost Delivered-To"),
        "{cmd}"
    );
}
both!(recipient_header_reads_only_the_servers_delivered_to);

/// From an MTA pipe, `--recipient` (the envelope) is the one place a token
/// is read: a token in To does not count when the mail went to the plain
/// address, and a reply delivered to the tokened address passes whatever
/// its headers say.
async fn the_pipes_envelope_recipient_outranks_the_headers(backend: Backend) {
    let (_stack, posko, a, to_a) = alice_and_budis_address(backend).await;
    let subject = format!("Re: [Helpdesk #{a}] Internet lambat di gedung B");
    let mail_to = |to: &str, extra: &str, id: &str| {
        format!(
            "From: {BUDI}\r\nTo: {to}\r\nSubject: {subject} {extra}\r\nMessage-ID: <{id}>\r\n\
             Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\r\n\r\n"
        )
    };
    let out = posko.cmd_stdin(
        &["ingest", "--recipient", "helpdesk@corp.test"],
        mail_to(&to_a, "#priority:1", "pipe1@x").as_bytes(),
    );
    assert!(out.status.success(), "{out:?}");
    let t = posko.ticket(a);
    assert_ne!(t["priority"], 1, "{t:#}");
    let detail = refused_token(&t, 0)["detail"].as_str().unwrap();
    assert!(detail.contains("envelope recipient"), "{detail}");
    let out = posko.cmd_stdin(
        &["ingest", "--recipient", &to_a],
        mail_to("helpdesk@corp.test", "#assign:me", "pipe2@x").as_bytes(),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(posko.ticket(a)["assignee"], "budi");
    let out = posko.cmd_stdin(&["ingest", "--recipient", "not an address"], b"x");
    assert_eq!(out.status.code(), Some(64), "{out:?}");
}
both!(the_pipes_envelope_recipient_outranks_the_headers);

/// A reply to a month-old notice still works; past the lifetime (60 days)
/// the same address is refused, and Budi is told it expired and to reply
/// to the refusal, whose fresh address then works.
async fn an_expired_reply_address_is_refused_with_a_fresh_one(backend: Backend) {
    let (stack, posko, a, to_a) = alice_and_budis_address(backend).await;
    let subject = format!("Re: [Helpdesk #{a}] Internet lambat di gedung B");
    staff_mail(
        &stack,
        BUDI,
        &to_a,
        &format!("{subject} #assign:me"),
        "month@x",
        "",
        "",
    )
    .await;
    posko.run_once_at(&days_from_now(30));
    assert_eq!(posko.ticket(a)["assignee"], "budi", "a month-old notice");

    let later = days_from_now(61);
    staff_mail(
        &stack,
        BUDI,
        &to_a,
        &format!("{subject} #resolve"),
        "late@x",
        "",
        "Sudah normal.",
    )
    .await;
    posko.run_once_at(&later);
    let t = posko.ticket(a);
    assert_ne!(t["status"], "resolved", "{t:#}");
    assert_eq!(events(&t, "command_refused").len(), 1, "{t:#}");
    assert_eq!(refused_token(&t, 0)["problem"], "expired");
    let answer = mail_about(&stack, "budi", a, "command_refused").await;
    let told = text(&answer);
    assert!(told.contains("kedaluwarsa"), "{told}");
    assert!(told.contains("balas email ini"), "{told}");
    // Alice heard nothing of it.
    assert!(
        stack
            .inbox("alice")
            .await
            .iter()
            .all(|m| !text(m).contains("Sudah normal"))
    );
    // The refusal's own reply address is fresh: replying to it works.
    let fresh = reply_to(&answer);
    assert_ne!(fresh, to_a);
    staff_mail(
        &stack,
        BUDI,
        &fresh,
        &format!("{subject} #resolve"),
        "again@x",
        "",
        "Sudah normal.",
    )
    .await;
    posko.run_once_at(&later);
    assert_eq!(posko.ticket(a)["status"], "resolved");
}
both!(an_expired_reply_address_is_refused_with_a_fresh_one);

/// `posko auth rotate-key`: notices sent before it still work, notices
/// after it carry the new key's id; a rotation a lifetime later drops the
/// first key; `--revoke-old` drops every older key at once.
async fn a_rotated_key_keeps_recent_notices_working(backend: Backend) {
    let (stack, posko, a, to_a) = alice_and_budis_address(backend).await;
    let out = posko.cmd(&["auth", "rotate-key"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{out:?}");
    assert!(said.contains("signs from now on"), "{said}");
    let b = bob_reports(&stack, &posko).await;
    let to_b = reply_to(&mail_about(&stack, "budi", b, "notice").await);
    // helpdesk+1<key id>…: the key id is the two characters after the 1.
    let key_id = |addr: &str| addr["helpdesk+1".len()..][..2].to_string();
    assert_ne!(key_id(&to_a), key_id(&to_b), "{to_a} {to_b}");
    let keys = String::from_utf8_lossy(&posko.cmd(&["auth", "keys"]).stdout).to_string();
    assert!(
        keys.contains(&format!("{}  signs", key_id(&to_b))),
        "{keys}"
    );
    assert!(
        keys.contains(&format!("{}  verifies until", key_id(&to_a))),
        "{keys}"
    );
    for (to, ticket, id) in [(&to_a, a, "ra@x"), (&to_b, b, "rb@x")] {
        staff_mail(
            &stack,
            BUDI,
            to,
            &format!("Re: [Helpdesk #{ticket}] x #assign:me"),
            id,
            "",
            "",
        )
        .await;
    }
    posko.run_once();
    assert_eq!(posko.ticket(a)["assignee"], "budi", "the old key verifies");
    assert_eq!(posko.ticket(b)["assignee"], "budi", "the new key signs");

    // A lifetime after the first rotation, the next one drops that key.
    let later = days_from_now(61);
    let out = posko.cmd(&["auth", "rotate-key", "--now", &later]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("1 older key(s) dropped"), "{said}");
    // After a leak: every older key at once.
    let out = posko.cmd(&["auth", "rotate-key", "--revoke-old", "--now", &later]);
    assert!(out.status.success(), "{out:?}");
    staff_mail(
        &stack,
        BUDI,
        &to_b,
        &format!("Re: [Helpdesk #{b}] x #assign:siti"),
        "revoked@x",
        "",
        "",
    )
    .await;
    posko.run_once_at(&later);
    let t = posko.ticket(b);
    assert_eq!(t["assignee"], "budi", "{t:#}");
    assert_eq!(refused_token(&t, 0)["problem"], "unknown_key");
}
both!(a_rotated_key_keeps_recent_notices_working);

/// A forged staff From marked `Auto-Submitted`, without a token: kept on
/// Alice's ticket as an internal note under the forged address, marked
/// `sender_unverified`; never Budi's public words, never relayed.
async fn a_forged_automatic_staff_mail_is_not_budis_comment(backend: Backend) {
    let (stack, posko, a, _) = alice_and_budis_address(backend).await;
    staff_mail(
        &stack,
        BUDI,
        "helpdesk@corp.test",
        &format!("Re: [Helpdesk #{a}] Internet lambat di gedung B"),
        "auto-forged@evil.test",
        "Auto-Submitted: auto-replied\r\n",
        "Password Anda kedaluwarsa, perbarui di http://evil.test",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(a);
    let m = message(&t, "auto-forged@evil.test");
    assert_eq!(m["author"], "budi@corp.test", "{m:#}");
    assert_eq!(m["visibility"], "internal");
    let flagged = events(&t, "sender_unverified");
    assert_eq!(flagged.len(), 1, "{t:#}");
    assert_eq!(flagged[0]["claimed_staff"], "budi");
    assert_eq!(flagged[0]["actor"], "budi@corp.test");
    assert!(
        events(&t, "comment_added")
            .iter()
            .all(|e| e["actor"] != "budi")
    );
    assert_eq!(t["status"], "new");
    posko.run_once();
    assert_eq!(stack.inbox("alice").await.len(), 1, "only the ack");
}
both!(a_forged_automatic_staff_mail_is_not_budis_comment);

/// A new mail with commands (`#requester:`) needs the personal address
/// `#help` gives: to a ticket's reply address it opens only an ordinary
/// ticket of Budi's and is refused, saying so; to the personal address it
/// opens the ticket on Alice's behalf.
async fn a_new_ticket_with_commands_needs_the_personal_address(backend: Backend) {
    let (stack, posko, a, to_a) = alice_and_budis_address(backend).await;
    staff_mail(
        &stack,
        BUDI,
        &to_a,
        "Printer lantai 3 macet #requester:alice@corp.test",
        "new1@x",
        "",
        "Telepon dari Alice.",
    )
    .await;
    staff_mail(
        &stack,
        BUDI,
        "helpdesk@corp.test",
        "#help",
        "help@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    // An ordinary ticket of Budi's, nothing on Alice's behalf.
    let t = posko.ticket_titled("Printer lantai 3 macet #requester:alice@corp.test");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["requester"], "budi@corp.test");
    assert!(events(&t, "opened_on_behalf").is_empty());
    assert_eq!(refused_token(&t, 0)["problem"], "other_ticket");
    let told = text(&mail_about(&stack, "budi", id, "command_refused").await);
    assert!(told.contains("alamat pribadi"), "{told}");
    // The help mail's personal address.
    let budi = stack.wait_for_mail("budi", 3, WAIT).await;
    let help = budi
        .iter()
        .find(|m| mail::subject(m).starts_with("Daftar perintah"))
        .map(|m| text(m))
        .expect("help mail");
    let personal = help
        .split_whitespace()
        .find(|w| w.starts_with("helpdesk+"))
        .expect("personal address")
        .to_string();
    staff_mail(
        &stack,
        BUDI,
        &personal,
        "Printer lantai 3 macet #requester:alice@corp.test",
        "new2@x",
        "",
        "Telepon dari Alice.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket_titled("Printer lantai 3 macet");
    assert_eq!(t["requester"], "alice@corp.test");
    assert_eq!(events(&t, "opened_on_behalf").len(), 1);
    // The personal address does nothing on an existing ticket.
    staff_mail(
        &stack,
        BUDI,
        &personal,
        &format!("Re: [Helpdesk #{a}] Internet lambat #assign:me"),
        "new3@x",
        "",
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(a);
    assert!(t["assignee"].is_null(), "{t:#}");
    assert_eq!(refused_token(&t, 0)["problem"], "other_ticket");
}
both!(a_new_ticket_with_commands_needs_the_personal_address);
