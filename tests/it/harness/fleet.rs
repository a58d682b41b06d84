//! Pieces for the fleet and crash tests (issue 14, stories 5 and 6): a
//! generated mail set with replies, a census of what posko made of it
//! (comparable between runs), bulk delivery into IMAP and a Maildir, and a
//! private PostgreSQL a test may stop and restart without disturbing the
//! shared one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;
use tempfile::TempDir;

use super::mail;
use super::mailstack::MailStack;
use super::posko::free_port;

/// Originals and replies are this far apart in delivery order: more than a
/// batch (200), so a reply is never in the same transaction as its
/// original, whatever batch a crash and a restart cut.
const REPLY_DISTANCE: usize = 250;

/// One generated message.
pub struct Generated {
    /// The envelope sender (alice or bob).
    pub from: String,
    pub message_id: String,
    /// The Message-ID of the original it answers, for a reply.
    pub reply_to: Option<String>,
    pub raw: Vec<u8>,
}

fn is_reply(i: usize) -> bool {
    i >= REPLY_DISTANCE && i.is_multiple_of(5)
}

/// `n` messages tagged `tag` (distinct Message-IDs per set): originals from
/// alice and bob, and every fifth after the first [`REPLY_DISTANCE`] a
/// reply (In-Reply-To, References, "Re:") to an original 250 or more
/// earlier, which becomes a comment on its ticket.
pub fn generate(n: usize, tag: &str) -> Vec<Generated> {
    let mut out: Vec<Generated> = Vec::with_capacity(n);
    for i in 0..n {
        let who = if i.is_multiple_of(2) { "alice" } else { "bob" };
        let from = format!("{who}@corp.test");
        let message_id = format!("{tag}.{i}@mail.corp.test");
        if is_reply(i) {
            let mut j = i - REPLY_DISTANCE;
            while is_reply(j) {
                j -= 1;
            }
            let orig = &out[j];
            let subject = format!("Re: {}", mail::subject(&orig.raw));
            let extra = format!(
                "In-Reply-To: <{0}>\r\nReferences: <{0}>\r\n",
                orig.message_id
            );
            let body = format!("Masih bermasalah, catatan nomor {i} untuk laporan {j}.");
            let raw = mail::plain(&orig.from, &subject, &message_id, &extra, &body);
            out.push(Generated {
                from: orig.from.clone(),
                reply_to: Some(orig.message_id.clone()),
                message_id,
                raw,
            });
        } else {
            let subject = format!("Printer ruang {i} tidak bisa mencetak ({tag})");
            let body = format!("Halo, printer di ruang {i} macet sejak pagi. Laporan {tag}-{i}.");
            let raw = mail::plain(&from, &subject, &message_id, "", &body);
            out.push(Generated {
                from,
                reply_to: None,
                message_id,
                raw,
            });
        }
    }
    out
}

/// How many originals (tickets to be) and replies (comments) `set` holds.
pub fn counts(set: &[Generated]) -> (usize, usize) {
    let replies = set.iter().filter(|g| g.reply_to.is_some()).count();
    (set.len() - replies, replies)
}

/// APPENDs `set` to `user`'s INBOX over one IMAP session, `pause` between
/// messages (mail arriving while daemons run).
pub async fn append_all(stack: &MailStack, user: &str, set: &[Generated], pause: Duration) {
    let mut session = stack.imap_login(user).await;
    for g in set {
        tokio::time::timeout(
            Duration::from_secs(30),
            session.append("INBOX", None, None, &g.raw),
        )
        .await
        .expect("APPEND timed out")
        .expect("APPEND");
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
}

/// Writes `set` into the Maildir at `root` the Maildir way (tmp/ then a
/// rename into new/), named in order so intake reads them in order.
pub fn fill_maildir(root: &Path, set: &[Generated]) {
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(root.join(sub)).expect("maildir dirs");
    }
    for (i, g) in set.iter().enumerate() {
        let name = format!("{i:06}.fleet");
        let tmp = root.join("tmp").join(&name);
        std::fs::write(&tmp, &g.raw).expect("write maildir message");
        std::fs::rename(&tmp, root.join("new").join(&name)).expect("move into new/");
    }
}

/// What posko made of a mail set, keyed by Message-IDs rather than row ids,
/// so an interrupted run compares with an uninterrupted one. Each entry
/// counts: a duplicate shows as a 2, a loss as a missing entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Census {
    pub tickets: i64,
    pub quarantined: i64,
    /// "in <original's Message-ID> <Message-ID>": each inbound message on
    /// the ticket its thread belongs to.
    pub inbound: BTreeMap<String, u32>,
    /// "out <original's Message-ID> <kind> <recipient> <status>".
    pub outbound: BTreeMap<String, u32>,
}

const ORIGIN: &str = "(SELECT o.message_id FROM messages o WHERE o.ticket_id = {t} \
                      AND o.direction = 'in' ORDER BY o.id LIMIT 1)";

impl Census {
    pub async fn take(db_url: &str) -> Census {
        Census::try_take(db_url)
            .await
            .unwrap_or_else(|e| panic!("census: {e}"))
    }

    /// [`Census::take`], or why not (the daemon has not made the tables
    /// yet, the database is down).
    pub async fn try_take(db_url: &str) -> Result<Census, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(db_url).await?;
        let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
        let tickets = one("SELECT COUNT(*) FROM tickets")
            .fetch_one(&mut c)
            .await?;
        let quarantined = one("SELECT COUNT(*) FROM quarantine")
            .fetch_one(&mut c)
            .await?;
        let mut census = Census {
            tickets,
            quarantined,
            ..Census::default()
        };
        let sql = format!(
            "SELECT m.message_id, {} AS origin FROM messages m WHERE m.direction = 'in'",
            ORIGIN.replace("{t}", "m.ticket_id")
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut c)
            .await?
        {
            let id: String = r.get(0);
            let origin: String = r.get(1);
            *census
                .inbound
                .entry(format!("in {origin} {id}"))
                .or_default() += 1;
        }
        let sql = format!(
            "SELECT x.kind, x.primary_rcpt, x.status, COALESCE({}, '-') AS origin FROM outbox x",
            ORIGIN.replace("{t}", "x.ticket_id")
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut c)
            .await?
        {
            let (kind, rcpt, status, origin): (String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            *census
                .outbound
                .entry(format!("out {origin} {kind} {rcpt} {status}"))
                .or_default() += 1;
        }
        Ok(census)
    }

    /// Entries counted more than once.
    pub fn duplicates(&self) -> Vec<String> {
        self.inbound
            .iter()
            .chain(&self.outbound)
            .filter(|(_, n)| **n > 1)
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect()
    }

    /// How `self` differs from `reference`: entries missing, extra, or
    /// counted differently (empty when they agree).
    pub fn diff(&self, reference: &Census) -> Vec<String> {
        let mut out = Vec::new();
        if self.tickets != reference.tickets {
            out.push(format!("tickets {} vs {}", self.tickets, reference.tickets));
        }
        if self.quarantined != reference.quarantined {
            out.push(format!(
                "quarantined {} vs {}",
                self.quarantined, reference.quarantined
            ));
        }
        for (mine, theirs) in [
            (&self.inbound, &reference.inbound),
            (&self.outbound, &reference.outbound),
        ] {
            for (k, n) in mine {
                let m = theirs.get(k).copied().unwrap_or(0);
                if *n != m {
                    out.push(format!("{k}: {n} here, {m} in the reference"));
                }
            }
            for (k, m) in theirs {
                if !mine.contains_key(k) {
                    out.push(format!("{k}: missing here, {m} in the reference"));
                }
            }
        }
        out
    }

    /// Outgoing rows by kind and status ("ack sent" → 300).
    pub fn outbound_by_kind(&self) -> BTreeMap<String, u32> {
        let mut by = BTreeMap::new();
        for (k, n) in &self.outbound {
            let parts: Vec<&str> = k.split(' ').collect();
            let key = format!("{} {}", parts[2], parts[4]);
            *by.entry(key).or_default() += n;
        }
        by
    }
}

/// The Message-IDs of every mail in `user`'s INBOX, with how often each
/// arrived (a resend after a crash shows as 2).
pub async fn delivered(stack: &MailStack, user: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for raw in stack.inbox(user).await {
        let id = mail::header(&raw, "Message-ID").unwrap_or_default();
        *out.entry(id).or_default() += 1;
    }
    out
}

/// Polls `done` every 200 ms until it holds, up to `timeout`; `false` when
/// it never did.
pub async fn until<F, Fut>(timeout: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if done().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A PostgreSQL cluster of the test's own on a free loopback port (initdb
/// in a temp dir, run as the `postgres` user): it can be stopped and
/// restarted mid-run without touching the shared one other tests use.
pub struct PrivatePg {
    dir: TempDir,
    pub port: u16,
}

fn as_postgres(args: &[&str]) -> Command {
    let bin = pg_bin();
    let mut c = Command::new("runuser");
    c.arg("-u")
        .arg("postgres")
        .arg("--")
        .arg(bin.join(args[0]))
        .args(&args[1..])
        .stdin(Stdio::null());
    c
}

/// The newest PostgreSQL's binaries (`initdb`, `pg_ctl` are not on PATH on
/// Debian).
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("pg_ctl under /usr/lib/postgresql/*/bin")
}

impl PrivatePg {
    pub async fn start() -> PrivatePg {
        let dir = tempfile::Builder::new()
            .prefix("posko-pg")
            .tempdir_in(super::shared_temp_root())
            .expect("temp dir");
        let st = Command::new("chown")
            .arg("postgres:postgres")
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(st.success(), "chown of the PostgreSQL dir failed");
        let data = dir.path().join("data");
        let out = as_postgres(&[
            "initdb",
            "-D",
            data.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ])
        .output()
        .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pg = PrivatePg {
            dir,
            port: free_port(),
        };
        pg.pg_ctl_start();
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&pg.url("postgres"))
            .await
            .expect("connect to the private PostgreSQL");
        sqlx::Executor::execute(&mut c, "CREATE DATABASE posko")
            .await
            .expect("create database");
        pg
    }

    /// The URL of database `db` on it.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn pg_ctl_start(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("pg.log");
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
            self.port,
            self.dir.path().display()
        );
        let out = as_postgres(&[
            "pg_ctl",
            "-D",
            data.to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
            "-o",
            &opts,
            "-w",
            "start",
        ])
        .output()
        .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops it the hard way (`-m immediate`: connections cut, no
    /// checkpoint, as in a crash; recovery replays the log at start).
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(&[
            "pg_ctl",
            "-D",
            data.to_str().unwrap(),
            "-m",
            "immediate",
            "stop",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    }

    pub fn start_again(&self) {
        self.pg_ctl_start();
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.stop();
    }
}
