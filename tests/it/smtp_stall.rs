//! Issue 14: a mail server that accepts and then stops answering, after
//! EHLO or before its reply to the final dot, holds one mail for at most
//! `outbound.timeout`: that mail is retried, the mail behind it goes out,
//! and `/metrics` and `/readyz` say what happened. (lettre bounds only the
//! connect; before the fix the outbox worker waited forever.)

use std::time::Duration;

use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko};
use crate::harness::stall::{Stall, StallRelay};
use crate::monitor::{metric, wait_metrics};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_smtp_server_holds_one_mail_not_the_outbox() {
    let stack = MailStack::start().await;
    let relay = StallRelay::start(stack.smtp_port()).await;
    let mut posko = Posko::new(Backend::Sqlite, &stack).await;
    // Send through the relay, and give up on a silent server after 2 s.
    let text = std::fs::read_to_string(&posko.config).unwrap();
    let smtp = format!(
        "port = {}\nsecurity = \"none\"\ntimeout = \"10s\"\npoll_interval",
        stack.smtp_port()
    );
    assert!(text.contains(&smtp), "{text}");
    let relayed = format!(
        "port = {}\nsecurity = \"none\"\ntimeout = \"2s\"\npoll_interval",
        relay.port()
    );
    std::fs::write(&posko.config, text.replace(&smtp, &relayed)).unwrap();

    relay.plan(&[Stall::AfterGreeting]);
    posko.start_daemon();
    posko.wait_http("/readyz", 200, WAIT).await;
    let raw = mail::plain(
        "alice@corp.test",
        "Email tidak bisa kirim",
        "stall.1@corp.test",
        "",
        "Outbox penuh.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;

    // The acknowledgment meets the silent server; the service desk's
    // notice, queued with it, still goes out.
    stack.wait_for_mail("siti", 1, WAIT).await;
    let text = wait_metrics(&posko, |t| {
        metric(t, r#"posko_send_failures_total{class="temporary"}"#) == 1
            && metric(t, "posko_outbox_failing") == 1
    })
    .await;
    assert_eq!(metric(&text, "posko_outbox_depth"), 1, "{text}");
    assert_eq!(relay.stalled(), vec![Stall::AfterGreeting]);
    let unsent = posko.outbox_unsent();
    assert_eq!(unsent.len(), 1, "{unsent:#?}");
    assert_eq!(unsent[0]["status"], "queued", "retried, not given up");
    let error = unsent[0]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("did not finish the exchange within 2 s"),
        "{error}"
    );
    let (status, why) = posko.http_get("/readyz").await;
    assert_eq!(status, 503, "{why}");
    assert!(why.starts_with("outbox: 1 mail failing for "), "{why}");

    // Its retry (brought forward: the backoff is a minute) meets a server
    // that goes silent before answering the final dot: nothing delivered.
    relay.plan(&[Stall::AtFinalDot]);
    posko
        .sql("UPDATE outbox SET due_at = 0 WHERE status = 'queued'")
        .await;
    wait_metrics(&posko, |t| {
        metric(t, r#"posko_send_failures_total{class="temporary"}"#) == 2
    })
    .await;
    assert_eq!(
        relay.stalled(),
        vec![Stall::AfterGreeting, Stall::AtFinalDot]
    );
    assert!(stack.inbox("alice").await.is_empty());

    // The next retry finds the server answering: one acknowledgment.
    posko
        .sql("UPDATE outbox SET due_at = 0 WHERE status = 'queued'")
        .await;
    let acks = stack.wait_for_mail("alice", 1, WAIT).await;
    assert_eq!(acks.len(), 1);
    posko.wait_http("/readyz", 200, WAIT).await;
    let text = wait_metrics(&posko, |t| metric(t, "posko_outbox_depth") == 0).await;
    assert!(metric(&text, "posko_mail_sent_total") >= 2, "{text}");
    assert!(posko.outbox_unsent().is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.inbox("alice").await.len(), 1, "sent once");
    assert!(posko.stop_daemon());
}
