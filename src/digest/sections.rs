//! Figures → the digest's sections, as the typed context its templates
//! render (text and HTML, Indonesian and English).
//!
//! Everything a reader sees as a number is formatted here, in the desk's
//! language ("95,0 %" in Indonesian, "95.0 %" in English), so the templates
//! only lay out strings; the HTML template's `{{…}}` escapes each of them,
//! so a subject with markup in it shows as typed.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::figures::{Count, Figures, Share, TicketLine};
use super::period::{Period, local_date};
use super::problems::{Candidate, Reason};
use crate::config::Language;

/// Names the sections show instead of keys.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub desk: String,
    /// The subject tag, `Helpdesk`.
    pub tag: String,
    /// Priority value → "1 (tinggi)".
    pub priorities: BTreeMap<i64, String>,
    /// Group key → name.
    pub groups: BTreeMap<String, String>,
    /// Staff handle → name.
    pub staff: BTreeMap<String, String>,
    /// Restricted to one group (a group lead's digest): its name.
    pub scope: Option<String>,
}

/// An image the HTML shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChartRef {
    /// `cid:…` in mail, a file name in a preview.
    pub src: String,
    pub alt: String,
    /// Shown size (the PNG is drawn at twice this, for sharp screens).
    pub width: u32,
    pub height: u32,
}

/// The whole template context.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub lang: &'static str,
    pub desk: String,
    pub subject: String,
    /// "Selasa, 1 Desember 2026".
    pub date_text: String,
    /// The days covered, "Jumat, 27 November 2026 – Minggu, 29 November 2026".
    pub period_text: String,
    pub scope: Option<String>,
    /// Nothing was recorded or changed in the period.
    pub quiet: bool,
    pub headline: Vec<Headline>,
    pub sla: Vec<SlaLine>,
    pub breaches: Vec<Line>,
    pub at_risk: Vec<Line>,
    pub aging: Vec<AgeLine>,
    pub aging_total: AgeLine,
    pub oldest: Vec<Line>,
    pub per_group: Vec<Tally>,
    pub per_assignee: Vec<Tally>,
    pub escalations: Vec<Line>,
    pub major: Vec<Line>,
    pub security: Vec<Line>,
    pub satisfaction: Option<SatisfactionText>,
    pub problems: Vec<ProblemText>,
    pub category_right: String,
    pub category_counts: String,
    pub charts: Vec<ChartRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub label: &'static str,
    pub value: i64,
    /// "+12 %", "-8 %", or "–" without a baseline.
    pub change: String,
    /// `up`, `down` or `flat`: the HTML colours it.
    pub trend: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlaLine {
    pub priority: String,
    pub response: String,
    pub resolution: String,
    pub response_mtd: String,
    pub resolution_mtd: String,
}

/// A ticket in a list, every field as text; `note` is what the list is
/// about (how late, when due, how old, escalated to whom).
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub id: i64,
    pub subject: String,
    pub priority: String,
    pub group: String,
    pub assignee: String,
    pub clock: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgeLine {
    pub priority: String,
    pub cells: [i64; 4],
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SatisfactionText {
    pub answered: i64,
    pub sent: i64,
    pub average: String,
    pub rate: String,
    pub low: Vec<LowText>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LowText {
    pub id: i64,
    pub score: i64,
    pub suggestion: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemText {
    pub reason: String,
    pub tickets: String,
}

/// Builds the context of the digest of `period` in `lang`.
#[allow(clippy::too_many_arguments)]
pub fn build(
    f: &Figures,
    problems: &[Candidate],
    period: &Period,
    tz: Tz,
    lang: Language,
    labels: &Labels,
    charts: Vec<ChartRef>,
) -> Context {
    let w = Words::of(lang);
    let date_text = long_date(period.date, lang);
    let days = period.days();
    let period_text = match (days.first(), days.last()) {
        (Some(a), Some(b)) if a != b => {
            format!("{} – {}", long_date(*a, lang), long_date(*b, lang))
        }
        (Some(a), _) => long_date(*a, lang),
        _ => date_text.clone(),
    };
    let subject = format!("[{}] {} {date_text}", labels.tag, w.subject);
    let subject = match &labels.scope {
        Some(s) => format!("{subject} ({s})"),
        None => subject,
    };
    let quiet = f.new.value == 0
        && f.resolved.value == 0
        && f.closed.value == 0
        && f.reopened.value == 0
        && f.breaches.is_empty()
        && f.escalations.is_empty();
    let headline = [
        (w.new, &f.new),
        (w.resolved, &f.resolved),
        (w.closed, &f.closed),
        (w.reopened, &f.reopened),
        (w.backlog, &f.backlog),
    ]
    .into_iter()
    .map(|(label, c)| headline(label, c))
    .collect();
    let prio = |p: Option<i64>| match p {
        Some(p) => labels
            .priorities
            .get(&p)
            .cloned()
            .unwrap_or_else(|| p.to_string()),
        None => w.none.to_string(),
    };
    let share = |s: Share| match s.pct() {
        Some(p) => format!("{} ({}/{})", pct(p, lang), s.met, s.decided),
        None => "–".to_string(),
    };
    let sla = f
        .sla
        .iter()
        .map(|r| SlaLine {
            priority: prio(r.priority),
            response: share(r.response),
            resolution: share(r.resolution),
            response_mtd: share(r.response_mtd),
            resolution_mtd: share(r.resolution_mtd),
        })
        .collect();
    let line = |t: &TicketLine, clock: &str, note: String| Line {
        id: t.id,
        subject: t.subject.clone(),
        priority: prio(t.priority),
        group: t
            .group
            .as_ref()
            .map(|g| labels.groups.get(g).cloned().unwrap_or_else(|| g.clone()))
            .unwrap_or_else(|| w.none.to_string()),
        assignee: t
            .assignee
            .as_ref()
            .map(|h| labels.staff.get(h).cloned().unwrap_or_else(|| h.clone()))
            .unwrap_or_else(|| w.nobody.to_string()),
        clock: match clock {
            "response" => w.response.to_string(),
            "resolution" => w.resolution.to_string(),
            other => other.to_string(),
        },
        note,
    };
    let breaches = f
        .breaches
        .iter()
        .map(|b| line(&b.ticket, &b.clock, duration(b.late_seconds, lang)))
        .collect();
    let at_risk = f
        .at_risk
        .iter()
        .map(|r| line(&r.ticket, &r.clock, instant(r.due_at, tz, lang)))
        .collect();
    let mut total = [0i64; 4];
    let aging = f
        .aging
        .iter()
        .map(|r| {
            for (t, c) in total.iter_mut().zip(r.buckets) {
                *t += c;
            }
            AgeLine {
                priority: prio(r.priority),
                cells: r.buckets,
                total: r.buckets.iter().sum(),
            }
        })
        .collect();
    let aging_total = AgeLine {
        priority: w.total.to_string(),
        cells: total,
        total: total.iter().sum(),
    };
    let oldest = f
        .oldest
        .iter()
        .map(|t| line(t, "", duration(period.end - t.created_at, lang)))
        .collect();
    let tally = |list: &[super::figures::Tally], names: &BTreeMap<String, String>, none: &str| {
        list.iter()
            .map(|t| Tally {
                name: t
                    .key
                    .as_ref()
                    .map(|k| names.get(k).cloned().unwrap_or_else(|| k.clone()))
                    .unwrap_or_else(|| none.to_string()),
                count: t.count,
            })
            .collect::<Vec<_>>()
    };
    let per_group = tally(&f.per_group, &labels.groups, w.none);
    let per_assignee = tally(&f.per_assignee, &labels.staff, w.nobody);
    let escalations = f
        .escalations
        .iter()
        .map(|e| {
            let to = match e.to.strip_prefix("step:") {
                Some(n) => format!("{} {n}", w.step),
                None => labels.groups.get(&e.to).cloned().unwrap_or(e.to.clone()),
            };
            line(
                &e.ticket,
                "",
                format!("→ {to}, {}", instant(e.at, tz, lang)),
            )
        })
        .collect();
    let listed = |v: &[TicketLine]| {
        v.iter()
            .map(|t| line(t, "", instant(t.created_at, tz, lang)))
            .collect::<Vec<_>>()
    };
    let satisfaction = f.satisfaction.as_ref().map(|s| SatisfactionText {
        answered: s.answered,
        sent: s.sent,
        average: s
            .average
            .map(|a| decimal(a, 1, lang))
            .unwrap_or_else(|| "–".into()),
        rate: Share {
            met: s.answered,
            decided: s.sent,
        }
        .pct()
        .map(|p| pct(p, lang))
        .unwrap_or_else(|| "–".into()),
        low: s
            .low
            .iter()
            .map(|l| LowText {
                id: l.ticket,
                score: l.score,
                suggestion: l.suggestion.clone(),
            })
            .collect(),
    });
    let problems = problems
        .iter()
        .map(|c| ProblemText {
            reason: reason(&c.reason, lang),
            tickets: c
                .tickets
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let category_right = f
        .categories
        .right_pct()
        .map(|p| pct(p, lang))
        .unwrap_or_else(|| "–".into());
    let category_counts = format!("{} / {}", f.categories.recategorised, f.categories.tickets);
    Context {
        lang: lang.code(),
        desk: labels.desk.clone(),
        subject,
        date_text,
        period_text,
        scope: labels.scope.clone(),
        quiet,
        headline,
        sla,
        breaches,
        at_risk,
        aging,
        aging_total,
        oldest,
        per_group,
        per_assignee,
        escalations,
        major: listed(&f.major),
        security: listed(&f.security),
        satisfaction,
        problems,
        category_right,
        category_counts,
        charts,
    }
}

fn headline(label: &'static str, c: &Count) -> Headline {
    let (change, trend) = match c.change_pct() {
        None => ("–".to_string(), "flat"),
        Some(0) => ("0 %".to_string(), "flat"),
        Some(p) if p > 0 => (format!("+{p} %"), "up"),
        Some(p) => (format!("-{} %", -p), "down"),
    };
    Headline {
        label,
        value: c.value,
        change,
        trend,
    }
}

/// The words the context itself needs (the templates hold the rest).
struct Words {
    subject: &'static str,
    new: &'static str,
    resolved: &'static str,
    closed: &'static str,
    reopened: &'static str,
    backlog: &'static str,
    none: &'static str,
    nobody: &'static str,
    response: &'static str,
    resolution: &'static str,
    total: &'static str,
    step: &'static str,
}

impl Words {
    fn of(lang: Language) -> Words {
        match lang {
            Language::Id => Words {
                subject: "Ringkasan harian",
                new: "Baru",
                resolved: "Selesai",
                closed: "Ditutup",
                reopened: "Dibuka kembali",
                backlog: "Antrean terbuka",
                none: "(tanpa)",
                nobody: "(belum ada)",
                response: "respons",
                resolution: "penyelesaian",
                total: "Jumlah",
                step: "eskalasi SLA tingkat",
            },
            Language::En => Words {
                subject: "Daily digest",
                new: "New",
                resolved: "Resolved",
                closed: "Closed",
                reopened: "Reopened",
                backlog: "Open backlog",
                none: "(none)",
                nobody: "(nobody)",
                response: "response",
                resolution: "resolution",
                total: "Total",
                step: "SLA escalation step",
            },
        }
    }
}

const DAYS_ID: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "Selasa, 1 Desember 2026" / "Tuesday, 1 December 2026".
pub fn long_date(d: NaiveDate, lang: Language) -> String {
    let m = d.month0() as usize;
    match lang {
        Language::Id => format!(
            "{}, {} {} {}",
            DAYS_ID[d.weekday().num_days_from_monday() as usize],
            d.day(),
            MONTHS_ID[m],
            d.year()
        ),
        Language::En => format!(
            "{}, {} {} {}",
            weekday_en(d.weekday()),
            d.day(),
            MONTHS_EN[m],
            d.year()
        ),
    }
}

/// "1 Des 2026" / "1 Dec 2026".
pub fn short_date(d: NaiveDate, lang: Language) -> String {
    let m = match lang {
        Language::Id => MONTHS_ID[d.month0() as usize],
        Language::En => MONTHS_EN[d.month0() as usize],
    };
    format!("{} {} {}", d.day(), &m[..3], d.year())
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A local instant, "1 Des 2026 14:00".
fn instant(t: i64, tz: Tz, lang: Language) -> String {
    let time = tz
        .timestamp_opt(t, 0)
        .single()
        .map(|x| x.format("%H:%M").to_string())
        .unwrap_or_default();
    format!("{} {time}", short_date(local_date(t, tz), lang))
}

/// A number with `places` decimals in the language's way.
pub fn decimal(x: f64, places: usize, lang: Language) -> String {
    let s = format!("{x:.places$}");
    match lang {
        Language::Id => s.replace('.', ","),
        Language::En => s,
    }
}

/// "95,0 %" / "95.0 %".
pub fn pct(p: f64, lang: Language) -> String {
    format!("{} %", decimal(p, 1, lang))
}

/// "2 hari 3 jam", "45 menit" / "2 days 3 h", "45 min".
pub fn duration(seconds: i64, lang: Language) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    let (dw, hw, mw) = match lang {
        Language::Id => ("hari", "jam", "menit"),
        Language::En => (if d == 1 { "day" } else { "days" }, "h", "min"),
    };
    match (d, h) {
        (0, 0) => format!("{m} {mw}"),
        (0, _) => format!("{h} {hw} {m} {mw}"),
        _ => format!("{d} {dw} {h} {hw}"),
    }
}

fn reason(r: &Reason, lang: Language) -> String {
    let quoted = |ws: &[String]| {
        ws.iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (r, lang) {
        (Reason::Subject { category, words }, Language::Id) => {
            format!("kategori {category}, subjek mirip ({})", quoted(words))
        }
        (Reason::Subject { category, words }, Language::En) => {
            format!("category {category}, similar subjects ({})", quoted(words))
        }
        (Reason::Unit { domain }, Language::Id) => format!("unit yang sama ({domain})"),
        (Reason::Unit { domain }, Language::En) => format!("same unit ({domain})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_numbers_and_durations_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(long_date(d, Language::Id), "Selasa, 1 Desember 2026");
        assert_eq!(long_date(d, Language::En), "Tuesday, 1 December 2026");
        assert_eq!(short_date(d, Language::Id), "1 Des 2026");
        assert_eq!(pct(95.0, Language::Id), "95,0 %");
        assert_eq!(pct(95.0, Language::En), "95.0 %");
        assert_eq!(duration(2700, Language::Id), "45 menit");
        assert_eq!(duration(2 * 86_400 + 3 * 3600, Language::En), "2 days 3 h");
        assert_eq!(duration(-5, Language::En), "0 min");
    }

    #[test]
    fn headline_changes() {
        assert_eq!(headline("x", &Count::new(12, vec![10; 4])).change, "+20 %");
        assert_eq!(headline("x", &Count::new(8, vec![10; 4])).change, "-20 %");
        assert_eq!(headline("x", &Count::new(8, vec![])).change, "–");
        assert_eq!(headline("x", &Count::new(10, vec![10])).trend, "flat");
    }
}
