//! The clock-look use case in process: a fresh SQLite file, the real
//! migrations and queries, `now` passed in; milliseconds a test.

use std::path::Path;
use std::sync::Arc;

use crate::config::{self, Config};
use crate::domain::Status;
use crate::mail::templates::Templates;
use crate::sla::life;
use crate::sla::scan::Escalator;
use crate::store::script::Script;
use crate::store::tickets::{self, Classified, NewTicket};
use crate::store::{Db, events};

const T0: i64 = 1_795_000_000;

const CONFIG: &str = r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
[database]
url = "sqlite://unused.db"
[inbound]
kind = "maildir"
path = "var/mail"
[outbound]
kind = "file"
path = "var/outbox"
[calendar]
hours = "24x7"
[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1
groups = ["servicedesk"]
[[staff]]
name = "Hendra"
email = "hendra@corp.test"
handle = "hendra"
level = 2
role = "manager"
"#;

struct Desk {
    _dir: tempfile::TempDir,
    db: Db,
    cfg: Arc<Config>,
    scan: Escalator,
}

/// A desk with one priority-1 ticket recorded at `T0`, its clocks started
/// (response: 10 minutes around the clock; warning at 75 %).
async fn desk() -> (Desk, i64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let cfg = Arc::new(config::parse(CONFIG, Path::new("t.toml")).unwrap());
    let templates = Arc::new(Templates::load(None).unwrap());
    let mut tx = db.begin().await.unwrap();
    let id = tickets::insert(
        &mut tx,
        &NewTicket {
            subject: "Internet mati",
            requester: "alice@corp.test",
            requester_name: Some("Alice"),
            auto_kind: None,
            linked_ticket_id: None,
            class: Some(Classified {
                ticket_type: "incident",
                category: "other",
                urgency: "high",
                impact: "high",
                priority: 1,
                group: "servicedesk",
                assignee: None,
                tags: &[],
                major: false,
            }),
            language: None,
            now: T0,
        },
    )
    .await
    .unwrap();
    // The clocks start as the intake starts them.
    let mut w = Script::new();
    life::push_start_clocks(&mut w, &cfg, id, 1, "other", T0).expect("targets");
    w.run(&mut tx, db.backend()).await.unwrap();
    tx.commit().await.unwrap();
    let scan = Escalator::new(cfg.clone(), db.clone(), templates);
    (
        Desk {
            _dir: dir,
            db,
            cfg,
            scan,
        },
        id,
    )
}

/// (kind, data) of the ticket's events of `kind`.
async fn events_of(d: &Desk, id: i64, kind: &str) -> Vec<serde_json::Value> {
    let mut c = d.db.pool().acquire().await.unwrap();
    events::list_for_ticket(&mut c, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.data)
        .collect()
}

/// The raw mail queued so far.
async fn outbox(d: &Desk) -> Vec<String> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT raw FROM outbox_raw ORDER BY outbox_id")
        .fetch_all(d.db.pool())
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| String::from_utf8_lossy(&r).into_owned())
        .collect()
}

#[tokio::test]
async fn the_scan_records_and_mails_each_threshold_once() {
    let (d, id) = desk().await;
    assert_eq!(d.scan.tick(T0 + 449).await.unwrap().warnings, 0);
    let stats = d.scan.tick(T0 + 450).await.unwrap();
    assert_eq!((stats.clocks, stats.warnings), (1, 1));
    // The next look at the same instant finds nothing due.
    assert_eq!(d.scan.tick(T0 + 450).await.unwrap().clocks, 0);
    let warnings = events_of(&d, id, "sla_warning").await;
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["mailed"], true);
    assert_eq!(warnings[0]["to"], serde_json::json!(["siti@corp.test"]));
    let mail = outbox(&d).await;
    assert_eq!(mail.len(), 1);
    // To staff: a Reply-To with Siti's token for this ticket.
    assert!(
        mail[0].contains("Reply-To: \"IT Helpdesk\" <helpdesk+"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("Subject: [Helpdesk #1] Peringatan SLA (respons 75%): Internet mati"));

    // Breach at 601 s: to the group and the first of the chain (managers).
    let stats = d.scan.tick(T0 + 700).await.unwrap();
    assert_eq!((stats.warnings, stats.breaches), (0, 1));
    assert_eq!(events_of(&d, id, "escalated").await.len(), 1);
    assert_eq!(outbox(&d).await.len(), 3);
    assert_eq!(d.scan.tick(T0 + 5000).await.unwrap().breaches, 0);
}

#[tokio::test]
async fn a_change_records_what_no_scan_saw_without_mail() {
    let (d, id) = desk().await;
    // No scan ran; at 700 s staff set the ticket pending: the warning and
    // the breach are recorded, without mail, and the clocks pause.
    let mut tx = d.db.begin().await.unwrap();
    life::on_status_change(&mut tx, id, Status::New, Status::Pending, T0 + 700, &d.cfg)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let warnings = events_of(&d, id, "sla_warning").await;
    let breaches = events_of(&d, id, "sla_breach").await;
    assert_eq!((warnings.len(), breaches.len()), (1, 1));
    assert_eq!(warnings[0]["mailed"], false);
    assert_eq!(breaches[0]["mailed"], false);
    // The scan finds nothing new on the paused clocks, and mails nothing.
    let stats = d.scan.tick(T0 + 5000).await.unwrap();
    assert!(!stats.queued_mail(), "{stats:?}");
    assert!(outbox(&d).await.is_empty());
}

#[tokio::test]
async fn a_scan_then_a_change_report_each_threshold_once() {
    let (d, id) = desk().await;
    d.scan.tick(T0 + 450).await.unwrap();
    // Resolved at 700 s: only the breach is new (the warning was mailed).
    let mut tx = d.db.begin().await.unwrap();
    life::on_status_change(&mut tx, id, Status::New, Status::Resolved, T0 + 700, &d.cfg)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(events_of(&d, id, "sla_warning").await.len(), 1);
    let breaches = events_of(&d, id, "sla_breach").await;
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0]["mailed"], false);
    assert_eq!(events_of(&d, id, "sla_stopped").await.len(), 2);
    assert_eq!(d.scan.tick(T0 + 5000).await.unwrap().clocks, 0);
    assert_eq!(outbox(&d).await.len(), 1);
}
