//! The configuration's checks, read through whole files.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::domain::Status;
use crate::rules::Match;
use crate::sla::due::Recipient;

pub(super) const MINIMAL: &str = r#"
[desk]
name = "IT Helpdesk"
address = "helpdesk@corp.test"
[database]
url = "sqlite://var/posko.db"
[inbound]
kind = "maildir"
path = "var/mail"
[outbound]
kind = "file"
path = "var/outbox"
"#;

#[test]
fn message_budget_defaults_and_checks() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.message_budget.time, Duration::from_secs(30));
    assert_eq!(c.message_budget.memory, 512 << 20);
    let with = |extra: &str| {
        let text = MINIMAL.replace(
            "path = \"var/mail\"\n",
            &format!("path = \"var/mail\"\n{extra}\n"),
        );
        parse(&text, Path::new("x.toml"))
    };
    let c = with("max_processing_time = \"2s\"\nmax_message_memory = \"1GB\"").unwrap();
    assert_eq!(c.message_budget.time, Duration::from_secs(2));
    assert_eq!(c.message_budget.memory, 1 << 30);
    let e = with("max_processing_time = \"10ms\"").unwrap_err();
    assert_eq!(e.key, "inbound.max_processing_time");
    let e = with("max_message_memory = \"100MB\"").unwrap_err();
    assert_eq!(e.key, "inbound.max_message_memory");
    assert!(
        e.reason.contains("3 × inbound.max_message_size (50 MB)"),
        "{}",
        e.reason
    );
    assert!(with("max_message_size = \"10MB\"\nmax_message_memory = \"30MB\"").is_ok());
    let e = with("max_message_memory = \"lots\"").unwrap_err();
    assert_eq!(e.key, "inbound.max_message_memory");
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.desk.tag.as_str(), "Helpdesk");
    assert_eq!(c.desk.language, Language::Id);
    assert_eq!(c.desk.reopen_window, Duration::from_secs(14 * 86400));
}

/// A per-sender limit above the default cap raises the cap with it.
fn with_ack_limit_1000() -> u32 {
    let text = MINIMAL.replace("[database]", "ack_limit = 1000\n[database]");
    parse(&text, Path::new("x.toml"))
        .unwrap()
        .desk
        .ack_limit_total
}

#[test]
fn acknowledgment_caps_and_non_participants() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.desk.ack_limit_total, 100);
    assert!(c.desk.requester_domains.is_empty());
    assert_eq!(c.desk.non_participant, NonParticipant::Note);
    assert_eq!(with_ack_limit_1000(), 1000);
    let with = |lines: &str| {
        parse(
            &MINIMAL.replace("[database]", &format!("{lines}\n[database]")),
            Path::new("x.toml"),
        )
    };
    let c = with(
        "ack_limit_total = 20\nrequester_domains = [\"Corp.test\", \"mitra.co.id\"]\n\
         non_participant = \"new_ticket\"",
    )
    .unwrap();
    assert_eq!(c.desk.ack_limit_total, 20);
    assert_eq!(c.desk.requester_domains, ["corp.test", "mitra.co.id"]);
    assert_eq!(c.desk.non_participant, NonParticipant::NewTicket);
    let e = with("ack_limit = 5\nack_limit_total = 4").unwrap_err();
    assert_eq!(e.key, "desk.ack_limit_total");
    assert!(e.reason.contains("below desk.ack_limit"), "{e}");
    let e = with("requester_domains = [\"@corp.test\"]").unwrap_err();
    assert_eq!(e.key, "desk.requester_domains");
    let e = with("non_participant = \"ignore\"").unwrap_err();
    assert_eq!(e.key, "desk.non_participant");
}

#[test]
fn auth_defaults_to_tokens_and_dkim_needs_an_authserv_id() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.auth.mode, AuthMode::Token);
    assert_eq!(c.auth.secret_env, None);
    assert_eq!(c.auth.close_requires, Role::Manager);
    let e = parse(
        &format!("{MINIMAL}[auth]\nmode = \"dkim\"\n"),
        Path::new("x.toml"),
    )
    .unwrap_err();
    assert_eq!(e.key, "auth.authserv_id");
    let c = parse(
        &format!(
            "{MINIMAL}[auth]\nmode = \"both\"\nauthserv_id = \"mx.corp.test\"\n\
             close_requires = \"agent\"\nsecret_env = \"POSKO_STAFF_SECRET\"\n"
        ),
        Path::new("x.toml"),
    )
    .unwrap();
    assert_eq!(c.auth.mode, AuthMode::Both);
    assert_eq!(c.auth.close_requires, Role::Agent);
    assert_eq!(c.auth.token_lifetime, DEFAULT_TOKEN_LIFETIME);
    assert_eq!(c.auth.recipient_header, None);
    assert_eq!(c.auth.move_requires, Role::Manager);
    let e = parse(
        &format!("{MINIMAL}[auth]\nmode = \"pgp\"\n"),
        Path::new("x.toml"),
    )
    .unwrap_err();
    assert_eq!(e.key, "auth.mode");
}

#[test]
fn token_lifetime_recipient_header_and_desk_address_are_checked() {
    let with = |auth: &str| parse(&format!("{MINIMAL}[auth]\n{auth}\n"), Path::new("x.toml"));
    let c = with("token_lifetime = \"30d\"\nrecipient_header = \"Delivered-To\"").unwrap();
    assert_eq!(c.auth.token_lifetime, Duration::from_secs(30 * 86400));
    assert_eq!(c.auth.recipient_header.as_deref(), Some("Delivered-To"));
    assert_eq!(
        with("token_lifetime = \"10s\"").unwrap_err().key,
        "auth.token_lifetime"
    );
    for sender_written in ["To", "cc", "Reply-To", "", "X Bad"] {
        let e = with(&format!("recipient_header = {sender_written:?}")).unwrap_err();
        assert_eq!(e.key, "auth.recipient_header", "{sender_written}");
    }
    let long = MINIMAL.replace(
        "helpdesk@corp.test",
        "it-servicedesk-kantor-pusat-jakarta@corp.test",
    );
    let e = parse(&long, Path::new("x.toml")).unwrap_err();
    assert_eq!(e.key, "desk.address");
    assert!(e.reason.contains("at most 25"), "{e}");
}

#[test]
fn unknown_key_is_named_with_line() {
    let text = MINIMAL.replace("[inbound]", "[inbound]\nhots = \"x\"");
    let e = parse(&text, Path::new("x.toml")).unwrap_err();
    assert_eq!(e.key, "hots");
    assert!(e.file.starts_with("x.toml:"), "{e}");
}

#[test]
fn imap_without_host_is_refused() {
    let text = MINIMAL.replace("kind = \"maildir\"", "kind = \"imap\"");
    let e = parse(&text, Path::new("x.toml")).unwrap_err();
    assert_eq!(e.key, "inbound.host");
}

#[test]
fn plain_text_to_remote_host_is_refused() {
    let text = MINIMAL.replace(
        "kind = \"maildir\"\npath = \"var/mail\"",
        "kind = \"imap\"\nhost = \"mail.example.com\"\nsecurity = \"none\"\nusername = \"u\"\npassword_env = \"P\"",
    );
    let e = parse(&text, Path::new("x.toml")).unwrap_err();
    assert_eq!(e.key, "inbound.security");
}

#[test]
fn without_a_catalogue_every_ticket_is_other_at_the_service_desk() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.catalogue.default_category().key, "other");
    assert!(c.rules.is_empty());
    assert_eq!(c.catalogue.priority.priority("medium", "medium"), Some(2));
}

const CATALOGUE: &str = r#"
[[group]]
key = "servicedesk"
name = "Service Desk"
level = 1
[[group]]
key = "network"
name = "Network"
level = 2
[[category]]
key = "other"
name = { id = "Lainnya", en = "Other" }
type = "incident"
group = "servicedesk"
urgency = "medium"
impact = "medium"
[[category]]
key = "network.internet-down"
name = { id = "Internet mati", en = "Internet down" }
type = "incident"
group = "network"
urgency = "high"
impact = "medium"
"#;

fn with(extra: &str) -> Result<Config, ConfigError> {
    parse(&format!("{MINIMAL}{CATALOGUE}{extra}"), Path::new("c.toml"))
}

#[test]
fn a_rule_is_compiled_and_checked() {
    let c = with(
        r#"
[[rule]]
name = "internet down"
subject = '(internet|wifi|jaringan).*(mati|down|putus)'
header = { "X-Priority" = "1" }
match = "any"
set = { category = "network.internet-down", urgency = "high", tags = ["net"] }
notify = ["head@corp.test"]
stop = true
"#,
    )
    .unwrap();
    let r = &c.rules[0];
    assert_eq!(r.name, "internet down");
    assert_eq!(r.conditions.len(), 2);
    assert_eq!(r.mode, Match::Any);
    assert!(r.stop);
    assert!(r.conditions[0].regex.is_match("INTERNET MATI"));
}

#[test]
fn invalid_regex_names_file_rule_and_reason() {
    let e = with(
        "[[rule]]
name = \"bad\"
subject = '(internet'
set = { urgency = \"high\" }
",
    )
    .unwrap_err();
    assert_eq!(e.file, "c.toml");
    assert_eq!(e.key, "rule[0] \"bad\".subject");
    assert!(e.reason.contains("invalid regex"), "{e}");
}

#[test]
fn unknown_category_group_or_assignee_in_a_rule() {
    let e = with(
        "[[rule]]
name = \"x\"
subject = 'a'
set = { category = \"nope\" }
",
    )
    .unwrap_err();
    assert_eq!(e.key, "rule[0] \"x\".set.category");
    assert!(e.reason.contains("unknown category \"nope\""), "{e}");
    let e = with(
        "[[rule]]
subject = 'a'
set = { group = \"nope\" }
",
    )
    .unwrap_err();
    assert_eq!(e.key, "rule[0] \"rule 1\".set.group");
    let e = with(
        "[[rule]]
subject = 'a'
set = { assignee = \"nobody\" }
",
    )
    .unwrap_err();
    assert!(e.key.ends_with("set.assignee"), "{e}");
    let e = with(
        "[[rule]]
subject = 'a'
set = { urgency = \"urgent\" }
",
    )
    .unwrap_err();
    assert!(e.key.ends_with("set.urgency"), "{e}");
    let e = with(
        "[[rule]]
name = \"empty\"
set = { urgency = \"high\" }
",
    )
    .unwrap_err();
    assert!(e.reason.contains("no condition"), "{e}");
}

#[test]
fn category_with_unknown_group() {
    let text = format!("{MINIMAL}{CATALOGUE}")
        .replace("group = \"network\"\nurgency", "group = \"nets\"\nurgency");
    let e = parse(&text, Path::new("c.toml")).unwrap_err();
    assert!(e.key.ends_with(".group"), "{e}");
    assert!(e.reason.contains("\"nets\""), "{e}");
}

const FOUR_LEVELS: &str = r#"
[priority]
urgency = ["high", "medium", "low"]
impact = ["high", "medium", "low"]
levels = [
  { value = 1, name = { id = "Mendesak", en = "Urgent" } },
  { value = 2, name = { id = "Tinggi", en = "High" } },
  { value = 3, name = { id = "Sedang", en = "Medium" } },
  { value = 4, name = { id = "Rendah", en = "Low" } },
]
[priority.matrix]
high   = { high = 1, medium = 2, low = 3 }
medium = { high = 2, medium = 3, low = 4 }
low    = { high = 3, medium = 4, low = 4 }
"#;

#[test]
fn a_four_level_matrix_is_expressible() {
    let c = with(FOUR_LEVELS).unwrap();
    let p = &c.catalogue.priority;
    assert_eq!(p.priority("high", "high"), Some(1));
    assert_eq!(p.priority("low", "low"), Some(4));
    assert_eq!(p.describe(1, Language::En), "1 (Urgent)");
}

#[test]
fn a_matrix_with_a_hole_is_refused() {
    let text = FOUR_LEVELS.replace(
        "low    = { high = 3, medium = 4, low = 4 }",
        "low    = { high = 3, medium = 4 }",
    );
    let e = with(&text).unwrap_err();
    assert_eq!(e.key, "priority.matrix.low.low");
    assert!(e.reason.contains("hole"), "{e}");
    let text = FOUR_LEVELS.replace("low = 4 }\nlow", "low = 5 }\nlow");
    let e = with(&text).unwrap_err();
    assert!(e.reason.contains("not one of the priority levels"), "{e}");
}

#[test]
fn the_shipped_config_is_valid() {
    let c = parse(
        include_str!("../../config/posko.toml"),
        Path::new("config/posko.toml"),
    )
    .unwrap();
    assert!(c.rules.len() > 20);
    assert!(c.catalogue.categories.len() > 30);
    assert_eq!(c.managers().count(), 2);
    assert_eq!(c.catalogue.default_category().key, "other");
    // The city SOP's SLA table, business hours with the holiday file,
    // and the catalogue's per-category targets.
    let t = c.sla.targets(1, Some("network.internet-down")).unwrap();
    assert_eq!(
        (t.response, t.resolution, t.business_hours),
        (600, 8 * 3600, true)
    );
    let t = c.sla.targets(2, Some("request.account")).unwrap();
    assert_eq!((t.response, t.resolution), (3600, 8 * 3600));
    assert_eq!(c.sla.targets(3, None).unwrap().resolution, 48 * 3600);
    assert!(c.calendar.holidays().count() > 20);
    assert_eq!(c.escalation.chain.len(), 3);
    assert_eq!(c.escalation.warn_at, vec![0.75]);
}

#[test]
fn sla_sections_are_wired_and_checked() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.sla, crate::sla::SlaPolicy::default());
    assert_eq!(c.escalation, crate::sla::due::Policy::default());
    let text = format!(
        "{MINIMAL}\n[[staff]]\nname = \"H\"\nemail = \"h@corp.test\"\nhandle = \"hendra\"\nlevel = 2\n\
         [calendar]\nhours = \"24x7\"\n[[sla]]\npriority = 1\nresponse = \"15m\"\nresolution = \"1x8h\"\n\
         [escalation]\nchain = [\"group\", \"hendra\", \"kabag@corp.test\"]\nevery = 1.0\nscan_interval = \"5s\""
    );
    let c = parse(&text, Path::new("x.toml")).unwrap();
    assert!(c.calendar.is_always_open());
    assert_eq!(c.sla.targets(1, None).unwrap().resolution, 8 * 3600);
    assert_eq!(c.escalation.chain[1], Recipient::Staff("hendra".into()));
    assert_eq!(c.escalation.scan_interval, Duration::from_secs(5));
    for (extra, key) in [
        ("[escalation]\nchain = [\"nobody\"]", "escalation.chain[0]"),
        (
            "[escalation]\nchain = [\"group:nope\"]",
            "escalation.chain[0]",
        ),
        ("[escalation]\nevery = 0.0", "escalation.every"),
        ("[escalation]\nwarn_at = [1.5]", "escalation.warn_at[0]"),
        (
            "[calendar]\nholidays = [\"2026-13-01\"]",
            "calendar.holidays[0]",
        ),
        (
            "[[sla]]\npriority = 1\nresponse = \"soon\"\nresolution = \"8h\"",
            "sla[0].response",
        ),
    ] {
        let e = parse(&format!("{MINIMAL}\n{extra}"), Path::new("x.toml")).unwrap_err();
        assert_eq!(e.key, key, "{extra}: {e}");
    }
}

#[test]
fn durations_and_sizes() {
    assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
    assert!(parse_duration("10").is_err());
    assert!(parse_duration("3w").is_err());
    assert_eq!(parse_duration("400ms").unwrap(), Duration::from_millis(400));
    assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
    assert!(parse_duration("h").is_err());
    assert!(parse_duration("5 minutes").is_err());
    assert_eq!(parse_size("25MB").unwrap(), 25 * 1024 * 1024);
    assert!(parse_size("lots").is_err());
}

fn shipped_msg(extra_headers: &str, subject: &str, body: &str) -> crate::parse::InboundMessage {
    let raw = format!(
        "From: Alice <alice@corp.test>\r\nTo: helpdesk@corp.test\r\nSubject: {subject}\r\n\
         Message-ID: <m1@corp.test>\r\n{extra_headers}\r\n{body}\r\n"
    );
    crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
}

/// The shipped rules on the issue's stories and the catalogue's keywords.
#[test]
fn shipped_rules() {
    let cfg = parse(
        include_str!("../../config/posko.toml"),
        std::path::Path::new("config/posko.toml"),
    )
    .unwrap();
    let cases: &[(&str, &str, &str, &str, u8, &str)] = &[
        // (subject, body, type, category, priority, group)
        (
            "Internet mati di lantai 3, semua user tidak bisa kerja",
            "",
            "incident",
            "network.internet-down",
            1,
            "network",
        ),
        (
            "Internet lambat di gedung B",
            "lambat sekali sejak kemarin",
            "incident",
            "network.internet-slow",
            2,
            "network",
        ),
        (
            "wifi putus terus",
            "",
            "incident",
            "network.internet-down",
            1,
            "network",
        ),
        (
            "Mohon reset password SIAKAD",
            "",
            "request",
            "request.account",
            3,
            "servicedesk",
        ),
        (
            "Forgot my password",
            "please reset it",
            "request",
            "request.account",
            3,
            "servicedesk",
        ),
        (
            "minta akses aplikasi keuangan",
            "",
            "access",
            "access.access",
            3,
            "servicedesk",
        ),
        (
            "RFC: upgrade server email",
            "",
            "change",
            "change.rfc",
            3,
            "infrastructure",
        ),
        (
            "Hati-hati email phishing",
            "ada email minta login",
            "security",
            "security.incident",
            1,
            "infrastructure",
        ),
        (
            "Password saya bocor",
            "",
            "security",
            "security.incident",
            1,
            "infrastructure",
        ),
        (
            "leaked password on pastebin",
            "",
            "security",
            "security.incident",
            1,
            "infrastructure",
        ),
        (
            "Komputer kena virus",
            "",
            "security",
            "hardware.virus",
            1,
            "infrastructure",
        ),
        (
            "Printer lantai 2 rusak",
            "",
            "incident",
            "hardware.printer",
            3,
            "infrastructure",
        ),
        (
            "Laptop saya hang terus",
            "",
            "incident",
            "hardware.laptop-hang",
            3,
            "infrastructure",
        ),
        (
            "Komputer rusak tidak bisa dipakai",
            "",
            "incident",
            "hardware.computer-broken",
            2,
            "infrastructure",
        ),
        (
            "Server email lumpuh",
            "seluruh kantor tidak bisa kirim email",
            "incident",
            "hardware.server-down",
            1,
            "infrastructure",
        ),
        (
            "Data penjualan hilang",
            "",
            "incident",
            "data.lost",
            1,
            "appdev",
        ),
        (
            "Aplikasi kepegawaian tidak bisa diakses",
            "",
            "incident",
            "app.down",
            1,
            "appdev",
        ),
        (
            "Selamat pagi",
            "Mau tanya jadwal rapat",
            "incident",
            "other",
            2,
            "servicedesk",
        ),
        (
            "[SPAM] Promo pinjaman",
            "",
            "incident",
            "other",
            2,
            "servicedesk",
        ),
    ];
    let mut failures = Vec::new();
    for (subject, body, ty, category, priority, group) in cases {
        let o = crate::rules::classify(&cfg.rules, &cfg.catalogue, &shipped_msg("", subject, body));
        let r = &o.result;
        let got = (
            r.ticket_type,
            r.category.as_str(),
            r.priority,
            r.group.as_str(),
        );
        if got != (*ty, *category, *priority, *group) {
            failures.push(format!("{subject:?}: got {got:?} via {:?}", o.matched));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let spam = crate::rules::classify(
        &cfg.rules,
        &cfg.catalogue,
        &shipped_msg("", "[SPAM] Promo", ""),
    );
    assert!(spam.result.ignore);
    let major = crate::rules::classify(
        &cfg.rules,
        &cfg.catalogue,
        &shipped_msg("", "Server email lumpuh", ""),
    );
    assert!(major.result.major);
    let alias = crate::rules::classify(
        &cfg.rules,
        &cfg.catalogue,
        &shipped_msg("Cc: security@corp.test\r\n", "Laporan", "ada yang aneh"),
    );
    assert!(alias.is_security());
    assert_eq!(alias.matched[0].rule, "security alias");
}

// `[[sla]]`, `[clocks]` and `[escalation]`, read through whole files.

const MIN: i64 = 60;
const H: i64 = 3600;

fn table(text: &str) -> Result<(crate::sla::SlaPolicy, Vec<f64>), ConfigError> {
    let c = parse(&format!("{MINIMAL}{text}"), Path::new("p.toml"))?;
    Ok((c.sla, c.escalation.warn_at))
}

#[test]
fn the_default_is_the_city_sop_table() {
    let (policy, warn_at) = table("").unwrap();
    assert_eq!(policy, crate::sla::SlaPolicy::default());
    assert_eq!(warn_at, vec![0.75]);
    let rows: Vec<(u8, i64, i64)> = policy
        .priorities()
        .map(|(p, t)| (p.get(), t.response, t.resolution))
        .collect();
    assert_eq!(
        rows,
        [(1, 10 * MIN, 8 * H), (2, H, 24 * H), (3, 4 * H, 48 * H)]
    );
    assert!(policy.priorities().all(|(_, t)| t.business_hours));
    assert_eq!(policy.targets(4, None), None);
}

#[test]
fn twenty_four_seven_policies_count_wall_time() {
    let (policy, _) = table(
        r#"
[[sla]]
priority = 1
response = "15m"
resolution = "4h"
business_hours = false
[[sla]]
priority = 2
response = "1h"
resolution = "3x8h"
"#,
    )
    .unwrap();
    // Listing priorities replaces the default table.
    assert_eq!(policy.targets(2, None).unwrap().resolution, 24 * H);
    assert_eq!(policy.targets(3, None), None);
}

#[test]
fn category_overrides_priority() {
    let (policy, _) = table(
        r#"
[[sla]]
category = "Incident-Network"
resolution = "1x8h"
[[sla]]
category = "incident-network"
priority = 3
response = "2h"
[[sla]]
category = "Request-Access"
response = "1h"
resolution = "6x8h"
business_hours = true
[clocks]
pause_on = ["pending", "new"]
[escalation]
warn_at = [0.9, 0.5, 0.9]
"#,
    )
    .unwrap();
    // Default priorities still apply; the category changes resolution only.
    let t = policy.targets(2, Some("Incident-Network")).unwrap();
    assert_eq!((t.response, t.resolution), (H, 8 * H));
    // A rule for the category and this priority wins.
    let t = policy.targets(3, Some("INCIDENT-NETWORK")).unwrap();
    assert_eq!((t.response, t.resolution), (2 * H, 48 * H));
    // A complete category rule needs no priority target at all.
    let t = policy.targets(7, Some("Request-Access")).unwrap();
    assert_eq!((t.response, t.resolution), (H, 48 * H));
    assert_eq!(policy.targets(7, Some("Incident-Network")), None);
    // Other categories fall back to the priority.
    assert_eq!(policy.targets(1, Some("Other")), policy.targets(1, None));
    assert!(policy.pauses(Status::New));
    let (_, warn_at) = table("[escalation]\nwarn_at = [0.9, 0.5, 0.9]").unwrap();
    assert_eq!(warn_at, vec![0.5, 0.9]);
}

#[test]
fn configuration_errors_name_the_key() {
    let cases = [
        (
            "[[sla]]\npriority = 1\nresponse = \"10 minutes\"\nresolution = \"8h\"",
            "sla[0].response",
        ),
        (
            "[[sla]]\npriority = 1\nresponse = \"10m\"",
            "sla[0].resolution",
        ),
        ("[[sla]]\nresponse = \"10m\"", "sla[0]"),
        (
            "[[sla]]\npriority = 0\nresponse = \"1m\"\nresolution = \"1h\"",
            "sla[0].priority",
        ),
        (
            "[[sla]]\npriority = 1\nresponse = \"1m\"\nresolution = \"1h\"\n[[sla]]\npriority = 1\nresponse = \"1m\"\nresolution = \"1h\"",
            "sla[1].priority",
        ),
        ("[[sla]]\ncategory = \"Data\"", "sla[0]"),
        (
            "[[sla]]\ncategory = \"Data\"\nresolution = \"0x8h\"",
            "sla[0].resolution",
        ),
        ("[clocks]\npause_on = [\"waiting\"]", "clocks.pause_on[0]"),
        ("[clocks]\npause_on = [\"resolved\"]", "clocks.pause_on[0]"),
        (
            "[escalation]\nwarn_at = [0.5, 1.0]",
            "escalation.warn_at[1]",
        ),
        ("[escalation]\nwarn_at = [-0.5]", "escalation.warn_at[0]"),
    ];
    for (text, key) in cases {
        let e = table(text).unwrap_err();
        assert_eq!(e.key, key, "{text}: {e}");
        assert_eq!(e.file, "p.toml");
    }
    // Unknown keys are refused by serde.
    assert!(table("[[sla]]\nx = 1").is_err());
    let e = table("[escalation]\nwarn_at = [0.5]\nwarn = 1").unwrap_err();
    assert!(e.reason.contains("warn"), "{e}");
}

#[test]
fn the_digest_section_is_read_and_checked_by_its_keys() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert!(!c.digest.enabled);
    assert_eq!(c.digest.at.to_string(), "07:00:00");
    let with = |section: &str| {
        parse(
            &format!("{MINIMAL}\n[digest]\n{section}\n"),
            Path::new("x.toml"),
        )
    };
    let c = with("enabled = true\nat = \"06:30\"\nto = [\"kepala@corp.test\"]").unwrap();
    assert!(c.digest.enabled);
    assert_eq!(c.digest.at.to_string(), "06:30:00");
    assert_eq!(with("at = \"7 pagi\"").unwrap_err().key, "digest.at");
    assert_eq!(
        with("to = [\"bukan alamat\"]").unwrap_err().key,
        "digest.to"
    );
    assert_eq!(with("colour = \"blue\"").unwrap_err().key, "colour");
}

#[test]
fn web_defaults_to_loopback_and_checks_its_addresses() {
    let c = parse(MINIMAL, Path::new("x.toml")).unwrap();
    assert_eq!(c.web, Web::default());
    assert_eq!(c.web.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.web.public_url, "http://127.0.0.1:8080");
    let c = with(
        "[web]\nlisten = \"0.0.0.0:8081\"\npublic_url = \"https://helpdesk.corp.test/\"\nops_listen = \"127.0.0.1:9090\"",
    )
    .unwrap();
    assert_eq!(c.web.listen.to_string(), "0.0.0.0:8081");
    assert_eq!(c.web.public_url, "https://helpdesk.corp.test");
    assert_eq!(c.web.ops_listen.unwrap().to_string(), "127.0.0.1:9090");
    assert!(!with("[web]\nenabled = false").unwrap().web.enabled);
    for (text, key) in [
        ("[web]\nlisten = \"localhost\"", "web.listen"),
        ("[web]\nops_listen = \"127.0.0.1:8080\"", "web.ops_listen"),
        ("[web]\npublic_url = \"ftp://x\"", "web.public_url"),
        ("[web]\npublic_url = \"helpdesk\"", "web.public_url"),
    ] {
        assert_eq!(with(text).unwrap_err().key, key, "{text}");
    }
}

#[test]
fn group_leads_get_their_groups_digest() {
    let leads = |lead: &str| {
        let text = format!("{MINIMAL}{CATALOGUE}").replace(
            "name = \"Network\"\nlevel = 2\n",
            &format!("name = \"Network\"\nlevel = 2\n{lead}\n"),
        );
        parse(&text, Path::new("c.toml"))
    };
    let c = leads("lead = \"budi@corp.test\"").unwrap();
    let net = c.catalogue.group("network").unwrap();
    assert_eq!(net.leads.len(), 1);
    assert_eq!(net.leads[0].as_str(), "budi@corp.test");
    let c = leads("lead = [\"budi@corp.test\", \"Budi@Corp.test\", \"ani@corp.test\"]").unwrap();
    let jobs = crate::digest::send::jobs(&c);
    // No manager in MINIMAL: only the leads, each once, on their group.
    let got: Vec<(&str, &str)> = jobs
        .iter()
        .map(|j| (j.to.as_str(), j.scope.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![("budi@corp.test", "network"), ("ani@corp.test", "network")]
    );
    let e = leads("lead = \"not an address\"").unwrap_err();
    assert_eq!(e.key, "group[1].lead");
    assert!(leads("lead = 3").is_err());
}
