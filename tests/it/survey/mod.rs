//! Issue 11 through the real binary: the resolution mail with its links,
//! the survey, confirm and reopen pages on the daemon's listener, the
//! reminder and the auto-close, on SQLite and PostgreSQL; the hostile
//! cases in [`hostile`] and [`forged`], the headless browser in [`browser`], what the
//! first round left open in [`gaps`], answers written together in
//! [`group`], claimed in one statement in [`batch`], on PostgreSQL
//! claimed and written in one statement by two writers at once in
//! [`alone`], claimed by token with no lookup before in [`by_token`].

mod alone;
mod batch;
mod browser;
mod by_token;
mod forged;
mod gaps;
mod group;
mod hostile;
mod hot;
mod stories;

use std::time::Duration;

use serde_json::Value;

use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, wall_now};
use crate::staff::{alice_reports, staff_mail};

pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A desk with the shipped catalogue, and `extra` sections.
pub(crate) async fn desk_with(backend: Backend, stack: &MailStack, extra: &str) -> Posko {
    Posko::with(
        backend,
        stack,
        Options {
            catalogue: true,
            extra: extra.to_string(),
            ..Options::default()
        },
    )
    .await
}

/// Ticket `id` written straight into the database as alice's, resolved
/// at `now` (tests that seed surveys without mail).
pub(crate) async fn seed_resolved(posko: &Posko, id: i64, now: i64) {
    posko
        .sql(&format!(
            "INSERT INTO tickets (id, subject, status, requester, created_at, updated_at, resolved_at) \
             VALUES ({id}, 'Printer {id}', 'resolved', 'alice@corp.test', {now}, {now}, {now})"
        ))
        .await;
}

/// What a test keeps of a resolved ticket.
pub(crate) struct Resolved {
    pub id: i64,
    /// Budi's tokened reply address for the ticket.
    pub budi_to: String,
    pub subject: String,
    /// The resolution mail as it arrived in Alice's inbox.
    pub mail: Vec<u8>,
    pub links: Links,
}

/// The links of a resolution (or reminder) mail, as paths on the
/// listener.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    pub confirm: String,
    pub reopen: String,
    pub survey: String,
    /// `?r=1` … `?r=5`.
    pub ratings: Vec<String>,
}

impl Links {
    pub fn all(&self) -> Vec<String> {
        let mut v = vec![
            self.confirm.clone(),
            self.reopen.clone(),
            self.survey.clone(),
        ];
        v.extend(self.ratings.iter().cloned());
        v
    }
}

/// Every link under `public` in `text`, in order.
pub(crate) fn urls(text: &str, public: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .filter(|w| w.starts_with(public))
        .map(|w| w.replace("&amp;", "&"))
        .collect()
}

/// The links of `raw` (its text part), as paths.
pub(crate) fn links_of(posko: &Posko, raw: &[u8]) -> Links {
    let public = format!("http://127.0.0.1:{}", posko.web_port);
    let text = mail::body_text(raw);
    let paths: Vec<String> = urls(&text, &public)
        .into_iter()
        .map(|u| u[public.len()..].to_string())
        .collect();
    let find = |suffix: &str| {
        paths
            .iter()
            .find(|p| p.ends_with(suffix))
            .cloned()
            .unwrap_or_else(|| panic!("no {suffix} link in\n{text}"))
    };
    let ratings: Vec<String> = paths
        .iter()
        .filter(|p| p.contains("?r="))
        .cloned()
        .collect();
    assert_eq!(ratings.len(), 5, "{text}");
    let survey = paths
        .iter()
        .find(|p| !p.contains('?') && !p.ends_with("/confirm") && !p.ends_with("/reopen"))
        .cloned()
        .expect("the survey link");
    Links {
        confirm: find("/confirm"),
        reopen: find("/reopen"),
        survey,
        ratings,
    }
}

/// Alice reports; Budi takes and resolves it with a note through his
/// notice's Reply-To; Alice's inbox then holds `alice_mails_before + 2`
/// mails, the last the resolution.
pub(crate) async fn resolve(stack: &MailStack, posko: &Posko, subject: &str, n: usize) -> Resolved {
    let id = alice_reports(stack, posko, subject, &format!("a{n}@corp.test")).await;
    let budi_to = posko.staff_address("budi", Some(id), wall_now()).await;
    resolve_again(stack, posko, id, &budi_to, subject, &format!("b{n}")).await
}

/// Budi resolves ticket `id` (again); returns the new resolution mail.
pub(crate) async fn resolve_again(
    stack: &MailStack,
    posko: &Posko,
    id: i64,
    budi_to: &str,
    subject: &str,
    mid: &str,
) -> Resolved {
    let before = stack.inbox("alice").await.len();
    staff_mail(
        stack,
        "Budi Santoso <budi@corp.test>",
        budi_to,
        &format!("Re: [Helpdesk #{id}] {subject} #assign:me #resolve"),
        &format!("{mid}@corp.test"),
        "",
        "Kabel uplink di gedung B sudah diganti.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(id);
    assert_eq!(t["status"], "resolved", "{t:#}");
    let mails = stack.wait_for_mail("alice", before + 1, WAIT).await;
    let mail = mails.last().unwrap().clone();
    let links = links_of(posko, &mail);
    Resolved {
        id,
        budi_to: budi_to.to_string(),
        subject: subject.to_string(),
        mail,
        links,
    }
}

/// An HTTP answer: status, head (lowercased names), body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Sends `request` to the daemon's listener and reads the whole answer.
pub(crate) async fn raw_http(port: u16, request: &[u8]) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    // A body the server refuses early may cut the write short.
    let _ = s.write_all(request).await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

pub(crate) async fn get(posko: &Posko, path: &str) -> Answer {
    raw_http(
        posko.web_port,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}

pub(crate) async fn post(posko: &Posko, path: &str, body: &str) -> Answer {
    raw_http(
        posko.web_port,
        format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
}

/// A full survey form: every default question rated `r`, `overall` as
/// given, and a comment.
pub(crate) fn form(r: u8, overall: u8, comment: &str) -> String {
    let mut parts: Vec<String> = posko::survey::DEFAULT_KEYS
        .iter()
        .map(|k| format!("{k}={}", if *k == "overall" { overall } else { r }))
        .collect();
    parts.push(format!("comment={}", url_encode(comment)));
    parts.join("&")
}

pub(crate) fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Starts the daemon and waits for its listener.
pub(crate) async fn serve(posko: &mut Posko) {
    posko.start_daemon();
    posko.wait_http("/healthz", 200, WAIT).await;
}

/// The ticket's events of `kind`.
pub(crate) fn events(t: &Value, kind: &str) -> usize {
    crate::staff::events(t, kind).len()
}

/// Waits until a mail in `user`'s inbox contains `needle`; returns its text.
pub(crate) async fn wait_for_text(
    stack: &MailStack,
    posko: &Posko,
    user: &str,
    needle: &str,
) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = stack
            .inbox(user)
            .await
            .iter()
            .map(|m| mail::body_text(m))
            .find(|b| b.contains(needle));
        if let Some(b) = found {
            return b;
        }
        if std::time::Instant::now() > deadline {
            panic!("no mail to {user} with {needle:?}\n{}", posko.daemon_log());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
