//! What the running daemon knows about itself: the health of each part
//! ([`health`], behind `/readyz`) and its counters ([`metrics`], behind
//! `/metrics`).
//!
//! One process-wide [`Monitor`] ([`get`]): the workers are built in many
//! places (the daemon, `run --once`, the MTA pipe, the benchmarks), and a
//! worker reports what it did with one line (`monitor::get().…`) instead of
//! every constructor carrying a handle. Reporting never blocks on I/O and
//! never fails.

pub mod health;
pub mod metrics;
pub mod probe;

use std::sync::LazyLock;
use std::time::Duration;

use crate::ingest::Outcome;

pub use health::Health;
pub use metrics::Metrics;
pub use probe::DbProbe;

/// The health state and the metrics of this process.
pub struct Monitor {
    pub health: Health,
    pub metrics: Metrics,
    /// The database look of `/readyz`.
    pub probe: DbProbe,
}

static MONITOR: LazyLock<Monitor> = LazyLock::new(|| Monitor {
    health: Health::default(),
    metrics: Metrics::new(),
    probe: DbProbe::default(),
});

/// This process's monitor.
pub fn get() -> &'static Monitor {
    &MONITOR
}

impl Monitor {
    /// A batch went through ingest: counted, and a database failure in it
    /// (the messages stay for the next pass) reported as the database's.
    pub fn ingested(
        &self,
        source: &'static str,
        outcomes: &[anyhow::Result<Outcome>],
        took: Duration,
    ) {
        self.metrics.record_ingest(source, outcomes, took);
        let db_problem = outcomes
            .iter()
            .find_map(|o| o.as_ref().err().and_then(health::database_problem));
        match db_problem {
            Some(p) => self
                .health
                .database_failed(&p, crate::mail::compose::wall_clock()),
            None if !outcomes.is_empty() => self.health.database_ok(),
            None => {}
        }
    }
}

impl Monitor {
    /// `/readyz`'s answer: a look at the database at `database_url` (see
    /// [`probe`]), then the workers' reports. A fresh look settles the
    /// database's part; a recent one was already recorded.
    pub async fn readiness(&self, database_url: &str) -> Result<(), Vec<String>> {
        let now = crate::mail::compose::wall_clock();
        match self.probe.check(database_url).await {
            probe::Probed::Fresh(Ok(())) => self.health.database_ok(),
            probe::Probed::Fresh(Err(what)) => self.health.database_failed(&what, now),
            probe::Probed::Recent(_) => {}
        }
        self.health.verdict(now)
    }

    /// An SLA scan went through (so the database takes writes).
    pub fn scanned(&self, stats: &crate::sla::scan::ScanStats, took: Duration) {
        self.metrics.record_scan(stats, took);
        self.health.database_ok();
    }
}

/// The label of a message's source: `maildir:cur/…` → `maildir`,
/// `imap://…` → `imap`, `pipe` → `pipe`.
pub fn source_label(source: &str) -> &'static str {
    let kind = source.split(':').next().unwrap_or("");
    match kind {
        "maildir" => "maildir",
        "imap" => "imap",
        "pipe" => "pipe",
        "file" => "file",
        "quarantine" => "quarantine",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::source_label;

    #[test]
    fn sources_are_labelled_by_kind() {
        assert_eq!(source_label("maildir:1700000000.x"), "maildir");
        assert_eq!(source_label("imap://helpdesk@h:143/INBOX;UID=3"), "imap");
        assert_eq!(source_label("pipe"), "pipe");
        assert_eq!(source_label("file:/tmp/a.eml"), "file");
        assert_eq!(source_label("weird"), "other");
    }
}
