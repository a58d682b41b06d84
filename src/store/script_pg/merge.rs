//! Many messages' rows, one statement per table (PostgreSQL).
//!
//! A batch of new tickets writes the same dozen single-row inserts for
//! every message. Run one by one, even as prepared statements in one round
//! trip, each costs the server an executor start-up, and that start-up was
//! what bounded the ingest on PostgreSQL (issue 14, story 4). So the rows
//! of consecutive single-row inserts are gathered per table and each table
//! gets one `INSERT … SELECT … FROM (VALUES (…), (…), …)` with bound
//! arguments (not literals: the server's lexing, parsing and evaluating of
//! literal arguments was a third of its time per message). The rows are
//! padded to a few sizes ([`SIZES`]) with rows the `WHERE` drops, so each
//! table has a handful of statement texts, prepared once per connection.
//!
//! Each merged statement is a round trip (sqlx does not pipeline), and a
//! batch's runs are short where replies break them: eight tables, eight
//! round trips per run. So the tables' inserts that do not read one another
//! go as one statement, each but the last a data-modifying `WITH` part
//! ([`stages`]): a table whose values read (`FROM t`) a table of the run
//! waits for the next statement, as sub-selects see only what was there
//! when the statement began. Foreign keys are checked when the whole
//! statement ends, so a child may go with its parent. Raw mail, tickets,
//! outbox rows and clocks go first, then messages and the mail's bytes,
//! then attachments and events: three round trips per run.
//!
//! Why the result is what the statements one by one would have written:
//! - the merged inserts run in [`TABLES`] order, parents first: each
//!   table's insert reads (sub-selects, foreign keys) only tables before
//!   it, which by then hold every row the statements before it wrote;
//! - a table's rows keep their order (one statement text per table and
//!   run, `VALUES` yields in order, a table's later rows in a later
//!   statement, never in a second `WITH` part of the same), so ids come out
//!   in the same order;
//! - a sub-select that finds a row by a non-unique key (`messages` by
//!   Message-ID, [`KEYED`]) would see later rows of the run too: a second
//!   row with the same key ends the run before it;
//! - anything else (an update, a table not listed, a second statement text
//!   for a table, arguments too large to inline) ends the run and goes in
//!   its turn.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::{Arg, pg_type};

/// The row counts of the merged statements: a group of rows goes as the
/// smallest that holds it, or as many of the largest as it takes.
const SIZES: &[usize] = &[4, 16, 64, 256];

/// The tables whose single-row inserts are merged, in the order the merged
/// inserts run: each one's insert reads only tables before it.
const TABLES: &[&str] = &[
    "raw_messages",
    "tickets",
    "outbox",
    "messages",
    "attachments",
    "events",
    "sla_clocks",
    "outbox_raw",
];

/// Columns by which later statements find a row without a unique index
/// (`(SELECT MAX(id) FROM messages WHERE message_id = …)`).
const KEYED: &[(&str, &str)] = &[("messages", "message_id")];

/// A single-row insert taken apart.
struct Insert<'s> {
    /// The [`TABLES`] its values read (`FROM t`, `JOIN t`).
    reads: Vec<usize>,
    rank: usize,
    /// `INSERT INTO t (cols)`.
    head: &'s str,
    /// What is between the parentheses of `VALUES (…)`.
    values: &'s str,
    /// The argument holding the row's [`KEYED`] column, if any.
    key_arg: Option<usize>,
}

/// Takes `INSERT INTO t (cols) VALUES (exprs)` apart when `t` is one of
/// [`TABLES`].
fn parse(stmt: &str) -> Option<Insert<'_>> {
    let rest = stmt.strip_prefix("INSERT INTO ")?;
    let table = rest.split([' ', '(']).next()?;
    let rank = TABLES.iter().position(|t| *t == table)?;
    let at = stmt.find(" VALUES (")?;
    let values = stmt[at + " VALUES (".len()..].strip_suffix(')')?;
    // `VALUES (…) ON CONFLICT (…)` and the like are not single-row inserts.
    if !balanced(values) {
        return None;
    }
    let head = &stmt[..at];
    let cols = head.split_once('(')?.1.strip_suffix(')')?;
    let key_arg = KEYED
        .iter()
        .find(|(t, _)| *t == table)
        .and_then(|(_, key)| cols.split(',').position(|c| c.trim() == *key))
        .and_then(|n| top_level(values).nth(n))
        .and_then(|e| e.trim().strip_prefix('$')?.parse::<usize>().ok())
        .map(|n| n - 1);
    let reads = TABLES
        .iter()
        .enumerate()
        .filter(|(_, t)| reads_table(values, t))
        .map(|(i, _)| i)
        .collect();
    Some(Insert {
        reads,
        rank,
        head,
        values,
        key_arg,
    })
}

/// Whether `values` reads `table`: `FROM table` or `JOIN table`, the name
/// ending there.
fn reads_table(values: &str, table: &str) -> bool {
    ["FROM ", "JOIN "].iter().any(|kw| {
        values.match_indices(kw).any(|(at, _)| {
            let rest = &values[at + kw.len()..];
            rest.strip_prefix(table).is_some_and(|after| {
                !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        })
    })
}

/// Whether no parenthesis of `s` closes one it did not open, and all close.
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for ch in s.chars() {
        match ch {
            '(' => depth += 1,
            ')' if depth == 0 => return false,
            ')' => depth -= 1,
            _ => {}
        }
    }
    depth == 0
}

/// The comma-separated expressions of `s`, commas inside parentheses kept.
fn top_level(s: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0i32;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter()
}

/// The statement that inserts up to `rows` rows of `ins`, each with its
/// `n` arguments and a last one that is NULL on the padding rows.
fn values_form(ins: &Insert<'_>, n: usize, rows: usize) -> String {
    use std::fmt::Write;
    let mut select = String::with_capacity(ins.values.len() + 16);
    let mut rest = ins.values;
    while let Some(pos) = rest.find('$') {
        select.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            select.push('$');
        } else {
            select.push_str("u.c");
            select.push_str(&rest[..digits]);
        }
        rest = &rest[digits..];
    }
    select.push_str(rest);
    let mut values = String::with_capacity(rows * (n + 1) * 6);
    for r in 0..rows {
        values.push_str(if r == 0 { "(" } else { ", (" });
        for i in 1..=n + 1 {
            let _ = write!(
                values,
                "{}${}",
                if i == 1 { "" } else { ", " },
                r * (n + 1) + i
            );
        }
        values.push(')');
    }
    let cols: Vec<String> = (1..=n).map(|i| format!("c{i}")).collect();
    format!(
        "{} SELECT {select} FROM (VALUES {values}) AS u({}, keep) WHERE u.keep IS NOT NULL",
        ins.head,
        cols.join(", ")
    )
}

/// A NULL of the type `a` is bound as (an empty BYTEA: it has no NULL
/// here), for a padding row.
fn padding(a: &Arg) -> Arg {
    match a {
        Arg::Int(_) => Arg::Int(None),
        Arg::Text(_) => Arg::Text(None),
        Arg::Bytes(_) => Arg::Bytes(Vec::new()),
    }
}

/// What a run turns into, in order.
pub(super) enum Step {
    /// A single row: its own statement, as any other.
    One(&'static str, Vec<Arg>),
    /// Many rows: a merged statement and its arguments, to bind.
    Many(Arc<str>, Vec<Arg>),
}

/// One table's rows in a run.
struct Group {
    stmt: &'static str,
    types: Vec<&'static str>,
    rows: Vec<Vec<Arg>>,
}

/// The rows gathered so far, per table.
#[derive(Default)]
pub(super) struct Run {
    groups: Vec<Option<Group>>,
    keys: HashSet<String>,
}

impl Run {
    /// Takes in `stmt` if it may join the run; gives it back if it may
    /// not (then [`Run::emit`] first, and run it in its turn).
    pub(super) fn add(
        &mut self,
        stmt: &'static str,
        args: Vec<Arg>,
    ) -> Result<(), (&'static str, Vec<Arg>)> {
        let Some(ins) = parse(stmt) else {
            return Err((stmt, args));
        };
        if self.groups.is_empty() {
            self.groups.resize_with(TABLES.len(), || None);
        }
        let types: Vec<&'static str> = args.iter().map(pg_type).collect();
        if let Some(g) = &self.groups[ins.rank]
            && (g.stmt != stmt || g.types != types)
        {
            return Err((stmt, args));
        }
        if let Some(Arg::Text(Some(key))) = ins.key_arg.and_then(|k| args.get(k)) {
            if self.keys.contains(key) {
                return Err((stmt, args));
            }
            self.keys.insert(key.clone());
        }
        self.groups[ins.rank]
            .get_or_insert_with(|| Group {
                stmt,
                types,
                rows: Vec::new(),
            })
            .rows
            .push(args);
        Ok(())
    }

    /// The run's inserts, table by table; empties it. A run of single
    /// rows goes as they came ([`Step::One`]); otherwise each table's rows
    /// are padded into statements, combined per stage ([`stages`]).
    pub(super) fn take(&mut self) -> Vec<Step> {
        let groups: Vec<Group> = std::mem::take(&mut self.groups)
            .into_iter()
            .flatten()
            .collect();
        self.keys.clear();
        if groups.iter().all(|g| g.rows.len() == 1) {
            return groups
                .into_iter()
                .flat_map(|g| g.rows.into_iter().map(move |r| Step::One(g.stmt, r)))
                .collect();
        }
        let mut tables = Vec::with_capacity(groups.len());
        for g in groups {
            let ins = parse(g.stmt).expect("a grouped statement parses");
            let chunks = chunks(g.stmt, g.types.len(), g.rows);
            tables.push((ins.rank, ins.reads, chunks));
        }
        stages(tables)
            .into_iter()
            .map(|parts| {
                let (sql, args) = combine(parts);
                Step::Many(sql, args)
            })
            .collect()
    }
}

/// A merged insert's text, not yet written: the single-row insert, its
/// arguments per row, its rows ([`values_form`]).
type Form = (&'static str, usize, usize);

/// A merged insert and its arguments, to bind.
type Statement = (Form, Vec<Arg>);

/// A table of a run: its rank in [`TABLES`], the ranks its values read,
/// its statements in order.
type Table = (usize, Vec<usize>, Vec<Statement>);

/// A table's rows as statements of [`SIZES`] rows each (the last padded),
/// in order.
fn chunks(stmt: &'static str, n: usize, rows: Vec<Vec<Arg>>) -> Vec<Statement> {
    let mut rows = rows.into_iter();
    let mut out = Vec::new();
    while rows.len() > 0 {
        let left = rows.len();
        let size = SIZES
            .iter()
            .copied()
            .find(|&s| s >= left)
            .unwrap_or(SIZES[SIZES.len() - 1]);
        let mut args = Vec::with_capacity(size * (n + 1));
        let mut pad = Vec::new();
        for row in rows.by_ref().take(size) {
            if pad.is_empty() {
                pad = row.iter().map(padding).collect();
            }
            args.extend(row);
            args.push(Arg::Int(Some(1)));
        }
        for _ in left.min(size)..size {
            args.extend(pad.iter().cloned());
            args.push(Arg::Int(None));
        }
        out.push(((stmt, n, size), args));
    }
    out
}

/// The statements of a run, in order, each a list of inserts to send as
/// one: `tables` (rank in [`TABLES`], the ranks its values read, its
/// statements), in [`TABLES`] order. A table's stage is one after the
/// latest stage of a table of the run it reads (0 if none); a statement
/// takes the next statement of each table of its stage (a table with more
/// rows than the largest size takes several statements in turn).
fn stages(tables: Vec<Table>) -> Vec<Vec<Statement>> {
    let mut stage_of: Vec<Option<usize>> = vec![None; TABLES.len()];
    let mut staged: Vec<(usize, std::vec::IntoIter<Statement>)> = Vec::new();
    for (rank, reads, chunks) in tables {
        let stage = reads
            .iter()
            .filter(|&&r| r != rank)
            .filter_map(|&r| stage_of[r])
            .map(|s| s + 1)
            .max()
            .unwrap_or(0);
        stage_of[rank] = Some(stage);
        staged.push((stage, chunks.into_iter()));
    }
    let last = staged.iter().map(|(s, _)| *s).max().unwrap_or(0);
    let mut out = Vec::new();
    for stage in 0..=last {
        loop {
            let parts: Vec<Statement> = staged
                .iter_mut()
                .filter(|(s, _)| *s == stage)
                .filter_map(|(_, chunks)| chunks.next())
                .collect();
            if parts.is_empty() {
                break;
            }
            out.push(parts);
        }
    }
    out
}

/// How many merged texts [`TEXTS`] keeps: a batch makes a few dozen (a
/// table, a row count and a stage each); more would mean statements of
/// many kinds, whose texts are then written afresh.
const TEXTS_KEPT: usize = 512;

/// The merged texts written so far, by their parts. Writing one (thousands
/// of numbered parameters, each part renumbered after the one before) cost
/// more than the rest of a run's work in this process, and the same few
/// texts come back run after run.
static TEXTS: Mutex<Option<HashMap<Vec<Form>, Arc<str>>>> = Mutex::new(None);

/// Inserts as one statement: all but the last as `WITH` parts, each one's
/// parameters numbered after those before it.
fn combine(parts: Vec<Statement>) -> (Arc<str>, Vec<Arg>) {
    let forms: Vec<Form> = parts.iter().map(|(f, _)| *f).collect();
    let args = parts.into_iter().flat_map(|(_, a)| a).collect();
    let kept = TEXTS
        .lock()
        .ok()
        .and_then(|t| t.as_ref().and_then(|t| t.get(&forms).cloned()));
    if let Some(sql) = kept {
        return (sql, args);
    }
    let sql: Arc<str> = combined_text(&forms).into();
    if let Ok(mut texts) = TEXTS.lock() {
        let texts = texts.get_or_insert_with(HashMap::new);
        if texts.len() >= TEXTS_KEPT {
            texts.clear();
        }
        texts.insert(forms, sql.clone());
    }
    (sql, args)
}

/// The text of [`combine`]'s statement of `forms`.
fn combined_text(forms: &[Form]) -> String {
    let last = forms.len() - 1;
    let mut sql = String::new();
    let mut offset = 0;
    for (i, &(stmt, n, rows)) in forms.iter().enumerate() {
        match (i, i == last) {
            (0, true) => {}
            (0, false) => sql.push_str("WITH w0 AS ("),
            (_, false) => {
                let _ = std::fmt::Write::write_fmt(&mut sql, format_args!("), w{i} AS ("));
            }
            (_, true) => sql.push_str(") "),
        }
        let ins = parse(stmt).expect("a merged statement parses");
        super::super::script::renumber(&mut sql, &values_form(&ins, n, rows), offset);
        offset += rows * (n + 1);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_are_taken_apart_and_merged() {
        let stmt = "INSERT INTO messages (ticket_id, raw_id, message_id) VALUES ($1, \
                    COALESCE($2, (SELECT id FROM raw_messages WHERE dedupe_key = $4)), $3)";
        let ins = parse(stmt).unwrap();
        assert_eq!(ins.rank, 3);
        assert_eq!(ins.key_arg, Some(2));
        assert_eq!(
            values_form(&ins, 4, 2),
            "INSERT INTO messages (ticket_id, raw_id, message_id) SELECT u.c1, \
             COALESCE(u.c2, (SELECT id FROM raw_messages WHERE dedupe_key = u.c4)), u.c3 \
             FROM (VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)) \
             AS u(c1, c2, c3, c4, keep) WHERE u.keep IS NOT NULL"
        );
        assert!(parse("UPDATE messages SET x = $1").is_none());
        assert!(
            parse("INSERT INTO events (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET a = (1)")
                .is_none()
        );
        assert!(parse("INSERT INTO quarantine (a) VALUES ($1)").is_none());
    }

    #[test]
    fn a_repeated_key_or_a_second_text_ends_the_run() {
        let m = "INSERT INTO messages (ticket_id, message_id) VALUES ($1, $2)";
        let m2 = "INSERT INTO messages (message_id, ticket_id) VALUES ($1, $2)";
        let mut run = Run::default();
        assert!(run.add(m, vec![1.into(), "<a@x>".into()]).is_ok());
        assert!(run.add(m, vec![1.into(), "<b@x>".into()]).is_ok());
        assert!(run.add(m, vec![2.into(), "<a@x>".into()]).is_err());
        assert!(run.add(m2, vec!["<c@x>".into(), 2.into()]).is_err());
        assert!(
            run.add("UPDATE messages SET a = $1", vec![1.into()])
                .is_err()
        );
        let steps = run.take();
        let [Step::Many(sql, args)] = steps.as_slice() else {
            panic!("one merged statement");
        };
        // Two rows, padded to four.
        assert!(sql.contains("($10, $11, $12)) AS u(c1, c2, keep)"), "{sql}");
        assert_eq!(args.len(), 12);
        assert!(matches!(args[2], Arg::Int(Some(1))));
        assert!(matches!(args[8], Arg::Int(None)));
        // Emptied: the same key may come again.
        assert!(run.add(m, vec![2.into(), "<a@x>".into()]).is_ok());
    }

    #[test]
    fn tables_that_do_not_read_one_another_go_in_one_statement() {
        let raw = "INSERT INTO raw_messages (dedupe_key) VALUES ($1)";
        let ticket = "INSERT INTO tickets (id) VALUES ($1)";
        let message = "INSERT INTO messages (ticket_id, raw_id, message_id) VALUES ($1, \
                       (SELECT id FROM raw_messages WHERE dedupe_key = $2), $3)";
        let event = "INSERT INTO events (ticket_id, message_id) VALUES ($1, \
                     (SELECT MAX(id) FROM messages WHERE message_id = $2))";
        let mut run = Run::default();
        for t in 0..300i64 {
            let (key, mid) = (format!("k{t}"), format!("<m{t}@x>"));
            assert!(run.add(raw, vec![key.as_str().into()]).is_ok());
            assert!(run.add(ticket, vec![t.into()]).is_ok());
            let m = vec![t.into(), key.as_str().into(), mid.as_str().into()];
            assert!(run.add(message, m).is_ok());
            assert!(run.add(event, vec![t.into(), mid.as_str().into()]).is_ok());
        }
        let sqls: Vec<(String, usize)> = run
            .take()
            .into_iter()
            .map(|s| match s {
                Step::Many(sql, args) => (sql.to_string(), args.len()),
                Step::One(..) => panic!("merged"),
            })
            .collect();
        // 300 rows: 256 and 4 (padded 44); raw mail and tickets together,
        // then messages, then events.
        assert_eq!(sqls.len(), 6, "{sqls:#?}");
        let (first, n) = &sqls[0];
        assert!(
            first.starts_with("WITH w0 AS (INSERT INTO raw_messages (dedupe_key) SELECT u.c1 ")
        );
        assert!(first.contains(
            "AS u(c1, keep) WHERE u.keep IS NOT NULL) INSERT INTO tickets (id) SELECT u.c1"
        ));
        // The tickets' parameters follow the raw rows'.
        assert!(first.contains("($513, $514), ($515, $516)"), "{first}");
        assert_eq!(*n, 2 * 256 * 2);
        assert!(
            sqls[1]
                .0
                .starts_with("WITH w0 AS (INSERT INTO raw_messages")
        );
        assert_eq!(sqls[1].1, 2 * 64 * 2);
        for (sql, _) in &sqls[2..4] {
            assert!(sql.starts_with("INSERT INTO messages"), "{sql}");
        }
        for (sql, _) in &sqls[4..] {
            assert!(sql.starts_with("INSERT INTO events"), "{sql}");
        }
        assert!(reads_table(
            "(SELECT id FROM raw_messages WHERE",
            "raw_messages"
        ));
        assert!(!reads_table(
            "(SELECT id FROM raw_messages_old)",
            "raw_messages"
        ));
        assert!(!reads_table("'raw_messages'", "raw_messages"));
    }

    #[test]
    fn a_kept_text_is_the_text_written_afresh() {
        let raw = "INSERT INTO raw_messages (dedupe_key) VALUES ($1)";
        let ticket = "INSERT INTO tickets (id, subject) VALUES ($1, $2)";
        let texts = || {
            let mut run = Run::default();
            for t in 0..5i64 {
                assert!(run.add(raw, vec![format!("k{t}").into()]).is_ok());
                assert!(run.add(ticket, vec![t.into(), "s".into()]).is_ok());
            }
            run.take()
                .into_iter()
                .map(|s| match s {
                    Step::Many(sql, args) => (sql, args.len()),
                    Step::One(..) => panic!("merged"),
                })
                .collect::<Vec<_>>()
        };
        let (first, again) = (texts(), texts());
        assert_eq!(first, again);
        // Five rows of each, padded to 16: the tickets' parameters follow
        // the raw rows' 16 × 2.
        let fresh = combined_text(&[(raw, 1, 16), (ticket, 2, 16)]);
        assert_eq!(*first[0].0, fresh);
        assert!(fresh.contains("AS u(c1, c2, keep)") && fresh.contains("($33, $34, $35)"));
        assert_eq!(first[0].1, 16 * 2 + 16 * 3);
    }

    #[test]
    fn a_run_of_single_rows_goes_as_it_came() {
        let mut run = Run::default();
        assert!(
            run.add("INSERT INTO tickets (id) VALUES ($1)", vec![1.into()])
                .is_ok()
        );
        assert!(
            run.add("INSERT INTO events (ticket_id) VALUES ($1)", vec![1.into()])
                .is_ok()
        );
        let steps = run.take();
        assert!(matches!(steps.as_slice(), [Step::One(..), Step::One(..)]));
    }
}
