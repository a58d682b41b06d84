//! A ticket read with the desk's latest mails on it: what a reply to it
//! needs, in one round trip instead of two (a reply inside an intake
//! batch, issue 14 story 4).

use anyhow::Result;
use sqlx::Row;

use super::Conn;
use super::tickets::{COLUMNS, Ticket, from_row};
use crate::domain::TicketId;

/// [`super::tickets::get`], and in the same round trip the text of the desk's latest
/// `limit` mails to the requester on the ticket, newest first, each cut to
/// `max_chars` characters ([`super::messages::recent_sent_texts`]): what a
/// reply to it is compared with. One row per mail, the ticket's columns
/// repeated (one row with none when there is no mail).
pub async fn get_with_sent(
    c: &mut Conn,
    id: TicketId,
    limit: i64,
    max_chars: i64,
) -> Result<Option<(Ticket, Vec<String>)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, s.sent_text FROM tickets LEFT JOIN \
         (SELECT id AS sent_id, SUBSTR(body_text, 1, CAST($2 AS INTEGER)) AS sent_text FROM messages \
          WHERE ticket_id = $1 AND direction = 'out' AND visibility = 'public' \
          ORDER BY id DESC LIMIT $3) AS s ON 1 = 1 \
         WHERE tickets.id = $1 ORDER BY s.sent_id DESC"
    )))
    .bind(id)
    .bind(max_chars)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut sent = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(text) = r.try_get::<Option<String>, _>("sent_text")? {
            sent.push(text);
        }
    }
    Ok(Some((from_row(first)?, sent)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Direction, Visibility};
    use crate::store::tickets::NewTicket;
    use crate::store::{Db, messages, tickets};

    /// The ticket and, newest first, the text of the desk's public mails on
    /// it: what the two reads it replaces return.
    async fn reads_what_the_two_reads_read(db: &Db) {
        let mut c = db.pool().acquire().await.unwrap();
        let ticket = |subject| NewTicket {
            subject,
            requester: "alice@corp.test",
            requester_name: None,
            auto_kind: None,
            linked_ticket_id: None,
            class: None,
            language: None,
            now: 1000,
        };
        let id = tickets::insert(&mut c, &ticket("Printer")).await.unwrap();
        let bare = tickets::insert(&mut c, &ticket("Scanner")).await.unwrap();
        let mails = [
            (id, Direction::Out, Visibility::Public, "one"),
            (id, Direction::In, Visibility::Public, "asked"),
            (id, Direction::Out, Visibility::Public, "two"),
            (id, Direction::Out, Visibility::Internal, "note"),
            (id, Direction::Out, Visibility::Public, "three"),
            (id, Direction::Out, Visibility::Public, "four"),
        ];
        for (i, (ticket_id, direction, visibility, body)) in mails.into_iter().enumerate() {
            let mid = format!("<m{i}@corp.test>");
            messages::insert(
                &mut c,
                &messages::NewMessage {
                    ticket_id,
                    raw_id: None,
                    outbox_id: None,
                    direction,
                    visibility,
                    kind: "reply",
                    message_id: &mid,
                    in_reply_to: None,
                    refs: None,
                    from_addr: "desk@corp.test",
                    from_name: None,
                    to_addrs: &[],
                    cc_addrs: &[],
                    subject: "Printer",
                    body_text: body,
                    body_html: None,
                    quoted_text: None,
                    author: "system",
                    auto_kind: None,
                    created_at: 1000 + i as i64,
                },
            )
            .await
            .unwrap();
        }
        let (t, sent) = get_with_sent(&mut c, id, 3, 3).await.unwrap().unwrap();
        assert_eq!((t.id, t.subject.as_str()), (id, "Printer"));
        assert_eq!(sent, ["fou", "thr", "two"]);
        let read = messages::recent_sent_texts(&mut c, id, 3, 3).await.unwrap();
        assert_eq!(sent, read);
        let (t, sent) = get_with_sent(&mut c, bare, 3, 3).await.unwrap().unwrap();
        assert_eq!((t.id, sent.len()), (bare, 0));
        assert!(
            get_with_sent(&mut c, bare + 1, 3, 3)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn reads_what_the_two_reads_read_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        reads_what_the_two_reads_read(&db).await;
    }

    #[tokio::test]
    async fn reads_what_the_two_reads_read_on_postgres() {
        let admin = std::env::var("POSKO_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let name = format!("posko_u_{:016x}", rand::random::<u64>());
        let server = Db::connect(&admin)
            .await
            .expect("PostgreSQL at POSKO_TEST_PG");
        let sql = |s: String| sqlx::raw_sql(sqlx::AssertSqlSafe(s));
        sql(format!("CREATE DATABASE {name}"))
            .execute(server.pool())
            .await
            .unwrap();
        let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
        db.migrate().await.unwrap();
        reads_what_the_two_reads_read(&db).await;
        db.pool().close().await;
        sql(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(server.pool())
            .await
            .unwrap();
    }
}
