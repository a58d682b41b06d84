//! Several writes in one round trip to the database.
//!
//! Each query to SQLite through sqlx is a hand-off to the connection's worker
//! thread and back; on a small VM that wake-up costs more than the SQL. A
//! message that opens a ticket needs a dozen writes (message, attachments,
//! events, outbox rows …), so they are collected into a [`Script`] and sent
//! together: on SQLite as one multi-statement query (sqlx runs each statement
//! in turn, `$N` numbering the script's arguments); on PostgreSQL — whose
//! extended protocol takes one statement per prepared query — as one
//! simple-protocol query of `EXECUTE`s of statements prepared once per
//! connection ([`super::script_pg`]), so a message's dozen writes cost one
//! round trip rather than twelve; consecutive single-row inserts of many
//! messages are merged into one insert per table there. Statements are
//! written with their own `$1…` numbering either way.

use anyhow::{Context, Result};
use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe};

pub use super::script_pg::Prepared;
use super::{Backend, Conn};

/// One bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Arg {
        Arg::Bytes(v)
    }
}

/// Statements to run in order, inside the caller's transaction.
#[derive(Debug, Default)]
pub struct Script {
    statements: Vec<(&'static str, Vec<Arg>)>,
    /// The primary recipient of each acknowledgment queued here (see
    /// [`Script::note_ack`]); running the script drops them with it.
    acks: Vec<String>,
}

/// Appends `stmt` to `out` with every `$N` turned into `$(N + offset)`.
/// (Hand-written, digits included: it runs for every statement of every
/// message, and `write!` cost more than the rest of it.)
pub(super) fn renumber(out: &mut String, stmt: &str, offset: usize) {
    let mut rest = stmt;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // At most 19 digits fit in a usize; longer runs are left as written.
        if digits == 0 || digits > 19 {
            out.push_str(&rest[..digits]);
        } else {
            let n = rest.as_bytes()[..digits]
                .iter()
                .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
            push_number(out, n + offset);
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// Appends `n` in decimal.
fn push_number(out: &mut String, mut n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

pub(crate) fn bind(args: &mut AnyArguments, a: Arg) -> Result<()> {
    match a {
        Arg::Int(v) => args.add(v),
        Arg::Text(v) => args.add(v),
        Arg::Bytes(v) => args.add(v),
    }
    .map_err(|e| anyhow::anyhow!("cannot bind an argument: {e}"))
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// Adds a statement whose parameters are `$1`, `$2` … in `args` order.
    pub fn push(&mut self, sql: &'static str, args: Vec<Arg>) {
        self.statements.push((sql, args));
    }

    /// Adds `other`'s statements after these.
    pub fn append(&mut self, other: Script) {
        self.statements.extend(other.statements);
        self.acks.extend(other.acks);
    }

    /// Notes that the statements pushed queue an acknowledgment to `rcpt`
    /// (its base address): a batch keeps its count of the limits' reads up
    /// to date from these instead of reading the outbox back.
    pub fn note_ack(&mut self, rcpt: &str) {
        self.acks.push(rcpt.to_string());
    }

    /// The acknowledgments noted so far, taken out (the statements stay).
    pub fn take_acks(&mut self) -> Vec<String> {
        std::mem::take(&mut self.acks)
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statements queued so far, for a dry run that looks at what
    /// would be written ([`crate::ingest::Ingestor::dry_run`]).
    pub fn statements(&self) -> impl Iterator<Item = (&'static str, &[Arg])> {
        self.statements
            .iter()
            .map(|(sql, args)| (*sql, args.as_slice()))
    }

    /// Runs what is queued so far and leaves the script empty, for a use
    /// case that must read what it just wrote.
    pub async fn flush(&mut self, c: &mut Conn, backend: Backend) -> Result<()> {
        std::mem::take(self).run(c, backend).await
    }

    /// [`Script::flush`] with what `prepared` knows of the connection.
    pub async fn flush_with(
        &mut self,
        c: &mut Conn,
        backend: Backend,
        prepared: &mut Prepared,
    ) -> Result<()> {
        std::mem::take(self).run_with(c, backend, prepared).await
    }

    /// Runs the statements.
    pub async fn run(self, c: &mut Conn, backend: Backend) -> Result<()> {
        self.run_with(c, backend, &mut Prepared::default()).await
    }

    /// Runs the statements; on PostgreSQL `prepared` says which statements
    /// the connection has prepared (keep one per connection and
    /// transaction to save asking the server each time).
    pub async fn run_with(
        self,
        c: &mut Conn,
        backend: Backend,
        prepared: &mut Prepared,
    ) -> Result<()> {
        match backend {
            Backend::Sqlite => {
                let mut sql = String::new();
                let mut args = AnyArguments::default();
                let mut offset = 0usize;
                for (stmt, stmt_args) in self.statements {
                    let n = stmt_args.len();
                    renumber(&mut sql, stmt, offset);
                    sql.push_str(";\n");
                    for a in stmt_args {
                        bind(&mut args, a)?;
                    }
                    offset += n;
                }
                sqlx::query_with(AssertSqlSafe(sql), args)
                    .execute(&mut *c)
                    .await
                    .context("database script failed")?;
            }
            Backend::Postgres => super::script_pg::run(self.statements, c, prepared).await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered() {
        let mut s = String::new();
        renumber(&mut s, "VALUES ($1, $12, '$', $2)", 10);
        assert_eq!(s, "VALUES ($11, $22, '$', $12)");
        let mut s = String::new();
        renumber(&mut s, "$0 $9 $10 $99$100 $", 0);
        assert_eq!(s, "$0 $9 $10 $99$100 $");
        let mut s = String::new();
        renumber(&mut s, "$1,$9", 991);
        assert_eq!(s, "$992,$1000");
    }
    use crate::store::Db;

    #[tokio::test]
    async fn sqlite_script_runs_every_statement_with_its_own_numbering() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        sqlx::query("CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, blob BLOB)")
            .execute(&mut *tx)
            .await
            .unwrap();
        let mut s = Script::new();
        s.push(
            "INSERT INTO a (name, blob) VALUES ($1, $2)",
            vec!["x".into(), Arg::Bytes(vec![1, 2])],
        );
        s.push(
            "INSERT INTO a (name) VALUES ((SELECT name FROM a WHERE name = $1) || $2)",
            vec!["x".into(), "y".into()],
        );
        s.push("INSERT INTO a (name) VALUES ($1)", vec![Arg::Text(None)]);
        s.run(&mut tx, db.backend()).await.unwrap();
        let names: Vec<Option<String>> = sqlx::query_scalar("SELECT name FROM a ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        assert_eq!(names, vec![Some("x".into()), Some("xy".into()), None]);
    }
}
