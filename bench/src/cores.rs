//! The pure cores alone: the classifier with N rules, and the reply reader.

use super::*;

/// The classifier with the shipped configuration's catalogue and rules.
pub(crate) fn bench_rules(count: usize, rules: usize) -> Result<()> {
    let cfg = posko::config::parse(
        include_str!("../../config/posko.toml"),
        Path::new("config/posko.toml"),
    )?;
    let (n, secs, rate) = posko::cli::rules::bench(&cfg, count, rules)?;
    println!(
        "rules: classified {count} messages with {n} rules in {secs:.3} s: {rate:.0} messages/s"
    );
    Ok(())
}

pub(crate) fn bench_replies(dir: &Path, rounds: usize) -> Result<()> {
    use posko::reply_trim::{Reply, read};

    let mut emls = Vec::new();
    for client in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let client = client?.path();
        if !client.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&client)? {
            let f = f?.path();
            if f.extension().is_some_and(|e| e == "eml") {
                emls.push(f);
            }
        }
    }
    let mut msgs = Vec::new();
    for path in &emls {
        let raw = std::fs::read(path)?;
        msgs.push(posko::parse::parse(&raw, "corp.test").map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    if msgs.is_empty() {
        bail!("no .eml under {}", dir.display());
    }
    // Times `f` over `rounds` rounds: the mean, and the slowest message
    // (its median over the rounds, so one preemption does not count).
    let time = |n: usize, f: &dyn Fn(usize)| {
        let mut each = vec![Vec::new(); n];
        let started = Instant::now();
        for _ in 0..rounds.max(1) {
            for (i, times) in each.iter_mut().enumerate() {
                let one = Instant::now();
                f(i);
                times.push(one.elapsed());
            }
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / (n * rounds.max(1)) as f64;
        let (slowest, at) = each
            .iter_mut()
            .enumerate()
            .map(|(i, t)| {
                t.sort();
                (t[t.len() / 2], i)
            })
            .max()
            .unwrap_or_default();
        (per, slowest.as_secs_f64() * 1e6, at)
    };
    let reply = |i: usize| {
        let m = &msgs[i];
        std::hint::black_box(read(&Reply {
            text: &m.body_text,
            html: m.body_html.as_deref(),
            subject: &m.subject,
            sent: &[],
        }));
    };
    // One pass first: the regexes compile once, on first use.
    (0..msgs.len()).for_each(reply);
    let (per, slowest, at) = time(msgs.len(), &reply);
    let with_html = msgs.iter().filter(|m| m.body_html.is_some()).count();
    println!(
        "replies: {} golden replies ({with_html} with HTML), {rounds} rounds: {per:.0} µs/message, \
         slowest {slowest:.0} µs ({})",
        msgs.len(),
        emls[at].display()
    );
    let text_only = |i: usize| {
        std::hint::black_box(posko::reply_trim::trim(&msgs[i].body_text));
    };
    let (per, _, _) = time(msgs.len(), &text_only);
    println!("replies: the text rules alone (trim): {per:.0} µs/message");

    // 1 MB: a pasted log above a quoted acknowledgment, as text and as HTML.
    let line = "2026-11-24 09:00:00 INFO job 4411 step finished, 0 errors, 12 warnings\n";
    let log = line.repeat(1024 * 1024 / line.len());
    let quote = "> Terima kasih, laporan Anda sudah kami terima.\n".repeat(20);
    let text = format!(
        "Log terlampir.\n\n{log}\nPada Sen, 23 Nov 2026 pukul 10.15 Posko IT <helpdesk@corp.test> menulis:\n{quote}"
    );
    let html = format!(
        "<div>{}</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">Pada … menulis:</div>\
         <blockquote>{}</blockquote></div>",
        log.replace('\n', "<br>"),
        quote.replace('\n', "<br>")
    );
    let rounds_big = rounds.clamp(1, 5);
    for (label, html) in [("text", None), ("text + HTML", Some(html.as_str()))] {
        let started = Instant::now();
        for _ in 0..rounds_big {
            std::hint::black_box(read(&Reply {
                text: &text,
                html,
                subject: "Re: log",
                sent: &[],
            }));
        }
        let ms = started.elapsed().as_secs_f64() * 1e3 / rounds_big as f64;
        println!(
            "replies: one {:.1} MB reply ({label}): {ms:.1} ms",
            text.len() as f64 / 1e6
        );
    }
    Ok(())
}
