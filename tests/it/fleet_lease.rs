//! Issue 14, story 5, the gaps of the mailbox lease: a standby instance
//! says it stands by and who reads in its place (`/readyz`, `/metrics`,
//! `posko check`), and a lease renewal that fails for a moment (the
//! database locked) does not drop the reader's IMAP session while the lease
//! it holds has not run out.

use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, ok, wall_now};
use crate::monitor::{short_busy_timeout, wait_metrics};

const WAIT: Duration = Duration::from_secs(30);

/// The value of the first line of metric `name` (any labels), and the line.
fn labelled(text: &str, name: &str) -> Option<(String, i64)> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")))
        .and_then(|l| {
            let (_, v) = l.rsplit_once(' ')?;
            Some((l.to_string(), v.parse::<f64>().ok()? as i64))
        })
}

/// The lease's expiry as the table has it.
async fn expiry(c: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT expires_at FROM leases")
        .fetch_one(c)
        .await
        .unwrap()
}

/// Two instances on one PostgreSQL database and mailbox: the reader's
/// `/metrics` says it holds the lease; the other's `/readyz` is ready but
/// says it stands by, naming the reader, since when and until when; its
/// `/metrics` says it holds nothing and is not connected, with the lease's
/// expiry; `posko check` names the holder.
#[tokio::test]
async fn a_standby_says_who_reads_the_mailbox() {
    let stack = MailStack::start().await;
    let mut reader = Posko::with(
        Backend::Postgres,
        &stack,
        Options {
            inbound_extra: "lease = \"6s\"\n".into(),
            ..Options::default()
        },
    )
    .await;
    reader.cmd(&["check"]);
    let mut standby = reader.sharing();
    reader.env.push(("POSKO_INSTANCE".into(), "reader".into()));
    standby
        .env
        .push(("POSKO_INSTANCE".into(), "standby".into()));
    reader.start_daemon();
    assert_eq!(reader.wait_http("/readyz", 200, WAIT).await, "ready\n");
    let text = wait_metrics(&reader, |t| {
        labelled(t, "posko_imap_lease_held").is_some_and(|(_, v)| v == 1)
    })
    .await;
    let (line, _) = labelled(&text, "posko_imap_lease_held").unwrap();
    assert!(line.contains(r#"mailbox="imap://"#), "{line}");

    standby.start_daemon();
    standby.wait_http("/healthz", 200, WAIT).await;
    let deadline = Instant::now() + WAIT;
    let body = loop {
        let (status, body) = standby.http_get("/readyz").await;
        if body.contains("standing by") {
            assert_eq!(status, 200, "{body}");
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "{status} {body}\n{}",
            standby.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        body.starts_with("ready\nIMAP: standing by; instance reader:"),
        "{body}"
    );
    assert!(
        body.contains(" holds the lease since ") && body.contains(", until "),
        "{body}"
    );
    let text = wait_metrics(&standby, |t| labelled(t, "posko_imap_lease_held").is_some()).await;
    assert_eq!(
        labelled(&text, "posko_imap_lease_held").unwrap().1,
        0,
        "{text}"
    );
    assert!(text.contains("posko_imap_connected 0"), "{text}");
    let (_, expiry) = labelled(&text, "posko_imap_lease_expiry_timestamp_seconds").expect(&text);
    assert!((expiry - wall_now()).abs() <= 10, "{expiry}\n{text}");

    let check = ok(standby.cmd(&["check"]), "check");
    let line = check
        .lines()
        .find(|l| l.contains("lease imap:"))
        .unwrap_or_else(|| panic!("no lease line in\n{check}"));
    assert!(
        line.contains("held by reader:") && line.contains(", until "),
        "{line}"
    );

    // The reader stops cleanly: the standby takes over and reads.
    assert!(reader.stop_daemon());
    wait_metrics(&standby, |t| {
        labelled(t, "posko_imap_lease_held").is_some_and(|(_, v)| v == 1)
    })
    .await;
    assert_eq!(standby.wait_http("/readyz", 200, WAIT).await, "ready\n");
    assert!(standby.stop_daemon());
}

/// SQLite locked by another process for a few seconds, right after the
/// reader renewed its 12 s lease: the next renewal fails, and the reader
/// keeps its IMAP session (it still holds the lease it wrote) and renews
/// once the lock is gone; mail then arrives on that same session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_that_fails_for_a_moment_keeps_the_session() {
    let stack = MailStack::start().await;
    let mut posko = Posko::with(
        Backend::Sqlite,
        &stack,
        Options {
            inbound_extra: "lease = \"12s\"\n".into(),
            ..Options::default()
        },
    )
    .await;
    // A write waits 1 s on a lock before it fails.
    short_busy_timeout(&posko);
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    sqlx::any::install_default_drivers();
    let mut other = sqlx::AnyConnection::connect(&posko.db_url).await.unwrap();
    // Lock right after a renewal, for longer than the gap to the next one
    // (a third of the lease) plus the 1 s the renewal waits.
    let first = expiry(&mut other).await;
    let deadline = Instant::now() + WAIT;
    while expiry(&mut other).await == first {
        assert!(
            Instant::now() < deadline,
            "no renewal\n{}",
            posko.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    tokio::time::sleep(Duration::from_millis(5500)).await;
    other.execute("ROLLBACK").await.unwrap();

    let raw = mail::plain(
        "alice@corp.test",
        "Monitor berkedip",
        "renew.1@corp.test",
        "",
        "Layar berkedip terus.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    assert_eq!(posko.wait_for_tickets(1, WAIT).await.len(), 1);
    let log = posko.daemon_log();
    assert!(log.contains("lease renewal failed; working on"), "{log}");
    assert_eq!(
        log.matches("IMAP connected").count(),
        1,
        "the session was dropped:\n{log}"
    );
    assert!(!log.contains("IMAP session ended"), "{log}");
    other.close().await.unwrap();
    assert!(posko.stop_daemon());
}
