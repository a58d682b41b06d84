//! Issue 14, story 6: crash-proof, by test. The daemon is killed with
//! SIGKILL at random moments while it takes in a generated mail set (with
//! replies) from a Maildir and from IMAP, restarted each time, and what it
//! made is compared with an uninterrupted `run --once` over the same set:
//! no ticket, comment or outgoing mail lost or duplicated. Then Dovecot,
//! the SMTP server and PostgreSQL (a private cluster) are each stopped and
//! started again in the middle of a run: nothing is lost and the daemon
//! recovers by itself.
//!
//! The suite runs a few rounds over a few hundred mails;
//! `scripts/crash_test.sh` runs hundreds of rounds over 5,000
//! (`POSKO_CRASH_MAILS`, `POSKO_CRASH_ROUNDS`, `POSKO_CRASH_MAX_MS`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::both;
use crate::harness::fleet::{self, Census, Generated, PrivatePg};
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko};

const NO_LIMITS: &str = "ack_limit = 100000\nack_limit_total = 100000\n";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A desk reading the Maildir `mail/` and writing mail as files to
/// `outbox/`, with `set` waiting in `mail/new/`.
async fn maildir_desk(backend: Backend, set: &[Generated]) -> Posko {
    let io = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\npoll_interval = \"1s\"\n\n\
              [outbound]\nkind = \"file\"\npath = \"outbox\"\nlease = \"2s\"\npoll_interval = \"1s\"\n";
    let posko = Posko::from_parts(backend, NO_LIMITS, io).await;
    fleet::fill_maildir(&posko.path().join("mail"), set);
    posko
}

/// How far after a start the kills may fall: `POSKO_CRASH_MAX_MS`, else a
/// little longer than the uninterrupted run took (`reference`), so kills
/// land in every phase: start-up, intake, sending, idle (at most 6 s, for
/// the suite's time on a loaded machine).
fn kill_window(reference: Duration) -> u64 {
    env_or(
        "POSKO_CRASH_MAX_MS",
        (reference.as_millis() as u64 * 13 / 10 + 300).min(6000),
    )
}

/// SIGKILL `rounds` times, each at a random moment up to `max_ms` after
/// the start; then runs to the end. Returns the kill moments (ms).
async fn kill_rounds(posko: &mut Posko, rounds: u64, max_ms: u64) -> Vec<u64> {
    let mut moments = Vec::new();
    for _ in 0..rounds {
        let ms = 50 + rand::random::<u64>() % max_ms.max(1);
        posko.start_daemon();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        posko.kill_daemon();
        moments.push(ms);
    }
    posko.start_daemon();
    moments
}

/// Waits until the census shows every message of `set` taken in and no
/// mail left to send, then stops the daemon; the census.
async fn run_to_the_end(posko: &mut Posko, n: usize, timeout: Duration) -> Census {
    let url = posko.db_url.clone();
    let done = fleet::until(timeout, || async {
        let Ok(c) = Census::try_take(&url).await else {
            return false;
        };
        let inbound: u32 = c.inbound.values().sum();
        let unsent = c.outbound.keys().any(|k| !k.ends_with(" sent"));
        inbound as usize >= n && !unsent
    })
    .await;
    assert!(done, "not done in {timeout:?}\n{}", posko.daemon_log());
    // Up (its SIGTERM handler in place) before it is asked to stop: the
    // work may all have been done by the runs before it.
    posko
        .wait_http("/healthz", 200, Duration::from_secs(30))
        .await;
    let stopped = posko.stop_daemon();
    assert!(
        stopped,
        "daemon failed on SIGTERM\n{}",
        tail(&posko.daemon_log())
    );
    Census::take(&url).await
}

/// The last lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// What the set must give whatever happened: a ticket per original, each
/// reply on its original's ticket, one acknowledgment each, nothing twice.
fn expect_complete(c: &Census, set: &[Generated]) {
    let (originals, _) = fleet::counts(set);
    assert_eq!(c.tickets as usize, originals, "tickets");
    for g in set {
        let origin = g.reply_to.as_deref().unwrap_or(&g.message_id);
        let key = format!("in {origin} {}", g.message_id);
        assert_eq!(c.inbound.get(&key), Some(&1), "{key}");
    }
    assert!(c.duplicates().is_empty(), "{:?}", c.duplicates());
    let acks = c.outbound_by_kind().get("ack sent").copied().unwrap_or(0);
    assert_eq!(acks as usize, originals, "acknowledgments");
}

/// Every outgoing row written out as a file, once (a resend after a kill
/// rewrites its own file).
fn expect_files(posko: &Posko, got: &Census) {
    let files = std::fs::read_dir(posko.path().join("outbox"))
        .expect("outbox dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        })
        .count();
    let rows: u32 = got.outbound.values().sum();
    assert_eq!(files, rows as usize, "mail files against outbox rows");
}

/// kill -9 during a Maildir intake, against an uninterrupted run.
async fn kill_nine_during_maildir_intake(backend: Backend) {
    let n = env_or("POSKO_CRASH_MAILS", 300) as usize;
    let rounds = env_or("POSKO_CRASH_ROUNDS", 5);
    let set = fleet::generate(n, "crash");

    let reference = maildir_desk(backend, &set).await;
    let clean = Instant::now();
    reference.run_once();
    let max_ms = kill_window(clean.elapsed());
    let expected = Census::take(&reference.db_url).await;
    expect_complete(&expected, &set);

    let mut posko = maildir_desk(backend, &set).await;
    let started = Instant::now();
    let moments = kill_rounds(&mut posko, rounds, max_ms).await;
    let got = run_to_the_end(&mut posko, n, Duration::from_secs(120)).await;
    let diff = got.diff(&expected);
    assert!(
        diff.is_empty(),
        "after kills at {moments:?} ms:\n{}",
        diff.join("\n")
    );
    expect_files(&posko, &got);
    let restarts = posko.daemon_log().matches("posko running").count();
    eprintln!(
        "CRASH maildir {backend:?} mails={n} rounds={rounds} kills_ms={moments:?} \
         total={:.1}s restarts_logged={restarts}",
        started.elapsed().as_secs_f64()
    );
}

both!(kill_nine_during_maildir_intake);

/// A desk reading `stack`'s helpdesk mailbox, sending through its SMTP
/// sink, or (`files`) writing mail as files to `outbox/`: the sink relays
/// some ten mails a second, which would make the kill test a test of it.
async fn imap_desk(backend: Backend, stack: &MailStack, files: bool) -> Posko {
    let posko = Posko::with(
        backend,
        stack,
        Options {
            desk_extra: NO_LIMITS.into(),
            inbound_extra: "lease = \"2s\"\n".into(),
            outbound_extra: "lease = \"2s\"\nretry_after = \"1s\"\n".into(),
            ..Options::default()
        },
    )
    .await;
    if files {
        let text = std::fs::read_to_string(&posko.config).expect("config");
        let start = text.find("[outbound]").expect("[outbound]");
        let end = text[start..].find("\n[").map_or(text.len(), |e| start + e);
        let files = "[outbound]\nkind = \"file\"\npath = \"outbox\"\nlease = \"2s\"\npoll_interval = \"1s\"\n";
        let text = format!("{}{files}{}", &text[..start], &text[end..]);
        std::fs::write(&posko.config, text).expect("write config");
    }
    posko
}

/// Every acknowledgment in `c` delivered to alice or bob; how many twice.
async fn acks_on_the_wire(stack: &MailStack, originals: usize) -> u32 {
    let mut got: BTreeMap<String, u32> = fleet::delivered(stack, "alice").await;
    got.extend(fleet::delivered(stack, "bob").await);
    assert_eq!(got.len(), originals, "acknowledgments delivered");
    got.values().map(|n| n - 1).sum()
}

/// kill -9 during an IMAP intake, against an uninterrupted run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_during_imap_intake() {
    let n = env_or("POSKO_CRASH_IMAP_MAILS", 240) as usize;
    let rounds = env_or("POSKO_CRASH_ROUNDS", 4);
    let set = fleet::generate(n, "imapcrash");

    let ref_stack = MailStack::start().await;
    fleet::append_all(&ref_stack, "helpdesk", &set, Duration::ZERO).await;
    let reference = imap_desk(Backend::Postgres, &ref_stack, true).await;
    let clean = Instant::now();
    reference.run_once();
    let max_ms = kill_window(clean.elapsed());
    let expected = Census::take(&reference.db_url).await;
    expect_complete(&expected, &set);

    let stack = MailStack::start().await;
    fleet::append_all(&stack, "helpdesk", &set, Duration::ZERO).await;
    let mut posko = imap_desk(Backend::Postgres, &stack, true).await;
    let started = Instant::now();
    let moments = kill_rounds(&mut posko, rounds, max_ms).await;
    let got = run_to_the_end(&mut posko, n, Duration::from_secs(120)).await;
    let diff = got.diff(&expected);
    assert!(
        diff.is_empty(),
        "after kills at {moments:?} ms:\n{}",
        diff.join("\n")
    );
    if std::env::var("POSKO_CRASH_LOG").is_ok() {
        eprintln!("{}", posko.daemon_log());
    }
    expect_files(&posko, &got);
    eprintln!(
        "CRASH imap mails={n} rounds={rounds} kills_ms={moments:?} total={:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// Dovecot, the SMTP sink and PostgreSQL each go down and come back while
/// mail arrives; the daemon (never restarted) takes in every mail and sends
/// every acknowledgment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_restart_mid_run() {
    let n = env_or("POSKO_CRASH_RESTART_MAILS", 100) as usize;
    let set = fleet::generate(n, "restart");
    let (originals, _) = fleet::counts(&set);
    let pg = PrivatePg::start().await;
    let stack = MailStack::start().await;
    let mut posko = imap_desk(Backend::Postgres, &stack, false).await;
    posko.use_database(&pg.url("posko"));
    posko.start_daemon();
    let started = Instant::now();
    let chunk = n / 4;
    let pause = Duration::from_millis(5);
    fleet::append_all(&stack, "helpdesk", &set[..chunk], pause).await;

    stack.kill_dovecot();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stack.restart_dovecot().await;
    fleet::append_all(&stack, "helpdesk", &set[chunk..2 * chunk], pause).await;

    stack.kill_smtp();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stack.restart_smtp().await;
    fleet::append_all(&stack, "helpdesk", &set[2 * chunk..3 * chunk], pause).await;

    pg.stop();
    // Mail keeps arriving while the database is away.
    fleet::append_all(&stack, "helpdesk", &set[3 * chunk..], pause).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.start_again();

    assert!(
        posko.daemon_running(),
        "the daemon died:\n{}",
        posko.daemon_log()
    );
    // Two minutes for the suite's 100 mails; by hand (scripts/crash_test.sh,
    // 5,000) the acknowledgments' sending to the sink sets the pace.
    let limit = Duration::from_secs(120 + n as u64 / 5);
    let got = run_to_the_end(&mut posko, n, limit).await;
    expect_complete(&got, &set);
    let resent = acks_on_the_wire(&stack, originals).await;
    eprintln!(
        "CRASH restarts mails={n} total={:.1}s resent={resent}",
        started.elapsed().as_secs_f64()
    );
}
