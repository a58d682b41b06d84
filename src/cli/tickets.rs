//! `posko tickets list/show`: tickets as text or JSON, and a message's raw
//! bytes.

use super::*;

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Open tickets, newest first (--all for every ticket).
    List {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One ticket with its messages, events and SLA clocks.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
        /// Show the clocks as of this instant (RFC 3339) instead of now.
        #[arg(long, value_parser = parse_instant)]
        now: Option<i64>,
        /// Write message MESSAGE of the ticket (its `id` in the JSON) to
        /// standard output, byte for byte as it arrived or was sent.
        #[arg(long, value_name = "MESSAGE", conflicts_with_all = ["json", "now"])]
        raw: Option<i64>,
    },
}

pub(super) async fn cmd_tickets(cfg: Config, command: TicketsCommand) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    match command {
        TicketsCommand::List { json, all, limit } => {
            let list = view::list(&mut c, all, limit, cfg.desk.language).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", view::list_text(&list));
            }
        }
        TicketsCommand::Show {
            id,
            raw: Some(message),
            ..
        } => {
            let Some(raw) = crate::store::messages::raw_bytes(&mut c, id, message).await? else {
                eprintln!("posko: ticket #{id} has no message {message} with its bytes kept");
                return Ok(ExitCode::from(exit::DATAERR));
            };
            use std::io::Write;
            std::io::stdout().write_all(&raw)?;
        }
        TicketsCommand::Show { id, json, now, .. } => {
            let known = cfg.known_names();
            let Some(mut t) = view::show(&mut c, id, &known, cfg.desk.language).await? else {
                eprintln!("posko: no ticket #{id}");
                return Ok(ExitCode::from(exit::DATAERR));
            };
            let now = now.unwrap_or_else(|| Clock::Wall.now());
            t.sla = Some(view::sla(&mut c, &cfg, id, now).await?);
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                let templates = Templates::load(cfg.desk.templates.as_deref())?;
                print!("{}", view::show_text(&t, &templates)?);
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}
