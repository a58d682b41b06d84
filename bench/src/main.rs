//! `posko-bench`: ingest throughput and peak memory, printed as figures.
//!
//! Three benches, each in a temp dir with its own configuration:
//!
//! * `maildir --count N`: N generated messages in a Maildir's `new/`, taken
//!   into SQLite (or PostgreSQL with `--db postgres://…`) by one
//!   `maildir::pass`;
//! * `imap --count N --host … --port … --user … --password-env VAR`: N
//!   generated messages APPENDed to an IMAP mailbox, then taken in by one
//!   `ImapIntake::once` pass into a fresh SQLite file;
//! * `big --size-mb 25`: one message with a large base64 attachment through
//!   a Maildir, to see the memory one huge message costs;
//! * `rules --count N --rules 200`: the classifier alone, with the shipped
//!   catalogue and rules padded with generated rules to 200, every message
//!   running through all of them;
//! * `replies --dir tests/fixtures/replies --rounds 20`: the reply reader
//!   ([`posko::reply_trim::read`]) alone, in µs per message, over the golden
//!   replies (parsed first, not timed) and over a 1 MB reply, as text and
//!   as HTML;
//! * `hostile --posko OLD --posko NEW`: time and peak memory of one hostile
//!   message (large text, HTML, single-line bodies, deeply nested HTML)
//!   through each binary's `run --once`, side by side (see `hostile.rs`);
//! * `once --posko OLD --posko NEW --count 2000 [--db postgres://…]`: the
//!   whole `run --once` pass (intake, acknowledgments written out by the
//!   file transport) of each binary, side by side (see `once.rs`);
//! * `sla-scan --tickets 1000000 --due 10`: one SLA scan
//!   ([`posko::sla::scan::Escalator::tick`]) over a SQLite database holding
//!   N tickets with two clocks each, of which `due` are due (each a
//!   warning: an event and a mail); then a second scan with nothing due.
//!
//! Generation is never timed. Peak memory is the kernel's `VmHWM` (peak
//! resident set), reset after generation through `/proc/self/clear_refs`
//! so it measures the ingest alone. The store's durability is left as
//! configured (SQLite WAL with synchronous=FULL, 200 messages per
//! transaction) and reported, not changed.
//!
//! `scripts/bench.sh` builds this in release mode, starts a throw-away
//! Dovecot and runs every bench. It is not a test: it prints figures.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use futures::TryStreamExt;
use posko::app::App;
use posko::inbound::PassStats;
use posko::inbound::imap::ImapIntake;
use posko::inbound::maildir::Maildir;
use posko::store::Db;
use posko::workers::maildir;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

mod cores;
mod desk;
mod generator;
mod hostile;
mod ingest;
mod measure;
mod once;
mod sla_scan;

use cores::{bench_replies, bench_rules};
use desk::*;
use generator::*;
use ingest::*;
use measure::*;
use sla_scan::bench_sla_scan;

#[derive(Parser)]
#[command(
    name = "posko-bench",
    about = "Ingest throughput and peak memory of posko"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// N generated messages from a Maildir into the database.
    Maildir {
        #[arg(long, default_value_t = 5000)]
        count: usize,
        /// `sqlite` (a fresh file in the temp dir) or a `postgres://…` url.
        #[arg(long, default_value = "sqlite")]
        db: String,
        /// Keep the temp dir (its path is printed).
        #[arg(long)]
        keep: bool,
    },
    /// N generated messages APPENDed to an IMAP mailbox, then one intake pass.
    Imap {
        #[arg(long, default_value_t = 5000)]
        count: usize,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long)]
        port: u16,
        #[arg(long)]
        user: String,
        /// The environment variable holding the password.
        #[arg(long)]
        password_env: String,
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
        #[arg(long)]
        keep: bool,
    },
    /// One message with a large base64 attachment through a Maildir.
    Big {
        #[arg(long, default_value_t = 25)]
        size_mb: usize,
        #[arg(long)]
        keep: bool,
    },
    /// One SLA scan with N tickets (2 clocks each) in SQLite, a few due.
    SlaScan {
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        #[arg(long, default_value_t = 10)]
        due: usize,
        #[arg(long)]
        keep: bool,
    },
    /// µs per message through the reply reader: the golden replies, a 1 MB reply.
    Replies {
        #[arg(long, default_value = "tests/fixtures/replies")]
        dir: PathBuf,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// One hostile message per case through each binary's `run --once`:
    /// time and peak memory, side by side.
    Hostile {
        /// A posko binary to measure (repeat for old and new).
        #[arg(long, required = true)]
        posko: Vec<PathBuf>,
        /// A name for each binary in the table, in the same order.
        #[arg(long)]
        label: Vec<String>,
        /// Sizes of the text, HTML and single-line bodies, in MB.
        #[arg(long, value_delimiter = ',', default_value = "1,10,40")]
        sizes: Vec<usize>,
        /// Seconds before a run is killed.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
        /// Address space each run may take, in MB.
        #[arg(long, default_value_t = 6144)]
        mem_limit_mb: u64,
    },
    /// N generated mails through each binary's `run --once` (file
    /// transport), side by side, each run on a fresh database.
    Once {
        /// A posko binary to measure (repeat for old and new).
        #[arg(long, required = true)]
        posko: Vec<PathBuf>,
        /// A name for each binary, in the same order.
        #[arg(long)]
        label: Vec<String>,
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// `sqlite`, or a `postgres://…` url of a server where a database
        /// is made for each run.
        #[arg(long, default_value = "sqlite")]
        db: String,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Messages per second through the classifier with N rules.
    Rules {
        #[arg(long, default_value_t = 20_000)]
        count: usize,
        #[arg(long, default_value_t = 200)]
        rules: usize,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.cmd {
            Cmd::Maildir { count, db, keep } => bench_maildir(count, &db, keep).await,
            Cmd::Imap {
                count,
                host,
                port,
                user,
                password_env,
                mailbox,
                keep,
            } => bench_imap(count, &host, port, &user, &password_env, &mailbox, keep).await,
            Cmd::Big { size_mb, keep } => bench_big(size_mb, keep).await,
            Cmd::Rules { count, rules } => bench_rules(count, rules),
            Cmd::Replies { dir, rounds } => bench_replies(&dir, rounds),
            Cmd::Hostile {
                posko,
                label,
                sizes,
                timeout,
                mem_limit_mb,
            } => hostile::bench(
                &posko,
                &label,
                &sizes,
                Duration::from_secs(timeout),
                mem_limit_mb,
            ),
            Cmd::Once {
                posko,
                label,
                count,
                db,
                rounds,
            } => once::bench(&posko, &label, count, &db, rounds),
            Cmd::SlaScan { tickets, due, keep } => bench_sla_scan(tickets, due, keep).await,
        }
    })
}
