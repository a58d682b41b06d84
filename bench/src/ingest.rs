//! The intake benches: a Maildir or an IMAP mailbox into the database, and
//! one huge message.

use super::*;

pub(crate) async fn bench_maildir(count: usize, db: &str, keep: bool) -> Result<()> {
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), db);
    let cfg = config(dir.path(), &url, &Inbound::Maildir, "50MB")?;
    let md = Maildir::open(&dir.path().join("mail"))?;
    let mut generator = Generator::new(42);
    let t = Instant::now();
    for i in 0..count {
        let raw = generator.next_message();
        deliver_numbered(dir.path(), i, &raw)?;
    }
    eprintln!(
        "generated {count} messages ({:.1} MB) in {:.2} s",
        generator.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let before = if url.starts_with("postgres") {
        Some(counts(&url).await?)
    } else {
        None
    };
    let base_rss = reset_peak_rss();

    perf_control("enable");
    let t = Instant::now();
    let app = App::build(cfg).await?;
    let built = t.elapsed();
    let cpu = process_cpu_ms();
    let stats = maildir::pass(&md, &app.ingestor, 50 << 20, now()).await?;
    let cpu = process_cpu_ms() - cpu;
    let took = t.elapsed();
    perf_control("disable");
    let peak = peak_rss_mb();

    let mut c = counts_of(&app.db).await?;
    if let Some(b) = before {
        c = c.minus(&b);
    }
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "maildir→{backend}: {count} messages in {:.2} s = {:.0} msg/s; peak RSS {peak:.1} MB (before ingest {base_rss:.1} MB); \
         tickets {}, comments {}; acks queued {}, staff notices {}",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        c.tickets,
        c.comments,
        c.acks,
        c.notices,
    );
    println!(
        "  build {} ms; posko CPU {:.3} ms/msg in the pass; {}; expected tickets {}, comments {}; {}",
        built.as_millis(),
        cpu / count as f64,
        pass_line(&stats),
        generator.new_tickets,
        generator.replies,
        durability(&app.db).await?
    );
    check_pass(&stats, count)?;
    app.db.close().await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn bench_imap(
    count: usize,
    host: &str,
    port: u16,
    user: &str,
    password_env: &str,
    mailbox: &str,
    keep: bool,
) -> Result<()> {
    let password = std::env::var(password_env)
        .with_context(|| format!("the environment variable {password_env} is not set"))?;
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let inbound = Inbound::Imap {
        host: host.into(),
        port,
        user: user.into(),
        password_env: password_env.into(),
        mailbox: mailbox.into(),
    };
    let cfg = config(dir.path(), &url, &inbound, "50MB")?;

    let t = Instant::now();
    let bytes = append_messages(host, port, user, &password, mailbox, count).await?;
    eprintln!(
        "appended {count} messages ({:.1} MB) over IMAP in {:.2} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let base_rss = reset_peak_rss();

    let t = Instant::now();
    let app = App::build(cfg).await?;
    let built = t.elapsed();
    let settings = match &app.cfg.inbound {
        posko::config::Inbound::Imap(s) => s.clone(),
        _ => unreachable!("the config says imap"),
    };
    let t_pass = Instant::now();
    let stats = ImapIntake::new(settings, app.ingestor.clone())
        .once(now)
        .await?;
    let pass = t_pass.elapsed();
    let took = t.elapsed();
    let peak = peak_rss_mb();
    let c = counts_of(&app.db).await?;
    println!(
        "imap→sqlite: {count} messages in {:.2} s = {:.0} msg/s (pass alone {:.2} s = {:.0} msg/s); \
         peak RSS {peak:.1} MB (before ingest {base_rss:.1} MB); tickets {}, comments {}; acks queued {}",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        pass.as_secs_f64(),
        count as f64 / pass.as_secs_f64(),
        c.tickets,
        c.comments,
        c.acks,
    );
    println!(
        "  build {} ms; {}; {}",
        built.as_millis(),
        pass_line(&stats),
        durability(&app.db).await?
    );
    check_pass(&stats, count)?;
    app.db.close().await;
    Ok(())
}

pub(crate) async fn bench_big(size_mb: usize, keep: bool) -> Result<()> {
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let limit = format!("{}MB", size_mb * 2 + 16);
    let cfg = config(dir.path(), &url, &Inbound::Maildir, &limit)?;
    let max = posko::config::parse_size(&limit).map_err(anyhow::Error::msg)?;
    let md = Maildir::open(&dir.path().join("mail"))?;
    let path = dir.path().join("mail/tmp/big.eml");
    let size = write_big_message(&path, size_mb << 20)?;
    std::fs::rename(&path, dir.path().join("mail/new/1.big.posko-bench"))?;
    let base_rss = reset_peak_rss();

    let t = Instant::now();
    let app = App::build(cfg).await?;
    let stats = maildir::pass(&md, &app.ingestor, max, now()).await?;
    let took = t.elapsed();
    let peak = peak_rss_mb();
    let c = counts_of(&app.db).await?;
    let verdict = if peak < 150.0 { "under" } else { "OVER" };
    println!(
        "big: one {:.1} MB message ({size_mb} MB attachment) in {:.2} s; peak RSS {peak:.1} MB \
         (before ingest {base_rss:.1} MB), {verdict} the 150 MB target; tickets {}",
        size as f64 / 1e6,
        took.as_secs_f64(),
        c.tickets,
    );
    println!("  {}", pass_line(&stats));
    if stats.new_tickets != 1 {
        bail!("the big message did not become a ticket: {stats:?}");
    }
    app.db.close().await;
    Ok(())
}

pub(crate) struct Counts {
    tickets: i64,
    comments: i64,
    acks: i64,
    notices: i64,
}

impl Counts {
    fn minus(&self, o: &Counts) -> Counts {
        Counts {
            tickets: self.tickets - o.tickets,
            comments: self.comments - o.comments,
            acks: self.acks - o.acks,
            notices: self.notices - o.notices,
        }
    }
}

pub(crate) async fn counts(url: &str) -> Result<Counts> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let c = counts_of(&db).await;
    db.close().await;
    c
}

pub(crate) async fn counts_of(db: &Db) -> Result<Counts> {
    let one = |sql: &'static str| async move {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(db.pool()).await?;
        anyhow::Ok(n)
    };
    Ok(Counts {
        tickets: one("SELECT COUNT(*) FROM tickets").await?,
        comments: one("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND kind <> 'request'")
            .await?,
        acks: one("SELECT COUNT(*) FROM outbox WHERE kind = 'ack'").await?,
        notices: one("SELECT COUNT(*) FROM outbox WHERE kind = 'staff_new'").await?,
    })
}

/// How durable a commit is, as the store set it up.
pub(crate) async fn durability(db: &Db) -> Result<String> {
    match db.backend() {
        posko::store::Backend::Sqlite => {
            let mut c = db.pool().acquire().await?;
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *c)
                .await?;
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *c)
                .await?;
            let sync = match sync {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                3 => "EXTRA",
                _ => "?",
            };
            Ok(format!(
                "durable commits: SQLite journal_mode={mode}, synchronous={sync}, {} messages per transaction",
                posko::inbound::BATCH
            ))
        }
        posko::store::Backend::Postgres => Ok(format!(
            "durable commits: PostgreSQL defaults, {} messages per transaction",
            posko::inbound::BATCH
        )),
    }
}

pub(crate) fn pass_line(s: &PassStats) -> String {
    format!(
        "pass: fetched {}, new tickets {}, comments {}, duplicates {}, quarantined {}, deferred {}",
        s.fetched, s.new_tickets, s.comments, s.duplicates, s.quarantined, s.deferred
    )
}

pub(crate) fn check_pass(s: &PassStats, count: usize) -> Result<()> {
    let done = (s.new_tickets + s.comments + s.duplicates + s.quarantined) as usize;
    if done != count || s.deferred > 0 {
        bail!("the pass did not take in all {count} messages: {s:?}");
    }
    Ok(())
}

/// Writes into `new/` under a name that sorts in generation order (the
/// Maildir takes `new/` in name order), so a reply always follows the
/// message it answers.
pub(crate) fn deliver_numbered(root: &Path, i: usize, raw: &[u8]) -> Result<()> {
    let name = format!("1700000000.B{i:09}.posko-bench");
    let tmp = root.join("mail/tmp").join(&name);
    std::fs::write(&tmp, raw)?;
    std::fs::rename(&tmp, root.join("mail/new").join(&name))?;
    Ok(())
}

/// APPENDs `count` generated messages to a mailbox emptied first; returns
/// the bytes appended.
pub(crate) async fn append_messages(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    mailbox: &str,
    count: usize,
) -> Result<usize> {
    const T: Duration = Duration::from_secs(60);
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .with_context(|| format!("cannot reach {host}:{port}"))?;
    let _ = tcp.set_nodelay(true);
    let mut client = async_imap::Client::new(tcp);
    tokio::time::timeout(T, client.read_response())
        .await??
        .context("no IMAP greeting")?;
    let mut session = tokio::time::timeout(T, client.login(user, password))
        .await?
        .map_err(|(e, _)| e)
        .context("IMAP login")?;
    let _ = session.create(mailbox).await;
    let selected = session.select(mailbox).await?;
    if selected.exists > 0 {
        // A fresh mailbox for every run.
        session
            .uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await?;
        session.expunge().await?.try_collect::<Vec<_>>().await?;
    }
    let mut generator = Generator::new(7);
    for _ in 0..count {
        let raw = generator.next_message();
        tokio::time::timeout(T, session.append(mailbox, None, None, &raw))
            .await?
            .context("IMAP APPEND")?;
    }
    let _ = session.logout().await;
    Ok(generator.bytes)
}
