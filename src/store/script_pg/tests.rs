//! The literals say what the bound arguments said: the same statements,
//! run with bound arguments and as one inlined query on a real PostgreSQL
//! (`POSKO_TEST_PG`), write the same rows.

use super::*;
use crate::store::Db;
use crate::store::script::Script;

#[test]
fn statements_are_prepared_once_and_executed_with_typed_literals() {
    let mut sql = String::new();
    let mut names = HashSet::new();
    let args = vec![
        Arg::Int(Some(-7)),
        Arg::Text(Some("it's a \\ test".into())),
        Arg::Bytes(vec![0, 0xab, 0xff]),
        Arg::Text(None),
    ];
    let stmt = "INSERT INTO t VALUES ($1, $2, '$', $3, $4, $2)";
    execute(&mut sql, &mut names, stmt, &args);
    execute(&mut sql, &mut names, stmt, &args);
    execute(&mut sql, &mut names, "SELECT 1", &[]);
    let n = name_of(stmt, &args);
    let m = name_of("SELECT 1", &[]);
    let lit = "(CAST(-7 AS BIGINT), CAST(E'it''s a \\\\ test' AS TEXT), \
               decode('00abff', 'hex'), CAST(NULL AS TEXT))";
    assert_eq!(
        sql,
        format!(
            "PREPARE {n} (BIGINT, TEXT, BYTEA, TEXT) AS {stmt};\nEXECUTE {n}{lit};\n\
             EXECUTE {n}{lit};\nPREPARE {m} AS SELECT 1;\nEXECUTE {m};\n"
        )
    );
    // Other argument types, another prepared statement.
    assert_ne!(
        name_of(stmt, &[Arg::Int(None)]),
        name_of(stmt, &[Arg::Text(None)])
    );
}

#[test]
fn large_or_nul_arguments_are_bound() {
    assert!(inlinable(&[Arg::Bytes(vec![1; 1000]), "x".into()]));
    assert!(!inlinable(&[Arg::Bytes(vec![1; INLINE_LIMIT])]));
    assert!(!inlinable(&[Arg::Text(Some("a\0b".into()))]));
    assert!(preparable("\n insert INTO t VALUES ($1)"));
    assert!(!preparable("LOCK TABLE t IN EXCLUSIVE MODE"));
}

/// Rows of (n, t, b, l) a statement list writes, bound one by one or as a
/// script.
type Row4 = (Option<i64>, Option<String>, Option<Vec<u8>>, Option<i64>);

fn awkward_rows() -> Vec<Vec<Arg>> {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    vec![
        vec![Arg::Int(Some(i64::MIN)), "plain".into(), Arg::Bytes(vec![])],
        vec![
            Arg::Int(Some(i64::MAX)),
            "o'neil \\n \\\\ ''".into(),
            Arg::Bytes(all_bytes),
        ],
        vec![Arg::Int(None), Arg::Text(None), Arg::Bytes(vec![0])],
        vec![
            0.into(),
            "$1 $$ E'x' ; -- /* ünï 漢字 🙂\r\n\t".into(),
            Arg::Bytes(b"\\x00".to_vec()),
        ],
        // Over the inline limit: bound, in its turn between inlined ones.
        vec![1.into(), "".into(), Arg::Bytes(vec![7; INLINE_LIMIT + 1])],
        vec![2.into(), "after the big one".into(), Arg::Bytes(vec![1, 2])],
    ]
}

#[tokio::test]
async fn inlined_script_writes_what_bound_statements_write() {
    let url = std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let db = Db::connect(&url)
        .await
        .expect("PostgreSQL at POSKO_TEST_PG");
    let mut tx = db.begin().await.unwrap();
    for t in ["pgi_bound", "pgi_inlined"] {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE TEMP TABLE {t} (id BIGSERIAL PRIMARY KEY, n BIGINT, t TEXT, b BYTEA, \
             l BIGINT) ON COMMIT DROP"
        )))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // Each row also reads what the statement before it wrote (a script's
    // statements see each other's writes, as the ingest's subqueries need).
    const BOUND: &str = "INSERT INTO pgi_bound (n, t, b, l) VALUES ($1, $2 || '', $3, \
                         (SELECT COUNT(*) FROM pgi_bound WHERE t = $2))";
    const INLINED: &str = "INSERT INTO pgi_inlined (n, t, b, l) VALUES ($1, $2 || '', $3, \
                           (SELECT COUNT(*) FROM pgi_inlined WHERE t = $2))";
    // Twice: the second script finds its statements prepared (asking the
    // server), a third with a Prepared that already knows.
    let mut known = Prepared::default();
    for round in 0..3 {
        let mut script = Script::new();
        for args in awkward_rows() {
            let mut bound = AnyArguments::default();
            for a in args.clone() {
                bind(&mut bound, a).unwrap();
            }
            sqlx::query_with(BOUND, bound)
                .execute(&mut *tx)
                .await
                .unwrap();
            script.push(INLINED, args);
        }
        match round {
            0 | 1 => script.run(&mut tx, db.backend()).await.unwrap(),
            _ => script
                .run_with(&mut tx, db.backend(), &mut known)
                .await
                .unwrap(),
        }
    }
    let mut got = Vec::new();
    for t in ["pgi_bound", "pgi_inlined"] {
        let rows: Vec<Row4> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT n, t, b, l FROM {t} ORDER BY id"
        )))
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        got.push(rows);
    }
    assert_eq!(got[0].len(), 3 * awkward_rows().len());
    assert_eq!(got[0], got[1]);
    assert_eq!(got[1][1].1.as_deref(), Some("o'neil \\n \\\\ ''"));
}
