//! The command line: `posko [--config FILE] <command>`.
//!
//! Exit statuses follow sysexits(3), because MTAs act on them: 75
//! (EX_TEMPFAIL) makes Postfix or Exim keep the message and retry, where any
//! other failure would bounce it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::sync::watch;
use tracing::{error, info};

use crate::app::{App, Clock};
use crate::config::{self, Config, Inbound};
use crate::ingest::{Incoming, Outcome};
use crate::mail::templates::Templates;
use crate::outbox::Transport;
use crate::store::{self, Db};

/// sysexits(3) codes.
pub mod auth;
mod check;
mod csv;
mod digest;
mod outbox;
mod quarantine;
pub mod report;
pub mod report_closure;
pub mod rules;
mod run;
pub mod surveys;
pub mod ticket_view;
mod tickets;

use check::cmd_check;
pub use outbox::OutboxCommand;
use outbox::cmd_outbox;
pub use quarantine::QuarantineCommand;
use quarantine::cmd_quarantine;
use report::cmd_report;
use run::{cmd_ingest, cmd_migrate, cmd_run};
pub use surveys::SurveysCommand;
pub use tickets::TicketsCommand;
use tickets::cmd_tickets;

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
    /// The configuration file [default: ./config/posko.toml if it exists,
    /// else /etc/posko/posko.toml].
    #[arg(long, short = 'c', global = true, env = "POSKO_CONFIG")]
    pub config: Option<PathBuf>,
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
    /// breaches, escalations, reopened, recategorised; then satisfaction
    /// and how tickets were closed.
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
    /// The satisfaction surveys: a list, or the answers as CSV.
    Surveys {
        #[command(subcommand)]
        command: SurveysCommand,
    },
    /// Try the classification rules: on a message file, or on stored tickets.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The managers' daily digest of a date: a preview, or sent to one address now.
    Digest(digest::DigestArgs),
    /// The keys of the staff tokens (the reply addresses in mail to
    /// staff), and the OAuth 2.0 sign-in of the mailboxes.
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
    /// Signs a mailbox in with OAuth 2.0's device-code flow (auth =
    /// "oauth2", grant = "refresh_token") and stores its refresh token in
    /// the database.
    Login {
        /// Which mailbox: the IMAP one ([inbound]) or the SMTP one ([outbound]).
        #[arg(long, value_enum)]
        mailbox: crate::oauth::Mailbox,
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

fn parse_instant(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|e| {
            format!("{s:?} is not an RFC 3339 instant such as 2026-11-23T07:55:00+07:00: {e}")
        })
}

/// Loads the configuration, or prints the error and gives the exit code.
fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    let path = config::config_path(cli.config.clone(), Path::exists);
    config::load(&path).map_err(|e| {
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
        Command::Surveys { command } => surveys::cmd_surveys(cfg, command).await,
        Command::Auth { command } => auth::run(cfg, command).await,
        Command::Digest(args) => digest::cmd_digest(cfg, args).await,
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
