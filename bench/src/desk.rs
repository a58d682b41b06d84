//! A throw-away desk for one bench: its temp dir, database and configuration.

use super::*;

/// Profiles only the ingest: with `perf record -D -1 --control
/// fifo:CTL` and `BENCH_PERF_CTL=CTL`, perf is switched on and off around it
/// (generating the messages is not what is measured).
pub(crate) fn perf_control(cmd: &str) {
    if let Some(path) = std::env::var_os("BENCH_PERF_CTL")
        && let Err(e) = std::fs::write(&path, format!("{cmd}\n"))
    {
        eprintln!("BENCH_PERF_CTL: {e}");
    }
}

/// A fresh directory for one run. Its name has a counter besides the
/// process and the second: runs now take under a second, and two of one
/// bench (`once`, old then new) started in the same second shared a
/// directory, the second run finding the first's mail already taken in
/// (a pass of 0.27 s "at 7,450 msg/s" that took in nothing). A directory
/// left from before is an error, not reused.
pub(crate) fn workdir(keep: bool) -> Result<TempDirGuard> {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "posko-bench-{}-{}-{run}",
        std::process::id(),
        now()
    ));
    std::fs::create_dir(&path).with_context(|| format!("cannot make {}", path.display()))?;
    if keep {
        eprintln!("working in {} (kept)", path.display());
    }
    Ok(TempDirGuard { path, keep })
}

/// A directory removed on drop unless kept.
pub(crate) struct TempDirGuard {
    pub(crate) path: PathBuf,
    keep: bool,
}

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

pub(crate) fn database_url(dir: &Path, db: &str) -> String {
    if db == "sqlite" {
        format!("sqlite://{}/posko.db", dir.display())
    } else {
        db.to_string()
    }
}

pub(crate) enum Inbound {
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
pub(crate) fn config(
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

pub(crate) fn now() -> i64 {
    posko::mail::compose::wall_clock()
}

impl TempDirGuard {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
