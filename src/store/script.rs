//! Several writes in one round trip to the database.
//!
//! Each query to SQLite through sqlx is a hand-off to the connection's worker
//! thread and back; on a small VM that wake-up costs more than the SQL. A
//! message that opens a ticket needs a dozen writes (message, attachments,
//! events, outbox rows …), so they are collected into a [`Script`] and sent
//! together, in one round trip on either database. Statements are written
//! with their own `$1…` numbering.
//!
//! * SQLite: one multi-statement query, the script's arguments bound (sqlx
//!   runs each statement in turn, `$N` renumbered across the script).
//! * PostgreSQL: its extended protocol takes one statement per prepared
//!   query, a round trip each (a dozen per message was most of the time of
//!   an ingest). The simple protocol takes many statements in one message
//!   but no parameters, so each argument is written into the text as a
//!   typed literal ([`literal`]): `CAST(… AS BIGINT|TEXT|BYTEA)`, the types
//!   the bound parameters have, so each statement means what it means with
//!   parameters.

use anyhow::{Context, Result};
use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe};

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
}

/// Appends `stmt` to `out`, each parameter `$N` written by `param(out, N)`.
/// A `$` not followed by digits is copied as it is.
/// (Hand-written: it runs for every statement of every message.)
fn substitute(
    out: &mut String,
    stmt: &str,
    mut param: impl FnMut(&mut String, usize) -> Result<()>,
) -> Result<()> {
    let mut rest = stmt;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => param(out, n)?,
            Err(_) => {
                out.push('$');
                out.push_str(&rest[..digits]);
            }
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    Ok(())
}

/// Appends `stmt` to `out` with every `$N` turned into `$(N + offset)`.
fn renumber(out: &mut String, stmt: &str, offset: usize) {
    let _ = substitute(out, stmt, |out, n| {
        use std::fmt::Write;
        let _ = write!(out, "${}", n + offset);
        Ok(())
    });
}

/// Appends `stmt` to `out` with every `$N` replaced by `args[N - 1]` as a
/// PostgreSQL literal.
fn inline(out: &mut String, stmt: &str, args: &[Arg]) -> Result<()> {
    substitute(out, stmt, |out, n| {
        let a = n
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .with_context(|| format!("${n} has no argument in: {stmt}"))?;
        literal(out, a)
    })
}

/// `a` as a PostgreSQL constant of the type its bound parameter has.
///
/// Text goes in an escape string (`E'…'`), where exactly two characters
/// are special, `\` and `'`, each written doubled: what the server reads
/// back is the text, whatever `standard_conforming_strings` says (the
/// escape syntax does not depend on it). The connection speaks UTF-8
/// (sqlx sets `client_encoding`), in which no byte of a multi-byte
/// character is a quote or a backslash. NUL, which no PostgreSQL text can
/// hold (a bound parameter fails too), is refused. Bytes go as hex.
fn literal(out: &mut String, a: &Arg) -> Result<()> {
    use std::fmt::Write;
    match a {
        Arg::Int(Some(v)) => {
            let _ = write!(out, "CAST({v} AS BIGINT)");
        }
        Arg::Int(None) => out.push_str("CAST(NULL AS BIGINT)"),
        Arg::Text(None) => out.push_str("CAST(NULL AS TEXT)"),
        Arg::Text(Some(t)) => {
            anyhow::ensure!(
                !t.contains('\0'),
                "a text argument holds a NUL character, which PostgreSQL cannot store"
            );
            out.reserve(t.len() + 20);
            out.push_str("CAST(E'");
            for ch in t.chars() {
                match ch {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    c => out.push(c),
                }
            }
            out.push_str("' AS TEXT)");
        }
        Arg::Bytes(b) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.reserve(2 * b.len() + 24);
            out.push_str("CAST(E'\\\\x");
            for byte in b {
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 15)] as char);
            }
            out.push_str("' AS BYTEA)");
        }
    }
    Ok(())
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

    /// Runs the statements.
    pub async fn run(self, c: &mut Conn, backend: Backend) -> Result<()> {
        if self.statements.is_empty() {
            return Ok(());
        }
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
            Backend::Postgres => {
                let mut sql = String::new();
                for (stmt, stmt_args) in &self.statements {
                    inline(&mut sql, stmt, stmt_args)?;
                    sql.push_str(";\n");
                }
                // Without arguments sqlx sends the simple protocol's one
                // Query message: all statements, one round trip, in the
                // caller's transaction (an error aborts it, as before).
                sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut *c)
                    .await
                    .context("database script failed")?;
            }
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
