//! `posko-bench once`: the whole pass, end to end, for one or more posko
//! binaries side by side.
//!
//! Each run is a fresh desk (the bench configuration of `desk.rs`, file
//! transport) with `count` generated messages in its Maildir, and a fresh
//! database: a SQLite file, or a PostgreSQL database made for the run on
//! the server `--db` names (dropped after). `BIN migrate` runs first, not
//! timed; then `BIN run --once` is timed: intake, the SLA scan, the outbox
//! writing every acknowledgment and notice as a file. The binaries take
//! turns within each round, so a drift of the machine touches them alike.
//!
//! Each run's line also splits the pass: `intake` from the start of the
//! process to its last "new ticket" log line (posko logs each at info; the
//! run keeps posko's `ingest` and `outbox` at info, the rest at warn),
//! `after` the rest (SLA scan, digest, the outbox writing every mail out,
//! exit); and the CPU the process used (user + sys, from `wait4`).
//!
//! The work directories (thousands of files each) are removed only after
//! the last round: removing one frees inodes that the file system then
//! reuses slowly, and the next run's allocations paid for it.

use std::process::{Command, Stdio};

use super::*;

pub(crate) fn bench(
    binaries: &[PathBuf],
    labels: &[String],
    count: usize,
    db: &str,
    rounds: usize,
) -> Result<()> {
    if binaries.is_empty() {
        bail!("name at least one posko binary with --posko");
    }
    let binaries = binaries
        .iter()
        .map(|b| std::fs::canonicalize(b).with_context(|| format!("no binary {}", b.display())))
        .collect::<Result<Vec<_>>>()?;
    let label = |i: usize| {
        labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| binaries[i].display().to_string())
    };
    let mut table = String::new();
    // Kept until every round is done (see the module header).
    let mut dirs = Vec::new();
    for round in 1..=rounds {
        for (i, bin) in binaries.iter().enumerate() {
            let r = run(bin, count, db)?;
            let line = format!(
                "round {round} {:<12} {count} mails in {:.2} s = {:.0} msg/s \
                 (intake {:.2} s, after {:.2} s; cpu {:.2} s); {} mails written",
                label(i),
                r.secs,
                count as f64 / r.secs,
                r.intake,
                r.secs - r.intake,
                r.cpu,
                r.written
            );
            println!("{line}");
            let _ = writeln!(table, "{line}");
            dirs.push(r.dir);
        }
    }
    drop(dirs);
    println!("\nrun --once → {}:\n{table}", backend_name(db));
    Ok(())
}

struct Run {
    secs: f64,
    /// From the start to the last message taken in.
    intake: f64,
    /// User + system CPU seconds of the process.
    cpu: f64,
    written: usize,
    dir: TempDirGuard,
}

fn backend_name(db: &str) -> &'static str {
    if db.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

fn run(bin: &Path, count: usize, db: &str) -> Result<Run> {
    let dir = workdir(false)?;
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.path().join("mail").join(sub))?;
    }
    let pg = match backend_name(db) {
        "postgres" => Some(PgScratch::create(db)?),
        _ => None,
    };
    let url = match &pg {
        Some(p) => p.url.clone(),
        None => database_url(dir.path(), "sqlite"),
    };
    config(dir.path(), &url, &Inbound::Maildir, "50MB")?;
    let mut generator = Generator::new(42);
    for i in 0..count {
        deliver_numbered(dir.path(), i, &generator.next_message())?;
    }
    let cfg = dir.path().join("posko.toml");
    posko_cmd(bin, &cfg, &["migrate"])?;
    let timed = timed_pass(bin, &cfg, dir.path())?;
    let left = std::fs::read_dir(dir.path().join("mail/new"))?.count();
    if left > 0 {
        bail!("{left} messages left in new/ after run --once");
    }
    let written = std::fs::read_dir(dir.path().join("outbox"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    Ok(Run {
        secs: timed.secs,
        intake: timed.intake,
        cpu: timed.cpu,
        written,
        dir,
    })
}

struct Timed {
    secs: f64,
    intake: f64,
    cpu: f64,
}

/// Runs `bin run --once`, its log in `dir/once.log`: wall time, the time
/// to its last "new ticket" line, and its CPU time.
fn timed_pass(bin: &Path, cfg: &Path, dir: &Path) -> Result<Timed> {
    let log = dir.join("once.log");
    let started_wall = std::time::SystemTime::now();
    let t = Instant::now();
    let child = Command::new(bin)
        .arg("--config")
        .arg(cfg)
        .args(["--log-format", "text", "run", "--once"])
        .env("RUST_LOG", "warn,posko::ingest=info,posko::outbox=info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut status = 0;
    // SAFETY: `rusage` is a plain C struct that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with pointers to live locals; the
    // `Child` is not waited on again (dropping it does not wait).
    let r = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let secs = t.elapsed().as_secs_f64();
    if r < 0 {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{} run --once failed: {text}", bin.display());
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let start = started_wall
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64();
    let intake = text
        .lines()
        .filter(|l| l.contains("new ticket"))
        .filter_map(line_time)
        .next_back()
        .map(|at| day_seconds_since(start, at))
        .unwrap_or(0.0);
    Ok(Timed {
        secs,
        intake,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    })
}

/// Seconds into its UTC day of a log line (`2026-12-01T04:40:12.123456Z …`).
fn line_time(line: &str) -> Option<f64> {
    let (_, rest) = line.split_once('T')?;
    let clock = rest.get(..rest.find('Z')?)?;
    let mut parts = clock.splitn(3, ':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// `at` (seconds into a UTC day) less `start` (seconds since the epoch),
/// across midnight too.
fn day_seconds_since(start: f64, at: f64) -> f64 {
    let start_of_day = start.rem_euclid(86_400.0);
    (at - start_of_day).rem_euclid(86_400.0)
}

/// Runs `bin --config cfg args…`; its standard output, or why it failed.
fn posko_cmd(bin: &Path, cfg: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "{} {args:?} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A PostgreSQL database for one run, dropped with it.
struct PgScratch {
    admin: String,
    name: String,
    url: String,
}

impl PgScratch {
    fn create(admin: &str) -> Result<PgScratch> {
        let name = format!(
            "posko_bench_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        psql(admin, &format!("CREATE DATABASE {name}"))?;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
        Ok(PgScratch {
            admin: admin.to_string(),
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let _ = psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, statement: &str) -> Result<()> {
    let status = Command::new("psql")
        .arg(url)
        .arg("-qc")
        .arg(statement)
        .stdout(Stdio::null())
        .status()
        .context("cannot run psql")?;
    if !status.success() {
        bail!("psql {statement:?} failed");
    }
    Ok(())
}
