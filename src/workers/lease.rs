//! A leader lease held in the database ([`crate::store::leases`]): how
//! several daemons on one PostgreSQL database share a piece of work that
//! only one may do at a time, such as reading one IMAP mailbox.
//!
//! The holder renews it at least every third of its length (between
//! chunks of a pass, and by cutting IDLE short); the others try to take it
//! every quarter of its length and wait meanwhile. A holder killed with
//! SIGKILL stops renewing, so another instance resumes its work at most
//! about one and a quarter leases later; a holder that stops cleanly gives
//! the lease up at once, and one restarted on the same machine after a
//! crash takes over at once from its dead predecessor (same host and boot,
//! its process gone), so a lone daemon restarted by systemd does not wait.
//!
//! A renewal that fails for a passing reason (the database locked or out of
//! reach for a moment) does not end the work: the holder knows the expiry
//! it last wrote, so it keeps working and retrying until a safety margin
//! before that expiry ([`keeps_working`]), and stops only then: strictly
//! before any other instance may take the lease, so two never overlap.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::store::{Db, leases};

pub use crate::store::leases::Held;

/// The error of a renewal that found the lease taken by another instance:
/// not a failure of the work, the instance stands by.
#[derive(Debug)]
pub struct Lost(pub String);

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lost the lease on {} to another instance", self.0)
    }
}

impl std::error::Error for Lost {}

/// One named lease as this instance sees it.
#[derive(Clone)]
pub struct Lease {
    db: Db,
    name: String,
    holder: String,
    length: Duration,
    /// What this instance last wrote, shared by its clones.
    mine: Arc<Mutex<Mine>>,
}

/// The expiry this instance last wrote, and whether renewals fail now.
#[derive(Default, Clone, Copy)]
struct Mine {
    expires: Option<i64>,
    failing: bool,
}

/// Whether a holder whose renewal failed at `now` keeps working: only while
/// `now` is more than `margin` before the expiry it last wrote (`None`:
/// it holds nothing). The margin covers the time until the next check (a
/// chunk of mail, a database call that waits on a lock).
pub fn keeps_working(now: i64, expires: Option<i64>, margin: i64) -> bool {
    expires.is_some_and(|e| now < e - margin)
}

impl Lease {
    /// The lease `name` of length `length`, held in the name of this
    /// process: `host:pid:random:boot` (the random part so a restarted
    /// process with a reused id is another holder; the boot id so a dead
    /// predecessor is recognised only on this very machine).
    pub fn new(db: Db, name: &str, length: Duration) -> Lease {
        let (host, boot) = machine();
        let holder = format!(
            "{host}:{}:{:08x}:{boot}",
            std::process::id(),
            rand::random::<u32>()
        );
        Lease {
            db,
            name: name.into(),
            holder,
            length,
            mine: Arc::default(),
        }
    }

    /// The lease's name (`imap:<source>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expiry this instance last wrote, while it holds the lease.
    pub fn expires(&self) -> Option<i64> {
        self.mine().expires
    }

    fn mine(&self) -> Mine {
        *self.mine.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_mine(&self, m: Mine) {
        *self.mine.lock().unwrap_or_else(|p| p.into_inner()) = m;
    }

    /// How long before its expiry a holder whose renewals fail stops: a
    /// quarter of the lease (at least 1 s), rounded up to whole seconds.
    fn margin(&self) -> i64 {
        let quarter = (self.length.as_millis() as i64 / 4).max(1000);
        (quarter + 999) / 1000
    }

    /// How long the work may go on before the next renewal: a third of the
    /// lease; while renewals fail, a short pause, and never past the
    /// moment the holder must stop.
    pub fn renew_within(&self, now: i64) -> Duration {
        let m = self.mine();
        if !m.failing {
            return self.renew_every();
        }
        let retry = (self.length / 12).max(Duration::from_millis(250));
        let left = m.expires.map_or(0, |e| e - self.margin() - now).max(0);
        retry.min(Duration::from_secs(left as u64))
    }

    /// Who this instance is in the `leases` table.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The longest gap between two renewals.
    pub fn renew_every(&self) -> Duration {
        (self.length / 3).max(Duration::from_millis(500))
    }

    /// Takes or renews the lease at `now`; `false` when another instance
    /// holds it.
    pub async fn try_take(&self, now: i64) -> Result<bool> {
        let mut c = self.db.pool().acquire().await?;
        let until = now + self.length.as_secs().max(1) as i64;
        let taken = leases::take(&mut c, &self.name, &self.holder, now, until).await?;
        self.set_mine(Mine {
            expires: taken.then_some(until),
            failing: false,
        });
        Ok(taken)
    }

    /// Renews the lease; an error when it was lost (another instance took
    /// it after this one failed to renew in time), or when renewals kept
    /// failing until the margin before its expiry: the work stops. A
    /// failure before that is logged and the work goes on.
    pub async fn renew(&self, now: i64) -> Result<()> {
        let started = Instant::now();
        let err = match self.try_take(now).await {
            Ok(true) => return Ok(()),
            Ok(false) => return Err(Lost(self.name.clone()).into()),
            Err(e) => e,
        };
        // The failed call may have waited on a lock: count that time.
        let late = now + started.elapsed().as_secs_f64().ceil() as i64;
        let expires = self.mine().expires;
        if keeps_working(late, expires, self.margin()) {
            self.set_mine(Mine {
                expires,
                failing: true,
            });
            warn!(lease = %self.name, error = %format!("{err:#}"), expires_at = ?expires,
                "lease renewal failed; working on until shortly before it runs out");
            return Ok(());
        }
        self.set_mine(Mine::default());
        Err(err.context(format!(
            "the lease {} could not be renewed before it ran out",
            self.name
        )))
    }

    /// Waits until this instance holds the lease (`true`) or `shutdown`
    /// turns true (`false`). `standby` is called after each try that found
    /// another holder alive, with that holder when it could be read, and
    /// `failed` with each database error (both are tried again).
    pub async fn wait(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        now: impl Fn() -> i64,
        standby: impl Fn(Option<&Held>),
        failed: impl Fn(&anyhow::Error),
    ) -> bool {
        let mut said = false;
        loop {
            if *shutdown.borrow() {
                return false;
            }
            match self.try_take(now()).await {
                Ok(true) => {
                    info!(lease = %self.name, holder = %self.holder, "lease taken");
                    return true;
                }
                Ok(false) => {
                    let other = self.current().await;
                    if let Some(old) = &other
                        && self.take_from_dead(old, now()).await
                    {
                        info!(lease = %self.name, holder = %self.holder, "lease taken from a crashed process");
                        return true;
                    }
                    if !said {
                        info!(lease = %self.name, holder = ?other.as_ref().map(|h| &h.holder),
                            "another instance holds the lease; standing by");
                        said = true;
                    }
                    standby(other.as_ref());
                }
                Err(e) => failed(&e),
            }
            let pause = (self.length / 4).max(Duration::from_millis(250));
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Takes the lease over when its holder is a process of this machine
    /// (same host name and boot id) that no longer runs. A holder whose
    /// process id was reused by another program looks alive: the lease
    /// then runs out as usual.
    async fn take_from_dead(&self, held: &Held, now: i64) -> bool {
        let old = &held.holder;
        let Ok(mut c) = self.db.pool().acquire().await else {
            return false;
        };
        let (host, boot) = machine();
        let parts: Vec<&str> = old.split(':').collect();
        let dead = match parts.as_slice() {
            [h, pid, _, b] if *h == host && *b == boot => pid
                .parse::<u32>()
                .is_ok_and(|p| p != std::process::id() && !alive(p)),
            _ => false,
        };
        if !dead {
            return false;
        }
        let until = now + self.length.as_secs().max(1) as i64;
        let taken = leases::take_from(&mut c, &self.name, old, &self.holder, now, until)
            .await
            .unwrap_or(false);
        if taken {
            self.set_mine(Mine {
                expires: Some(until),
                failing: false,
            });
        }
        taken
    }

    /// Who holds the lease now (`None` when that cannot be read).
    async fn current(&self) -> Option<Held> {
        let mut c = self.db.pool().acquire().await.ok()?;
        leases::holder(&mut c, &self.name).await.ok().flatten()
    }

    /// Gives the lease up, so another instance takes over at once.
    pub async fn release(&self) {
        self.set_mine(Mine::default());
        let released = match self.db.pool().acquire().await {
            Ok(mut c) => leases::release(&mut c, &self.name, &self.holder).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = released {
            debug!(error = %format!("{e:#}"), "lease not released; it runs out by itself");
        }
    }
}

/// This instance's name (`POSKO_INSTANCE`, else the host name) and the
/// machine's boot id (its first 8 characters: enough to tell machines
/// apart). Containers that share a kernel and a host name should each get
/// a `POSKO_INSTANCE` of their own.
fn machine() -> (String, String) {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    let host = std::env::var("POSKO_INSTANCE")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| read("/proc/sys/kernel/hostname").ok())
        .unwrap_or_else(|| "host".into());
    let boot: String = read("/proc/sys/kernel/random/boot_id")
        .unwrap_or_default()
        .chars()
        .take(8)
        .collect();
    (host.replace(':', "_"), boot)
}

/// Whether process `pid` runs. An id reused by another program counts as
/// alive: the lease then runs out as usual (the safe side).
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::keeps_working;

    #[test]
    fn a_failing_holder_stops_strictly_before_its_expiry() {
        // Lease written until 160, a margin of 15 s.
        assert!(keeps_working(100, Some(160), 15));
        assert!(keeps_working(144, Some(160), 15));
        assert!(!keeps_working(145, Some(160), 15));
        assert!(!keeps_working(170, Some(160), 15));
        // Nothing held: nothing to keep.
        assert!(!keeps_working(100, None, 15));
    }
}
