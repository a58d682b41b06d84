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
    report("survey", Ok(survey_line(&cfg)));
    for (what, r) in listeners(&cfg.web, free_to_bind) {
        match r {
            Listener::Free(msg) => report(what, Ok(msg)),
            Listener::Taken(msg) | Listener::Off(msg) => println!("{msg}"),
            Listener::Refused(e) => report(what, Err(anyhow::anyhow!(e))),
        }
    }
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
    if let Some(db) = &db {
        lease_lines(db).await;
    }
    let outbound = match Transport::from_config(&cfg, db.as_ref()) {
        Ok(t) => t.test_connection().await,
        Err(e) => Err(e),
    };
    report("outbound", outbound);
    ExitCode::from(if failed { exit::FAILURE } else { exit::OK })
}

/// Who holds each lease (several instances on one database: which one
/// reads the mailbox), since and until when; informative, never a failure.
async fn lease_lines(db: &Db) {
    let held = async {
        let mut c = db.pool().acquire().await?;
        store::leases::all(&mut c).await
    }
    .await;
    let now = crate::mail::compose::wall_clock();
    match held {
        Ok(held) if held.is_empty() => {
            println!("note  lease: none held (no instance reads a mailbox)")
        }
        Ok(held) => {
            for h in held {
                println!("note  {}", lease_line(&h, now));
            }
        }
        Err(e) => println!("warn  lease: cannot be read: {e:#}"),
    }
}

/// `lease imap:…: held by a:12:…, since 10:02:00 UTC, until 10:03:05 UTC (in 40 s)`.
fn lease_line(h: &store::leases::Held, now: i64) -> String {
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| t.to_string())
    };
    let left = h.expires_at - now;
    let state = if left > 0 {
        format!("in {left} s")
    } else {
        format!("ran out {} s ago: the next instance takes it over", -left)
    };
    format!(
        "lease {}: held by {}, since {}, until {} ({state})",
        h.name,
        h.holder,
        at(h.taken_at),
        at(h.expires_at)
    )
}

/// `[survey]` and `[closure]` in one line.
fn survey_line(cfg: &Config) -> String {
    let d = |d: Option<std::time::Duration>| match d {
        Some(d) => format!("{}d{}h", d.as_secs() / 86_400, d.as_secs() % 86_400 / 3600),
        None => "off".into(),
    };
    let s = &cfg.survey;
    format!(
        "{}, {} questions, links valid {}, reminder {}, auto-close {}; links start {}",
        if s.enabled { "on" } else { "off" },
        s.questions.len(),
        d(Some(s.valid_for)),
        d(s.remind_after),
        d(cfg.closure.auto_close_after),
        cfg.web.public_url
    )
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

/// What `posko check` says of one address the daemon would listen on.
#[derive(Debug, PartialEq)]
enum Listener {
    /// Free now: `run` can bind it.
    Free(String),
    /// Someone listens there already: most likely the running daemon
    /// itself, so a warning, not a failure.
    Taken(String),
    /// `[web] enabled = false`.
    Off(String),
    /// Cannot be bound at all (a privileged port, an address this machine
    /// does not have).
    Refused(String),
}

/// Binds `addr` and lets go of it at once.
fn free_to_bind(addr: std::net::SocketAddr) -> std::io::Result<()> {
    std::net::TcpListener::bind(addr).map(drop)
}

/// The public listener and, when set apart, the ops listener, each with
/// whether `bind` could take its address now.
fn listeners(
    web: &crate::config::Web,
    bind: impl Fn(std::net::SocketAddr) -> std::io::Result<()>,
) -> Vec<(&'static str, Listener)> {
    if !web.enabled {
        let off = "note  web: the listener is off (web.enabled = false): no health, metrics or survey pages";
        return vec![("web", Listener::Off(off.into()))];
    }
    let mut out = Vec::new();
    let serves = match web.ops_listen {
        Some(_) => "survey pages",
        None => "survey pages, /healthz, /readyz, /metrics",
    };
    let mut one = |what: &'static str, addr: std::net::SocketAddr, serves: &str| {
        let state = match bind(addr) {
            Ok(()) => Listener::Free(format!("http://{addr} ({serves}) is free to bind")),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Listener::Taken(format!(
                "warn  {what}: http://{addr} ({serves}) is in use: the running daemon, \
                 or another program that would stop `posko run`"
            )),
            Err(e) => Listener::Refused(format!("cannot bind http://{addr} ({serves}): {e}")),
        };
        out.push((what, state));
    };
    one("web", web.listen, serves);
    if let Some(ops) = web.ops_listen {
        one("web ops", ops, "/healthz, /readyz, /metrics");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    fn web(ops: Option<&str>) -> crate::config::Web {
        crate::config::Web {
            ops_listen: ops.map(|a| a.parse().unwrap()),
            ..crate::config::Web::default()
        }
    }

    #[test]
    fn a_free_address_is_ok_and_names_what_it_serves() {
        let got = listeners(&web(None), |_| Ok(()));
        assert_eq!(
            got,
            vec![(
                "web",
                Listener::Free(
                    "http://127.0.0.1:8080 (survey pages, /healthz, /readyz, /metrics) is free to bind"
                        .into()
                )
            )]
        );
    }

    #[test]
    fn a_taken_address_warns_and_a_refused_one_fails() {
        let got = listeners(&web(Some("0.0.0.0:80")), |a| {
            Err(Error::from(if a.port() == 80 {
                ErrorKind::PermissionDenied
            } else {
                ErrorKind::AddrInUse
            }))
        });
        assert!(
            matches!(&got[0], ("web", Listener::Taken(m)) if m.contains("(survey pages)") && m.starts_with("warn"))
        );
        assert!(matches!(&got[1], ("web ops", Listener::Refused(e)) if e.contains("0.0.0.0:80")));
    }

    #[test]
    fn a_listener_turned_off_is_a_note() {
        let off = crate::config::Web {
            enabled: false,
            ..crate::config::Web::default()
        };
        assert!(matches!(
            &listeners(&off, |_| Ok(()))[..],
            [("web", Listener::Off(_))]
        ));
    }
}
