//! PostgreSQL's half of [`Script::run`](super::script::Script::run): the
//! statements in one round trip, each still a prepared statement.
//!
//! PostgreSQL's extended protocol (the one that binds arguments) takes one
//! statement per query as sqlx drives it, so a script of a dozen writes was
//! a dozen round trips, each a wake-up of the server and of this process
//! (issue 14, story 4: 230–630 msg/s). The simple protocol takes many
//! statements in one message but no arguments. Sending the statements with
//! their arguments written in as literals cut the round trips but made the
//! server parse and plan every statement every time (measured: server CPU
//! per message 1.5 → 2.8 ms, no faster overall). So each statement is
//! `PREPARE`d once per connection, with the types the sqlx Any driver binds
//! (INT8, TEXT, BYTEA), and the script is one simple query of
//! `EXECUTE name(literal, …)`: one round trip, plans reused, every
//! statement meaning what it meant with bound arguments. The commit stays
//! as durable as before; only the number of round trips changes.
//!
//! [`Prepared`] remembers which statements the connection has; a caller
//! that runs many scripts on one connection (the ingest batch) keeps one,
//! others get a fresh one that asks the server first (two round trips).
//!
//! A statement whose arguments are large (a big raw message: hex doubles its
//! size) or cannot be written as a literal (a NUL in a text, which the query
//! text cannot carry) still goes alone with bound arguments, in its turn.

use std::collections::HashSet;
use std::fmt::Write;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use anyhow::{Context, Result};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyArguments;

use super::Conn;
use super::script::{Arg, bind};

/// Arguments of at most this many bytes are written into the query; a
/// statement with more is sent on its own with bound arguments.
const INLINE_LIMIT: usize = 256 << 10;

/// The names of the statements prepared on one connection (`None` until
/// asked). Prepared statements outlive a rolled-back transaction, so what
/// is known stays true; one lost with its connection is asked again by the
/// next caller, which starts with a fresh `Prepared`.
#[derive(Debug, Default)]
pub struct Prepared {
    names: Option<HashSet<String>>,
}

impl Prepared {
    async fn names(&mut self, c: &mut Conn) -> Result<&mut HashSet<String>> {
        if self.names.is_none() {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM pg_prepared_statements WHERE name LIKE 'posko\\_%'",
            )
            .fetch_all(&mut *c)
            .await
            .context("cannot list the prepared statements")?;
            self.names = Some(names.into_iter().collect());
        }
        Ok(self.names.get_or_insert_with(HashSet::new))
    }
}

/// What goes to the server next: the `PREPARE`s of statements the
/// connection lacks, sent as a query of their own before the `EXECUTE`s.
/// (The server keeps, with each prepared statement, the whole query text
/// it came in: a `PREPARE` inside a script of a batch's data made every
/// statement hold megabytes, and listing them took 15–30 ms.)
#[derive(Default)]
pub(super) struct Query {
    prep: String,
    sql: String,
}

/// Runs `statements` in order: runs of inlinable ones as one query each,
/// consecutive single-row inserts merged per table ([`merge`]).
pub(super) async fn run(
    statements: Vec<(&'static str, Vec<Arg>)>,
    c: &mut Conn,
    prepared: &mut Prepared,
) -> Result<()> {
    let mut q = Query::default();
    let mut rows = merge::Run::default();
    for (stmt, args) in statements {
        if inlinable(&args) && preparable(stmt) {
            match rows.add(stmt, args) {
                Ok(()) => continue,
                Err((stmt, args)) => {
                    drain(&mut rows, &mut q, prepared, c).await?;
                    if let Err((stmt, args)) = rows.add(stmt, args) {
                        let names = prepared.names(c).await?;
                        execute(&mut q, names, stmt, &args);
                    }
                }
            }
            continue;
        }
        drain(&mut rows, &mut q, prepared, c).await?;
        flush(&mut q, c).await?;
        bound(stmt.into(), args, c).await?;
    }
    drain(&mut rows, &mut q, prepared, c).await?;
    flush(&mut q, c).await
}

/// Adds the rows gathered in `rows` to `q`, or runs them as merged
/// statements after what `q` holds.
async fn drain(
    rows: &mut merge::Run,
    q: &mut Query,
    prepared: &mut Prepared,
    c: &mut Conn,
) -> Result<()> {
    for step in rows.take() {
        match step {
            merge::Step::One(stmt, args) => {
                let names = prepared.names(c).await?;
                execute(q, names, stmt, &args);
            }
            merge::Step::Many(sql, args) => {
                flush(q, c).await?;
                bound(sql, args, c).await?;
            }
        }
    }
    Ok(())
}

/// Runs `stmt` alone with `args` bound (prepared once per connection by
/// sqlx's statement cache).
async fn bound(stmt: Arc<str>, args: Vec<Arg>, c: &mut Conn) -> Result<()> {
    let mut values = AnyArguments::default();
    for a in args {
        bind(&mut values, a)?;
    }
    sqlx::query_with(AssertSqlSafe(stmt.clone()), values)
        .execute(&mut *c)
        .await
        .with_context(|| format!("database statement failed: {stmt}"))?;
    Ok(())
}

/// Whether `PREPARE` takes `stmt` (it takes queries and data changes, not
/// other commands such as `LOCK` or `SET`, which are bound instead).
fn preparable(stmt: &str) -> bool {
    let word: String = stmt
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "SELECT" | "WITH" | "VALUES"
    )
}

/// The PostgreSQL type the Any driver binds `a` as.
fn pg_type(a: &Arg) -> &'static str {
    match a {
        Arg::Int(_) => "BIGINT",
        Arg::Text(_) => "TEXT",
        Arg::Bytes(_) => "BYTEA",
    }
}

/// The name `stmt` is prepared under with parameters of `types`.
fn name_of<T: AsRef<str>>(stmt: &str, types: &[T]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stmt.hash(&mut h);
    for t in types {
        t.as_ref().hash(&mut h);
    }
    format!("posko_{:016x}", h.finish())
}

/// Adds to `q` the `PREPARE` of `stmt` with parameters of `types` if
/// `names` says the connection lacks it (and notes it there: the query
/// runs before anything else can ask); returns its name.
pub(super) fn prepare_once<T: AsRef<str>>(
    q: &mut Query,
    names: &mut HashSet<String>,
    stmt: &str,
    types: &[T],
) -> String {
    let name = name_of(stmt, types);
    if !names.contains(&name) {
        let _ = write!(q.prep, "PREPARE {name}");
        if !types.is_empty() {
            let types: Vec<&str> = types.iter().map(AsRef::as_ref).collect();
            let _ = write!(q.prep, " ({})", types.join(", "));
        }
        let _ = writeln!(q.prep, " AS {stmt};");
        names.insert(name.clone());
    }
    name
}

/// Adds to `q` the `EXECUTE` of `stmt` with `args` written in, after its
/// `PREPARE` if the connection lacks it.
pub(super) fn execute(q: &mut Query, names: &mut HashSet<String>, stmt: &str, args: &[Arg]) {
    let types: Vec<&str> = args.iter().map(pg_type).collect();
    let name = prepare_once(q, names, stmt, &types);
    let sql = &mut q.sql;
    sql.push_str("EXECUTE ");
    sql.push_str(&name);
    if !args.is_empty() {
        sql.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            literal(sql, a);
        }
        sql.push(')');
    }
    sql.push_str(";\n");
}

/// Sends what `q` holds, if anything, and empties it.
async fn flush(q: &mut Query, c: &mut Conn) -> Result<()> {
    for text in [std::mem::take(&mut q.prep), std::mem::take(&mut q.sql)] {
        if text.is_empty() {
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(text))
            .execute(&mut *c)
            .await
            .context("database script failed")?;
    }
    Ok(())
}

/// Whether `args` may be written into the query text.
fn inlinable(args: &[Arg]) -> bool {
    let mut size = 0usize;
    for a in args {
        match a {
            Arg::Int(_) | Arg::Text(None) => {}
            Arg::Text(Some(t)) => {
                if t.contains('\0') {
                    return false;
                }
                size += t.len();
            }
            Arg::Bytes(b) => size += 2 * b.len(),
        }
    }
    size <= INLINE_LIMIT
}

/// `a` as a literal of the type the Any driver would bind it as.
fn literal(out: &mut String, a: &Arg) {
    match a {
        Arg::Int(None) => out.push_str("CAST(NULL AS BIGINT)"),
        Arg::Int(Some(v)) => {
            let _ = write!(out, "CAST({v} AS BIGINT)");
        }
        Arg::Text(None) => out.push_str("CAST(NULL AS TEXT)"),
        Arg::Text(Some(t)) => {
            // An E'' string: quote and backslash doubled mean themselves
            // whatever standard_conforming_strings says.
            out.push_str("CAST(E'");
            for ch in t.chars() {
                match ch {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    _ => out.push(ch),
                }
            }
            out.push_str("' AS TEXT)");
        }
        Arg::Bytes(b) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.reserve(2 * b.len() + 24);
            out.push_str("decode('");
            for &x in b {
                out.push(HEX[usize::from(x >> 4)] as char);
                out.push(HEX[usize::from(x & 15)] as char);
            }
            out.push_str("', 'hex')");
        }
    }
}

mod merge;
#[cfg(test)]
pub(super) mod tests;
