//! Runs the real `posko` binary against a [`MailStack`] and a fresh database.
//!
//! Each [`Posko`] has its own temp dir with a configuration file that points
//! at the stack's IMAP and SMTP ports, and its own database: a SQLite file,
//! or a new PostgreSQL database on `POSKO_TEST_PG` (dropped afterwards).
//! Tests talk to posko only through its command line, as an admin would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::mailstack::{MailStack, PASSWORD};

/// What [`Posko::cmd_measured`] saw.
#[derive(Debug)]
pub struct Measured {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    pub peak_rss_mb: f64,
    pub secs: f64,
    /// It ran past its timeout and was killed.
    pub killed: bool,
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The environment variable the test configuration names for the IMAP password.
pub const IMAP_PASSWORD_ENV: &str = "POSKO_TEST_IMAP_PASSWORD";

/// `[inbound]`/`[outbound]` of a desk reading a Maildir (`mail`) and
/// writing its mail as files (`outbox`), for [`Posko::from_parts`].
pub const MAILDIR_TO_FILES: &str = r#"
[inbound]
kind = "maildir"
path = "mail"

[outbound]
kind = "file"
path = "outbox"
"#;

fn pg_admin_url() -> String {
    std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A posko installation under test.
pub struct Posko {
    pub dir: TempDir,
    pub config: PathBuf,
    pub db_url: String,
    /// Extra environment for every command (e.g. a fault-injection hook).
    pub env: Vec<(String, String)>,
    /// The port of the daemon's web listener (`[web] listen`), free when
    /// the configuration was written.
    pub web_port: u16,
    pg_db: Option<String>,
    daemon: Option<Child>,
}

/// Knobs for the generated configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Extra `[desk]` lines.
    pub desk_extra: String,
    /// Extra `[inbound]` lines.
    pub inbound_extra: String,
    /// Extra `[outbound]` lines.
    pub outbound_extra: String,
    pub idle: bool,
    /// Include the shipped groups, catalogue, priority matrix and rules
    /// (from the repository's `config/posko.toml`).
    pub catalogue: bool,
    /// Extra sections at the end of the file (e.g. more `[[rule]]`s).
    pub extra: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            desk_extra: String::new(),
            inbound_extra: String::new(),
            outbound_extra: String::new(),
            idle: true,
            catalogue: false,
            extra: String::new(),
        }
    }
}

impl Posko {
    /// A posko reading `helpdesk@corp.test` over IMAP and sending over SMTP.
    pub async fn new(backend: Backend, stack: &MailStack) -> Posko {
        Posko::with(backend, stack, Options::default()).await
    }

    pub async fn with(backend: Backend, stack: &MailStack, o: Options) -> Posko {
        let body = format!(
            r#"
[inbound]
kind = "imap"
host = "127.0.0.1"
port = {imap}
security = "none"
username = "helpdesk"
password_env = "{IMAP_PASSWORD_ENV}"
mailbox = "INBOX"
idle = {idle}
poll_interval = "1s"
timeout = "10s"
{inbound_extra}

[outbound]
kind = "smtp"
host = "127.0.0.1"
port = {smtp}
security = "none"
timeout = "10s"
poll_interval = "1s"
{outbound_extra}
"#,
            imap = stack.imap_port(),
            smtp = stack.smtp_port(),
            idle = o.idle,
            inbound_extra = o.inbound_extra,
            outbound_extra = o.outbound_extra,
        );
        let mut extra = if o.catalogue {
            shipped_catalogue()
        } else {
            String::new()
        };
        extra.push_str(&o.extra);
        Posko::from_parts_with(backend, &o.desk_extra, &body, &extra).await
    }

    /// A posko with the given `[inbound]`/`[outbound]` sections (the desk,
    /// database and staff sections are filled in).
    pub async fn from_parts(backend: Backend, desk_extra: &str, io_sections: &str) -> Posko {
        Posko::from_parts_with(backend, desk_extra, io_sections, "").await
    }

    /// [`Posko::from_parts`] with `extra` sections at the end of the file.
    pub async fn from_parts_with(
        backend: Backend,
        desk_extra: &str,
        io_sections: &str,
        extra: &str,
    ) -> Posko {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, pg_db) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/posko.db", dir.path().display()), None),
            Backend::Postgres => {
                let name = format!("posko_t_{:016x}", rand::random::<u64>());
                let admin = pg_admin_url();
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} (POSKO_TEST_PG): {e}"));
                sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await
                .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                (format!("{base}/{name}"), Some(name))
            }
        };
        let config = dir.path().join("posko.toml");
        // Every daemon its own port: the default 8080 would be shared.
        let web_port = free_port();
        let web = if io_sections.contains("[web]") || extra.contains("[web]") {
            String::new()
        } else {
            format!("[web]\nlisten = \"127.0.0.1:{web_port}\"\n")
        };
        let text = format!(
            r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
aliases = ["security@corp.test"]
tag = "Helpdesk"
language = "id"
timezone = "Asia/Jakarta"
{desk_extra}

[database]
url = "{db_url}"

{io_sections}

{web}

[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1

[[staff]]
name = "Budi Santoso"
email = "budi@corp.test"
handle = "budi"
level = 2
groups = ["network"]

[[staff]]
name = "Hendra Gunawan"
email = "manager@corp.test"
handle = "hendra"
level = 2
role = "manager"

[[staff]]
name = "Ratna Kusuma"
email = "director@corp.test"
handle = "ratna"
level = 2
role = "manager"

{extra}
"#
        );
        std::fs::write(&config, text).expect("write config");
        Posko {
            dir,
            config,
            db_url,
            env: Vec::new(),
            web_port,
            pg_db,
            daemon: None,
        }
    }

    /// `posko --config … <args>`, waiting for it to finish.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run posko")
    }

    /// Like [`Posko::cmd`] with `stdin` fed to the process.
    pub fn cmd_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn posko");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin)
            .expect("write stdin");
        child.wait_with_output().expect("wait posko")
    }

    /// The `posko --config … <args>` command, not started: for tests that
    /// run several at once.
    pub fn command(&self, args: &[&str]) -> Command {
        // `POSKO_TEST_BIN`: another build (a release one, or the baseline's) for
        // the long runs of scripts/fleet.sh and scripts/crash_test.sh.
        let bin =
            std::env::var("POSKO_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_posko").into());
        let mut c = Command::new(bin);
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .env(IMAP_PASSWORD_ENV, PASSWORD)
            .env("RUST_LOG", "posko=debug")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// `posko … <args>`, killed past `timeout`, with its peak resident set:
    /// for the tests that a message costs bounded memory. The peak is the
    /// child's `VmHWM`, read while it runs (`wait4`'s `ru_maxrss` would
    /// include this test process's own size, which the child had before
    /// its exec).
    pub fn cmd_measured(&self, args: &[&str], timeout: Duration) -> Measured {
        let out_path = self.dir.path().join("measured.stdout");
        let err_path = self.dir.path().join("measured.stderr");
        let started = std::time::Instant::now();
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .expect("spawn posko");
        let mut child = child;
        let status_file = format!("/proc/{}/status", child.id());
        let mut killed = false;
        let mut peak_kb = 0u64;
        let status = loop {
            let hwm = std::fs::read_to_string(&status_file)
                .ok()
                .and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                    line.split_whitespace().nth(1)?.parse::<u64>().ok()
                })
                .unwrap_or(0);
            peak_kb = peak_kb.max(hwm);
            if let Some(status) = child.try_wait().expect("wait for posko") {
                break status;
            }
            if !killed && started.elapsed() > timeout {
                let _ = child.kill();
                killed = true;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Measured {
            success: status.success(),
            stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
            peak_rss_mb: peak_kb as f64 / 1024.0,
            secs: started.elapsed().as_secs_f64(),
            killed,
        }
    }

    /// `run --once`, which must succeed; returns its stdout.
    pub fn run_once(&self) -> String {
        ok(self.cmd(&["run", "--once"]), "run --once")
    }

    /// `run --once --now <instant>`.
    pub fn run_once_at(&self, now: &str) -> String {
        ok(
            self.cmd(&["run", "--once", "--now", now]),
            "run --once --now",
        )
    }

    /// Starts the daemon (`posko run`) in the background.
    pub fn start_daemon(&mut self) {
        assert!(self.daemon.is_none(), "daemon already running");
        // Appended to: a daemon restarted after a crash keeps the earlier log.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("daemon.log"))
            .expect("log file");
        let child = self
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn posko run");
        self.daemon = Some(child);
    }

    /// SIGTERM to the daemon; waits (bounded) and returns whether it exited 0.
    pub fn stop_daemon(&mut self) -> bool {
        let mut child = self.daemon.take().expect("no daemon running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait daemon") {
                return status.success();
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "daemon did not stop within 20 s of SIGTERM\n{}",
                    self.daemon_log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL to the daemon, as a crash or the OOM killer would; waits for
    /// it to be gone.
    pub fn kill_daemon(&mut self) {
        let mut child = self.daemon.take().expect("no daemon running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Another installation on this one's database (a second instance of a
    /// fleet): its own dir, configuration and web port, the same database,
    /// which stays this one's to drop.
    pub fn sharing(&self) -> Posko {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("posko.toml");
        let web_port = free_port();
        let text = std::fs::read_to_string(&self.config).expect("read config");
        let text = text.replace(
            &format!("127.0.0.1:{}", self.web_port),
            &format!("127.0.0.1:{web_port}"),
        );
        std::fs::write(&config, text).expect("write config");
        Posko {
            dir,
            config,
            db_url: self.db_url.clone(),
            env: self.env.clone(),
            web_port,
            pg_db: None,
            daemon: None,
        }
    }

    /// Points this installation at another database (e.g. a PostgreSQL a
    /// test starts and restarts itself); the one made for it stays unused.
    pub fn use_database(&mut self, url: &str) {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        let text = text.replace(
            &format!("url = \"{}\"", self.db_url),
            &format!("url = \"{url}\""),
        );
        std::fs::write(&self.config, text).expect("write config");
        self.db_url = url.to_string();
    }

    /// The daemon's process id.
    pub fn daemon_pid(&self) -> u32 {
        self.daemon.as_ref().expect("no daemon running").id()
    }

    /// Sends `signal` ("HUP", "TERM", …) to the daemon.
    pub fn signal_daemon(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.daemon_pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Whether the daemon is still running.
    pub fn daemon_running(&mut self) -> bool {
        let child = self.daemon.as_mut().expect("no daemon running");
        child.try_wait().expect("wait daemon").is_none()
    }

    /// Whether a daemon was started (and not killed) and still runs.
    pub fn daemon_running_opt(&mut self) -> bool {
        self.daemon.is_some() && self.daemon_running()
    }

    /// `GET path` on the daemon's web listener: status and body.
    pub async fn http_get(&self, path: &str) -> (u16, String) {
        http_request(
            self.web_port,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.daemon_log()))
    }

    /// Polls `GET path` until it answers `status`, within `timeout`;
    /// returns the body, or panics with the last answer and the log.
    pub async fn wait_http(&self, path: &str, status: u16, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        let mut last = None;
        while std::time::Instant::now() < deadline {
            match http_request(
                self.web_port,
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            {
                Ok((s, body)) if s == status => return body,
                other => last = Some(other),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "GET {path} did not answer {status} within {timeout:?}; last: {last:?}\n{}",
            self.daemon_log()
        )
    }

    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Every ticket (`tickets list --json --all`).
    pub fn tickets(&self) -> Vec<Value> {
        let out = ok(
            self.cmd(&["tickets", "list", "--json", "--all"]),
            "tickets list",
        );
        serde_json::from_str(&out).expect("tickets list JSON")
    }

    /// One ticket with messages and events (`tickets show ID --json`).
    pub fn ticket(&self, id: i64) -> Value {
        let out = ok(
            self.cmd(&["tickets", "show", &id.to_string(), "--json"]),
            "tickets show",
        );
        serde_json::from_str(&out).expect("tickets show JSON")
    }

    /// The ticket whose subject is `subject`, with messages and events.
    pub fn ticket_titled(&self, subject: &str) -> Value {
        let id = self
            .tickets()
            .into_iter()
            .find(|t| t["subject"] == subject)
            .unwrap_or_else(|| panic!("no ticket {subject:?}"))["id"]
            .as_i64()
            .expect("ticket id");
        self.ticket(id)
    }

    /// Polls `tickets list` until `n` tickets exist (for daemon tests).
    pub async fn wait_for_tickets(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let t = self.tickets();
            if t.len() >= n {
                return t;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "expected {n} tickets, have {}\n{}",
                    t.len(),
                    self.daemon_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Mail not yet sent (`outbox list --json`).
    pub fn outbox_unsent(&self) -> Vec<Value> {
        let out = ok(self.cmd(&["outbox", "list", "--json"]), "outbox list");
        serde_json::from_str(&out).expect("outbox JSON")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The reply address the desk gives staff member `handle` about
    /// `ticket` (`None`: their personal address, for new tickets), as if
    /// issued at `at`: made with the key that signs now, read from posko's
    /// database (keys kept there, the default).
    pub async fn staff_address(&self, handle: &str, ticket: Option<i64>, at: i64) -> String {
        let keys =
            posko::staff_token::KeyRing::new(self.staff_keys().await).expect("a signing key");
        let token = posko::staff_token::issue(&keys, handle, ticket, at);
        format!("helpdesk+{token}@corp.test")
    }

    /// The keys of the staff tokens in posko's database.
    pub async fn staff_keys(&self) -> Vec<posko::staff_token::Key> {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .expect("connect to posko's database");
        posko::store::staff_keys::load(&mut c)
            .await
            .expect("read staff_keys")
    }

    /// Runs one SQL statement on posko's database, for setting up states
    /// that later work will reach by mail (closing a ticket, say).
    pub async fn sql(&self, statement: &str) {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .expect("connect to posko's database");
        sqlx::Executor::execute(&mut c, sqlx::AssertSqlSafe(statement.to_string()))
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

impl Drop for Posko {
    fn drop(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(name) = &self.pg_db {
            let _ = Command::new("psql")
                .arg(pg_admin_url())
                .arg("-qc")
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The classification part of the shipped `config/posko.toml`: groups,
/// catalogue, priority matrix and rules, between its marker lines.
pub fn shipped_catalogue() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/posko.toml");
    let text = std::fs::read_to_string(path).expect("read config/posko.toml");
    let start = text
        .find("# --- catalogue: begin ---")
        .expect("begin marker in config/posko.toml");
    let end = text
        .find("# --- catalogue: end ---")
        .expect("end marker in config/posko.toml");
    text[start..end].to_string()
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Sends `request` as is to 127.0.0.1:`port` and reads the answer to the
/// end (the request should say `Connection: close`): status and body.
pub async fn http_request(port: u16, request: &[u8]) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(request).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::other("no answer within 20 s"))??;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// The wall clock, in seconds since 1970 (what `run --once` acts at).
pub fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The stdout of a command that must have succeeded; else a panic with all output.
pub fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        panic!(
            "posko {what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stdout
}

/// Generates a test per backend: `both!(name)` expects `async fn name(Backend)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::posko::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::posko::Backend::Postgres).await
            }
        }
    };
}
