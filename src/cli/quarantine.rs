//! `posko quarantine list/show/retry`: messages that could not become tickets.

use super::run::describe;
use super::*;

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Held messages (--all includes retried ones).
    List {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        all: bool,
    },
    /// Write a held message's raw bytes to standard output.
    Show { id: i64 },
    /// Take a held message in again (after fixing the cause).
    Retry {
        ids: Vec<i64>,
        /// Every held message.
        #[arg(long)]
        all: bool,
    },
}

pub(super) async fn cmd_quarantine(cfg: Config, command: QuarantineCommand) -> Result<ExitCode> {
    match command {
        QuarantineCommand::List { json, all } => {
            let db = Db::open(&cfg).await?;
            db.migrate().await?;
            let mut c = db.pool().acquire().await?;
            let held = store::quarantine::list(&mut c, all).await?;
            if json {
                let rows: Vec<_> = held
                    .iter()
                    .map(|h| {
                        serde_json::json!({
                            "id": h.id, "source": h.source, "reason": h.reason, "size": h.size,
                            "truncated": h.truncated, "status": h.status,
                            "received_at": chrono::DateTime::from_timestamp(h.received_at, 0).map(|d| d.to_rfc3339()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if held.is_empty() {
                println!("quarantine is empty");
            } else {
                for h in held {
                    println!(
                        "#{:<5} {:<8} {:>9} bytes  {}  {}",
                        h.id, h.status, h.size, h.source, h.reason
                    );
                }
            }
        }
        QuarantineCommand::Show { id } => {
            let db = Db::open(&cfg).await?;
            let mut c = db.pool().acquire().await?;
            let (raw, _) = store::quarantine::raw(&mut c, id)
                .await?
                .with_context(|| format!("no quarantined message #{id}"))?;
            use std::io::Write;
            std::io::stdout().write_all(&raw)?;
        }
        QuarantineCommand::Retry { ids, all } => {
            let app = App::build(cfg).await?;
            let ids = if all {
                let mut c = app.db.pool().acquire().await?;
                store::quarantine::list(&mut c, false)
                    .await?
                    .into_iter()
                    .map(|h| h.id)
                    .collect()
            } else {
                ids
            };
            anyhow::ensure!(!ids.is_empty(), "name the messages to retry, or --all");
            let now = Clock::Wall.now();
            for id in ids {
                let mut c = app.db.pool().acquire().await?;
                let (raw, truncated) = store::quarantine::raw(&mut c, id)
                    .await?
                    .with_context(|| format!("no quarantined message #{id}"))?;
                drop(c);
                if truncated {
                    println!(
                        "#{id}: only its headers were kept (it was too large, or its bytes were consumed when it failed); fetch it from the mailbox again"
                    );
                    continue;
                }
                let outcome = app
                    .ingestor
                    .ingest(&Incoming::new(raw, format!("quarantine:{id}")), now)
                    .await?;
                let still_held = matches!(outcome, Outcome::Quarantined { .. });
                if !still_held {
                    let mut c = app.db.pool().acquire().await?;
                    store::quarantine::set_status(&mut c, id, "retried", now).await?;
                }
                println!("#{id}: {}", describe(&outcome));
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}
