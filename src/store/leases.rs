//! Queries of the `leases` table: named work that one instance at a time
//! does (reading an IMAP mailbox), for several daemons on one database.
//!
//! A lease is taken or renewed by one conditional upsert, so two instances
//! racing for it cannot both win: the row is written only when it is new,
//! already ours, or expired. Times are the instances' clocks (seconds);
//! instances on several machines need them in step (NTP) to within a small
//! part of the lease.

use anyhow::Result;

use super::Conn;

/// Takes the lease `name` for `holder` until `until`, or renews it when
/// `holder` has it already. `false` when another holder's lease has not
/// run out at `now`.
pub async fn take(c: &mut Conn, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at, taken_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
         expires_at = excluded.expires_at, \
         taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END \
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the lease over from `old`, whatever its expiry: for a holder
/// known to be dead (a crashed process on this machine). `false` when
/// `old` no longer holds it.
pub async fn take_from(
    c: &mut Conn,
    name: &str,
    old: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE leases SET holder = $3, expires_at = $4, taken_at = $5 WHERE name = $1 AND holder = $2",
    )
    .bind(name)
    .bind(old)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up (on shutdown), so another instance need not wait for
/// it to run out. Nothing happens when `holder` no longer has it.
pub async fn release(c: &mut Conn, name: &str, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// One lease as the table has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub name: String,
    pub holder: String,
    /// When this holder took it (renewals keep it).
    pub taken_at: i64,
    pub expires_at: i64,
}

/// Who holds `name`, since and until when.
pub async fn holder(c: &mut Conn, name: &str) -> Result<Option<Held>> {
    let row: Option<Row> =
        sqlx::query_as("SELECT name, holder, taken_at, expires_at FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *c)
            .await?;
    Ok(row.map(Held::from))
}

/// Every lease in the table, by name (for `posko check`).
pub async fn all(c: &mut Conn) -> Result<Vec<Held>> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT name, holder, taken_at, expires_at FROM leases ORDER BY name")
            .fetch_all(&mut *c)
            .await?;
    Ok(rows.into_iter().map(Held::from).collect())
}

type Row = (String, String, i64, i64);

impl From<Row> for Held {
    fn from((name, holder, taken_at, expires_at): Row) -> Held {
        Held {
            name,
            holder,
            taken_at,
            expires_at,
        }
    }
}
