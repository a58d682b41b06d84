//! `posko check`: the configuration, the templates, the database and the
//! servers, each said to be fine or what is wrong with it.

use super::*;

/// Checks each part and says what answers; exit 0 only when all do.
pub(super) async fn cmd_check(cfg: Config) -> ExitCode {
    let mut failed = false;
    let mut report = |what: &str, r: Result<String>| match r {
        Ok(msg) => println!("ok    {what}: {msg}"),
        Err(e) => {
            failed = true;
            println!("FAIL  {what}: {e:#}");
        }
    };
    report(
        "configuration",
        Ok(format!(
            "{} is valid ({} staff, desk {})",
            cfg.source.display(),
            cfg.staff.len(),
            cfg.desk.address
        )),
    );
    report(
        "classification",
        Ok(format!(
            "{} rules, {} categories, {} groups, {} priority levels, {} managers",
            cfg.rules.len(),
            cfg.catalogue.categories.len(),
            cfg.catalogue.groups.len(),
            cfg.catalogue.priority.levels.len(),
            cfg.managers().count()
        )),
    );
    if !cfg.digest.font.is_file() {
        println!(
            "warn  digest: the chart font {} cannot be read; `posko digest` needs it \
             (Debian: fonts-dejavu-core, or set digest.font)",
            cfg.digest.font.display()
        );
    }
    digest_recipients(&cfg);
    if cfg.catalogue.builtin_default {
        let other = cfg.catalogue.default_category();
        println!(
            "note  catalogue: no default category; posko supplies the built-in {:?} ({}), routed to the service desk (group {:?})",
            other.key, other.name.en, other.group
        );
    }
    if cfg.managers().next().is_none() {
        println!(
            "warn  staff: no role = \"manager\": nobody is alerted of security tickets and major incidents"
        );
    }
    if cfg.service_desk().next().is_none() {
        println!("warn  staff: no level-1 staff: nobody receives new-ticket notices");
    }
    report(
        "templates",
        Templates::load(cfg.desk.templates.as_deref()).map(|_| "all templates compile".into()),
    );
    let db = async {
        let db = Db::open(&cfg).await?;
        db.migrate().await?;
        let mut c = db.pool().acquire().await?;
        let n = store::tickets::count(&mut c).await?;
        anyhow::Ok((
            db.clone(),
            format!("{} answers; {n} tickets", store::redact(&cfg.database_url)),
        ))
    }
    .await;
    let db = match db {
        Ok((db, msg)) => {
            report("database", Ok(msg));
            Some(db)
        }
        Err(e) => {
            report("database", Err(e));
            None
        }
    };
    match &cfg.inbound {
        Inbound::Maildir { path, .. } => report(
            "inbound",
            crate::inbound::maildir::Maildir::open(path)
                .and_then(|md| md.pending())
                .map(|p| {
                    format!(
                        "Maildir {} is readable; {} messages waiting",
                        path.display(),
                        p.len()
                    )
                }),
        ),
        Inbound::Imap(s) => match &db {
            Some(db) => {
                let templates =
                    std::sync::Arc::new(Templates::load(None).expect("built-in templates"));
                let ingestor = crate::ingest::Ingestor::new(
                    std::sync::Arc::new(cfg.clone()),
                    db.clone(),
                    templates,
                );
                report("inbound", crate::inbound::imap::check(s, ingestor).await)
            }
            None => report(
                "inbound",
                Err(anyhow::anyhow!(
                    "not checked: the database is not available"
                )),
            ),
        },
    }
    let outbound = match Transport::from_config(&cfg, db.as_ref()) {
        Ok(t) => t.test_connection().await,
        Err(e) => Err(e),
    };
    report("outbound", outbound);
    ExitCode::from(if failed { exit::FAILURE } else { exit::OK })
}

/// The `[digest]` line: when it goes out and to whom, each group lead with
/// the group whose digest they get.
fn digest_recipients(cfg: &Config) {
    let jobs = crate::digest::send::jobs(cfg);
    let named: Vec<String> = jobs
        .iter()
        .map(|j| match j.scope.as_str() {
            "" => j.to.to_string(),
            g => format!("{} (lead of {g})", j.to),
        })
        .collect();
    let d = &cfg.digest;
    if !d.enabled {
        println!("note  digest: daily sending is off (digest.enabled); `posko digest` works");
    } else if named.is_empty() {
        println!(
            "warn  digest: enabled but nobody gets it (no manager, no address in digest.to, \
             no group lead)"
        );
    } else {
        println!(
            "ok    digest: at {} ({}) on business days to {}",
            d.at.format("%H:%M"),
            cfg.desk.timezone,
            named.join(", ")
        );
    }
}
