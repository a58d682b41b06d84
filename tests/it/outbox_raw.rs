//! The bytes of outgoing mail in their own table (migration 0014, issue 14
//! story 4): rows queued before the migration keep their bytes, and a kill
//! between writing a batch and marking it sent loses no mail.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use posko::store::Db;
use posko::store::outbox;

use crate::both;
use crate::harness::mail;
use crate::harness::posko::{Backend, Posko};

/// A Maildir desk writing mail as files, with a lease short enough to wait
/// out in a test.
const FILES: &str = r#"
[inbound]
kind = "maildir"
path = "mail"

[outbound]
kind = "file"
path = "outbox"
lease = "2s"
"#;

/// Bytes an encoder could get wrong: NUL, quotes, backslashes, every byte.
fn awkward_bytes(tag: u8) -> Vec<u8> {
    let mut b = b"Subject: before 0014\r\n\r\n".to_vec();
    b.extend((0..=255u8).chain([0, b'\'', b'\\', b'"', tag]));
    b
}

/// Rows written by the schema before 0014 (queued, sent, failed with no
/// bytes) come through the migration with their bytes, and the queued one
/// is then claimed with them and written out.
async fn rows_queued_before_0014_keep_their_bytes(backend: Backend) {
    let posko = Posko::from_parts(backend, "", FILES).await;
    let db = Db::connect(&posko.db_url).await.expect("connect");
    let tree = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(tree);
    let migrator = sqlx::migrate::Migrator::new(dir)
        .await
        .expect("read the migrations");
    migrator
        .run_to(13, db.pool())
        .await
        .expect("migrate to 0013");
    let rows: [(&str, &str, Vec<u8>); 3] = [
        ("<q@corp.test>", "queued", awkward_bytes(1)),
        ("<s@corp.test>", "sent", awkward_bytes(2)),
        ("<f@corp.test>", "failed", Vec::new()),
    ];
    for (message_id, status, raw) in &rows {
        sqlx::query(
            "INSERT INTO outbox (kind, message_id, env_from, rcpts, primary_rcpt, subject, raw, \
             status, due_at, created_at) VALUES ('ack', $1, 'helpdesk@corp.test', \
             '[\"a@corp.test\"]', 'a@corp.test', 's', $2, $3, 1000, 1000)",
        )
        .bind(*message_id)
        .bind(raw.clone())
        .bind(*status)
        .execute(db.pool())
        .await
        .expect("a row of the old schema");
    }
    db.migrate().await.expect("migrate through 0014");
    let moved: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT outbox_id, raw FROM outbox_raw ORDER BY outbox_id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(moved.len(), 3, "every row's bytes moved");
    for ((_, _, raw), (_, got)) in rows.iter().zip(&moved) {
        assert_eq!(got, raw);
    }
    let mut tx = db.begin().await.unwrap();
    let claimed = outbox::claim_due(&mut tx, 2_000, 300, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1, "only the queued row is due");
    assert_eq!(claimed[0].message_id, "<q@corp.test>");
    assert_eq!(claimed[0].raw, rows[0].2, "claimed with its bytes");
    // Its lease runs out; the worker writes it out as it went in.
    let cfg = posko::config::load(&posko.config).unwrap();
    let out = posko.path().join("outbox");
    let worker = posko::outbox::Outbox::new(
        db.clone(),
        posko::outbox::Transport::File { dir: out.clone() },
        cfg.outbox.clone(),
    );
    assert_eq!(worker.tick(2_400).await.unwrap().sent, 1);
    let files: Vec<Vec<u8>> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files, vec![rows[0].2.clone()]);
    // Mail queued after the migration has its bytes too.
    let rcpts = vec!["b@corp.test".to_string()];
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(
        &mut tx,
        &outbox::NewOutgoing {
            ticket_id: None,
            kind: "ack",
            message_id: "<new@corp.test>",
            env_from: "helpdesk@corp.test",
            rcpts: &rcpts,
            primary_rcpt: &rcpts[0],
            subject: "s",
            raw: &awkward_bytes(3),
            due_at: 2_500,
            now: 2_500,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(worker.tick(2_500).await.unwrap().sent, 1);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
}
both!(rows_queued_before_0014_keep_their_bytes);

/// `run --once` killed (SIGKILL) after it wrote its first batch of mail and
/// before it marked the batch sent (its intake perhaps not through): the
/// next pass, after the lease, takes in the rest and sends every mail, the
/// killed batch again under the same file names. Each
/// requester's acknowledgment is in exactly one file, none is lost, and an
/// acknowledgment's bytes as stored on its ticket are the file's.
async fn a_kill_between_write_and_mark_loses_no_mail(backend: Backend) {
    let posko = Posko::from_parts(backend, "ack_limit_total = 1000", FILES).await;
    // More than one batch of the file transport (250).
    const MAILS: usize = 300;
    crate::outbox_batch::deliver_printer_reports(&posko, MAILS);
    let killed = posko
        .command(&["run", "--once"])
        .env(posko::outbox::FAULT_KILL_BEFORE_MARK, "1")
        .output()
        .expect("run posko");
    assert_eq!(killed.status.signal(), Some(9), "{killed:?}");
    let outbox_dir = posko.path().join("outbox");
    let written = std::fs::read_dir(&outbox_dir).unwrap().count();
    assert!(written > 0, "the first batch was written before the kill");
    let db = Db::connect(&posko.db_url).await.expect("connect");
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await,
        0,
        "killed before any mark"
    );
    // The killed claim holds until its lease (2 s) runs out. (The intake
    // may not have been through either: it runs beside the sending.)
    tokio::time::sleep(Duration::from_secs(3)).await;
    posko.run_once();
    assert!(posko.outbox_unsent().is_empty(), "everything sent");
    assert_eq!(
        count("SELECT COUNT(*) FROM tickets").await,
        MAILS as i64,
        "each mail one ticket"
    );
    let rows = count("SELECT COUNT(*) FROM outbox").await;
    assert!(rows >= MAILS as i64, "{rows} rows queued");
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await,
        rows
    );
    let mut by_name: HashMap<String, Vec<u8>> = HashMap::new();
    for e in std::fs::read_dir(&outbox_dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        assert!(
            name.ends_with(".eml") && !name.starts_with('.'),
            "{name} left behind"
        );
        by_name.insert(name, std::fs::read(e.path()).unwrap());
    }
    assert_eq!(by_name.len() as i64, rows, "one file per mail");
    for i in 0..MAILS {
        let to = format!("user{i}@corp.test");
        let acks = by_name
            .values()
            .filter(|f| mail::header(f, "To").is_some_and(|t| t.contains(&to)))
            .count();
        assert_eq!(acks, 1, "{to} is answered exactly once");
    }
    // A ticket's acknowledgment, as kept on the ticket, is the file
    // written (its bytes read from the new table).
    let id = posko.tickets()[0]["id"].as_i64().unwrap();
    let ticket = posko.ticket(id);
    let ack = ticket["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "out")
        .expect("an outgoing message on the ticket");
    let shown = posko.cmd(&[
        "tickets",
        "show",
        &id.to_string(),
        "--raw",
        &ack["id"].as_i64().unwrap().to_string(),
    ]);
    assert!(shown.status.success(), "{shown:?}");
    assert!(
        by_name.values().any(|f| *f == shown.stdout),
        "the stored acknowledgment is one of the files"
    );
}
both!(a_kill_between_write_and_mark_loses_no_mail);
