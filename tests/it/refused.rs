//! Issue 10, point 1, through the real binary: a message over 1 MiB
//! (taken alone, its bytes moved into the insert) that the database
//! refuses is quarantined like any other refused message, marked done at
//! its source, and the mail around it is taken in; the next pass has
//! nothing to do. Before the fix it was left for the next pass for ever
//! (and on IMAP it held back the last UID).
//!
//! What the database refuses: on PostgreSQL a NUL byte in the Message-ID
//! (text columns cannot hold it); on SQLite, which stores NUL, the
//! fault-injection hook of debug builds (`POSKO_FAULT_STORE_FAIL_ON`: a
//! message whose subject holds the marker makes its ticket's insert fail
//! as a constraint error would).

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko};

const WAIT: Duration = Duration::from_secs(20);

/// The marker the store fault hook looks for in a subject.
const REFUSED: &str = "DITOLAK-10";

/// A message of a little over 1.5 MiB whose Message-ID carries a NUL byte
/// and whose subject the fault marker: refused by either database.
fn refused_large(message_id: &str) -> Vec<u8> {
    let message_id = message_id.replace('@', "\0@");
    let line = "Isi surat yang panjang sekali untuk melewati satu mebibita.\r\n";
    let body = line.repeat(1_600_000 / line.len());
    let raw = mail::plain(
        "Mallory <m@outside.test>",
        &format!("{REFUSED} printer rusak"),
        &message_id,
        "",
        &body,
    );
    assert!(raw.len() > posko::ingest::LARGE_MESSAGE);
    raw
}

fn quarantined(posko: &Posko) -> Vec<Value> {
    let out = posko.cmd(&["quarantine", "list", "--json"]);
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("quarantine list JSON")
        .as_array()
        .unwrap()
        .clone()
}

fn dir_names(posko: &Posko, sub: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(posko.path().join(sub))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn refused_reason_ok(held: &[Value]) {
    assert_eq!(held.len(), 1, "{held:?}");
    let reason = held[0]["reason"].as_str().unwrap();
    assert!(reason.contains("could not be stored"), "{reason}");
    assert_eq!(held[0]["truncated"], Value::Bool(true), "{held:?}");
}

/// Between two good mails in a Maildir: one pass, two tickets, the refused
/// message quarantined (its headers) and moved to cur/, flagged.
async fn a_large_message_the_database_refuses_is_quarantined_in_a_maildir(backend: Backend) {
    let mut posko = Posko::from_parts(
        backend,
        "",
        "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n\
         [outbound]\nkind = \"file\"\npath = \"outbox\"\n",
    )
    .await;
    posko
        .env
        .push(("POSKO_FAULT_STORE_FAIL_ON".into(), REFUSED.into()));
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(posko.path().join("mail").join(sub)).unwrap();
    }
    let drop_mail = |name: &str, raw: &[u8]| {
        let tmp = posko.path().join("mail/tmp").join(name);
        std::fs::write(&tmp, raw).unwrap();
        std::fs::rename(&tmp, posko.path().join("mail/new").join(name)).unwrap();
    };
    drop_mail(
        "0001.good",
        &mail::plain("alice@corp.test", "Satu", "r-g1@corp.test", "", "Satu."),
    );
    drop_mail("0002.refused", &refused_large("r-big@outside.test"));
    drop_mail(
        "0003.good",
        &mail::plain("bob@corp.test", "Dua", "r-g2@corp.test", "", "Dua."),
    );
    let out = posko.run_once();
    assert!(
        out.contains("fetched 3: 2 new tickets") && out.contains("1 quarantined, 0 deferred"),
        "{out}"
    );
    assert!(dir_names(&posko, "mail/new").is_empty());
    let cur = dir_names(&posko, "mail/cur");
    assert!(
        cur.iter()
            .any(|n| n.starts_with("0002.refused") && n.ends_with(":2,FS")),
        "{cur:?}"
    );
    refused_reason_ok(&quarantined(&posko));
    assert_eq!(posko.tickets().len(), 2);
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_large_message_the_database_refuses_is_quarantined_in_a_maildir);

/// The same over IMAP: the refused message is flagged on the server, the
/// last UID moves past it, the next pass fetches nothing.
async fn a_large_message_the_database_refuses_is_quarantined_over_imap(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = Posko::new(backend, &stack).await;
    posko
        .env
        .push(("POSKO_FAULT_STORE_FAIL_ON".into(), REFUSED.into()));
    let mails = [
        mail::plain("alice@corp.test", "Satu", "ri-1@corp.test", "", "Isi."),
        refused_large("ri-big@outside.test"),
        mail::plain("alice@corp.test", "Dua", "ri-3@corp.test", "", "Isi."),
    ];
    for raw in &mails {
        stack
            .deliver("alice@corp.test", &["helpdesk@corp.test"], raw)
            .await;
    }
    let out = posko.run_once();
    assert!(
        out.contains("fetched 3: 2 new tickets") && out.contains("1 quarantined, 0 deferred"),
        "{out}"
    );
    refused_reason_ok(&quarantined(&posko));
    let flags = stack.mailbox_flags("helpdesk", "INBOX").await;
    assert_eq!(flags.len(), 3, "{flags:?}");
    assert!(flags[1].1.iter().any(|f| f == "\\Flagged"), "{flags:?}");
    stack.wait_for_mail("alice", 2, WAIT).await;
    assert!(posko.run_once().starts_with("fetched 0"));
}
both!(a_large_message_the_database_refuses_is_quarantined_over_imap);
