//! Every message of `../shared/corpus` through `posko ingest`: no panic,
//! every message stored (ticket, comment, duplicate or quarantine), and no
//! acknowledgment to sisimai's bounces and auto-replies.

use std::path::{Path, PathBuf};

use crate::both;
use crate::harness::posko::{Backend, Posko, ok};

fn corpus_root() -> PathBuf {
    let root = std::env::var("POSKO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        root.is_dir(),
        "the shared corpus is required: {} (set POSKO_CORPUS)",
        root.display()
    );
    root
}

fn files_under(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| exts.iter().any(|want| x == *want))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const FILE_IO: &str = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n[outbound]\nkind = \"file\"\npath = \"outbox\"\n";

/// Ingests `files` in chunks; returns posko's per-message lines.
fn ingest_all(posko: &Posko, files: &[PathBuf]) -> Vec<String> {
    let mut lines = Vec::new();
    for chunk in files.chunks(150) {
        let mut args = vec!["ingest".to_string()];
        args.extend(chunk.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ok(posko.cmd(&args), "ingest corpus");
        lines.extend(out.lines().map(str::to_string));
    }
    lines
}

async fn whole_corpus_ingests_without_panic(backend: Backend) {
    let root = corpus_root();
    let mut files = files_under(&root.join("zammad-mail"), &["box"]);
    files.extend(files_under(&root.join("stalwart-mail-parser"), &["eml"]));
    files.extend(files_under(&root.join("sisimai-bounces"), &["eml"]));
    assert!(
        files.len() > 800,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let posko = Posko::from_parts(backend, "", FILE_IO).await;
    let lines = ingest_all(&posko, &files);
    assert_eq!(lines.len(), files.len(), "one verdict per message");
    let count = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    let (new, comments, dups, held) = (
        count("new ticket"),
        count("comment on"),
        count("duplicate"),
        count("quarantined"),
    );
    eprintln!(
        "corpus via `posko ingest`: {} messages: {new} new tickets, {comments} comments, {dups} duplicates, {held} quarantined",
        files.len()
    );
    assert_eq!(new + comments + dups + held, files.len());
    // Quarantine is for what truly is not mail; keep it rare.
    assert!(held * 20 < files.len(), "{held} quarantined");
}
both!(whole_corpus_ingests_without_panic);

/// sisimai's machine mail never gets an acknowledgment; its two ordinary
/// messages do.
async fn bounces_and_auto_replies_get_no_acknowledgment(backend: Backend) {
    let root = corpus_root().join("sisimai-bounces/set-of-emails/maildir");
    // A person forwarding a bounce ("Fwd: Returned mail…") is a person.
    let forwarded_by_person = "lhost-sendmail-14.eml";
    let bounces: Vec<PathBuf> = files_under(&root.join("bsd"), &["eml"])
        .into_iter()
        .filter(|p| !p.ends_with(forwarded_by_person))
        .collect();
    assert!(bounces.len() > 600);
    let posko = Posko::from_parts(backend, "", FILE_IO).await;
    ingest_all(&posko, &bounces);
    let queued = posko.outbox_unsent();
    assert!(
        queued.is_empty(),
        "mail queued in answer to robots: {queued:#?}"
    );

    let humans = files_under(&root.join("not"), &["eml"]);
    assert_eq!(humans.len(), 2);
    ingest_all(&posko, &humans);
    let acks = posko
        .outbox_unsent()
        .into_iter()
        .filter(|r| r["kind"] == "ack")
        .count();
    assert_eq!(acks, 2, "ordinary mail is acknowledged");
}
both!(bounces_and_auto_replies_get_no_acknowledgment);
