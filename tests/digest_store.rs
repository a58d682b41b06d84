//! The digest's figures from a crafted desk history, on SQLite and on
//! PostgreSQL (`POSKO_TEST_PG`): the SQL aggregates must give exactly the
//! numbers the history implies, the same on both backends.
//!
//! The history (Asia/Jakarta, digest of Tuesday 1 December 2026, which
//! covers Monday 30 November; `P0` is its midnight):
//! - #1 P1 incident, network, budi: recorded P0+9h, in progress P0+10h;
//!   response met; resolution running, due 1 Dec 10:00 (at risk).
//! - #2 P2 incident, network: recorded P0+10h, resolved P0+12h; response
//!   breached (due P0+11h, stopped P0+11h30: 30 business minutes late);
//!   recategorised.
//! - #3 P3 incident, network: recorded 24 Nov 09:00, still new.
//! - #4 P3 request, servicedesk, siti: recorded 10 Nov 09:00, pending.
//! - #5 spam, recorded P0+13h and closed at once (ignored).
//! - #6 P3 request: recorded 27 Nov, resolved 28 Nov (resolution met),
//!   reopened P0+8h, closed P0+14h.
//! - #7 P1 security ticket, major, network: recorded P0+15h, escalated.
//!
//! Three incidents of one unit with the same complaint make two problem
//! candidates.

use chrono::NaiveDate;
use posko::calendar::{Calendar, WeeklyHours};
use posko::digest::collect::collect;
use posko::digest::config::Settings;
use posko::digest::figures::{AgeRow, Share, Tally};
use posko::digest::period::{midnight, period_for};
use posko::digest::problems::Reason;
use posko::store::{Conn, Db};
use sqlx::{AssertSqlSafe, Connection};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Jakarta;
const H: i64 = 3600;
const D: i64 = 86_400;

fn p0() -> i64 {
    midnight(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), TZ)
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339()
}

#[allow(clippy::too_many_arguments)]
async fn ticket(
    c: &mut Conn,
    subject: &str,
    status: &str,
    requester: &str,
    kind: &str,
    category: &str,
    priority: i64,
    group: &str,
    assignee: Option<&str>,
    major: bool,
    created: i64,
    updated: i64,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO tickets (subject, status, requester, type, category, priority, group_key, \
         assignee, major, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(subject)
    .bind(status)
    .bind(requester)
    .bind(kind)
    .bind(category)
    .bind(priority)
    .bind(group)
    .bind(assignee)
    .bind(major as i64)
    .bind(created)
    .bind(updated)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

async fn event(c: &mut Conn, ticket: i64, kind: &str, at: i64, data: serde_json::Value) {
    sqlx::query(
        "INSERT INTO events (ticket_id, kind, actor, at, data) VALUES ($1, $2, 'test', $3, $4)",
    )
    .bind(ticket)
    .bind(kind)
    .bind(at)
    .bind(data.to_string())
    .execute(&mut *c)
    .await
    .unwrap();
}

#[allow(clippy::too_many_arguments)]
async fn clock(
    c: &mut Conn,
    ticket: i64,
    kind: &str,
    state: &str,
    started: i64,
    due: Option<i64>,
    stopped: Option<i64>,
) {
    sqlx::query(
        "INSERT INTO sla_clocks (ticket_id, kind, target_seconds, started_at, due_at, state, \
         stopped_at, business_hours) VALUES ($1, $2, 3600, $3, $4, $5, $6, 1)",
    )
    .bind(ticket)
    .bind(kind)
    .bind(started)
    .bind(due)
    .bind(state)
    .bind(stopped)
    .execute(&mut *c)
    .await
    .unwrap();
}

async fn history(c: &mut Conn) {
    use serde_json::json;
    let p0 = p0();
    let t1 = ticket(
        c,
        "Internet mati lantai 3",
        "in_progress",
        "a@dinkes.test",
        "incident",
        "network",
        1,
        "network",
        Some("budi"),
        false,
        p0 + 9 * H,
        p0 + 10 * H,
    )
    .await;
    event(
        c,
        t1,
        "status_changed",
        p0 + 10 * H,
        json!({"from": "new", "to": "in_progress"}),
    )
    .await;
    event(
        c,
        t1,
        "sla_stopped",
        p0 + 9 * H + 300,
        json!({"clock": "response", "state": "met"}),
    )
    .await;
    clock(
        c,
        t1,
        "response",
        "met",
        p0 + 9 * H,
        None,
        Some(p0 + 9 * H + 300),
    )
    .await;
    clock(
        c,
        t1,
        "resolution",
        "running",
        p0 + 9 * H,
        Some(p0 + D + 10 * H),
        None,
    )
    .await;

    let t2 = ticket(
        c,
        "<b>Internet</b> mati lantai 3 lagi",
        "resolved",
        "b@dinkes.test",
        "incident",
        "network",
        2,
        "network",
        None,
        false,
        p0 + 10 * H,
        p0 + 12 * H,
    )
    .await;
    event(
        c,
        t2,
        "sla_breach",
        p0 + 11 * H + 60,
        json!({"clock": "response", "due_at": rfc3339(p0 + 11 * H), "threshold": "breach"}),
    )
    .await;
    // With a chain, the breach is step 1 of it as well.
    event(
        c,
        t2,
        "escalated",
        p0 + 11 * H + 60,
        json!({"clock": "response", "threshold": "breach", "step": 1}),
    )
    .await;
    event(
        c,
        t2,
        "sla_stopped",
        p0 + 11 * H + 1800,
        json!({"clock": "response", "state": "breached"}),
    )
    .await;
    event(c, t2, "recategorised", p0 + 11 * H + 1800, json!({})).await;
    event(
        c,
        t2,
        "status_changed",
        p0 + 12 * H,
        json!({"from": "in_progress", "to": "resolved"}),
    )
    .await;
    event(
        c,
        t2,
        "sla_stopped",
        p0 + 12 * H,
        json!({"clock": "resolution", "state": "met"}),
    )
    .await;
    clock(
        c,
        t2,
        "response",
        "breached",
        p0 + 10 * H,
        Some(p0 + 11 * H),
        Some(p0 + 11 * H + 1800),
    )
    .await;

    ticket(
        c,
        "Internet mati lantai 3",
        "new",
        "c@dinkes.test",
        "incident",
        "network",
        3,
        "network",
        None,
        false,
        p0 - 6 * D + 9 * H,
        p0 - 6 * D + 9 * H,
    )
    .await;
    ticket(
        c,
        "Akun email baru",
        "pending",
        "d@bappeda.test",
        "service_request",
        "request",
        3,
        "servicedesk",
        Some("siti"),
        false,
        p0 - 20 * D + 9 * H,
        p0 - 19 * D,
    )
    .await;

    let t5 = ticket(
        c,
        "WIN A PRIZE",
        "closed",
        "spam@spam.test",
        "incident",
        "other",
        3,
        "servicedesk",
        None,
        false,
        p0 + 13 * H,
        p0 + 13 * H,
    )
    .await;
    event(c, t5, "ignored", p0 + 13 * H, json!({})).await;

    let t6 = ticket(
        c,
        "Printer macet",
        "closed",
        "e@bappeda.test",
        "service_request",
        "request",
        3,
        "servicedesk",
        None,
        false,
        p0 - 3 * D + 9 * H,
        p0 + 14 * H,
    )
    .await;
    event(
        c,
        t6,
        "status_changed",
        p0 - 2 * D + 9 * H,
        json!({"from": "new", "to": "resolved"}),
    )
    .await;
    event(
        c,
        t6,
        "sla_stopped",
        p0 - 2 * D + 9 * H,
        json!({"clock": "resolution", "state": "met"}),
    )
    .await;
    event(
        c,
        t6,
        "reopened",
        p0 + 8 * H,
        json!({"from": "resolved", "to": "in_progress"}),
    )
    .await;
    event(
        c,
        t6,
        "status_changed",
        p0 + 14 * H,
        json!({"from": "in_progress", "to": "closed"}),
    )
    .await;

    let t7 = ticket(
        c,
        "Akun admin dibobol?",
        "new",
        "f@kominfo.test",
        "security",
        "security",
        1,
        "network",
        None,
        true,
        p0 + 15 * H,
        p0 + 15 * H,
    )
    .await;
    event(
        c,
        t7,
        "escalated",
        p0 + 15 * H + 300,
        json!({"from_group": "servicedesk", "to_group": "network"}),
    )
    .await;
    clock(
        c,
        t7,
        "response",
        "running",
        p0 + 15 * H,
        Some(p0 + 15 * H + 600),
        None,
    )
    .await;
}

async fn check(url: &str) {
    let db = Db::connect(url).await.expect("open the database");
    db.migrate().await.expect("migrate");
    let mut c = db.pool().acquire().await.unwrap();
    history(&mut c).await;
    let cal = Calendar::business(TZ, WeeklyHours::office(), []).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let p = period_for(&cal, TZ, date).unwrap();
    let got = collect(&mut c, &cal, TZ, &p, "", &Settings::default())
        .await
        .unwrap();
    let f = &got.figures;
    assert_eq!((f.new.value, &f.new.earlier[..]), (3, &[0, 0, 0, 0][..]));
    assert_eq!(
        (f.resolved.value, f.closed.value, f.reopened.value),
        (1, 1, 1)
    );
    assert_eq!(
        (f.backlog.value, &f.backlog.earlier[..]),
        (4, &[1, 1, 0, 0][..])
    );
    assert_eq!(f.backlog.change_pct(), Some(700));

    let share = |met, decided| Share { met, decided };
    let p1 = &f.sla[0];
    assert_eq!(
        (p1.priority, p1.response, p1.resolution),
        (Some(1), share(1, 1), share(0, 0))
    );
    let p2 = &f.sla[1];
    assert_eq!(
        (p2.response, p2.resolution, p2.resolution_mtd),
        (share(0, 1), share(1, 1), share(1, 1))
    );
    let p3 = &f.sla[2];
    assert_eq!(
        (p3.priority, p3.resolution, p3.resolution_mtd),
        (Some(3), share(0, 0), share(1, 1))
    );

    assert_eq!(f.breaches.len(), 1);
    assert_eq!(
        (f.breaches[0].ticket.id, f.breaches[0].clock.as_str()),
        (2, "response")
    );
    assert_eq!(f.breaches[0].late_seconds, 1800);
    assert_eq!(f.at_risk.len(), 1);
    assert_eq!(
        (f.at_risk[0].ticket.id, f.at_risk[0].due_at),
        (1, p0() + D + 10 * H)
    );

    assert_eq!(
        f.aging,
        vec![
            AgeRow {
                priority: Some(1),
                buckets: [2, 0, 0, 0]
            },
            AgeRow {
                priority: Some(3),
                buckets: [0, 0, 1, 1]
            },
        ]
    );
    let oldest: Vec<i64> = f.oldest.iter().map(|t| t.id).collect();
    assert_eq!(oldest, vec![4, 3, 1, 7]);
    assert_eq!(
        f.per_group,
        vec![
            Tally {
                key: Some("network".into()),
                count: 3
            },
            Tally {
                key: Some("servicedesk".into()),
                count: 1
            },
        ]
    );
    assert_eq!(
        f.per_assignee,
        vec![
            Tally {
                key: None,
                count: 2
            },
            Tally {
                key: Some("budi".into()),
                count: 1
            },
            Tally {
                key: Some("siti".into()),
                count: 1
            },
        ]
    );
    let escalations: Vec<(i64, &str)> = f
        .escalations
        .iter()
        .map(|e| (e.ticket.id, e.to.as_str()))
        .collect();
    assert_eq!(escalations, vec![(2, "step:1"), (7, "network")]);
    assert_eq!(f.major.iter().map(|t| t.id).collect::<Vec<_>>(), vec![7]);
    assert_eq!(f.security.iter().map(|t| t.id).collect::<Vec<_>>(), vec![7]);
    assert_eq!(f.satisfaction, None);
    assert_eq!((f.categories.tickets, f.categories.recategorised), (6, 1));

    assert_eq!(f.daily.len(), 14);
    assert_eq!(f.daily[0].date, "2026-11-17");
    assert_eq!(f.daily[13].date, "2026-11-30");
    let opened: Vec<i64> = f.daily.iter().map(|d| d.opened).collect();
    assert_eq!(opened, vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 3]);
    let resolved: Vec<i64> = f.daily.iter().map(|d| d.resolved).collect();
    assert_eq!(resolved, vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
    assert_eq!(f.daily[13].response, share(1, 2));
    assert_eq!(f.daily[11].resolution, share(1, 1));

    assert_eq!(got.problems.len(), 2, "{:?}", got.problems);
    assert!(
        matches!(&got.problems[0].reason, Reason::Subject { category, .. } if category == "network")
    );
    assert_eq!(got.problems[0].tickets, vec![1, 2, 3]);
    assert_eq!(
        got.problems[1].reason,
        Reason::Unit {
            domain: "dinkes.test".into()
        }
    );

    // A group lead's digest sees only the group's tickets.
    let g = collect(&mut c, &cal, TZ, &p, "servicedesk", &Settings::default())
        .await
        .unwrap();
    assert_eq!(
        (
            g.figures.new.value,
            g.figures.closed.value,
            g.figures.backlog.value
        ),
        (0, 1, 1)
    );
    assert!(g.figures.breaches.is_empty() && g.problems.is_empty());

    // A day with nothing: zeros, not errors.
    let quiet = period_for(&cal, TZ, NaiveDate::from_ymd_opt(2026, 10, 6).unwrap()).unwrap();
    let q = collect(&mut c, &cal, TZ, &quiet, "", &Settings::default())
        .await
        .unwrap();
    assert_eq!((q.figures.new.value, q.figures.backlog.value), (0, 0));
    assert!(q.figures.sla.is_empty() && q.figures.aging.is_empty());
    drop(c);
    db.pool().close().await;
}

#[tokio::test]
async fn digest_figures_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&format!("sqlite://{}/posko.db", dir.path().display())).await;
}

#[tokio::test]
async fn digest_figures_on_postgres() {
    let admin = std::env::var("POSKO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("posko_digest_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} (POSKO_TEST_PG): {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let url = format!("{base}/{name}");
    let result = tokio::spawn(async move { check(&url).await }).await;
    let _ = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A desk on a SQLite file holding [`history`], with file outbound.
async fn desk() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/posko.db", dir.path().display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    {
        let mut c = db.pool().acquire().await.unwrap();
        history(&mut c).await;
    }
    db.pool().close().await;
    let config = dir.path().join("posko.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
language = "id"
timezone = "Asia/Jakarta"

[database]
url = "{url}"

[inbound]
kind = "maildir"
path = "{dir}/mail"

[outbound]
kind = "file"
path = "{dir}/sent"

[[group]]
key = "network"
name = "Jaringan"
level = 2

[[group]]
key = "servicedesk"
name = "Service Desk"
level = 1

[[category]]
key = "other"
name = {{ id = "Lainnya", en = "Other" }}
type = "incident"
group = "servicedesk"
urgency = "medium"
impact = "medium"

[[staff]]
name = "Budi Santoso"
email = "budi@corp.test"
handle = "budi"
level = 2
groups = ["network"]
"#,
            dir = dir.path().display()
        ),
    )
    .unwrap();
    (dir, config)
}

fn posko(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_posko"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let info = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG")
        .info()
        .clone();
    (info.width, info.height)
}

#[tokio::test]
async fn preview_writes_the_digest_and_its_charts_touching_nothing() {
    let (dir, config) = desk().await;
    let db = dir.path().join("posko.db");
    let before = std::fs::read(&db).unwrap();
    let out = dir.path().join("out.html");
    let o = posko(
        &config,
        &[
            "digest",
            "--date",
            "2026-12-01",
            "--preview",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    let text = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert!(
        text.contains("IT Helpdesk: ringkasan harian, Selasa, 1 Desember 2026"),
        "{text}"
    );
    assert!(text.contains("Mencakup Senin, 30 November 2026"));
    assert!(text.contains("Antrean terbuka         4  +700 %"), "{text}");
    assert!(
        html.contains("&lt;b&gt;Internet&lt;/b&gt; mati"),
        "subjects escaped"
    );
    for name in ["opened_resolved", "backlog", "sla"] {
        let file = format!("out-{name}.png");
        assert!(html.contains(&format!("src=\"{file}\"")), "{name}");
        let png = std::fs::read(dir.path().join(&file)).unwrap();
        assert_eq!(png_size(&png), (1200, 600));
    }
    assert!(html.contains("width=\"600\" height=\"300\""));
    // To look at it: POSKO_DIGEST_PREVIEW_DIR=/tmp/x cargo test --test digest_store preview
    if let Ok(keep) = std::env::var("POSKO_DIGEST_PREVIEW_DIR") {
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let path = e.unwrap().path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("out"))
            {
                std::fs::copy(
                    &path,
                    std::path::Path::new(&keep).join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }
    assert!(!dir.path().join("sent").exists(), "nothing sent");
    // The database file is as it was (its WAL aside: SQLite may make one).
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A group lead's digest.
    let o = posko(
        &config,
        &[
            "digest",
            "--date",
            "2026-12-01",
            "--group",
            "servicedesk",
            "--preview",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let text = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert!(
        text.starts_with("IT Helpdesk (Service Desk): ringkasan harian"),
        "{text}"
    );
}

#[tokio::test]
async fn sent_digest_is_alternative_with_related_pngs_by_content_id() {
    use mail_parser::{MessageParser, MimeHeaders, PartType};
    let (dir, config) = desk().await;
    let o = posko(
        &config,
        &[
            "digest",
            "--date",
            "2026-12-01",
            "--to",
            "direktur@corp.test",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sent: Vec<_> = std::fs::read_dir(dir.path().join("sent"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sent.len(), 1);
    let raw = std::fs::read(&sent[0]).unwrap();
    let m = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        m.subject(),
        Some("[Helpdesk] Ringkasan harian Selasa, 1 Desember 2026")
    );
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    let ct = m.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );
    let text = m.body_text(0).unwrap();
    // The text part carries the figures.
    assert!(text.contains("Antrean terbuka         4  +700 %"), "{text}");
    assert!(
        text.contains("#2 <b>Internet</b> mati lantai 3 lagi"),
        "{text}"
    );
    let html = m.body_html(0).unwrap();
    let cids: Vec<String> = html
        .match_indices("src=\"cid:")
        .map(|(i, _)| {
            let rest = &html[i + 9..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(cids.len(), 3, "{html}");
    let mut related = false;
    for p in &m.parts {
        if let Some(ct) = p.content_type()
            && ct.ctype() == "multipart"
            && ct.subtype() == Some("related")
        {
            related = true;
        }
    }
    assert!(related, "a multipart/related part");
    for cid in &cids {
        let part = m
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid.as_str()))
            .unwrap_or_else(|| panic!("no part with Content-ID {cid}"));
        let ct = part.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("image", Some("png")));
        let (PartType::Binary(bytes) | PartType::InlineBinary(bytes)) = &part.body else {
            panic!("{cid} is not binary");
        };
        assert_eq!(png_size(bytes), (1200, 600));
    }
}

/// Where the browser check leaves its screenshot: `target/artifacts/`.
fn artifacts() -> std::path::PathBuf {
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The preview HTML as a manager's mail program would show it: rendered in
/// headless Chromium (which `scripts/setup.sh` installs), the screenshot
/// kept as `target/artifacts/digest-preview.png`. It must be a real page:
/// the window's size, mostly white paper with a fair amount of ink and
/// colour (the charts' lines) on it.
#[tokio::test]
async fn preview_renders_in_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!(
            "SKIPPED preview_renders_in_chromium: no chromium here (scripts/setup.sh installs it)"
        );
        return;
    };
    let (dir, config) = desk().await;
    let out = dir.path().join("digest.html");
    let o = posko(
        &config,
        &[
            "digest",
            "--date",
            "2026-12-01",
            "--preview",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shot = artifacts().join("digest-preview.png");
    let _ = std::fs::remove_file(&shot);
    let profile = dir.path().join("chromium-profile");
    let mut child = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1200,3200",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromium");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium took over 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1200, 3200));
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let (mut ink, mut colour, mut total) = (0usize, 0usize, 0usize);
    for p in pixels {
        total += 1;
        let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
        if r.min(g).min(b) < 200 {
            ink += 1;
        }
        if (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 60 {
            colour += 1;
        }
    }
    let (ink, colour) = (ink as f64 / total as f64, colour as f64 / total as f64);
    assert!(ink > 0.01 && ink < 0.6, "ink covers {:.1} %", ink * 100.0);
    assert!(colour > 0.001, "colour covers {:.2} %", colour * 100.0);
    eprintln!(
        "{}: ink {:.1} %, colour {:.2} %",
        shot.display(),
        ink * 100.0,
        colour * 100.0
    );
}
