//! Which time a digest covers: the rule, pure, with the desk calendar and
//! `now` as arguments.
//!
//! A digest is dated by the business day it is sent on and covers whole local
//! days: from the start of the previous business day up to the start of its
//! own day. Tuesday's covers Monday; Monday's covers Friday to Sunday; after a
//! holiday Thursday, Friday's covers Wednesday and Thursday (there was no
//! Thursday digest). Consecutive digests therefore tile time with no gap and
//! no overlap, and any past date can be recomputed.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::calendar::Calendar;

/// How far back the previous business day is looked for; past this (a
/// calendar closed for a month) the digest covers only the day before.
const LOOKBACK_DAYS: u64 = 31;

/// How far ahead the "next business day" of the at-risk list is looked for;
/// past this (no business day in two weeks) the horizon is one day.
const LOOKAHEAD_DAYS: u64 = 14;

/// The span of one digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The day the digest is dated and sent.
    pub date: NaiveDate,
    /// Start of the first local day covered (Unix seconds).
    pub start: i64,
    /// Start of `date`: the end, excluded.
    pub end: i64,
    /// The first day covered.
    pub first_day: NaiveDate,
}

impl Period {
    /// The local days covered, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.first_day
            .iter_days()
            .take_while(|d| *d < self.date)
            .collect()
    }
}

/// Local midnight of `d` in `tz` (the first instant of the day where a
/// time-zone change skips midnight).
pub fn midnight(d: NaiveDate, tz: Tz) -> i64 {
    let mut t = NaiveTime::MIN;
    // A day whose midnight falls in a gap starts at the first hour that exists.
    for _ in 0..24 {
        if let Some(x) = tz.from_local_datetime(&d.and_time(t)).earliest() {
            return x.timestamp();
        }
        t += chrono::TimeDelta::hours(1);
    }
    tz.from_utc_datetime(&d.and_time(NaiveTime::MIN))
        .timestamp()
}

/// The local date of instant `t`.
pub fn local_date(t: i64, tz: Tz) -> NaiveDate {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|x| x.date_naive())
        .unwrap_or_default()
}

/// Is the desk open at some moment of local day `d`?
pub fn is_business_day(cal: &Calendar, tz: Tz, d: NaiveDate) -> bool {
    let next = d + Days::new(1);
    cal.business_between(midnight(d, tz), midnight(next, tz)) > 0
}

/// The digest dated `date`, or `None` when `date` is not a business day
/// (its time is folded into the next business day's digest).
pub fn period_for(cal: &Calendar, tz: Tz, date: NaiveDate) -> Option<Period> {
    is_business_day(cal, tz, date).then(|| span_for(cal, tz, date))
}

/// The span a digest dated `date` would cover, whether or not `date` is a
/// business day: what the comparison with earlier weeks uses.
pub fn span_for(cal: &Calendar, tz: Tz, date: NaiveDate) -> Period {
    let first_day = (1..=LOOKBACK_DAYS)
        .map(|k| date - Days::new(k))
        .find(|d| is_business_day(cal, tz, *d))
        .unwrap_or(date - Days::new(1));
    Period {
        date,
        start: midnight(first_day, tz),
        end: midnight(date, tz),
        first_day,
    }
}

/// The spans of the previous four weeks' same weekday, most recent first.
pub fn earlier_spans(cal: &Calendar, tz: Tz, date: NaiveDate) -> Vec<Period> {
    (1..=4)
        .map(|k| span_for(cal, tz, date - Days::new(7 * k)))
        .collect()
}

/// The end of the at-risk window: the end of the first business day from
/// `date` on (the day the managers read the digest), or one day after the
/// period when none comes within two weeks.
pub fn risk_horizon(cal: &Calendar, tz: Tz, date: NaiveDate) -> i64 {
    (0..LOOKAHEAD_DAYS)
        .map(|k| date + Days::new(k))
        .find(|d| is_business_day(cal, tz, *d))
        .map(|d| midnight(d + Days::new(1), tz))
        .unwrap_or_else(|| midnight(date + Days::new(1), tz))
}

/// The start of the month of the period's last day (month-to-date figures).
pub fn month_start(p: &Period, tz: Tz) -> i64 {
    let last = p.date.pred_opt().unwrap_or(p.date);
    midnight(last.with_day(1).unwrap_or(last), tz)
}

/// The digest due at `now` for a desk sending at `at` (local time): today's
/// date once `at` has passed on a business day, else `None`.
pub fn due_at(cal: &Calendar, tz: Tz, at: NaiveTime, now: i64) -> Option<NaiveDate> {
    let today = local_date(now, tz);
    let send = tz.from_local_datetime(&today.and_time(at)).earliest()?;
    (now >= send.timestamp() && is_business_day(cal, tz, today)).then_some(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WeeklyHours;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn jakarta() -> Tz {
        chrono_tz::Asia::Jakarta
    }

    fn office(holidays: &[&str]) -> Calendar {
        Calendar::business(
            jakarta(),
            WeeklyHours::office(),
            holidays.iter().map(|h| d(h)),
        )
        .unwrap()
    }

    #[test]
    fn tuesday_covers_monday() {
        let cal = office(&[]);
        let p = period_for(&cal, jakarta(), d("2026-12-01")).unwrap();
        assert_eq!(p.days(), vec![d("2026-11-30")]);
        assert_eq!(p.start, midnight(d("2026-11-30"), jakarta()));
        assert_eq!(p.end - p.start, 86_400);
        // 2026-11-30 00:00 WIB is 2026-11-29 17:00 UTC.
        assert_eq!(p.start, 1_795_971_600);
    }

    #[test]
    fn monday_covers_friday_to_sunday() {
        let cal = office(&[]);
        let p = period_for(&cal, jakarta(), d("2026-11-30")).unwrap();
        assert_eq!(
            p.days(),
            vec![d("2026-11-27"), d("2026-11-28"), d("2026-11-29")]
        );
    }

    #[test]
    fn a_holiday_has_no_digest_and_folds_into_the_next() {
        let cal = office(&["2026-12-03"]);
        assert_eq!(period_for(&cal, jakarta(), d("2026-12-03")), None);
        assert_eq!(period_for(&cal, jakarta(), d("2026-12-05")), None); // Saturday
        let fri = period_for(&cal, jakarta(), d("2026-12-04")).unwrap();
        assert_eq!(fri.days(), vec![d("2026-12-02"), d("2026-12-03")]);
        // Consecutive digests tile time.
        let wed = period_for(&cal, jakarta(), d("2026-12-02")).unwrap();
        assert_eq!(wed.end, fri.start);
    }

    #[test]
    fn earlier_weeks_and_horizons() {
        let cal = office(&[]);
        let e = earlier_spans(&cal, jakarta(), d("2026-12-01"));
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].date, d("2026-11-24"));
        assert_eq!(e[3].date, d("2026-11-03"));
        // Read on Tuesday: at risk until Tuesday ends.
        assert_eq!(
            risk_horizon(&cal, jakarta(), d("2026-12-01")),
            midnight(d("2026-12-02"), jakarta())
        );
        // Dec 1 reports November: the month to date is November.
        let p = period_for(&cal, jakarta(), d("2026-12-01")).unwrap();
        assert_eq!(
            month_start(&p, jakarta()),
            midnight(d("2026-11-01"), jakarta())
        );
    }

    #[test]
    fn no_business_day_for_weeks_still_gives_answers() {
        let closed: Vec<String> = (0..40)
            .map(|k| (d("2026-12-01") + Days::new(k)).to_string())
            .collect();
        let refs: Vec<&str> = closed.iter().map(|s| s.as_str()).collect();
        let cal = office(&refs);
        assert_eq!(period_for(&cal, jakarta(), d("2026-12-10")), None);
        // Past the lookback the span is the day before.
        let s = span_for(&cal, jakarta(), d("2027-01-05"));
        assert_eq!(s.days(), vec![d("2027-01-04")]);
        // Within it, the span reaches back to the last business day.
        assert_eq!(
            span_for(&cal, jakarta(), d("2026-12-03")).first_day,
            d("2026-11-30")
        );
        assert_eq!(
            risk_horizon(&cal, jakarta(), d("2026-12-02")),
            midnight(d("2026-12-03"), jakarta())
        );
    }

    #[test]
    fn due_only_after_the_hour_on_business_days() {
        let cal = office(&[]);
        let at = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        let seven = midnight(d("2026-12-01"), jakarta()) + 7 * 3600;
        assert_eq!(due_at(&cal, jakarta(), at, seven - 1), None);
        assert_eq!(due_at(&cal, jakarta(), at, seven), Some(d("2026-12-01")));
        let sat = midnight(d("2026-12-05"), jakarta()) + 9 * 3600;
        assert_eq!(due_at(&cal, jakarta(), at, sat), None);
    }
}
