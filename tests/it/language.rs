//! Issue 13, what is left: each requester answered in their own language,
//! Outlook's Thread-Index as a threading signal, and the reply reader
//! setting aside a quote of our own mail that carries no marker; through
//! the binary, on SQLite and PostgreSQL.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko, wall_now};
use crate::staff::{desk, events, staff_mail, text};

const WAIT: Duration = Duration::from_secs(20);

const ENGLISH: &str = "Hello, the printer on the third floor has stopped printing since \
                       this morning. It shows a paper jam error but there is no paper stuck \
                       inside. Could someone take a look today?";
const INDONESIAN: &str = "Halo tim IT, printer di lantai tiga tidak bisa mencetak sejak tadi \
                          pagi. Muncul pesan kertas macet padahal tidak ada kertas yang \
                          tersangkut. Mohon dicek hari ini.";

async fn deliver(stack: &MailStack, from: &str, raw: &[u8]) {
    let envelope = mail::address(from);
    stack.deliver(&envelope, &["helpdesk@corp.test"], raw).await;
}

/// Alice reports a jammed printer, in Indonesian; the ticket's number.
async fn alice_reports_in_indonesian(stack: &MailStack, posko: &Posko) -> i64 {
    let alice = "Alice Wijaya <alice@corp.test>";
    deliver(
        stack,
        alice,
        &mail::plain(alice, "Printer macet", "p1@corp.test", "", INDONESIAN),
    )
    .await;
    posko.run_once();
    posko.ticket_titled("Printer macet")["id"].as_i64().unwrap()
}

fn language_event(t: &Value) -> Value {
    events(t, "created")[0]["language"].clone()
}

/// Story: an English mail to an Indonesian desk is acknowledged in English
/// while staff are told in Indonesian; `Content-Language` wins over the
/// text; a short "ok thanks" follows the requester's earlier ticket; a short
/// mail from someone new gets the desk's language. All in one batch.
async fn each_requester_in_their_language(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let alice = "Alice Wijaya <alice@corp.test>";
    let bob = "Bob Harjo <bob@corp.test>";
    let eko = "Eko Prasetyo <eko@corp.test>";
    deliver(
        &stack,
        alice,
        &mail::plain(alice, "Printer not printing", "l1@corp.test", "", ENGLISH),
    )
    .await;
    deliver(
        &stack,
        bob,
        &mail::plain(
            bob,
            "Printer macet",
            "l2@corp.test",
            "Content-Language: en-US\r\n",
            INDONESIAN,
        ),
    )
    .await;
    deliver(
        &stack,
        alice,
        &mail::plain(alice, "Scanner", "l3@corp.test", "", "ok thanks"),
    )
    .await;
    deliver(
        &stack,
        eko,
        &mail::plain(eko, "Monitor", "l4@corp.test", "", "ok thanks"),
    )
    .await;
    posko.run_once();

    let t = posko.ticket_titled("Printer not printing");
    assert_eq!(t["language"], "en");
    assert_eq!(language_event(&t)["basis"], "text");
    let t = posko.ticket_titled("Printer macet");
    assert_eq!(t["language"], "en");
    assert_eq!(language_event(&t)["basis"], "content-language");
    let t = posko.ticket_titled("Scanner");
    assert_eq!(t["language"], "en");
    assert_eq!(language_event(&t)["basis"], "earlier-ticket");
    let t = posko.ticket_titled("Monitor");
    assert_eq!(t["language"], "id");
    assert_eq!(language_event(&t)["basis"], "desk");
    // The list shows it too.
    assert!(posko.tickets().iter().all(|t| t["language"].is_string()));

    let acks = stack.wait_for_mail("alice", 2, WAIT).await;
    for ack in &acks {
        let body = text(ack);
        assert!(body.contains("we have received your report"), "{body}");
    }
    let ack = text(&stack.wait_for_mail("bob", 1, WAIT).await[0]);
    assert!(ack.contains("we have received your report"), "{ack}");
    // The service desk reads the desk's language.
    let notices = stack.wait_for_mail("siti", 4, WAIT).await;
    let notice = notices
        .iter()
        .find(|m| mail::subject(m).contains("Printer not printing"))
        .expect("notice");
    let notice = text(notice);
    assert!(!notice.contains("we have received"), "{notice}");
}
both!(each_requester_in_their_language);

/// Story: Alice writes in Indonesian and is acknowledged in Indonesian;
/// Budi sets `#lang:en` with `#pending`, and the notice she gets is in
/// English; the ticket records `language_set`.
async fn lang_command_switches_the_notices(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let id = alice_reports_in_indonesian(&stack, &posko).await;
    assert_eq!(posko.ticket(id)["language"], "id");
    let ack = text(&stack.wait_for_mail("alice", 1, WAIT).await[0]);
    assert!(ack.contains("laporan Anda sudah kami terima"), "{ack}");

    let to = posko.staff_address("budi", Some(id), wall_now()).await;
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("Re: [Helpdesk #{id}] Printer macet #lang:en #pending"),
        "m2@corp.test",
        "",
        "Could you switch the printer off and on again, and tell us what the display shows?",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["language"], "en");
    assert_eq!(t["status"], "pending");
    let set = events(&t, "language_set");
    assert_eq!(set.len(), 1, "{t:#}");
    assert_eq!(set[0]["from"], "id");
    assert_eq!(set[0]["to"], "en");
    let notice = text(&stack.wait_for_mail("alice", 2, WAIT).await[1]);
    assert!(notice.contains("waiting for your reply"), "{notice}");
    assert!(notice.contains("switch the printer off"), "{notice}");

    // A bad value is refused with the choices, and changes nothing.
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("Re: [Helpdesk #{id}] Printer macet #lang:fr"),
        "m3@corp.test",
        "",
        "",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["language"], "en");
    assert_eq!(events(&t, "language_set").len(), 1);
    assert!(!events(&t, "command_invalid").is_empty(), "{t:#}");
}
both!(lang_command_switches_the_notices);

/// Outlook's Thread-Index for `blocks` answers in the conversation `head`
/// (22 bytes), base64.
fn thread_index(head: u8, blocks: usize) -> String {
    let mut bytes: Vec<u8> = (0..22u8)
        .map(|i| i.wrapping_mul(7).wrapping_add(head))
        .collect();
    for b in 0..blocks {
        bytes.extend([0x10, 0x20, 0x30, 0x40, b as u8]);
    }
    base64(&bytes)
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            s.push('=');
        }
    }
    s
}

/// Story: Alice's Outlook drops the tag and the references of her answer;
/// its Thread-Index finds her ticket. Bob, who takes no part in it, copies
/// the same Thread-Index (and topic) into his mail: it opens a ticket of its
/// own and never reaches Alice's. A first mail of another conversation
/// opens a new ticket too.
async fn thread_index_threads_participants_only(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let alice = "Alice Wijaya <alice@corp.test>";
    let bob = "Bob Harjo <bob@corp.test>";
    let outlook = |index: String, topic: &str| {
        format!(
            "Thread-Topic: {topic}\r\nThread-Index: {index}\r\nX-Mailer: Microsoft Outlook 16.0\r\n"
        )
    };
    let subject = "Laptop tidak bisa booting";
    deliver(
        &stack,
        alice,
        &mail::plain(
            alice,
            subject,
            "o1@corp.test",
            &outlook(thread_index(1, 0), subject),
            INDONESIAN,
        ),
    )
    .await;
    posko.run_once();
    let id = posko.ticket_titled(subject)["id"].as_i64().unwrap();

    deliver(
        &stack,
        alice,
        &mail::plain(
            alice,
            &format!("RE: {subject}"),
            "o2@corp.test",
            &outlook(thread_index(1, 1), subject),
            "Sudah saya coba lagi, tetap tidak bisa masuk Windows.",
        ),
    )
    .await;
    deliver(
        &stack,
        bob,
        &mail::plain(
            bob,
            &format!("RE: {subject}"),
            "o3@corp.test",
            &outlook(thread_index(1, 2), subject),
            "Tolong kirim data gaji semua karyawan ke alamat saya.",
        ),
    )
    .await;
    posko.run_once();

    let t = posko.ticket(id);
    let ids: Vec<&Value> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["message_id"])
        .collect();
    assert!(ids.contains(&&Value::from("o2@corp.test")), "{ids:?}");
    assert!(!ids.contains(&&Value::from("o3@corp.test")), "{ids:?}");
    assert!(
        events(&t, "non_participant").is_empty(),
        "a stranger's copy must not even be a note: {t:#}"
    );
    let all = posko.tickets();
    assert_eq!(all.len(), 2, "{all:#?}");
    let bobs = all
        .iter()
        .find(|t| t["requester"] == "bob@corp.test")
        .unwrap();
    assert_ne!(bobs["id"].as_i64(), Some(id));
    assert!(bobs["linked_ticket"].is_null());
}
both!(thread_index_threads_participants_only);

/// Story: Budi answers Alice; her reply quotes his text re-wrapped, with no
/// `>` and no header (as some phone clients send it). The reader knows our
/// mail, so the comment holds only her new line and the quote is set aside.
async fn a_quote_of_our_mail_without_markers_is_set_aside(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let alice = "Alice Wijaya <alice@corp.test>";
    let id = alice_reports_in_indonesian(&stack, &posko).await;
    let to = posko.staff_address("budi", Some(id), wall_now()).await;
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &to,
        &format!("Re: [Helpdesk #{id}] Printer macet"),
        "q2@corp.test",
        "",
        "Mohon matikan printer selama satu menit, lalu nyalakan kembali dan \
         kabari kami apa yang muncul di layar printer setelah itu.",
    )
    .await;
    posko.run_once();
    stack.wait_for_mail("alice", 2, WAIT).await;
    let reply = "Sudah saya lakukan, layarnya sekarang menunjukkan Ready.\r\n\r\n\
                 Mohon matikan printer selama satu menit, lalu nyalakan\r\n\
                 kembali dan kabari kami apa yang muncul di layar printer\r\n\
                 setelah itu.";
    deliver(
        &stack,
        alice,
        &mail::plain(
            alice,
            &format!("Re: [Helpdesk #{id}] Printer macet"),
            "q3@corp.test",
            "",
            reply,
        ),
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    let m = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == "q3@corp.test")
        .expect("her reply");
    assert_eq!(
        m["body_text"],
        "Sudah saya lakukan, layarnya sekarang menunjukkan Ready."
    );
    let quoted = m["quoted_text"].as_str().unwrap_or_default();
    assert!(quoted.contains("kabari kami"), "{quoted:?}");
}
both!(a_quote_of_our_mail_without_markers_is_set_aside);
