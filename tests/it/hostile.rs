//! Issue 9 (hostile mail), findings 1–3, through the real binary: one bad
//! message never stops intake (it is quarantined with the reason and marked
//! done, the mail around it is taken in, in the same pass, from a Maildir,
//! over IMAP and through the MTA pipe); names and subjects cannot add
//! headers to the mail posko sends; mail that cannot be built is recorded
//! as failed; a long body costs a bounded notice; large and deeply nested
//! HTML is read in bounded time and memory; a message over its budget is
//! quarantined as too expensive.
//!
//! A message that still panics once names are cleaned comes from the
//! fault-injection hook of debug builds (`POSKO_FAULT_PANIC_ON`: a message
//! whose subject holds the marker panics while its ticket is opened).

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko};
use crate::staff::events;

const WAIT: Duration = Duration::from_secs(20);

/// Finding 1's display name: an encoded line feed followed by a header.
const EVIL_NAME: &str = "=?utf-8?q?Mallory=0ABcc:_evil@evil.test?=";

/// The marker the fault-injection hook looks for in a subject.
const POISON: &str = "RACUN-9";

const MAILDIR_IO: &str = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n\
                          [outbound]\nkind = \"file\"\npath = \"outbox\"\n";

/// A desk reading the Maildir `mail/`, writing mail as files to `outbox/`.
async fn maildir_desk(backend: Backend, inbound_extra: &str) -> Posko {
    let io = MAILDIR_IO.replace(
        "path = \"mail\"\n",
        &format!("path = \"mail\"\n{inbound_extra}\n"),
    );
    let posko = Posko::from_parts(backend, "", &io).await;
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(posko.path().join("mail").join(sub)).unwrap();
    }
    posko
}

/// Drops `raw` into `mail/new/` under `name` (names sort in arrival order).
fn drop_mail(posko: &Posko, name: &str, raw: &[u8]) {
    let tmp = posko.path().join("mail/tmp").join(name);
    std::fs::write(&tmp, raw).unwrap();
    std::fs::rename(&tmp, posko.path().join("mail/new").join(name)).unwrap();
}

fn dir_names(posko: &Posko, sub: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(posko.path().join(sub))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The mail posko wrote to `outbox/`: (file name, bytes).
fn sent(posko: &Posko) -> Vec<(String, Vec<u8>)> {
    dir_names(posko, "outbox")
        .into_iter()
        .filter(|n| n.ends_with(".eml"))
        .map(|n| {
            let raw = std::fs::read(posko.path().join("outbox").join(&n)).unwrap();
            (n, raw)
        })
        .collect()
}

/// The names of the header fields of `raw`, lower case, in order.
fn header_names(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n")
        .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, _)| n.trim().to_ascii_lowercase())
        })
        .collect()
}

/// No header was added by what a stranger wrote: one To with one address,
/// no Cc, no Bcc; the parsed To is `to`.
fn assert_clean_headers(raw: &[u8], to: &str) {
    let names = header_names(raw);
    assert!(
        !names.iter().any(|n| n == "bcc" || n == "cc"),
        "injected recipient header: {names:?}\n{}",
        String::from_utf8_lossy(raw)
    );
    assert_eq!(names.iter().filter(|n| *n == "to").count(), 1, "{names:?}");
    let parsed = posko::parse::parse(raw, "corp.test").expect("our mail parses");
    assert_eq!(parsed.to.len(), 1, "{:?}", parsed.to);
    assert_eq!(parsed.to[0].address.as_str(), to);
    assert!(parsed.cc.is_empty());
}

fn quarantined(posko: &Posko) -> Vec<Value> {
    let out = posko.cmd(&["quarantine", "list", "--json"]);
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("quarantine list JSON")
        .as_array()
        .unwrap()
        .clone()
}

/// Finding 1: a From, and a Reply-To, whose display name carries an encoded
/// line feed and a Bcc. Between two good mails in a Maildir: one pass makes
/// four tickets, nothing is left in new/, and the acknowledgments reach
/// the sender alone, with no header the sender wrote.
async fn encoded_line_feed_in_a_name_adds_no_header(backend: Backend) {
    let posko = maildir_desk(backend, "").await;
    drop_mail(
        &posko,
        "0001.good",
        &mail::plain(
            "Alice <alice@corp.test>",
            "Printer",
            "g1@corp.test",
            "",
            "Macet.",
        ),
    );
    drop_mail(
        &posko,
        "0002.evil-from",
        &mail::plain(
            &format!("{EVIL_NAME} <m@outside.test>"),
            "Halo",
            "e1@outside.test",
            "",
            "Hai.",
        ),
    );
    drop_mail(
        &posko,
        "0003.evil-reply-to",
        &mail::plain(
            "Carol <carol@outside.test>",
            "Halo lagi",
            "e2@outside.test",
            &format!("Reply-To: {EVIL_NAME} <r@outside.test>\r\n"),
            "Hai lagi.",
        ),
    );
    drop_mail(
        &posko,
        "0004.good",
        &mail::plain(
            "Bob <bob@corp.test>",
            "Monitor",
            "g2@corp.test",
            "",
            "Mati.",
        ),
    );
    let out = posko.run_once();
    assert!(
        out.contains("fetched 4: 4 new tickets") && out.contains("0 quarantined"),
        "{out}"
    );
    assert!(dir_names(&posko, "mail/new").is_empty(), "nothing stuck");
    assert_eq!(posko.tickets().len(), 4);
    let mail_out = sent(&posko);
    let acks: Vec<&(String, Vec<u8>)> = mail_out
        .iter()
        .filter(|(n, _)| n.ends_with("-ack.eml"))
        .collect();
    assert_eq!(
        acks.len(),
        4,
        "{:?}",
        mail_out.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    for (to, (_, raw)) in [
        "alice@corp.test",
        "m@outside.test",
        "r@outside.test",
        "bob@corp.test",
    ]
    .iter()
    .zip(&acks)
    {
        assert_clean_headers(raw, to);
    }
    // The staff notices name the sender on one line.
    for (name, raw) in mail_out
        .iter()
        .filter(|(n, _)| n.ends_with("-staff_new.eml"))
    {
        assert_clean_headers(raw, "siti@corp.test");
        let text = mail::body_text(raw);
        assert!(
            !text.lines().any(|l| l.starts_with("Bcc:")),
            "{name}: a line of its own from the name:\n{text}"
        );
    }
}
both!(encoded_line_feed_in_a_name_adds_no_header);

/// Finding 1 over IMAP: the same mail between two good ones, one pass,
/// three tickets; the acknowledgment reaches bob only, with no Bcc to budi.
async fn encoded_line_feed_in_a_name_over_imap(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let good = |i: u32| {
        mail::plain(
            "Alice <alice@corp.test>",
            &format!("Printer {i}"),
            &format!("imap-good{i}@corp.test"),
            "",
            "Macet.",
        )
    };
    let evil = mail::plain(
        "=?utf-8?q?Mallory=0ABcc:_budi@corp.test?= <bob@corp.test>",
        "Halo",
        "imap-evil@corp.test",
        "",
        "Hai.",
    );
    for raw in [good(1), evil, good(2)] {
        stack
            .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
            .await;
    }
    let out = posko.run_once();
    assert!(
        out.contains("fetched 3: 3 new tickets") && out.contains("0 quarantined"),
        "{out}"
    );
    let acks = stack.wait_for_mail("bob", 1, WAIT).await;
    assert_clean_headers(&acks[0], "bob@corp.test");
    stack.wait_for_mail("alice", 2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stack.inbox("budi").await.is_empty(), "nothing for budi");
    let flags = stack.mailbox_flags("helpdesk", "INBOX").await;
    assert!(
        flags.iter().all(|(_, f)| f.iter().any(|x| x == "\\Seen")),
        "all done: {flags:?}"
    );
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(encoded_line_feed_in_a_name_over_imap);

/// Finding 1, `Auto-Submitted` variant: the name is stored without an
/// acknowledgment; the staff reply on that ticket, the genuine mail that
/// used to block the queue, reaches the requester with clean headers.
async fn staff_reply_to_a_ticket_with_a_hostile_name(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let robot = mail::plain(
        "=?utf-8?q?Mallory=0ABcc:_budi@corp.test?= <bob@corp.test>",
        "Laporan otomatis",
        "auto-evil@corp.test",
        "Auto-Submitted: auto-generated\r\n",
        "Disk penuh.",
    );
    stack
        .deliver("bob@corp.test", &["helpdesk@corp.test"], &robot)
        .await;
    let out = posko.run_once();
    assert!(out.contains("1 new tickets"), "{out}");
    let id = posko.tickets()[0]["id"].as_i64().unwrap();
    assert!(!events(&posko.ticket(id), "ack_suppressed").is_empty());

    let to = posko
        .staff_address("siti", Some(id), crate::harness::posko::wall_now())
        .await;
    let reply = format!(
        "From: Siti Rahma <siti@corp.test>\r\nTo: IT Helpdesk <{to}>\r\n\
         Subject: Re: [Helpdesk #{id}] Laporan otomatis\r\nMessage-ID: <siti-r1@corp.test>\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nDisk sudah kami bersihkan.\r\n"
    );
    stack
        .deliver("siti@corp.test", &[&to], reply.as_bytes())
        .await;
    let out = posko.run_once();
    assert!(
        out.contains("1 comments") && out.contains("0 quarantined"),
        "{out}"
    );
    let relayed = stack.wait_for_mail("bob", 1, WAIT).await;
    assert_clean_headers(&relayed[0], "bob@corp.test");
    assert!(mail::body_text(&relayed[0]).contains("Disk sudah kami bersihkan."));
    let t = posko.ticket(id);
    assert!(
        t["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "staff_reply"),
        "{t}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stack.inbox("budi").await.is_empty(), "nothing for budi");
}
both!(staff_reply_to_a_ticket_with_a_hostile_name);

/// A message that makes posko panic, between two good ones in a Maildir:
/// one pass, two tickets, the poison quarantined with the panic as the
/// reason and moved to cur/ (flagged); the next pass has nothing to do.
async fn a_panic_costs_only_its_message_in_a_maildir(backend: Backend) {
    let mut posko = maildir_desk(backend, "").await;
    posko
        .env
        .push(("POSKO_FAULT_PANIC_ON".into(), POISON.into()));
    let poison = mail::plain(
        "Mallory <m@outside.test>",
        &format!("{POISON} printer"),
        "poison1@outside.test",
        "",
        "Boom.",
    );
    drop_mail(
        &posko,
        "0001.good",
        &mail::plain("alice@corp.test", "Satu", "p-g1@corp.test", "", "Satu."),
    );
    drop_mail(&posko, "0002.poison", &poison);
    drop_mail(
        &posko,
        "0003.good",
        &mail::plain("bob@corp.test", "Dua", "p-g2@corp.test", "", "Dua."),
    );
    let out = posko.run_once();
    assert!(
        out.contains("fetched 3: 2 new tickets") && out.contains("1 quarantined, 0 deferred"),
        "{out}"
    );
    assert!(dir_names(&posko, "mail/new").is_empty());
    let cur = dir_names(&posko, "mail/cur");
    assert_eq!(cur.len(), 3, "{cur:?}");
    assert!(
        cur.iter()
            .any(|n| n.starts_with("0002.poison") && n.ends_with(":2,FS")),
        "{cur:?}"
    );
    let held = quarantined(&posko);
    assert_eq!(held.len(), 1, "{held:?}");
    let reason = held[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("panic") && reason.contains("fault injection"),
        "{reason}"
    );
    let id = held[0]["id"].to_string();
    assert_eq!(
        posko.cmd(&["quarantine", "show", &id]).stdout,
        poison,
        "kept whole"
    );
    let subjects: Vec<Value> = posko
        .tickets()
        .iter()
        .map(|t| t["subject"].clone())
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    // Both good messages were acknowledged.
    assert_eq!(
        sent(&posko)
            .iter()
            .filter(|(n, _)| n.ends_with("-ack.eml"))
            .count(),
        2
    );
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_panic_costs_only_its_message_in_a_maildir);

/// The same over IMAP: the poison is flagged on the server, the last UID
/// moves past it, the next pass fetches nothing.
async fn a_panic_costs_only_its_message_over_imap(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = Posko::new(backend, &stack).await;
    posko
        .env
        .push(("POSKO_FAULT_PANIC_ON".into(), POISON.into()));
    for (i, subject) in ["Satu", &format!("{POISON} printer"), "Dua"]
        .iter()
        .enumerate()
    {
        let raw = mail::plain(
            "alice@corp.test",
            subject,
            &format!("ip{i}@corp.test"),
            "",
            "Isi.",
        );
        stack
            .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
            .await;
    }
    let out = posko.run_once();
    assert!(
        out.contains("fetched 3: 2 new tickets") && out.contains("1 quarantined, 0 deferred"),
        "{out}"
    );
    let held = quarantined(&posko);
    assert_eq!(held.len(), 1);
    assert!(
        held[0]["reason"].as_str().unwrap().contains("panic"),
        "{held:?}"
    );
    let flags = stack.mailbox_flags("helpdesk", "INBOX").await;
    assert_eq!(flags.len(), 3);
    assert!(flags[1].1.iter().any(|f| f == "\\Flagged"), "{flags:?}");
    assert!(flags[0].1.iter().any(|f| f == "\\Seen") && flags[2].1.iter().any(|f| f == "\\Seen"));
    stack.wait_for_mail("alice", 2, WAIT).await;
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_panic_costs_only_its_message_over_imap);

/// The MTA pipe: the poison is stored in quarantine (exit 0, the MTA may
/// forget it), and the next message is taken in as usual.
async fn a_panic_costs_only_its_message_in_the_pipe(backend: Backend) {
    let mut posko = maildir_desk(backend, "").await;
    posko
        .env
        .push(("POSKO_FAULT_PANIC_ON".into(), POISON.into()));
    let poison = mail::plain(
        "m@outside.test",
        &format!("{POISON} x"),
        "pipe-p@x.test",
        "",
        "Boom.",
    );
    let out = posko.cmd_stdin(&["ingest"], &poison);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("quarantined as #1: processing failed (panic)"),
        "{stdout}"
    );
    let good = mail::plain("alice@corp.test", "Mouse", "pipe-g@corp.test", "", "Rusak.");
    let out = posko.cmd_stdin(&["ingest"], &good);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("new ticket #"));
    assert_eq!(quarantined(&posko).len(), 1);
}
both!(a_panic_costs_only_its_message_in_the_pipe);

/// Mail that cannot be built (an address lettre refuses) is recorded as
/// failed with the reason; the ticket, its notice and the next message's
/// mail all go on.
async fn mail_that_cannot_be_built_is_recorded_as_failed(backend: Backend) {
    let posko = maildir_desk(backend, "").await;
    drop_mail(
        &posko,
        "0001.odd",
        &mail::plain("a..b@corp.test", "Keyboard", "odd@corp.test", "", "Rusak."),
    );
    drop_mail(
        &posko,
        "0002.good",
        &mail::plain("alice@corp.test", "Mouse", "fine@corp.test", "", "Rusak."),
    );
    let out = posko.run_once();
    assert!(
        out.contains("2 new tickets") && out.contains("0 quarantined"),
        "{out}"
    );
    let unsent = posko.outbox_unsent();
    assert_eq!(unsent.len(), 1, "{unsent:?}");
    assert_eq!(unsent[0]["status"], "failed");
    assert_eq!(unsent[0]["kind"], "ack");
    let why = unsent[0]["last_error"].as_str().unwrap();
    assert!(why.contains("a..b@corp.test"), "{why}");
    let odd = posko
        .tickets()
        .into_iter()
        .find(|t| t["subject"] == "Keyboard")
        .unwrap();
    let t = posko.ticket(odd["id"].as_i64().unwrap());
    let failed = events(&t, "delivery_failed");
    assert_eq!(failed.len(), 1, "{t}");
    assert_eq!(failed[0]["mail"], "ack");
    let files: Vec<String> = sent(&posko).into_iter().map(|(n, _)| n).collect();
    assert_eq!(files.len(), 3, "two notices and alice's ack: {files:?}");
}
both!(mail_that_cannot_be_built_is_recorded_as_failed);

/// Finding 2: a 3 MB body makes a notice of a few KB that says how much is
/// left out and where to read it; the ticket keeps the whole text.
async fn a_long_body_makes_a_short_notice(backend: Backend) {
    let posko = maildir_desk(backend, "").await;
    let line = "Baris log aplikasi: koneksi ke server basis data terputus, mencoba lagi.\r\n";
    let body = line.repeat(3 * 1024 * 1024 / line.len());
    drop_mail(
        &posko,
        "0001.long",
        &mail::plain("alice@corp.test", "Log", "long@corp.test", "", &body),
    );
    let out = posko.run_once();
    assert!(out.contains("1 new tickets"), "{out}");
    let id = posko.tickets()[0]["id"].as_i64().unwrap();
    for (name, raw) in sent(&posko) {
        assert!(raw.len() < 64 * 1024, "{name} is {} bytes", raw.len());
        if name.ends_with("-staff_new.eml") {
            let text = mail::body_text(&raw);
            assert!(text.contains("Baris log aplikasi"), "{text}");
            assert!(
                text.contains("tidak ditampilkan") && text.contains("#show"),
                "{text}"
            );
            let html = posko::parse::parse(&raw, "corp.test")
                .unwrap()
                .body_html
                .unwrap();
            assert!(html.contains("tidak ditampilkan"), "the HTML part too");
        }
    }
    let t = posko.ticket(id);
    let stored = t["messages"][0]["body_text"].as_str().unwrap();
    assert_eq!(
        stored.trim_end().len(),
        body.replace("\r\n", "\n").trim_end().len()
    );
}
both!(a_long_body_makes_a_short_notice);

/// Finding 3: 3 MB of HTML and 100,000 nested `<div>`s are read in bounded
/// time and memory (html2text needed about 660 MB for the first and minutes
/// for the second).
#[tokio::test]
async fn large_and_deeply_nested_html_is_cheap() {
    let posko = maildir_desk(Backend::Sqlite, "").await;
    let html_mail = |id: &str, html: &str| {
        format!(
            "From: alice@corp.test\r\nTo: helpdesk@corp.test\r\nSubject: {id}\r\n\
             Message-ID: <{id}@corp.test>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        )
        .into_bytes()
    };
    let para = "<p>Baris <b>log</b>: koneksi ke <a href=\"https://db.corp.test/\">server</a> terputus.</p>\r\n";
    let large = format!(
        "<html><body>{}</body></html>",
        para.repeat(3 * 1024 * 1024 / para.len())
    );
    let deep = format!(
        "{}Layar kosong.{}",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    drop_mail(&posko, "0001.large", &html_mail("large-html", &large));
    drop_mail(&posko, "0002.deep", &html_mail("deep-html", &deep));
    let run = posko.cmd_measured(&["run", "--once"], Duration::from_secs(60));
    assert!(!run.killed, "still running after 60 s");
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("2 new tickets"), "{}", run.stdout);
    eprintln!(
        "large and deep HTML: {:.2} s, peak RSS {:.0} MB",
        run.secs, run.peak_rss_mb
    );
    assert!(
        run.peak_rss_mb < 150.0,
        "peak RSS {:.0} MB",
        run.peak_rss_mb
    );
    let tickets = posko.tickets();
    let text_of = |subject: &str| {
        let t = tickets.iter().find(|t| t["subject"] == subject).unwrap();
        posko.ticket(t["id"].as_i64().unwrap())["messages"][0]["body_text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(text_of("deep-html"), "Layar kosong.");
    let text = text_of("large-html");
    assert!(
        text.starts_with("Baris log: koneksi ke server <https://db.corp.test/> terputus."),
        "{}",
        &text[..200]
    );
}

/// A message whose processing would need more memory than the budget is
/// quarantined as too expensive, saying which budget; the others go on.
async fn a_message_over_its_memory_budget_is_quarantined(backend: Backend) {
    let posko = maildir_desk(
        backend,
        "max_message_size = \"1MB\"\nmax_message_memory = \"3MB\"",
    )
    .await;
    let body = "kata ".repeat(180_000);
    drop_mail(
        &posko,
        "0001.big",
        &mail::plain("alice@corp.test", "Besar", "budget@corp.test", "", &body),
    );
    drop_mail(
        &posko,
        "0002.small",
        &mail::plain("bob@corp.test", "Kecil", "small@corp.test", "", "Isi."),
    );
    let out = posko.run_once();
    assert!(
        out.contains("1 new tickets") && out.contains("1 quarantined"),
        "{out}"
    );
    let held = quarantined(&posko);
    let reason = held[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("too expensive: storing the message would need about")
            && reason.contains("inbound.max_message_memory (3 MB)"),
        "{reason}"
    );
    assert!(dir_names(&posko, "mail/new").is_empty());
}
both!(a_message_over_its_memory_budget_is_quarantined);

/// An SLA notice that cannot be built (the fault-injection hook of debug
/// builds) is recorded as failed on its ticket; the scan goes on, the
/// other ticket's warning is written, and the failed one is not retried at
/// every scan.
async fn an_sla_notice_that_cannot_be_built_does_not_stop_the_scan(backend: Backend) {
    let holidays = concat!(env!("CARGO_MANIFEST_DIR"), "/config/holidays-id.toml");
    let extra = format!(
        "{}\n[calendar]\nholidays_file = \"{holidays}\"\n\n[escalation]\nwarn_at = [0.75]\n",
        crate::harness::posko::shipped_catalogue()
    );
    let mut posko = Posko::from_parts_with(backend, "", MAILDIR_IO, &extra).await;
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(posko.path().join("mail").join(sub)).unwrap();
    }
    posko
        .env
        .push(("POSKO_FAULT_COMPOSE_FAIL_ON".into(), "GAGAL-RAKIT".into()));
    let p1 = "Internet mati di lantai 3, semua user tidak bisa kerja";
    drop_mail(
        &posko,
        "0001.broken",
        &mail::plain(
            "alice@corp.test",
            &format!("GAGAL-RAKIT {p1}"),
            "sla-bad@corp.test",
            "",
            "Sejak pagi.",
        ),
    );
    drop_mail(
        &posko,
        "0002.fine",
        &mail::plain("bob@corp.test", p1, "sla-ok@corp.test", "", "Sejak pagi."),
    );
    let out = posko.run_once_at("2026-11-23T07:55:00+07:00");
    assert!(
        out.contains("2 new tickets") && out.contains("0 quarantined"),
        "{out}"
    );
    let out = posko.run_once_at("2026-11-23T08:07:30+07:00");
    assert!(out.contains("2 warnings"), "{out}");
    let bad = posko
        .tickets()
        .into_iter()
        .find(|t| t["subject"].as_str().unwrap().starts_with("GAGAL-RAKIT"))
        .unwrap();
    let bad_id = bad["id"].as_i64().unwrap();
    let t = posko.ticket(bad_id);
    let failed: Vec<&Value> = events(&t, "delivery_failed");
    assert!(failed.iter().any(|e| e["mail"] == "sla_warning"), "{t}");
    assert_eq!(events(&t, "sla_warning").len(), 1);
    let unsent = posko.outbox_unsent();
    assert!(
        unsent
            .iter()
            .all(|r| r["status"] == "failed" && r["ticket_id"] == bad_id),
        "{unsent:?}"
    );
    assert!(unsent.iter().any(|r| r["kind"] == "sla_warning"));
    let warnings: Vec<String> = sent(&posko)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.ends_with("-sla_warning.eml"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "the other ticket's warning: {warnings:?}"
    );
    assert!(
        posko
            .run_once_at("2026-11-23T08:08:00+07:00")
            .contains("0 warnings")
    );
}
both!(an_sla_notice_that_cannot_be_built_does_not_stop_the_scan);

/// A body larger than what posko keeps as text (4 MiB) is stored cut, with
/// a line saying so, and the whole message is still there, byte for byte:
/// `tickets show N --raw M` writes it out.
async fn a_huge_body_is_cut_in_the_ticket_and_kept_whole_raw(backend: Backend) {
    let posko = maildir_desk(backend, "").await;
    let line = "Baris log aplikasi: koneksi ke server basis data terputus, mencoba lagi.\r\n";
    let body = line.repeat(6 * 1024 * 1024 / line.len());
    let raw = mail::plain("alice@corp.test", "Log besar", "huge@corp.test", "", &body);
    drop_mail(&posko, "0001.huge", &raw);
    let out = posko.run_once();
    assert!(out.contains("1 new tickets"), "{out}");
    let id = posko.tickets()[0]["id"].as_i64().unwrap();
    let t = posko.ticket(id);
    let first = &t["messages"][0];
    let stored = first["body_text"].as_str().unwrap();
    assert!(
        stored.len() < 4 * 1024 * 1024 + 200,
        "{} bytes kept",
        stored.len()
    );
    assert!(
        stored.starts_with("Baris log aplikasi"),
        "{}",
        &stored[..80]
    );
    assert!(
        stored
            .trim_end()
            .ends_with("more bytes of text are kept in the raw message]"),
        "{}",
        &stored[stored.len() - 200..]
    );
    let message = first["id"].as_i64().unwrap().to_string();
    let shown = posko.cmd(&["tickets", "show", &id.to_string(), "--raw", &message]);
    assert!(shown.status.success(), "{shown:?}");
    assert!(
        shown.stdout == raw,
        "the raw message comes back byte for byte"
    );
    // Another ticket's number with this message, or a message that does not
    // exist: a clear error, nothing written.
    let wrong = posko.cmd(&["tickets", "show", &(id + 1).to_string(), "--raw", &message]);
    assert_eq!(wrong.status.code(), Some(65), "{wrong:?}");
    assert!(wrong.stdout.is_empty());
}
both!(a_huge_body_is_cut_in_the_ticket_and_kept_whole_raw);
