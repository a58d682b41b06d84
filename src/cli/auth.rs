//! `posko auth …`: the keys of the staff tokens ([`crate::staff_token`]),
//! and `auth login`, the OAuth 2.0 sign-in of a mailbox ([`crate::oauth`]).
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
        AuthCommand::Login { mailbox } => return login(cfg, mailbox).await,
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

/// The device-code flow, then the refresh token into the database.
async fn login(cfg: Config, mailbox: crate::oauth::Mailbox) -> Result<ExitCode> {
    let name = mailbox.key();
    let Some(o) = mailbox.settings(&cfg) else {
        eprintln!("posko: the {name} mailbox does not have auth = \"oauth2\"");
        return Ok(ExitCode::from(exit::CONFIG));
    };
    if o.grant != crate::config::Grant::RefreshToken {
        eprintln!(
            "posko: the {name} mailbox has grant = \"client_credentials\": it needs no sign-in \
             (`posko check` fetches a token)"
        );
        return Ok(ExitCode::from(exit::CONFIG));
    }
    // The database first: a sign-in whose token cannot be kept is wasted.
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let granted = crate::oauth::device::login(o, |p| {
        println!(
            "To sign in the {name} mailbox, open {} and enter the code {}",
            p.verification_uri, p.user_code
        );
        if let Some(link) = &p.verification_uri_complete {
            println!("(or open {link})");
        }
        println!(
            "waiting up to {} min for the sign-in…",
            p.expires_in.as_secs().div_ceil(60)
        );
    })
    .await?;
    let refresh = granted.refresh_token.ok_or_else(|| {
        anyhow::anyhow!(
            "the token endpoint gave no refresh token (Microsoft: add the scope offline_access)"
        )
    })?;
    let mut c = db.pool().acquire().await?;
    crate::store::oauth_tokens::put(&mut c, name, &refresh, Clock::Wall.now()).await?;
    println!("signed in: the refresh token of the {name} mailbox is stored in the database");
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
