//! The SLA report of a period (`posko report`): per priority and per
//! category, the tickets recorded in the period and how their service levels
//! went, the semester report the service-level SOP asks for.
//!
//! Everything is computed from the events of those tickets, never from
//! counters, so any period can be recomputed at any time:
//! - a clock's outcome is its last `sla_stopped` event (met or breached, with
//!   the business seconds it took); a clock still running that has an
//!   `sla_breach` event counts as breached (with no time); other running
//!   clocks are not yet decided and count in neither share;
//! - breaches are `sla_breach` events, escalations `escalated` events;
//! - reopened and recategorised count tickets with at least one `reopened`
//!   or `recategorised` event.
//!
//! Tickets are grouped by their current priority and category.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;
use sqlx::Row as _;

use super::{exit, report_closure};
use crate::config::Config;
use crate::domain::EventKind;
use crate::store::Conn;
use crate::store::Db;
use std::process::ExitCode;

/// How one clock of one ticket went.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    /// Some(true) met, Some(false) breached, None undecided.
    met: Option<bool>,
    /// Business seconds, when stopped.
    seconds: Option<i64>,
}

#[derive(Debug, Default)]
struct TicketFacts {
    priority: Option<i64>,
    category: Option<String>,
    response: Outcome,
    resolution: Outcome,
    breaches: i64,
    escalations: i64,
    reopened: bool,
    recategorised: bool,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    /// `priority` or `category`.
    pub by: String,
    /// The priority level or category key (`none` when unclassified).
    pub key: String,
    pub tickets: i64,
    /// Clocks decided (met or breached).
    pub response_decided: i64,
    pub response_met: i64,
    /// Share met, percent; `null` when none decided.
    pub response_met_pct: Option<f64>,
    pub response_mean_seconds: Option<f64>,
    pub response_p90_seconds: Option<i64>,
    pub resolution_decided: i64,
    pub resolution_met: i64,
    pub resolution_met_pct: Option<f64>,
    pub resolution_mean_seconds: Option<f64>,
    pub resolution_p90_seconds: Option<i64>,
    pub breaches: i64,
    pub escalations: i64,
    pub reopened: i64,
    pub recategorised: i64,
}

/// The report of tickets created in `[from, to)` (Unix seconds).
pub async fn compute(c: &mut Conn, from: i64, to: i64) -> Result<Vec<Row>> {
    let mut facts: BTreeMap<i64, TicketFacts> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT id, priority, category FROM tickets WHERE created_at >= $1 AND created_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    for r in &rows {
        facts.insert(
            r.try_get("id")?,
            TicketFacts {
                priority: r.try_get("priority")?,
                category: r.try_get("category")?,
                ..TicketFacts::default()
            },
        );
    }
    let events = sqlx::query(
        "SELECT e.ticket_id, e.kind, e.data FROM events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE t.created_at >= $1 AND t.created_at < $2 AND e.kind IN \
         ('sla_stopped', 'sla_breach', 'escalated', 'reopened', 'recategorised') \
         ORDER BY e.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    for e in &events {
        let id: i64 = e.try_get("ticket_id")?;
        let kind: String = e.try_get("kind")?;
        let data: String = e.try_get("data")?;
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        let Some(f) = facts.get_mut(&id) else {
            continue;
        };
        let clock = match data["clock"].as_str() {
            Some("response") => Some(&mut f.response),
            Some("resolution") => Some(&mut f.resolution),
            _ => None,
        };
        match EventKind::parse(&kind) {
            Some(EventKind::SlaStopped) => {
                if let Some(o) = clock {
                    *o = Outcome {
                        met: Some(data["state"] == "met"),
                        seconds: data["elapsed_seconds"].as_i64(),
                    };
                }
            }
            Some(EventKind::SlaBreach) => {
                f.breaches += 1;
                if let Some(o) = clock
                    && o.met.is_none()
                {
                    o.met = Some(false);
                }
            }
            Some(EventKind::Escalated) => f.escalations += 1,
            Some(EventKind::Reopened) => f.reopened = true,
            Some(EventKind::Recategorised) => f.recategorised = true,
            _ => {}
        }
    }
    let mut by_priority: BTreeMap<i64, Vec<&TicketFacts>> = BTreeMap::new();
    let mut by_category: BTreeMap<String, Vec<&TicketFacts>> = BTreeMap::new();
    for f in facts.values() {
        by_priority
            .entry(f.priority.unwrap_or(0))
            .or_default()
            .push(f);
        by_category
            .entry(f.category.clone().unwrap_or_else(|| "none".into()))
            .or_default()
            .push(f);
    }
    let mut out: Vec<Row> = by_priority
        .into_iter()
        .map(|(p, fs)| {
            let key = if p == 0 { "none".into() } else { p.to_string() };
            row("priority", key, &fs)
        })
        .collect();
    out.extend(
        by_category
            .into_iter()
            .map(|(k, fs)| row("category", k, &fs)),
    );
    Ok(out)
}

fn row(by: &str, key: String, fs: &[&TicketFacts]) -> Row {
    let clock = |pick: fn(&TicketFacts) -> Outcome| {
        let outcomes: Vec<Outcome> = fs.iter().map(|f| pick(f)).collect();
        let decided = outcomes.iter().filter(|o| o.met.is_some()).count() as i64;
        let met = outcomes.iter().filter(|o| o.met == Some(true)).count() as i64;
        let mut times: Vec<i64> = outcomes.iter().filter_map(|o| o.seconds).collect();
        times.sort_unstable();
        let pct = (decided > 0).then(|| round1(100.0 * met as f64 / decided as f64));
        let mean = (!times.is_empty())
            .then(|| round1(times.iter().sum::<i64>() as f64 / times.len() as f64));
        (decided, met, pct, mean, percentile(&times, 0.9))
    };
    let (rd, rm, rp, rmean, rp90) = clock(|f| f.response);
    let (sd, sm, sp, smean, sp90) = clock(|f| f.resolution);
    Row {
        by: by.into(),
        key,
        tickets: fs.len() as i64,
        response_decided: rd,
        response_met: rm,
        response_met_pct: rp,
        response_mean_seconds: rmean,
        response_p90_seconds: rp90,
        resolution_decided: sd,
        resolution_met: sm,
        resolution_met_pct: sp,
        resolution_mean_seconds: smean,
        resolution_p90_seconds: sp90,
        breaches: fs.iter().map(|f| f.breaches).sum(),
        escalations: fs.iter().map(|f| f.escalations).sum(),
        reopened: fs.iter().filter(|f| f.reopened).count() as i64,
        recategorised: fs.iter().filter(|f| f.recategorised).count() as i64,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The nearest-rank percentile of sorted values: the smallest value with at
/// least `p` of them at or below it.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

const HEADERS: [&str; 13] = [
    "by",
    "key",
    "tickets",
    "response_met_pct",
    "response_mean_s",
    "response_p90_s",
    "resolution_met_pct",
    "resolution_mean_s",
    "resolution_p90_s",
    "breaches",
    "escalations",
    "reopened",
    "recategorised",
];

fn cells(r: &Row) -> [String; 13] {
    let f = |x: Option<f64>| x.map(|x| format!("{x:.1}")).unwrap_or_default();
    let i = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
    [
        r.by.clone(),
        r.key.clone(),
        r.tickets.to_string(),
        f(r.response_met_pct),
        f(r.response_mean_seconds),
        i(r.response_p90_seconds),
        f(r.resolution_met_pct),
        f(r.resolution_mean_seconds),
        i(r.resolution_p90_seconds),
        r.breaches.to_string(),
        r.escalations.to_string(),
        r.reopened.to_string(),
        r.recategorised.to_string(),
    ]
}

/// CSV with a header line; times in seconds, shares in percent.
pub fn csv(rows: &[Row]) -> String {
    let mut out = HEADERS.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&super::csv::line(
            cells(r).iter().map(|c| super::csv::field(c)),
        ));
    }
    out
}

/// A table for people: times as `1h 5m`, shares as percent.
pub fn table(rows: &[Row], title: &str) -> String {
    let dur = |s: Option<f64>| match s {
        None => "-".to_string(),
        Some(s) => {
            let s = s.round() as i64;
            let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
            match (h, m) {
                (0, 0) => format!("{sec}s"),
                (0, _) => format!("{m}m {sec:02}s"),
                _ => format!("{h}h {m:02}m"),
            }
        }
    };
    let pct = |p: Option<f64>, met: i64, n: i64| match p {
        None => "-".to_string(),
        Some(p) => format!("{p:.1}% ({met}/{n})"),
    };
    let head = [
        "",
        "tickets",
        "response met",
        "mean",
        "p90",
        "resolution met",
        "mean",
        "p90",
        "breaches",
        "escalations",
        "reopened",
        "recategorised",
    ];
    let mut out = format!("{title}\n");
    for by in ["priority", "category"] {
        let mut lines: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
        lines[0][0] = by.into();
        for r in rows.iter().filter(|r| r.by == by) {
            lines.push(vec![
                r.key.clone(),
                r.tickets.to_string(),
                pct(r.response_met_pct, r.response_met, r.response_decided),
                dur(r.response_mean_seconds),
                dur(r.response_p90_seconds.map(|x| x as f64)),
                pct(r.resolution_met_pct, r.resolution_met, r.resolution_decided),
                dur(r.resolution_mean_seconds),
                dur(r.resolution_p90_seconds.map(|x| x as f64)),
                r.breaches.to_string(),
                r.escalations.to_string(),
                r.reopened.to_string(),
                r.recategorised.to_string(),
            ]);
        }
        let widths: Vec<usize> = (0..head.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        out.push('\n');
        for l in &lines {
            let cols: Vec<String> = l
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 {
                        format!("{c:<w$}", w = widths[i])
                    } else {
                        format!("{c:>w$}", w = widths[i])
                    }
                })
                .collect();
            out.push_str(cols.join("  ").trim_end());
            out.push('\n');
        }
    }
    out
}

/// JSON: one object per priority and per category. Priority objects carry
/// `"priority": N`, category objects `"category": "key"`; then the
/// satisfaction and closure figures (`"by": "closure"`), when given.
pub fn json(rows: &[Row], closure: Option<&report_closure::Closure>) -> Result<String> {
    let mut list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r)?;
            let key = match r.by.as_str() {
                "priority" => r
                    .key
                    .parse::<i64>()
                    .map(serde_json::Value::from)
                    .unwrap_or(serde_json::Value::Null),
                _ => serde_json::Value::from(r.key.clone()),
            };
            v[r.by.as_str()] = key;
            Ok(v)
        })
        .collect::<Result<_>>()?;
    if let Some(c) = closure {
        list.push(serde_json::to_value(c)?);
    }
    Ok(serde_json::to_string_pretty(&list)?)
}

/// Local midnight of a `YYYY-MM-DD` date in `tz`.
pub fn day_start(date: &str, tz: chrono_tz::Tz) -> Result<i64, String> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{date:?} is not a date such as 2026-07-01"))?;
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| format!("{date}: no midnight in {tz}"))
}

/// The end of local day `date` in `tz`: the next local midnight.
pub fn day_end(date: &str, tz: chrono_tz::Tz) -> Result<i64, String> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{date:?} is not a date such as 2026-12-31"))?;
    day_start(&(d + chrono::Days::new(1)).to_string(), tz)
}

/// `[start, end)` of the local days `from` to `to`, both included.
pub fn period(from: &str, to: &str, tz: chrono_tz::Tz) -> Result<(i64, i64), String> {
    let (start, end) = (day_start(from, tz)?, day_end(to, tz)?);
    if start >= end {
        return Err(format!("--from {from} is after --to {to}"));
    }
    Ok((start, end))
}

/// `posko report --from --to --format`.
pub(super) async fn cmd_report(
    cfg: Config,
    from: &str,
    to: &str,
    format: &str,
) -> Result<ExitCode> {
    let tz = cfg.desk.timezone;
    let (start, end) = match period(from, to, tz) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("posko: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let db = Db::open(&cfg).await?;
    db.migrate().await?;
    let mut c = db.acquire_for_report().await?;
    let rows = compute(&mut c, start, end).await?;
    let keys = cfg.survey_question_keys();
    let closure = report_closure::compute(&mut c, start, end, &keys).await?;
    // A period without tickets has no figures, as it has no rows.
    let closure = (!rows.is_empty()).then_some(&closure);
    match format {
        "csv" => print!("{}", csv(&rows)),
        "json" => println!("{}", json(&rows, closure)?),
        _ => {
            print!(
                "{}",
                table(&rows, &format!("SLA report {from} to {to} ({tz})"))
            );
            print!("{}", closure.map(report_closure::text).unwrap_or_default());
        }
    }
    Ok(ExitCode::from(exit::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        assert_eq!(percentile(&[], 0.9), None);
        assert_eq!(percentile(&[5], 0.9), Some(5));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&[1, 2, 3], 0.9), Some(3));
    }

    #[test]
    fn a_row_from_facts() {
        let met = |s| Outcome {
            met: Some(true),
            seconds: Some(s),
        };
        let a = TicketFacts {
            priority: Some(1),
            response: met(300),
            resolution: Outcome {
                met: Some(false),
                seconds: Some(40_000),
            },
            breaches: 1,
            escalations: 2,
            reopened: true,
            ..TicketFacts::default()
        };
        let b = TicketFacts {
            priority: Some(1),
            response: met(500),
            ..TicketFacts::default()
        };
        let r = row("priority", "1".into(), &[&a, &b]);
        assert_eq!(r.tickets, 2);
        assert_eq!(r.response_met_pct, Some(100.0));
        assert_eq!(r.response_mean_seconds, Some(400.0));
        assert_eq!(r.response_p90_seconds, Some(500));
        assert_eq!((r.resolution_decided, r.resolution_met), (1, 0));
        assert_eq!(r.resolution_met_pct, Some(0.0));
        assert_eq!((r.breaches, r.escalations, r.reopened), (1, 2, 1));
        let c = csv(std::slice::from_ref(&r));
        assert!(c.starts_with("by,key,tickets,"), "{c}");
        assert!(
            c.contains("\npriority,1,2,100.0,400.0,500,0.0,40000.0,40000,1,2,1,0\n"),
            "{c}"
        );
        assert!(json(&[r], None).unwrap().contains("\"priority\": 1"));
    }
}
