//! Issue 14, story 4: the Maildir pass reads and parses the next batch
//! while one is written and committed (`src/workers/maildir.rs`). The
//! overlap changes nothing a batch does: a batch whose commit fails is left
//! in `new/` while the batch read ahead of it is taken in and marked on its
//! own; a message that panics while parsed ahead, as the batch before it
//! commits, is quarantined alone. Batches hold 200 messages here (two in
//! memory at once within the 400 of a pass).

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::posko::{Backend, MAILDIR_TO_FILES, Posko};

/// Messages in a Maildir batch (half of `posko::inbound::BATCH`).
const BATCH: usize = 200;

/// Messages in a test: three batches (200, 200, 100).
const COUNT: usize = 2 * BATCH + BATCH / 2;

/// A desk whose Maildir holds `COUNT` new mails from different senders,
/// `marked` with `marker` in its subject, the fault hook `fault` armed with
/// `marker`.
async fn desk_with_mail(backend: Backend, marked: usize, fault: &str, marker: &str) -> Posko {
    let mut posko = Posko::from_parts(backend, "ack_limit_total = 1000", MAILDIR_TO_FILES).await;
    posko.env.push((fault.into(), marker.into()));
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(posko.path().join("mail").join(sub)).unwrap();
    }
    for i in 0..COUNT {
        let subject = if i == marked {
            format!("{marker} laptop {i}")
        } else {
            format!("Laptop {i}")
        };
        let raw = mail::plain(
            &format!("user{i}@corp.test"),
            &subject,
            &format!("pipe{i}@corp.test"),
            "",
            "Tolong dibantu.",
        );
        std::fs::write(posko.path().join(format!("mail/new/{i:04}.pipe")), raw).unwrap();
    }
    posko
}

fn names(posko: &Posko, sub: &str) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(posko.path().join(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    n.sort();
    n
}

/// The numbers (`Laptop N`) of the tickets, sorted.
fn ticket_numbers(posko: &Posko) -> Vec<usize> {
    let out = posko.cmd(&["tickets", "list", "--json", "--all", "--limit", "1000"]);
    let tickets: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tickets list JSON");
    let mut n: Vec<usize> = tickets
        .iter()
        .map(|t| {
            let s = t["subject"].as_str().unwrap();
            s.rsplit(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    n.sort_unstable();
    n
}

/// The first batch's commit fails (as a locked database would make it):
/// its 200 files stay in `new/` and none of its mail is stored, while the
/// second batch, read and parsed as the first was written, and the third
/// are taken in and moved to `cur/`. The next pass takes the first batch
/// in: every mail one ticket, one acknowledgment.
async fn a_failed_commit_leaves_only_its_own_batch(backend: Backend) {
    const MARK: &str = "GAGAL-COMMIT";
    let mut posko = desk_with_mail(backend, 40, "POSKO_FAULT_COMMIT_FAIL_ON", MARK).await;
    let out = posko.run_once();
    assert!(
        out.starts_with("fetched 500: 300 new tickets") && out.contains("200 deferred"),
        "{out}"
    );
    let left = names(&posko, "mail/new");
    let first: Vec<String> = (0..BATCH).map(|i| format!("{i:04}.pipe")).collect();
    assert_eq!(left, first, "only the failed batch is left");
    assert_eq!(names(&posko, "mail/cur").len(), COUNT - BATCH);
    assert_eq!(ticket_numbers(&posko), (BATCH..COUNT).collect::<Vec<_>>());
    posko.env.clear();
    let out = posko.run_once();
    assert!(out.starts_with("fetched 200: 200 new tickets"), "{out}");
    assert!(names(&posko, "mail/new").is_empty());
    assert_eq!(ticket_numbers(&posko), (0..COUNT).collect::<Vec<_>>());
    let acks = names(&posko, "outbox")
        .iter()
        .filter(|n| n.ends_with("-ack.eml"))
        .count();
    assert_eq!(acks, COUNT, "one acknowledgment each");
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_failed_commit_leaves_only_its_own_batch);

/// A message of the second batch panics while it is parsed, on the thread
/// reading ahead as the first batch commits: the first and third batches
/// are taken in as batches, the second one message at a time, and only the
/// culprit is quarantined (and flagged in `cur/`).
async fn a_panic_while_reading_ahead_costs_only_its_message(backend: Backend) {
    const MARK: &str = "RACUN-PARSE";
    let posko = desk_with_mail(backend, 300, "POSKO_FAULT_PARSE_PANIC_ON", MARK).await;
    let out = posko.run_once();
    assert!(
        out.starts_with("fetched 500: 499 new tickets")
            && out.contains("1 quarantined, 0 deferred"),
        "{out}"
    );
    assert!(names(&posko, "mail/new").is_empty());
    let cur = names(&posko, "mail/cur");
    assert_eq!(cur.len(), COUNT);
    let flagged: Vec<&String> = cur.iter().filter(|n| n.ends_with(":2,FS")).collect();
    assert_eq!(flagged, ["0300.pipe:2,FS"], "only the culprit is flagged");
    let held: Vec<Value> =
        serde_json::from_slice(&posko.cmd(&["quarantine", "list", "--json"]).stdout).unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(
        held[0]["reason"].as_str().unwrap().contains("panic"),
        "{held:?}"
    );
    let numbers = ticket_numbers(&posko);
    assert_eq!(numbers.len(), COUNT - 1);
    assert!(!numbers.contains(&300));
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_panic_while_reading_ahead_costs_only_its_message);
