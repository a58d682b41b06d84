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

/// Runs `statements` in order: runs of inlinable ones as one query each.
pub(super) async fn run(
    statements: Vec<(&'static str, Vec<Arg>)>,
    c: &mut Conn,
    prepared: &mut Prepared,
) -> Result<()> {
    let mut sql = String::new();
    for (stmt, args) in statements {
        if inlinable(&args) && preparable(stmt) {
            let names = prepared.names(c).await?;
            execute(&mut sql, names, stmt, &args);
            continue;
        }
        flush(&mut sql, c).await?;
        let mut bound = AnyArguments::default();
        for a in args {
            bind(&mut bound, a)?;
        }
        sqlx::query_with(stmt, bound)
            .execute(&mut *c)
            .await
            .with_context(|| format!("database statement failed: {stmt}"))?;
    }
    flush(&mut sql, c).await
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

/// The name `stmt` is prepared under with `args`' types.
fn name_of(stmt: &str, args: &[Arg]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stmt.hash(&mut h);
    for a in args {
        pg_type(a).hash(&mut h);
    }
    format!("posko_{:016x}", h.finish())
}

/// Appends to `sql` the `EXECUTE` of `stmt` with `args` written in, after
/// its `PREPARE` if `names` says the connection lacks it (and notes it
/// there: the query runs before anything else can ask).
pub(super) fn execute(sql: &mut String, names: &mut HashSet<String>, stmt: &str, args: &[Arg]) {
    let name = name_of(stmt, args);
    if !names.contains(&name) {
        let _ = write!(sql, "PREPARE {name}");
        if !args.is_empty() {
            let types: Vec<&str> = args.iter().map(pg_type).collect();
            let _ = write!(sql, " ({})", types.join(", "));
        }
        let _ = writeln!(sql, " AS {stmt};");
        names.insert(name.clone());
    }
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

/// Sends what `sql` holds, if anything, and empties it.
async fn flush(sql: &mut String, c: &mut Conn) -> Result<()> {
    if sql.is_empty() {
        return Ok(());
    }
    let text = std::mem::take(sql);
    sqlx::raw_sql(AssertSqlSafe(text))
        .execute(&mut *c)
        .await
        .context("database script failed")?;
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

#[cfg(test)]
mod tests;
