//! Business calendars: when the desk is open, and how much open time lies
//! between two instants.
//!
//! Service-level targets are counted in business time: a priority-1 ticket
//! recorded at 07:55 on a Monday, with the desk open 08:00–16:00, starts
//! counting at 08:00. A [`Calendar`] is either open around the clock (24×7) or
//! a time zone, weekly opening hours and a set of holidays. Everything here is
//! pure: instants and durations are `i64` Unix seconds, as the database stores
//! them, and no function reads the wall clock.
//!
//! The maths rests on one idea: a business calendar is a sorted sequence of
//! disjoint open intervals `[open, close)` in UTC, produced day by day from the
//! local opening hours. [`Calendar::add_business`] walks that sequence
//! forwards consuming a duration; [`Calendar::business_between`] sums its
//! overlap with a span. Both return the *earliest* qualifying instant, which is
//! what makes them consistent with each other and additive.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

/// The longest run of consecutive closed days a calendar may contain.
///
/// Every walk through the calendar gives up after this many days without an
/// opening, so no input can make it loop for ever; construction rejects
/// calendars that would hit the limit, so for a valid calendar it never does.
pub const MAX_CLOSED_DAYS: u32 = 3 * 366;

/// "Never": what an addition returns when the answer lies beyond what chrono
/// can represent (only reachable with absurd durations).
pub const NEVER: i64 = i64::MAX;

/// The instants chrono can turn into local dates (years 1 to 9999); anything
/// outside is clamped, so conversions never fail.
const MIN_INSTANT: i64 = -62_135_596_800;
const MAX_INSTANT: i64 = 253_402_300_799;

const SECONDS_PER_DAY: u32 = 86_400;

/// A calendar open every second of every day; used by policies with
/// `business_hours = false`.
pub static ALWAYS_OPEN: Calendar = Calendar {
    kind: Kind::AlwaysOpen,
};

/// Why a calendar could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// No weekday has any opening hours: every search for an opening would fail.
    #[error("the desk is never open: give at least one weekday opening hours")]
    NoOpenHours,
    /// Opening ranges of one day overlap.
    #[error("{day}: ranges {a} and {b} overlap")]
    Overlap {
        day: Weekday,
        a: OpenRange,
        b: OpenRange,
    },
    /// The holidays, with the weekly closed days, close the desk for too long.
    #[error("from {from} the holidays close the desk for more than {MAX_CLOSED_DAYS} days")]
    ClosedTooLong { from: NaiveDate },
}

/// One opening range within a local day, in seconds after local midnight:
/// open at `start`, closed again at `end` (which may be 24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenRange {
    pub start: u32,
    pub end: u32,
}

impl OpenRange {
    /// A range from `start` to `end` seconds after midnight; `None` unless
    /// `start < end <= 24:00`.
    pub fn new(start: u32, end: u32) -> Option<OpenRange> {
        (start < end && end <= SECONDS_PER_DAY).then_some(OpenRange { start, end })
    }
}

impl fmt::Display for OpenRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |s: u32| (s / 3600, s % 3600 / 60);
        let (sh, sm) = hm(self.start);
        let (eh, em) = hm(self.end);
        write!(f, "{sh:02}:{sm:02}-{eh:02}:{em:02}")
    }
}

/// Opening hours for each day of the week; a day without ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    /// Indexed from Monday; each day's ranges sorted and disjoint.
    days: [Vec<OpenRange>; 7],
}

impl WeeklyHours {
    /// Monday to Friday 08:00–16:00, the hours the issue and the SOPs assume.
    pub fn office() -> WeeklyHours {
        let mut week = WeeklyHours::default();
        let day = vec![OpenRange {
            start: 8 * 3600,
            end: 16 * 3600,
        }];
        for d in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ] {
            week.days[d.num_days_from_monday() as usize] = day.clone();
        }
        week
    }

    /// Every day 00:00–24:00.
    pub fn all_day() -> WeeklyHours {
        let day = vec![OpenRange {
            start: 0,
            end: SECONDS_PER_DAY,
        }];
        WeeklyHours {
            days: std::array::from_fn(|_| day.clone()),
        }
    }

    /// Sets the ranges of one day; they are sorted, and must not overlap
    /// (touching, as in 08:00-12:00,12:00-16:00, is fine).
    pub fn set(&mut self, day: Weekday, mut ranges: Vec<OpenRange>) -> Result<(), CalendarError> {
        ranges.sort();
        for pair in ranges.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(CalendarError::Overlap {
                    day,
                    a: pair[0],
                    b: pair[1],
                });
            }
        }
        self.days[day.num_days_from_monday() as usize] = ranges;
        Ok(())
    }

    /// The ranges of one day, sorted.
    pub fn day(&self, day: Weekday) -> &[OpenRange] {
        &self.days[day.num_days_from_monday() as usize]
    }

    fn is_never_open(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// Parses one day's hours: `"08:00-16:00"`, `"08:00-12:00,13:00-16:00"`,
/// `"20:00-24:00"`; an empty string or `"closed"` is a closed day.
pub fn parse_day_hours(text: &str) -> Result<Vec<OpenRange>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    t.split(',')
        .map(|part| {
            let part = part.trim();
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| format!("{part:?} is not a range such as \"08:00-16:00\""))?;
            let start = parse_hhmm(a.trim())?;
            let end = parse_hhmm(b.trim())?;
            OpenRange::new(start, end).ok_or_else(|| {
                format!("{part:?}: the range must end after it starts (at 24:00 at the latest)")
            })
        })
        .collect()
}

/// "08:00" → seconds after midnight; "24:00" is allowed as the end of a day.
fn parse_hhmm(s: &str) -> Result<u32, String> {
    let bad = || format!("{s:?} is not a time such as \"08:00\"");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

/// When the desk is open.
#[derive(Debug, Clone)]
pub struct Calendar {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    AlwaysOpen,
    Business(Business),
}

#[derive(Debug, Clone)]
struct Business {
    tz: Tz,
    week: WeeklyHours,
    /// Local dates on which the desk is closed all day.
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Open every second of every day (24×7).
    pub fn always_open() -> Calendar {
        ALWAYS_OPEN.clone()
    }

    /// Weekly hours in a time zone, closed on `holidays` (local dates).
    ///
    /// Fails when the desk would never open, or when the holidays close it for
    /// more than [`MAX_CLOSED_DAYS`] in a row: both would make every later
    /// search run into the limit rather than find an answer.
    pub fn business(
        tz: Tz,
        week: WeeklyHours,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        if week.is_never_open() {
            return Err(CalendarError::NoOpenHours);
        }
        let holidays: BTreeSet<NaiveDate> = holidays.into_iter().collect();
        // Only a run that starts on a holiday can be longer than a week.
        for &h in &holidays {
            if h.pred_opt().is_some_and(|p| holidays.contains(&p)) {
                continue;
            }
            let mut d = h;
            let mut run = 0;
            while holidays.contains(&d) || week.day(d.weekday()).is_empty() {
                run += 1;
                if run > MAX_CLOSED_DAYS {
                    return Err(CalendarError::ClosedTooLong { from: h });
                }
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        Ok(Calendar {
            kind: Kind::Business(Business { tz, week, holidays }),
        })
    }

    /// True for a 24×7 calendar.
    pub fn is_always_open(&self) -> bool {
        matches!(self.kind, Kind::AlwaysOpen)
    }

    /// The time zone of a business calendar (24×7 needs none).
    pub fn timezone(&self) -> Option<Tz> {
        match &self.kind {
            Kind::AlwaysOpen => None,
            Kind::Business(b) => Some(b.tz),
        }
    }

    /// The holidays of a business calendar, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let set = match &self.kind {
            Kind::AlwaysOpen => None,
            Kind::Business(b) => Some(&b.holidays),
        };
        set.into_iter().flatten().copied()
    }

    /// Is the desk open at instant `t`? Ranges include their opening and
    /// exclude their closing second: at 16:00 an 08:00–16:00 desk is closed.
    pub fn is_open(&self, t: i64) -> bool {
        match &self.kind {
            Kind::AlwaysOpen => true,
            Kind::Business(b) => b
                .walk(t, |open, _| ControlFlow::Break(open <= t))
                .unwrap_or(false),
        }
    }

    /// `t` itself when open, else the next opening.
    pub fn next_open(&self, t: i64) -> i64 {
        match &self.kind {
            Kind::AlwaysOpen => t,
            Kind::Business(b) => b
                .walk(t, |open, _| ControlFlow::Break(open.max(t)))
                .unwrap_or(NEVER),
        }
    }

    /// The earliest instant at which `duration` seconds of business time have
    /// elapsed after `start`. Counting begins at the next opening when `start`
    /// is outside hours. A duration that ends exactly at a closing returns the
    /// closing (16:00), not the next opening, so that a P1 resolution target
    /// of 8 h from 08:00 is due 16:00 the same day. A duration of zero or less
    /// returns `start` unchanged.
    pub fn add_business(&self, start: i64, duration: i64) -> i64 {
        if duration <= 0 {
            return start;
        }
        match &self.kind {
            Kind::AlwaysOpen => start.saturating_add(duration),
            Kind::Business(b) => {
                let mut left = duration;
                b.walk(start, |open, close| {
                    let from = open.max(start);
                    let available = close - from;
                    if left <= available {
                        ControlFlow::Break(from + left)
                    } else {
                        left -= available;
                        ControlFlow::Continue(())
                    }
                })
                .unwrap_or(NEVER)
            }
        }
    }

    /// Business seconds in `[a, b)`; zero when `b <= a`.
    pub fn business_between(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        match &self.kind {
            Kind::AlwaysOpen => b - a,
            Kind::Business(cal) => {
                let mut total = 0;
                cal.walk(a, |open, close| {
                    if open >= b {
                        return ControlFlow::Break(());
                    }
                    total += close.min(b) - open.max(a);
                    if close >= b {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                total
            }
        }
    }
}

impl Business {
    /// Calls `f` with each open interval `[open, close)` that closes after
    /// `from`, in order, until `f` breaks. `None` when the walk gives up: more
    /// than [`MAX_CLOSED_DAYS`] (plus a week) without an opening, or the end
    /// of chrono's dates.
    fn walk<R>(&self, from: i64, mut f: impl FnMut(i64, i64) -> ControlFlow<R>) -> Option<R> {
        // Start a day early: an interval of the previous local day cannot
        // reach past midnight, but starting early costs one day and removes
        // any doubt about where "today" begins around a DST change.
        let mut date = local_date(self.tz, from).pred_opt()?;
        let mut closed_run = 0;
        let mut day = Vec::with_capacity(4);
        loop {
            self.intervals(date, &mut day);
            if day.is_empty() {
                closed_run += 1;
                if closed_run > MAX_CLOSED_DAYS + 7 {
                    return None;
                }
            } else {
                closed_run = 0;
            }
            for &(open, close) in &day {
                if close <= from {
                    continue;
                }
                if let ControlFlow::Break(r) = f(open, close) {
                    return Some(r);
                }
            }
            date = date.succ_opt()?;
        }
    }

    /// The open intervals of one local date, in UTC seconds, in order.
    fn intervals(&self, date: NaiveDate, out: &mut Vec<(i64, i64)>) {
        out.clear();
        if self.holidays.contains(&date) {
            return;
        }
        for r in self.week.day(date.weekday()) {
            let open = local_to_utc(self.tz, date, r.start);
            let close = local_to_utc(self.tz, date, r.end);
            // A range that lies wholly in a DST gap has no instants at all.
            if open < close {
                out.push((open, close));
            }
        }
    }
}

fn local_date(tz: Tz, t: i64) -> NaiveDate {
    let t = t.clamp(MIN_INSTANT, MAX_INSTANT);
    DateTime::from_timestamp(t, 0)
        .map(|utc| utc.with_timezone(&tz).date_naive())
        .unwrap_or(NaiveDate::MIN)
}

/// The UTC instant of a local wall-clock time.
///
/// A time that occurs twice (clocks go back) maps to its first occurrence; a
/// time that does not occur (clocks go forward) maps to the end of the gap.
/// Both rules are monotonic in the local time, so ranges that are ordered and
/// disjoint locally stay so in UTC, and 24:00 of one day is exactly 00:00 of
/// the next: the intervals are a pure function of the date.
fn local_to_utc(tz: Tz, date: NaiveDate, secs: u32) -> i64 {
    let local = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(secs));
    // Gaps are whole minutes and at most a day in every zone in use, so a
    // bounded minute-by-minute probe finds the first time after one.
    for minute in 0..=24 * 60 {
        let probe = local + TimeDelta::minutes(minute);
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.timestamp(),
            LocalResult::None => {}
        }
    }
    local.and_utc().timestamp()
}

// ---------------------------------------------------------------------------
// Holiday files.

/// One closed date from a holiday file or the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: Option<String>,
}

/// A problem in a holiday file: which key, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct HolidayFileError {
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolidayFile {
    /// Dates without names.
    #[serde(default)]
    dates: Vec<String>,
    /// Dates with names.
    #[serde(default)]
    holiday: Vec<RawHoliday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    date: String,
    name: Option<String>,
}

/// Parses a holiday file:
///
/// ```toml
/// dates = ["2026-12-24"]            # plain dates, and/or:
/// [[holiday]]
/// date = "2026-12-25"
/// name = "Hari Raya Natal"         # optional
/// ```
///
/// Dates are local dates in the calendar's time zone. The result is sorted by
/// date; a date listed twice is kept once (first name wins).
pub fn parse_holiday_file(text: &str) -> Result<Vec<Holiday>, HolidayFileError> {
    let raw: RawHolidayFile = toml::from_str(text).map_err(|e| HolidayFileError {
        key: e.message().split('`').nth(1).unwrap_or("-").to_string(),
        reason: e.to_string().trim().to_string(),
    })?;
    let mut out: Vec<Holiday> = Vec::new();
    for (i, d) in raw.dates.iter().enumerate() {
        out.push(Holiday {
            date: parse_date(d).map_err(|reason| HolidayFileError {
                key: format!("dates[{i}]"),
                reason,
            })?,
            name: None,
        });
    }
    for (i, h) in raw.holiday.into_iter().enumerate() {
        out.push(Holiday {
            date: parse_date(&h.date).map_err(|reason| HolidayFileError {
                key: format!("holiday[{i}].date"),
                reason,
            })?,
            name: h.name.filter(|n| !n.trim().is_empty()),
        });
    }
    // Named entries first so their names survive the dedup.
    out.sort_by_key(|h| (h.date, h.name.is_none()));
    out.dedup_by_key(|h| h.date);
    Ok(out)
}

/// A local date written `YYYY-MM-DD`, as holiday lists write them.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date such as \"2026-12-25\""))
}

#[cfg(test)]
mod tests;
