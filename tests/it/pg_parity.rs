//! PostgreSQL's fast write path (a message's statements as `EXECUTE`s of
//! prepared statements in one query, and the rows of a run of new tickets
//! merged into one insert per table, issue 14 story 4) writes what
//! SQLite's multi-statement scripts write: the same mail, taken in by one
//! Maildir pass at the same moment on each database, makes the same
//! tickets with the same messages, events, attachments and SLA clocks, with
//! the same ids.

use serde_json::Value;

use crate::harness::mail;
use crate::harness::posko::{Backend, Posko};

/// Takes in `batch` from a Maildir at a fixed moment; the tickets as
/// `ticket show` prints them.
async fn ingest(backend: Backend, batch: &[Vec<u8>]) -> Vec<Value> {
    ingest_with(backend, batch, &[]).await
}

/// [`ingest`] with `env` set for the daemon.
async fn ingest_with(backend: Backend, batch: &[Vec<u8>], env: &[(&str, &str)]) -> Vec<Value> {
    let io = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n\
              [outbound]\nkind = \"file\"\npath = \"outbox\"\n";
    let mut posko = Posko::from_parts(backend, "ack_limit = 2", io).await;
    for (k, v) in env {
        posko.env.push((k.to_string(), v.to_string()));
    }
    for d in ["cur", "tmp", "new"] {
        std::fs::create_dir_all(posko.path().join("mail").join(d)).unwrap();
    }
    for (i, raw) in batch.iter().enumerate() {
        std::fs::write(
            posko.path().join(format!("mail/new/{:04}.parity", i + 1)),
            raw,
        )
        .unwrap();
    }
    let run = posko.cmd(&["run", "--once", "--now", "2026-11-30T09:00:00+07:00"]);
    let (out, log) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(run.status.success(), "{out}\n{log}");
    // The fast path itself wrote it: the batch did not fall back to
    // taking the messages one by one.
    assert!(!log.contains("batch failed"), "{log}");
    assert!(out.contains("new tickets"), "{out}");
    let mut tickets: Vec<Value> = posko.tickets();
    tickets.sort_by_key(|t| t["id"].as_i64());
    tickets
        .iter()
        .map(|t| {
            let mut t = posko.ticket(t["id"].as_i64().unwrap());
            steady(&mut t);
            t
        })
        .collect()
}

/// Blanks what differs between any two runs, whatever the database: the
/// random part of our Message-IDs (`posko.N.kind.RANDOM@…`) and the SLA's
/// elapsed seconds, which `ticket show` counts up to the wall clock.
fn steady(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "elapsed_seconds" {
                    *x = Value::Null;
                } else {
                    steady(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(steady),
        Value::String(s) if s.starts_with("posko.") => {
            let parts: Vec<&str> = s.splitn(4, '.').collect();
            if let [a, b, c, _] = parts.as_slice() {
                *s = format!("{a}.{b}.{c}.*");
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn postgres_fast_path_writes_what_sqlite_writes() {
    let batch = parity_batch();
    let sqlite = ingest(Backend::Sqlite, &batch).await;
    let postgres = ingest(Backend::Postgres, &batch).await;
    assert!(sqlite.len() > 60, "{}", sqlite.len());
    assert_eq!(sqlite, postgres);
    let awkward = &parity_batch_awkward();
    assert!(
        postgres.iter().any(|t| t["subject"] == *awkward),
        "{postgres:#?}"
    );
}

/// A run of new tickets goes to PostgreSQL as soon as the server is done
/// with the one before, so where runs end depends on timing
/// (`src/ingest/batch.rs`). Ended after every message, as the quickest
/// server would end them, the runs still write what SQLite writes, in the
/// same order, every mail once: a run sent before the one ahead of it had
/// finished, or a message left out between two runs, would change the ids
/// or lose a ticket here.
#[tokio::test]
async fn runs_ended_after_every_message_write_the_same() {
    let batch = parity_batch();
    let split = [("POSKO_TEST_SPLIT_RUNS", "split")];
    let sqlite = ingest(Backend::Sqlite, &batch).await;
    let postgres = ingest_with(Backend::Postgres, &batch, &split).await;
    assert!(sqlite.len() > 60, "{}", sqlite.len());
    assert_eq!(sqlite, postgres);
}

/// The subject and body that quote what SQL text would trip on.
fn parity_batch_awkward() -> String {
    "Quote ' and \\ backslash, $1 and $$, E'x'; -- ünïcode 漢字 🙂".to_string()
}

/// New tickets, a reply, duplicates, twins and a long run of new tickets.
fn parity_batch() -> Vec<Vec<u8>> {
    let awkward = &parity_batch_awkward();
    let first = mail::plain(
        "alice@corp.test",
        "Printer rusak",
        "p1@corp.test",
        "",
        "Tolong.",
    );
    let mut batch = vec![
        first.clone(),
        mail::plain(
            "bob@corp.test",
            "Re: Printer rusak",
            "p2@corp.test",
            "In-Reply-To: <p1@corp.test>\r\nReferences: <p1@corp.test>\r\n",
            "Printer saya juga.",
        ),
        mail::plain("o'neil@corp.test", awkward, "p3@corp.test", "", awkward),
        mail::outlook_with_screenshot("p4@corp.test"),
        mail::plain("alice@corp.test", "Monitor", "p5@corp.test", "", "Mati."),
        // The first again: a duplicate on both.
        first,
        // A broken generator: two different mails with one Message-ID, both
        // new tickets (rows found by Message-ID must not mix up).
        mail::plain("carol@corp.test", "Twin one", "twin@corp.test", "", "One."),
        mail::plain("dave@corp.test", "Twin two", "twin@corp.test", "", "Two."),
        // A reply to a ticket this batch opened a moment ago.
        mail::plain(
            "erin@corp.test",
            "Re: Twin two",
            "p9@corp.test",
            "In-Reply-To: <p3@corp.test>\r\n",
            "Sama.",
        ),
    ];
    // A long run of new tickets (more than one merged script), with
    // attachments, a duplicate right after its original, and a sender past
    // the acknowledgment limit (its event names no message).
    for i in 0..64 {
        let id = format!("g{i}@corp.test");
        let m = match i % 5 {
            0 => mail::outlook_with_screenshot(&id),
            _ => mail::plain(
                &format!("user{}@corp.test", i % 7),
                &format!("Laptop {i} tidak menyala"),
                &id,
                "",
                &format!("Laptop nomor {i}."),
            ),
        };
        batch.push(m.clone());
        if i == 20 {
            batch.push(m);
        }
    }
    batch.push(mail::plain(
        "alice@corp.test",
        "Mouse",
        "p6@corp.test",
        "",
        "Rusak.",
    ));
    batch
}
