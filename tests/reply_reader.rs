//! Golden test of the reply reader on our own replies.
//!
//! `tests/fixtures/replies/<client>/<name>.eml` are complete messages as
//! the clients send them (headers, MIME structure, charsets, transfer
//! encodings), written for posko by `tests/fixtures/replies/gen/`. Beside
//! each, `<name>.expected.txt` holds the new text the sender typed, and
//! `<name>.sent.txt`, where present, the text of posko's earlier mail the
//! reply quotes (what the ingest passes as the ticket's outgoing mail).
//!
//! Each message goes through `posko::parse::parse` and
//! `posko::reply_trim::read`, as in the ingest. Comparison ignores layout:
//! both sides are cut into lines, each line trimmed with its inner runs of
//! whitespace made one space, and blank lines dropped (html2text and the
//! clients disagree on blank lines and on indentation, not on words).
//!
//! Three figures: exact (the normalised texts are equal); "kept all, dropped
//! all" (every expected line is in the reply and every reply line is in the
//! expectation: no new text lost, no quote left); and lost (an expected line
//! is missing from the reply: new text went to the elided part). The test
//! fails on any lost case, below 95 % exact, or when no case ran. On a
//! mismatch it writes `<name>.actual.txt` beside the case and prints the
//! first differing line.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use posko::reply_trim::{Reply, read};

const MIN_EXACT_RATE: f64 = 0.95;
const MIN_CASES: usize = 150;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies")
}

/// Every `.eml` under the fixture folders (the generator's folder aside).
fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures())
        .expect("read tests/fixtures/replies")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir() && !p.ends_with("gen"))
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut emls: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("read client folder")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        emls.sort();
        out.extend(emls);
    }
    out
}

/// The lines that count: trimmed, inner whitespace collapsed, blank ones gone.
fn normalise(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn sibling(eml: &Path, suffix: &str) -> PathBuf {
    let stem = eml.file_stem().expect("file stem").to_string_lossy();
    eml.with_file_name(format!("{stem}{suffix}"))
}

/// The first line where `got` and `want` differ.
fn first_difference(got: &[String], want: &[String]) -> String {
    for n in 0..got.len().max(want.len()) {
        if got.get(n) != want.get(n) {
            return format!(
                "line {}: got {:?}, want {:?}",
                n + 1,
                got.get(n),
                want.get(n)
            );
        }
    }
    String::new()
}

#[derive(Default)]
struct Tally {
    total: usize,
    exact: usize,
    clean: usize,
    lost: usize,
}

impl Tally {
    fn add(&mut self, exact: bool, clean: bool, lost: bool) {
        self.total += 1;
        self.exact += usize::from(exact);
        self.clean += usize::from(clean);
        self.lost += usize::from(lost);
    }
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 * 100.0 / d as f64
    }
}

#[test]
fn golden_replies() {
    let cases = cases();
    let mut all = Tally::default();
    let mut by_client: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut lost_cases = Vec::new();
    for eml in &cases {
        let client = eml
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = eml
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let lang = name.split('-').next().unwrap_or("").to_string();
        let raw = fs::read(eml).expect("read eml");
        let msg = posko::parse::parse(&raw, "corp.test")
            .unwrap_or_else(|e| panic!("{}: does not parse: {e}", eml.display()));
        let expected = fs::read_to_string(sibling(eml, ".expected.txt"))
            .unwrap_or_else(|e| panic!("{}: no expectation: {e}", eml.display()));
        let sent = fs::read_to_string(sibling(eml, ".sent.txt")).ok();
        let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
        let got = read(&Reply {
            text: &msg.body_text,
            html: msg.body_html.as_deref(),
            subject: &msg.subject,
            sent: &sent,
        });

        let (got_lines, want_lines) = (normalise(&got.reply), normalise(&expected));
        let got_flat = got_lines.join(" ");
        let want_flat = want_lines.join(" ");
        let exact = got_lines == want_lines;
        let lost = want_lines.iter().any(|l| !got_flat.contains(l.as_str()));
        let clean = !lost && got_lines.iter().all(|l| want_flat.contains(l.as_str()));
        all.add(exact, clean, lost);
        by_client
            .entry(client.clone())
            .or_default()
            .add(exact, clean, lost);
        by_lang.entry(lang).or_default().add(exact, clean, lost);

        let actual_path = sibling(eml, ".actual.txt");
        if exact {
            let _ = fs::remove_file(&actual_path);
            continue;
        }
        fs::write(&actual_path, format!("{}\n", got.reply)).expect("write actual");
        let verdict = if lost {
            lost_cases.push(format!("{client}/{name}"));
            "LOST NEW TEXT"
        } else if clean {
            "layout"
        } else {
            "quote left"
        };
        eprintln!(
            "MISMATCH {client}/{name} ({verdict}): {}",
            first_difference(&got_lines, &want_lines)
        );
    }

    eprintln!("\nper client (exact / kept-all-dropped-all / lost / cases):");
    for (k, t) in &by_client {
        eprintln!(
            "  {k:16} {:3} {:3} {:3} {:3}",
            t.exact, t.clean, t.lost, t.total
        );
    }
    eprintln!("per language:");
    for (k, t) in &by_lang {
        eprintln!(
            "  {k:16} {:3} {:3} {:3} {:3}",
            t.exact, t.clean, t.lost, t.total
        );
    }
    eprintln!(
        "\nreply reader, own set: {} cases from {} clients in {} languages; exact {}/{} ({:.1} %), \
         kept all new text and dropped all quoted text {}/{} ({:.1} %), lost new text in {}",
        all.total,
        by_client.len(),
        by_lang.len(),
        all.exact,
        all.total,
        pct(all.exact, all.total),
        all.clean,
        all.total,
        pct(all.clean, all.total),
        all.lost
    );

    assert!(
        all.total >= MIN_CASES,
        "only {} golden replies found under {} (at least {MIN_CASES} expected)",
        all.total,
        fixtures().display()
    );
    assert!(
        lost_cases.is_empty(),
        "new text lost in {} case(s): {}",
        lost_cases.len(),
        lost_cases.join(", ")
    );
    let rate = all.exact as f64 / all.total as f64;
    assert!(
        rate >= MIN_EXACT_RATE,
        "exact rate {:.1} % is below {:.0} %",
        rate * 100.0,
        MIN_EXACT_RATE * 100.0
    );
}
