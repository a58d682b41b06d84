//! Queries of the `watchers` table (people added with `#cc:`).

use anyhow::Result;

use super::Conn;
use crate::domain::TicketId;

/// Adds `address` as a watcher of the ticket; false when it already was one.
pub async fn add(
    c: &mut Conn,
    ticket_id: TicketId,
    address: &str,
    added_by: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO watchers (ticket_id, address, added_by, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (ticket_id, address) DO NOTHING",
    )
    .bind(ticket_id)
    .bind(address)
    .bind(added_by)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The watchers of a ticket, in the order they were added.
pub async fn list(c: &mut Conn, ticket_id: TicketId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT address FROM watchers WHERE ticket_id = $1 ORDER BY added_at, address",
    )
    .bind(ticket_id)
    .fetch_all(&mut *c)
    .await?)
}
