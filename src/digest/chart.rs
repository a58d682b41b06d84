//! The digest's charts as PNG (mail clients do not show SVG), drawn with
//! plotters on an RGB buffer and encoded here.
//!
//! Each chart is drawn at twice the size the HTML shows it (1200×600 shown
//! at 600×300), so it stays sharp on a laptop's high-density screen; the
//! text is set in a TrueType font read from a file (Debian's
//! `fonts-dejavu-core` by default, `digest.font`). A chart with one day, or
//! only zeros, still draws: its axis then runs from 0 to a small maximum.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::figures::{AgeRow, Day};
use crate::config::Language;

/// Drawn size; the HTML shows half of it.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 600;

/// One rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File-name stem and Content-ID stem: `opened_resolved`, `backlog`, `sla`.
    pub name: &'static str,
    pub png: Vec<u8>,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

const BLUE: RGBColor = RGBColor(29, 78, 216);
const GREEN: RGBColor = RGBColor(5, 150, 105);
const AMBER: RGBColor = RGBColor(217, 119, 6);
const GREY: RGBColor = RGBColor(107, 114, 128);
const AGE_COLOURS: [RGBColor; 4] = [
    RGBColor(147, 197, 253),
    RGBColor(59, 130, 246),
    RGBColor(217, 119, 6),
    RGBColor(185, 28, 28),
];

/// The font family name under which `path` is registered with plotters
/// (its registry wants `'static` bytes: each file is read and kept once).
fn font_family(path: &Path) -> Result<String> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    let mut map = loaded.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(name) = map.get(path) {
        return Ok(name.clone());
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the chart font {}", path.display()))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let name = format!("posko-font-{}", map.len());
    plotters::style::register_font(&name, FontStyle::Normal, bytes)
        .map_err(|_| anyhow!("{} is not a TrueType/OpenType font", path.display()))?;
    map.insert(path.to_path_buf(), name.clone());
    Ok(name)
}

/// Draws with `draw` on a white canvas and encodes the result as PNG.
fn png(
    draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<Vec<u8>> {
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("chart: {e}"))?;
        draw(root.clone())?;
        root.present().map_err(|e| anyhow!("chart: {e}"))?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Shown at half size: say so to viewers that read the density (144 dpi).
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: 5669,
        yppu: 5669,
        unit: png::Unit::Meter,
    }));
    enc.write_header()?.write_image_data(&buf)?;
    Ok(out)
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("chart: {e:?}")
}

/// A y axis maximum with room above the highest value for the legend,
/// never zero (a chart of zeros still has an axis).
fn y_max(max: i64) -> i64 {
    (max + max * 2 / 5 + 1).max(4)
}

/// "30/11" from "2026-11-30".
fn day_label(date: &str) -> String {
    let mut parts = date.split('-').skip(1);
    match (parts.next(), parts.next()) {
        (Some(m), Some(d)) => format!(
            "{}/{}",
            d.trim_start_matches('0'),
            m.trim_start_matches('0')
        ),
        _ => date.to_string(),
    }
}

struct Words {
    opened_resolved: &'static str,
    opened: &'static str,
    resolved: &'static str,
    day: &'static str,
    tickets: &'static str,
    backlog: &'static str,
    priority: &'static str,
    ages: [&'static str; 4],
    sla: &'static str,
    response: &'static str,
    resolution: &'static str,
    met: &'static str,
    none: &'static str,
}

fn words(lang: Language) -> Words {
    match lang {
        Language::Id => Words {
            opened_resolved: "Tiket dibuka dan diselesaikan per hari",
            opened: "Dibuka",
            resolved: "Diselesaikan",
            day: "Tanggal",
            tickets: "Tiket",
            backlog: "Antrean terbuka per prioritas dan umur",
            priority: "Prioritas",
            ages: ["< 1 hari", "1–3 hari", "3–7 hari", "> 7 hari"],
            sla: "Target SLA terpenuhi per hari",
            response: "Respons",
            resolution: "Penyelesaian",
            met: "Terpenuhi (%)",
            none: "tanpa",
        },
        Language::En => Words {
            opened_resolved: "Tickets opened and resolved per day",
            opened: "Opened",
            resolved: "Resolved",
            day: "Day",
            tickets: "Tickets",
            backlog: "Open backlog by priority and age",
            priority: "Priority",
            ages: ["< 1 day", "1–3 days", "3–7 days", "> 7 days"],
            sla: "SLA targets met per day",
            response: "Response",
            resolution: "Resolution",
            met: "Met (%)",
            none: "none",
        },
    }
}

/// The three charts of the digest.
pub fn all(days: &[Day], aging: &[AgeRow], font: &Path, lang: Language) -> Result<Vec<Chart>> {
    let family = font_family(font)?;
    Ok(vec![
        opened_resolved(days, &family, lang)?,
        backlog(aging, &family, lang)?,
        sla(days, &family, lang)?,
    ])
}

fn span_text(days: &[Day]) -> String {
    match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("{} – {}", day_label(&a.date), day_label(&b.date)),
        _ => "-".into(),
    }
}

/// Opened vs resolved per day, as pairs of bars.
pub fn opened_resolved(days: &[Day], family: &str, lang: Language) -> Result<Chart> {
    let w = words(lang);
    let n = days.len().max(1);
    let top = y_max(
        days.iter()
            .map(|d| d.opened.max(d.resolved))
            .max()
            .unwrap_or(0),
    );
    let png = png(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(w.opened_resolved, (family, 34))
            .margin(24)
            .x_label_area_size(70)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0i64..top)
            .map_err(err)?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            days.get(i as usize)
                .map(|d| day_label(&d.date))
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .x_desc(w.day)
            .y_desc(w.tickets)
            .label_style((family, 22))
            .axis_desc_style((family, 24))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(229, 231, 235))
            .draw()
            .map_err(err)?;
        for (name, colour, offset) in [(w.opened, BLUE, -0.38), (w.resolved, GREEN, 0.02)] {
            chart
                .draw_series(days.iter().enumerate().map(|(i, d)| {
                    let v = if colour == BLUE { d.opened } else { d.resolved };
                    let x0 = i as f64 + offset;
                    Rectangle::new([(x0, 0), (x0 + 0.36, v)], colour.filled())
                }))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 20, y + 8)], colour.filled())
                });
        }
        legend(&mut chart, family)
    })?;
    let (opened, resolved): (i64, i64) = days
        .iter()
        .fold((0, 0), |(o, r), d| (o + d.opened, r + d.resolved));
    let alt = match lang {
        Language::Id => format!(
            "{}, {}: {opened} dibuka, {resolved} diselesaikan.",
            w.opened_resolved,
            span_text(days)
        ),
        Language::En => format!(
            "{}, {}: {opened} opened, {resolved} resolved.",
            w.opened_resolved,
            span_text(days)
        ),
    };
    Ok(Chart {
        name: "opened_resolved",
        png,
        alt,
        width: WIDTH,
        height: HEIGHT,
    })
}

/// Open tickets per priority, stacked by age.
pub fn backlog(aging: &[AgeRow], family: &str, lang: Language) -> Result<Chart> {
    let w = words(lang);
    let empty = [AgeRow {
        priority: Some(1),
        buckets: [0; 4],
    }];
    let rows = if aging.is_empty() { &empty[..] } else { aging };
    let n = rows.len();
    let top = y_max(
        rows.iter()
            .map(|r| r.buckets.iter().sum::<i64>())
            .max()
            .unwrap_or(0),
    );
    let name = |p: Option<i64>| p.map(|p| p.to_string()).unwrap_or_else(|| w.none.into());
    let png = png(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(w.backlog, (family, 34))
            .margin(24)
            .x_label_area_size(70)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0i64..top)
            .map_err(err)?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            rows.get(i as usize)
                .map(|r| name(r.priority))
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .x_desc(w.priority)
            .y_desc(w.tickets)
            .label_style((family, 22))
            .axis_desc_style((family, 24))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(229, 231, 235))
            .draw()
            .map_err(err)?;
        for (b, colour) in AGE_COLOURS.iter().enumerate() {
            let colour = *colour;
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    let below: i64 = r.buckets[..b].iter().sum();
                    let x = i as f64;
                    Rectangle::new(
                        [(x - 0.3, below), (x + 0.3, below + r.buckets[b])],
                        colour.filled(),
                    )
                }))
                .map_err(err)?
                .label(w.ages[b])
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 20, y + 8)], colour.filled())
                });
        }
        legend(&mut chart, family)
    })?;
    let parts: Vec<String> = aging
        .iter()
        .map(|r| {
            format!(
                "{} {}: {}",
                w.priority,
                name(r.priority),
                r.buckets.iter().sum::<i64>()
            )
        })
        .collect();
    let total: i64 = aging.iter().map(|r| r.buckets.iter().sum::<i64>()).sum();
    let alt = format!(
        "{}: {total}{}{}.",
        w.backlog,
        if parts.is_empty() { "" } else { "; " },
        parts.join(", ")
    );
    Ok(Chart {
        name: "backlog",
        png,
        alt,
        width: WIDTH,
        height: HEIGHT,
    })
}

/// The SLA chart's y axis: 0–135 %, with ticks and grid lines only at 0,
/// 20 … 100 (the room above 100 holds the legend, and a tick at 120 % would
/// read as a value).
struct Percent;

impl Percent {
    const TOP: f64 = 135.0;
}

impl Ranged for Percent {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;

    fn range(&self) -> std::ops::Range<f64> {
        0.0..Self::TOP
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        plotters::coord::types::RangedCoordf64::from(0.0..Self::TOP).map(value, limit)
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..=5).map(|k| f64::from(k) * 20.0).collect()
    }
}

impl plotters::coord::ranged1d::ValueFormatter<f64> for Percent {
    fn format(value: &f64) -> String {
        format!("{value:.0}")
    }
}

/// Response and resolution met % per day; days with nothing decided are gaps.
pub fn sla(days: &[Day], family: &str, lang: Language) -> Result<Chart> {
    let w = words(lang);
    let n = days.len().max(1);
    let png = png(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(w.sla, (family, 34))
            .margin(24)
            .x_label_area_size(70)
            .y_label_area_size(80)
            // Room above 100 % for the legend, with no tick or line there.
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), Percent)
            .map_err(err)?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            days.get(i as usize)
                .map(|d| day_label(&d.date))
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc(w.day)
            .y_desc(w.met)
            .label_style((family, 22))
            .axis_desc_style((family, 24))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(229, 231, 235))
            .draw()
            .map_err(err)?;
        for (name, colour, pick) in [
            (
                w.response,
                BLUE,
                (|d: &Day| d.response.pct()) as fn(&Day) -> Option<f64>,
            ),
            (w.resolution, AMBER, |d: &Day| d.resolution.pct()),
        ] {
            let points: Vec<Option<(f64, f64)>> = days
                .iter()
                .enumerate()
                .map(|(i, d)| pick(d).map(|p| (i as f64, p)))
                .collect();
            // One line per run of days that have a value.
            for run in points.split(|p| p.is_none()) {
                let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
                chart
                    .draw_series(LineSeries::new(run, colour.stroke_width(4)))
                    .map_err(err)?;
            }
            chart
                .draw_series(
                    points
                        .iter()
                        .flatten()
                        .map(|&(x, y)| Circle::new((x, y), 7, colour.filled())),
                )
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 7, colour.filled()));
        }
        legend(&mut chart, family)
    })?;
    let total = |pick: fn(&Day) -> super::figures::Share| {
        days.iter()
            .map(pick)
            .fold(super::figures::Share::default(), |a, b| a + b)
            .pct()
            .map(|p| super::sections::pct(p, lang))
            .unwrap_or_else(|| "–".into())
    };
    let alt = format!(
        "{}, {}: {} {}, {} {}.",
        w.sla,
        span_text(days),
        w.response,
        total(|d| d.response),
        w.resolution,
        total(|d| d.resolution)
    );
    Ok(Chart {
        name: "sla",
        png,
        alt,
        width: WIDTH,
        height: HEIGHT,
    })
}

fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    family: &str,
) -> Result<()>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((family, 22))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .margin(12)
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::super::config::DEFAULT_FONT;
    use super::super::figures::Share;
    use super::*;

    fn size(png: &[u8]) -> (u32, u32) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("a PNG");
        let info = reader.info();
        (info.width, info.height)
    }

    fn day(k: u32, opened: i64, resolved: i64, met: i64, decided: i64) -> Day {
        Day {
            date: format!("2026-11-{:02}", 17 + k),
            opened,
            resolved,
            response: Share { met, decided },
            resolution: Share {
                met: met / 2,
                decided,
            },
        }
    }

    #[test]
    fn fourteen_days_draw_at_the_expected_size() {
        // Day 6 decided no clock: a gap in the SLA lines.
        let days: Vec<Day> = (0..14)
            .map(|k| {
                let k64 = k as i64;
                match k {
                    6 => day(k, 0, 0, 0, 0),
                    _ => day(k, 3 + k64 % 5, 2 + k64 % 3, 5 - k64 % 3, 5),
                }
            })
            .collect();
        let aging = vec![
            AgeRow {
                priority: Some(1),
                buckets: [1, 0, 0, 0],
            },
            AgeRow {
                priority: Some(2),
                buckets: [3, 2, 1, 0],
            },
            AgeRow {
                priority: Some(3),
                buckets: [5, 4, 2, 3],
            },
        ];
        let charts = all(&days, &aging, Path::new(DEFAULT_FONT), Language::Id).unwrap();
        assert_eq!(charts.len(), 3);
        for c in &charts {
            assert_eq!(size(&c.png), (WIDTH, HEIGHT), "{}", c.name);
            assert!(!c.alt.is_empty());
            if let Ok(dir) = std::env::var("POSKO_CHART_DIR") {
                std::fs::write(format!("{dir}/{}.png", c.name), &c.png).unwrap();
            }
        }
        assert!(charts[0].alt.contains("dibuka"), "{}", charts[0].alt);
    }

    #[test]
    fn one_point_all_zeros_and_nothing_still_draw() {
        let font = Path::new(DEFAULT_FONT);
        let one = [day(0, 2, 1, 1, 1)];
        let zeros: Vec<Day> = (0..14).map(|k| day(k, 0, 0, 0, 0)).collect();
        for days in [&one[..], &zeros[..], &[]] {
            let charts = all(days, &[], font, Language::En).unwrap();
            for c in charts {
                assert_eq!(size(&c.png), (WIDTH, HEIGHT), "{}", c.name);
            }
        }
    }

    #[test]
    fn a_missing_font_is_an_error_not_a_panic() {
        let e = all(&[], &[], Path::new("/nonexistent/font.ttf"), Language::En).unwrap_err();
        assert!(e.to_string().contains("font"), "{e}");
    }
}
