//! The mail stack itself works: SMTP (plain, STARTTLS, implicit TLS) → LMTP →
//! IMAP round trips keep every byte, and IMAPS trusts the test CA. If these
//! fail, every test built on the stack would fail for reasons of its own.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use crate::harness::mailstack::{DOMAIN, MailStack, PASSWORD, USERS, smtp_body};

const WAIT: Duration = Duration::from_secs(5);

/// A message with bytes a re-serialising relay would change: 8-bit UTF-8,
/// a folded header, a long line, trailing whitespace, a leading dot.
fn raw_message(subject: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@corp.test>\r\n\
         To: Alice <alice@corp.test>\r\n\
         Subject: {subject}\r\n\
         Message-ID: <{subject}@corp.test>\r\n\
         Date: Mon, 1 Jun 2026 09:00:00 +0700\r\n\
         X-Folded: first part\r\n\tsecond part\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Printer di lantai 3 rusak — tolong dicek.  \r\n\
         .a line that starts with a dot\r\n\
         {}\r\n",
        "x".repeat(900)
    )
    .into_bytes()
}

fn envelope() -> Envelope {
    Envelope::new(
        Some("bob@corp.test".parse().unwrap()),
        vec!["alice@corp.test".parse().unwrap()],
    )
    .unwrap()
}

fn tls_parameters(stack: &MailStack) -> TlsParameters {
    let pem = std::fs::read(stack.ca_pem_path()).unwrap();
    TlsParameters::builder("localhost".to_owned())
        .add_root_certificate(Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap()
}

async fn assert_arrives_unchanged(stack: &MailStack, raw: &[u8], subject: &str) {
    let inbox = stack.wait_for_mail("alice", 1, WAIT).await;
    assert_eq!(inbox.len(), 1, "exactly one message for alice");
    let got = String::from_utf8_lossy(&inbox[0]);
    assert!(
        got.contains(&format!("Subject: {subject}")),
        "subject missing:\n{got}"
    );
    assert!(got.contains("rusak — tolong"), "body missing:\n{got}");
    // Dovecot prepends Return-Path and Delivered-To; everything after is ours.
    let tail = &inbox[0][inbox[0].len().saturating_sub(raw.len())..];
    if tail != raw {
        let at = tail.iter().zip(raw).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "message changed on the way, first at byte {at} of {}:\n sent {:?}\n  got {:?}",
            raw.len(),
            String::from_utf8_lossy(&raw[at.saturating_sub(20)..(at + 20).min(raw.len())]),
            String::from_utf8_lossy(&tail[at.saturating_sub(20)..(at + 20).min(tail.len())]),
        );
    }
    assert!(stack.inbox("bob").await.is_empty(), "bob got nothing");
}

#[tokio::test]
async fn plain_smtp_round_trip() {
    let stack = MailStack::start().await;
    let raw = raw_message("plain");
    stack
        .deliver("bob@corp.test", &["alice@corp.test"], &raw)
        .await;
    assert_arrives_unchanged(&stack, &raw, "plain").await;
}

#[tokio::test]
async fn starttls_smtp_round_trip() {
    let stack = MailStack::start().await;
    let raw = raw_message("starttls");
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stack.smtp_starttls_port())
        .tls(Tls::Required(tls_parameters(&stack)))
        .timeout(Some(WAIT))
        .build();
    smtp.send_raw(&envelope(), smtp_body(&raw))
        .await
        .expect("send over STARTTLS");
    assert_arrives_unchanged(&stack, &raw, "starttls").await;
}

#[tokio::test]
async fn implicit_tls_smtp_round_trip() {
    let stack = MailStack::start().await;
    let raw = raw_message("implicit");
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stack.smtps_port())
        .tls(Tls::Wrapper(tls_parameters(&stack)))
        .timeout(Some(WAIT))
        .build();
    smtp.send_raw(&envelope(), smtp_body(&raw))
        .await
        .expect("send over implicit TLS");
    assert_arrives_unchanged(&stack, &raw, "implicit").await;
}

#[tokio::test]
async fn imaps_login_trusts_test_ca() {
    let stack = MailStack::start().await;
    let raw = raw_message("imaps");
    stack.append("alice", "INBOX", &raw).await;

    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", stack.imaps_port()))
        .await
        .unwrap();
    let tls = TlsConnector::from(stack.tls_client_config())
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake with Dovecot, trusting the test CA");
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().expect("greeting");
    let mut session = client
        .login("alice", PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let mailbox = session.select("INBOX").await.unwrap();
    assert_eq!(mailbox.exists, 1);
    session.logout().await.unwrap();
}

#[tokio::test]
async fn flags_refusals_and_dovecot_restart() {
    let stack = MailStack::builder()
        .fail_rcpt("siti@corp.test", 451)
        .start()
        .await;

    // Injected failures: fixed from the builder, and changed while running.
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stack.smtp_port())
        .timeout(Some(WAIT))
        .build();
    let to = |addr: &str| {
        Envelope::new(
            Some("bob@corp.test".parse().unwrap()),
            vec![addr.parse().unwrap()],
        )
        .unwrap()
    };
    let err = smtp
        .send_raw(&to("siti@corp.test"), b"Subject: x\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(err.is_transient(), "451 is transient: {err}");
    stack.set_fail_rcpt("budi@corp.test", Some(550));
    let err = smtp
        .send_raw(&to("budi@corp.test"), b"Subject: x\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "550 is permanent: {err}");
    stack.set_fail_rcpt("budi@corp.test", None);
    stack
        .deliver(
            "bob@corp.test",
            &["budi@corp.test"],
            b"Subject: ok\r\n\r\nok\r\n",
        )
        .await;
    // Unknown users are refused by Dovecot's LMTP, mapped to 550.
    let err = smtp
        .send_raw(&to("nobody@corp.test"), b"Subject: x\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "unknown user is permanent: {err}");

    // Flags and other mailboxes.
    stack
        .append("helpdesk", "Archive", b"Subject: a\r\n\r\na\r\n")
        .await;
    let flags = stack.mailbox_flags("helpdesk", "Archive").await;
    assert_eq!(flags, vec![(1, vec![])]);

    // A crashed server drops out, and comes back with the mail it had.
    stack.kill_dovecot();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", stack.imap_port()))
            .await
            .is_err()
    );
    stack.restart_dovecot().await;
    assert_eq!(stack.wait_for_mail("budi", 1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn smtp_auth_is_required_when_configured() {
    let stack = MailStack::builder()
        .smtp_auth("helpdesk", PASSWORD)
        .start()
        .await;
    let anonymous = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(stack.smtp_port())
        .timeout(Some(WAIT))
        .build();
    let err = anonymous
        .send_raw(&envelope(), b"Subject: x\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "530 without AUTH: {err}");

    // `deliver` authenticates; every user has a mailbox at the test domain.
    let to: Vec<String> = USERS.iter().map(|u| format!("{u}@{DOMAIN}")).collect();
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    stack
        .deliver("bob@corp.test", &to, &raw_message("auth"))
        .await;
    for user in USERS {
        assert_eq!(stack.wait_for_mail(user, 1, WAIT).await.len(), 1, "{user}");
    }
}
