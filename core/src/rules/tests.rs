use super::*;
use crate::catalogue::{Category, Group, Names, PriorityScheme};

fn cat() -> Catalogue {
    let c = |key: &str, t: TicketType, group: &str, u: &str, i: &str| Category {
        key: key.into(),
        name: Names {
            id: key.into(),
            en: key.into(),
        },
        ticket_type: t,
        group: group.into(),
        urgency: u.into(),
        impact: i.into(),
        response: None,
        resolution: None,
    };
    let g = |key: &str, level| Group {
        key: key.into(),
        name: key.into(),
        level,
        leads: Vec::new(),
    };
    Catalogue {
        groups: vec![g("servicedesk", 1), g("network", 2), g("infra", 2)],
        categories: vec![
            c(
                "other",
                TicketType::Incident,
                "servicedesk",
                "medium",
                "medium",
            ),
            c(
                "net.down",
                TicketType::Incident,
                "network",
                "high",
                "medium",
            ),
            c("account", TicketType::Request, "servicedesk", "low", "low"),
        ],
        builtin_default: false,
        default_category: 0,
        priority: PriorityScheme::sop_default(),
    }
}

fn rule(name: &str, conds: &[(Field, &str)], set: Set) -> Rule {
    Rule {
        name: name.into(),
        conditions: conds
            .iter()
            .map(|(f, p)| Condition {
                field: f.clone(),
                regex: compile(p).unwrap(),
            })
            .collect(),
        mode: Match::All,
        set,
        notify: Vec::new(),
        stop: false,
    }
}

fn msg(extra_headers: &str, subject: &str, body: &str) -> InboundMessage {
    let raw = format!(
        "From: Alice <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: {subject}\r\n\
         Message-ID: <m1@corp.test>\r\n{extra_headers}\r\n{body}\r\n"
    );
    crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
}

#[test]
fn rules_read_the_start_of_a_long_body() {
    let long = format!("{}printer rusak", "é kata ".repeat(BODY_SCAN / 8));
    let m = msg("", "Laporan", &long);
    let facts = Facts::of(&m);
    assert!(facts.body.len() <= BODY_SCAN && facts.body.len() > BODY_SCAN - 4);
    assert!(!facts.body.contains("printer"));
    let short = msg("", "Laporan", "printer rusak");
    assert_eq!(Facts::of(&short).body.trim_end(), "printer rusak");
}

fn set_cat(c: &str) -> Set {
    Set {
        category: Some(c.into()),
        ..Set::default()
    }
}

#[test]
fn nothing_matches_gives_the_default_category() {
    let o = classify(&[], &cat(), &msg("", "Halo", "apa kabar"));
    assert!(o.matched.is_empty());
    let r = o.result;
    assert_eq!(r.category, "other");
    assert_eq!(r.ticket_type, "incident");
    assert_eq!(
        (r.urgency.as_str(), r.impact.as_str()),
        ("medium", "medium")
    );
    assert_eq!(r.priority, 2);
    assert_eq!(r.group, "servicedesk");
    assert!(!r.major && !r.ignore && r.tags.is_empty() && r.assignee.is_none());
}

#[test]
fn subject_condition_is_case_insensitive() {
    let rules = [rule(
        "down",
        &[(Field::Subject, "(internet|wifi).*(mati|down)")],
        set_cat("net.down"),
    )];
    let o = classify(&rules, &cat(), &msg("", "INTERNET MATI di lantai 3", ""));
    assert_eq!(o.result.category, "net.down");
    assert_eq!(o.result.group, "network");
    assert_eq!(o.result.priority, 1, "high × medium");
    assert_eq!(o.matched[0].rule, "down");
    assert_eq!(o.matched[0].set, json!({"category": "net.down"}));
}

#[test]
fn each_condition_kind() {
    let m = msg(
        "Cc: Sec <security@corp.test>\r\nX-Priority: 1 (Highest)\r\n",
        "Tolong",
        "printer macet",
    );
    let f = Facts::of(&m);
    let holds = |field: Field, p: &str| {
        Condition {
            field,
            regex: compile(p).unwrap(),
        }
        .holds(&f)
    };
    assert!(holds(Field::Body, "printer"));
    assert!(!holds(Field::Subject, "printer"));
    assert!(holds(Field::Text, "printer"));
    assert!(holds(Field::Text, "tolong"));
    assert!(holds(Field::From, "@corp\\.test$"));
    assert!(!holds(Field::From, "@vendor"));
    assert!(holds(Field::To, "^security@"));
    assert!(holds(Field::To, "^helpdesk@"));
    assert!(holds(Field::Header("x-priority".into()), "^1"));
    assert!(!holds(Field::Header("X-Priority".into()), "^5"));
    assert!(!holds(Field::Header("X-Missing".into()), ".*"));
    assert!(!holds(Field::Attachment, ".*"));
}

#[test]
fn delivered_to_and_attachment_names() {
    let raw = "Delivered-To: security@corp.test\r\nFrom: a@corp.test\r\nTo: helpdesk@corp.test\r\n\
        Subject: x\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
        --b\r\nContent-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename=\"invoice.exe\"\r\n\r\nMZ\r\n--b--\r\n";
    let m = crate::parse::parse(raw.as_bytes(), "corp.test").unwrap();
    let f = Facts::of(&m);
    let c = |field, p: &str| Condition {
        field,
        regex: compile(p).unwrap(),
    };
    assert!(c(Field::To, "^security@corp\\.test$").holds(&f));
    assert!(c(Field::Attachment, "\\.(exe|scr)$").holds(&f));
}

#[test]
fn all_and_any() {
    let mut r = rule(
        "both",
        &[(Field::Subject, "internet"), (Field::Body, "lantai")],
        set_cat("net.down"),
    );
    let only_subject = msg("", "internet", "gedung B");
    assert!(!r.matches(&Facts::of(&only_subject)));
    r.mode = Match::Any;
    assert!(r.matches(&Facts::of(&only_subject)));
    assert!(!r.matches(&Facts::of(&msg("", "printer", "gedung"))));
}

#[test]
fn later_rules_override_and_tags_add_up() {
    let rules = [
        rule(
            "first",
            &[(Field::Subject, "x")],
            Set {
                category: Some("net.down".into()),
                urgency: Some("low".into()),
                tags: vec!["a".into()],
                ..Set::default()
            },
        ),
        rule(
            "second",
            &[(Field::Subject, "x")],
            Set {
                urgency: Some("high".into()),
                impact: Some("high".into()),
                group: Some("infra".into()),
                tags: vec!["b".into(), "a".into()],
                ..Set::default()
            },
        ),
    ];
    let o = classify(&rules, &cat(), &msg("", "x", ""));
    assert_eq!(o.matched.len(), 2);
    let r = o.result;
    assert_eq!(r.category, "net.down");
    assert_eq!(r.urgency, "high", "the later rule wins");
    assert_eq!(r.group, "infra", "a rule's group beats the category's");
    assert_eq!(r.tags, ["a", "b"]);
    assert_eq!(r.priority, 1);
}

#[test]
fn explicit_values_beat_the_category_defaults_whatever_the_order() {
    let rules = [
        rule(
            "urgent",
            &[(Field::Subject, "segera")],
            Set {
                urgency: Some("high".into()),
                ..Set::default()
            },
        ),
        rule(
            "account",
            &[(Field::Subject, "password")],
            set_cat("account"),
        ),
    ];
    let o = classify(&rules, &cat(), &msg("", "password, segera", ""));
    assert_eq!(o.result.category, "account");
    assert_eq!(o.result.ticket_type, "request");
    assert_eq!(o.result.urgency, "high");
    assert_eq!(o.result.impact, "low", "from the category");
    assert_eq!(o.result.priority, 2);
}

#[test]
fn stop_ends_the_run() {
    let mut first = rule(
        "security",
        &[(Field::Text, "phishing")],
        Set {
            ticket_type: Some(TicketType::Security),
            major: Some(true),
            ..Set::default()
        },
    );
    first.stop = true;
    first.notify = vec![EmailAddress::parse("Head@corp.test").unwrap()];
    let rules = [
        first,
        rule("account", &[(Field::Text, "password")], set_cat("account")),
    ];
    let o = classify(&rules, &cat(), &msg("", "phishing: password", ""));
    assert_eq!(o.matched.len(), 1);
    assert!(o.is_security());
    assert!(o.result.major);
    assert_eq!(o.result.category, "other");
    assert_eq!(o.result.notify, ["head@corp.test"]);
    // Without the stop, the second rule applies too.
    let mut rules = rules;
    rules[0].stop = false;
    let o = classify(&rules, &cat(), &msg("", "phishing: password", ""));
    assert_eq!(o.matched.len(), 2);
    assert_eq!(o.result.category, "account");
    assert_eq!(o.result.ticket_type, "security", "set explicitly earlier");
}

#[test]
fn ignore_and_assignee() {
    let rules = [rule(
        "spam",
        &[(Field::From, "@spam\\.example$"), (Field::Subject, "promo")],
        Set {
            ignore: Some(true),
            assignee: Some("budi".into()),
            ..Set::default()
        },
    )];
    let mut m = msg("", "PROMO besar", "");
    assert!(!classify(&rules, &cat(), &m).result.ignore);
    m.from = Some(crate::parse::Mailbox {
        name: None,
        address: EmailAddress::parse("x@spam.example").unwrap(),
    });
    let r = classify(&rules, &cat(), &m).result;
    assert!(r.ignore);
    assert_eq!(r.assignee.as_deref(), Some("budi"));
}
