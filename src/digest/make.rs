//! One digest, made: figures → charts → context → text and HTML, with the
//! names of the configuration. What the preview writes and the mail carries.

use std::path::Path;

use anyhow::Result;
use chrono_tz::Tz;

use super::chart::{self, Chart};
use super::collect::Collected;
use super::period::Period;
use super::render::Templates;
use super::sections::{self, ChartRef, Labels};
use crate::config::{Config, Language};

/// A digest ready to be written or sent.
pub struct Digest {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub charts: Vec<Chart>,
}

/// The names the digest shows for priorities, groups and staff; `scope`
/// is the group of a group lead's digest.
pub fn labels(cfg: &Config, lang: Language, scope: Option<&str>) -> Labels {
    let priority = &cfg.catalogue.priority;
    Labels {
        desk: cfg.desk.name.clone(),
        tag: cfg.desk.tag.as_str().to_string(),
        priorities: priority
            .levels
            .iter()
            .map(|l| (l.value as i64, priority.describe(l.value, lang)))
            .collect(),
        groups: cfg
            .catalogue
            .groups
            .iter()
            .map(|g| (g.key.clone(), g.name.clone()))
            .collect(),
        staff: cfg
            .staff
            .iter()
            .map(|s| (s.handle.clone(), s.name.clone()))
            .collect(),
        scope: scope.map(|k| {
            cfg.catalogue
                .group(k)
                .map(|g| g.name.clone())
                .unwrap_or_else(|| k.to_string())
        }),
    }
}

/// Draws the charts and renders the digest; `src` names each chart in the
/// HTML (a `cid:` in mail, a file name in a preview).
#[allow(clippy::too_many_arguments)]
pub fn make(
    got: &Collected,
    period: &Period,
    tz: Tz,
    lang: Language,
    labels: &Labels,
    font: &Path,
    templates: &Templates,
    src: impl Fn(&Chart) -> String,
) -> Result<Digest> {
    let charts = chart::all(&got.figures.daily, &got.figures.aging, font, lang)?;
    let refs = charts
        .iter()
        .map(|c| ChartRef {
            src: src(c),
            alt: c.alt.clone(),
            width: c.width / 2,
            height: c.height / 2,
        })
        .collect();
    let ctx = sections::build(&got.figures, &got.problems, period, tz, lang, labels, refs);
    let rendered = templates.render(&ctx, lang)?;
    Ok(Digest {
        subject: ctx.subject,
        text: rendered.text,
        html: rendered.html,
        charts,
    })
}
