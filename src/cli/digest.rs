//! `posko digest`: the managers' daily digest of a date, written as a
//! preview (HTML, text and PNGs, touching nothing) or sent now to one address.

use super::*;
use crate::digest::collect::collect;
use crate::digest::config::Settings;
use crate::digest::mail::content_id;
use crate::digest::make::{Digest, labels, make};
use crate::digest::period::{self, Period};
use crate::digest::render::Templates as DigestTemplates;
use crate::digest::send::{Job, queue};
use crate::domain::EmailAddress;
use crate::mail::compose::wall_clock;
use crate::outbox::Outbox;

#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    /// The digest's date (desk time zone), e.g. 2026-12-01; today when left out.
    #[arg(long)]
    date: Option<String>,
    /// Write the digest to this HTML file, its charts and text beside it; nothing is sent.
    #[arg(long, value_name = "FILE")]
    preview: Option<PathBuf>,
    /// Send the digest to this address now.
    #[arg(long, value_name = "ADDRESS")]
    to: Option<String>,
    /// Only this group's tickets (the digest a group lead gets).
    #[arg(long, value_name = "KEY")]
    group: Option<String>,
}

/// The `[digest]` settings.
fn settings(cfg: &Config) -> Settings {
    cfg.digest.clone()
}

pub(super) async fn cmd_digest(cfg: Config, a: DigestArgs) -> Result<ExitCode> {
    if a.preview.is_none() && a.to.is_none() {
        eprintln!("posko: say where the digest goes: --preview FILE or --to ADDRESS");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let to = match a.to.as_deref().map(|t| (t, EmailAddress::parse(t))) {
        Some((t, None)) => {
            eprintln!("posko: --to {t:?} is not an address");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Some((_, Some(addr))) => Some(addr),
        None => None,
    };
    if let Some(g) = a.group.as_deref()
        && cfg.catalogue.group(g).is_none()
    {
        eprintln!("posko: --group {g}: no such group");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let tz = cfg.desk.timezone;
    let now = wall_clock();
    let date = match a.date.as_deref() {
        None => period::local_date(now, tz),
        Some(d) => match chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                eprintln!("posko: --date {d:?} is not a date such as 2026-12-01");
                return Ok(ExitCode::from(exit::USAGE));
            }
        },
    };
    let p: Period = match period::period_for(&cfg.calendar, tz, date) {
        Some(p) => p,
        None => {
            eprintln!(
                "posko: {date} is not a business day: no digest is sent then (its time goes \
                 into the next business day's); shown anyway"
            );
            period::span_for(&cfg.calendar, tz, date)
        }
    };
    let s = settings(&cfg);
    let lang = cfg.desk.language;
    let templates = DigestTemplates::load(cfg.desk.templates.as_deref())?;
    let scope = a.group.as_deref().unwrap_or("");
    let db = Db::open(&cfg).await?;
    let got = {
        let mut c = db.acquire_for_report().await?;
        collect(&mut c, &cfg.calendar, tz, &p, scope, &s).await?
    };
    let names = labels(&cfg, lang, a.group.as_deref());
    let date_text = date.to_string();

    if let Some(out) = &a.preview {
        let stem = out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "digest".into());
        let file = |name: &str| format!("{stem}-{name}.png");
        let d = make(&got, &p, tz, lang, &names, &s.font, &templates, |c| {
            file(c.name)
        })?;
        write_preview(out, &d, &file)?;
        println!(
            "{}: {} ({} charts beside it)",
            out.display(),
            d.subject,
            d.charts.len()
        );
    }
    if let Some(to) = to {
        let domain = cfg.desk.address.domain().to_string();
        let d = make(&got, &p, tz, lang, &names, &s.font, &templates, |c| {
            format!("cid:{}", content_id(c, &date_text, &domain))
        })?;
        db.migrate().await?;
        let job = Job {
            to,
            scope: scope.to_string(),
        };
        {
            // Sent on request: no claim, so the daily send still goes out.
            let mut c = db.pool().acquire().await?;
            queue(&mut c, &cfg, &d, &date_text, &job, false, now).await?;
        }
        let outbox = Outbox::new(
            db.clone(),
            crate::outbox::Transport::from_config(&cfg, Some(&db))?,
            cfg.outbox.clone(),
        );
        outbox.tick(now).await?;
        println!("{}: {}", job.to, d.subject);
    }
    Ok(ExitCode::from(exit::OK))
}

/// `out` (the HTML), the text beside it (`.txt`) and each chart as
/// `file(name)` in the same directory.
fn write_preview(out: &std::path::Path, d: &Digest, file: &dyn Fn(&str) -> String) -> Result<()> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
    let beside = |name: &str| match dir {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    };
    std::fs::write(out, &d.html).with_context(|| format!("cannot write {}", out.display()))?;
    std::fs::write(out.with_extension("txt"), &d.text)?;
    for c in &d.charts {
        let path = beside(&file(c.name));
        std::fs::write(&path, &c.png)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
