//! One SLA scan over a database of N tickets, a few of them due.

use super::*;

/// Bulk-loads `tickets` tickets with a response clock (met) and a running
/// resolution clock each, `due` of them with a warning due now, and times
/// one scan. Loading uses multi-row INSERTs of literal values in large
/// transactions (generation, not timed).
pub(crate) async fn bench_sla_scan(tickets: usize, due: usize, keep: bool) -> Result<()> {
    use posko::mail::templates::Templates;
    use posko::sla::scan::Escalator;
    let dir = workdir(keep)?;
    let url = database_url(dir.path(), "sqlite");
    let cfg = std::sync::Arc::new(config(dir.path(), &url, &Inbound::Maildir, "50MB")?);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let now = 1_795_400_000; // 2026-11-23, a Monday
    let load = Instant::now();
    const ROWS: usize = 2000;
    const PER_TX: usize = 100_000;
    let mut id = 1usize;
    while id <= tickets {
        let mut tx = db.begin().await?;
        let tx_end = (id + PER_TX).min(tickets + 1);
        while id < tx_end {
            let end = (id + ROWS).min(tx_end);
            let mut t = String::from(
                "INSERT INTO tickets (id, subject, status, requester, created_at, updated_at, \
                 priority, category, group_key) VALUES ",
            );
            let mut k = String::from(
                "INSERT INTO sla_clocks (ticket_id, kind, target_seconds, started_at, due_at, \
                 paused_seconds, state, stopped_at, next_check_at, business_hours) VALUES ",
            );
            for i in id..end {
                let sep = if i == id { "" } else { "," };
                // Open tickets from the last few weeks; the last `due` have
                // a warning due (24x7 clocks at 7 of 8 hours).
                let is_due = i > tickets - due;
                let created = if is_due {
                    now - 7 * 3600
                } else {
                    now - (i as i64 % 1_000_000)
                };
                let _ = write!(
                    t,
                    "{sep}({i},'Bench ticket {i}','in_progress','user{}@corp.test',{created},{created},2,'other','servicedesk')",
                    i % 5000
                );
                let next = if is_due {
                    created + 6 * 3600
                } else {
                    now + 3600 + (i as i64 % 86_400)
                };
                let _ = write!(
                    k,
                    "{sep}({i},'response',3600,{created},{},0,'met',{},NULL,{bh}),\
                     ({i},'resolution',28800,{created},{},0,'running',NULL,{next},{bh})",
                    created + 3600,
                    created + 600,
                    created + 8 * 3600,
                    bh = if is_due { 0 } else { 1 },
                );
            }
            sqlx::Executor::execute(&mut *tx, sqlx::AssertSqlSafe(t)).await?;
            sqlx::Executor::execute(&mut *tx, sqlx::AssertSqlSafe(k)).await?;
            id = end;
        }
        tx.commit().await?;
    }
    {
        let mut c = db.pool().acquire().await?;
        sqlx::Executor::execute(&mut *c, "ANALYZE").await?;
    }
    println!(
        "sla-scan: loaded {tickets} tickets, {} clocks in {:.1} s",
        tickets * 2,
        load.elapsed().as_secs_f64()
    );
    let templates = std::sync::Arc::new(Templates::load(None)?);
    let scanner = Escalator::new(cfg, db.clone(), templates);
    let start = Instant::now();
    let stats = scanner.tick(now).await?;
    let first = start.elapsed();
    anyhow::ensure!(
        stats.warnings as usize == due,
        "expected {due} warnings, got {stats:?}"
    );
    let start = Instant::now();
    let again = scanner.tick(now).await?;
    let second = start.elapsed();
    anyhow::ensure!(again.clocks == 0, "second scan found {again:?}");
    println!(
        "sla-scan: one scan over {tickets} tickets with {due} due: {:.2} ms ({} clocks, {} warnings queued); \
         a scan with nothing due: {:.2} ms",
        first.as_secs_f64() * 1000.0,
        stats.clocks,
        stats.warnings,
        second.as_secs_f64() * 1000.0,
    );
    db.close().await;
    Ok(())
}
