//! Every input a fuzz target once failed on, run through the same checks
//! (`fuzz/harness.rs`) in the normal `cargo test`: a crash found by
//! `scripts/fuzz.sh` becomes a file under `tests/fixtures/fuzz/<target>/`
//! and stays fixed. The fuzzers' own seeds (`fuzz/seeds/<target>/`) run too.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

/// Fixtures (`<target>/<file>`) whose fault lies outside this branch's
/// reach and is still open, with why. They must go on failing: when one
/// passes, its fix has landed and its entry goes.
const KNOWN_OPEN: &[(&str, &str)] = &[];

/// Runs `check` on every file in the target's fixture and seed folders and
/// names each that fails.
fn run(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/fixtures/fuzz", "fuzz/seeds"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.map(|e| e.expect("readable directory").path()));
    }
    files.sort();
    assert!(!files.is_empty(), "no inputs for {target}");
    let mut failed = Vec::new();
    let mut fixed = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable fixture");
        let fails = std::panic::catch_unwind(|| check(&bytes)).is_err();
        let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
        match KNOWN_OPEN.iter().find(|(known, _)| *known == name) {
            Some((_, why)) if fails => eprintln!("{name}: still open: {why}"),
            Some(_) => fixed.push(name),
            None if fails => failed.push(path.display().to_string()),
            None => {}
        }
    }
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
    assert!(
        fixed.is_empty(),
        "fixed now, remove from KNOWN_OPEN: {fixed:#?}"
    );
}

#[test]
fn message_pipeline_regressions() {
    run("message", harness::message);
}

#[test]
fn staff_command_regressions() {
    run("commands", harness::commands);
}

#[test]
fn reply_trim_regressions() {
    run("reply_trim", harness::reply_trim);
}

#[test]
fn html_to_text_regressions() {
    run("html", harness::html);
}

/// The main crate's dev profile keeps mail-parser's debug assertions off
/// (Cargo.toml), so a debug build of posko, like the release build, parses
/// this mail instead of panicking in the assertion the fuzzer tripped over.
#[test]
fn debug_builds_parse_what_trips_mail_parsers_assertion() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/message/mail-parser-invalid-part-id.bin");
    let raw = std::fs::read(path).expect("fixture");
    let _ = posko::parse::parse(&raw, "corp.test");
}
