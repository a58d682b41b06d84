//! Issue 11, the desk's side: `posko surveys list / export` and the
//! report's satisfaction and closure figures, through the binary on
//! SQLite and PostgreSQL. Survey rows and `closed_by` are written the way
//! migration 0006 describes them (the resolution and the survey page,
//! which write them, are another part of the issue).

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko, ok};
use crate::show::answered_survey;
use crate::staff::desk;

/// 24 Nov 2026 10:00 WIB: when the surveys went out.
const SENT: i64 = 1_795_489_200;

/// Three tickets of Alice's, recorded on 23 Nov 2026 (WIB).
async fn three_tickets(stack: &MailStack, posko: &Posko) {
    for (n, subject) in ["Internet lambat", "Printer, lantai 2", "VPN putus"]
        .iter()
        .enumerate()
    {
        let raw = mail::plain(
            "Alice Wijaya <alice@corp.test>",
            subject,
            &format!("s{n}@corp.test"),
            "",
            "Tolong dibantu.",
        );
        stack
            .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
            .await;
        posko.run_once_at(&format!("2026-11-23T09:0{n}:00+07:00"));
    }
}

/// Surveys of tickets 1–3 and how 1 and 2 were closed: #1 answered 5 by
/// the requester, who closed it; #2 answered 2 with a comment that tries
/// to be a spreadsheet formula, closed automatically; #3 reopened once
/// (its first survey superseded unanswered), its second still open.
async fn survey_rows(posko: &Posko) {
    answered_survey(
        posko,
        1,
        SENT,
        r#"{"reporting": 5, "speed": 4, "overall": 5}"#,
        5,
        "Bagus, \"cepat\"\nterima kasih",
    )
    .await;
    answered_survey(
        posko,
        2,
        SENT + 60,
        r#"{"speed": 1, "overall": 2, "retired_question": 3}"#,
        2,
        "=HYPERLINK(\"http://evil.test\",\"klik\")",
    )
    .await;
    for (n, state) in [(0, "superseded"), (1, "open")] {
        posko
            .sql(&format!(
                "INSERT INTO surveys (ticket_id, token_hash, state, language, sent_at, \
                 expires_at) VALUES (3, 'h3-{n}', '{state}', 'en', {}, {})",
                SENT + 120 + n,
                SENT + 120 + n + 30 * 86_400
            ))
            .await;
    }
    for (id, by) in [(1, "requester"), (2, "auto")] {
        posko
            .sql(&format!(
                "UPDATE tickets SET status = 'closed', closed_at = {SENT}, closed_by = '{by}' \
                 WHERE id = {id}"
            ))
            .await;
    }
    posko
        .sql(&format!(
            "INSERT INTO events (ticket_id, kind, actor, at, data) VALUES (3, 'reopened', \
             'alice@corp.test', {SENT}, '{{\"from\": \"resolved\", \"to\": \"in_progress\"}}')"
        ))
        .await;
}

/// `surveys list` with and without a period, as JSON and text, and a
/// date that is not one.
async fn surveys_list(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    three_tickets(&stack, &posko).await;
    survey_rows(&posko).await;
    let all: Vec<Value> =
        serde_json::from_str(&ok(posko.cmd(&["surveys", "list", "--json"]), "list")).unwrap();
    assert_eq!(all.len(), 4, "{all:#?}");
    assert_eq!(all[0]["ticket"], 1);
    assert_eq!(all[0]["subject"], "Internet lambat");
    assert_eq!(all[0]["state"], "answered");
    assert_eq!(all[0]["language"], "id");
    assert_eq!(all[0]["sent_at"], "2026-11-24T03:00:00+00:00");
    assert_eq!(all[0]["answered_at"], "2026-11-24T03:10:00+00:00");
    assert_eq!(all[0]["score"], 5);
    assert_eq!(all[1]["subject"], "Printer, lantai 2");
    assert_eq!(all[3]["state"], "open");
    assert_eq!(all[3]["answered_at"], Value::Null);
    assert_eq!(all[3]["score"], Value::Null);
    let day = |from: &str, to: &str| -> Vec<Value> {
        let out = ok(
            posko.cmd(&["surveys", "list", "--from", from, "--to", to, "--json"]),
            "list period",
        );
        serde_json::from_str(&out).unwrap()
    };
    assert_eq!(day("2026-11-24", "2026-11-24").len(), 4);
    assert_eq!(day("2026-11-25", "2026-12-31").len(), 0);
    assert_eq!(day("2026-11-01", "2026-11-23").len(), 0);
    let text = ok(posko.cmd(&["surveys", "list"]), "list text");
    assert!(text.starts_with("TICKET  STATE"), "{text}");
    assert!(text.contains("Printer, lantai 2"), "{text}");
    let bad = posko.cmd(&["surveys", "list", "--from", "24/11/2026"]);
    assert_eq!(bad.status.code(), Some(64));
}
both!(surveys_list);

/// `surveys export --format csv`: one row per answered survey, a column
/// per question in the survey's order (a retired one after them), and
/// the comments quoted right and made inert for spreadsheets.
async fn surveys_export(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    three_tickets(&stack, &posko).await;
    survey_rows(&posko).await;
    let csv = ok(
        posko.cmd(&["surveys", "export", "--format", "csv"]),
        "export",
    );
    let want = "ticket,answered_at,reporting,speed,quality,fit,friendliness,information,\
         timeliness,overall,facilities,service_fit,retired_question,comment\n\
         1,2026-11-24T03:10:00+00:00,5,4,,,,,,5,,,,\"Bagus, \"\"cepat\"\"\nterima kasih\"\n\
         2,2026-11-24T03:11:00+00:00,,1,,,,,,2,,,3,\
         \"'=HYPERLINK(\"\"http://evil.test\"\",\"\"klik\"\")\"\n";
    assert_eq!(csv, want);
    let bad = posko.cmd(&["surveys", "export", "--format", "xlsx"]);
    assert_eq!(bad.status.code(), Some(64));
}
both!(surveys_export);

/// `posko report`: satisfaction overall and per question, response rate,
/// who closed, reopened after resolution; in JSON and in the table.
async fn report_satisfaction_and_closure(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    three_tickets(&stack, &posko).await;
    survey_rows(&posko).await;
    let args = ["report", "--from", "2026-11-01", "--to", "2026-11-30"];
    let json = ok(
        posko.cmd(&[&args[..], &["--format", "json"]].concat()),
        "report json",
    );
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    let c = rows
        .iter()
        .find(|r| r["by"] == "closure")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(c["surveys_sent"], 3, "{c:#}");
    assert_eq!(c["surveys_answered"], 2);
    assert_eq!(c["survey_response_pct"], 66.7);
    assert_eq!(c["satisfaction_average"], 3.5);
    let q = c["satisfaction_by_question"].as_array().unwrap();
    assert_eq!(q[0]["key"], "reporting");
    assert_eq!(q[0]["answers"], 1);
    assert_eq!(q[0]["average"], 5.0);
    assert_eq!(q[1]["key"], "speed");
    assert_eq!(q[1]["average"], 2.5);
    assert_eq!(q[2]["key"], "quality");
    assert_eq!(q[2]["average"], Value::Null);
    assert_eq!(q.last().unwrap()["key"], "retired_question");
    assert_eq!(c["closed"], 2);
    assert_eq!(c["closed_by_requester"], 1);
    assert_eq!(c["closed_by_auto"], 1);
    assert_eq!(c["closed_by_staff"], 0);
    assert_eq!(c["closed_by_requester_pct"], 50.0);
    assert_eq!(c["reopened_after_resolution"], 1);
    // The rows per priority and category are still there.
    assert!(rows.iter().any(|r| r["by"] == "category"));
    let table = ok(posko.cmd(&args), "report table");
    for want in [
        "satisfaction and closure",
        "surveys answered           2 of 3 (66.7%)",
        "average satisfaction       3.50 of 5",
        "    speed             2.50  (2 answers)",
        "closed                     2: by requester 1 (50.0%), by staff 0 (0.0%), automatically 1 (50.0%)",
        "reopened after resolution  1",
    ] {
        assert!(table.contains(want), "{want:?} not in:\n{table}");
    }
    // A period without tickets has no figures.
    let empty = ok(
        posko.cmd(&[
            "report",
            "--from",
            "2026-07-01",
            "--to",
            "2026-10-31",
            "--format",
            "json",
        ]),
        "report empty",
    );
    assert_eq!(serde_json::from_str::<Vec<Value>>(&empty).unwrap().len(), 0);
}
both!(report_satisfaction_and_closure);
