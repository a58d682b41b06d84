//! Queries of `staff_keys`: the keys of the staff tokens
//! ([`crate::staff_token`]) when the database keeps them (no
//! `auth.secret_env`).

use anyhow::{Context, Result};
use sqlx::Row;

use super::Conn;
use crate::staff_token::Key;

/// Every key, current and retired (the caller ignores dropped ones).
pub async fn load(c: &mut Conn) -> Result<Vec<Key>> {
    let rows = sqlx::query("SELECT secret, created_at, retired_at FROM staff_keys")
        .fetch_all(&mut *c)
        .await
        .context("cannot read the keys of the staff tokens (table staff_keys)")?;
    rows.iter()
        .map(|r| {
            let secret: String = r.try_get("secret")?;
            Ok(Key::new(
                secret.into_bytes(),
                r.try_get("created_at")?,
                r.try_get("retired_at")?,
            ))
        })
        .collect()
}

/// What [`rotate`] did.
#[derive(Debug)]
pub struct Rotation {
    /// The key that signs from now on.
    pub new: Key,
    /// The older keys that still verify (each until `verifies_until`).
    pub kept: Vec<Key>,
    /// How many keys were deleted (past their last valid token, or all of
    /// them with `revoke`).
    pub dropped: u64,
}

/// A new key signs from `now` on; the current one is retired and still
/// verifies what it signed until that expires (`lifetime` seconds); keys
/// retired longer than that are deleted. `revoke` deletes every older key at
/// once (after a leak): replies to earlier mail then need a fresh notice.
pub async fn rotate(c: &mut Conn, now: i64, lifetime: i64, revoke: bool) -> Result<Rotation> {
    let live: Vec<Key> = load(c)
        .await?
        .into_iter()
        .filter(|k| !k.dropped(lifetime, now))
        .collect();
    // A fresh id, so tokens name their key without ambiguity (the verifier
    // copes with a clash, but there is no need for one).
    let secret = (0..64)
        .map(|_| hex::encode(rand::random::<[u8; 32]>()))
        .find(|s| {
            let id = Key::new(s.as_bytes(), 0, None).id;
            live.iter().all(|k| k.id != id)
        })
        .context("could not make a key with an unused id")?;
    sqlx::query("UPDATE staff_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("INSERT INTO staff_keys (secret, created_at) VALUES ($1, $2)")
        .bind(&secret)
        .bind(now)
        .execute(&mut *c)
        .await?;
    let dropped = if revoke {
        sqlx::query("DELETE FROM staff_keys WHERE secret <> $1")
            .bind(&secret)
            .execute(&mut *c)
            .await?
    } else {
        sqlx::query("DELETE FROM staff_keys WHERE retired_at IS NOT NULL AND retired_at <= $1")
            .bind(now.saturating_sub(lifetime))
            .execute(&mut *c)
            .await?
    }
    .rows_affected();
    let mut kept: Vec<Key> = load(c)
        .await?
        .into_iter()
        .filter(|k| k.retired_at.is_some())
        .collect();
    kept.sort_by_key(|k| std::cmp::Reverse(k.retired_at));
    Ok(Rotation {
        new: Key::new(secret.into_bytes(), now, None),
        kept,
        dropped,
    })
}
