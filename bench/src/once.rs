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
    for round in 1..=rounds {
        for (i, bin) in binaries.iter().enumerate() {
            let r = run(bin, count, db)?;
            let line = format!(
                "round {round} {:<12} {count} mails in {:.2} s = {:.0} msg/s; {} mails written",
                label(i),
                r.secs,
                count as f64 / r.secs,
                r.written
            );
            println!("{line}");
            let _ = writeln!(table, "{line}");
        }
    }
    println!("\nrun --once → {}:\n{table}", backend_name(db));
    Ok(())
}

struct Run {
    secs: f64,
    written: usize,
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
    let t = Instant::now();
    let out = posko_cmd(bin, &cfg, &["run", "--once"])?;
    let secs = t.elapsed().as_secs_f64();
    let left = std::fs::read_dir(dir.path().join("mail/new"))?.count();
    if left > 0 {
        bail!("{left} messages left in new/ after run --once: {out}");
    }
    let written = std::fs::read_dir(dir.path().join("outbox"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    Ok(Run { secs, written })
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
