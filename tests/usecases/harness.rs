//! A desk in a temporary directory: SQLite, the file transport, a clock the
//! test moves, and helpers to deliver a mail and read what it did.

use posko::app::App;
use posko::ingest::{Incoming, Outcome};
use posko::store::tickets::Ticket;
use tempfile::TempDir;

/// 2026-11-23 09:00 in Jakarta, a Monday: business hours.
pub const MONDAY_9AM: i64 = 1_795_399_200;

pub struct Desk {
    /// Removed with the desk.
    _dir: TempDir,
    pub app: App,
    pub now: i64,
}

impl Desk {
    pub async fn new() -> Desk {
        Desk::with("").await
    }

    /// A desk with `extra` appended to its configuration.
    pub async fn with(extra: &str) -> Desk {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let text = format!(
            r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
tag = "Helpdesk"
language = "id"
timezone = "Asia/Jakarta"

[database]
url = "sqlite://{d}/posko.db"

[inbound]
kind = "maildir"
path = "{d}/mail"

[outbound]
kind = "file"
path = "{d}/outbox"

[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1

[[staff]]
name = "Budi Santoso"
email = "budi@corp.test"
handle = "budi"
level = 2

[[staff]]
name = "Hendra Gunawan"
email = "manager@corp.test"
handle = "hendra"
level = 2
role = "manager"
{extra}
"#
        );
        let cfg = posko::config::parse(&text, &dir.path().join("posko.toml")).expect("config");
        let app = App::build(cfg).await.expect("app");
        Desk {
            _dir: dir,
            app,
            now: MONDAY_9AM,
        }
    }

    /// Takes `raw` in now, addressed (envelope) to `rcpt` when given.
    pub async fn deliver_to(&self, raw: &[u8], rcpt: Option<&str>) -> Outcome {
        let mut item = Incoming::new(raw.to_vec(), "test");
        item.recipients = rcpt.into_iter().map(str::to_string).collect();
        self.app
            .ingestor
            .ingest(&item, self.now)
            .await
            .expect("ingest")
    }

    pub async fn deliver(&self, raw: &[u8]) -> Outcome {
        self.deliver_to(raw, None).await
    }

    /// Takes `mails` in as one batch (the sources' entry point); each
    /// outcome, in order.
    pub async fn deliver_batch(&self, mails: Vec<Vec<u8>>) -> Vec<Outcome> {
        let items = mails
            .into_iter()
            .map(|raw| Incoming::new(raw, "test"))
            .collect();
        self.app
            .ingestor
            .ingest_batch(items, self.now)
            .await
            .into_iter()
            .map(|r| r.expect("ingest"))
            .collect()
    }

    /// Moves the clock on.
    pub fn later(&mut self, secs: i64) {
        self.now += secs;
    }

    pub async fn ticket(&self, id: i64) -> Ticket {
        let mut c = self.app.db.pool().acquire().await.unwrap();
        posko::store::tickets::get(&mut c, id)
            .await
            .unwrap()
            .expect("ticket")
    }

    /// The kinds of the ticket's events, in the order they were written.
    pub async fn timeline(&self, id: i64) -> Vec<String> {
        let mut c = self.app.db.pool().acquire().await.unwrap();
        posko::store::events::list_for_ticket(&mut c, id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// The kinds of the ticket's outgoing mail, from its message rows, with
    /// whether the outbox row each is linked to holds an HTML part.
    pub async fn outgoing(&self, id: i64) -> Vec<(String, bool)> {
        let rows: Vec<(String, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT m.kind, o.raw FROM messages m LEFT JOIN outbox_raw o ON o.outbox_id = m.outbox_id \
             WHERE m.ticket_id = $1 AND m.direction = 'out' ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.app.db.pool())
        .await
        .unwrap();
        rows.into_iter()
            .map(|(k, raw)| {
                let html = raw.is_some_and(|r| String::from_utf8_lossy(&r).contains("text/html"));
                (k, html)
            })
            .collect()
    }

    /// The reply address the desk gives `handle` about `ticket` (none: the
    /// personal address), issued now.
    pub async fn staff_address(&self, handle: &str, ticket: Option<i64>) -> String {
        let mut c = self.app.db.pool().acquire().await.unwrap();
        let keys = posko::store::staff_keys::load(&mut c).await.unwrap();
        let ring = posko::staff_token::KeyRing::new(keys).expect("a signing key");
        let token = posko::staff_token::issue(&ring, handle, ticket, self.now);
        format!("helpdesk+{token}@corp.test")
    }
}

/// A plain message; `extra` header lines end in CRLF.
pub fn mail(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: IT Helpdesk <helpdesk@corp.test>\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\n\
         MIME-Version: 1.0\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The ticket number of an outcome that opened one.
pub fn opened(o: Outcome) -> i64 {
    match o {
        Outcome::NewTicket(id) => id,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}
