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

use std::time::Duration;

use anyhow::Result;
use tokio::sync::watch;
use tracing::{debug, info};

use crate::store::{Db, leases};

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
        }
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
        leases::take(&mut c, &self.name, &self.holder, now, until).await
    }

    /// Renews the lease; an error when it was lost (another instance took
    /// it after this one failed to renew in time), so the work stops.
    pub async fn renew(&self, now: i64) -> Result<()> {
        if !self.try_take(now).await? {
            return Err(Lost(self.name.clone()).into());
        }
        Ok(())
    }

    /// Waits until this instance holds the lease (`true`) or `shutdown`
    /// turns true (`false`). `standby` is called after each try that found
    /// another holder alive, and `failed` with each database error (both
    /// are tried again).
    pub async fn wait(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        now: impl Fn() -> i64,
        standby: impl Fn(),
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
                Ok(false) if self.take_from_dead(now()).await => {
                    info!(lease = %self.name, holder = %self.holder, "lease taken from a crashed process");
                    return true;
                }
                Ok(false) => {
                    if !said {
                        info!(lease = %self.name, "another instance holds the lease; standing by");
                        said = true;
                    }
                    standby();
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
    async fn take_from_dead(&self, now: i64) -> bool {
        let Ok(mut c) = self.db.pool().acquire().await else {
            return false;
        };
        let Ok(Some((old, _))) = leases::holder(&mut c, &self.name).await else {
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
        leases::take_from(&mut c, &self.name, &old, &self.holder, now, until)
            .await
            .unwrap_or(false)
    }

    /// Gives the lease up, so another instance takes over at once.
    pub async fn release(&self) {
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
