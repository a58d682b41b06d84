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
    let h = parse_holiday_file(include_str!("../../../config/holidays-id.toml")).unwrap();
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
