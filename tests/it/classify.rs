//! Issue "Classify every ticket": the shipped catalogue, rules and matrix
//! drive real tickets through the binary, against Dovecot, the SMTP sink and
//! SQLite / PostgreSQL.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, ok, shipped_catalogue};

const WAIT: Duration = Duration::from_secs(20);

/// A posko with the shipped catalogue and rules, plus `extra` sections.
async fn classifying(backend: Backend, stack: &MailStack, extra: &str) -> Posko {
    Posko::with(
        backend,
        stack,
        Options {
            catalogue: true,
            extra: extra.to_string(),
            ..Options::default()
        },
    )
    .await
}

/// Delivers a plain mail from Alice to the helpdesk mailbox.
async fn report(stack: &MailStack, subject: &str, id: &str, extra: &str, body: &str) {
    let raw = mail::plain("Alice Wijaya <alice@corp.test>", subject, id, extra, body);
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
}

/// The ticket whose subject is `subject`.
fn ticket_by_subject(posko: &Posko, subject: &str) -> Value {
    let list = posko.tickets();
    let t = list
        .iter()
        .find(|t| t["subject"] == subject)
        .unwrap_or_else(|| panic!("no ticket {subject:?} in {list:#?}"));
    posko.ticket(t["id"].as_i64().unwrap())
}

fn events_of<'a>(t: &'a Value, kind: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// (type, category, urgency, impact, priority, group) of a ticket's JSON.
fn class(t: &Value) -> (String, String, String, String, i64, String) {
    let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
    (
        s("type"),
        s("category"),
        s("urgency"),
        s("impact"),
        t["priority"].as_i64().unwrap_or(0),
        s("group"),
    )
}

fn expect(
    ty: &str,
    cat: &str,
    u: &str,
    i: &str,
    p: i64,
    g: &str,
) -> (String, String, String, String, i64, String) {
    (ty.into(), cat.into(), u.into(), i.into(), p, g.into())
}

/// Story 1: internet down for a whole floor → incident, network, priority 1;
/// the network group is told, and the acknowledgment states the priority.
async fn internet_down_is_priority_one_for_the_network_group(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = classifying(backend, &stack, "").await;
    let subject = "Internet mati di lantai 3, semua user tidak bisa kerja";
    report(&stack, subject, "net1@corp.test", "", "Sejak jam 8 pagi.").await;
    posko.run_once();

    let t = ticket_by_subject(&posko, subject);
    assert_eq!(
        class(&t),
        expect(
            "incident",
            "network.internet-down",
            "high",
            "high",
            1,
            "network"
        )
    );
    assert_eq!(t["major"], false);
    assert_eq!(t["assignee"], Value::Null);
    let classified = events_of(&t, "classified");
    assert_eq!(classified.len(), 1);
    let rules: Vec<&str> = classified[0]["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["many users affected", "internet down"]);
    assert_eq!(
        classified[0]["matched"][1]["set"]["category"],
        "network.internet-down"
    );

    // Budi (network) and Siti (service desk) get the notice; managers do not.
    let notice = stack.wait_for_mail("budi", 1, WAIT).await.remove(0);
    let text = mail::body_text(&notice);
    assert!(text.contains("Prioritas: 1 (tinggi)"), "{text}");
    assert!(text.contains("Jaringan / Network"), "{text}");
    stack.wait_for_mail("siti", 1, WAIT).await;
    let ack = stack.wait_for_mail("alice", 1, WAIT).await.remove(0);
    let ack_text = mail::body_text(&ack);
    assert!(ack_text.contains("Prioritas: 1 (tinggi)"), "{ack_text}");
    assert!(ack_text.contains("Jaringan / Internet mati"), "{ack_text}");
    assert!(stack.inbox("manager").await.is_empty());
    assert!(stack.inbox("director").await.is_empty());
}
both!(internet_down_is_priority_one_for_the_network_group);

/// Story 2: mail to the security@ alias, and a phishing report, are
/// information-security tickets; the IT head and director are mailed at once.
async fn security_mail_alerts_the_managers(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = classifying(backend, &stack, "").await;
    // The alias delivers into the helpdesk mailbox; the header says security@.
    let to_alias = "From: Bob <bob@corp.test>\r\nTo: Keamanan TI <security@corp.test>\r\n\
         Subject: Laporan aktivitas aneh\r\nMessage-ID: <sec1@corp.test>\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0700\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Ada login dari luar negeri di akun saya.\r\n";
    stack
        .deliver(
            "bob@corp.test",
            &["helpdesk@corp.test"],
            to_alias.as_bytes(),
        )
        .await;
    report(
        &stack,
        "Email phishing mengatasnamakan bank",
        "sec2@corp.test",
        "",
        "Saya menerima email yang meminta login ulang.",
    )
    .await;
    posko.run_once();

    for (subject, rule) in [
        ("Laporan aktivitas aneh", "security alias"),
        ("Email phishing mengatasnamakan bank", "security keywords"),
    ] {
        let t = ticket_by_subject(&posko, subject);
        assert_eq!(
            class(&t),
            expect(
                "security",
                "security.incident",
                "high",
                "medium",
                1,
                "infrastructure"
            ),
            "{subject}"
        );
        assert_eq!(events_of(&t, "classified")[0]["matched"][0]["rule"], rule);
        assert_eq!(
            events_of(&t, "security_alert_queued").len(),
            2,
            "{subject}: one per manager"
        );
    }
    for manager in ["manager", "director"] {
        let alerts = stack.wait_for_mail(manager, 2, WAIT).await;
        assert_eq!(alerts.len(), 2, "{manager}");
        for a in &alerts {
            let subject = mail::subject(a);
            assert!(subject.contains("Keamanan informasi: "), "{subject}");
            assert!(mail::body_text(a).contains("KEAMANAN INFORMASI"));
        }
    }
    // The service desk is told too, with the ordinary notice.
    stack.wait_for_mail("siti", 2, WAIT).await;
}
both!(security_mail_alerts_the_managers);

/// Story 2, major incidents: a rule marks the ticket major, management is
/// informed at once; a rule's `notify` address is told as well.
async fn a_major_incident_informs_management(backend: Backend) {
    let stack = MailStack::start().await;
    let extra = r#"
[[rule]]
name = "boardroom"
subject = 'ruang direksi'
set = { urgency = "high", tags = ["vip"] }
notify = ["bob@corp.test"]
"#;
    let posko = classifying(backend, &stack, extra).await;
    let subject = "Server email lumpuh";
    report(
        &stack,
        subject,
        "major1@corp.test",
        "",
        "Seluruh kantor tidak bisa kirim email.",
    )
    .await;
    report(
        &stack,
        "Proyektor ruang direksi tidak tampil",
        "vip1@corp.test",
        "",
        "",
    )
    .await;
    posko.run_once();

    let t = ticket_by_subject(&posko, subject);
    assert_eq!(t["major"], true);
    assert_eq!(
        class(&t),
        expect(
            "incident",
            "hardware.server-down",
            "high",
            "high",
            1,
            "infrastructure"
        )
    );
    assert!(t["tags"].as_array().unwrap().contains(&"major".into()));
    assert_eq!(
        events_of(&t, "major_incident_queued").len(),
        2,
        "one per manager"
    );
    for manager in ["manager", "director"] {
        let alert = stack.wait_for_mail(manager, 1, WAIT).await.remove(0);
        assert!(
            mail::subject(&alert).contains("Insiden mayor: Server email lumpuh"),
            "{}",
            mail::subject(&alert)
        );
        assert!(mail::body_text(&alert).contains("INSIDEN MAYOR"));
    }

    // A configured rule: its `notify` address gets the notice; a minor
    // ticket alerts nobody.
    let v = ticket_by_subject(&posko, "Proyektor ruang direksi tidak tampil");
    assert_eq!(
        class(&v),
        expect("incident", "other", "high", "medium", 1, "servicedesk")
    );
    assert_eq!(v["tags"], serde_json::json!(["vip"]));
    let bob = stack.wait_for_mail("bob", 1, WAIT).await.remove(0);
    assert!(mail::subject(&bob).contains("Proyektor ruang direksi"));
    posko.run_once();
    assert_eq!(
        stack.inbox("manager").await.len(),
        1,
        "no alert for a minor ticket"
    );
    assert_eq!(stack.inbox("bob").await.len(), 1);
}
both!(a_major_incident_informs_management);

/// Stories 3 and 4: request, access, change; what nothing matches gets the
/// defaults and goes to the service desk.
async fn requests_access_change_and_the_default(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = classifying(backend, &stack, "").await;
    let cases = [
        (
            "Mohon reset password SIAKAD",
            expect(
                "request",
                "request.account",
                "medium",
                "low",
                3,
                "servicedesk",
            ),
        ),
        (
            "minta akses aplikasi keuangan",
            expect("access", "access.access", "low", "low", 3, "servicedesk"),
        ),
        (
            "RFC: upgrade server email",
            expect("change", "change.rfc", "low", "medium", 3, "infrastructure"),
        ),
        (
            "Pertanyaan soal jadwal rapat",
            expect("incident", "other", "medium", "medium", 2, "servicedesk"),
        ),
    ];
    for (i, (subject, _)) in cases.iter().enumerate() {
        report(
            &stack,
            subject,
            &format!("req{i}@corp.test"),
            "",
            "Terima kasih.",
        )
        .await;
    }
    posko.run_once();
    for (subject, want) in &cases {
        let t = ticket_by_subject(&posko, subject);
        assert_eq!(&class(&t), want, "{subject}");
    }
    let t = ticket_by_subject(&posko, "Pertanyaan soal jadwal rapat");
    assert!(
        events_of(&t, "classified")[0]["matched"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Four acknowledgments, four notices to the service desk; the network
    // group is not involved.
    let acks = stack.wait_for_mail("alice", 4, WAIT).await;
    assert!(
        acks.iter()
            .any(|a| mail::body_text(a).contains("Prioritas: 3 (rendah)"))
    );
    stack.wait_for_mail("siti", 4, WAIT).await;
    assert!(stack.inbox("budi").await.is_empty());
}
both!(requests_access_change_and_the_default);

/// A rule that ignores mail: recorded (closed), never answered, nobody told.
async fn ignored_mail_is_recorded_and_never_answered(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = classifying(backend, &stack, "").await;
    report(
        &stack,
        "Pinjaman cepat tanpa jaminan",
        "spam1@corp.test",
        "X-Spam-Flag: YES\r\n",
        "Klik di sini.",
    )
    .await;
    report(
        &stack,
        "Printer macet",
        "real1@corp.test",
        "",
        "Kertas nyangkut.",
    )
    .await;
    posko.run_once();

    let t = ticket_by_subject(&posko, "Pinjaman cepat tanpa jaminan");
    assert_eq!(t["status"], "closed");
    assert_eq!(t["tags"], serde_json::json!(["spam"]));
    assert_eq!(events_of(&t, "ignored").len(), 1);
    assert_eq!(events_of(&t, "ignored")[0]["rules"][0], "spam");
    let outs = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out")
        .count();
    assert_eq!(outs, 0, "nothing sent about an ignored mail");
    // The real report is answered; only its mail arrives.
    let acks = stack.wait_for_mail("alice", 1, WAIT).await;
    assert_eq!(acks.len(), 1);
    assert!(mail::subject(&acks[0]).contains("Printer macet"));
    posko.run_once();
    assert_eq!(stack.inbox("alice").await.len(), 1);
    assert_eq!(stack.inbox("siti").await.len(), 1);
}
both!(ignored_mail_is_recorded_and_never_answered);

/// `posko check` (and start) refuse bad rules, naming file, rule and reason.
#[test]
fn check_refuses_bad_rules_and_matrix_holes() {
    let dir = tempfile::tempdir().unwrap();
    let base = bare_config("x.db", &shipped_catalogue());
    let cases = [
        (
            format!(
                "{base}\n[[rule]]\nname = \"broken\"\nsubject = '(internet'\nset = {{ urgency = \"high\" }}\n"
            ),
            "rule[",
            "\"broken\".subject",
            "invalid regex",
        ),
        (
            format!(
                "{base}\n[[rule]]\nname = \"typo\"\nsubject = 'x'\nset = {{ category = \"network.internet-dwon\" }}\n"
            ),
            "\"typo\".set.category",
            "unknown category \"network.internet-dwon\"",
            "catalogue",
        ),
        (
            base.replace(
                "low    = { high = 2, medium = 3, low = 3 }",
                "low    = { high = 2, medium = 3 }",
            ),
            "priority.matrix.low.low",
            "hole",
            "impact \"low\"",
        ),
    ];
    for (i, (text, key, why, more)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("rules{i}.toml"));
        std::fs::write(&file, text).unwrap();
        for args in [&["check"][..], &["run", "--once"][..]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_posko"))
                .arg("--config")
                .arg(&file)
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(78), "EX_CONFIG: {err}");
            assert!(err.contains(&format!("rules{i}.toml")), "file: {err}");
            for needle in [key, why, more] {
                assert!(err.contains(needle), "{needle}: {err}");
            }
        }
    }
    assert!(!dir.path().join("x.db").exists(), "nothing was started");
}

/// `posko rules test FILE` prints the matched rules and the outcome, and
/// touches nothing (not even the database).
#[test]
fn rules_test_prints_the_outcome_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("posko.toml");
    std::fs::write(&config, bare_config("never.db", &shipped_catalogue())).unwrap();
    let eml = dir.path().join("m.eml");
    std::fs::write(
        &eml,
        mail::plain(
            "alice@corp.test",
            "Internet mati di lantai 3, semua user tidak bisa kerja",
            "t1@corp.test",
            "",
            "",
        ),
    )
    .unwrap();
    let run = posko_in(dir.path(), &config);
    let out = ok(run(&["rules", "test", eml.to_str().unwrap()]), "rules test");
    for line in [
        "1. many users affected: impact=\"high\"",
        "2. internet down: category=\"network.internet-down\"",
        "type      incident",
        "category  network.internet-down (Jaringan / Internet mati)",
        "urgency   high",
        "impact    high",
        "priority  1 (tinggi)",
        "group     network (Jaringan / Network, L2)",
    ] {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    let json: Value = serde_json::from_str(&ok(
        run(&["rules", "test", "--json", eml.to_str().unwrap()]),
        "rules test --json",
    ))
    .unwrap();
    assert_eq!(json["priority"], 1);
    assert_eq!(json["group"], "network");
    assert_eq!(json["matched"][1]["rule"], "internet down");
    assert!(!dir.path().join("never.db").exists(), "no database touched");
    assert!(!dir.path().join("o").exists(), "no mail written");
}

/// `posko rules replay --since DATE` shows what the current rules would
/// change on stored tickets, and changes nothing.
async fn rules_replay_is_a_dry_run(backend: Backend) {
    let io = "[inbound]\nkind = \"maildir\"\npath = \"mail\"\n\n[outbound]\nkind = \"file\"\npath = \"outbox\"\n";
    // Tickets taken in without a catalogue: everything is `other`.
    let posko = Posko::from_parts(backend, "", io).await;
    let dir = posko.path().to_path_buf();
    let files = [
        (
            "a.eml",
            "Internet mati di lantai 3, semua user tidak bisa kerja",
        ),
        ("b.eml", "Pertanyaan soal jadwal rapat"),
    ];
    for (i, (name, subject)) in files.iter().enumerate() {
        std::fs::write(
            dir.join(name),
            mail::plain(
                "alice@corp.test",
                subject,
                &format!("r{i}@corp.test"),
                "",
                "x",
            ),
        )
        .unwrap();
    }
    ok(posko.cmd(&["ingest", "a.eml", "b.eml"]), "ingest");
    let before = posko.tickets();
    assert!(before.iter().all(|t| t["category"] == "other"));

    // Now the catalogue and rules arrive.
    let mut text = std::fs::read_to_string(&posko.config).unwrap();
    text.push_str(&shipped_catalogue());
    std::fs::write(&posko.config, text).unwrap();
    let out = ok(
        posko.cmd(&["rules", "replay", "--since", "2020-01-01"]),
        "replay",
    );
    let a = before.iter().find(|t| t["subject"] == files[0].1).unwrap()["id"]
        .as_i64()
        .unwrap();
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("#{a} ")))
        .unwrap_or_else(|| panic!("no line for #{a}:\n{out}"));
    for change in [
        "category other → network.internet-down",
        "urgency medium → high",
        "impact medium → high",
        "priority 2 → 1",
        "group servicedesk → network",
    ] {
        assert!(line.contains(change), "{change:?} in {line}");
    }
    assert!(
        out.contains("Pertanyaan soal jadwal rapat: unchanged"),
        "{out}"
    );
    assert!(
        out.contains("2 tickets since 2020-01-01: 1 would change, 1 unchanged"),
        "{out}"
    );
    // A date after the tickets: nothing to replay.
    let later = ok(
        posko.cmd(&["rules", "replay", "--since", "2999-01-01"]),
        "replay",
    );
    assert!(later.contains("0 tickets since"), "{later}");
    assert_eq!(posko.tickets(), before, "nothing was written");
}
both!(rules_replay_is_a_dry_run);

/// A catalogue without a default category still starts: posko supplies a
/// built-in `other` at the service desk, `posko check` says so, and mail no
/// rule classifies gets it.
#[test]
fn a_catalogue_without_a_default_gets_a_builtin_other() {
    let dir = tempfile::tempdir().unwrap();
    let other = "[[category]]\nkey = \"other\"\nname = { id = \"Lainnya\", en = \"Other\" }\n\
                 type = \"incident\"\ngroup = \"servicedesk\"\nurgency = \"medium\"\nimpact = \"medium\"\n";
    let catalogue = shipped_catalogue();
    assert!(catalogue.contains(other), "the shipped `other` category");
    let config = dir.path().join("posko.toml");
    std::fs::write(&config, bare_config("x.db", &catalogue.replace(other, ""))).unwrap();
    for sub in ["m/cur", "m/new", "m/tmp", "o"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    let run = posko_in(dir.path(), &config);
    let out = ok(run(&["check"]), "check");
    assert!(
        out.contains(
            "note  catalogue: no default category; posko supplies the built-in \"other\" (Other), \
             routed to the service desk (group \"servicedesk\")"
        ),
        "{out}"
    );
    let eml = dir.path().join("m.eml");
    std::fs::write(
        &eml,
        mail::plain(
            "alice@corp.test",
            "Pertanyaan soal jadwal rapat",
            "t1@corp.test",
            "",
            "",
        ),
    )
    .unwrap();
    let json: Value = serde_json::from_str(&ok(
        run(&["rules", "test", "--json", eml.to_str().unwrap()]),
        "rules test --json",
    ))
    .unwrap();
    assert_eq!(json["category"], "other", "{json}");
    assert_eq!(json["group"], "servicedesk", "{json}");
}

/// A configuration on a Maildir `m` and an outbox directory `o`, a SQLite
/// database `db`, and `catalogue`.
fn bare_config(db: &str, catalogue: &str) -> String {
    format!(
        "[desk]\nname = \"x\"\naddress = \"helpdesk@corp.test\"\n[database]\nurl = \"sqlite://{db}\"\n\
         [inbound]\nkind = \"maildir\"\npath = \"m\"\n[outbound]\nkind = \"file\"\npath = \"o\"\n{catalogue}"
    )
}

/// Runs the posko binary with `config`, in `dir`.
fn posko_in<'a>(
    dir: &'a std::path::Path,
    config: &'a std::path::Path,
) -> impl Fn(&[&str]) -> std::process::Output + 'a {
    move |args| {
        std::process::Command::new(env!("CARGO_BIN_EXE_posko"))
            .arg("--config")
            .arg(config)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    }
}
