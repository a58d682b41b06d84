//! PostgreSQL's half of [`Script::run`](super::script::Script::run): the
//! statements as one simple-protocol query.
//!
//! PostgreSQL's extended protocol (the one that binds arguments) takes one
//! statement per query, so a script of a dozen writes was a dozen round
//! trips; on a busy machine each one is a wake-up of the server and of this
//! process, and they cost more than the SQL (issue 14, story 4: 230–630
//! msg/s). The simple protocol takes many statements in one message, but no
//! arguments: [`inline`] writes each argument into the statement as a typed
//! literal — `CAST(… AS BIGINT)`, `CAST(E'…' AS TEXT)`, `decode('…', 'hex')`
//! — the same types the sqlx Any driver binds (INT8, TEXT, BYTEA), so every
//! statement means what it meant with bound arguments. The commit stays as
//! durable as before; only the number of round trips changes.
//!
//! A statement whose arguments are large (a big raw message: hex doubles its
//! size) or cannot be written as a literal (a NUL in a text, which the query
//! text cannot carry) still goes alone with bound arguments, in its turn.

use std::fmt::Write;

use anyhow::{Context, Result};
use sqlx::any::AnyArguments;
use sqlx::AssertSqlSafe;

use super::Conn;
use super::script::{Arg, bind};

/// Arguments of at most this many bytes are written into the query; a
/// statement with more is sent on its own with bound arguments.
const INLINE_LIMIT: usize = 256 << 10;

/// Runs `statements` in order: runs of inlinable ones as one query each.
pub(super) async fn run(statements: Vec<(&'static str, Vec<Arg>)>, c: &mut Conn) -> Result<()> {
    let mut sql = String::new();
    for (stmt, args) in statements {
        if inlinable(&args) && inline(&mut sql, stmt, &args) {
            sql.push_str(";\n");
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

/// Appends `stmt` to `out` with every `$N` replaced by the literal of
/// `args[N - 1]`. False (and `out` as it was) if a `$N` has no argument.
pub(super) fn inline(out: &mut String, stmt: &str, args: &[Arg]) -> bool {
    let start = out.len();
    let mut rest = stmt;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => match n.checked_sub(1).and_then(|i| args.get(i)) {
                Some(a) => literal(out, a),
                None => {
                    out.truncate(start);
                    return false;
                }
            },
            // A `$` that numbers nothing (inside a string, say) stays.
            Err(_) => out.push('$'),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    true
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
