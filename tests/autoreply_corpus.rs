//! Runs `autoreply::classify` over real bounces, auto-replies and ordinary
//! mail from the shared corpus (see `shared/corpus/README.md`, sections 1
//! and 4).
//!
//! The corpus lives outside the repository; `POSKO_CORPUS` points at it and
//! defaults to `../shared/corpus` next to the crate. A missing corpus is a
//! failure, not a skip, so a broken checkout cannot pass silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mail_parser::{Message, MessageParser};
use posko::autoreply::{AutoKind, classify, embedded_message_ids};

fn corpus_root() -> PathBuf {
    let root = std::env::var_os("POSKO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        root.join("README.md").is_file(),
        "mail corpus not found at {} (set POSKO_CORPUS to the shared/corpus directory)",
        root.display()
    );
    root
}

/// Some mailbox files start with an mbox `From ` line; it is not a header.
fn strip_mbox_line(raw: &[u8]) -> &[u8] {
    match raw.iter().position(|&b| b == b'\n') {
        Some(nl) if raw.starts_with(b"From ") => &raw[nl + 1..],
        _ => raw,
    }
}

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(strip_mbox_line(raw))
        .expect("corpus message parses")
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// The kind sisimai's verdict implies: `vacation` is an auto-reply,
/// `feedback` an ARF report, every other reason (including `delivered`, a
/// success DSN) a delivery report. Files without a table row fall back to
/// their generator prefix.
fn expected_kind(expected: &serde_json::Value, rel: &str, file: &str) -> AutoKind {
    let reasons: Vec<&str> = expected["files"][rel]["recipients"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["reason"].as_str()).collect())
        .unwrap_or_default();
    if reasons.is_empty() {
        return if file.starts_with("arf-") {
            AutoKind::Feedback
        } else if file.starts_with("rfc3834-") {
            AutoKind::AutoReply
        } else {
            AutoKind::Bounce
        };
    }
    if reasons.contains(&"vacation") {
        AutoKind::AutoReply
    } else if reasons.contains(&"feedback") {
        AutoKind::Feedback
    } else {
        AutoKind::Bounce
    }
}

/// bsd/ files this module deliberately leaves unflagged, with the reason.
const ACCEPTED_MISSES: &[(&str, &str)] = &[(
    "lhost-sendmail-14.eml",
    "a person forwarding a bounce (\"Fwd: Returned mail\", Apple Mail, quoted \
     with '>'): to a helpdesk that is a person asking about a bounce",
)];

#[test]
fn sisimai_and_zammad_corpus() {
    let root = corpus_root();
    let sisimai = root.join("sisimai-bounces");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sisimai.join("expected.json")).expect("read expected.json"),
    )
    .expect("expected.json is JSON");

    // Every bsd/ file is machine mail.
    let bsd = files(&sisimai.join("set-of-emails/maildir/bsd"), "eml");
    let mut misses = Vec::new();
    let mut kind_misses = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let (mut bounces, mut bounces_with_ids) = (0, 0);
    for path in &bsd {
        let file = name(path);
        let raw = std::fs::read(path).unwrap();
        let msg = parse(&raw);
        let Some(v) = classify(&msg) else {
            misses.push(file);
            continue;
        };
        if v.kind == AutoKind::Bounce {
            bounces += 1;
            if !embedded_message_ids(&msg).is_empty() {
                bounces_with_ids += 1;
            }
        }
        let rule = v.reason.split([':', ' ']).next().unwrap_or("").to_string();
        *reasons.entry(rule).or_default() += 1;
        let want = expected_kind(
            &expected,
            &format!("set-of-emails/maildir/bsd/{file}"),
            &file,
        );
        if v.kind != want {
            kind_misses.push(format!(
                "{file}: got {} ({}), want {}",
                v.kind.as_str(),
                v.reason,
                want.as_str()
            ));
        }
    }

    // The two not/ files are people.
    let not = files(&sisimai.join("set-of-emails/maildir/not"), "eml");
    let mut false_positives = Vec::new();
    for path in &not {
        let raw = std::fs::read(path).unwrap();
        if let Some(v) = classify(&parse(&raw)) {
            false_positives.push(format!(
                "{}: {} ({})",
                name(path),
                v.kind.as_str(),
                v.reason
            ));
        }
    }

    // Zammad's parser suite: the known bounces must be flagged; print every
    // flagged mail so the others can be reviewed by hand.
    let zammad = files(&root.join("zammad-mail/test/data/mail"), "box");
    let known_bounces = [
        "mail033-undelivered-mail-returned-to-sender.box",
        "mail052.box",
        "mail053.box",
        "mail055.box",
        "mail063.box",
        "mail078.box",
        "mail087.box",
        "mail092.box",
    ];
    let mut zammad_flagged = Vec::new();
    let mut zammad_missed = Vec::new();
    for path in &zammad {
        let file = name(path);
        let raw = std::fs::read(path).unwrap();
        let msg = parse(&raw);
        let verdict = classify(&msg);
        if let Some(v) = &verdict {
            zammad_flagged.push(format!("{file}: {} ({})", v.kind.as_str(), v.reason));
        }
        if known_bounces.contains(&file.as_str())
            && verdict.as_ref().is_none_or(|v| v.kind != AutoKind::Bounce)
        {
            zammad_missed.push(file);
        }
    }

    println!("bsd rules that fired: {reasons:?}");
    for m in &misses {
        let why = ACCEPTED_MISSES
            .iter()
            .find(|(f, _)| f == m)
            .map_or("", |(_, w)| w);
        println!("bsd miss: {m} {why}");
    }
    for k in &kind_misses {
        println!("kind disagreement: {k}");
    }
    println!("zammad flagged {}/{}:", zammad_flagged.len(), zammad.len());
    for z in &zammad_flagged {
        println!("  {z}");
    }
    println!("bsd bounces with an embedded Message-ID: {bounces_with_ids}/{bounces}");
    println!(
        "autoreply corpus: bsd flagged {}/{}, not-bounce clean {}/{}, kind agreement {}/{}, zammad known bounces {}/{}, zammad flagged {}/{}",
        bsd.len() - misses.len(),
        bsd.len(),
        not.len() - false_positives.len(),
        not.len(),
        bsd.len() - misses.len() - kind_misses.len(),
        bsd.len(),
        known_bounces.len() - zammad_missed.len(),
        known_bounces.len(),
        zammad_flagged.len(),
        zammad.len(),
    );

    assert!(
        !bsd.is_empty() && !not.is_empty() && !zammad.is_empty(),
        "no corpus cases ran"
    );
    let unexplained: Vec<&String> = misses
        .iter()
        .filter(|m| !ACCEPTED_MISSES.iter().any(|(f, _)| f == m))
        .collect();
    assert!(
        unexplained.is_empty(),
        "bsd mails not flagged: {unexplained:?}"
    );
    assert!(
        false_positives.is_empty(),
        "ordinary mails flagged: {false_positives:?}"
    );
    assert!(
        zammad_missed.is_empty(),
        "zammad bounces not flagged as bounces: {zammad_missed:?}"
    );
    // The kind is best effort (a DSN's wording varies more than its
    // existence), but it must stay high.
    assert!(
        kind_misses.len() * 20 <= bsd.len(),
        "kind agreement fell below 95%: {kind_misses:#?}"
    );
}

/// Reads one corpus message.
fn corpus_message(rel: &str) -> Vec<u8> {
    std::fs::read(corpus_root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

#[test]
fn embedded_ids_of_real_bounces() {
    let bsd = "sisimai-bounces/set-of-emails/maildir/bsd";
    let cases: [(String, &[&str]); 6] = [
        // Postfix DSN, original as message/rfc822.
        (
            format!("{bsd}/lhost-postfix-03.eml"),
            &["20140701000000.000000000000@e1.example.ne.jp"],
        ),
        // sendmail DSN.
        (
            format!("{bsd}/lhost-sendmail-01.eml"),
            &["E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org"],
        ),
        // Exchange 2007: the rfc822 part wins over ids quoted in the text.
        (
            format!("{bsd}/lhost-exchange2007-02.eml"),
            &["20110429233445.FFFFFFFFEEE@neko.example.com"],
        ),
        // Exim, plain text: the first quoted Message-Id, not the one in the
        // SMTP transcript further down.
        (
            format!("{bsd}/lhost-exim-01.eml"),
            &["E1P1ce6-000Egt-GZ@e1.example.org"],
        ),
        // qmail, plain text.
        (
            format!("{bsd}/lhost-qmail-01.eml"),
            &["000000000.9999999999999.JavaMail.postmaster@mailhub"],
        ),
        // Zammad's Postfix bounce of a helpdesk reply.
        (
            "zammad-mail/test/data/mail/mail033-undelivered-mail-returned-to-sender.box".into(),
            &["20150830145601.30.608881@edenhofer.zammad.com"],
        ),
    ];
    let mut checked = 0;
    for (rel, want) in &cases {
        let raw = corpus_message(rel);
        let ids = embedded_message_ids(&parse(&raw));
        assert_eq!(ids, *want, "{rel}");
        checked += 1;
    }
    assert!(checked > 0);

    // Ordinary mail carries none, even with a forwarded message attached.
    for rel in [
        "sisimai-bounces/set-of-emails/maildir/not/is-not-bounce-01.eml",
        "sisimai-bounces/set-of-emails/maildir/not/is-not-bounce-02.eml",
    ] {
        let raw = corpus_message(rel);
        assert_eq!(
            embedded_message_ids(&parse(&raw)),
            Vec::<String>::new(),
            "{rel}"
        );
    }
}
