//! `[calendar]`: the business calendar's zone, weekly hours and holidays.
//! The calendar itself and the holiday-file format are the core's
//! ([`crate::calendar`]); the holiday file is read by [`super::load`].

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::ConfigError;
use super::validator::Validator;
use crate::calendar::{Calendar, WeeklyHours, parse_date, parse_day_hours, parse_holiday_file};

/// `[calendar]` as written in the file.
///
/// ```toml
/// [calendar]
/// timezone = "Asia/Jakarta"        # default: desk.timezone
/// hours = { mon = "08:00-16:00", fri = "08:00-11:30,13:00-16:00" }  # or "24x7"
/// holidays = ["2026-12-25"]
/// holidays_file = "config/holidays-id.toml"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    /// IANA zone of the opening hours and holiday dates; default: the desk's.
    timezone: Option<String>,
    /// Weekly hours; default Monday–Friday 08:00–16:00. `"24x7"` for always.
    hours: Option<RawHours>,
    /// Closed dates, `YYYY-MM-DD`, local.
    #[serde(default)]
    holidays: Vec<String>,
    /// A holiday file (see [`parse_holiday_file`]), relative to the directory
    /// posko is started from, like every other path in the configuration.
    pub(super) holidays_file: Option<PathBuf>,
}

/// `hours`: a table of weekdays, or the string `"24x7"`.
#[derive(Debug)]
pub(super) enum RawHours {
    AlwaysOpen,
    Week(RawWeek),
}

/// One key per weekday; a missing day is closed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeek {
    mon: Option<String>,
    tue: Option<String>,
    wed: Option<String>,
    thu: Option<String>,
    fri: Option<String>,
    sat: Option<String>,
    sun: Option<String>,
}

impl<'de> Deserialize<'de> for RawHours {
    // By hand rather than `#[serde(untagged)]`, which would turn a typo such
    // as `monday = …` into "data did not match any variant" instead of naming
    // the unknown key.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawHours;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table such as { mon = \"08:00-16:00\" } or the string \"24x7\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawHours, E> {
                if is_24x7(v) {
                    Ok(RawHours::AlwaysOpen)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawHours, A::Error> {
                RawWeek::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawHours::Week)
            }
        }
        d.deserialize_any(V)
    }
}

fn is_24x7(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().replace('×', "x").as_str(),
        "24x7" | "24/7"
    )
}

impl Validator<'_> {
    /// `[calendar]`: the zone (default: the desk's), weekly hours and
    /// holidays; `holidays` is the holiday file the section names, as
    /// [`super::load`] read it.
    pub(super) fn calendar(
        &self,
        raw: RawCalendar,
        default_tz: Tz,
        holidays: Option<(PathBuf, std::io::Result<String>)>,
    ) -> Result<Calendar, ConfigError> {
        let err = |key: &str, reason: String| self.err(key, reason);
        let tz = match &raw.timezone {
            None => default_tz,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                err(
                    "calendar.timezone",
                    format!("{name:?} is not an IANA time zone such as \"Asia/Jakarta\""),
                )
            })?,
        };
        let mut holidays_set = BTreeSet::new();
        for (i, d) in raw.holidays.iter().enumerate() {
            holidays_set
                .insert(parse_date(d).map_err(|r| err(&format!("calendar.holidays[{i}]"), r))?);
        }
        if let Some((path, text)) = holidays {
            let text = text.map_err(|e| {
                err(
                    "calendar.holidays_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let parsed = parse_holiday_file(&text).map_err(|e| ConfigError {
                file: path.display().to_string(),
                key: e.key,
                reason: e.reason,
            })?;
            holidays_set.extend(parsed.into_iter().map(|h| h.date));
        }
        let week = match raw.hours {
            None => WeeklyHours::office(),
            // 24×7 without holidays needs no time zone at all; with holidays
            // it is "all day, except on these local dates".
            Some(RawHours::AlwaysOpen) if holidays_set.is_empty() => {
                return Ok(Calendar::always_open());
            }
            Some(RawHours::AlwaysOpen) => WeeklyHours::all_day(),
            Some(RawHours::Week(w)) => {
                let mut week = WeeklyHours::default();
                let days = [
                    (Weekday::Mon, "mon", w.mon),
                    (Weekday::Tue, "tue", w.tue),
                    (Weekday::Wed, "wed", w.wed),
                    (Weekday::Thu, "thu", w.thu),
                    (Weekday::Fri, "fri", w.fri),
                    (Weekday::Sat, "sat", w.sat),
                    (Weekday::Sun, "sun", w.sun),
                ];
                for (day, name, text) in days {
                    let key = format!("calendar.hours.{name}");
                    let ranges =
                        parse_day_hours(text.as_deref().unwrap_or("")).map_err(|r| err(&key, r))?;
                    week.set(day, ranges)
                        .map_err(|e| err(&key, e.to_string()))?;
                }
                week
            }
        };
        Calendar::business(tz, week, holidays_set).map_err(|e| err("calendar", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;
    use chrono::TimeZone;

    use super::*;

    impl RawCalendar {
        fn check(
            self,
            tz: Tz,
            holidays: Option<(PathBuf, std::io::Result<String>)>,
        ) -> Result<Calendar, ConfigError> {
            Validator { file: "p.toml" }.calendar(self, tz, holidays)
        }
    }

    fn jkt(s: &str) -> i64 {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        chrono_tz::Asia::Jakarta
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .timestamp()
    }

    fn raw(text: &str) -> RawCalendar {
        #[derive(Deserialize)]
        struct Doc {
            calendar: RawCalendar,
        }
        toml::from_str::<Doc>(text).unwrap().calendar
    }

    #[test]
    fn calendar_section_validation() {
        let jakarta = chrono_tz::Asia::Jakarta;
        // Defaults: the desk's zone, Monday–Friday 08:00–16:00.
        let cal = RawCalendar::default().check(jakarta, None).unwrap();
        assert_eq!(cal.timezone(), Some(jakarta));
        assert_eq!(
            cal.add_business(jkt("2026-07-06 07:55:00"), 600),
            jkt("2026-07-06 08:10:00")
        );

        let cal = raw("[calendar]\nhours = \"24x7\"")
            .check(jakarta, None)
            .unwrap();
        assert!(cal.is_always_open());

        let cal = raw(
            "[calendar]\ntimezone = \"Asia/Jayapura\"\nhours = { mon = \"08:00-12:00,13:00-16:00\" }\nholidays = [\"2026-07-06\"]\nholidays_file = \"h.toml\"",
        )
        .check(
            jakarta,
            Some(("h.toml".into(), Ok("dates = [\"2026-07-13\"]".into()))),
        )
        .unwrap();
        assert_eq!(cal.timezone(), Some(chrono_tz::Asia::Jayapura));
        assert_eq!(cal.holidays().count(), 2);

        let cases = [
            ("[calendar]\nhours = { monday = \"08:00-16:00\" }", None),
            (
                "[calendar]\nhours = { mon = \"8-16\" }",
                Some("calendar.hours.mon"),
            ),
            ("[calendar]\nhours = {}", Some("calendar")),
            (
                "[calendar]\ntimezone = \"Mars/Olympus\"",
                Some("calendar.timezone"),
            ),
            (
                "[calendar]\nholidays = [\"25-12-2026\"]",
                Some("calendar.holidays[0]"),
            ),
        ];
        for (text, key) in cases {
            #[derive(Debug, Deserialize)]
            struct Doc {
                #[allow(dead_code)]
                calendar: RawCalendar,
            }
            match key {
                // A typo in a weekday is caught by serde, naming the key.
                None => {
                    let e = toml::from_str::<Doc>(text).unwrap_err();
                    assert!(e.message().contains("monday"), "{e}");
                }
                Some(key) => {
                    let e = raw(text).check(jakarta, None).unwrap_err();
                    assert_eq!(e.key, key, "{e}");
                }
            }
        }
        let e = raw("[calendar]\nholidays_file = \"missing.toml\"")
            .check(
                jakarta,
                Some((
                    "missing.toml".into(),
                    Err(std::io::ErrorKind::NotFound.into()),
                )),
            )
            .unwrap_err();
        assert_eq!(e.key, "calendar.holidays_file");
    }
}
