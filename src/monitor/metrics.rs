//! The counters behind `/metrics`, in Prometheus' text format
//! (prometheus-client). Names and meanings are in README.md, "Monitor".
//!
//! Workers call the `record_*` methods, one line per event; gauges that
//! describe a state (outbox depth, IMAP connection) are set by the worker
//! that knows it.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::health::Backlog;
use crate::ingest::Outcome;
use crate::sla::scan::ScanStats;

type Labels = Vec<(&'static str, &'static str)>;
/// Labels whose values are known only at run time (a mailbox).
type Owned = Vec<(&'static str, String)>;

/// The registry and a handle on each metric.
pub struct Metrics {
    registry: Registry,
    received: Family<Labels, Counter>,
    tickets_opened: Counter,
    ingest_seconds: Histogram,
    outbox_depth: Gauge,
    outbox_failing: Gauge,
    outbox_oldest_age: Gauge,
    sent: Counter,
    send_failures: Family<Labels, Counter>,
    imap_connected: Gauge,
    imap_last_poll: Gauge,
    lease_held: Family<Owned, Gauge>,
    lease_expiry: Family<Owned, Gauge>,
    sla: Family<Labels, Counter>,
    scan_seconds: Histogram,
    reloads: Family<Labels, Counter>,
    digests: Family<Labels, Counter>,
    ready: Gauge,
}

/// How a mail that could not be sent failed.
#[derive(Debug, Clone, Copy)]
pub enum SendFailure {
    /// Will be tried again (4xx, connection trouble).
    Temporary,
    /// Given up: a 5xx answer, a bad address, or the attempts spent.
    Permanent,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        // 1 ms … 33 s: a batch of one message to a slow scan of a big desk.
        let seconds = || Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let m = Metrics {
            registry: Registry::default(),
            received: Family::default(),
            tickets_opened: Counter::default(),
            ingest_seconds: seconds(),
            outbox_depth: Gauge::default(),
            outbox_failing: Gauge::default(),
            outbox_oldest_age: Gauge::default(),
            sent: Counter::default(),
            send_failures: Family::default(),
            imap_connected: Gauge::default(),
            imap_last_poll: Gauge::default(),
            lease_held: Family::default(),
            lease_expiry: Family::default(),
            sla: Family::default(),
            scan_seconds: seconds(),
            reloads: Family::default(),
            digests: Family::default(),
            ready: Gauge::default(),
        };
        r.register(
            "posko_messages_received",
            "Messages taken in, by source and outcome",
            m.received.clone(),
        );
        r.register(
            "posko_tickets_opened",
            "Tickets opened from mail",
            m.tickets_opened.clone(),
        );
        r.register(
            "posko_ingest_batch_duration_seconds",
            "Time to take in one batch of messages",
            m.ingest_seconds.clone(),
        );
        r.register(
            "posko_outbox_depth",
            "Mails queued and not yet sent",
            m.outbox_depth.clone(),
        );
        r.register(
            "posko_outbox_failing",
            "Queued mails whose last attempt failed",
            m.outbox_failing.clone(),
        );
        r.register(
            "posko_outbox_oldest_unsent_age_seconds",
            "Age of the oldest mail not yet sent (0 when none)",
            m.outbox_oldest_age.clone(),
        );
        r.register("posko_mail_sent", "Mails sent", m.sent.clone());
        r.register(
            "posko_send_failures",
            "Failed send attempts, by class (temporary, permanent)",
            m.send_failures.clone(),
        );
        r.register(
            "posko_imap_connected",
            "1 while the IMAP connection is up",
            m.imap_connected.clone(),
        );
        r.register(
            "posko_imap_last_poll_timestamp_seconds",
            "When the last IMAP pass went through (Unix time)",
            m.imap_last_poll.clone(),
        );
        r.register(
            "posko_imap_lease_held",
            "1 while this instance holds the mailbox's lease and reads it, 0 while it stands by",
            m.lease_held.clone(),
        );
        r.register(
            "posko_imap_lease_expiry_timestamp_seconds",
            "When the mailbox's lease runs out unless renewed (Unix time), whoever holds it",
            m.lease_expiry.clone(),
        );
        r.register(
            "posko_sla_events",
            "SLA warnings, breaches and escalation steps recorded",
            m.sla.clone(),
        );
        r.register(
            "posko_sla_scan_duration_seconds",
            "Time of one SLA scan",
            m.scan_seconds.clone(),
        );
        r.register(
            "posko_config_reloads",
            "Configuration reloads (SIGHUP), by result",
            m.reloads.clone(),
        );
        r.register(
            "posko_digests_queued",
            "Daily digests queued, by scope (desk, group)",
            m.digests.clone(),
        );
        r.register(
            "posko_ready",
            "1 when /readyz answers ready",
            m.ready.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// A batch went through ingest: one count per outcome (failed
    /// messages, left for the next pass, count as `deferred`).
    pub fn record_ingest(
        &self,
        source: &'static str,
        outcomes: &[anyhow::Result<Outcome>],
        took: Duration,
    ) {
        self.ingest_seconds.observe(took.as_secs_f64());
        for o in outcomes {
            let outcome = match o {
                Ok(Outcome::NewTicket(_)) => {
                    self.tickets_opened.inc();
                    "new_ticket"
                }
                Ok(Outcome::Comment(_)) => "comment",
                Ok(Outcome::Duplicate) => "duplicate",
                Ok(Outcome::Answered) => "answered",
                Ok(Outcome::Quarantined { .. }) => "quarantined",
                Err(_) => "deferred",
            };
            self.received
                .get_or_create(&vec![("source", source), ("outcome", outcome)])
                .inc();
        }
    }

    pub fn record_sent(&self) {
        self.sent.inc();
    }

    pub fn record_send_failure(&self, class: SendFailure) {
        let class = match class {
            SendFailure::Temporary => "temporary",
            SendFailure::Permanent => "permanent",
        };
        self.send_failures
            .get_or_create(&vec![("class", class)])
            .inc();
    }

    pub fn record_backlog(&self, b: &Backlog, now: i64) {
        self.outbox_depth.set(b.depth);
        self.outbox_failing.set(b.failing);
        self.outbox_oldest_age
            .set(b.oldest_at.map_or(0, |t| (now - t).max(0)));
    }

    pub fn record_imap_connected(&self, up: bool) {
        self.imap_connected.set(i64::from(up));
    }

    /// The lease on `mailbox` as this instance last saw it: `held` by this
    /// instance or not, and its expiry when known.
    pub fn record_lease(&self, mailbox: &str, held: bool, expires: Option<i64>) {
        let labels = vec![("mailbox", mailbox.to_string())];
        self.lease_held.get_or_create(&labels).set(i64::from(held));
        if let Some(e) = expires {
            self.lease_expiry.get_or_create(&labels).set(e);
        }
    }

    pub fn record_imap_poll(&self, now: i64) {
        self.imap_last_poll.set(now);
    }

    pub fn record_scan(&self, stats: &ScanStats, took: Duration) {
        self.scan_seconds.observe(took.as_secs_f64());
        for (kind, n) in [
            ("warning", stats.warnings),
            ("breach", stats.breaches),
            ("escalation", stats.escalations),
        ] {
            if n > 0 {
                self.sla
                    .get_or_create(&vec![("kind", kind)])
                    .inc_by(u64::from(n));
            }
        }
    }

    pub fn record_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "refused" };
        self.reloads.get_or_create(&vec![("result", result)]).inc();
    }

    /// A daily digest was queued: the desk's, or a group lead's.
    pub fn record_digest(&self, group: bool) {
        let scope = if group { "group" } else { "desk" };
        self.digests.get_or_create(&vec![("scope", scope)]).inc();
    }

    /// The text exposition, with `ready` as `/readyz` would answer now.
    pub fn render(&self, ready: bool) -> String {
        self.ready.set(i64::from(ready));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivered_mail_shows_in_the_text() {
        let m = Metrics::new();
        m.record_ingest(
            "imap",
            &[Ok(Outcome::NewTicket(1)), Ok(Outcome::Duplicate)],
            Duration::from_millis(3),
        );
        m.record_send_failure(SendFailure::Temporary);
        let text = m.render(true);
        assert!(
            text.contains(r#"posko_messages_received_total{source="imap",outcome="new_ticket"} 1"#),
            "{text}"
        );
        assert!(text.contains("posko_tickets_opened_total 1"), "{text}");
        assert!(text.contains(r#"posko_send_failures_total{class="temporary"} 1"#));
        assert!(text.contains("posko_ingest_batch_duration_seconds_count 1"));
        assert!(text.contains("posko_ready 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
