//! What each fuzz target runs and checks, one function per target.
//!
//! Shared by the targets in `fuzz_targets/` and by the regression tests
//! (`tests/fuzz_regressions.rs` includes this file), so an input that once
//! broke a target is run through exactly the same checks by `cargo test`.
//! A broken invariant panics, which is what the fuzzer reports as a crash.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use posko::domain::Status;
use posko::ingest::{DryOutcome, Ingestor, TicketView};
use posko::mail::templates::Templates;
use posko::threading::Found;

/// The instant every message arrives at: 23 Nov 2026 07:55 in Jakarta.
pub const NOW: i64 = 1_795_395_300;

/// The headers posko writes in the mail it composes, each at most once.
const OUR_HEADERS: &[&str] = &[
    "from",
    "reply-to",
    "to",
    "subject",
    "message-id",
    "date",
    "user-agent",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "x-posko-ticket",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// The checked-out repository (this file is in `fuzz/`; the tests include
/// it from the repository's root package, the targets from `fuzz/`).
fn repo() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.ends_with("fuzz") {
        dir.parent().expect("fuzz/ has a parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

struct Desk {
    ingestor: Ingestor,
    view: TicketView,
}

/// The shipped configuration (rules, catalogue, staff) and the built-in
/// templates, loaded once per process.
fn desk() -> &'static Desk {
    static DESK: OnceLock<Desk> = OnceLock::new();
    DESK.get_or_init(|| {
        let repo = repo();
        let path = repo.join("config/posko.toml");
        // Paths in the file are relative to the repository (the daemon's
        // working directory); the fuzzer runs elsewhere.
        let text = std::fs::read_to_string(&path)
            .expect("config/posko.toml")
            .replace("\"config/", &format!("\"{}/config/", repo.display()));
        let cfg = posko::config::parse(&text, &path).expect("config/posko.toml is valid");
        let templates = Templates::load(None).expect("built-in templates");
        let ingestor =
            Ingestor::offline(Arc::new(cfg), Arc::new(templates), "the fuzzers' token key")
                .expect("a valid token key");
        let view = view();
        Desk { ingestor, view }
    })
}

/// Tickets in every state the threading decision tells apart, and
/// Message-IDs pointing at them.
fn view() -> TicketView {
    let day = 86_400;
    let t = |id, status, closed_at, merged_into| Found {
        id,
        status,
        closed_at,
        merged_into,
    };
    let mut v = TicketView {
        next_id: 100,
        ..TicketView::default()
    };
    for f in [
        t(1, Status::InProgress, None, None),
        t(2, Status::Resolved, None, None),
        t(3, Status::Closed, Some(NOW - day), None),
        t(4, Status::Closed, Some(NOW - 30 * day), None),
        t(5, Status::Pending, None, Some(1)),
        // A merge cycle: must end.
        t(6, Status::New, None, Some(7)),
        t(7, Status::New, None, Some(6)),
    ] {
        v.tickets.insert(f.id, f);
    }
    for (mid, id) in [
        ("posko.1.ack.0000000000000001@corp.test", 1),
        ("posko.2.notice.0000000000000002@corp.test", 2),
        ("request-3@mail.test", 3),
        ("request-4@mail.test", 4),
        ("request-6@mail.test", 6),
    ] {
        v.message_ids.insert(mid.to_string(), id);
    }
    v
}

/// Raw bytes → parse → auto-reply detection → threading → classification
/// → templates → composed mail, and what must hold of the result.
pub fn message(data: &[u8]) {
    let d = desk();
    let run = past_mail_parser_assertion(|| d.ingestor.dry_run(data, &d.view, NOW));
    let Some(run) = run else {
        return;
    };
    let run = match run {
        Ok(r) => r,
        // An error sends the message to quarantine, kept; not a crash.
        Err(_) => return,
    };
    let Some(msg) = &run.message else {
        assert!(matches!(run.outcome, DryOutcome::Quarantined(_)));
        assert!(run.outgoing.is_empty());
        return;
    };
    if msg.auto.is_some() {
        assert!(
            run.outgoing.is_empty(),
            "a machine's mail ({:?}) was answered",
            msg.auto
        );
    }
    // Mail that could not be built is recorded as failed (`run.failed`),
    // which is allowed; what was queued must be sound.
    for mail in &run.outgoing {
        check_composed(data, mail);
    }
}

/// The one `debug_assert!` of mail-parser 0.11.9 that fires on hostile
/// input ("Invalid part ID, could not find multipart."): the release build
/// recovers from that state, and the main crate's dev profile turns the
/// crate's debug assertions off for that reason, but cargo fuzz builds every
/// crate with them. `f` runs with that panic (and only that one) turned
/// into `None`; any other panic goes on to the fuzzer as before.
fn past_mail_parser_assertion<R>(f: impl FnOnce() -> R) -> Option<R> {
    use std::cell::Cell;
    use std::panic::{self, PanicHookInfo};
    thread_local! {
        static WATCHING: Cell<bool> = const { Cell::new(false) };
        static SEEN: Cell<bool> = const { Cell::new(false) };
    }
    fn is_it(info: &PanicHookInfo<'_>) -> bool {
        info.location()
            .is_some_and(|l| l.file().contains("mail-parser"))
            && info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| m.starts_with("Invalid part ID"))
    }
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        // Wraps whatever hook is there (libFuzzer's, which aborts), once.
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if WATCHING.get() && is_it(info) {
                SEEN.set(true);
            } else {
                previous(info);
            }
        }));
    });
    WATCHING.set(true);
    SEEN.set(false);
    let result = panic::catch_unwind(panic::AssertUnwindSafe(f));
    WATCHING.set(false);
    match result {
        Ok(r) => Some(r),
        Err(_) if SEEN.get() => None,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// What must hold of every mail posko composes.
fn check_composed(input: &[u8], mail: &[u8]) {
    // Bounded: a notice copies the body (text and HTML, encoded) but must
    // not grow faster than the input does.
    let bound = 64 * input.len() + 256 * 1024;
    assert!(
        mail.len() <= bound,
        "composed {} bytes from {} bytes of input",
        mail.len(),
        input.len()
    );
    let head_end = mail
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("composed mail has a header block");
    let head = std::str::from_utf8(&mail[..head_end]).expect("composed headers are UTF-8");
    // Every line break in the header block is CRLF, and every line is a
    // continuation or one of our headers, each once: a CR or LF from the
    // input that survived would start a header of the sender's choosing.
    let mut seen = Vec::new();
    for line in head.split("\r\n") {
        assert!(
            !line.contains(['\r', '\n']),
            "bare CR or LF in a header line {line:?}"
        );
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let (name, _) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("header line without a colon: {line:?}"));
        let name = name.to_ascii_lowercase();
        assert!(
            OUR_HEADERS.contains(&name.as_str()),
            "a header we do not write: {line:?}"
        );
        assert!(!seen.contains(&name), "header {name} written twice");
        seen.push(name);
    }
    // It reads back, looks automatic (so robots do not answer it), and no
    // decoded header value carries a control character.
    let back = posko::parse::parse(mail, "corp.test").expect("composed mail re-parses");
    assert!(back.auto.is_some(), "composed mail does not look automatic");
    let mut values = vec![back.subject.clone()];
    for m in back.from.iter().chain(&back.reply_to).chain(&back.to) {
        values.extend(m.name.clone());
    }
    for v in values {
        assert!(
            !v.chars().any(|c| c.is_control() && c != '\t'),
            "control character in a header value {v:?}"
        );
    }
}

/// The staff-command parser, the first line as the subject and the rest as
/// the body: no panic, the body's rest is a suffix of it, and every command
/// read renders to text that reads back as the same command.
pub fn commands(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    for (subject, body) in [(subject, body), ("", &*text)] {
        let parsed = posko::commands::parse(subject, body);
        assert!(body.ends_with(&parsed.body_without_commands));
        assert!(parsed.subject_without_commands.len() <= subject.len());
        for c in &parsed.commands {
            let again = posko::commands::parse(&c.command.to_string(), "");
            assert!(again.errors.is_empty(), "{c:?}: {:?}", again.errors);
            assert_eq!(again.commands.len(), 1);
            assert_eq!(again.commands[0].command, c.command);
        }
        for e in &parsed.errors {
            let _ = e.to_string();
        }
        let _ = parsed.status_change();
    }
}

/// Reply trimming: no panic, both halves trimmed, every line of the reply
/// taken from the input, and the output no larger than the input allows.
pub fn reply_trim(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let t = posko::reply_trim::trim(&text);
    assert_eq!(t.reply.trim(), t.reply);
    assert_eq!(t.elided.trim(), t.elided);
    for line in t.reply.lines().filter(|l| !l.trim().is_empty()) {
        assert!(text.contains(line), "reply line {line:?} not in the input");
    }
    assert!(t.reply.len() + t.elided.len() <= 2 * text.len() + 16);
}

/// HTML → text: no panic and an output bounded by the input.
pub fn html(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    let text = posko::parse::html_to_text(&html);
    assert!(
        text.len() <= 64 * html.len() + 4096,
        "{} bytes of text from {} bytes of HTML",
        text.len(),
        html.len()
    );
}
