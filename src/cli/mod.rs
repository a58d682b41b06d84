//! The command line: `posko [--config FILE] <command>`.
//!
//! Exit statuses follow sysexits(3), because MTAs act on them: 75
//! (EX_TEMPFAIL) makes Postfix or Exim keep the message and retry, where any
//! other failure would bounce it.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::sync::watch;
use tracing::{error, info};

use crate::app::{App, Clock};
use crate::config::{self, Config, Inbound};
use crate::ingest::{Incoming, Outcome};
use crate::notify::Templates;
use crate::outbox::Transport;
use crate::store::{self, Db, outbox, quarantine};

/// sysexits(3) codes.
pub mod auth;
pub mod report;
pub mod rules;
pub mod ticket_view;

use ticket_view as view;

pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 64;
    pub const DATAERR: u8 = 65;
    pub const NOINPUT: u8 = 66;
    pub const SOFTWARE: u8 = 70;
    pub const TEMPFAIL: u8 = 75;
    pub const CONFIG: u8 = 78;
}

#[derive(Debug, Parser)]
#[command(
    name = "posko",
    version,
    about = "An email-driven IT helpdesk daemon: mail in, ticket out."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(long, short = 'c', global = true, env = "POSKO_CONFIG", default_value = config::DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Log format on stderr: text (default) or json; overrides log.format.
    #[arg(long, global = true, value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: take in mail, send mail, until SIGTERM or Ctrl-C.
    Run {
        /// Do one full pass (fetch all waiting mail, process it, send due mail) and exit.
        #[arg(long)]
        once: bool,
        /// Act as if it were this instant (RFC 3339), e.g. 2026-11-23T07:55:00+07:00.
        #[arg(long, value_parser = parse_instant)]
        now: Option<i64>,
    },
    /// Take in messages from files, or one message from standard input (for an MTA pipe).
    Ingest {
        /// Message files; standard input when none.
        files: Vec<PathBuf>,
        /// The envelope recipient (RCPT TO) the MTA delivered to, e.g.
        /// Postfix's ${original_recipient}; repeat for several. Staff
        /// tokens are then read from it alone, not from the headers.
        #[arg(long, value_name = "ADDRESS")]
        recipient: Vec<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Check the configuration, and that the database, mailbox and mail server answer.
    Check,
    /// List and show tickets.
    Tickets {
        #[command(subcommand)]
        command: TicketsCommand,
    },
    /// Messages that could not become tickets.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Mail waiting to be sent, or that failed.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// The SLA report of a period, per priority and per category: tickets,
    /// response and resolution met %, mean and 90th-percentile times,
    /// breaches, escalations, reopened, recategorised.
    Report {
        /// First day (desk time zone), e.g. 2026-07-01.
        #[arg(long)]
        from: String,
        /// Last day, included, e.g. 2026-12-31.
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
    },
    /// Try the classification rules: on a message file, or on stored tickets.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The keys of the staff tokens (the reply addresses in mail to staff).
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// A new key signs from now on; the current one still verifies the
    /// tokens it signed until they expire (auth.token_lifetime), then it is
    /// dropped. Keys kept in the database only (else: see auth.secret_env).
    RotateKey {
        /// Drop every older key at once (after a leak): replies to earlier
        /// mail then need a fresh notice.
        #[arg(long)]
        revoke_old: bool,
        /// Act as if it were this instant (RFC 3339).
        #[arg(long, value_parser = parse_instant)]
        now: Option<i64>,
    },
    /// The keys: which signs, and until when the older ones verify.
    Keys {
        /// As of this instant (RFC 3339).
        #[arg(long, value_parser = parse_instant)]
        now: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Which rules match a message, and the type, category, urgency, impact,
    /// priority and group it would get. Touches nothing.
    Test {
        /// The message (an .eml file).
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Reclassify the stored requests of tickets created since DATE with the
    /// current rules, and print what would change. A dry run: writes nothing.
    Replay {
        /// 2026-11-01 (midnight, desk time zone) or an RFC 3339 instant.
        #[arg(long)]
        since: String,
    },
}

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

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Mail not yet sent: queued, being sent, or failed.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn parse_instant(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|e| {
            format!("{s:?} is not an RFC 3339 instant such as 2026-11-23T07:55:00+07:00: {e}")
        })
}

/// Loads the configuration, or prints the error and gives the exit code.
fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    config::load(&cli.config).map_err(|e| {
        eprintln!("posko: configuration error: {e}");
        ExitCode::from(exit::CONFIG)
    })
}

/// Runs the command; the returned code is the process's exit status.
pub async fn run(cli: Cli) -> ExitCode {
    let cfg = match load_config(&cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    crate::telemetry::init(&cfg, cli.log_format.as_deref());
    let result = match cli.command {
        Command::Run { once, now } => cmd_run(cfg, once, now).await,
        Command::Ingest { files, recipient } => return cmd_ingest(cfg, files, recipient).await,
        Command::Migrate => cmd_migrate(cfg).await,
        Command::Check => return cmd_check(cfg).await,
        Command::Tickets { command } => cmd_tickets(cfg, command).await,
        Command::Quarantine { command } => cmd_quarantine(cfg, command).await,
        Command::Outbox { command } => cmd_outbox(cfg, command).await,
        Command::Rules { command } => rules::run(cfg, command).await,
        Command::Report { from, to, format } => cmd_report(cfg, &from, &to, &format).await,
        Command::Auth { command } => auth::run(cfg, command).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("posko: {e:#}");
            if store::is_transient(&e) {
                ExitCode::from(exit::TEMPFAIL)
            } else {
                ExitCode::from(exit::FAILURE)
            }
        }
    }
}

async fn cmd_run(cfg: Config, once: bool, now: Option<i64>) -> Result<ExitCode> {
    let clock = now.map(Clock::Fixed).unwrap_or(Clock::Wall);
    let app = App::build(cfg).await?;
    if once {
        let (intake, scan, sent) = app.once(clock).await?;
        println!(
            "fetched {}: {} new tickets, {} comments, {} duplicates, {} quarantined, {} deferred; \
             sent {}, retrying {}, failed {}; sla: {} clocks due, {} warnings, {} breaches, {} escalations",
            intake.fetched,
            intake.new_tickets,
            intake.comments,
            intake.duplicates,
            intake.quarantined,
            intake.deferred,
            sent.sent,
            sent.retried,
            sent.failed,
            scan.clocks,
            scan.warnings,
            scan.breaches,
            scan.escalations
        );
        return Ok(ExitCode::from(exit::OK));
    }
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutting down: finishing the work in hand");
        let _ = tx.send(true);
    });
    info!(desk = %app.cfg.desk.address, "posko running");
    app.run(rx, clock).await?;
    Ok(ExitCode::from(exit::OK))
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// The MTA pipe. Every message is either stored (as a ticket, a comment or
/// in quarantine) or the exit status says "try again later": 0 means the
/// MTA may forget it. `recipients` are the envelope recipients the MTA
/// gave, for every message.
async fn cmd_ingest(cfg: Config, files: Vec<PathBuf>, recipients: Vec<String>) -> ExitCode {
    if let Some(bad) = recipients
        .iter()
        .find(|r| crate::domain::EmailAddress::parse(r).is_none())
    {
        eprintln!("posko: --recipient {bad:?} is not an e-mail address");
        return ExitCode::from(exit::USAGE);
    }
    let mut items = Vec::new();
    if files.is_empty() {
        let mut raw = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut raw) {
            eprintln!("posko: cannot read standard input: {e}");
            return ExitCode::from(exit::TEMPFAIL);
        }
        items.push(Incoming::new(raw, "pipe"));
    } else {
        for f in &files {
            match std::fs::read(f) {
                Ok(raw) => items.push(Incoming::new(raw, format!("file:{}", f.display()))),
                Err(e) => {
                    eprintln!("posko: cannot read {}: {e}", f.display());
                    return ExitCode::from(exit::NOINPUT);
                }
            }
        }
    }
    let app = match App::build(cfg).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("posko: {e:#}");
            // The database may be down or locked: the MTA should retry.
            return ExitCode::from(exit::TEMPFAIL);
        }
    };
    let now = Clock::Wall.now();
    let mut code = exit::OK;
    for item in &mut items {
        item.recipients = recipients.clone();
    }
    for item in &items {
        match app.ingestor.ingest(item, now).await {
            Ok(o) => println!("{}: {}", item.source, describe(&o)),
            Err(e) => {
                eprintln!("posko: {}: {e:#}", item.source);
                error!(source = %item.source, error = %format!("{e:#}"), "ingest failed");
                code = exit::TEMPFAIL;
            }
        }
    }
    ExitCode::from(code)
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::NewTicket(id) => format!("new ticket #{id}"),
        Outcome::Comment(id) => format!("comment on ticket #{id}"),
        Outcome::Duplicate => "already taken in (duplicate)".into(),
        Outcome::Answered => "staff mail answered (no ticket)".into(),
        Outcome::Quarantined { id, reason } => format!("quarantined as #{id}: {reason}"),
    }
}

async fn cmd_migrate(cfg: Config) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    println!(
        "database {} is up to date",
        store::redact(&cfg.database_url)
    );
    Ok(ExitCode::from(exit::OK))
}

/// Checks each part and says what answers; exit 0 only when all do.
async fn cmd_check(cfg: Config) -> ExitCode {
    let mut failed = false;
    let mut report = |what: &str, r: Result<String>| match r {
        Ok(msg) => println!("ok    {what}: {msg}"),
        Err(e) => {
            failed = true;
            println!("FAIL  {what}: {e:#}");
        }
    };
    report(
        "configuration",
        Ok(format!(
            "{} is valid ({} staff, desk {})",
            cfg.source.display(),
            cfg.staff.len(),
            cfg.desk.address
        )),
    );
    report(
        "classification",
        Ok(format!(
            "{} rules, {} categories, {} groups, {} priority levels, {} managers",
            cfg.rules.len(),
            cfg.catalogue.categories.len(),
            cfg.catalogue.groups.len(),
            cfg.catalogue.priority.levels.len(),
            cfg.managers().count()
        )),
    );
    if cfg.managers().next().is_none() {
        println!(
            "warn  staff: no role = \"manager\": nobody is alerted of security tickets and major incidents"
        );
    }
    if cfg.service_desk().next().is_none() {
        println!("warn  staff: no level-1 staff: nobody receives new-ticket notices");
    }
    report(
        "templates",
        Templates::load(cfg.desk.templates.as_deref()).map(|_| "all templates compile".into()),
    );
    let db = async {
        let db = Db::open(&cfg).await?;
        db.migrate().await?;
        let mut c = db.pool().acquire().await?;
        let n = store::tickets::count(&mut c).await?;
        anyhow::Ok((
            db.clone(),
            format!("{} answers; {n} tickets", store::redact(&cfg.database_url)),
        ))
    }
    .await;
    let db = match db {
        Ok((db, msg)) => {
            report("database", Ok(msg));
            Some(db)
        }
        Err(e) => {
            report("database", Err(e));
            None
        }
    };
    match &cfg.inbound {
        Inbound::Maildir { path, .. } => report(
            "inbound",
            crate::inbound::maildir::Maildir::open(path)
                .and_then(|md| md.pending())
                .map(|p| {
                    format!(
                        "Maildir {} is readable; {} messages waiting",
                        path.display(),
                        p.len()
                    )
                }),
        ),
        Inbound::Imap(s) => match &db {
            Some(db) => {
                let templates =
                    std::sync::Arc::new(Templates::load(None).expect("built-in templates"));
                let ingestor = crate::ingest::Ingestor::new(
                    std::sync::Arc::new(cfg.clone()),
                    db.clone(),
                    templates,
                );
                report("inbound", crate::inbound::imap::check(s, ingestor).await)
            }
            None => report(
                "inbound",
                Err(anyhow::anyhow!(
                    "not checked: the database is not available"
                )),
            ),
        },
    }
    let outbound = match Transport::from_config(&cfg) {
        Ok(t) => t.test_connection().await,
        Err(e) => Err(e),
    };
    report("outbound", outbound);
    ExitCode::from(if failed { exit::FAILURE } else { exit::OK })
}

async fn cmd_tickets(cfg: Config, command: TicketsCommand) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    match command {
        TicketsCommand::List { json, all, limit } => {
            let list = view::list(&mut c, all, limit).await?;
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
            let known = crate::display_name::Known::from_config(&cfg);
            let Some(mut t) = view::show(&mut c, id, &known).await? else {
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

async fn cmd_report(cfg: Config, from: &str, to: &str, format: &str) -> Result<ExitCode> {
    let tz = cfg.desk.timezone;
    let (start, end) = match (
        report::day_start(from, tz),
        report::day_start(to, tz),
    ) {
        (Ok(a), Ok(b)) if a <= b => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("posko: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
        _ => {
            eprintln!("posko: --from {from} is after --to {to}");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    // --to names the last day: the period ends at the next local midnight.
    let end = report::day_start(
        &(chrono::NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d")? + chrono::Days::new(1))
            .to_string(),
        tz,
    )
    .map_err(anyhow::Error::msg)?
    .max(end);
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    let rows = report::compute(&mut c, start, end).await?;
    match format {
        "csv" => print!("{}", report::csv(&rows)),
        "json" => println!("{}", report::json(&rows)?),
        _ => print!(
            "{}",
            report::table(&rows, &format!("SLA report {from} to {to} ({tz})"))
        ),
    }
    Ok(ExitCode::from(exit::OK))
}

async fn cmd_quarantine(cfg: Config, command: QuarantineCommand) -> Result<ExitCode> {
    match command {
        QuarantineCommand::List { json, all } => {
            let db = Db::open(&cfg).await?;
            db.migrate().await?;
            let mut c = db.pool().acquire().await?;
            let held = quarantine::list(&mut c, all).await?;
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
            let (raw, _) = quarantine::raw(&mut c, id)
                .await?
                .with_context(|| format!("no quarantined message #{id}"))?;
            use std::io::Write;
            std::io::stdout().write_all(&raw)?;
        }
        QuarantineCommand::Retry { ids, all } => {
            let app = App::build(cfg).await?;
            let ids = if all {
                let mut c = app.db.pool().acquire().await?;
                quarantine::list(&mut c, false)
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
                let (raw, truncated) = quarantine::raw(&mut c, id)
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
                    quarantine::set_status(&mut c, id, "retried", now).await?;
                }
                println!("#{id}: {}", describe(&outcome));
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}

async fn cmd_outbox(cfg: Config, command: OutboxCommand) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.pool().acquire().await?;
    match command {
        OutboxCommand::List { json } => {
            let rows = outbox::list_unsent(&mut c, 1000).await?;
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
