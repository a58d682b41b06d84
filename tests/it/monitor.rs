//! Issue 14, story 2 and the reload of story 1: the daemon's web listener
//! (`/healthz`, `/readyz`, `/metrics`), its limits against garbage, and
//! SIGHUP; `/readyz`'s reasons for a locked database and failing mail.

use std::time::Duration;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::{MailStack, PASSWORD};
use crate::harness::posko::{Backend, Options, Posko, free_port, http_request};

const WAIT: Duration = Duration::from_secs(30);

/// `/healthz` answers while the daemon runs; `/readyz` once IMAP passed;
/// `/metrics` counts the mail taken in, the ticket and the acknowledgment.
async fn health_and_metrics(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = Posko::new(backend, &stack).await;
    posko.start_daemon();
    assert_eq!(posko.wait_http("/healthz", 200, WAIT).await, "ok\n");
    assert_eq!(posko.wait_http("/readyz", 200, WAIT).await, "ready\n");
    let raw = mail::plain(
        "alice@corp.test",
        "Printer lantai 2 macet",
        "metrics.1@corp.test",
        "",
        "Kertas nyangkut.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    stack.wait_for_mail("alice", 1, WAIT).await;
    // The outbox reports its queue after the tick that sent: wait for it.
    let deadline = std::time::Instant::now() + WAIT;
    let text = loop {
        let (status, text) = posko.http_get("/metrics").await;
        assert_eq!(status, 200);
        let done =
            metric(&text, "posko_mail_sent_total") >= 2 && text.contains("posko_outbox_depth 0");
        if done || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for line in [
        r#"posko_messages_received_total{source="imap",outcome="new_ticket"} 1"#,
        "posko_tickets_opened_total 1",
        "posko_imap_connected 1",
        "posko_outbox_depth 0",
        "posko_outbox_oldest_unsent_age_seconds 0",
        "posko_ready 1",
        "posko_ingest_batch_duration_seconds_count",
        "posko_sla_scan_duration_seconds_count",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // The acknowledgment and the service desk's notice.
    assert!(metric(&text, "posko_mail_sent_total") >= 2, "{text}");
    let poll = metric(&text, "posko_imap_last_poll_timestamp_seconds");
    assert!(
        (crate::harness::posko::wall_now() - poll).abs() < 120,
        "{poll}"
    );
    assert!(posko.stop_daemon());
}
both!(health_and_metrics);

/// The value of metric `name`, labels included as written
/// (`posko_send_failures_total{class="temporary"}`); 0 when absent.
pub fn metric(text: &str, name: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as i64)
}

/// Dovecot refuses the login: `/readyz` says so (503, counting the
/// failures); once the password is right again it answers ready.
#[tokio::test]
async fn readyz_names_a_refused_imap_login_until_it_works() {
    let stack = MailStack::start().await;
    stack.set_password("helpdesk", "not-what-posko-has");
    let mut posko = Posko::new(Backend::Sqlite, &stack).await;
    posko.start_daemon();
    assert_eq!(posko.wait_http("/healthz", 200, WAIT).await, "ok\n");
    let deadline = std::time::Instant::now() + WAIT;
    let reason = loop {
        let (status, body) = posko.http_get("/readyz").await;
        assert_eq!(status, 503, "{body}");
        if body.contains("times since") || std::time::Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        reason.starts_with("IMAP: login failed ") && reason.contains(" times since "),
        "{reason}"
    );
    assert!(reason.trim_end().ends_with("UTC"), "{reason}");
    stack.set_password("helpdesk", PASSWORD);
    // The reconnect delay doubles per failure; a few are within a minute.
    posko
        .wait_http("/readyz", 200, Duration::from_secs(60))
        .await;
    assert!(posko.stop_daemon());
}

/// Garbage on the port: an unknown path is 404, a head over 16 KiB is 431,
/// a request that never finishes its head is cut off, and the daemon
/// answers as before.
#[tokio::test]
async fn the_listener_bounds_garbage() {
    let stack = MailStack::start().await;
    let mut posko = Posko::new(Backend::Sqlite, &stack).await;
    posko.start_daemon();
    posko.wait_http("/healthz", 200, WAIT).await;
    assert_eq!(posko.http_get("/wp-admin/setup.php").await.0, 404);
    assert_eq!(posko.http_get("/../../etc/passwd").await.0, 404);

    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Junk: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    match http_request(posko.web_port, big.as_bytes()).await {
        Ok((status, _)) => assert_eq!(status, 431),
        // Closed before all of it was written: refused just the same.
        Err(e) => eprintln!("oversized head: connection closed ({e})"),
    }

    // Slowloris: a head that never ends is closed by the server within
    // its header timeout (10 s), not held open.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", posko.web_port))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(25), async {
        loop {
            // One more header byte now and then, as a slowloris does.
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            let mut chunk = [0u8; 512];
            match tokio::time::timeout(Duration::from_secs(1), slow.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a slow head was held open for 25 s");
    let held = started.elapsed();
    assert!(held < Duration::from_secs(15), "held {held:?}");
    eprintln!(
        "slow head closed after {held:?}: {:?}",
        String::from_utf8_lossy(&buf)
    );

    assert_eq!(posko.http_get("/healthz").await, (200, "ok\n".into()));
    assert!(posko.stop_daemon());
}

/// SIGHUP: a rule added to the file classifies the next mail, the PID
/// stays; a broken file is refused with a logged error and the daemon
/// goes on with the rules it had.
#[tokio::test]
async fn sighup_reloads_the_rules_and_refuses_a_broken_file() {
    let stack = MailStack::start().await;
    let options = Options {
        catalogue: true,
        ..Options::default()
    };
    let mut posko = Posko::with(Backend::Sqlite, &stack, options).await;
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    let pid = posko.daemon_pid();
    let deliver = |n: u32| {
        mail::plain(
            "alice@corp.test",
            &format!("Proyektor ruang rapat mati {n}"),
            &format!("reload.{n}@corp.test"),
            "",
            "Tidak menyala.",
        )
    };
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &deliver(1))
        .await;
    let first = posko.wait_for_tickets(1, WAIT).await;
    assert_eq!(first[0]["tags"], serde_json::json!([]));

    let original = std::fs::read_to_string(&posko.config).unwrap();
    let with_rule = format!(
        "{original}\n[[rule]]\nname = \"projector\"\nsubject = 'proyektor'\nset = {{ tags = [\"reloaded\"] }}\n"
    );
    std::fs::write(&posko.config, &with_rule).unwrap();
    posko.signal_daemon("HUP");
    wait_log(&posko, "configuration reloaded").await;
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &deliver(2))
        .await;
    let second = posko.wait_for_tickets(2, WAIT).await;
    let reloaded = second
        .iter()
        .find(|t| t["subject"].as_str().unwrap().ends_with(" 2"))
        .expect("the second ticket");
    assert_eq!(
        reloaded["tags"],
        serde_json::json!(["reloaded"]),
        "{reloaded}"
    );
    assert!(posko.daemon_running());
    assert_eq!(posko.daemon_pid(), pid);

    // Broken: a rule naming a category that does not exist.
    std::fs::write(
        &posko.config,
        format!("{with_rule}\n[[rule]]\nname = \"typo\"\nsubject = 'x'\nset = {{ category = \"no.such\" }}\n"),
    )
    .unwrap();
    posko.signal_daemon("HUP");
    wait_log(&posko, "configuration reload refused").await;
    let log = posko.daemon_log();
    assert!(
        log.contains("no.such"),
        "the error names the problem:\n{log}"
    );
    assert!(posko.daemon_running(), "{log}");
    // The daemon goes on with the rules it had. (The file is put back, not
    // reloaded, only so that `tickets list` below can read it.)
    std::fs::write(&posko.config, &with_rule).unwrap();
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &deliver(3))
        .await;
    let third = posko.wait_for_tickets(3, WAIT).await;
    let kept = third
        .iter()
        .find(|t| t["subject"].as_str().unwrap().ends_with(" 3"))
        .expect("the third ticket");
    assert_eq!(kept["tags"], serde_json::json!(["reloaded"]), "{kept}");
    let (_, metrics) = posko.http_get("/metrics").await;
    assert!(
        metrics.contains(r#"posko_config_reloads_total{result="ok"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"posko_config_reloads_total{result="refused"} 1"#),
        "{metrics}"
    );
    assert!(posko.stop_daemon());
}

async fn wait_log(posko: &Posko, needle: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !posko.daemon_log().contains(needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {needle:?} in the log:\n{}",
            posko.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `[web] ops_listen`: health and metrics on their own address, not on
/// the public one.
#[tokio::test]
async fn ops_listen_keeps_health_and_metrics_off_the_public_port() {
    let stack = MailStack::start().await;
    let (public, ops) = (free_port(), free_port());
    let options = Options {
        extra: format!(
            "[web]\nlisten = \"127.0.0.1:{public}\"\nops_listen = \"127.0.0.1:{ops}\"\npublic_url = \"https://helpdesk.corp.test\"\n"
        ),
        ..Options::default()
    };
    let mut posko = Posko::with(Backend::Sqlite, &stack, options).await;
    posko.web_port = ops;
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    assert_eq!(posko.http_get("/metrics").await.0, 200);
    posko.web_port = public;
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            posko.http_get(path).await.0,
            404,
            "{path} on the public port"
        );
    }
    assert!(posko.stop_daemon());
}

/// Polls `/metrics` until `done` holds for its text (which it returns), or
/// panics with the last text and the log after 30 s.
pub async fn wait_metrics(posko: &Posko, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (status, text) = posko.http_get("/metrics").await;
        assert_eq!(status, 200, "{text}");
        if done(&text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "metrics never got there:\n{text}\n{}",
            posko.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `/readyz` until it answers 503 with a reason starting `prefix`;
/// returns that reason line.
async fn wait_unready(posko: &Posko, prefix: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (status, body) = posko.http_get("/readyz").await;
        if let Some(line) = body.lines().find(|l| l.starts_with(prefix)) {
            assert_eq!(status, 503, "{body}");
            return line.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz never said {prefix:?}; last {status}: {body}\n{}",
            posko.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SQLite held by another process, a write transaction left open: `/readyz`
/// says "database: locked" while it lasts (without waiting for mail to
/// fail on it), mail that arrives meanwhile waits in the mailbox, and once
/// the lock is gone the daemon is ready and the mail is a ticket.
/// (Another process cannot take an exclusive lock from a running daemon:
/// in WAL mode the daemon's open connections keep it from getting one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_the_database_is_locked_until_it_is_free() {
    use sqlx::{Connection, Executor};
    let stack = MailStack::start().await;
    let mut posko = Posko::new(Backend::Sqlite, &stack).await;
    // Writes give up on a lock after 1 s instead of 10 (the mail stays).
    short_busy_timeout(&posko);
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    sqlx::any::install_default_drivers();
    let mut holder = sqlx::AnyConnection::connect(&posko.db_url)
        .await
        .expect("a second connection to posko's database");

    // A write transaction another process keeps open.
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let reason = wait_unready(&posko, "database: ").await;
    assert!(
        reason.starts_with("database: locked ") && reason.ends_with(" UTC"),
        "{reason}"
    );
    let raw = mail::plain(
        "alice@corp.test",
        "Aplikasi absensi error",
        "locked.1@corp.test",
        "",
        "Tidak bisa login.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    // The mail waits on the server: the reader either defers it (the
    // write is refused) or cannot renew its mailbox lease (also a write)
    // and stands by; either way no ticket while the lock is held.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let text = wait_metrics(&posko, |t| metric(t, "posko_ready") == 0).await;
    assert_eq!(metric(&text, "posko_tickets_opened_total"), 0, "{text}");
    holder.execute("ROLLBACK").await.unwrap();
    posko.wait_http("/readyz", 200, WAIT).await;
    assert_eq!(posko.wait_for_tickets(1, WAIT).await.len(), 1);
    stack.wait_for_mail("alice", 1, WAIT).await;

    holder.close().await.unwrap();
    assert!(posko.daemon_running());
    assert!(posko.stop_daemon());
}

/// Writes of `posko` give up on a lock after 1 s instead of 10.
pub fn short_busy_timeout(posko: &Posko) {
    let text = std::fs::read_to_string(&posko.config).unwrap();
    std::fs::write(
        &posko.config,
        text.replace("[database]\n", "[database]\nbusy_timeout = \"1s\"\n"),
    )
    .unwrap();
}

/// Mail the server keeps refusing (451): `/readyz` says how many mails
/// fail and for how long, in the admin's words; when the server takes
/// them again it answers ready.
async fn readyz_names_failing_mail_until_it_goes_out(backend: Backend) {
    let stack = MailStack::start().await;
    stack.set_fail_rcpt("alice@corp.test", Some(451));
    let mut posko = Posko::new(backend, &stack).await;
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    let raw = mail::plain(
        "alice@corp.test",
        "VPN putus terus",
        "failing.1@corp.test",
        "",
        "Sejak pagi.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    stack.wait_for_mail("siti", 1, WAIT).await;
    let reason = wait_unready(&posko, "outbox: ").await;
    assert!(
        reason.starts_with("outbox: 1 mail failing for "),
        "{reason}"
    );
    // Two hours on (the queue time moved back, as if it had been queued
    // then): the reason and the oldest mail's age say so.
    posko
        .sql("UPDATE outbox SET created_at = created_at - 7200 WHERE status = 'queued'")
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (status, body) = posko.http_get("/readyz").await;
        assert_eq!(status, 503, "{body}");
        if body == "outbox: 1 mail failing for 2 h\n" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let text = wait_metrics(&posko, |t| metric(t, "posko_outbox_failing") == 1).await;
    assert!(
        metric(&text, "posko_outbox_oldest_unsent_age_seconds") >= 7200,
        "{text}"
    );
    assert_eq!(metric(&text, "posko_ready"), 0, "{text}");
    assert!(metric(&text, r#"posko_send_failures_total{class="temporary"}"#) >= 1);

    // The server takes it again; the retry is brought forward (its
    // backoff is a minute).
    stack.set_fail_rcpt("alice@corp.test", None);
    posko
        .sql("UPDATE outbox SET due_at = 0 WHERE status = 'queued'")
        .await;
    stack.wait_for_mail("alice", 1, WAIT).await;
    assert_eq!(posko.wait_http("/readyz", 200, WAIT).await, "ready\n");
    let text = wait_metrics(&posko, |t| metric(t, "posko_outbox_depth") == 0).await;
    assert_eq!(metric(&text, "posko_outbox_failing"), 0, "{text}");
    assert_eq!(metric(&text, "posko_ready"), 1, "{text}");
    assert!(posko.stop_daemon());
}
both!(readyz_names_failing_mail_until_it_goes_out);
