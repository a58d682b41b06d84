//! Golden-file check of `posko::reply_trim` against the Discourse
//! reply-trimmer corpus.
//!
//! The corpus lives outside the repository: `POSKO_CORPUS` names its root (the
//! directory holding `discourse-reply-trimmer/`), by default
//! `../shared/corpus` next to the crate. It is required: a missing corpus
//! fails the test rather than passing with nothing checked.
//!
//! Comparison, as the corpus README says: input, expected and actual are all
//! stripped of leading and trailing whitespace. The upstream trimmer is a
//! heuristic with its own quirks, so the test prints every case and holds the
//! pass rate above a floor instead of demanding every case.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use posko::reply_trim::trim;

/// Just under what the trimmer achieves today (64/64 for both): one more
/// failing case is tolerated, two are a regression.
const MIN_TRIMMED_PASS_RATE: f64 = 0.98;
const MIN_ELIDED_PASS_RATE: f64 = 0.98;

/// Upstream allows 5 s for its performance guard; a linear-time trimmer needs
/// a tiny fraction of that even in a debug build.
const MAX_GUARD_TIME: Duration = Duration::from_secs(1);

fn corpus_dir() -> PathBuf {
    let root = std::env::var_os("POSKO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let dir = root.join("discourse-reply-trimmer/test");
    assert!(
        dir.join("emails").is_dir(),
        "reply_trim corpus not found at {}: set POSKO_CORPUS to the corpus root \
         (the directory that holds discourse-reply-trimmer/)",
        dir.display()
    );
    dir
}

/// A corpus file as text; a missing expectation file reads as empty.
fn read(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The first line where `got` and `want` differ, for the failure list.
fn first_difference(got: &str, want: &str) -> String {
    let (mut g, mut w) = (got.lines(), want.lines());
    for n in 1.. {
        match (g.next(), w.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => return format!("line {n}: got {a:?}, want {b:?}"),
        }
    }
    String::new()
}

#[test]
fn discourse_corpus() {
    let dir = corpus_dir();
    let mut inputs: Vec<PathBuf> = fs::read_dir(dir.join("emails"))
        .expect("read corpus emails/")
        .map(|e| e.expect("read corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    inputs.sort();

    let (mut trimmed_ok, mut elided_ok) = (0, 0);
    for input in &inputs {
        let name = input.file_name().expect("file name");
        let text = read(input);
        let got = trim(text.trim());
        let want_trimmed = read(&dir.join("trimmed").join(name));
        let want_elided = read(&dir.join("elided").join(name));

        let t = got.reply.trim() == want_trimmed.trim();
        let e = got.elided.trim() == want_elided.trim();
        trimmed_ok += usize::from(t);
        elided_ok += usize::from(e);
        let verdict = |ok| if ok { "PASS" } else { "FAIL" };
        eprintln!(
            "{} trimmed / {} elided  {}",
            verdict(t),
            verdict(e),
            name.to_string_lossy()
        );
        if !t {
            eprintln!(
                "      trimmed {}",
                first_difference(got.reply.trim(), want_trimmed.trim())
            );
        }
        if !e {
            eprintln!(
                "      elided  {}",
                first_difference(got.elided.trim(), want_elided.trim())
            );
        }
    }

    let total = inputs.len();
    assert!(
        total > 0,
        "no corpus cases found in {}",
        dir.join("emails").display()
    );
    let rate = trimmed_ok as f64 / total as f64;
    eprintln!(
        "reply_trim corpus: trimmed {trimmed_ok}/{total} ({:.1}%), elided {elided_ok}/{total}",
        rate * 100.0
    );
    assert!(
        rate >= MIN_TRIMMED_PASS_RATE,
        "trimmed pass rate {:.1}% fell below {:.1}%",
        rate * 100.0,
        MIN_TRIMMED_PASS_RATE * 100.0
    );
    let elided_rate = elided_ok as f64 / total as f64;
    assert!(
        elided_rate >= MIN_ELIDED_PASS_RATE,
        "elided pass rate {:.1}% fell below {:.1}%",
        elided_rate * 100.0,
        MIN_ELIDED_PASS_RATE * 100.0
    );
}

#[test]
fn performance_guard_is_fast() {
    let text = read(&corpus_dir().join("matchers/does_not_contain_embedded_email.txt"));
    assert!(!text.is_empty(), "performance guard input is missing");
    let started = Instant::now();
    let got = trim(&text);
    let took = started.elapsed();
    assert!(took < MAX_GUARD_TIME, "trimming the guard took {took:?}");
    // It holds no embedded mail, so the sender's text survives.
    assert!(got.reply.contains("ßßßßßßßß fffffff"), "{got:?}");
}
