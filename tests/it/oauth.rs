//! Issue 14, story 3: OAuth 2.0 mailboxes. Dovecot's `oauth2` passdb and
//! the SMTP sink ask a token introspection endpoint the test runs on
//! loopback ([`FakeOAuth`]), which is also the token endpoint posko asks:
//! tokens that run out in seconds, refused tokens, an endpoint that
//! answers 500 or nothing, and the device-code sign-in.

use std::time::{Duration, Instant};

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::{MailStack, PASSWORD};
use crate::harness::oauth::{CLIENT_SECRET, FakeOAuth, Mode, SECRET_ENV};
use crate::harness::posko::{Backend, Posko, http_request};

const WAIT: Duration = Duration::from_secs(40);

/// A stack whose Dovecot and SMTP sink take tokens `fake` issued.
async fn stack(fake: &FakeOAuth) -> MailStack {
    MailStack::builder()
        .oauth2(&fake.url("/introspect"))
        .smtp_auth("helpdesk", PASSWORD)
        .start()
        .await
}

/// posko reading and sending as helpdesk with OAuth 2.0: IMAP with
/// `imap_grant`, SMTP with client credentials.
async fn posko(backend: Backend, stack: &MailStack, fake: &FakeOAuth, imap_grant: &str) -> Posko {
    let io = format!(
        r#"
[inbound]
kind = "imap"
host = "127.0.0.1"
port = {imap}
security = "none"
username = "helpdesk"
auth = "oauth2"
idle = true
poll_interval = "1s"
timeout = "10s"

[inbound.oauth2]
{imap_oauth}

[outbound]
kind = "smtp"
host = "127.0.0.1"
port = {smtp}
security = "none"
username = "helpdesk"
auth = "oauth2"
timeout = "10s"
poll_interval = "1s"

[outbound.oauth2]
{smtp_oauth}
"#,
        imap = stack.imap_port(),
        smtp = stack.smtp_port(),
        imap_oauth = fake.config(imap_grant),
        smtp_oauth = fake.config("client_credentials"),
    );
    let mut p = Posko::from_parts(backend, "", &io).await;
    p.env.push((SECRET_ENV.into(), CLIENT_SECRET.into()));
    p
}

async fn deliver(stack: &MailStack, n: u32) {
    let raw = mail::plain(
        "alice@corp.test",
        &format!("Laptop rusak {n}"),
        &format!("oauth.{n}@corp.test"),
        "",
        "Tidak bisa menyala.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
}

/// Tokens that live 3 s: mail delivered before and after each runs out
/// all becomes tickets and acknowledgments (IMAP and SMTP logging in with
/// fresh tokens); a token the SMTP server stops accepting is replaced once;
/// `posko check` shows the expiry; no secret reaches the log.
async fn token_expiring_mid_run_loses_no_mail(backend: Backend) {
    let fake = FakeOAuth::start().await;
    let stack = stack(&fake).await;
    let mut posko = posko(backend, &stack, &fake, "client_credentials").await;
    let out = posko.cmd(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("logged in as helpdesk with OAuth2 (access token valid until"),
        "{text}"
    );
    assert!(
        text.contains("SMTP server answers; OAuth2 access token valid until"),
        "{text}"
    );

    fake.set_lifetime(3);
    deliver(&stack, 1).await;
    posko.start_daemon();
    posko.wait_for_tickets(1, WAIT).await;
    for n in 2..=3 {
        // Past the token's life: the session must have logged in again.
        tokio::time::sleep(Duration::from_secs(4)).await;
        deliver(&stack, n).await;
        posko.wait_for_tickets(n as usize, WAIT).await;
    }
    stack.wait_for_mail("alice", 3, WAIT).await;
    let issued = fake.issued().len();
    assert!(issued >= 4, "only {issued} tokens for 3 token lives");

    // The SMTP server stops taking the live token: one fresh token, and
    // the acknowledgment still leaves.
    fake.set_lifetime(3600);
    tokio::time::sleep(Duration::from_secs(4)).await;
    deliver(&stack, 4).await;
    stack.wait_for_mail("alice", 4, WAIT).await;
    let before = stack.smtp_log();
    assert!(
        !before.contains("AUTH XOAUTH2 user=helpdesk failed"),
        "{before}"
    );
    fake.revoke_all();
    deliver(&stack, 5).await;
    posko.wait_for_tickets(5, WAIT).await;
    wait_mail(&stack, &posko, 5).await;
    let log = stack.smtp_log();
    let after = &log[before.len()..];
    assert!(after.contains("AUTH XOAUTH2 user=helpdesk failed"), "{log}");
    assert!(after.contains("AUTH XOAUTH2 user=helpdesk ok"), "{log}");

    let tickets = posko.tickets();
    assert_eq!(tickets.len(), 5, "{tickets:?}");
    assert!(posko.stop_daemon());
    let daemon_log = posko.daemon_log();
    assert!(!daemon_log.contains(CLIENT_SECRET), "secret in the log");
    for token in fake.issued() {
        assert!(!daemon_log.contains(&token), "token {token} in the log");
    }
}
both!(token_expiring_mid_run_loses_no_mail);

/// Dovecot refuses the first token (cut short by the provider): one fresh
/// token and the login goes through. A server that keeps refusing costs
/// exactly two tokens per attempt, not a storm.
async fn refused_token_is_refreshed_once(backend: Backend) {
    let fake = FakeOAuth::start().await;
    let stack = stack(&fake).await;
    let posko = posko(backend, &stack, &fake, "client_credentials").await;
    deliver(&stack, 1).await;
    fake.reject_next(1);
    posko.run_once();
    assert_eq!(posko.tickets().len(), 1);
    assert_eq!(fake.issued().len(), 3, "IMAP two, SMTP one");

    // Refused whatever the token: the login fails after one refresh.
    let before = fake.issued().len();
    fake.reject_next(1000);
    deliver(&stack, 2).await;
    let err = refused_for_good(&posko, "XOAUTH2");
    assert_eq!(fake.issued().len() - before, 2, "{err}");
}
both!(refused_token_is_refreshed_once);

/// `run --once` against a server refusing every token fails, naming the
/// mechanism; returns its stderr.
fn refused_for_good(posko: &Posko, mechanism: &str) -> String {
    let out = posko.cmd(&["run", "--once"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "login as helpdesk refused ({mechanism} with a fresh token)"
        )),
        "{err}"
    );
    err
}

/// A Dovecot that offers OAUTHBEARER (RFC 7628) and not XOAUTH2: posko
/// logs in with it; a refused token (its error challenge acknowledged, as
/// RFC 7628 §3.2.3 asks) is replaced once and the mail becomes a ticket;
/// a server that keeps refusing is named with the mechanism.
async fn oauthbearer_when_the_server_offers_only_it(backend: Backend) {
    let fake = FakeOAuth::start().await;
    let stack = MailStack::builder()
        .oauth2(&fake.url("/introspect"))
        .oauthbearer_only()
        .smtp_auth("helpdesk", PASSWORD)
        .start()
        .await;
    let posko = posko(backend, &stack, &fake, "client_credentials").await;
    let out = posko.cmd(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("logged in as helpdesk with OAuth2"), "{text}");

    deliver(&stack, 1).await;
    fake.reject_next(1);
    posko.run_once();
    assert_eq!(posko.tickets().len(), 1);
    stack.wait_for_mail("alice", 1, WAIT).await;

    fake.reject_next(1000);
    deliver(&stack, 2).await;
    refused_for_good(&posko, "OAUTHBEARER");
    fake.reject_next(0);
    posko.run_once();
    assert_eq!(posko.tickets().len(), 2);
}
both!(oauthbearer_when_the_server_offers_only_it);

/// The token endpoint never answers, then answers 500, then recovers:
/// the daemon keeps running, `/readyz` says 503 naming the endpoint, then
/// 200; `posko check` prints the endpoint's error; the mail waiting meanwhile
/// becomes a ticket.
async fn token_endpoint_down_then_back(backend: Backend) {
    let fake = FakeOAuth::start().await;
    let stack = stack(&fake).await;
    let mut posko = posko(backend, &stack, &fake, "client_credentials").await;
    fake.set_mode(Mode::Fail);
    let out = posko.cmd(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("FAIL  inbound: OAuth2 token endpoint: the token endpoint answered HTTP 500"),
        "{text}"
    );

    fake.set_mode(Mode::Hang);
    deliver(&stack, 1).await;
    posko.start_daemon();
    let reason = wait_ready_body(&posko, 503, "IMAP: OAuth2 token endpoint failed").await;
    assert!(
        reason.contains("IMAP: OAuth2 token endpoint failed"),
        "{reason}"
    );
    fake.set_mode(Mode::Fail);
    wait_ready_body(&posko, 503, "times since").await;
    assert!(posko.daemon_running(), "{}", posko.daemon_log());
    assert!(posko.tickets().is_empty());

    fake.set_mode(Mode::Ok);
    posko
        .wait_http("/readyz", 200, Duration::from_secs(60))
        .await;
    posko.wait_for_tickets(1, WAIT).await;
    stack.wait_for_mail("alice", 1, WAIT).await;
    assert!(posko.stop_daemon());
    let log = posko.daemon_log();
    assert!(log.contains("did not answer within 2s"), "{log}");
}
both!(token_endpoint_down_then_back);

/// [`MailStack::wait_for_mail`] for alice, with the daemon's log when
/// the mail does not come.
async fn wait_mail(stack: &MailStack, posko: &Posko, n: usize) {
    let deadline = Instant::now() + WAIT;
    while stack.inbox("alice").await.len() < n {
        if Instant::now() > deadline {
            panic!(
                "{n} mails never reached alice\n{}\n{}",
                stack.smtp_log(),
                posko.daemon_log()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `/readyz` until it answers `status` with `needle` in the body.
async fn wait_ready_body(posko: &Posko, status: u16, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let request = b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    loop {
        // Connection refused until the daemon listens.
        let (s, body) = http_request(posko.web_port, request)
            .await
            .unwrap_or((0, String::new()));
        if s == status && body.contains(needle) {
            return body;
        }
        if Instant::now() > deadline {
            panic!(
                "/readyz never said {status} {needle:?}; last {s} {body}\n{}",
                posko.daemon_log()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `posko auth login --mailbox imap`: the device-code flow (two
/// authorization_pending answers, then a token), the refresh token stored,
/// and the next run reads the mailbox with it.
async fn device_code_login_then_refresh_grant(backend: Backend) {
    let fake = FakeOAuth::start().await;
    let stack = stack(&fake).await;
    let posko = posko(backend, &stack, &fake, "refresh_token").await;
    let out = posko.cmd(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("run `posko auth login --mailbox imap`"),
        "{text}"
    );

    let started = Instant::now();
    let out = posko.cmd(&["auth", "login", "--mailbox", "imap"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("open https://example.test/device and enter the code WDJB-MJHT"),
        "{text}"
    );
    assert!(text.contains("signed in"), "{text}");
    // Three polls, a second apart (the interval the endpoint asked for).
    assert!(started.elapsed() >= Duration::from_secs(3));
    let polls: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|f| f["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code")
        .collect();
    assert_eq!(polls.len(), 3);

    deliver(&stack, 1).await;
    posko.run_once();
    assert_eq!(posko.tickets().len(), 1);
    let refreshes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|f| f["grant_type"] == "refresh_token")
        .collect();
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    assert!(refreshes[0]["refresh_token"].starts_with("rt-"));

    // The SMTP mailbox has client credentials: nothing to sign in.
    let out = posko.cmd(&["auth", "login", "--mailbox", "smtp"]);
    assert_eq!(out.status.code(), Some(78));
}
both!(device_code_login_then_refresh_grant);
