use super::*;
use crate::calendar::WeeklyHours;
use chrono::{Datelike, NaiveDateTime, TimeZone, Weekday};

const MIN: i64 = 60;
const H: i64 = 3600;
const WARN: &[f64] = &[0.75];

fn jkt(s: &str) -> i64 {
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    chrono_tz::Asia::Jakarta
        .from_local_datetime(&local)
        .unwrap()
        .timestamp()
}

fn office(holidays: &[&str]) -> Calendar {
    Calendar::business(
        chrono_tz::Asia::Jakarta,
        WeeklyHours::office(),
        holidays
            .iter()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
    )
    .unwrap()
}

#[test]
fn the_issue_story_p1_at_0755_monday() {
    let cal = office(&[]);
    let policy = SlaPolicy::default();
    let t = policy.targets(1, None).unwrap();
    assert_eq!((t.response, t.resolution), (10 * MIN, 8 * H));
    let recorded = jkt("2026-07-06 07:55:00");
    assert_eq!(
        chrono::DateTime::from_timestamp(recorded, 0)
            .unwrap()
            .weekday(),
        Weekday::Mon
    );
    let cal = t.calendar(&cal);
    let response = Clock::start(t.response, recorded);
    let resolution = Clock::start(t.resolution, recorded);
    // The clocks start at 08:00: nothing has elapsed at 07:59.
    assert_eq!(cal.next_open(recorded), jkt("2026-07-06 08:00:00"));
    assert_eq!(response.elapsed(jkt("2026-07-06 07:59:59"), cal), 0);
    assert_eq!(response.due_at(cal), Some(jkt("2026-07-06 08:10:00")));
    assert_eq!(resolution.due_at(cal), Some(jkt("2026-07-06 16:00:00")));
    // The scan first looks at the 75 % warning, then at the breach.
    let warn = jkt("2026-07-06 08:07:30");
    assert_eq!(response.next_check_at(cal, WARN, recorded), Some(warn));
    assert_eq!(
        response.crossings(cal, WARN, recorded, warn),
        vec![Crossing::Warning {
            fraction: 0.75,
            at: warn
        }]
    );
    let breach = jkt("2026-07-06 08:10:01");
    assert_eq!(response.next_check_at(cal, WARN, warn), Some(breach));
    // A scan at 08:09 finds nothing new; one at 08:12 finds the breach once.
    assert!(
        response
            .crossings(cal, WARN, warn, jkt("2026-07-06 08:09:00"))
            .is_empty()
    );
    let c = response.crossings(
        cal,
        WARN,
        jkt("2026-07-06 08:09:00"),
        jkt("2026-07-06 08:12:00"),
    );
    assert_eq!(c, vec![Crossing::Breach { at: breach }]);
    assert_eq!(
        response.next_check_at(cal, WARN, jkt("2026-07-06 08:12:00")),
        None
    );
    assert_eq!(
        response.state_at(jkt("2026-07-06 08:12:00"), cal),
        ClockState::Breached
    );
    assert_eq!(
        response.state_at(jkt("2026-07-06 08:10:00"), cal),
        ClockState::Running
    );
    // A scan that missed everything catches both at once, in order.
    let both = response.crossings(cal, WARN, recorded, jkt("2026-07-06 09:00:00"));
    assert_eq!(both.len(), 2);
    assert!(matches!(both[0], Crossing::Warning { .. }));
}

#[test]
fn met_and_breached() {
    let cal = office(&[]);
    let recorded = jkt("2026-07-06 07:55:00");
    let clock = Clock::start(10 * MIN, recorded);
    let met = clock.stop(jkt("2026-07-06 08:10:00"), &cal);
    assert_eq!(met.state, ClockState::Met);
    assert_eq!(met.stopped_at, Some(jkt("2026-07-06 08:10:00")));
    assert_eq!(met.elapsed(jkt("2026-07-06 12:00:00"), &cal), 10 * MIN);
    let breached = clock.stop(jkt("2026-07-06 08:10:01"), &cal);
    assert_eq!(breached.state, ClockState::Breached);
    // Stopped clocks ask nothing more of the scan, and stop only once.
    assert_eq!(breached.next_check_at(&cal, WARN, 0), None);
    assert!(breached.crossings(&cal, WARN, 0, i64::MAX / 2).is_empty());
    assert_eq!(breached.stop(jkt("2026-07-06 09:00:00"), &cal), breached);
    // Resolving after hours costs no business time: 8 h from 08:00 is
    // still met at 17:00.
    let resolution = Clock::start(8 * H, recorded).stop(jkt("2026-07-06 17:00:00"), &cal);
    assert_eq!(resolution.state, ClockState::Met);
}

#[test]
fn spanning_a_weekend_and_a_holiday() {
    let cal = office(&["2026-12-25"]);
    let t = SlaPolicy::default().targets(2, None).unwrap();
    // Wednesday 14:00, 24 business hours: Wed 2 h, Thu 8 h, Fri is
    // Christmas, the weekend, Mon 8 h, Tue 6 h.
    let clock = Clock::start(t.resolution, jkt("2026-12-23 14:00:00"));
    assert_eq!(clock.due_at(&cal), Some(jkt("2026-12-29 14:00:00")));
    assert_eq!(clock.elapsed(jkt("2026-12-28 08:00:00"), &cal), 10 * H);
    // 75 % of 24 h = 18 h: Monday at 16:00 closes with exactly 18 h.
    assert_eq!(
        clock.next_check_at(&cal, WARN, 0),
        Some(jkt("2026-12-28 16:00:00"))
    );
    // With the shipped holiday file, Christmas Eve is cuti bersama too.
    let dates =
        crate::calendar::parse_holiday_file(include_str!("../../../config/holidays-id.toml"))
            .unwrap()
            .into_iter()
            .map(|h| h.date);
    let cal = Calendar::business(chrono_tz::Asia::Jakarta, WeeklyHours::office(), dates).unwrap();
    assert_eq!(clock.due_at(&cal), Some(jkt("2026-12-30 14:00:00")));
}

#[test]
fn pending_pauses_and_resumes() {
    let cal = office(&[]);
    let policy = SlaPolicy::default();
    assert!(policy.pauses(Status::Pending));
    assert!(!policy.pauses(Status::InProgress));
    let clock = Clock::start(8 * H, jkt("2026-07-06 08:00:00"));
    // Two hours of work, then #pending at 10:00 until Alice answers on
    // Tuesday at 09:00: Monday 10:00–16:00 and Tuesday 08:00–09:00 do
    // not count, 7 business hours in all.
    let paused = clock.pause(jkt("2026-07-06 10:00:00"));
    assert_eq!(paused.state, ClockState::Paused);
    assert_eq!(paused.due_at(&cal), None);
    assert_eq!(paused.next_check_at(&cal, WARN, 0), None);
    assert_eq!(paused.elapsed(jkt("2026-07-06 15:00:00"), &cal), 2 * H);
    assert_eq!(paused.pause(jkt("2026-07-06 11:00:00")), paused);
    assert_eq!(paused.paused_total(jkt("2026-07-06 15:00:00"), &cal), 5 * H);
    let running = paused.resume(jkt("2026-07-07 09:00:00"), &cal);
    assert_eq!(running.state, ClockState::Running);
    assert_eq!(running.paused_seconds, 7 * H);
    assert_eq!(running.elapsed(jkt("2026-07-07 09:00:00"), &cal), 2 * H);
    assert_eq!(running.due_at(&cal), Some(jkt("2026-07-07 15:00:00")));
    // The 75 % warning (6 h) now falls due at 13:00 on Tuesday, and a
    // scan that last looked before the pause finds it only once.
    let warn = jkt("2026-07-07 13:00:00");
    assert_eq!(
        running.next_check_at(&cal, WARN, jkt("2026-07-07 09:00:00")),
        Some(warn)
    );
    let c = running.crossings(
        &cal,
        WARN,
        jkt("2026-07-06 09:00:00"),
        jkt("2026-07-07 13:30:00"),
    );
    assert_eq!(
        c,
        vec![Crossing::Warning {
            fraction: 0.75,
            at: warn
        }]
    );
    assert_eq!(running.resume(jkt("2026-07-07 10:00:00"), &cal), running);
    // Stopping while paused keeps the time it had when it paused.
    let stopped = running
        .pause(jkt("2026-07-07 14:00:00"))
        .stop(jkt("2026-07-08 12:00:00"), &cal);
    assert_eq!(stopped.state, ClockState::Met);
    assert_eq!(stopped.elapsed(jkt("2026-07-09 12:00:00"), &cal), 7 * H);
}

#[test]
fn a_warning_passed_before_a_pause_is_not_repeated_after_it() {
    let cal = Calendar::always_open();
    let clock = Clock::start(100, 0);
    // Warning at 75 s, reported by a scan at 80 s; paused at 90 s,
    // resumed at 150 s, which stores the next check: the breach at 161 s
    // (100 s elapsed plus 60 s paused, plus the second past the target).
    assert_eq!(clock.crossings(&cal, WARN, 0, 80).len(), 1);
    let resumed = clock.pause(90).resume(150, &cal);
    let next = resumed.next_check_at(&cal, WARN, 150);
    assert_eq!(next, Some(161));
    assert!(resumed.crossings(&cal, WARN, 150, 160).is_empty());
    // A scan at 170 s that kept only the row finds the breach alone.
    assert_eq!(
        resumed.crossings(&cal, WARN, next.unwrap() - 1, 170),
        vec![Crossing::Breach { at: 161 }]
    );
    // A paused clock still reports what fell due before it paused.
    let paused = Clock::start(100, 0).pause(90);
    assert_eq!(paused.crossings(&cal, WARN, 0, 200).len(), 1);
}

#[test]
fn reopen_runs_the_clock_again_without_the_closed_time() {
    let cal = office(&[]);
    let clock =
        Clock::start(8 * H, jkt("2026-07-06 08:00:00")).stop(jkt("2026-07-06 12:00:00"), &cal);
    assert_eq!(clock.state, ClockState::Met);
    let reopened = clock.reopen(jkt("2026-07-08 08:00:00"), &cal);
    assert_eq!(reopened.state, ClockState::Running);
    assert_eq!(reopened.stopped_at, None);
    assert_eq!(reopened.elapsed(jkt("2026-07-08 08:00:00"), &cal), 4 * H);
    assert_eq!(reopened.due_at(&cal), Some(jkt("2026-07-08 12:00:00")));
    assert_eq!(reopened.reopen(jkt("2026-07-09 08:00:00"), &cal), reopened);
}

#[test]
fn retarget_keeps_the_elapsed_time_and_moves_the_due_time() {
    let cal = office(&[]);
    let policy = SlaPolicy::default();
    let (p3, p1) = (
        policy.targets(3, None).unwrap(),
        policy.targets(1, None).unwrap(),
    );
    // A P3 ticket recorded on Monday at 09:00, raised to P1 at 09:05:
    // the five minutes count, and P1's 8 hours run from 09:00.
    let clock = Clock::start(p3.resolution, jkt("2026-07-06 09:00:00"));
    let now = jkt("2026-07-06 09:05:00");
    let raised = clock.retarget(p1.resolution, now, &cal, &cal);
    assert_eq!(raised.target_seconds, 8 * H);
    assert_eq!(raised.elapsed(now, &cal), 5 * MIN);
    assert_eq!(raised.started_at, clock.started_at);
    assert_eq!(raised.paused_seconds, 0);
    assert_eq!(raised.due_at(&cal), Some(jkt("2026-07-07 09:00:00")));
    // The warning moves from 75 % of 48 h to 75 % of 8 h: Monday 15:00.
    assert_eq!(
        raised.next_check_at(&cal, WARN, now),
        Some(jkt("2026-07-06 15:00:00"))
    );
    // The same target again changes nothing.
    assert_eq!(raised.retarget(8 * H, now, &cal, &cal), raised);
    // Lowered back, the clock is the one it was.
    assert_eq!(raised.retarget(p3.resolution, now, &cal, &cal), clock);
}

#[test]
fn retarget_keeps_pauses_done_and_going_on() {
    let cal = office(&[]);
    // Paused Monday 10:00–Tuesday 09:00 (7 business hours), paused
    // again on Tuesday at 10:00, raised to 8 h on Tuesday at 15:00.
    let clock = Clock::start(48 * H, jkt("2026-07-06 08:00:00"))
        .pause(jkt("2026-07-06 10:00:00"))
        .resume(jkt("2026-07-07 09:00:00"), &cal)
        .pause(jkt("2026-07-07 10:00:00"));
    let raised = clock.retarget(8 * H, jkt("2026-07-07 15:00:00"), &cal, &cal);
    assert_eq!(raised.state, ClockState::Paused);
    assert_eq!(raised.paused_since, clock.paused_since);
    assert_eq!(raised.paused_seconds, 7 * H);
    assert_eq!(raised.elapsed(jkt("2026-07-07 15:00:00"), &cal), 3 * H);
    assert_eq!(raised.due_at(&cal), None);
    // Resumed on Wednesday at 08:00: 5 h left, due 13:00.
    let running = raised.resume(jkt("2026-07-08 08:00:00"), &cal);
    assert_eq!(running.due_at(&cal), Some(jkt("2026-07-08 13:00:00")));
}

#[test]
fn retarget_leaves_a_stopped_clock_alone() {
    let cal = office(&[]);
    let start = jkt("2026-07-06 09:00:00");
    let met = Clock::start(4 * H, start).stop(jkt("2026-07-06 10:00:00"), &cal);
    let later = jkt("2026-07-06 11:00:00");
    assert_eq!(met.retarget(10 * MIN, later, &cal, &cal), met);
    let breached = Clock::start(10 * MIN, start).stop(later, &cal);
    assert_eq!(breached.state, ClockState::Breached);
    assert_eq!(breached.retarget(4 * H, later, &cal, &cal), breached);
}

#[test]
fn retarget_past_the_new_target_is_a_breach_already_due() {
    let cal = office(&[]);
    let start = jkt("2026-07-06 09:00:00");
    let now = jkt("2026-07-06 09:30:00");
    let raised = Clock::start(4 * H, start).retarget(10 * MIN, now, &cal, &cal);
    assert_eq!(raised.state, ClockState::Running);
    assert_eq!(raised.state_at(now, &cal), ClockState::Breached);
    // Both thresholds of the new target lie before `now`: a look that
    // covers the time since the start finds them, in order.
    assert_eq!(
        raised.crossings(&cal, WARN, start - 1, now),
        vec![
            Crossing::Warning {
                fraction: 0.75,
                at: jkt("2026-07-06 09:07:30")
            },
            Crossing::Breach {
                at: jkt("2026-07-06 09:10:01")
            },
        ]
    );
    assert_eq!(raised.next_check_at(&cal, WARN, now), None);
    assert_eq!(raised.stop(now, &cal).state, ClockState::Breached);
}

#[test]
fn retarget_into_another_calendar_keeps_the_time_counted() {
    let office = office(&[]);
    let always = Calendar::always_open();
    // Business hours to 24×7: Monday 09:00–16:00 counted 7 h; at 17:00
    // the 8-hour 24×7 target has one wall-clock hour left.
    let clock = Clock::start(48 * H, jkt("2026-07-06 09:00:00"));
    let now = jkt("2026-07-06 17:00:00");
    let raised = clock.retarget(8 * H, now, &office, &always);
    assert_eq!(raised.elapsed(now, &always), 7 * H);
    assert_eq!(raised.due_at(&always), Some(jkt("2026-07-06 18:00:00")));
    // 24×7 to business hours: 5 h counted since Monday 15:00, but the
    // office was open one of them; the clock keeps that hour and has
    // 7 business hours left, to Tuesday 15:00.
    let clock = Clock::start(4 * H, jkt("2026-07-06 15:00:00"));
    let now = jkt("2026-07-06 20:00:00");
    assert_eq!(clock.elapsed(now, &always), 5 * H);
    let moved = clock.retarget(8 * H, now, &always, &office);
    assert_eq!(moved.paused_seconds, 0);
    assert_eq!(moved.elapsed(now, &office), H);
    assert_eq!(moved.due_at(&office), Some(jkt("2026-07-07 15:00:00")));
}

#[test]
fn working_day_notation() {
    assert_eq!(parse_target("1x8h"), Ok(8 * H));
    assert_eq!(parse_target("3x8h"), Ok(24 * H));
    assert_eq!(parse_target("6 x 8h"), Ok(48 * H));
    assert_eq!(parse_target("1 × 8h"), Ok(8 * H));
    assert_eq!(parse_target("1X7h30m"), Ok(7 * H + 30 * MIN));
    assert_eq!(parse_target("10m"), Ok(10 * MIN));
    for bad in ["", "0m", "x8h", "3x", "3x8", "8 hours", "400d", "-1x8h"] {
        assert!(parse_target(bad).is_err(), "{bad}");
    }
    // 1x8h with 08:00–16:00 hours is one working day.
    let cal = office(&[]);
    let clock = Clock::start(parse_target("1x8h").unwrap(), jkt("2026-07-06 13:00:00"));
    assert_eq!(clock.due_at(&cal), Some(jkt("2026-07-07 13:00:00")));
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Scan,
    /// A scan exactly when the stored next check falls due, as the real
    /// scanner does.
    ScanAtNextCheck,
    Pause,
    Resume,
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Scans and transitions at arbitrary instants report every warning
    /// and breach the clock reached, each exactly once, in order; and the
    /// verdict at a stop agrees with the breach notice.
    #[test]
    fn crossings_are_reported_once_and_agree_with_the_verdict(
        start in 1_767_225_600i64..1_798_761_600i64,
        target in 60i64..=30 * H,
        steps in proptest::collection::vec(
            (1i64..=10 * H, proptest::prop_oneof![
                proptest::strategy::Just(Step::Scan),
                proptest::strategy::Just(Step::ScanAtNextCheck),
                proptest::strategy::Just(Step::Pause),
                proptest::strategy::Just(Step::Resume),
            ]),
            0..12,
        ),
    ) {
        let cal = office(&["2026-12-25"]);
        let warn = [0.5, 0.75, 0.9];
        let mut clock = Clock::start(target, start);
        let mut look = start;
        let mut now = start;
        let mut seen: Vec<Crossing> = Vec::new();
        for (gap, step) in steps {
            now = match (step, clock.next_check_at(&cal, &warn, now)) {
                (Step::ScanAtNextCheck, Some(next)) => next,
                _ => now + gap,
            };
            // Every look, scan or transition, first takes what fell due.
            let due = clock.crossings(&cal, &warn, look, now);
            for c in &due {
                // At its instant, a breach is a breach and a warning's
                // share of the target has been used.
                match *c {
                    Crossing::Breach { at } => proptest::prop_assert_eq!(
                        clock.stop(at, &cal).state,
                        ClockState::Breached
                    ),
                    Crossing::Warning { fraction, at } => proptest::prop_assert!(
                        clock.elapsed(at, &cal) as f64 >= target as f64 * fraction
                    ),
                }
            }
            seen.extend(due);
            look = now;
            clock = match step {
                Step::Scan | Step::ScanAtNextCheck => clock,
                Step::Pause => clock.pause(now),
                Step::Resume => clock.resume(now, &cal),
            };
            if let Some(next) = clock.next_check_at(&cal, &warn, now) {
                proptest::prop_assert!(next > now);
                // Nothing falls due before the stored next check.
                proptest::prop_assert!(clock.crossings(&cal, &warn, now, next - 1).is_empty());
            }
        }
        let elapsed = clock.elapsed(now, &cal);
        let mut expected: Vec<i64> = warn
            .iter()
            .map(|f| (target as f64 * f).ceil() as i64)
            .filter(|&a| a <= elapsed)
            .collect();
        if elapsed > target {
            expected.push(target + 1);
        }
        proptest::prop_assert_eq!(seen.len(), expected.len(), "{:?}", seen);
        proptest::prop_assert!(seen.windows(2).all(|w| w[0].at() < w[1].at()));
        let breach_seen = seen.iter().any(|c| matches!(c, Crossing::Breach { .. }));
        let stopped = clock.stop(now, &cal);
        proptest::prop_assert_eq!(stopped.state == ClockState::Breached, breach_seen);
        proptest::prop_assert_eq!(stopped.elapsed(now + 100 * H, &cal), elapsed);
    }
}

#[test]
fn twenty_four_seven_targets_count_wall_time() {
    let p1 = Targets {
        response: 15 * MIN,
        resolution: 4 * H,
        business_hours: false,
    };
    let business = office(&[]);
    let cal = p1.calendar(&business);
    assert!(cal.is_always_open());
    // Saturday 23:00: due Sunday 03:00, weekend or not.
    let clock = Clock::start(p1.resolution, jkt("2026-07-11 23:00:00"));
    assert_eq!(clock.due_at(cal), Some(jkt("2026-07-12 03:00:00")));
    assert_eq!(
        clock.next_check_at(cal, WARN, 0),
        Some(jkt("2026-07-12 02:00:00"))
    );
}
