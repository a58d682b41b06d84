//! The mail server's side: IMAP over TLS and STARTTLS, a server that drops
//! the connection, oversized mail, a processed folder, and the outbox's
//! retries (4xx) and permanent failures (5xx), with time passed as `--now`.

use std::time::Duration;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko};

const WAIT: Duration = Duration::from_secs(20);

/// Implicit TLS for IMAP and STARTTLS for SMTP, trusting the test CA; a
/// processed folder; an oversized message left flagged in the INBOX.
async fn tls_processed_folder_and_oversized(backend: Backend) {
    let stack = MailStack::start().await;
    let ca = stack.ca_pem_path();
    let imaps = format!(
        "[inbound]\nkind = \"imap\"\nhost = \"localhost\"\nport = {}\nsecurity = \"tls\"\nca_file = \"{}\"\n\
         username = \"helpdesk\"\npassword_env = \"{}\"\nprocessed_mailbox = \"Processed\"\nmax_message_size = \"30KB\"\n\
         timeout = \"10s\"\n\n[outbound]\nkind = \"smtp\"\nhost = \"localhost\"\nport = {}\nsecurity = \"starttls\"\nca_file = \"{}\"\n",
        stack.imaps_port(),
        ca.display(),
        crate::harness::posko::IMAP_PASSWORD_ENV,
        stack.smtp_starttls_port(),
        ca.display()
    );
    let posko = Posko::from_parts(backend, "", &imaps).await;
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain(
                "alice@corp.test",
                "Printer",
                "p@corp.test",
                "",
                "Printer macet.",
            ),
        )
        .await;
    let big = mail::plain(
        "bob@corp.test",
        "Lampiran besar",
        "big@corp.test",
        "",
        &format!("{}\r\n", "data ".repeat(15)).repeat(500),
    );
    stack
        .deliver("bob@corp.test", &["helpdesk@corp.test"], &big)
        .await;
    let out = posko.run_once();
    assert!(
        out.contains("1 new tickets") && out.contains("1 quarantined"),
        "{out}"
    );
    stack.wait_for_mail("alice", 1, WAIT).await;
    let processed = stack.mailbox_flags("helpdesk", "Processed").await;
    assert_eq!(processed.len(), 1, "the ticket's mail was moved");
    let inbox = stack.mailbox_flags("helpdesk", "INBOX").await;
    assert_eq!(inbox.len(), 1, "the oversized mail stays on the server");
    assert!(inbox[0].1.iter().any(|f| f == "\\Flagged"), "{inbox:?}");
    let held = String::from_utf8_lossy(&posko.cmd(&["quarantine", "list"]).stdout).to_string();
    assert!(held.contains("inbound.max_message_size"), "{held}");
    // A second pass does not fetch it again.
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(tls_processed_folder_and_oversized);

/// STARTTLS for IMAP, polling instead of IDLE; the server goes away and
/// comes back: the daemon reconnects and nothing is lost.
async fn server_drops_the_connection(backend: Backend) {
    let stack = MailStack::start().await;
    let ca = stack.ca_pem_path();
    let mut posko = Posko::with(
        backend,
        &stack,
        Options {
            idle: false,
            inbound_extra: format!("ca_file = \"{}\"", ca.display()),
            ..Options::default()
        },
    )
    .await;
    let config = std::fs::read_to_string(&posko.config)
        .unwrap()
        .replace("host = \"127.0.0.1\"\nport", "host = \"localhost\"\nport")
        .replacen("security = \"none\"", "security = \"starttls\"", 1);
    std::fs::write(&posko.config, config).unwrap();
    posko.start_daemon();
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain("alice@corp.test", "Satu", "one@corp.test", "", "Pertama."),
        )
        .await;
    posko.wait_for_tickets(1, WAIT).await;
    // Let the first acknowledgment land before the server goes away.
    stack.wait_for_mail("alice", 1, WAIT).await;
    stack.wait_for_mail("siti", 1, WAIT).await;
    stack.kill_dovecot();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stack.restart_dovecot().await;
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain("alice@corp.test", "Dua", "two@corp.test", "", "Kedua."),
        )
        .await;
    posko.wait_for_tickets(2, Duration::from_secs(30)).await;
    stack.wait_for_mail("alice", 2, WAIT).await;
    let log = posko.daemon_log();
    assert!(
        log.contains("reconnecting") || log.contains("IMAP connect failed"),
        "{log}"
    );
    assert!(posko.stop_daemon());
    assert_eq!(posko.tickets().len(), 2);
}
both!(server_drops_the_connection);

/// 4xx: retried with backoff at a later `--now`; 5xx: failed for good and
/// recorded on the ticket. Neither blocks the other mail.
async fn outbox_retries_then_fails(backend: Backend) {
    let stack = MailStack::builder()
        .fail_rcpt("bob@corp.test", 550)
        .start()
        .await;
    stack.set_fail_rcpt("alice@corp.test", Some(451));
    let posko = Posko::new(backend, &stack).await;
    stack
        .deliver(
            "alice@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain("alice@corp.test", "A", "a@corp.test", "", "a"),
        )
        .await;
    stack
        .deliver(
            "bob@corp.test",
            &["helpdesk@corp.test"],
            &mail::plain("bob@corp.test", "B", "b@corp.test", "", "b"),
        )
        .await;
    let out = posko.run_once_at("2026-11-23T08:00:00+07:00");
    assert!(
        out.contains("retrying 1") && out.contains("failed 1") && out.contains("sent 2"),
        "{out}"
    );
    let unsent = posko.outbox_unsent();
    assert_eq!(unsent.len(), 2, "{unsent:#?}");
    let bob = posko
        .tickets()
        .into_iter()
        .find(|t| t["requester"] == "bob@corp.test")
        .unwrap();
    let bob = posko.ticket(bob["id"].as_i64().unwrap());
    let failed: Vec<_> = bob["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "delivery_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{bob:#}");
    assert!(
        failed[0]["error"].as_str().unwrap().contains("550"),
        "{failed:?}"
    );

    // Not yet due 30 s later; due after the first backoff (60 s).
    let out = posko.run_once_at("2026-11-23T08:00:30+07:00");
    assert!(out.contains("sent 0, retrying 0"), "{out}");
    stack.set_fail_rcpt("alice@corp.test", None);
    let out = posko.run_once_at("2026-11-23T08:01:01+07:00");
    assert!(out.contains("sent 1"), "{out}");
    let acks = stack.wait_for_mail("alice", 1, WAIT).await;
    assert_eq!(acks.len(), 1);
    assert!(stack.inbox("bob").await.is_empty());
    let unsent = posko.outbox_unsent();
    assert_eq!(unsent.len(), 1);
    assert_eq!(unsent[0]["status"], "failed");
}
both!(outbox_retries_then_fails);
