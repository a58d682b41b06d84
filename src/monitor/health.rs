//! Is every part of the daemon working? The workers report each pass here;
//! [`Health::verdict`] turns that into `/readyz`'s answer: ready, or the
//! reasons it is not, one per failing part, in words an admin can act on
//! ("IMAP: login failed 3 times since 10:02 UTC").
//!
//! Times are arguments (seconds since the epoch), so the verdict is a pure
//! function of what was reported and `now`.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The reported state of the parts. A std mutex: it is held for a few
/// field updates, never across an `.await`.
#[derive(Default)]
pub struct Health {
    state: Mutex<State>,
}

#[derive(Default, Clone)]
struct State {
    /// Per mail source ("IMAP", "Maildir").
    sources: BTreeMap<&'static str, Source>,
    /// The last database failure, while it lasts.
    database: Option<Failure>,
    outbox: Outbox,
}

#[derive(Default, Clone)]
struct Source {
    last_ok: Option<i64>,
    failure: Option<Failure>,
    /// Another instance holds this source's lease and reads it; this one
    /// stands by (healthy, but not reading: `/readyz` says so).
    standby: Option<Standby>,
}

/// The instance that holds a source's lease, as a standby last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standby {
    /// Its instance id (`host:pid:random:boot`); empty when unknown.
    pub holder: String,
    /// Since when it holds the lease.
    pub since: i64,
    /// Until when, unless it renews.
    pub until: i64,
}

/// A run of failures of one kind.
#[derive(Clone)]
struct Failure {
    what: String,
    count: u32,
    since: i64,
}

/// What the outbox last saw of its queue.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backlog {
    /// Mails not yet sent (queued or being sent; not the ones given up).
    pub depth: i64,
    /// When the oldest of them was queued.
    pub oldest_at: Option<i64>,
    /// Of those, the ones whose last attempt failed.
    pub failing: i64,
    /// When the oldest failing one was queued.
    pub failing_since: Option<i64>,
}

#[derive(Default, Clone)]
struct Outbox {
    backlog: Backlog,
    last_sent: Option<i64>,
    last_failed: Option<i64>,
}

impl Failure {
    fn record(slot: &mut Option<Failure>, what: &str, now: i64) {
        match slot {
            Some(f) if f.what == what => f.count += 1,
            _ => {
                *slot = Some(Failure {
                    what: what.to_string(),
                    count: 1,
                    since: now,
                })
            }
        }
    }

    fn describe(&self, part: &str) -> String {
        if self.count == 1 {
            format!("{part}: {} once at {}", self.what, clock_time(self.since))
        } else {
            format!(
                "{part}: {} {} times since {}",
                self.what,
                self.count,
                clock_time(self.since)
            )
        }
    }
}

impl Health {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// `source` ("IMAP", "Maildir") exists and is expected to pass: until
    /// its first pass the daemon is not ready.
    pub fn expect_source(&self, source: &'static str) {
        self.with(|s| {
            s.sources.entry(source).or_default();
        });
    }

    /// A pass of `source` went through: its failures are over. (Its
    /// messages may still have failed on the database: ingest reports
    /// that, see [`super::Monitor::ingested`].)
    pub fn source_ok(&self, source: &'static str, now: i64) {
        self.with(|s| {
            let src = s.sources.entry(source).or_default();
            src.last_ok = Some(now);
            src.failure = None;
            src.standby = None;
        });
    }

    /// `source` stands by: another instance (`by`, when it could be read)
    /// holds its lease and reads it. Healthy, so ready; the words say who
    /// reads ([`Health::notes`]).
    pub fn source_standby(&self, source: &'static str, by: Option<Standby>, now: i64) {
        self.with(|s| {
            let src = s.sources.entry(source).or_default();
            src.last_ok = Some(now);
            src.failure = None;
            src.standby = Some(by.unwrap_or(Standby {
                holder: String::new(),
                since: now,
                until: now,
            }));
        });
    }

    /// What `/readyz` adds to its answer besides being ready or not: the
    /// sources this instance stands by for, and who reads them.
    pub fn notes(&self) -> Vec<String> {
        self.with(|s| {
            s.sources
                .iter()
                .filter_map(|(name, src)| Some((name, src.standby.as_ref()?)))
                .map(|(name, by)| {
                    if by.holder.is_empty() {
                        format!("{name}: standing by; another instance holds the lease")
                    } else {
                        format!(
                            "{name}: standing by; instance {} holds the lease since {}, until {}",
                            by.holder,
                            second_time(by.since),
                            second_time(by.until)
                        )
                    }
                })
                .collect()
        })
    }

    /// A pass of `source` failed. A database error counts against the
    /// database, not the source: the mailbox itself was fine.
    pub fn source_failed(&self, source: &'static str, what: &str, err: &anyhow::Error, now: i64) {
        if let Some(db) = database_problem(err) {
            self.database_failed(&db, now);
            return;
        }
        self.with(|s| {
            Failure::record(&mut s.sources.entry(source).or_default().failure, what, now)
        });
    }

    /// The database refused or could not be reached (`what`: "locked",
    /// "unreachable: …").
    pub fn database_failed(&self, what: &str, now: i64) {
        self.with(|s| Failure::record(&mut s.database, what, now));
    }

    /// A write went through: the database works again.
    pub fn database_ok(&self) {
        self.with(|s| s.database = None);
    }

    /// After an outbox tick: what is left in the queue, and whether mail
    /// went out or failed in it.
    pub fn outbox_tick(&self, backlog: Backlog, sent: bool, failed: bool, now: i64) {
        self.with(|s| {
            s.outbox.backlog = backlog;
            if sent {
                s.outbox.last_sent = Some(now);
            }
            if failed {
                s.outbox.last_failed = Some(now);
            }
            // Marking a mail sent or failed is a committed write; reading
            // the backlog alone is not (SQLite readers pass a writer's
            // lock), so it says nothing of a locked database.
            if sent || failed {
                s.database = None;
            }
        });
    }

    /// The outbox's queue as last seen.
    pub fn backlog(&self) -> Backlog {
        self.with(|s| s.outbox.backlog)
    }

    /// Ready (`Ok`), or why not: one reason per failing part.
    pub fn verdict(&self, now: i64) -> Result<(), Vec<String>> {
        let s = self.with(|s| s.clone());
        let mut why = Vec::new();
        for (name, src) in &s.sources {
            match (&src.failure, src.last_ok) {
                (Some(f), _) => why.push(f.describe(name)),
                (None, None) => why.push(format!("{name}: no pass yet")),
                (None, Some(_)) => {}
            }
        }
        if let Some(f) = &s.database {
            why.push(f.describe("database"));
        }
        let o = &s.outbox;
        // Failing mails are a problem while sending keeps failing: once a
        // mail goes out again the server is back, and the retries follow.
        let failing_now = o.last_failed.is_some() && o.last_failed >= o.last_sent;
        if o.backlog.failing > 0 && failing_now {
            let since = o.backlog.failing_since.unwrap_or(now);
            let n = o.backlog.failing;
            let mails = if n == 1 { "mail" } else { "mails" };
            why.push(format!(
                "outbox: {n} {mails} failing for {}",
                span((now - since).max(0))
            ));
        }
        if why.is_empty() { Ok(()) } else { Err(why) }
    }
}

/// "locked" or "unreachable: …" when `err` came from the database.
pub fn database_problem(err: &anyhow::Error) -> Option<String> {
    let db = err.chain().find_map(|e| e.downcast_ref::<sqlx::Error>())?;
    let text = db.to_string();
    let lower = text.to_lowercase();
    Some(if lower.contains("locked") || lower.contains("busy") {
        "locked".to_string()
    } else if matches!(
        db,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
    ) {
        format!("unreachable ({})", short(&text))
    } else {
        short(&text)
    })
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    line.chars().take(120).collect()
}

/// `10:02 UTC`.
fn clock_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// `10:02:05 UTC`: a lease's times, to the second.
fn second_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%H:%M:%S UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// `45 s`, `12 min`, `2 h`, `3 d`.
fn span(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_779_962_520; // 10:02 UTC

    #[test]
    fn a_source_is_not_ready_before_its_first_pass() {
        let h = Health::default();
        h.expect_source("IMAP");
        assert_eq!(h.verdict(T0), Err(vec!["IMAP: no pass yet".to_string()]));
        h.source_ok("IMAP", T0);
        assert_eq!(h.verdict(T0), Ok(()));
    }

    #[test]
    fn a_standby_is_ready_and_names_the_reader() {
        let h = Health::default();
        h.expect_source("IMAP");
        let by = Standby {
            holder: "a:12:0000beef:b00t".into(),
            since: T0,
            until: T0 + 65,
        };
        h.source_standby("IMAP", Some(by), T0 + 5);
        assert_eq!(h.verdict(T0 + 5), Ok(()));
        assert_eq!(
            h.notes(),
            vec![
                "IMAP: standing by; instance a:12:0000beef:b00t holds the lease since 10:02:00 UTC, until 10:03:05 UTC"
                    .to_string()
            ]
        );
        // Reading again: no note.
        h.source_ok("IMAP", T0 + 70);
        assert!(h.notes().is_empty());
    }

    #[test]
    fn repeated_failures_are_counted_from_the_first() {
        let h = Health::default();
        let err = anyhow::anyhow!("login as helpdesk refused");
        for i in 0..3 {
            h.source_failed("IMAP", "login failed", &err, T0 + i * 60);
        }
        assert_eq!(
            h.verdict(T0 + 200),
            Err(vec![
                "IMAP: login failed 3 times since 10:02 UTC".to_string()
            ])
        );
        h.source_ok("IMAP", T0 + 300);
        assert_eq!(h.verdict(T0 + 300), Ok(()));
    }

    #[test]
    fn a_database_error_is_the_database_not_the_source() {
        let h = Health::default();
        h.source_ok("Maildir", T0);
        let err = anyhow::Error::new(sqlx::Error::Protocol("database is locked".into()))
            .context("cannot begin");
        h.source_failed("Maildir", "pass failed", &err, T0 + 60);
        assert_eq!(
            h.verdict(T0 + 60),
            Err(vec!["database: locked once at 10:03 UTC".to_string()])
        );
        h.database_ok();
        assert_eq!(h.verdict(T0 + 120), Ok(()));
    }

    #[test]
    fn failing_mail_makes_the_outbox_unready_until_mail_goes_out() {
        let h = Health::default();
        let backlog = Backlog {
            depth: 41,
            oldest_at: Some(T0),
            failing: 40,
            failing_since: Some(T0),
        };
        h.outbox_tick(backlog, false, true, T0 + 7200);
        assert_eq!(
            h.verdict(T0 + 7200),
            Err(vec!["outbox: 40 mails failing for 2 h".to_string()])
        );
        h.outbox_tick(backlog, true, false, T0 + 7300);
        assert_eq!(h.verdict(T0 + 7300), Ok(()));
    }

    #[test]
    fn an_outbox_that_only_read_does_not_clear_a_locked_database() {
        let h = Health::default();
        h.database_failed("locked", T0);
        h.outbox_tick(Backlog::default(), false, false, T0 + 1);
        assert_eq!(
            h.verdict(T0 + 1),
            Err(vec!["database: locked once at 10:02 UTC".to_string()])
        );
        h.outbox_tick(Backlog::default(), true, false, T0 + 2);
        assert_eq!(h.verdict(T0 + 2), Ok(()));
    }
}
