//! Queries of the `watchers` table (people added with `#cc:`) and of
//! `desk_secrets` (the key of the staff tokens).

use anyhow::{Context, Result};

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

/// A secret the migrations made (e.g. `staff_token`).
pub async fn secret(c: &mut Conn, name: &str) -> Result<String> {
    sqlx::query_scalar("SELECT value FROM desk_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *c)
        .await?
        .with_context(|| format!("the database holds no secret {name:?} (migrations not run?)"))
}
