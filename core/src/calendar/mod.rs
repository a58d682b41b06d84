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
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    fn jakarta_office(holidays: &[&str]) -> Calendar {
        Calendar::business(
            chrono_tz::Asia::Jakarta,
            WeeklyHours::office(),
            holidays.iter().map(|d| parse_date(d).unwrap()),
        )
        .unwrap()
    }

    /// A local wall-clock time in `tz` as Unix seconds.
    fn at(tz: Tz, s: &str) -> i64 {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        tz.from_local_datetime(&local)
            .earliest()
            .unwrap()
            .timestamp()
    }

    fn jkt(s: &str) -> i64 {
        at(chrono_tz::Asia::Jakarta, s)
    }

    const H: i64 = 3600;

    #[test]
    fn a_start_before_opening_counts_from_the_opening() {
        let cal = jakarta_office(&[]);
        // 2026-07-06 is a Monday.
        let t = jkt("2026-07-06 07:55:00");
        assert!(!cal.is_open(t));
        assert_eq!(cal.next_open(t), jkt("2026-07-06 08:00:00"));
        assert_eq!(cal.add_business(t, 600), jkt("2026-07-06 08:10:00"));
        assert_eq!(cal.add_business(t, 8 * H), jkt("2026-07-06 16:00:00"));
        assert_eq!(cal.business_between(t, jkt("2026-07-06 08:10:00")), 600);
    }

    #[test]
    fn opening_and_closing_seconds() {
        let cal = jakarta_office(&[]);
        assert!(cal.is_open(jkt("2026-07-06 08:00:00")));
        assert!(cal.is_open(jkt("2026-07-06 15:59:59")));
        assert!(!cal.is_open(jkt("2026-07-06 16:00:00")));
        assert_eq!(
            cal.next_open(jkt("2026-07-06 16:00:00")),
            jkt("2026-07-07 08:00:00")
        );
        // One more second after a full day rolls over to the next morning.
        assert_eq!(
            cal.add_business(jkt("2026-07-06 08:00:00"), 8 * H + 1),
            jkt("2026-07-07 08:00:01")
        );
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let cal = jakarta_office(&["2026-12-25"]);
        // Wednesday 14:00 + 24 business hours: Wed 2 h, Thu 8 h, (Fri
        // holiday, weekend), Mon 8 h, Tue 6 h.
        let start = jkt("2026-12-23 14:00:00");
        let due = cal.add_business(start, 24 * H);
        assert_eq!(due, jkt("2026-12-29 14:00:00"));
        assert_eq!(cal.business_between(start, due), 24 * H);
        assert!(!cal.is_open(jkt("2026-12-25 10:00:00")));
        assert_eq!(
            cal.next_open(jkt("2026-12-24 16:30:00")),
            jkt("2026-12-28 08:00:00")
        );
    }

    #[test]
    fn several_ranges_per_day_and_ranges_ending_at_midnight() {
        let tz = chrono_tz::Asia::Makassar;
        let mut week = WeeklyHours::default();
        week.set(
            Weekday::Mon,
            parse_day_hours("08:00-12:00, 13:00-16:00").unwrap(),
        )
        .unwrap();
        week.set(Weekday::Fri, parse_day_hours("20:00-24:00").unwrap())
            .unwrap();
        week.set(Weekday::Sat, parse_day_hours("00:00-02:00").unwrap())
            .unwrap();
        let cal = Calendar::business(tz, week, []).unwrap();
        let m = |s| at(tz, s);
        // Lunch is closed.
        assert!(!cal.is_open(m("2026-07-06 12:30:00")));
        assert_eq!(
            cal.add_business(m("2026-07-06 11:00:00"), 2 * H),
            m("2026-07-06 14:00:00")
        );
        // Friday night runs straight on into Saturday.
        assert_eq!(
            cal.add_business(m("2026-07-10 23:00:00"), 2 * H),
            m("2026-07-11 01:00:00")
        );
        assert_eq!(
            cal.business_between(m("2026-07-10 00:00:00"), m("2026-07-12 00:00:00")),
            6 * H
        );
        assert!(cal.is_open(m("2026-07-11 00:00:00")));
    }

    #[test]
    fn parse_day_hours_rejects_nonsense() {
        assert_eq!(parse_day_hours("").unwrap(), vec![]);
        assert_eq!(parse_day_hours("closed").unwrap(), vec![]);
        assert_eq!(
            parse_day_hours("00:00-24:00").unwrap(),
            vec![OpenRange {
                start: 0,
                end: 86_400
            }]
        );
        for bad in [
            "8-16",
            "08:00",
            "16:00-08:00",
            "08:00-24:30",
            "25:00-26:00",
            "08:60-09:00",
        ] {
            assert!(parse_day_hours(bad).is_err(), "{bad}");
        }
        let mut week = WeeklyHours::default();
        let e = week
            .set(
                Weekday::Mon,
                parse_day_hours("08:00-12:00,11:00-16:00").unwrap(),
            )
            .unwrap_err();
        assert!(matches!(e, CalendarError::Overlap { .. }), "{e}");
    }

    #[test]
    fn a_calendar_that_never_opens_is_refused() {
        let e = Calendar::business(chrono_tz::UTC, WeeklyHours::default(), []).unwrap_err();
        assert_eq!(e, CalendarError::NoOpenHours);
        // Four years of holidays: every search would give up.
        let start = parse_date("2026-01-01").unwrap();
        let days = (0..4 * 366).map(|i| start + TimeDelta::days(i));
        let e = Calendar::business(chrono_tz::UTC, WeeklyHours::office(), days).unwrap_err();
        assert!(matches!(e, CalendarError::ClosedTooLong { .. }), "{e}");
    }

    #[test]
    fn dst_gap_and_fold_are_counted_in_real_time() {
        // Berlin: 2026-03-29 02:00 → 03:00 (23 h day), 2026-10-25 03:00 → 02:00 (25 h day).
        let tz = chrono_tz::Europe::Berlin;
        let cal = Calendar::business(tz, WeeklyHours::all_day(), []).unwrap();
        let b = |s| at(tz, s);
        assert_eq!(
            cal.business_between(b("2026-03-29 00:00:00"), b("2026-03-30 00:00:00")),
            23 * H
        );
        assert_eq!(
            cal.business_between(b("2026-10-25 00:00:00"), b("2026-10-26 00:00:00")),
            25 * H
        );
        // A range starting inside the gap opens when the gap ends.
        let mut week = WeeklyHours::default();
        week.set(Weekday::Sun, parse_day_hours("02:30-04:00").unwrap())
            .unwrap();
        let cal = Calendar::business(tz, week, []).unwrap();
        assert_eq!(
            cal.next_open(b("2026-03-29 00:00:00")),
            b("2026-03-29 03:00:00")
        );
        assert_eq!(
            cal.business_between(b("2026-03-29 00:00:00"), b("2026-03-30 00:00:00")),
            H
        );
        // Clocks go back: 02:30–04:00 holds the repeated hour too.
        assert_eq!(
            cal.business_between(b("2026-10-25 00:00:00"), b("2026-10-26 00:00:00")),
            5 * H / 2
        );
    }

    #[test]
    fn always_open_is_wall_time() {
        let cal = Calendar::always_open();
        assert!(cal.is_open(0));
        assert_eq!(cal.add_business(100, 50), 150);
        assert_eq!(cal.business_between(100, 150), 50);
        assert_eq!(cal.business_between(150, 100), 0);
    }

    #[test]
    fn holiday_file_format() {
        let text = r#"
dates = ["2026-12-24", "2026-01-01"]
[[holiday]]
date = "2026-12-25"
name = "Hari Raya Natal"
[[holiday]]
date = "2026-01-01"
name = "Tahun Baru"
"#;
        let h = parse_holiday_file(text).unwrap();
        let dates: Vec<String> = h.iter().map(|h| h.date.to_string()).collect();
        assert_eq!(dates, ["2026-01-01", "2026-12-24", "2026-12-25"]);
        assert_eq!(h[0].name.as_deref(), Some("Tahun Baru"));
        let e = parse_holiday_file("[[holiday]]\ndate = \"2026-02-30\"").unwrap_err();
        assert_eq!(e.key, "holiday[0].date");
        let e = parse_holiday_file("[[holiday]]\ndate = \"2026-02-03\"\nnmae = \"x\"").unwrap_err();
        assert_eq!(e.key, "nmae");
    }

    #[test]
    fn shipped_indonesian_holidays_parse() {
        let h = parse_holiday_file(include_str!("../../config/holidays-id.toml")).unwrap();
        // 17 national holidays and 8 days of cuti bersama (SKB 2025).
        assert_eq!(h.len(), 25);
        assert!(h.iter().all(|h| h.date.year() == 2026 && h.name.is_some()));
        assert!(h.iter().any(|h| h.date.to_string() == "2026-12-25"));
    }

    // -----------------------------------------------------------------------
    // Properties.

    /// Calendars that exercise the edges: a plain office week with holidays,
    /// split days with a weekend shift that ends at midnight, a zone with DST
    /// and ranges through its gaps, and 24×7.
    fn calendars() -> Vec<Calendar> {
        let office = jakarta_office(&["2026-12-24", "2026-12-25", "2027-01-01", "2026-08-17"]);
        let mut split = WeeklyHours::default();
        for d in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu] {
            split
                .set(d, parse_day_hours("08:00-12:00,13:00-16:00").unwrap())
                .unwrap();
        }
        split
            .set(
                Weekday::Fri,
                parse_day_hours("07:30-11:30,20:00-24:00").unwrap(),
            )
            .unwrap();
        split
            .set(Weekday::Sat, parse_day_hours("00:00-03:00").unwrap())
            .unwrap();
        let split = Calendar::business(chrono_tz::Asia::Jayapura, split, []).unwrap();
        let mut dst = WeeklyHours::default();
        dst.set(Weekday::Sun, parse_day_hours("01:30-03:30").unwrap())
            .unwrap();
        dst.set(Weekday::Sat, parse_day_hours("00:00-24:00").unwrap())
            .unwrap();
        dst.set(Weekday::Wed, parse_day_hours("09:00-17:00").unwrap())
            .unwrap();
        let dst = Calendar::business(chrono_tz::America::New_York, dst, []).unwrap();
        vec![office, split, dst, Calendar::always_open()]
    }

    /// 2025-01-01 to 2028-12-31: spans holidays and several DST changes.
    fn instant() -> impl Strategy<Value = i64> {
        1_735_689_600i64..1_861_920_000i64
    }

    /// Up to about three weeks of business time.
    fn duration() -> impl Strategy<Value = i64> {
        prop_oneof![0i64..=3600, 0i64..=500 * H]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn add_is_monotonic(c in 0usize..4, t in instant(), d1 in duration(), d2 in duration()) {
            let cal = &calendars()[c];
            let (lo, hi) = (d1.min(d2), d1.max(d2));
            prop_assert!(cal.add_business(t, lo) <= cal.add_business(t, hi));
        }

        #[test]
        fn add_is_additive(c in 0usize..4, t in instant(), a in duration(), b in duration()) {
            let cal = &calendars()[c];
            prop_assert_eq!(cal.add_business(cal.add_business(t, a), b), cal.add_business(t, a + b));
        }

        #[test]
        fn between_undoes_add(c in 0usize..4, t in instant(), d in duration()) {
            let cal = &calendars()[c];
            let end = cal.add_business(t, d);
            prop_assert!(end >= t);
            prop_assert_eq!(cal.business_between(t, end), d);
        }

        #[test]
        fn between_is_at_most_wall_time(c in 0usize..4, a in instant(), b in instant()) {
            let cal = &calendars()[c];
            let between = cal.business_between(a, b);
            prop_assert!(between >= 0);
            prop_assert!(between <= (b - a).max(0));
            // Splitting a span anywhere splits its business time.
            let (lo, hi) = (a.min(b), a.max(b));
            let mid = lo + (hi - lo) / 3;
            prop_assert_eq!(cal.business_between(lo, mid) + cal.business_between(mid, hi), cal.business_between(lo, hi));
        }

        #[test]
        fn next_open_is_open(c in 0usize..4, t in instant()) {
            let cal = &calendars()[c];
            let n = cal.next_open(t);
            prop_assert!(n >= t);
            prop_assert!(cal.is_open(n));
            prop_assert_eq!(cal.is_open(t), n == t);
            prop_assert_eq!(cal.business_between(t, n), 0);
        }

        #[test]
        fn always_open_equals_wall_time(t in instant(), d in duration(), b in instant()) {
            let wall = Calendar::always_open();
            // A UTC calendar open all day without holidays is the same thing.
            let utc_all_day = Calendar::business(chrono_tz::UTC, WeeklyHours::all_day(), []).unwrap();
            for cal in [&wall, &utc_all_day] {
                prop_assert_eq!(cal.add_business(t, d), t + d);
                prop_assert_eq!(cal.business_between(t, b), (b - t).max(0));
                prop_assert!(cal.is_open(t));
            }
        }
    }
}
