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
//! * `sla-scan --tickets 1000000 --due 10`: one SLA scan
//!   ([`posko::escalation::Escalator::tick`]) over a SQLite database holding
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
use posko::inbound::maildir::{self, Maildir};
use posko::store::Db;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

#[path = "posko-bench/hostile.rs"]
mod hostile;

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
            Cmd::SlaScan { tickets, due, keep } => bench_sla_scan(tickets, due, keep).await,
        }
    })
}

// ---------------------------------------------------------------------------
// The benches.

async fn bench_maildir(count: usize, db: &str, keep: bool) -> Result<()> {
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), db);
    let cfg = config(dir.path(), &url, &Inbound::Maildir, "50MB")?;
    let md = Maildir::open(&dir.path().join("mail"))?;
    let mut generator = Generator::new(42);
    let t = Instant::now();
    for i in 0..count {
        let raw = generator.next_message();
        deliver_numbered(dir.path(), i, &raw)?;
    }
    eprintln!(
        "generated {count} messages ({:.1} MB) in {:.2} s",
        generator.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let before = if url.starts_with("postgres") {
        Some(counts(&url).await?)
    } else {
        None
    };
    let base_rss = reset_peak_rss();

    perf_control("enable");
    let t = Instant::now();
    let app = App::build(cfg).await?;
    let built = t.elapsed();
    let stats = maildir::pass(&md, &app.ingestor, 50 << 20, now()).await?;
    let took = t.elapsed();
    perf_control("disable");
    let peak = peak_rss_mb();

    let mut c = counts_of(&app.db).await?;
    if let Some(b) = before {
        c = c.minus(&b);
    }
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "maildir→{backend}: {count} messages in {:.2} s = {:.0} msg/s; peak RSS {peak:.1} MB (before ingest {base_rss:.1} MB); \
         tickets {}, comments {}; acks queued {}, staff notices {}",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        c.tickets,
        c.comments,
        c.acks,
        c.notices,
    );
    println!(
        "  build {} ms; {}; expected tickets {}, comments {}; {}",
        built.as_millis(),
        pass_line(&stats),
        generator.new_tickets,
        generator.replies,
        durability(&app.db).await?
    );
    check_pass(&stats, count)?;
    app.db.close().await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn bench_imap(
    count: usize,
    host: &str,
    port: u16,
    user: &str,
    password_env: &str,
    mailbox: &str,
    keep: bool,
) -> Result<()> {
    let password = std::env::var(password_env)
        .with_context(|| format!("the environment variable {password_env} is not set"))?;
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let inbound = Inbound::Imap {
        host: host.into(),
        port,
        user: user.into(),
        password_env: password_env.into(),
        mailbox: mailbox.into(),
    };
    let cfg = config(dir.path(), &url, &inbound, "50MB")?;

    let t = Instant::now();
    let bytes = append_messages(host, port, user, &password, mailbox, count).await?;
    eprintln!(
        "appended {count} messages ({:.1} MB) over IMAP in {:.2} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let base_rss = reset_peak_rss();

    let t = Instant::now();
    let app = App::build(cfg).await?;
    let built = t.elapsed();
    let settings = match &app.cfg.inbound {
        posko::config::Inbound::Imap(s) => s.clone(),
        _ => unreachable!("the config says imap"),
    };
    let t_pass = Instant::now();
    let stats = ImapIntake::new(settings, app.ingestor.clone())
        .once(now)
        .await?;
    let pass = t_pass.elapsed();
    let took = t.elapsed();
    let peak = peak_rss_mb();
    let c = counts_of(&app.db).await?;
    println!(
        "imap→sqlite: {count} messages in {:.2} s = {:.0} msg/s (pass alone {:.2} s = {:.0} msg/s); \
         peak RSS {peak:.1} MB (before ingest {base_rss:.1} MB); tickets {}, comments {}; acks queued {}",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        pass.as_secs_f64(),
        count as f64 / pass.as_secs_f64(),
        c.tickets,
        c.comments,
        c.acks,
    );
    println!(
        "  build {} ms; {}; {}",
        built.as_millis(),
        pass_line(&stats),
        durability(&app.db).await?
    );
    check_pass(&stats, count)?;
    app.db.close().await;
    Ok(())
}

async fn bench_big(size_mb: usize, keep: bool) -> Result<()> {
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let limit = format!("{}MB", size_mb * 2 + 16);
    let cfg = config(dir.path(), &url, &Inbound::Maildir, &limit)?;
    let max = posko::config::parse_size(&limit).map_err(anyhow::Error::msg)?;
    let md = Maildir::open(&dir.path().join("mail"))?;
    let path = dir.path().join("mail/tmp/big.eml");
    let size = write_big_message(&path, size_mb << 20)?;
    std::fs::rename(&path, dir.path().join("mail/new/1.big.posko-bench"))?;
    let base_rss = reset_peak_rss();

    let t = Instant::now();
    let app = App::build(cfg).await?;
    let stats = maildir::pass(&md, &app.ingestor, max, now()).await?;
    let took = t.elapsed();
    let peak = peak_rss_mb();
    let c = counts_of(&app.db).await?;
    let verdict = if peak < 150.0 { "under" } else { "OVER" };
    println!(
        "big: one {:.1} MB message ({size_mb} MB attachment) in {:.2} s; peak RSS {peak:.1} MB \
         (before ingest {base_rss:.1} MB), {verdict} the 150 MB target; tickets {}",
        size as f64 / 1e6,
        took.as_secs_f64(),
        c.tickets,
    );
    println!("  {}", pass_line(&stats));
    if stats.new_tickets != 1 {
        bail!("the big message did not become a ticket: {stats:?}");
    }
    app.db.close().await;
    Ok(())
}

// ---------------------------------------------------------------------------
// Setup and measurement.

/// Profiles only the ingest: with `perf record -D -1 --control
/// fifo:CTL` and `BENCH_PERF_CTL=CTL`, perf is switched on and off around it
/// (generating the messages is not what is measured).
fn perf_control(cmd: &str) {
    if let Some(path) = std::env::var_os("BENCH_PERF_CTL")
        && let Err(e) = std::fs::write(&path, format!("{cmd}\n"))
    {
        eprintln!("BENCH_PERF_CTL: {e}");
    }
}

fn workdir(keep: bool) -> Result<TempDirGuard> {
    let path = std::env::temp_dir().join(format!("posko-bench-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&path)?;
    if keep {
        eprintln!("working in {} (kept)", path.display());
    }
    Ok(TempDirGuard { path, keep })
}

/// A directory removed on drop unless kept.
struct TempDirGuard {
    path: PathBuf,
    keep: bool,
}

impl TempDirGuard {
    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn database_url(dir: &Path, db: &str) -> String {
    if db == "sqlite" {
        format!("sqlite://{}/posko.db", dir.display())
    } else {
        db.to_string()
    }
}

enum Inbound {
    Maildir,
    Imap {
        host: String,
        port: u16,
        user: String,
        password_env: String,
        mailbox: String,
    },
}

/// The bench configuration: the shipped defaults, except that the
/// acknowledgment rate limit is lifted (every message carries the same
/// "now", so the default 5 per 10 minutes per sender would skip most of
/// the work a real day of mail causes).
fn config(
    dir: &Path,
    url: &str,
    inbound: &Inbound,
    max_size: &str,
) -> Result<posko::config::Config> {
    let d = dir.display();
    let inbound = match inbound {
        Inbound::Maildir => {
            format!("kind = \"maildir\"\npath = \"{d}/mail\"\nmax_message_size = \"{max_size}\"\n")
        }
        Inbound::Imap {
            host,
            port,
            user,
            password_env,
            mailbox,
        } => format!(
            "kind = \"imap\"\nhost = \"{host}\"\nport = {port}\nsecurity = \"none\"\n\
             username = \"{user}\"\npassword_env = \"{password_env}\"\nmailbox = \"{mailbox}\"\n\
             idle = false\ntimeout = \"120s\"\nmax_message_size = \"{max_size}\"\n"
        ),
    };
    let text = format!(
        r#"[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
aliases = ["security@corp.test"]
tag = "Helpdesk"
language = "id"
timezone = "Asia/Jakarta"
ack_limit = 1000000

[database]
url = "{url}"

[inbound]
{inbound}
[outbound]
kind = "file"
path = "{d}/outbox"

[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1
groups = ["servicedesk"]

[[staff]]
name = "Budi Santoso"
email = "budi@corp.test"
handle = "budi"
level = 2
groups = ["network"]
"#
    );
    let path = dir.join("posko.toml");
    std::fs::write(&path, &text)?;
    Ok(posko::config::parse(&text, &path)?)
}

/// Bulk-loads `tickets` tickets with a response clock (met) and a running
/// resolution clock each, `due` of them with a warning due now, and times
/// one scan. Loading uses multi-row INSERTs of literal values in large
/// transactions (generation, not timed).
async fn bench_sla_scan(tickets: usize, due: usize, keep: bool) -> Result<()> {
    use posko::escalation::Escalator;
    use posko::notify::Templates;
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let cfg = std::sync::Arc::new(config(dir.path(), &url, &Inbound::Maildir, "50MB")?);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let now = 1_795_400_000; // 2026-11-23, a Monday
    let load = Instant::now();
    const ROWS: usize = 2000;
    const PER_TX: usize = 100_000;
    let mut id = 1usize;
    while id <= tickets {
        let mut tx = db.begin().await?;
        let tx_end = (id + PER_TX).min(tickets + 1);
        while id < tx_end {
            let end = (id + ROWS).min(tx_end);
            let mut t = String::from(
                "INSERT INTO tickets (id, subject, status, requester, created_at, updated_at, \
                 priority, category, group_key) VALUES ",
            );
            let mut k = String::from(
                "INSERT INTO sla_clocks (ticket_id, kind, target_seconds, started_at, due_at, \
                 paused_seconds, state, stopped_at, next_check_at, business_hours) VALUES ",
            );
            for i in id..end {
                let sep = if i == id { "" } else { "," };
                // Open tickets from the last few weeks; the last `due` have
                // a warning due (24x7 clocks at 7 of 8 hours).
                let is_due = i > tickets - due;
                let created = if is_due {
                    now - 7 * 3600
                } else {
                    now - (i as i64 % 1_000_000)
                };
                let _ = write!(
                    t,
                    "{sep}({i},'Bench ticket {i}','in_progress','user{}@corp.test',{created},{created},2,'other','servicedesk')",
                    i % 5000
                );
                let next = if is_due {
                    created + 6 * 3600
                } else {
                    now + 3600 + (i as i64 % 86_400)
                };
                let _ = write!(
                    k,
                    "{sep}({i},'response',3600,{created},{},0,'met',{},NULL,{bh}),\
                     ({i},'resolution',28800,{created},{},0,'running',NULL,{next},{bh})",
                    created + 3600,
                    created + 600,
                    created + 8 * 3600,
                    bh = if is_due { 0 } else { 1 },
                );
            }
            sqlx::Executor::execute(&mut *tx, sqlx::AssertSqlSafe(t)).await?;
            sqlx::Executor::execute(&mut *tx, sqlx::AssertSqlSafe(k)).await?;
            id = end;
        }
        tx.commit().await?;
    }
    {
        let mut c = db.pool().acquire().await?;
        sqlx::Executor::execute(&mut *c, "ANALYZE").await?;
    }
    println!(
        "sla-scan: loaded {tickets} tickets, {} clocks in {:.1} s",
        tickets * 2,
        load.elapsed().as_secs_f64()
    );
    let templates = std::sync::Arc::new(Templates::load(None)?);
    let scanner = Escalator::new(cfg, db.clone(), templates);
    let start = Instant::now();
    let stats = scanner.tick(now).await?;
    let first = start.elapsed();
    anyhow::ensure!(
        stats.warnings as usize == due,
        "expected {due} warnings, got {stats:?}"
    );
    let start = Instant::now();
    let again = scanner.tick(now).await?;
    let second = start.elapsed();
    anyhow::ensure!(again.clocks == 0, "second scan found {again:?}");
    println!(
        "sla-scan: one scan over {tickets} tickets with {due} due: {:.2} ms ({} clocks, {} warnings queued); \
         a scan with nothing due: {:.2} ms",
        first.as_secs_f64() * 1000.0,
        stats.clocks,
        stats.warnings,
        second.as_secs_f64() * 1000.0,
    );
    db.close().await;
    Ok(())
}

/// The classifier with the shipped configuration's catalogue and rules.
fn bench_rules(count: usize, rules: usize) -> Result<()> {
    let cfg = posko::config::parse(
        include_str!("../../config/posko.toml"),
        Path::new("config/posko.toml"),
    )?;
    let (n, secs, rate) = posko::rules_cli::bench(&cfg, count, rules)?;
    println!(
        "rules: classified {count} messages with {n} rules in {secs:.3} s: {rate:.0} messages/s"
    );
    Ok(())
}

fn bench_replies(dir: &Path, rounds: usize) -> Result<()> {
    use posko::reply_trim::{Reply, read};

    let mut emls = Vec::new();
    for client in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let client = client?.path();
        if !client.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&client)? {
            let f = f?.path();
            if f.extension().is_some_and(|e| e == "eml") {
                emls.push(f);
            }
        }
    }
    let mut msgs = Vec::new();
    for path in &emls {
        let raw = std::fs::read(path)?;
        msgs.push(posko::parse::parse(&raw, "corp.test").map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    if msgs.is_empty() {
        bail!("no .eml under {}", dir.display());
    }
    // Times `f` over `rounds` rounds: the mean, and the slowest message
    // (its median over the rounds, so one preemption does not count).
    let time = |n: usize, f: &dyn Fn(usize)| {
        let mut each = vec![Vec::new(); n];
        let started = Instant::now();
        for _ in 0..rounds.max(1) {
            for (i, times) in each.iter_mut().enumerate() {
                let one = Instant::now();
                f(i);
                times.push(one.elapsed());
            }
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / (n * rounds.max(1)) as f64;
        let (slowest, at) = each
            .iter_mut()
            .enumerate()
            .map(|(i, t)| {
                t.sort();
                (t[t.len() / 2], i)
            })
            .max()
            .unwrap_or_default();
        (per, slowest.as_secs_f64() * 1e6, at)
    };
    let reply = |i: usize| {
        let m = &msgs[i];
        std::hint::black_box(read(&Reply {
            text: &m.body_text,
            html: m.body_html.as_deref(),
            subject: &m.subject,
            sent: &[],
        }));
    };
    // One pass first: the regexes compile once, on first use.
    (0..msgs.len()).for_each(reply);
    let (per, slowest, at) = time(msgs.len(), &reply);
    let with_html = msgs.iter().filter(|m| m.body_html.is_some()).count();
    println!(
        "replies: {} golden replies ({with_html} with HTML), {rounds} rounds: {per:.0} µs/message, \
         slowest {slowest:.0} µs ({})",
        msgs.len(),
        emls[at].display()
    );
    let text_only = |i: usize| {
        std::hint::black_box(posko::reply_trim::trim(&msgs[i].body_text));
    };
    let (per, _, _) = time(msgs.len(), &text_only);
    println!("replies: the text rules alone (trim): {per:.0} µs/message");

    // 1 MB: a pasted log above a quoted acknowledgment, as text and as HTML.
    let line = "2026-11-24 09:00:00 INFO job 4411 step finished, 0 errors, 12 warnings\n";
    let log = line.repeat(1024 * 1024 / line.len());
    let quote = "> Terima kasih, laporan Anda sudah kami terima.\n".repeat(20);
    let text = format!(
        "Log terlampir.\n\n{log}\nPada Sen, 23 Nov 2026 pukul 10.15 Posko IT <helpdesk@corp.test> menulis:\n{quote}"
    );
    let html = format!(
        "<div>{}</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">Pada … menulis:</div>\
         <blockquote>{}</blockquote></div>",
        log.replace('\n', "<br>"),
        quote.replace('\n', "<br>")
    );
    let rounds_big = rounds.clamp(1, 5);
    for (label, html) in [("text", None), ("text + HTML", Some(html.as_str()))] {
        let started = Instant::now();
        for _ in 0..rounds_big {
            std::hint::black_box(read(&Reply {
                text: &text,
                html,
                subject: "Re: log",
                sent: &[],
            }));
        }
        let ms = started.elapsed().as_secs_f64() * 1e3 / rounds_big as f64;
        println!(
            "replies: one {:.1} MB reply ({label}): {ms:.1} ms",
            text.len() as f64 / 1e6
        );
    }
    Ok(())
}

fn now() -> i64 {
    posko::compose::wall_clock()
}

/// Resets the peak resident set (Linux: `5` to `clear_refs`) and returns
/// the current resident set in MB.
fn reset_peak_rss() -> f64 {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("warning: cannot reset the peak RSS ({e}); it includes generation");
    }
    proc_status_mb("VmRSS")
}

/// `VmHWM` (the peak resident set) in MB.
fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM")
}

fn proc_status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

struct Counts {
    tickets: i64,
    comments: i64,
    acks: i64,
    notices: i64,
}

impl Counts {
    fn minus(&self, o: &Counts) -> Counts {
        Counts {
            tickets: self.tickets - o.tickets,
            comments: self.comments - o.comments,
            acks: self.acks - o.acks,
            notices: self.notices - o.notices,
        }
    }
}

async fn counts(url: &str) -> Result<Counts> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let c = counts_of(&db).await;
    db.close().await;
    c
}

async fn counts_of(db: &Db) -> Result<Counts> {
    let one = |sql: &'static str| async move {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(db.pool()).await?;
        anyhow::Ok(n)
    };
    Ok(Counts {
        tickets: one("SELECT COUNT(*) FROM tickets").await?,
        comments: one("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND kind <> 'request'")
            .await?,
        acks: one("SELECT COUNT(*) FROM outbox WHERE kind = 'ack'").await?,
        notices: one("SELECT COUNT(*) FROM outbox WHERE kind = 'staff_new'").await?,
    })
}

/// How durable a commit is, as the store set it up.
async fn durability(db: &Db) -> Result<String> {
    match db.backend() {
        posko::store::Backend::Sqlite => {
            let mut c = db.pool().acquire().await?;
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *c)
                .await?;
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *c)
                .await?;
            let sync = match sync {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                3 => "EXTRA",
                _ => "?",
            };
            Ok(format!(
                "durable commits: SQLite journal_mode={mode}, synchronous={sync}, {} messages per transaction",
                posko::inbound::BATCH
            ))
        }
        posko::store::Backend::Postgres => Ok(format!(
            "durable commits: PostgreSQL defaults, {} messages per transaction",
            posko::inbound::BATCH
        )),
    }
}

fn pass_line(s: &PassStats) -> String {
    format!(
        "pass: fetched {}, new tickets {}, comments {}, duplicates {}, quarantined {}, deferred {}",
        s.fetched, s.new_tickets, s.comments, s.duplicates, s.quarantined, s.deferred
    )
}

fn check_pass(s: &PassStats, count: usize) -> Result<()> {
    let done = (s.new_tickets + s.comments + s.duplicates + s.quarantined) as usize;
    if done != count || s.deferred > 0 {
        bail!("the pass did not take in all {count} messages: {s:?}");
    }
    Ok(())
}

/// Writes into `new/` under a name that sorts in generation order (the
/// Maildir takes `new/` in name order), so a reply always follows the
/// message it answers.
fn deliver_numbered(root: &Path, i: usize, raw: &[u8]) -> Result<()> {
    let name = format!("1700000000.B{i:09}.posko-bench");
    let tmp = root.join("mail/tmp").join(&name);
    std::fs::write(&tmp, raw)?;
    std::fs::rename(&tmp, root.join("mail/new").join(&name))?;
    Ok(())
}

/// APPENDs `count` generated messages to a mailbox emptied first; returns
/// the bytes appended.
async fn append_messages(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    mailbox: &str,
    count: usize,
) -> Result<usize> {
    const T: Duration = Duration::from_secs(60);
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .with_context(|| format!("cannot reach {host}:{port}"))?;
    let _ = tcp.set_nodelay(true);
    let mut client = async_imap::Client::new(tcp);
    tokio::time::timeout(T, client.read_response())
        .await??
        .context("no IMAP greeting")?;
    let mut session = tokio::time::timeout(T, client.login(user, password))
        .await?
        .map_err(|(e, _)| e)
        .context("IMAP login")?;
    let _ = session.create(mailbox).await;
    let selected = session.select(mailbox).await?;
    if selected.exists > 0 {
        // A fresh mailbox for every run.
        session
            .uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await?;
        session.expunge().await?.try_collect::<Vec<_>>().await?;
    }
    let mut generator = Generator::new(7);
    for _ in 0..count {
        let raw = generator.next_message();
        tokio::time::timeout(T, session.append(mailbox, None, None, &raw))
            .await?
            .context("IMAP APPEND")?;
    }
    let _ = session.logout().await;
    Ok(generator.bytes)
}

// ---------------------------------------------------------------------------
// Realistic generated mail.

const FIRST: &[&str] = &[
    "Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indra", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Oki", "Putri", "Rizky", "Sari", "Taufik", "Wulan", "Yusuf", "Zahra",
    "Andi", "Bayu", "Dian",
];
const LAST: &[&str] = &[
    "Pratama", "Santoso", "Wijaya", "Hidayat", "Siregar", "Nasution", "Saputra", "Kusuma", "Halim",
    "Gunawan",
];
const SUBJECTS: &[&str] = &[
    "Internet lambat di gedung B",
    "Printer lantai 3 tidak bisa mencetak",
    "Lupa password email",
    "VPN tidak bisa connect dari rumah",
    "Laptop mati total setelah update Windows",
    "Permintaan akses ke shared folder Keuangan",
    "Outlook keeps asking for my password",
    "Cannot join Teams meeting – audio error",
    "Monitor berkedip terus",
    "Permintaan instalasi AutoCAD 2024",
    "Wi-Fi tamu tidak ada internet",
    "Email ke klien kena bounce",
    "Keyboard rusak, mohon diganti",
    "New employee onboarding: laptop & account",
    "Aplikasi SAP error saat login",
    "Phishing email received, please check",
    "Proyektor ruang rapat tidak terdeteksi",
    "Disk C penuh, komputer sangat lambat",
    "Please reset my MFA device",
    "Akun terkunci setelah salah password",
];
const PLACES: &[&str] = &[
    "lantai 2",
    "lantai 5",
    "gedung A",
    "cabang Surabaya",
    "kantor Bandung",
    "ruang rapat Merapi",
    "gudang Cikarang",
];
const SENTENCES: &[&str] = &[
    "Sejak tadi pagi masalah ini muncul terus dan belum ada perubahan.",
    "Saya sudah mencoba restart komputer tapi hasilnya tetap sama.",
    "Mohon bantuannya karena pekerjaan saya jadi terhambat.",
    "Beberapa rekan di ruangan yang sama juga mengalami hal serupa.",
    "Pesan error yang muncul: \"The operation could not be completed (0x80070005)\".",
    "This started after the update last night and happens every time I log in.",
    "I have already cleared the cache and tried another browser, without success.",
    "Could someone from the network team take a look today, please?",
    "Nomor aset laptop saya ada di stiker bagian bawah, silakan dicek.",
    "Kalau perlu remote, saya ada di meja sampai jam lima sore.",
    "Deadline laporan bulanan jatuh hari Jumat, jadi cukup mendesak.",
    "Screenshot sudah saya lampirkan kalau memungkinkan.",
    "The issue seems to be limited to the second floor; the ground floor works fine.",
    "Terima kasih sebelumnya atas bantuan dan kerja samanya.",
    "Koneksi kabel LAN juga sudah saya cabut dan pasang kembali.",
    "Our auditors need access to the shared drive by Wednesday.",
];

struct Sent {
    ticket: u64,
    message_id: String,
    subject: String,
    date: String,
    from: String,
    /// The sender's name and address, for their replies.
    name: String,
    addr: String,
}

/// Deterministic mail: ~50 senders, subjects in Indonesian and English,
/// a 1–3 KB text body, every 10th message with a small base64 attachment,
/// and about one in ten a reply (by subject tag or by In-Reply-To) to an
/// earlier message, so threading is exercised: nine in ten of those from
/// the earlier message's sender (a requester answering), the rest from
/// another sender (a colleague who was not in the conversation, whose mail
/// is a non-participant's note).
struct Generator {
    rng: StdRng,
    nonce: u64,
    n: usize,
    originals: Vec<Sent>,
    new_tickets: usize,
    replies: usize,
    bytes: usize,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            nonce: now() as u64 ^ (std::process::id() as u64) << 32,
            n: 0,
            originals: Vec::new(),
            new_tickets: 0,
            replies: 0,
            bytes: 0,
        }
    }

    fn sender(&mut self) -> (String, String) {
        let k = self.rng.random_range(0..50usize);
        let first = FIRST[k % FIRST.len()];
        let last = LAST[(k / FIRST.len() * 3 + k) % LAST.len()];
        (
            format!("{first} {last}"),
            format!("{}.{}@corp.test", first.to_lowercase(), last.to_lowercase()),
        )
    }

    fn body(&mut self, name: &str) -> String {
        let target = self.rng.random_range(1000..3000usize);
        let mut s = String::from("Halo tim IT,\n\n");
        while s.len() < target {
            let sentence = SENTENCES[self.rng.random_range(0..SENTENCES.len())];
            s.push_str(sentence);
            s.push(if self.rng.random_bool(0.25) {
                '\n'
            } else {
                ' '
            });
        }
        let _ = write!(
            s,
            "\n\nSalam,\n{name}\nDivisi Operasional\nExt. {}\n",
            self.rng.random_range(1000..9999)
        );
        s
    }

    fn next_message(&mut self) -> Vec<u8> {
        let i = self.n;
        self.n += 1;
        let date = format!(
            "Mon, 23 Nov 2026 {:02}:{:02}:{:02} +0700",
            8 + (i / 3600) % 10,
            (i / 60) % 60,
            i % 60
        );
        let message_id = format!("bench.{i}.{:x}@mail.corp.test", self.nonce);
        let reply = i >= 20 && !self.originals.is_empty() && self.rng.random_bool(0.1);
        let (name, addr, subject, threading, quote) = if reply {
            let k = self.rng.random_range(0..self.originals.len());
            let by_tag = self.rng.random_bool(0.5);
            let p = &self.originals[k];
            let (subject, threading) = if by_tag {
                (
                    format!("Re: [Helpdesk #{}] {}", p.ticket, p.subject),
                    String::new(),
                )
            } else {
                (
                    format!("Re: {}", p.subject),
                    format!(
                        "In-Reply-To: <{}>\r\nReferences: <{}>\r\n",
                        p.message_id, p.message_id
                    ),
                )
            };
            let quote = format!(
                "\nPada {}, {} menulis:\n> Halo tim IT,\n> \n> (pesan sebelumnya)\n",
                p.date, p.from
            );
            let (name, addr) = if self.rng.random_bool(0.9) {
                (p.name.clone(), p.addr.clone())
            } else {
                self.sender()
            };
            self.replies += 1;
            (name, addr, subject, threading, quote)
        } else {
            let (name, addr) = self.sender();
            let mut subject = SUBJECTS[self.rng.random_range(0..SUBJECTS.len())].to_string();
            if self.rng.random_bool(0.5) {
                let _ = write!(
                    subject,
                    " ({})",
                    PLACES[self.rng.random_range(0..PLACES.len())]
                );
            }
            self.new_tickets += 1;
            self.originals.push(Sent {
                ticket: self.new_tickets as u64,
                message_id: message_id.clone(),
                subject: subject.clone(),
                date: date.clone(),
                from: format!("{name} <{addr}>"),
                name: name.clone(),
                addr: addr.clone(),
            });
            (name, addr, subject, String::new(), String::new())
        };
        let text = self.body(&name) + &quote;
        let mut m = String::with_capacity(text.len() + 2048);
        let _ = write!(
            m,
            "Return-Path: <{addr}>\r\n\
             Received: from mail.corp.test (mail.corp.test [10.0.0.5])\r\n\tby mx.corp.test with ESMTPS id {i:x}; {date}\r\n\
             From: \"{name}\" <{addr}>\r\n\
             To: IT Helpdesk <helpdesk@corp.test>\r\n\
             Subject: {}\r\n\
             Date: {date}\r\n\
             Message-ID: <{message_id}>\r\n\
             {threading}\
             MIME-Version: 1.0\r\n",
            encode_header(&subject)
        );
        if i % 10 == 9 {
            let mut data = vec![0u8; self.rng.random_range(2048..8192usize)];
            self.rng.fill_bytes(&mut data);
            let _ = write!(
                m,
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
                 --b{i}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                 {}\r\n--b{i}\r\nContent-Type: image/png; name=\"layar-{i}.png\"\r\n\
                 Content-Disposition: attachment; filename=\"layar-{i}.png\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n",
                crlf(&text)
            );
            base64_lines(&data, &mut m);
            let _ = write!(m, "--b{i}--\r\n");
        } else {
            let _ = write!(
                m,
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
                crlf(&text)
            );
        }
        self.bytes += m.len();
        m.into_bytes()
    }
}

fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// RFC 2047 B-encoding when the text is not plain ASCII.
fn encode_header(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::from("=?UTF-8?B?");
    base64(s.as_bytes(), &mut out);
    out.push_str("?=");
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Base64 in 76-character lines, each ended by CRLF.
fn base64_lines(data: &[u8], out: &mut String) {
    for line in data.chunks(57) {
        base64(line, out);
        out.push_str("\r\n");
    }
}

/// Writes a message with a `size`-byte attachment to `path` in pieces, so
/// generating it costs almost no memory; returns the file's size.
fn write_big_message(path: &Path, size: usize) -> Result<u64> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        f,
        "From: \"Rizky Pratama\" <rizky.pratama@corp.test>\r\n\
         To: IT Helpdesk <helpdesk@corp.test>\r\n\
         Subject: Log server produksi (besar)\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\
         Message-ID: <big.{}@mail.corp.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"BIG\"\r\n\r\n\
         --BIG\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         Halo tim IT,\r\n\r\nTerlampir log server produksi untuk dianalisis.\r\n\r\nSalam,\r\nRizky\r\n\
         --BIG\r\nContent-Type: application/octet-stream; name=\"server.log.bin\"\r\n\
         Content-Disposition: attachment; filename=\"server.log.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
        now()
    )?;
    let mut rng = StdRng::seed_from_u64(25);
    let mut chunk = vec![0u8; 57 * 1024];
    let mut line = String::with_capacity(80 * 1024);
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        rng.fill_bytes(&mut chunk[..n]);
        line.clear();
        base64_lines(&chunk[..n], &mut line);
        f.write_all(line.as_bytes())?;
        left -= n;
    }
    f.write_all(b"--BIG--\r\n")?;
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut s = String::new();
            base64(input.as_bytes(), &mut s);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn generated_mail_parses_and_threads() {
        let mut g = Generator::new(1);
        for _ in 0..200 {
            let raw = g.next_message();
            let m = posko::parse::parse(&raw, "corp.test").expect("parses");
            assert!(m.from.is_some());
            assert!(m.auto.is_none(), "{:?}", m.auto);
        }
        assert!(g.replies > 0 && g.new_tickets > 150);
    }
}
