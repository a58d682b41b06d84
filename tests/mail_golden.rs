//! Golden files of every mail template, in Indonesian and English: each is
//! rendered with a fixed context and compared with
//! `tests/fixtures/mail/<case>.<lang>.txt`, so a changed word shows in
//! review as a changed file. On a mismatch the test writes `<file>.actual`
//! beside it and says where; `POSKO_BLESS=1` rewrites the golden files. A
//! run that checks no case fails, and so does a template without a case.
//!
//! The SLA notices and the SLA words are rendered from their typed
//! contexts; the templates of ingest and staff mail from JSON written here
//! (the fields their code sets), until their typed contexts land.

use std::path::{Path, PathBuf};

use posko::config::Language;
use posko::display_name::Flag;
use posko::mail::context::escalation::HistoryLine;
use posko::mail::context::show::{self as record, Rating, TicketRecord};
use posko::mail::context::sla_notice::{ClockView, Escalation, Ticket};
use posko::mail::context::{
    ClockName, Desk, DurationWords, Sender, SenderWarning, SlaConfirm, SlaHours, SlaNotice,
    StatusName, StatusRef, SubjectPrefix, TypeName,
};
use posko::mail::templates::{FRAGMENTS, Templates, WITH_SUBJECT, names};
use serde_json::{Value, json};

/// How a case is rendered.
enum Kind {
    /// A mail: subject (when the template has one), text and HTML.
    Mail,
    /// A fragment: one piece of text.
    Fragment,
}

struct Case {
    /// The file's stem: the template's name, maybe with a variant.
    stem: String,
    template: &'static str,
    kind: Kind,
    ctx: Value,
}

fn case(stem: &str, template: &'static str, kind: Kind, ctx: Value) -> Case {
    Case {
        stem: stem.to_string(),
        template,
        kind,
        ctx,
    }
}

/// `base` with `over`'s top-level fields put over it.
fn with(base: &Value, over: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in over.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

fn lying_sender(lang: Language) -> Sender {
    let flags = vec![Flag::Address("helpdesk@corp.test".into()), Flag::Desk];
    let warning = Templates::load(None)
        .unwrap()
        .fragment(
            "sender_warning",
            lang,
            &SenderWarning {
                flags: &flags,
                address: "mallory@outside.test",
            },
        )
        .unwrap();
    Sender {
        shown: "\"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>".into(),
        address: "mallory@outside.test".into(),
        flags,
        warning,
    }
}

fn sla_notice(lang: Language, step: usize) -> Value {
    let id = lang == Language::Id;
    let notice = SlaNotice {
        requester: lying_sender(lang),
        desk: Desk {
            name: "IT Helpdesk".into(),
            address: "helpdesk@corp.test".into(),
        },
        ticket: Ticket {
            id: 17,
            subject: "Internet <mati> di lantai 3".into(),
            status: "new".into(),
            requester: "mallory@outside.test".into(),
            priority_text: if id { "1 (tinggi)" } else { "1 (high)" }.into(),
            category_name: if id {
                "Jaringan / Internet mati"
            } else {
                "Network / Internet down"
            }
            .into(),
            group_name: "Jaringan".into(),
            assignee: String::new(),
        },
        reference: "[Helpdesk #17]".into(),
        clock: ClockView {
            kind: "response",
            name: if id { "respons" } else { "response" }.into(),
            target: if id { "10 menit" } else { "10 minutes" }.into(),
            business_hours: true,
            due_at: "23 Nov 2026 08:10 WIB".into(),
            elapsed: match (step, id) {
                (0, true) => "7 menit 30 detik",
                (0, false) => "7 minutes 30 seconds",
                (_, true) => "10 menit 1 detik",
                (_, false) => "10 minutes 1 second",
            }
            .into(),
            percent: if step == 0 { 75 } else { 100 },
        },
        escalation: Escalation {
            step,
            further: step > 1,
        },
    };
    serde_json::to_value(notice).unwrap()
}

/// A ticket's record for `#show`: resolved, closed by the requester, its
/// survey answered (`full`); or a new ticket with nothing of that.
fn ticket_record(lang: Language, full: bool) -> Value {
    let id = lang == Language::Id;
    let plain = |shown: &str, address: &str| Sender {
        shown: shown.into(),
        address: address.into(),
        flags: vec![],
        warning: String::new(),
    };
    let line = |at: &str, kind: &str, actor: &str, detail: &str| HistoryLine {
        at: at.into(),
        actor: actor.into(),
        kind: kind.into(),
        detail: detail.into(),
    };
    let mut messages = vec![record::Message {
        number: 1,
        at: "23 Nov 2026 07:55 WIB".into(),
        inbound: true,
        kind: "request".into(),
        internal: false,
        from: if full {
            plain("Alice Wijaya <alice@corp.test>", "alice@corp.test")
        } else {
            lying_sender(lang)
        },
        to: vec!["IT Helpdesk <helpdesk@corp.test>".into()],
        subject: "Internet <lambat> di gedung B".into(),
        attachments: vec!["layar.png (image/png, 120 KB)".into()],
        text: "Internet lambat sekali sejak pagi.\nTolong & cepat.".into(),
        omitted: if full {
            Value::Null
        } else {
            json!({"bytes": 300000, "size_human": "293 KB", "lines": 4000})
        },
        record: false,
    }];
    if full {
        messages.push(record::Message {
            number: 4,
            at: "23 Nov 2026 09:30 WIB".into(),
            inbound: false,
            kind: "show".into(),
            internal: true,
            from: plain("IT Helpdesk <helpdesk@corp.test>", "helpdesk@corp.test"),
            to: vec!["Budi Santoso <budi@corp.test>".into()],
            subject: "[Helpdesk #17] Internet <lambat> di gedung B".into(),
            attachments: vec![],
            text: String::new(),
            omitted: Value::Null,
            record: true,
        });
    }
    let clock = |name: &str, state: &'static str, due: Option<&str>| record::Clock {
        name: name.into(),
        state,
        target: if id { "8 jam" } else { "8 hours" }.into(),
        business_hours: true,
        due_at: due.map(str::to_string),
    };
    let ctx = TicketRecord {
        desk: Desk {
            name: "IT Helpdesk".into(),
            address: "helpdesk@corp.test".into(),
        },
        reference: "[Helpdesk #17]".into(),
        as_of: "24 Nov 2026 10:00 WIB".into(),
        ticket: record::Ticket {
            id: 17,
            subject: "Internet <lambat> di gedung B".into(),
            status: if full {
                StatusRef {
                    code: "closed",
                    name: if id { "ditutup" } else { "closed" }.into(),
                }
            } else {
                StatusRef {
                    code: "new",
                    name: if id { "baru" } else { "new" }.into(),
                }
            },
            requester: if full {
                plain("Alice Wijaya <alice@corp.test>", "alice@corp.test")
            } else {
                lying_sender(lang)
            },
            ticket_type: full.then(|| "incident".into()),
            category: full.then(|| "network.internet-down".into()),
            priority: full.then_some(1),
            group: full.then(|| "network".into()),
            assignee: full.then(|| "budi".into()),
            watchers: if full {
                vec!["dewi@corp.test".into()]
            } else {
                vec![]
            },
            merged_into: None,
            created_at: "23 Nov 2026 07:55 WIB".into(),
            resolved_at: full.then(|| "23 Nov 2026 09:00 WIB".into()),
            closed_at: full.then(|| "23 Nov 2026 10:00 WIB".into()),
            closed_by: full.then(|| "requester".into()),
        },
        clocks: if full {
            vec![
                clock(if id { "respons" } else { "response" }, "met", None),
                clock(
                    if id { "penyelesaian" } else { "resolution" },
                    "breached",
                    Some("23 Nov 2026 08:55 WIB"),
                ),
            ]
        } else {
            vec![]
        },
        survey: full.then(|| record::Survey {
            state: "answered".into(),
            sent_at: "23 Nov 2026 09:00 WIB".into(),
            expires_at: "23 Dec 2026 09:00 WIB".into(),
            reminded_at: None,
            answered_at: Some("23 Nov 2026 09:40 WIB".into()),
            ratings: vec![
                Rating {
                    key: "speed".into(),
                    value: 2,
                },
                Rating {
                    key: "overall".into(),
                    value: 4,
                },
            ],
            score: Some(4),
            comment: Some("Cepat, tapi <b>router</b> masih sering mati & lambat.".into()),
        }),
        messages,
        events: vec![
            line("23 Nov 2026 07:55 WIB", "created", "alice@corp.test", ""),
            line(
                "23 Nov 2026 09:00 WIB",
                "status_changed",
                "budi",
                "in_progress → resolved",
            ),
        ],
        cut: !full,
    };
    serde_json::to_value(ctx).unwrap()
}

/// The context the ingest and staff mails share.
fn base(lang: Language) -> Value {
    let id = lang == Language::Id;
    json!({
        "desk": {"name": "IT Helpdesk", "address": "helpdesk@corp.test"},
        "ticket": {"id": 17, "subject": "Internet <lambat> di gedung B",
            "created_at": "23 Nov 2026 07:55 WIB", "status": "in_progress",
            "requester": "alice@corp.test", "priority": 1, "category": "network.internet-down"},
        "reference": "[Helpdesk #17]",
        "requester": {"display": "Alice Wijaya", "address": "alice@corp.test",
            "shown": "Alice Wijaya <alice@corp.test>", "warning": "", "flags": []},
        "message": {"body_text": "Internet lambat sekali sejak pagi.\nTolong & cepat.", "omitted": null},
        "attachments": [{"filename": "layar.png", "content_type": "image/png", "size_human": "120 KB"}],
        "classification": {
            "type": "incident", "type_name": if id { "Insiden" } else { "Incident" },
            "category": "network.internet-down",
            "category_name": if id { "Jaringan / Internet mati" } else { "Network / Internet down" },
            "urgency": "high", "impact": "high", "priority": 1,
            "priority_name": if id { "tinggi" } else { "high" },
            "priority_text": if id { "1 (tinggi)" } else { "1 (high)" },
            "group": "network", "group_name": "Jaringan", "assignee": null, "major": false,
            "tags": [], "rules": ["internet down", "many users affected"]},
        "sla": null,
        "staff": {"name": "Budi Santoso"},
        "status": {"name": if id { "sedang dikerjakan" } else { "in progress" }},
        "assignee": {"name": "Budi Santoso"},
        "note": "Router di lantai 3 sudah diganti.",
        "survey": null,
    })
}

/// The links of a survey as the mail shows them.
fn survey_links(lang: Language) -> Value {
    let l = posko::lifecycle::links::links("https://helpdesk.corp.test", "TOKEN", lang);
    serde_json::to_value(l).unwrap()
}

fn cases(lang: Language) -> Vec<Case> {
    let t = Templates::load(None).unwrap();
    let b = base(lang);
    let ack_sla = json!({"response": t.duration(600, lang).unwrap(),
        "resolution": t.duration(8 * 3600, lang).unwrap(), "response_seconds": 600,
        "resolution_seconds": 28800, "business_hours": true,
        "hours_text": t.sla_hours(true, lang).unwrap()});
    let omitted = json!({"bytes": 40000, "size_human": "39 KB", "lines": 800});
    let mut out = vec![
        case("ack", "ack", Kind::Mail, with(&b, json!({"sla": ack_sla}))),
        case("ack.no_sla", "ack", Kind::Mail, b.clone()),
        case("staff_new", "staff_new", Kind::Mail, b.clone()),
        case(
            "staff_new.long",
            "staff_new",
            Kind::Mail,
            with(
                &b,
                json!({"message": {"body_text": "Baris pertama.", "omitted": omitted},
                    "requester": serde_json::to_value(lying_sender(lang)).unwrap(),
                    "attachments": []}),
            ),
        ),
        case("security_alert", "security_alert", Kind::Mail, b.clone()),
        case("major_incident", "major_incident", Kind::Mail, b.clone()),
        case(
            "sla_warning",
            "sla_warning",
            Kind::Mail,
            sla_notice(lang, 0),
        ),
        case("sla_breach", "sla_breach", Kind::Mail, sla_notice(lang, 1)),
        case(
            "sla_breach.step2",
            "sla_breach",
            Kind::Mail,
            sla_notice(lang, 2),
        ),
        case("staff_reply", "staff_reply", Kind::Mail, b.clone()),
        case(
            "status_changed",
            "status_changed",
            Kind::Mail,
            with(&b, json!({"pending": false})),
        ),
        case(
            "status_changed.pending",
            "status_changed",
            Kind::Mail,
            with(&b, json!({"pending": true, "assignee": null, "note": null})),
        ),
        case("assigned", "assigned", Kind::Mail, b.clone()),
        case(
            "escalated",
            "escalated",
            Kind::Mail,
            with(&b, json!({"group": {"name": "Jaringan", "level": 2}})),
        ),
        case("resolved", "resolved", Kind::Mail, b.clone()),
        case(
            "resolved.survey",
            "resolved",
            Kind::Mail,
            with(&b, json!({"survey": survey_links(lang)})),
        ),
        case(
            "survey_reminder",
            "survey_reminder",
            Kind::Mail,
            with(
                &b,
                json!({"survey": survey_links(lang), "expires": "23 Dec 2026"}),
            ),
        ),
        case(
            "closed",
            "closed",
            Kind::Mail,
            with(
                &b,
                json!({"resolved": "23 Nov 2026",
                    "reopen_within": t.duration(14 * 86_400, lang).unwrap(),
                    "reopen_days": 14}),
            ),
        ),
        case(
            "survey_low",
            "survey_low",
            Kind::Mail,
            with(
                &b,
                json!({"requester": "Alice Wijaya <alice@corp.test>",
                    "low": [{"question": "Kecepatan penanganan", "rating": 2, "label": "Kurang puas"}],
                    "ratings": [{"question": "Kecepatan penanganan", "rating": 2, "label": "Kurang puas"},
                        {"question": "Keramahan petugas", "rating": 5, "label": "Sangat puas"}],
                    "comment": "Tolong lebih cepat."}),
            ),
        ),
        case(
            "survey_reopened",
            "survey_reopened",
            Kind::Mail,
            with(
                &b,
                json!({"requester": "Alice Wijaya <alice@corp.test>",
                    "text": "Masih putus tiap jam 10."}),
            ),
        ),
        case(
            "merged",
            "merged",
            Kind::Mail,
            with(
                &b,
                json!({"merged_into": {"id": 12, "subject": "Internet mati gedung B"}}),
            ),
        ),
        case(
            "staff_confirm",
            "staff_confirm",
            Kind::Mail,
            with(
                &b,
                json!({"applied": ["#assign:me", "#priority:1"],
                    "sla": [t.sla_confirm(&SlaConfirm {
                        clock: t.clock_name(posko::sla::ClockKind::Response, lang).unwrap(),
                        kept: true, target: t.duration(600, lang).unwrap(),
                        due_at: "23 Nov 2026 09:10 WIB".into()}, lang).unwrap()],
                    "group": {"name": "Jaringan"}, "relayed": ["alice@corp.test"],
                    "internal": false, "evidence": "token (budi, #17)"}),
            ),
        ),
        case(
            "command_error",
            "command_error",
            Kind::Mail,
            with(
                &b,
                json!({"refused": false, "errors": ["#assign:nobody: no such staff member"],
                    "subject": "Re: [Helpdesk #17] Internet lambat #assign:nobody",
                    "kept_internal": true, "reason": "", "token": {}}),
            ),
        ),
        case(
            "command_error.refused",
            "command_error",
            Kind::Mail,
            with(
                &b,
                json!({"refused": true, "errors": [], "reason": "the reply address has expired",
                    "subject": "Re: [Helpdesk #17] Internet lambat #resolve",
                    "kept_internal": false, "token": {"expired": true,
                    "expired_at": "1 Jan 2027 09:00 WIB", "lifetime_days": 60,
                    "other_ticket": null, "personal": false, "new_ticket": false,
                    "old_key": false}}),
            ),
        ),
        case(
            "escalation",
            "escalation",
            Kind::Mail,
            with(
                &b,
                json!({"escalation": {"by": "Siti Rahma", "to_name": "Jaringan", "to_level": 2,
                        "from_name": "Service desk", "from_level": 1,
                        "at": "23 Nov 2026 09:00 WIB", "reason": "perlu akses router"},
                    "tried": [{"at": "23 Nov 2026 08:30 WIB", "author": "Siti Rahma",
                        "text": "Sudah restart modem.", "omitted": null}],
                    "request": "Internet lambat sekali sejak pagi.", "request_omitted": null,
                    "history": [{"at": "23 Nov 2026 07:55 WIB", "actor": "system",
                        "kind": "created", "detail": null},
                        {"at": "23 Nov 2026 09:00 WIB", "actor": "siti",
                        "kind": "escalated", "detail": "level 1 → 2"}]}),
            ),
        ),
        case(
            "help",
            "help",
            Kind::Mail,
            with(
                &b,
                json!({"commands": "#assign:me\n#resolve\n", "personal_address":
                    "helpdesk+p.budi.x@corp.test", "personal_until": "22 Jan 2027"}),
            ),
        ),
        case("show", "show", Kind::Mail, ticket_record(lang, true)),
        case("show.new", "show", Kind::Mail, ticket_record(lang, false)),
        case(
            "non_participant",
            "non_participant",
            Kind::Mail,
            with(
                &b,
                json!({"sender": serde_json::to_value(lying_sender(lang)).unwrap(),
                    "text": "Masih mati.", "truncated": true}),
            ),
        ),
    ];
    let flags = vec![
        Flag::Address("helpdesk@corp.test".into()),
        Flag::Desk,
        Flag::Staff("Budi Santoso".into()),
        Flag::Hidden,
    ];
    let fragment = |stem: &str, template, ctx: Value| case(stem, template, Kind::Fragment, ctx);
    out.extend([
        fragment(
            "sender_warning",
            "sender_warning",
            serde_json::to_value(SenderWarning {
                flags: &flags,
                address: "mallory@outside.test",
            })
            .unwrap(),
        ),
        fragment("duration", "duration", json!(DurationWords::new(5400))),
        fragment(
            "subject_prefix",
            "subject_prefix",
            json!(SubjectPrefix { kind: "escalation" }),
        ),
        fragment(
            "status_name",
            "status_name",
            json!(StatusName { status: "pending" }),
        ),
        fragment(
            "type_name",
            "type_name",
            json!(TypeName {
                ticket_type: "change"
            }),
        ),
        fragment(
            "duration.seconds",
            "duration",
            json!(DurationWords::new(3601)),
        ),
        fragment("duration.zero", "duration", json!(DurationWords::new(0))),
        fragment(
            "clock_name",
            "clock_name",
            json!(ClockName { kind: "resolution" }),
        ),
        fragment(
            "sla_hours",
            "sla_hours",
            json!(SlaHours {
                business_hours: true
            }),
        ),
        fragment(
            "sla_hours.24x7",
            "sla_hours",
            json!(SlaHours {
                business_hours: false
            }),
        ),
        fragment(
            "sla_confirm",
            "sla_confirm",
            json!(SlaConfirm {
                clock: "respons".into(),
                kept: true,
                target: "10 menit".into(),
                due_at: "23 Nov 2026 09:10 WIB".into(),
            }),
        ),
        fragment(
            "sla_confirm.paused",
            "sla_confirm",
            json!(SlaConfirm {
                clock: "penyelesaian".into(),
                kept: true,
                target: "8 jam".into(),
                due_at: String::new(),
            }),
        ),
        fragment(
            "sla_confirm.dropped",
            "sla_confirm",
            json!(SlaConfirm {
                clock: "respons".into(),
                kept: false,
                target: String::new(),
                due_at: String::new(),
            }),
        ),
    ]);
    out
}

fn render(t: &Templates, c: &Case, lang: Language) -> String {
    match c.kind {
        Kind::Fragment => t.fragment(c.template, lang, &c.ctx).unwrap() + "\n",
        Kind::Mail => {
            let mut out = String::new();
            if WITH_SUBJECT.contains(&c.template) {
                let subject = t.subject(c.template, lang, &c.ctx).unwrap();
                out.push_str(&format!("Subject: {subject}\n\n"));
            }
            let r = t.render(c.template, lang, &c.ctx).unwrap();
            out.push_str("--- text ---\n");
            out.push_str(&r.text);
            if t.has_html(c.template, lang) {
                out.push_str("\n--- html ---\n");
                out.push_str(&r.html);
            }
            out
        }
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail")
}

#[test]
fn every_template_renders_as_its_golden_file() {
    let t = Templates::load(None).unwrap();
    let bless = std::env::var_os("POSKO_BLESS").is_some();
    let mut checked = 0;
    let mut failed = Vec::new();
    for (lang, code) in [(Language::Id, "id"), (Language::En, "en")] {
        let cases = cases(lang);
        for name in names().chain(FRAGMENTS.iter().copied()) {
            assert!(
                cases.iter().any(|c| c.template == name),
                "template {name} has no golden case"
            );
        }
        for c in &cases {
            let got = render(&t, c, lang);
            let file = dir().join(format!("{}.{code}.txt", c.stem));
            let actual = file.with_extension("txt.actual");
            if bless {
                std::fs::write(&file, &got).unwrap();
            }
            match std::fs::read_to_string(&file) {
                Ok(want) if want == got => {
                    let _ = std::fs::remove_file(&actual);
                }
                _ => {
                    std::fs::write(&actual, &got).unwrap();
                    failed.push(format!(
                        "{} differs: see {}",
                        file.display(),
                        actual.display()
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no golden case was checked");
    assert!(
        failed.is_empty(),
        "{} of {checked} rendered templates differ from their golden files \
         (POSKO_BLESS=1 rewrites them):\n{}",
        failed.len(),
        failed.join("\n")
    );
}
