//! `posko-bench hostile`: time and peak memory of one hostile message, for
//! one or more posko binaries side by side.
//!
//! Each case is one message in a fresh Maildir, taken in by `BIN run
//! --once` (intake with the shipped rules, the acknowledgment and notices
//! composed and written as files), as an admin would run it: plain text of 80-character lines, an HTML-only body,
//! a body of one single line, each at the sizes asked for, and 100,000
//! nested `<div>`s. The binaries run one after the other on each case, so a
//! drift of the machine's speed touches them alike. The figures are the
//! child's wall time and its peak resident set (`ru_maxrss` from `wait4`);
//! a binary that runs past `--timeout` is killed, one that needs more than
//! `--mem-limit-mb` of address space stops there (`prlimit --as`), and the
//! table says so.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What the message's body is made of.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// text/plain, 80-character lines.
    Text,
    /// text/html only, ordinary markup.
    Html,
    /// text/plain, one line.
    Line,
    /// text/html, 100,000 nested `<div>`s.
    Nested,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Text => "text, 80-char lines",
            Shape::Html => "HTML only",
            Shape::Line => "single line",
            Shape::Nested => "100,000 nested divs",
        }
    }
}

/// One run of one binary on one case.
struct Run {
    secs: f64,
    peak_mb: f64,
    verdict: String,
    largest_mail_kb: f64,
}

pub fn bench(
    binaries: &[PathBuf],
    labels: &[String],
    sizes_mb: &[usize],
    timeout: Duration,
    mem_limit_mb: u64,
) -> Result<()> {
    if binaries.is_empty() {
        bail!("name at least one posko binary with --posko");
    }
    // Each run starts in its own directory.
    let binaries = binaries
        .iter()
        .map(|b| std::fs::canonicalize(b).with_context(|| format!("no binary {}", b.display())))
        .collect::<Result<Vec<_>>>()?;
    let labels: Vec<String> = binaries
        .iter()
        .enumerate()
        .map(|(i, b)| {
            labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| b.display().to_string())
        })
        .collect();
    let mut cases: Vec<(Shape, usize)> = Vec::new();
    for shape in [Shape::Text, Shape::Html, Shape::Line] {
        for &mb in sizes_mb {
            cases.push((shape, mb));
        }
    }
    cases.push((Shape::Nested, 0));
    println!(
        "hostile: one message per case through `run --once` (Maildir → SQLite, notices written as files); \
         timeout {} s, address-space limit {mem_limit_mb} MB",
        timeout.as_secs()
    );
    let mut table = String::new();
    let _ = write!(table, "| case | size |");
    for l in &labels {
        let _ = write!(table, " {l}: time | {l}: peak RSS | {l}: result |");
    }
    table.push('\n');
    let _ = write!(table, "|---|---|");
    for _ in &labels {
        table.push_str("---|---|---|");
    }
    table.push('\n');
    for (shape, mb) in cases {
        let dir = tempdir()?;
        let raw = message(shape, mb << 20);
        let size = raw.len();
        std::fs::write(dir.join("message.eml"), &raw)?;
        drop(raw);
        let _ = write!(
            table,
            "| {} | {:.1} MB |",
            shape.name(),
            size as f64 / (1 << 20) as f64
        );
        for (bin, label) in binaries.iter().zip(&labels) {
            let run = run_once(bin, &dir, timeout, mem_limit_mb)
                .with_context(|| format!("{label} on {}", shape.name()))?;
            eprintln!(
                "{label:>6} {:<22} {:>6.1} MB: {:>7.2} s, peak RSS {:>7.1} MB, {} (largest mail sent {:.0} KB)",
                shape.name(),
                size as f64 / (1 << 20) as f64,
                run.secs,
                run.peak_mb,
                run.verdict,
                run.largest_mail_kb
            );
            let _ = write!(
                table,
                " {:.2} s | {:.0} MB | {} |",
                run.secs, run.peak_mb, run.verdict
            );
        }
        table.push('\n');
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("{table}");
    Ok(())
}

/// A fresh installation in `dir` (config, Maildir with the message, file
/// outbox), one `run --once`, measured.
fn run_once(bin: &Path, dir: &Path, timeout: Duration, mem_limit_mb: u64) -> Result<Run> {
    let run_dir = dir.join(format!("run-{}", bin_id(bin)));
    let _ = std::fs::remove_dir_all(&run_dir);
    for sub in ["mail/new", "mail/cur", "mail/tmp", "outbox"] {
        std::fs::create_dir_all(run_dir.join(sub))?;
    }
    std::fs::copy(dir.join("message.eml"), run_dir.join("mail/new/1.hostile"))?;
    let config = run_dir.join("posko.toml");
    std::fs::write(&config, config_text(&run_dir))?;
    let out = std::fs::File::create(run_dir.join("stdout"))?;
    let err = std::fs::File::create(run_dir.join("stderr"))?;
    let started = Instant::now();
    let child = Command::new("prlimit")
        .arg(format!("--as={}", mem_limit_mb << 20))
        .arg("--")
        .arg(bin)
        .arg("--config")
        .arg(&config)
        .args(["run", "--once"])
        .current_dir(&run_dir)
        .env("RUST_LOG", "posko=warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .context("cannot start prlimit (util-linux)")?;
    let (status, peak_kb, timed_out) = wait_measured(child.id() as libc::pid_t, timeout)?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(run_dir.join("stdout")).unwrap_or_default();
    let stderr = std::fs::read_to_string(run_dir.join("stderr")).unwrap_or_default();
    let verdict = if timed_out {
        format!("killed after {} s", timeout.as_secs())
    } else if status != 0 {
        let why = if stderr.contains("memory allocation") {
            format!("out of memory at the {mem_limit_mb} MB limit")
        } else if stderr.contains("panicked") {
            "panicked".to_string()
        } else {
            format!("exit {status}")
        };
        format!("failed: {why}")
    } else if stdout.contains("1 new tickets") {
        "ticket".to_string()
    } else if stdout.contains("1 quarantined") {
        "quarantined".to_string()
    } else {
        format!("? {}", stdout.trim())
    };
    let largest = std::fs::read_dir(run_dir.join("outbox"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok().map(|m| m.len()))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&run_dir);
    Ok(Run {
        secs,
        peak_mb: peak_kb as f64 / 1024.0,
        verdict,
        largest_mail_kb: largest as f64 / 1024.0,
    })
}

fn bin_id(bin: &Path) -> String {
    bin.display()
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Waits for `pid`, killing it past `timeout`; its exit status (or 128 +
/// signal), its peak resident set in KiB, and whether it was killed.
fn wait_measured(pid: libc::pid_t, timeout: Duration) -> Result<(i32, i64, bool)> {
    let deadline = Instant::now() + timeout;
    let mut killed = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `rusage` is a plain C struct that wait4 fills in; an
        // all-zero value is a valid one to pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child, with pointers to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
            return Ok((code, usage.ru_maxrss, killed));
        }
        if r < 0 {
            bail!("wait4: {}", std::io::Error::last_os_error());
        }
        if !killed && Instant::now() > deadline {
            // SAFETY: a signal to our own child, which has not been reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "posko-hostile-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The classification part of the shipped configuration (groups,
/// catalogue, priority matrix, rules).
fn shipped_catalogue() -> &'static str {
    let text = include_str!("../../config/posko.toml");
    let start = text.find("# --- catalogue: begin ---").unwrap_or(0);
    let end = text.find("# --- catalogue: end ---").unwrap_or(text.len());
    &text[start..end]
}

/// The configuration: shipped defaults and rules, a service desk of two
/// (each gets the new-ticket notice), the acknowledgment to the sender.
fn config_text(dir: &Path) -> String {
    let d = dir.display();
    let catalogue = shipped_catalogue();
    format!(
        r#"[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
tag = "Helpdesk"
language = "id"
timezone = "Asia/Jakarta"

[database]
url = "sqlite://{d}/posko.db"

[inbound]
kind = "maildir"
path = "{d}/mail"

[outbound]
kind = "file"
path = "{d}/outbox"

[[staff]]
name = "Siti Rahma"
email = "siti@corp.test"
handle = "siti"
level = 1

[[staff]]
name = "Agus Setiawan"
email = "agus@corp.test"
handle = "agus"
level = 1

{catalogue}
"#
    )
}

/// One message of about `size` bytes in `shape`.
fn message(shape: Shape, size: usize) -> Vec<u8> {
    let content_type = match shape {
        Shape::Text | Shape::Line => "text/plain; charset=utf-8",
        Shape::Html | Shape::Nested => "text/html; charset=utf-8",
    };
    let mut m = Vec::with_capacity(size + 1024);
    let _ = write!(
        m,
        "From: \"Rina Marlina\" <rina@corp.test>\r\n\
         To: IT Helpdesk <helpdesk@corp.test>\r\n\
         Subject: Log aplikasi ({})\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\
         Message-ID: <hostile.{}@mail.corp.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: {content_type}\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n",
        shape.name(),
        rand::random::<u64>()
    );
    match shape {
        Shape::Text => {
            let line = "Baris log aplikasi: koneksi ke server basis data terputus, mencoba lagi...";
            let line = format!("{line:<78}\r\n");
            while m.len() < size {
                m.extend_from_slice(line.as_bytes());
            }
        }
        Shape::Line => {
            let words = b"kata demi kata tanpa baris baru ";
            while m.len() < size {
                m.extend_from_slice(words);
            }
            m.extend_from_slice(b"\r\n");
        }
        Shape::Html => {
            m.extend_from_slice(b"<html><head><style>p { margin: 0 }</style></head><body>\r\n");
            let para = "<p>Baris <b>log</b> aplikasi: koneksi ke <a href=\"https://db.corp.test/\">server</a> terputus.</p>\r\n";
            while m.len() < size {
                m.extend_from_slice(para.as_bytes());
            }
            m.extend_from_slice(b"</body></html>\r\n");
        }
        Shape::Nested => {
            let n = 100_000;
            m.extend_from_slice(&b"<div>".repeat(n));
            m.extend_from_slice("Tolong, layar saya kosong.".as_bytes());
            m.extend_from_slice(&b"</div>".repeat(n));
            m.extend_from_slice(b"\r\n");
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_messages_parse_and_have_their_size() {
        for shape in [Shape::Text, Shape::Html, Shape::Line, Shape::Nested] {
            let raw = message(shape, 64 * 1024);
            let m = posko::parse::parse(&raw, "corp.test").unwrap();
            assert!(!m.body_text.is_empty(), "{shape:?}");
            if !matches!(shape, Shape::Nested) {
                assert!(raw.len() >= 64 * 1024 && raw.len() < 66 * 1024);
            }
        }
    }
}
