//! `posko auth …`: the keys of the staff tokens ([`crate::staff_token`]).
//!
//! `rotate-key` replaces the key kept in the database without breaking
//! replies to recent mail: the new key signs from now on, the old one still
//! verifies what it signed until that expires (`auth.token_lifetime`), and
//! keys past that are deleted. With `auth.secret_env` the keys are the
//! admin's (a comma-separated list, the current one first) and posko only
//! shows them.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::app::Clock;
use crate::cli::{AuthCommand, exit};
use crate::config::Config;
use crate::staff_token::{Key, KeyRing};
use crate::store::{Db, staff_keys};

pub async fn run(cfg: Config, command: AuthCommand) -> Result<ExitCode> {
    let lifetime = cfg.auth.token_lifetime.as_secs() as i64;
    match command {
        AuthCommand::RotateKey { revoke_old, now } => {
            if let Some(var) = &cfg.auth.secret_env {
                eprintln!(
                    "posko: the keys come from the environment variable {var} (auth.secret_env): \
                     put a new key first, the current one after a comma ({var}=NEW,CURRENT), \
                     restart posko, and remove the old key after auth.token_lifetime"
                );
                return Ok(ExitCode::from(exit::CONFIG));
            }
            let now = now.unwrap_or_else(|| Clock::Wall.now());
            let db = Db::open(&cfg).await?;
            db.migrate().await?;
            let mut tx = db.begin().await?;
            let r = staff_keys::rotate(&mut tx, now, lifetime, revoke_old).await?;
            tx.commit().await.context("cannot commit")?;
            println!("key {} signs from now on", r.new.id);
            for k in &r.kept {
                println!(
                    "key {} verifies the tokens it signed until {}",
                    k.id,
                    time(k.verifies_until(lifetime).unwrap_or_default())
                );
            }
            println!(
                "{} older key(s) dropped{}",
                r.dropped,
                if revoke_old {
                    ": replies to earlier mail need a fresh notice"
                } else {
                    ""
                }
            );
            println!("running instances take the new key within a minute");
        }
        AuthCommand::Keys { now } => {
            let now = now.unwrap_or_else(|| Clock::Wall.now());
            let (ring, whence) = match &cfg.auth.secret_env {
                Some(var) => {
                    let value = std::env::var(var).unwrap_or_default();
                    (
                        KeyRing::from_env(&value).map_err(|e| anyhow::anyhow!("{var}: {e}"))?,
                        format!("environment variable {var}"),
                    )
                }
                None => {
                    let db = Db::open(&cfg).await?;
                    db.migrate().await?;
                    let mut c = db.pool().acquire().await?;
                    let ring = KeyRing::new(staff_keys::load(&mut c).await?)
                        .map_err(anyhow::Error::msg)?;
                    (ring, "database".to_string())
                }
            };
            println!(
                "keys of the staff tokens ({whence}; tokens live {}):",
                crate::staff_auth::span(lifetime)
            );
            for (i, k) in ring.keys().iter().enumerate() {
                println!("  {}", describe(k, i == 0, lifetime, now));
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}

fn describe(k: &Key, signing: bool, lifetime: i64, now: i64) -> String {
    let made = if k.created_at > 0 {
        format!(", made {}", time(k.created_at))
    } else {
        String::new()
    };
    match k.verifies_until(lifetime) {
        _ if signing => format!("{}  signs{made}", k.id),
        Some(t) if t <= now => format!("{}  dropped (expired {})", k.id, time(t)),
        Some(t) => format!("{}  verifies until {}{made}", k.id, time(t)),
        None => format!("{}  verifies (until removed from the list)", k.id),
    }
}

fn time(t: i64) -> String {
    crate::sla::notice::rfc3339(t)
}
