//! `posko rules …`: try the classification rules without changing anything.
//!
//! `test` classifies one message file and needs no database; `replay`
//! reads stored requests and only reads. [`bench`] (run by `posko-bench
//! rules`) measures the classifier's throughput.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::TimeZone;

use crate::cli::{RulesCommand, exit};
use crate::config::Config;
use crate::parse;
use crate::rules::{self, Condition, Field, Match, Rule, Set};
use crate::store::{Db, messages, raw, tickets};

pub async fn run(cfg: Config, command: RulesCommand) -> Result<ExitCode> {
    match command {
        RulesCommand::Test { file, json } => test(&cfg, &file, json),
        RulesCommand::Replay { since } => replay(&cfg, &since).await,
    }
}

fn test(cfg: &Config, file: &std::path::Path, json: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let msg = match parse::parse(&bytes, cfg.desk.domain()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("posko: {}: {e}", file.display());
            return Ok(ExitCode::from(exit::DATAERR));
        }
    };
    let o = rules::classify(&cfg.rules, &cfg.catalogue, &msg);
    if json {
        println!("{}", serde_json::to_string_pretty(&o)?);
    } else {
        print!("{}", describe(cfg, &o));
    }
    Ok(ExitCode::from(exit::OK))
}

/// The outcome as `rules test` prints it.
pub fn describe(cfg: &Config, o: &rules::Outcome) -> String {
    let lang = cfg.desk.language;
    let cat = &cfg.catalogue;
    let r = &o.result;
    let mut s = String::new();
    if o.matched.is_empty() {
        s.push_str("matched rules: none (the default category applies)\n");
    } else {
        s.push_str("matched rules:\n");
        for (i, m) in o.matched.iter().enumerate() {
            let set: Vec<String> = m
                .set
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("  {}. {}: {}\n", i + 1, m.rule, set.join(" ")));
        }
    }
    let or_dash = |v: &str| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.to_string()
        }
    };
    let lines = [
        ("type", r.ticket_type.to_string()),
        (
            "category",
            match cat.category(&r.category) {
                Some(c) => format!("{} ({})", c.key, c.name.get(lang)),
                None => r.category.clone(),
            },
        ),
        ("urgency", r.urgency.clone()),
        ("impact", r.impact.clone()),
        ("priority", cat.priority.describe(r.priority, lang)),
        (
            "group",
            match cat.group(&r.group) {
                Some(g) => format!("{} ({}, L{})", g.key, g.name, g.level),
                None => r.group.clone(),
            },
        ),
        ("assignee", or_dash(r.assignee.as_deref().unwrap_or(""))),
        ("tags", or_dash(&r.tags.join(", "))),
        ("major", if r.major { "yes" } else { "no" }.into()),
        ("notify", or_dash(&r.notify.join(", "))),
        (
            "ignore",
            if r.ignore {
                "yes (recorded, never answered)"
            } else {
                "no"
            }
            .into(),
        ),
    ];
    for (k, v) in lines {
        s.push_str(&format!("{k:<9} {v}\n"));
    }
    s
}

/// `2026-11-01` (midnight in the desk's time zone) or an RFC 3339 instant.
fn parse_since(cfg: &Config, s: &str) -> Result<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{s:?} is neither a date (2026-11-01) nor an RFC 3339 instant"))?;
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    cfg.desk
        .timezone
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        .with_context(|| format!("{s} has no midnight in {}", cfg.desk.timezone))
}

async fn replay(cfg: &Config, since: &str) -> Result<ExitCode> {
    let since_ts = parse_since(cfg, since)?;
    let db = Db::open(cfg).await?;
    let mut c = db.pool().acquire().await?;
    let list = tickets::created_since(&mut c, since_ts).await?;
    let (mut changed, mut unchanged, mut skipped) = (0, 0, 0);
    for t in &list {
        let Some(raw_id) = messages::request_raw_id(&mut c, t.id).await? else {
            skipped += 1;
            println!("#{}: no stored request message; skipped", t.id);
            continue;
        };
        let Some(bytes) = raw::get(&mut c, raw_id).await? else {
            skipped += 1;
            println!("#{}: raw message {raw_id} is missing; skipped", t.id);
            continue;
        };
        let msg = match parse::parse(&bytes, cfg.desk.domain()) {
            Ok(m) => m,
            Err(e) => {
                skipped += 1;
                println!("#{}: cannot parse its request ({e}); skipped", t.id);
                continue;
            }
        };
        let r = rules::classify(&cfg.rules, &cfg.catalogue, &msg).result;
        let old = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let fields = [
            ("type", old(&t.ticket_type), r.ticket_type.to_string()),
            ("category", old(&t.category), r.category.clone()),
            ("urgency", old(&t.urgency), r.urgency.clone()),
            ("impact", old(&t.impact), r.impact.clone()),
            (
                "priority",
                t.priority.map(|p| p.to_string()).unwrap_or("-".into()),
                r.priority.to_string(),
            ),
            ("group", old(&t.group_key), r.group.clone()),
            ("assignee", old(&t.assignee), old(&r.assignee)),
            ("tags", t.tags.join(","), r.tags.join(",")),
            ("major", t.major.to_string(), r.major.to_string()),
        ];
        let diffs: Vec<String> = fields
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(k, a, b)| format!("{k} {a} → {b}"))
            .collect();
        if diffs.is_empty() {
            unchanged += 1;
            println!("#{} {}: unchanged", t.id, t.subject);
        } else {
            changed += 1;
            println!("#{} {}: {}", t.id, t.subject, diffs.join(", "));
        }
    }
    println!(
        "{} tickets since {since}: {changed} would change, {unchanged} unchanged, {skipped} skipped (dry run: nothing was written)",
        list.len()
    );
    // The pool waits for its connections on close: give this one back first.
    drop(c);
    db.close().await;
    Ok(ExitCode::from(exit::OK))
}

/// Sample requests for the benchmark: the issue's stories and the kinds of
/// mail a desk gets, each with a body of a realistic length.
const SAMPLES: &[(&str, &str)] = &[
    (
        "Internet mati di lantai 3, semua user tidak bisa kerja",
        "Sejak jam 8 pagi",
    ),
    ("Mohon reset password SIAKAD", "Saya lupa password"),
    ("minta akses aplikasi keuangan", "Untuk keperluan audit"),
    ("RFC: upgrade server email", "Jadwal Sabtu malam"),
    ("Printer lantai 2 rusak", "Kertas macet terus"),
    ("Selamat pagi", "Mau tanya jadwal pelatihan"),
    ("Hati-hati email phishing", "Ada email yang minta login"),
    ("Data penjualan hilang", "Laporan bulan lalu tidak ada"),
];

/// Classifies `count` messages with `cfg`'s rules padded with generated
/// ones to `n_rules`; returns (rules used, seconds, messages per second).
pub fn bench(cfg: &Config, count: usize, n_rules: usize) -> Result<(usize, f64, f64)> {
    let mut all: Vec<Rule> = Vec::with_capacity(n_rules.max(cfg.rules.len()));
    // Generated rules first and without `stop`, so every message runs
    // through all of them: the worst case.
    for i in 0..n_rules.saturating_sub(cfg.rules.len()) {
        let pattern = format!(
            r"\b(sistem{i}|modul{i}|layanan{i})\W+(\w+\W+){{0,3}}(rusak|error|mati|lambat)\b"
        );
        all.push(Rule {
            name: format!("generated {i}"),
            conditions: vec![Condition {
                field: Field::Text,
                regex: rules::compile(&pattern)?,
            }],
            mode: Match::All,
            set: Set {
                tags: vec![format!("g{i}")],
                ..Set::default()
            },
            notify: Vec::new(),
            stop: false,
        });
    }
    all.extend(cfg.rules.iter().cloned());
    let filler = "Mohon bantuannya, terima kasih. Salam, Bagian Keuangan. ".repeat(12);
    let parsed: Vec<parse::InboundMessage> = SAMPLES
        .iter()
        .enumerate()
        .map(|(i, (subject, body))| {
            let raw = format!(
                "From: User {i} <user{i}@corp.test>\r\nTo: helpdesk@corp.test\r\n\
                 Subject: {subject}\r\nMessage-ID: <bench{i}@corp.test>\r\n\r\n{body}\r\n\r\n{filler}\r\n"
            );
            parse::parse(raw.as_bytes(), cfg.desk.domain()).expect("sample parses")
        })
        .collect();
    let start = Instant::now();
    let mut matched = 0usize;
    for i in 0..count {
        let o = rules::classify(&all, &cfg.catalogue, &parsed[i % parsed.len()]);
        matched += o.matched.len();
    }
    let secs = start.elapsed().as_secs_f64();
    // Every sample matches at least one rule: the work was not optimised away.
    anyhow::ensure!(matched >= count, "only {matched} rule matches");
    Ok((all.len(), secs, count as f64 / secs))
}
