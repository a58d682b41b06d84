//! `posko outbox list/retry`: outgoing mail and its failures.

use super::*;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Mail not yet sent: queued, being sent, or failed.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn cmd_outbox(cfg: Config, command: OutboxCommand) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    match command {
        OutboxCommand::List { json } => {
            let rows = store::outbox::list_unsent(&mut c, 1000).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("outbox is empty: everything was sent");
            } else {
                for r in rows {
                    println!(
                        "#{:<6} {:<8} {:<10} tries {:<2} to {}  {}{}",
                        r.id,
                        r.status,
                        r.kind,
                        r.attempts,
                        r.rcpts.join(", "),
                        r.subject,
                        r.last_error.map(|e| format!("  ({e})")).unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}
