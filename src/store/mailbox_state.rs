//! Queries of the `mailbox_state` table: where each IMAP source stopped.

use anyhow::Result;
use sqlx::Row;

use super::Conn;

/// `(uidvalidity, last_uid)` of a source, if it was ever read.
pub async fn get(c: &mut Conn, source: &str) -> Result<Option<(u32, u32)>> {
    let row = sqlx::query("SELECT uidvalidity, last_uid FROM mailbox_state WHERE source = $1")
        .bind(source)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| {
        let v: i64 = r.try_get("uidvalidity")?;
        let u: i64 = r.try_get("last_uid")?;
        Ok((v as u32, u as u32))
    })
    .transpose()
}

/// Records that everything up to `last_uid` under `uidvalidity` is taken in.
/// Never moves back under the same UIDVALIDITY: an instance that lost its
/// lease while finishing a chunk must not undo the newer holder's progress
/// (reading again would be harmless, by the dedupe key, but slow).
pub async fn set(
    c: &mut Conn,
    source: &str,
    uidvalidity: u32,
    last_uid: u32,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mailbox_state (source, uidvalidity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source) DO UPDATE SET uidvalidity = excluded.uidvalidity, \
         last_uid = excluded.last_uid, updated_at = excluded.updated_at \
         WHERE mailbox_state.uidvalidity <> excluded.uidvalidity \
         OR mailbox_state.last_uid < excluded.last_uid",
    )
    .bind(source)
    .bind(uidvalidity as i64)
    .bind(last_uid as i64)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}
