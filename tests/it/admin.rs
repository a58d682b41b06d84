//! The admin's side: `posko check`, the MTA pipe, quarantine, the embedded
//! default (Maildir + files), and reopening closed tickets.

use std::time::Duration;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, ok};

/// Story 6: `posko check` names file, key and reason, or says all answers.
async fn check_reports_what_is_wrong_or_that_all_answers(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let out = posko.cmd(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in [
        "configuration",
        "templates",
        "database",
        "inbound",
        "outbound",
    ] {
        assert!(
            stdout.contains(&format!("ok    {part}")),
            "{part}: {stdout}"
        );
    }
    assert!(stdout.contains("IMAP 127.0.0.1"), "{stdout}");

    // A wrong password: the IMAP line fails, the rest still answer.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_posko"));
    let out = cmd
        .args(["--config", posko.config.to_str().unwrap(), "check"])
        .env(crate::harness::posko::IMAP_PASSWORD_ENV, "wrong")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  inbound") && stdout.contains("login as helpdesk refused"),
        "{stdout}"
    );
    assert!(stdout.contains("ok    outbound"), "{stdout}");

    // SMTP down: the outbound line fails.
    drop(stack);
    let out = posko.cmd(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL  outbound"), "{stdout}");
}
both!(check_reports_what_is_wrong_or_that_all_answers);

#[test]
fn config_errors_name_file_key_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[desk]\nname = \"x\"\naddress = \"helpdesk@corp.test\"\ncolour = \"red\"\n",
            "colour",
            "unknown field",
        ),
        (
            "[desk]\nname = \"x\"\naddress = \"not an address\"\n[database]\nurl = \"sqlite://x.db\"\n[inbound]\nkind = \"maildir\"\npath = \"m\"\n[outbound]\nkind = \"file\"\npath = \"o\"\n",
            "desk.address",
            "not an e-mail address",
        ),
        (
            "[desk]\nname = \"x\"\naddress = \"h@corp.test\"\n[database]\nurl = \"sqlite://x.db\"\n[inbound]\nkind = \"imap\"\n[outbound]\nkind = \"file\"\npath = \"o\"\n",
            "inbound.host",
            "required",
        ),
        (
            "[desk]\nname = \"x\"\naddress = \"h@corp.test\"\ntimezone = \"Asia/Jakart\"\n[database]\nurl = \"sqlite://x.db\"\n[inbound]\nkind = \"maildir\"\npath = \"m\"\n[outbound]\nkind = \"file\"\npath = \"o\"\n",
            "desk.timezone",
            "IANA",
        ),
    ];
    for (i, (text, key, why)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        for args in [&["check"][..], &["run", "--once"][..]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_posko"))
                .arg("--config")
                .arg(&file)
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(78), "EX_CONFIG for {key}: {err}");
            assert!(
                err.contains(&format!("bad{i}.toml")),
                "names the file: {err}"
            );
            assert!(err.contains(key), "names {key}: {err}");
            assert!(err.contains(why), "says why ({why}): {err}");
        }
    }
}

/// The MTA pipe: stdin in, sysexits out; garbage is kept in quarantine and
/// can be retried; a database that cannot be opened means "try again" (75).
async fn pipe_ingest_and_quarantine(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let raw = mail::plain(
        "alice@corp.test",
        "Mouse rusak",
        "pipe1@corp.test",
        "",
        "Mouse tidak bisa klik.",
    );
    let out = posko.cmd_stdin(&["ingest"], &raw);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("new ticket #1"));
    // Delivered twice by the MTA: still one ticket, and success (no retry).
    // Logs are JSON on request.
    let out = posko.cmd_stdin(&["--log-format", "json", "ingest"], &raw);
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("duplicate"))
        .expect("a log line");
    let json: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(json["level"], "INFO");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("duplicate"));

    // No sender at all: quarantined (exit 0: it is kept), listed, retried.
    let nosender = b"Subject: siapa saya?\r\nMessage-ID: <anon@x>\r\n\r\nhalo\r\n";
    let out = posko.cmd_stdin(&["ingest"], nosender);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("quarantined"));
    let list = posko.cmd(&["quarantine", "list", "--json"]);
    let held: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert!(held[0]["reason"].as_str().unwrap().contains("no sender"));
    let shown = posko.cmd(&["quarantine", "show", "1"]);
    assert_eq!(shown.stdout, nosender, "kept byte for byte");
    let retry = posko.cmd(&["quarantine", "retry", "1"]);
    assert!(
        String::from_utf8_lossy(&retry.stdout).contains("quarantined"),
        "still bad, still held"
    );
    assert_eq!(posko.tickets().len(), 1);

    // The database cannot be opened: EX_TEMPFAIL so the MTA keeps the mail.
    let broken = posko.path().join("broken.toml");
    let text = std::fs::read_to_string(&posko.config).unwrap();
    let text = text.replace(&posko.db_url, "sqlite:///proc/posko-no-such-dir/x.db");
    let text = text.replace(&posko.db_url.replace("sqlite://", ""), "/proc/nope");
    std::fs::write(&broken, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_posko"))
        .args(["--config", broken.to_str().unwrap(), "ingest"])
        .stdin(std::fs::File::open(posko.config.clone()).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
both!(pipe_ingest_and_quarantine);

/// The embedded default: a Maildir in, .eml files out.
async fn maildir_and_file_transport(backend: Backend) {
    let dir_sections = r#"
[inbound]
kind = "maildir"
path = "mail"
max_message_size = "20KB"

[outbound]
kind = "file"
path = "outbox"
"#;
    let posko = Posko::from_parts(backend, "", dir_sections).await;
    let md = posko::inbound::maildir::Maildir::open(&posko.path().join("mail")).unwrap();
    md.deliver(&mail::outlook_with_screenshot("md1@corp.test"))
        .unwrap();
    let big = mail::plain(
        "alice@corp.test",
        "Besar",
        "big@corp.test",
        "",
        &"x".repeat(40_000),
    );
    md.deliver(&big).unwrap();
    let out = posko.run_once();
    assert!(
        out.contains("1 new tickets") && out.contains("1 quarantined"),
        "{out}"
    );
    assert!(md.pending().unwrap().is_empty(), "new/ is empty");
    let cur: Vec<_> = std::fs::read_dir(posko.path().join("mail/cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(cur.len(), 2, "both kept in cur/: {cur:?}");
    assert!(
        cur.iter().any(|n| n.ends_with(":2,FS")),
        "the oversized one is flagged: {cur:?}"
    );
    let files: Vec<_> = std::fs::read_dir(posko.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "ack + notice written: {files:?}");
    let held = posko.cmd(&["quarantine", "list"]);
    assert!(String::from_utf8_lossy(&held.stdout).contains("inbound.max_message_size"));
}
both!(maildir_and_file_transport);

/// A reply to a closed ticket reopens it within desk.reopen_window;
/// later, it opens a new ticket linked to the old one. A requester's
/// answer to a pending ticket sets it back in progress.
async fn closed_tickets_reopen_or_link(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::with(
        backend,
        &stack,
        Options {
            desk_extra: "reopen_window = \"7d\"".into(),
            ..Options::default()
        },
    )
    .await;
    for (n, subject) in [
        (1, "Proyektor mati"),
        (2, "Scanner error"),
        (3, "VPN putus"),
    ] {
        stack
            .deliver(
                "alice@corp.test",
                &["helpdesk@corp.test"],
                &mail::plain(
                    "alice@corp.test",
                    subject,
                    &format!("t{n}@corp.test"),
                    "",
                    "Tolong dicek.",
                ),
            )
            .await;
    }
    posko.run_once_at("2026-11-02T09:00:00+07:00");
    // #1 closed on 2 Nov, #2 closed on 2 Nov, #3 waiting for Alice.
    let closed_at = chrono::DateTime::parse_from_rfc3339("2026-11-02T10:00:00+07:00")
        .unwrap()
        .timestamp();
    posko
        .sql(&format!(
            "UPDATE tickets SET status = 'closed', closed_at = {closed_at} WHERE id IN (1, 2)"
        ))
        .await;
    posko
        .sql("UPDATE tickets SET status = 'pending' WHERE id = 3")
        .await;

    let reply = |id: i64, n: &str| {
        mail::plain(
            "alice@corp.test",
            &format!("Re: [Helpdesk #{id}] x"),
            n,
            "",
            "Masih bermasalah.",
        )
    };
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &reply(1, "r1@corp.test"),
        )
        .await;
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &reply(3, "r3@corp.test"),
        )
        .await;
    posko.run_once_at("2026-11-05T09:00:00+07:00");
    assert_eq!(
        posko.ticket(1)["status"],
        "in_progress",
        "reopened within 7 days"
    );
    assert_eq!(
        posko.ticket(3)["status"],
        "in_progress",
        "the requester answered"
    );

    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &reply(2, "r2@corp.test"),
        )
        .await;
    let out = posko.run_once_at("2026-11-20T09:00:00+07:00");
    assert!(out.contains("1 new tickets"), "{out}");
    assert_eq!(posko.ticket(2)["status"], "closed");
    let new = posko.ticket(4);
    assert_eq!(new["linked_ticket"], 2);
    assert_eq!(new["subject"], "x");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
both!(closed_tickets_reopen_or_link);

/// Another program holds SQLite's write lock (a backup, a second posko, an
/// admin's `sqlite3` shell): no mail is lost, nothing waits for long. The
/// MTA pipe answers 75 (try again later) after `database.busy_timeout`; a
/// pass leaves the whole batch in the Maildir at once instead of waiting
/// out the timeout for each message; once the lock is gone, everything is
/// taken in, once.
#[tokio::test]
async fn a_locked_database_defers_mail_and_loses_none() {
    let io = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n\
              [outbound]\nkind = \"file\"\npath = \"outbox\"\n";
    let posko = Posko::from_parts(Backend::Sqlite, "", io).await;
    let text = std::fs::read_to_string(&posko.config).unwrap();
    let url_line = format!("url = \"{}\"", posko.db_url);
    assert!(text.contains(&url_line));
    let text = text.replace(&url_line, &format!("{url_line}\nbusy_timeout = \"400ms\""));
    std::fs::write(&posko.config, text).unwrap();
    ok(posko.cmd(&["migrate"]), "migrate");
    let md = posko::inbound::maildir::Maildir::open(&posko.path().join("mail")).unwrap();
    for i in 0..20 {
        md.deliver(&mail::plain(
            "alice@corp.test",
            &format!("Laptop {i} mati"),
            &format!("lock{i}@corp.test"),
            "",
            "Tolong dicek.",
        ))
        .unwrap();
    }
    let piped = mail::plain(
        "bob@corp.test",
        "Mouse rusak",
        "lockpipe@corp.test",
        "",
        "Ganti.",
    );

    // Hold the write lock from another process until its stdin closes.
    let db_file = posko.db_url.trim_start_matches("sqlite://").to_string();
    let mut holder = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             sys.stdin.read()\n",
            &db_file,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(holder.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "locked");
    }

    let out = posko.cmd_stdin(&["ingest"], &piped);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("locked"), "says why: {err}");

    let started = std::time::Instant::now();
    let out = posko.cmd(&["run", "--once"]);
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One busy timeout for the batch (and one for the SLA scan), not one
    // per message: 20 × 400 ms would be 8 s.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(md.pending().unwrap().len(), 20, "all left in new/");

    drop(holder.stdin.take());
    holder.wait().unwrap();

    let out = posko.run_once();
    assert!(out.contains("20 new tickets"), "{out}");
    assert!(md.pending().unwrap().is_empty());
    let out = posko.cmd_stdin(&["ingest"], &piped);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(posko.tickets().len(), 21);
}
