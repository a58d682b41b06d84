//! `posko run`, `posko ingest` and `posko migrate`: the daemon, one pass, a
//! message from an MTA pipe or files, and the schema.

use super::*;

pub(super) async fn cmd_run(cfg: Config, once: bool, now: Option<i64>) -> Result<ExitCode> {
    let clock = now.map(Clock::Fixed).unwrap_or(Clock::Wall);
    // SIGHUP's default is to end the process: take it over before anything
    // else (migrations can take a while), so an early reload is not a kill.
    let hup = if once {
        None
    } else {
        Some(
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                .context("cannot handle SIGHUP")?,
        )
    };
    let app = App::build(cfg).await?;
    if once {
        let (intake, scan, digest, sent) = app.once(clock).await?;
        println!(
            "fetched {}: {} new tickets, {} comments, {} duplicates, {} quarantined, {} deferred; \
             sent {}, retrying {}, failed {}; sla: {} clocks due, {} warnings, {} breaches, {} escalations; \
             digests: {} queued",
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
            scan.escalations,
            digest.queued
        );
        return Ok(ExitCode::from(exit::OK));
    }
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutting down: finishing the work in hand");
        let _ = tx.send(true);
    });
    let (hup_tx, hup_rx) = watch::channel(());
    let mut hup = hup.expect("set up when not --once");
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            if hup_tx.send(()).is_err() {
                return;
            }
        }
    });
    info!(desk = %app.cfg.desk.address, pid = std::process::id(), "posko running");
    app.run(rx, hup_rx, clock).await?;
    Ok(ExitCode::from(exit::OK))
}

pub(super) async fn wait_for_signal() {
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
pub(super) async fn cmd_ingest(
    cfg: Config,
    files: Vec<PathBuf>,
    recipients: Vec<String>,
) -> ExitCode {
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

pub(super) fn describe(o: &Outcome) -> String {
    match o {
        Outcome::NewTicket(id) => format!("new ticket #{id}"),
        Outcome::Comment(id) => format!("comment on ticket #{id}"),
        Outcome::Duplicate => "already taken in (duplicate)".into(),
        Outcome::Answered => "staff mail answered (no ticket)".into(),
        Outcome::Quarantined { id, reason } => format!("quarantined as #{id}: {reason}"),
    }
}

pub(super) async fn cmd_migrate(cfg: Config) -> Result<ExitCode> {
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    println!(
        "database {} is up to date",
        store::redact(&cfg.database_url)
    );
    Ok(ExitCode::from(exit::OK))
}
