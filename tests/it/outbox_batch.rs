//! Writes in batches (issue 14, story 4): a script's arguments arrive as
//! they went in; outbox rows claimed and marked sent in batches, under a
//! lease.

use std::collections::HashSet;

use posko::store::Db;
use posko::store::outbox::{self, NewOutgoing};
use posko::store::script::{Arg, Script};

use crate::both;
use crate::harness::mail;
use crate::harness::posko::{Backend, MAILDIR_TO_FILES, Posko};

/// A desk on `backend` and its migrated database.
async fn desk(backend: Backend) -> (Posko, Db) {
    let posko = Posko::from_parts(backend, "", MAILDIR_TO_FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    (posko, db)
}

/// Text an escaper could get wrong, each stored and read back unchanged.
const HOSTILE: &[&str] = &[
    "it's",
    "back\\slash",
    "\\'; DROP TABLE tickets; --",
    "'); DROP TABLE tickets; --",
    "E'\\x00' $1 $$ $2 $$tag$$",
    "\\\\''\\'",
    "ünïcödé 日本語 😀",
    "line\r\nbreak\ttab\u{7f}\u{1}",
    "'",
    "\\",
    "",
];

async fn script_arguments_round_trip(backend: Backend) {
    let (_posko, db) = desk(backend).await;
    let bytes: Vec<u8> = (0..=255u8).chain([b'\'', b'\\', 0, b'\'']).collect();
    let mut tx = db.begin().await.unwrap();
    let mut s = Script::new();
    for (i, text) in HOSTILE.iter().enumerate() {
        s.push(
            "INSERT INTO raw_messages (dedupe_key, source, received_at, size, raw) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                format!("k{i}").into(),
                Arg::Text(Some(text.to_string())),
                Arg::Int(Some(i64::MIN + i as i64)),
                Arg::Int(Some(-(i as i64))),
                Arg::Bytes(bytes.clone()),
            ],
        );
    }
    // Typed NULLs: a text that keeps the old value, a number that is NULL.
    s.push(
        "UPDATE raw_messages SET source = COALESCE($1, source), \
         size = CASE WHEN $2 IS NULL THEN 7 ELSE 0 END WHERE dedupe_key = $3",
        vec![Arg::Text(None), Arg::Int(None), "k0".into()],
    );
    s.run(&mut tx, db.backend()).await.expect("the script runs");
    tx.commit().await.unwrap();
    let mut c = db.pool().acquire().await.unwrap();
    let rows: Vec<(String, String, i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT dedupe_key, source, received_at, size, raw FROM raw_messages ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(rows.len(), HOSTILE.len());
    for (i, (key, source, at, size, raw)) in rows.into_iter().enumerate() {
        assert_eq!(key, format!("k{i}"));
        assert_eq!(source, HOSTILE[i], "text {i} came back as it went in");
        assert_eq!(at, i64::MIN + i as i64);
        assert_eq!(size, if i == 0 { 7 } else { -(i as i64) });
        assert_eq!(raw, bytes, "bytes of row {i}");
    }
    let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&mut *c)
        .await
        .expect("the tickets table is still there");
    assert_eq!(tickets, 0);
}
both!(script_arguments_round_trip);

/// Queues `n` acknowledgments due at `now`.
async fn queue(db: &Db, n: usize, now: i64) {
    let mut tx = db.begin().await.unwrap();
    for i in 0..n {
        let rcpts = vec![format!("user{i}@corp.test")];
        outbox::enqueue(
            &mut tx,
            &NewOutgoing {
                ticket_id: None,
                kind: "ack",
                message_id: &format!("<m{i}@corp.test>"),
                env_from: "helpdesk@corp.test",
                rcpts: &rcpts,
                primary_rcpt: &rcpts[0],
                subject: "s",
                raw: format!("Subject: {i}\r\n\r\nx\r\n").as_bytes(),
                due_at: now,
                now,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Three workers claim batches at once until nothing is due: every row is
/// claimed by exactly one of them.
async fn concurrent_batch_claims_never_share_a_row(backend: Backend) {
    let (_posko, db) = desk(backend).await;
    const ROWS: usize = 300;
    queue(&db, ROWS, 1_000).await;
    let workers = (0..3).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let mut tx = db.begin().await.unwrap();
                let rows = outbox::claim_due(&mut tx, 1_000, 300, 7).await.unwrap();
                tx.commit().await.unwrap();
                if rows.is_empty() {
                    return mine;
                }
                assert!(rows.len() <= 7);
                assert!(rows.iter().all(|r| r.attempts == 1));
                mine.extend(rows.into_iter().map(|r| r.id));
                tokio::task::yield_now().await;
            }
        })
    });
    let mut all = Vec::new();
    let mut busy = 0;
    for w in workers {
        let mine = w.await.unwrap();
        busy += usize::from(!mine.is_empty());
        all.extend(mine);
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), ROWS, "each row claimed once");
    assert_eq!(distinct.len(), ROWS, "no row claimed twice");
    assert!(busy >= 1);
}
both!(concurrent_batch_claims_never_share_a_row);

/// A sender that crashes after its claim: the rows wait out the lease,
/// then are claimed (and sent) again, once; a row given back is due at
/// once, its attempt not counted.
async fn crashed_claim_is_retried_after_the_lease(backend: Backend) {
    let (posko, db) = desk(backend).await;
    queue(&db, 60, 1_000).await;
    let claim = |now: i64, limit: i64| {
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let rows = outbox::claim_due(&mut tx, now, 300, limit).await.unwrap();
            tx.commit().await.unwrap();
            rows
        }
    };
    let first = claim(1_000, 50).await;
    assert_eq!(first.len(), 50);
    let ids: Vec<i64> = first.iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "oldest first");
    // The crash: nothing marked. Another sender sees only the other 10.
    let other = claim(1_100, 50).await;
    assert_eq!(other.len(), 10);
    assert!(other.iter().all(|r| !ids.contains(&r.id)));
    // It gives back 4 of them: due again at once, the attempt not counted.
    let back: Vec<i64> = other.iter().take(4).map(|r| r.id).collect();
    {
        let mut tx = db.begin().await.unwrap();
        outbox::release(&mut tx, &back, 1_400).await.unwrap();
        // A stale lease end changes nothing.
        outbox::release(&mut tx, &ids, 1_400).await.unwrap();
        tx.commit().await.unwrap();
    }
    let again = claim(1_100, 50).await;
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), back);
    assert!(again.iter().all(|r| r.attempts == 1));
    assert!(claim(1_299, 50).await.is_empty(), "the lease holds");
    // The lease is over: the outbox worker sends the crashed rows once,
    // and those of the live claims not before their lease either.
    let cfg = posko::config::load(&posko.config).unwrap();
    let out = posko.path().join("outbox");
    let worker = posko::outbox::Outbox::new(
        db.clone(),
        posko::outbox::Transport::File { dir: out.clone() },
        cfg.outbox.clone(),
    );
    let stats = worker.tick(1_300).await.unwrap();
    assert_eq!(stats.sent, 50);
    let files = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(files, 50);
    let stats = worker.tick(1_300).await.unwrap();
    assert_eq!(stats.sent, 0, "nothing sent twice");
    let stats = worker.tick(1_400).await.unwrap();
    assert_eq!(stats.sent, 10);
    let mut c = db.pool().acquire().await.unwrap();
    let attempts: Vec<(i64, String)> =
        sqlx::query_as("SELECT attempts, status FROM outbox ORDER BY id")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    assert!(attempts[..50].iter().all(|(a, s)| *a == 2 && s == "sent"));
    assert!(attempts[50..].iter().all(|(a, s)| *a == 2 && s == "sent"));
}
both!(crashed_claim_is_retried_after_the_lease);

/// `run --once` over a Maildir of 600 mails from 600 people (their
/// acknowledgments alone are more than one claim of the file transport,
/// 500 rows): 600 tickets, each acknowledged once, every
/// row sent written as exactly one `.eml` file, no temporary file left,
/// nothing left unsent.
async fn run_once_sends_every_mail_once(backend: Backend) {
    let posko = Posko::from_parts(backend, "ack_limit_total = 1000", MAILDIR_TO_FILES).await;
    const MAILS: usize = 600;
    deliver_printer_reports(&posko, MAILS);
    let out = posko.run_once();
    assert!(out.contains(&format!("{MAILS} new tickets")), "{out}");
    let files: Vec<String> = std::fs::read_dir(posko.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for i in 0..MAILS {
        let to = format!("user{i}@corp.test");
        let acks = files
            .iter()
            .filter(|f| mail::header(f.as_bytes(), "To").is_some_and(|t| t.contains(&to)))
            .count();
        assert_eq!(acks, 1, "{to} is answered once");
    }
    let unsent = posko.outbox_unsent();
    assert!(unsent.is_empty(), "{unsent:?}");
    let names: Vec<String> = std::fs::read_dir(posko.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".eml") && !n.starts_with('.')),
        "{names:?}"
    );
    let db = Db::connect(&posko.db_url).await.expect("connect");
    let mut c = db.pool().acquire().await.unwrap();
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(names.len() as i64, sent, "one file for each row sent");
    assert!(sent >= MAILS as i64, "{sent} rows sent");
    let again = posko.run_once();
    assert!(again.contains("0 new tickets"), "{again}");
    let files_after = std::fs::read_dir(posko.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files_after, files.len(), "a second pass sends nothing");
}
both!(run_once_sends_every_mail_once);

/// `n` reports from `n` different people in the desk's Maildir, each
/// opening a ticket of its own.
pub fn deliver_printer_reports(posko: &Posko, n: usize) {
    let md = posko::inbound::maildir::Maildir::open(&posko.path().join("mail")).unwrap();
    for i in 0..n {
        md.deliver(&mail::plain(
            &format!("user{i}@corp.test"),
            &format!("Printer {i} macet"),
            &format!("p{i}@corp.test"),
            "",
            "Printer di lantai 3 macet, tolong dicek.",
        ))
        .unwrap();
    }
}

/// `run --once` sends in the same pass what its SLA scan queues after the
/// intake (the scan runs while the outbox still writes out the intake's
/// mail): a second pass a month later takes in new mail and breaches the
/// first pass's tickets, and ends with nothing unsent, one file per row
/// sent.
async fn run_once_sends_what_its_scan_queued(backend: Backend) {
    let posko = Posko::from_parts(backend, "ack_limit_total = 1000", MAILDIR_TO_FILES).await;
    deliver_printer_reports(&posko, 20);
    let first = posko.run_once_at("2026-11-23T09:00:00+07:00");
    assert!(first.contains("20 new tickets"), "{first}");
    deliver_printer_reports(&posko, 20);
    let out = posko.run_once_at("2026-12-23T09:00:00+07:00");
    assert!(
        out.contains("20 duplicates") || out.contains("20 new tickets"),
        "{out}"
    );
    let breaches: u32 = out
        .split("warnings, ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the breach count");
    assert!(breaches > 0, "the scan found breaches: {out}");
    let unsent = posko.outbox_unsent();
    assert!(unsent.is_empty(), "{unsent:?}");
    let db = Db::connect(&posko.db_url).await.expect("connect");
    let mut c = db.pool().acquire().await.unwrap();
    let (sent, sla): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind LIKE 'sla%' THEN 1 ELSE 0 END), 0) \
         FROM outbox WHERE status = 'sent'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert!(sla > 0, "SLA notices sent in the pass: {out}");
    let files = std::fs::read_dir(posko.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files as i64, sent, "one file for each row sent");
}
both!(run_once_sends_what_its_scan_queued);
