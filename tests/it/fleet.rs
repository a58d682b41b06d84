//! Issue 14, story 5: several daemons (`posko run`) on one PostgreSQL
//! database and one IMAP mailbox take in mail delivered while they run.
//! Every mail is one ticket (a reply one comment) and one acknowledgment,
//! each SLA notice is queued and sent once, the instances share the work
//! (one reads the mailbox under a lease, all send), and when the reader is
//! killed with SIGKILL another takes over within a lease.
//!
//! The suite runs a few hundred mails; `scripts/fleet.sh` runs 1,000 and
//! more through the same test (`POSKO_FLEET_MAILS`, `POSKO_FLEET_INSTANCES`,
//! `POSKO_FLEET_KILL=0`, `POSKO_FLEET_SLA=0`) and reads its FLEET line.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::harness::fleet::{self, Census, Generated};
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko};

/// The IMAP lease in this test: short, so a takeover fits the suite.
const LEASE_SECS: u64 = 3;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SLA targets short enough to fall due while the test runs: a warning
/// after 3 s, a breach after 6 s, for every priority.
fn sla_sections() -> String {
    let mut s = String::from(
        "[escalation]\nwarn_at = [0.5]\nchain = [\"level:1\"]\nscan_interval = \"1s\"\n\n",
    );
    for p in 1..=5 {
        s.push_str(&format!(
            "[[sla]]\npriority = {p}\nresponse = \"6s\"\nresolution = \"10h\"\nbusiness_hours = false\n\n"
        ));
    }
    s
}

/// What each instance did, from its log: lease takeovers, messages fetched
/// from IMAP, mails sent.
fn shares(p: &Posko) -> (usize, u64, u64) {
    // Without the colours of the terminal log format.
    let mut log = String::new();
    let mut in_escape = false;
    for ch in p.daemon_log().chars() {
        match (in_escape, ch) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => log.push(c),
        }
    }
    let leases = log.matches("lease taken").count();
    let sum = |marker: &str, field: &str| -> u64 {
        log.lines()
            .filter(|l| l.contains(marker))
            .filter_map(|l| {
                let at = l.find(field)? + field.len();
                l[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    };
    (
        leases,
        sum("IMAP pass", "fetched: "),
        sum("outbox tick", "sent="),
    )
}

async fn holder(db_url: &str) -> Option<String> {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(db_url)
        .await
        .ok()?;
    sqlx::query_scalar::<_, String>("SELECT holder FROM leases WHERE name LIKE 'imap:%'")
        .fetch_optional(&mut c)
        .await
        .ok()?
}

/// The pid part of a lease holder ("host:pid:random").
fn pid_of(holder: &str) -> Option<u32> {
    holder.split(':').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_one_mailbox_and_survive_a_kill() {
    let n = env_or("POSKO_FLEET_MAILS", 240);
    let count = env_or("POSKO_FLEET_INSTANCES", 3).max(1);
    let kill = env_or("POSKO_FLEET_KILL", 1) == 1 && count > 1;
    let sla = env_or("POSKO_FLEET_SLA", 1) == 1;
    // For a throughput figure: every mail waiting before the daemons start.
    let preload = env_or("POSKO_FLEET_PRELOAD", 0) == 1;
    let kill = kill && !preload;
    // The baseline binary (before leases) knows none of the lease keys.
    let old = env_or("POSKO_FLEET_OLD", 0) == 1;
    let (inbound_extra, outbound_extra) = if old {
        (String::new(), String::new())
    } else {
        (
            format!("lease = \"{LEASE_SECS}s\"\n"),
            "lease = \"5s\"\nretry_after = \"1s\"\n".to_string(),
        )
    };
    let stack = MailStack::start().await;
    let first = Posko::with(
        Backend::Postgres,
        &stack,
        Options {
            desk_extra: "ack_limit = 100000\nack_limit_total = 100000\n".into(),
            inbound_extra,
            outbound_extra,
            extra: if sla { sla_sections() } else { String::new() },
            ..Options::default()
        },
    )
    .await;
    // Migrations once, before three processes race for them.
    first.cmd(&["check"]);
    let mut fleet: Vec<Posko> = (1..count).map(|_| first.sharing()).collect();
    fleet.insert(0, first);
    // Each its own instance name, as on machines of their own: a killed
    // one is replaced when its lease runs out, not as a dead process of
    // the same machine (which the crash tests cover).
    for (i, p) in fleet.iter_mut().enumerate() {
        p.env.push(("POSKO_INSTANCE".into(), format!("fleet-{i}")));
    }
    let db_url = fleet[0].db_url.clone();
    let set: Vec<Generated> = fleet::generate(n, "fleet");
    let (originals, replies) = fleet::counts(&set);

    if preload {
        fleet::append_all(&stack, "helpdesk", &set, Duration::ZERO).await;
    }
    let started = Instant::now();
    for p in fleet.iter_mut() {
        p.start_daemon();
    }
    // Mail arrives while they run: a third at once, the rest paced.
    let third = if preload { n } else { n / 3 };
    if !preload {
        fleet::append_all(&stack, "helpdesk", &set[..third], Duration::ZERO).await;
    }
    let mut killed_at = None;
    let mut killed = None;
    if kill {
        // Kill the reader (the lease holder) with work in flight.
        assert!(
            fleet::until(Duration::from_secs(20), || async {
                holder(&db_url).await.is_some()
            })
            .await,
            "no instance took the lease"
        );
        // … once it has made tickets: work done and work in flight.
        let url = db_url.clone();
        fleet::until(Duration::from_secs(30), || async {
            Census::try_take(&url).await.is_ok_and(|c| c.tickets > 0)
        })
        .await;
        let h = holder(&db_url).await.expect("a lease holder");
        let pid = pid_of(&h).expect("pid in the holder");
        let i = fleet
            .iter()
            .position(|p| p.daemon_pid() == pid)
            .expect("the holder is one of ours");
        fleet[i].kill_daemon();
        killed_at = Some(Instant::now());
        killed = Some((i, h));
    }
    // Another instance holds the lease within one lease (and its retry):
    // watched while the rest of the mail arrives, since at full size the
    // arrival alone outlasts a lease.
    let watch_takeover = async {
        let (Some(at), Some((_, old))) = (killed_at, &killed) else {
            return None;
        };
        let ok = fleet::until(Duration::from_secs(30), || async {
            holder(&db_url).await.is_some_and(|h| h != *old)
        })
        .await;
        assert!(ok, "no instance took the lease over");
        Some(at.elapsed())
    };
    let deliver = async {
        fleet::append_all(&stack, "helpdesk", &set[third..], Duration::from_millis(2)).await;
        started.elapsed()
    };
    let (takeover, delivered_at) = tokio::join!(watch_takeover, deliver);

    // An acknowledgment and the service desk's notice per ticket; with
    // SLA, a warning and a breach notice too.
    let expect_out = if sla { 4 } else { 2 } * originals;
    // When every mail was a ticket or comment (intake) and when every
    // mail out was sent: the SMTP sink, not posko, bounds the second.
    let intake_done = std::sync::Mutex::new(None);
    let all_in = fleet::until(Duration::from_secs(240), || async {
        let Ok(c) = Census::try_take(&db_url).await else {
            return false;
        };
        let inbound: u32 = c.inbound.values().sum();
        let sent = c
            .outbound_by_kind()
            .iter()
            .filter(|(k, _)| k.ends_with(" sent"))
            .map(|(_, n)| *n as usize)
            .sum::<usize>();
        if inbound as usize >= n {
            intake_done.lock().unwrap().get_or_insert(started.elapsed());
        }
        inbound as usize >= n && sent >= expect_out
    })
    .await;
    let elapsed = started.elapsed();
    for p in fleet.iter_mut() {
        if p.daemon_running_opt() {
            assert!(p.stop_daemon(), "daemon failed on SIGTERM");
        }
    }
    let census = Census::take(&db_url).await;
    let logs: String = fleet.iter().map(|p| p.daemon_log()).collect();
    assert!(
        all_in,
        "not everything arrived: {:?}\n{logs}",
        census.outbound_by_kind()
    );

    // One ticket per original, each reply a comment on its original's.
    assert_eq!(census.tickets as usize, originals, "tickets");
    assert_eq!(census.quarantined, 0);
    for g in &set {
        let origin = g.reply_to.as_deref().unwrap_or(&g.message_id);
        let key = format!("in {origin} {}", g.message_id);
        assert_eq!(census.inbound.get(&key), Some(&1), "{key}");
    }
    assert!(census.duplicates().is_empty(), "{:?}", census.duplicates());
    // One acknowledgment per ticket; with SLA, one warning and one breach.
    let by = census.outbound_by_kind();
    assert_eq!(
        by.get("ack sent").copied().unwrap_or(0) as usize,
        originals,
        "{by:?}"
    );
    assert_eq!(
        by.get("staff_new sent").copied().unwrap_or(0) as usize,
        originals,
        "{by:?}"
    );
    if sla {
        assert_eq!(
            by.get("sla_warning sent").copied().unwrap_or(0) as usize,
            originals,
            "{by:?}"
        );
        assert_eq!(
            by.get("sla_breach sent").copied().unwrap_or(0) as usize,
            originals,
            "{by:?}"
        );
    }
    assert_eq!(
        by.len(),
        if sla { 4 } else { 2 },
        "only these kinds: {by:?}"
    );

    // On the wire: every acknowledgment arrived; a resend is possible only
    // for mails the killed sender had sent but not yet marked: outcomes are
    // written per claimed batch (at most 50 rows, at most a second apart).
    let mut acks: BTreeMap<String, u32> = fleet::delivered(&stack, "alice").await;
    acks.extend(fleet::delivered(&stack, "bob").await);
    let resent: u32 = acks.values().map(|n| n - 1).sum();
    assert_eq!(acks.len(), originals, "acknowledgments delivered");
    assert!(
        resent <= 50 * u32::from(kill),
        "{resent} acknowledgments delivered twice"
    );

    // The work was shared: who read and who sent.
    let mut takeovers = 0;
    let mut senders = 0;
    let mut lines = Vec::new();
    for (i, p) in fleet.iter().enumerate() {
        let (leases, fetched, sent) = shares(p);
        takeovers += leases;
        senders += usize::from(sent > 0);
        lines.push(format!(
            "instance {i}: leases {leases}, fetched {fetched}, sent {sent}"
        ));
    }
    if let Some(t) = takeover {
        assert!(
            t < Duration::from_secs(LEASE_SECS * 2 + 2),
            "takeover took {t:?} with a {LEASE_SECS} s lease"
        );
        assert!(
            takeovers >= 2,
            "the reader was killed, so another read:\n{}",
            lines.join("\n")
        );
    }
    if count > 1 {
        assert!(senders >= 2, "sending is shared:\n{}", lines.join("\n"));
    }
    let secs = elapsed.as_secs_f64();
    let intake_secs = intake_done
        .into_inner()
        .unwrap()
        .unwrap_or(elapsed)
        .as_secs_f64();
    eprintln!(
        "FLEET old={old} instances={count} mails={n} preload={preload} originals={originals} replies={replies} sla={sla} kill={kill} \
         delivered_in={:.1}s intake_done={:.1}s intake_msg_per_s={:.1} all_done={secs:.1}s msg_per_s={:.1} takeover={:?} resent={resent}\n{}",
        delivered_at.as_secs_f64(),
        intake_secs,
        n as f64 / intake_secs,
        n as f64 / secs,
        takeover,
        lines.join("\n")
    );
}
