//! Issue 12, the managers' daily digest, sent by the daemon: over several
//! days of `run --once --now`, with tickets taken in between, the digest
//! reaches the managers' and a group lead's IMAP inboxes once per business
//! day, through the outbox, SMTP and Dovecot. Time is passed with `--now`.

use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, shipped_catalogue};

const WAIT: Duration = Duration::from_secs(20);

/// The shipped catalogue with Budi as the network group's lead, office
/// hours Monday to Friday, Wednesday 2 December 2026 a holiday, and the
/// digest on at 07:00 (Jakarta) for the managers (Hendra and Ratna).
async fn desk(backend: Backend, stack: &MailStack) -> Posko {
    let network = "key = \"network\"\nname = \"Jaringan / Network\"\nlevel = 2\n";
    let catalogue = shipped_catalogue();
    assert!(catalogue.contains(network), "the shipped network group");
    let catalogue = catalogue.replace(network, &format!("{network}lead = \"budi@corp.test\"\n"));
    Posko::with(
        backend,
        stack,
        Options {
            extra: format!(
                "{catalogue}\n[calendar]\n\
                 hours = {{ mon = \"08:00-16:00\", tue = \"08:00-16:00\", wed = \"08:00-16:00\", \
                 thu = \"08:00-16:00\", fri = \"08:00-16:00\" }}\n\
                 holidays = [\"2026-12-02\"]\n\n\
                 [digest]\nenabled = true\nat = \"07:00\"\nto = [\"managers\"]\n"
            ),
            ..Options::default()
        },
    )
    .await
}

/// Alice reports `subject` (message `id`); the pass at `now` takes it in.
async fn report(stack: &MailStack, posko: &Posko, subject: &str, id: &str, now: &str) -> String {
    let raw = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        subject,
        id,
        "",
        "Mohon dibantu.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    let out = posko.run_once_at(now);
    assert!(out.contains("1 new tickets"), "{out}");
    out
}

/// The digests in `user`'s inbox, in arrival order.
async fn digests(stack: &MailStack, user: &str) -> Vec<Vec<u8>> {
    stack
        .inbox(user)
        .await
        .into_iter()
        .filter(|m| mail::subject(m).contains("Ringkasan harian"))
        .collect()
}

/// Waits until `user` holds `n` digests (and no more); returns them.
async fn expect_digests(stack: &MailStack, user: &str, n: usize) -> Vec<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = digests(stack, user).await;
        if got.len() >= n || tokio::time::Instant::now() > deadline {
            let subjects: Vec<String> = got.iter().map(|m| mail::subject(m)).collect();
            assert_eq!(got.len(), n, "{user}: {subjects:#?}");
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of headline row `label` in the text part ("Baru   3  …").
fn headline(text: &str, label: &str) -> i64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(label) && l[label.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no headline {label:?} in\n{text}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// The text part, and checks of the rest of the mail: automatic, an
/// alternative of text and a related HTML whose every `cid:` is a PNG part
/// of the mail with its alt text in the HTML; `charts` of them (the
/// backlog chart is left out when nothing is open).
fn check_mail(raw: &[u8], charts: usize) -> String {
    let m = MessageParser::default().parse(raw).expect("a mail");
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    let ct = m.content_type().expect("Content-Type");
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );
    assert!(
        m.parts.iter().any(|p| p
            .content_type()
            .is_some_and(|c| c.ctype() == "multipart" && c.subtype() == Some("related"))),
        "a multipart/related part"
    );
    let html = m.body_html(0).expect("an HTML part").into_owned();
    let cids: Vec<&str> = html
        .match_indices("src=\"cid:")
        .map(|(i, _)| {
            let rest = &html[i + 9..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(cids.len(), charts, "charts: {html}");
    for cid in cids {
        let part = m
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid))
            .unwrap_or_else(|| panic!("no part with Content-ID {cid}"));
        let (PartType::Binary(png) | PartType::InlineBinary(png)) = &part.body else {
            panic!("{cid} is not binary");
        };
        assert!(png.starts_with(b"\x89PNG"), "{cid} is a PNG");
        let tag = &html[html.find(&format!("cid:{cid}")).unwrap()..];
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(tag.contains("alt=\""), "{cid} has alt text: {tag}");
    }
    m.body_text(0).expect("a text part").into_owned()
}

/// The story: Friday, the weekend, Monday, Tuesday, a holiday Wednesday and
/// a Thursday started late. One digest per business day to each manager,
/// Monday's covering Friday to Sunday, none on Saturday or the holiday,
/// the lead's restricted to the network group, and nothing twice.
async fn digest_once_per_business_day(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let check = String::from_utf8_lossy(&posko.cmd(&["check"]).stdout).into_owned();
    assert!(
        check.contains(
            "ok    digest: at 07:00 (Asia/Jakarta) on business days to manager@corp.test, \
             director@corp.test, budi@corp.test (lead of network)"
        ),
        "{check}"
    );

    // Friday 27 November, before 07:00: a network ticket, no digest yet.
    report(
        &stack,
        &posko,
        "Internet lambat di gedung B",
        "d1@corp.test",
        "2026-11-27T06:50:00+07:00",
    )
    .await;
    // 07:05: Friday's digest (it covers Thursday, which had no tickets).
    let out = posko.run_once_at("2026-11-27T07:05:00+07:00");
    assert!(out.contains("digests: 3 queued"), "{out}");
    let fri = expect_digests(&stack, "manager", 1).await.remove(0);
    assert_eq!(
        mail::subject(&fri),
        "[Helpdesk] Ringkasan harian Jumat, 27 November 2026"
    );
    let text = check_mail(&fri, 2);
    assert!(text.contains("Mencakup Kamis, 26 November 2026"), "{text}");
    assert!(text.contains("Tidak ada tiket yang dicatat"), "{text}");
    assert_eq!(headline(&text, "Baru"), 0);

    // Friday 10:00 a printer ticket (infrastructure), Saturday nothing is
    // sent, Sunday another network ticket.
    report(
        &stack,
        &posko,
        "Printer di ruang rapat macet",
        "d2@corp.test",
        "2026-11-27T10:00:00+07:00",
    )
    .await;
    let out = posko.run_once_at("2026-11-28T07:05:00+07:00");
    assert!(out.contains("digests: 0 queued"), "Saturday: {out}");
    report(
        &stack,
        &posko,
        "Koneksi wifi lambat sekali di aula",
        "d3@corp.test",
        "2026-11-29T12:00:00+07:00",
    )
    .await;

    // Monday 07:05: Friday to Sunday, three new tickets; the lead's has two.
    let out = posko.run_once_at("2026-11-30T07:05:00+07:00");
    assert!(out.contains("digests: 3 queued"), "{out}");
    let mon = expect_digests(&stack, "director", 2).await.remove(1);
    assert_eq!(
        mail::subject(&mon),
        "[Helpdesk] Ringkasan harian Senin, 30 November 2026"
    );
    let text = check_mail(&mon, 3);
    assert!(
        text.contains("Mencakup Jumat, 27 November 2026 – Minggu, 29 November 2026"),
        "{text}"
    );
    assert_eq!(headline(&text, "Baru"), 3, "{text}");
    assert!(text.contains("Printer di ruang rapat macet"), "{text}");
    let lead = expect_digests(&stack, "budi", 2).await.remove(1);
    assert_eq!(
        mail::subject(&lead),
        "[Helpdesk] Ringkasan harian Senin, 30 November 2026 (Jaringan / Network)"
    );
    let text = check_mail(&lead, 3);
    assert!(
        text.starts_with("IT Helpdesk (Jaringan / Network): ringkasan harian"),
        "{text}"
    );
    assert_eq!(headline(&text, "Baru"), 2, "{text}");
    assert!(!text.contains("Printer"), "not the lead's group: {text}");

    // A restart the same morning sends nothing again.
    let out = posko.run_once_at("2026-11-30T07:30:00+07:00");
    assert!(out.contains("digests: 0 queued"), "{out}");

    // Tuesday 1 December covers Monday.
    report(
        &stack,
        &posko,
        "Internet mati di lantai 3",
        "d4@corp.test",
        "2026-11-30T09:00:00+07:00",
    )
    .await;
    let out = posko.run_once_at("2026-12-01T07:05:00+07:00");
    assert!(out.contains("digests: 3 queued"), "{out}");
    let tue = expect_digests(&stack, "manager", 3).await.remove(2);
    assert_eq!(
        mail::subject(&tue),
        "[Helpdesk] Ringkasan harian Selasa, 1 Desember 2026"
    );
    let text = check_mail(&tue, 3);
    assert!(
        text.lines()
            .any(|l| l.trim_end() == "Mencakup Senin, 30 November 2026"),
        "{text}"
    );
    assert_eq!(headline(&text, "Baru"), 1, "{text}");

    // Wednesday is a holiday: no digest, its ticket goes into Thursday's.
    let out = report(
        &stack,
        &posko,
        "Printer lantai 2 tidak bisa cetak",
        "d5@corp.test",
        "2026-12-02T07:05:00+07:00",
    )
    .await;
    assert!(out.contains("digests: 0 queued"), "the holiday: {out}");
    // The daemon is down on Thursday morning and starts at 09:00: it sends
    // Thursday's digest (covering Tuesday and Wednesday) once.
    let out = posko.run_once_at("2026-12-03T09:00:00+07:00");
    assert!(out.contains("digests: 3 queued"), "{out}");
    let out = posko.run_once_at("2026-12-03T09:01:00+07:00");
    assert!(out.contains("digests: 0 queued"), "{out}");
    let thu = expect_digests(&stack, "manager", 4).await.remove(3);
    assert_eq!(
        mail::subject(&thu),
        "[Helpdesk] Ringkasan harian Kamis, 3 Desember 2026"
    );
    let text = check_mail(&thu, 3);
    assert!(
        text.contains("Mencakup Selasa, 1 Desember 2026 – Rabu, 2 Desember 2026"),
        "{text}"
    );
    assert_eq!(headline(&text, "Baru"), 1, "{text}");

    // Friday is missed entirely; Monday at 09:00 sends Monday's only (it
    // covers Friday to Sunday, so nothing is lost), not Friday's late.
    let out = posko.run_once_at("2026-12-07T09:00:00+07:00");
    assert!(out.contains("digests: 3 queued"), "{out}");
    let all = expect_digests(&stack, "manager", 5).await;
    assert_eq!(
        mail::subject(&all[4]),
        "[Helpdesk] Ringkasan harian Senin, 7 Desember 2026"
    );
    expect_digests(&stack, "director", 5).await;
    expect_digests(&stack, "budi", 5).await;
}
both!(digest_once_per_business_day);

/// Hostile: three instances tick at the same instant on one database; the
/// claim lets each digest out once.
async fn concurrent_instances_send_each_digest_once(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    posko.run_once_at("2026-12-01T06:00:00+07:00"); // migrations, once
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let mut cmd = posko.command(&["run", "--once", "--now", "2026-12-01T07:00:00+07:00"]);
            std::thread::spawn(move || cmd.output().expect("run posko"))
        })
        .collect();
    let mut queued = 0;
    for r in runs {
        let out = r.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n: u32 = stdout
            .split("digests: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stdout}"));
        queued += n;
    }
    assert_eq!(queued, 3, "one per recipient among all instances");
    for user in ["manager", "director", "budi"] {
        expect_digests(&stack, user, 1).await;
    }
    assert!(posko.outbox_unsent().is_empty(), "all sent, none left over");
}
both!(concurrent_instances_send_each_digest_once);
