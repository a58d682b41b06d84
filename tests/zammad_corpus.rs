//! Parser conformance against Zammad's email-parser suite (see
//! `shared/corpus/README.md`, section 1).
//!
//! Every `zammad-mail/test/data/mail/*.box` goes through
//! `posko::parse::parse`: none may panic, and an `Err` is accepted only for
//! files that are not mail at all. For the 85 with a `.yml` (what Zammad's
//! parser produced) we compare the sender's address and display name, the
//! subject and the attachments (same content, same file name). These are one
//! peer's outputs, not ground truth, so the test reports every disagreement
//! and asserts pass rates just under what posko achieves today: a drop is a
//! regression, a known Zammad-ism is not a failure.
//!
//! The corpus lives outside the repository; `POSKO_CORPUS` points at it and
//! defaults to `../shared/corpus` next to the crate. A missing corpus is a
//! failure, not a skip.

use std::path::{Path, PathBuf};

use serde_yaml::Value;
use sha2::{Digest, Sha256};

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

/// Files where a parse error is expected. None of the corpus is "not mail";
/// these are mail whose only sender address is unusable, which posko
/// refuses by design (`ParseError::NoSender`: ingest quarantines it for a
/// person rather than open a ticket nobody can be answered on).
const EXPECTED_ERRORS: &[(&str, &str)] = &[
    // `From: "your secret past" <power quadrant system@example.com>`
    ("mail071.box", "no sender"),
    // `From: "Millions Lottery Spain transfer"@example.com>`
    ("mail076.box", "no sender"),
    // `From: Martin von Wittich <redacted@redacted>`: a dotless domain
    ("mail081.box", "no sender"),
];

/// Fields that must agree with Zammad exactly: header text in a legacy
/// charset that is neither UTF-8 nor RFC 2047-encoded (raw GBK in mail046,
/// raw Shift_JIS and a Shift_JIS word labelled ISO-2022-JP in mail093).
/// Pass rates would hide one of these regressing.
///
/// Not listed: mail046's `from_display_name`. Zammad expects `ÎäŔźłÉ`, the
/// GBK bytes of `武兰成` read as ISO-8859-2 (its charset detector's guess
/// for six bytes); posko reads the name in the subject's charset.
const MUST_MATCH: &[(&str, &str)] = &[
    ("mail046.box", "subject"),
    ("mail093.box", "subject"),
    ("mail093.box", "from_display_name"),
];

/// Removes YAML tags (`!ruby/hash:…` on every map), decoding `!binary`
/// (base64) into a byte string on the way.
fn untag(v: Value) -> Expected {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            if tag.trim_start_matches('!') == "binary" {
                let text = t.value.as_str().unwrap_or_default().to_string();
                Expected::Bytes(base64_decode(&text))
            } else {
                untag(t.value)
            }
        }
        Value::Mapping(m) => Expected::Map(
            m.into_iter()
                .map(|(k, v)| (scalar(&k).unwrap_or_default(), untag(v)))
                .collect(),
        ),
        Value::Sequence(s) => Expected::List(s.into_iter().map(untag).collect()),
        Value::Null => Expected::Null,
        other => Expected::Text(scalar(&other).unwrap_or_default()),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `.yml` value with the tags gone.
#[derive(Debug, Clone)]
enum Expected {
    Null,
    Text(String),
    Bytes(Vec<u8>),
    List(Vec<Expected>),
    Map(Vec<(String, Expected)>),
}

impl Expected {
    fn get(&self, key: &str) -> Option<&Expected> {
        match self {
            Expected::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Expected::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Attachment data: a `!binary` value, or a text value as UTF-8.
    fn bytes(&self) -> Vec<u8> {
        match self {
            Expected::Bytes(b) => b.clone(),
            Expected::Text(s) => s.as_bytes().to_vec(),
            _ => Vec::new(),
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[derive(Default)]
struct Rate {
    pass: usize,
    total: usize,
}

impl Rate {
    fn check(&mut self, ok: bool) -> bool {
        self.total += 1;
        self.pass += ok as usize;
        ok
    }

    fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.pass as f64 / self.total as f64
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.pass, self.total)
    }
}

fn short(s: &str) -> String {
    let s: String = s.chars().take(70).collect();
    format!("{s:?}")
}

#[test]
fn zammad_corpus() {
    let dir = corpus_root().join("zammad-mail/test/data/mail");
    let boxes = files(&dir, "box");
    assert!(!boxes.is_empty(), "no .box files in {}", dir.display());

    let mut parsed_ok = 0;
    let mut panics = Vec::new();
    let mut errors = Vec::new();
    let mut compared = 0;
    let mut from_email = Rate::default();
    let mut display_name = Rate::default();
    let mut subject = Rate::default();
    let mut subject_trimmed = Rate::default();
    let mut attach_sum = Rate::default();
    let mut attach_both = Rate::default();
    let mut html_alternatives = 0;
    let mut mismatches = Vec::new();

    for file in &boxes {
        let file_name = name(file);
        let raw = std::fs::read(file).unwrap();
        let result = std::panic::catch_unwind(|| posko::parse::parse(&raw, "corp.test"));
        let msg = match result {
            Err(_) => {
                panics.push(file_name);
                continue;
            }
            Ok(Err(e)) => {
                errors.push(format!("{file_name}: {e}"));
                continue;
            }
            Ok(Ok(m)) => {
                parsed_ok += 1;
                m
            }
        };
        let yml = file.with_extension("yml");
        if !yml.is_file() {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&yml).unwrap()).into_owned();
        let value: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", yml.display()));
        let want = untag(value);
        compared += 1;
        let mut miss = |field: &str, expected: String, got: String| {
            mismatches.push(format!(
                "{file_name} {field}: expected {expected}, got {got}"
            ));
        };

        if let Some(e) = want.get("from_email").and_then(Expected::text) {
            let got = msg
                .from
                .as_ref()
                .map(|m| m.address.as_str().to_string())
                .unwrap_or_default();
            if !from_email.check(got.eq_ignore_ascii_case(e)) {
                miss("from_email", short(e), short(&got));
            }
        }
        if let Some(e) = want.get("from_display_name") {
            let e = e.text().unwrap_or_default();
            let got = msg
                .from
                .as_ref()
                .and_then(|m| m.name.clone())
                .unwrap_or_default();
            if !display_name.check(got == e) {
                miss("from_display_name", short(e), short(&got));
            }
        }
        if let Some(e) = want.get("subject") {
            let e = e.text().unwrap_or_default();
            if !subject.check(msg.subject == e) {
                miss("subject", short(e), short(&msg.subject));
            }
            subject_trimmed.check(msg.subject.trim() == e.trim());
        }
        if let Some(Expected::List(list)) = want.get("attachments") {
            for a in list {
                let fname = a
                    .get("filename")
                    .and_then(Expected::text)
                    .unwrap_or_default();
                let alternative = a
                    .get("preferences")
                    .and_then(|p| p.get("content-alternative"))
                    .and_then(Expected::text)
                    == Some("true");
                if alternative {
                    // Zammad keeps the HTML alternative as an attachment
                    // (`message.html`); posko keeps it as the body. Review,
                    // not a failure.
                    html_alternatives += 1;
                    continue;
                }
                let data = a.get("data").map(Expected::bytes).unwrap_or_default();
                let sum = hex::encode(Sha256::digest(&data));
                let same = msg.attachments.iter().filter(|p| p.sha256 == sum);
                let found_sum = msg.attachments.iter().any(|p| p.sha256 == sum);
                attach_sum.check(found_sum);
                let found_both = same.clone().any(|p| p.filename == fname);
                if !attach_both.check(found_both) {
                    let got = if found_sum {
                        same.map(|p| p.filename.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    } else {
                        format!(
                            "no part with that content ({} bytes); parsed: [{}]",
                            data.len(),
                            msg.attachments
                                .iter()
                                .map(|p| format!("{} ({} bytes)", p.filename, p.size))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    miss("attachment", short(fname), got);
                }
            }
        }
    }

    println!(
        "zammad corpus: parsed {parsed_ok}/{} without panic or error, {} panics; compared {compared} with .yml",
        boxes.len(),
        panics.len()
    );
    println!(
        "  from_email {from_email}, display name {display_name}, subject {subject} (trimmed {subject_trimmed}), \
         attachments {attach_both} (name+checksum), {attach_sum} (checksum); \
         {html_alternatives} HTML alternatives Zammad stores as attachments skipped"
    );
    for e in &errors {
        println!("  parse error: {e}");
    }
    for m in &mismatches {
        println!("  mismatch: {m}");
    }

    assert!(compared > 0, "no .box file with a .yml was compared");
    assert!(panics.is_empty(), "parse panicked on {panics:?}");
    let unexpected: Vec<&String> = errors
        .iter()
        .filter(|e| {
            !EXPECTED_ERRORS
                .iter()
                .any(|(f, why)| e.starts_with(&format!("{f}: {why}")))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "parse errors on real mail: {unexpected:?}"
    );
    let regressed: Vec<&String> = mismatches
        .iter()
        .filter(|m| {
            MUST_MATCH
                .iter()
                .any(|(f, field)| m.starts_with(&format!("{f} {field}:")))
        })
        .collect();
    assert!(
        regressed.is_empty(),
        "legacy-charset headers decode wrongly again: {regressed:?}"
    );
    // Just under today's rates: a drop means the parser regressed.
    for (field, rate, min) in [
        // Achieved: 79/83, 77/83, 83/84, 26/41, 34/41.
        ("from_email", &from_email, 0.95),
        ("from_display_name", &display_name, 0.92),
        ("subject", &subject, 0.98),
        ("attachments (name+checksum)", &attach_both, 0.62),
        ("attachments (checksum)", &attach_sum, 0.80),
    ] {
        assert!(
            rate.ratio() >= min,
            "{field}: {rate} is below {:.0}%",
            min * 100.0
        );
    }
}
