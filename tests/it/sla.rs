//! Issue "Service levels": clocks, warnings, breaches, the escalation chain
//! and the report, through the binary on both databases. Time is passed with
//! `run --once --now`; no test sleeps to let time pass.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail;
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Options, Posko, ok};

const WAIT: Duration = Duration::from_secs(20);

/// The shipped catalogue and rules, the shipped holiday file, and the
/// escalation chain service desk → division head (hendra) → director (ratna).
async fn desk(backend: Backend, stack: &MailStack) -> Posko {
    let holidays = concat!(env!("CARGO_MANIFEST_DIR"), "/config/holidays-id.toml");
    Posko::with(
        backend,
        stack,
        Options {
            catalogue: true,
            extra: format!(
                "[calendar]\nholidays_file = \"{holidays}\"\n\n\
                 [escalation]\nwarn_at = [0.75]\nchain = [\"level:1\", \"hendra\", \"ratna\"]\nevery = 0.5\n"
            ),
            ..Options::default()
        },
    )
    .await
}

const P1_SUBJECT: &str = "Internet mati di lantai 3, semua user tidak bisa kerja";

async fn mail_from(stack: &MailStack, from: &str, subject: &str, id: &str, body: &str) {
    let addr = from
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(from)
        .to_string();
    let raw = mail::plain(from, subject, id, "", body);
    stack.deliver(&addr, &["helpdesk@corp.test"], &raw).await;
}

/// `tickets show ID --json --now NOW`: the clocks as of that instant.
fn ticket_at(posko: &Posko, id: i64, now: &str) -> Value {
    let out = ok(
        posko.cmd(&["tickets", "show", &id.to_string(), "--json", "--now", now]),
        "tickets show",
    );
    serde_json::from_str(&out).expect("tickets show JSON")
}

fn events_of(t: &Value, kind: &str) -> usize {
    t["events"]
        .as_array()
        .expect("events[]")
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

/// Subjects of the SLA mail in `user`'s inbox.
async fn sla_mail(stack: &MailStack, user: &str) -> Vec<String> {
    stack
        .inbox(user)
        .await
        .iter()
        .map(|m| mail::subject(m))
        .filter(|s| s.contains("SLA") || s.contains("Eskalasi"))
        .collect()
}

/// Polls until `user` has `n` SLA mails, then checks no more arrive.
async fn expect_sla_mail(stack: &MailStack, user: &str, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = sla_mail(stack, user).await;
        if got.len() >= n || tokio::time::Instant::now() > deadline {
            assert_eq!(got.len(), n, "{user}: {got:#?}");
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A desk where Alice reported a priority-1 outage (message `id`) at 07:55
/// on Monday 23 November 2026, Jakarta time: ticket #1.
async fn p1_at_0755(backend: Backend, id: &str) -> (MailStack, Posko) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    mail_from(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        P1_SUBJECT,
        id,
        "Sejak pagi.",
    )
    .await;
    posko.run_once_at("2026-11-23T07:55:00+07:00");
    (stack, posko)
}

/// The story: a priority-1 ticket at 07:55 on a Monday in Jakarta; the
/// acknowledgment states 10 minutes / 8 hours; clocks start at 08:00; the
/// warning at 75 % goes to the group once; the breach to the group and the
/// service desk; further breaches climb to the division head and director.
async fn p1_warning_breach_and_escalation_chain(backend: Backend) {
    let (stack, posko) = p1_at_0755(backend, "p1@corp.test").await;

    let ack = stack.wait_for_mail("alice", 1, WAIT).await.remove(0);
    let text = mail::body_text(&ack);
    assert!(
        text.contains("kami merespons dalam 10 menit dan menargetkan\nselesai dalam 8 jam"),
        "{text}"
    );
    let t = ticket_at(&posko, 1, "2026-11-23T07:55:00+07:00");
    assert_eq!(t["priority"], 1);
    let sla = &t["sla"];
    assert_eq!(sla["response"]["target_seconds"], 600);
    assert_eq!(sla["resolution"]["target_seconds"], 8 * 3600);
    // The desk opens at 08:00 (01:00 UTC): due 08:10 and 16:00 local.
    assert_eq!(sla["response"]["due_at"], "2026-11-23T01:10:00+00:00");
    assert_eq!(sla["resolution"]["due_at"], "2026-11-23T09:00:00+00:00");
    assert_eq!(sla["response"]["state"], "running");
    assert_eq!(sla["response"]["elapsed_seconds"], 0);

    // Just before 75 %: nothing. At 08:07:30 the warning, to the network
    // group (Budi; nobody is assigned); again at the same or a later instant:
    // still one.
    assert!(
        posko
            .run_once_at("2026-11-23T08:07:29+07:00")
            .contains("0 warnings")
    );
    assert!(
        posko
            .run_once_at("2026-11-23T08:07:30+07:00")
            .contains("1 warnings")
    );
    posko.run_once_at("2026-11-23T08:07:30+07:00");
    posko.run_once_at("2026-11-23T08:09:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T08:09:00+07:00");
    assert_eq!(events_of(&t, "sla_warning"), 1);
    assert_eq!(events_of(&t, "sla_breach"), 0);
    let budi = expect_sla_mail(&stack, "budi", 1).await;
    assert!(budi[0].contains("Peringatan SLA (respons 75%)"), "{budi:?}");
    assert!(budi[0].contains("[Helpdesk #1]"), "{budi:?}");
    assert!(sla_mail(&stack, "siti").await.is_empty());

    // 08:10:01, the first second past the target: the breach notice to the
    // group and the first step of the chain (the service desk).
    let out = posko.run_once_at("2026-11-23T08:10:01+07:00");
    assert!(out.contains("1 breaches"), "{out}");
    posko.run_once_at("2026-11-23T08:12:00+07:00");
    let budi = expect_sla_mail(&stack, "budi", 2).await;
    assert!(budi[1].contains("SLA terlampaui (respons)"), "{budi:?}");
    let siti = expect_sla_mail(&stack, "siti", 1).await;
    assert!(siti[0].contains("SLA terlampaui (respons)"), "{siti:?}");
    assert!(sla_mail(&stack, "manager").await.is_empty());
    let t = ticket_at(&posko, 1, "2026-11-23T08:12:00+07:00");
    assert_eq!(t["sla"]["response"]["state"], "breached");

    // Still nobody: at 150 % the division head, at 200 % the director.
    posko.run_once_at("2026-11-23T08:15:00+07:00");
    let hendra = expect_sla_mail(&stack, "manager", 1).await;
    assert!(hendra[0].contains("Eskalasi tingkat 2"), "{hendra:?}");
    assert!(sla_mail(&stack, "director").await.is_empty());
    posko.run_once_at("2026-11-23T08:30:00+07:00");
    posko.run_once_at("2026-11-23T08:31:00+07:00");
    let ratna = expect_sla_mail(&stack, "director", 1).await;
    assert!(ratna[0].contains("Eskalasi tingkat 3"), "{ratna:?}");
    let t = ticket_at(&posko, 1, "2026-11-23T08:31:00+07:00");
    assert_eq!(events_of(&t, "sla_warning"), 1);
    assert_eq!(events_of(&t, "sla_breach"), 1);
    // The breach is step 1 of the chain; then steps 2 and 3.
    assert_eq!(events_of(&t, "escalated"), 3);
    expect_sla_mail(&stack, "budi", 2).await;
    expect_sla_mail(&stack, "siti", 1).await;
    expect_sla_mail(&stack, "manager", 1).await;

    // Text view shows the clocks.
    let text = ok(
        posko.cmd(&["tickets", "show", "1", "--now", "2026-11-23T08:31:00+07:00"]),
        "tickets show",
    );
    assert!(
        text.contains("SLA response    breached  target 10 minutes"),
        "{text}"
    );
    assert!(
        text.contains("SLA resolution  running   target 8 hours"),
        "{text}"
    );
}
both!(p1_warning_breach_and_escalation_chain);

/// Budi's mail to his token address (proof that it is his).
async fn budi_says(stack: &MailStack, posko: &Posko, subject: &str, id: &str, body: &str) {
    // His reply address for the ticket the subject names.
    let ticket = posko::threading::tag_number(
        subject,
        &posko::threading::SubjectTag::new("Helpdesk").unwrap(),
    )
    .expect("a tagged subject");
    let to = posko
        .staff_address("budi", Some(ticket), crate::harness::posko::wall_now())
        .await;
    let raw = format!(
        "From: Budi Santoso <budi@corp.test>\r\nTo: IT Helpdesk <{to}>\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    );
    stack
        .deliver("budi@corp.test", &[&to], raw.as_bytes())
        .await;
}

/// Budi answers in time (response met); he sets `#pending` (the resolution
/// clock stops); Alice's answer resumes it; he resolves (met); her later
/// reply reopens the ticket and the clock runs again.
async fn response_met_pause_resume_resolve_reopen(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    mail_from(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        P1_SUBJECT,
        "p2@corp.test",
        "Tolong.",
    )
    .await;
    posko.run_once_at("2026-11-23T09:00:00+07:00");
    let re = format!("Re: [Helpdesk #1] {P1_SUBJECT}");
    budi_says(&stack, &posko, &re, "p2-b1@corp.test", "Sedang kami cek.").await;
    posko.run_once_at("2026-11-23T09:05:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T09:05:00+07:00");
    let response = &t["sla"]["response"];
    assert_eq!(response["state"], "met", "{response}");
    assert_eq!(response["elapsed_seconds"], 300);
    assert_eq!(events_of(&t, "sla_stopped"), 1);

    // #pending at 10:00: one hour used; nothing falls due while paused.
    budi_says(
        &stack,
        &posko,
        &format!("{re} #pending"),
        "p2-b2@corp.test",
        "Mohon kirim foto router.",
    )
    .await;
    posko.run_once_at("2026-11-23T10:00:00+07:00");
    let out = posko.run_once_at("2026-11-23T17:00:00+07:00");
    assert!(out.contains("0 clocks due"), "{out}");
    let t = ticket_at(&posko, 1, "2026-11-23T17:00:00+07:00");
    assert_eq!(t["status"], "pending");
    assert_eq!(t["sla"]["resolution"]["state"], "paused");
    assert_eq!(t["sla"]["resolution"]["due_at"], Value::Null);
    assert_eq!(t["sla"]["resolution"]["elapsed_seconds"], 3600);

    // Alice answers on Tuesday at 09:00: in progress again, the clock runs
    // with Monday 10:00–16:00 and Tuesday 08:00–09:00 (7 h) set aside.
    mail_from(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        &re,
        "p2-alice@corp.test",
        "Foto terlampir.",
    )
    .await;
    posko.run_once_at("2026-11-24T09:00:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-24T09:00:00+07:00");
    assert_eq!(t["status"], "in_progress");
    let res = &t["sla"]["resolution"];
    assert_eq!(res["state"], "running", "{res}");
    assert_eq!(res["paused_seconds"], 7 * 3600);
    assert_eq!(res["elapsed_seconds"], 3600);
    // 7 h left from Tuesday 09:00: 16:00 local.
    assert_eq!(res["due_at"], "2026-11-24T09:00:00+00:00");
    // The 75 % warning (6 h used) falls due at Tuesday 14:00, once.
    assert!(
        posko
            .run_once_at("2026-11-24T13:59:59+07:00")
            .contains("0 warnings")
    );
    assert!(
        posko
            .run_once_at("2026-11-24T14:00:00+07:00")
            .contains("1 warnings")
    );
    assert!(
        posko
            .run_once_at("2026-11-24T14:10:00+07:00")
            .contains("0 warnings")
    );

    // #resolve at 14:30: 6.5 h used, met.
    budi_says(
        &stack,
        &posko,
        &format!("{re} #resolve"),
        "p2-b3@corp.test",
        "Router sudah diganti.",
    )
    .await;
    posko.run_once_at("2026-11-24T14:30:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-24T14:30:00+07:00");
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["sla"]["resolution"]["state"], "met");
    assert_eq!(t["sla"]["resolution"]["elapsed_seconds"], 6 * 3600 + 1800);
    assert_eq!(events_of(&t, "sla_stopped"), 2);

    // Alice replies on Wednesday at 08:00: the ticket reopens and the clock
    // runs again without the time it was resolved: 1.5 h left, due 09:30.
    mail_from(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        &re,
        "p2-alice2@corp.test",
        "Mati lagi.",
    )
    .await;
    posko.run_once_at("2026-11-25T08:00:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-25T08:00:00+07:00");
    assert_eq!(events_of(&t, "reopened"), 1);
    assert_eq!(events_of(&t, "sla_restarted"), 1);
    let res = &t["sla"]["resolution"];
    assert_eq!(res["state"], "running", "{res}");
    assert_eq!(res["elapsed_seconds"], 6 * 3600 + 1800);
    assert_eq!(res["due_at"], "2026-11-25T02:30:00+00:00");
    // The response clock stays met.
    assert_eq!(t["sla"]["response"]["state"], "met");
    // The breach after the reopen, at 09:30:01, is reported once; the
    // warning already sent is not sent again.
    assert!(
        posko
            .run_once_at("2026-11-25T09:30:00+07:00")
            .contains("0 breaches")
    );
    let out = posko.run_once_at("2026-11-25T09:30:01+07:00");
    assert!(out.contains("0 warnings, 1 breaches"), "{out}");
    let t = ticket_at(&posko, 1, "2026-11-25T09:30:01+07:00");
    assert_eq!(events_of(&t, "sla_warning"), 1);
    assert_eq!(t["sla"]["resolution"]["state"], "breached");
}
both!(response_met_pause_resume_resolve_reopen);

/// A ticket recorded on 24 December 2026 (cuti bersama), before Christmas
/// and a weekend: its clocks start on Monday the 28th at 08:00.
async fn holidays_from_the_holiday_file_do_not_count(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    mail_from(
        &stack,
        "Alice Wijaya <alice@corp.test>",
        P1_SUBJECT,
        "h1@corp.test",
        "Libur.",
    )
    .await;
    posko.run_once_at("2026-12-24T10:00:00+07:00");
    let t = ticket_at(&posko, 1, "2026-12-24T10:00:00+07:00");
    assert_eq!(t["sla"]["response"]["due_at"], "2026-12-28T01:10:00+00:00");
    assert_eq!(
        t["sla"]["resolution"]["due_at"],
        "2026-12-28T09:00:00+00:00"
    );
    let out = posko.run_once_at("2026-12-27T23:00:00+07:00");
    assert!(out.contains("0 clocks due"), "{out}");
}
both!(holidays_from_the_holiday_file_do_not_count);

/// The report on a crafted set: three tickets in the period (two P1, one
/// P2), one outside it.
async fn report_per_priority_and_category(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    // #1: P1, answered after 5 min (met).
    mail_from(
        &stack,
        "Alice <alice@corp.test>",
        P1_SUBJECT,
        "r1@corp.test",
        "1",
    )
    .await;
    posko.run_once_at("2026-11-23T09:00:00+07:00");
    // #2: P1, answered after 19 min (breached, escalated twice on the way).
    mail_from(
        &stack,
        "Bob <bob@corp.test>",
        "Internet mati total, semua user",
        "r2@corp.test",
        "2",
    )
    .await;
    posko.run_once_at("2026-11-23T09:01:00+07:00");
    // #3: "other", P2, never answered.
    mail_from(
        &stack,
        "Carol <carol@corp.test>",
        "Pertanyaan umum",
        "r3@corp.test",
        "3",
    )
    .await;
    posko.run_once_at("2026-11-23T09:02:00+07:00");
    let budi = |n: usize, at: &str| {
        let stack = &stack;
        let posko = &posko;
        let at = at.to_string();
        async move {
            budi_says(
                stack,
                posko,
                &format!("Re: [Helpdesk #{n}] x"),
                &format!("r-budi-{n}@corp.test"),
                "Kami tangani.",
            )
            .await;
            posko.run_once_at(&at);
        }
    };
    budi(1, "2026-11-23T09:05:00+07:00").await;
    posko.run_once_at("2026-11-23T09:16:00+07:00");
    budi(2, "2026-11-23T09:20:00+07:00").await;
    let t2 = ticket_at(&posko, 2, "2026-11-23T09:20:00+07:00");
    assert_eq!(t2["priority"], 1, "{t2}");
    assert_eq!(t2["sla"]["response"]["state"], "breached");

    let json = ok(
        posko.cmd(&[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "json",
        ]),
        "report",
    );
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    let p1 = rows
        .iter()
        .find(|r| r["by"] == "priority" && r["priority"] == 1)
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(p1["tickets"], 2, "{p1}");
    assert_eq!(p1["response_decided"], 2);
    assert_eq!(p1["response_met"], 1);
    assert_eq!(p1["response_met_pct"], 50.0);
    // 5 min and 19 min: mean 12 min, p90 19 min.
    assert_eq!(p1["response_mean_seconds"], 720.0);
    assert_eq!(p1["response_p90_seconds"], 1140);
    assert_eq!(p1["breaches"], 1);
    // #2 breached at 09:11:01 (step 1) and climbed at 09:16 (step 2).
    assert_eq!(p1["escalations"], 2);
    assert_eq!(p1["resolution_decided"], 0);
    assert_eq!(p1["resolution_met_pct"], Value::Null);
    let other = rows
        .iter()
        .find(|r| r["by"] == "category" && r["category"] == "other")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(other["tickets"], 1);
    assert_eq!(other["response_decided"], 0);
    let net = rows
        .iter()
        .filter(|r| r["by"] == "category")
        .map(|r| r["tickets"].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(net, 3);

    let csv = ok(
        posko.cmd(&[
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
        ]),
        "report csv",
    );
    assert!(csv.starts_with("by,key,tickets,response_met_pct,"), "{csv}");
    assert!(
        csv.contains("\npriority,1,2,50.0,720.0,1140,,,,1,2,0,0\n"),
        "{csv}"
    );
    let table = ok(
        posko.cmd(&["report", "--from", "2026-11-01", "--to", "2026-11-30"]),
        "report table",
    );
    assert!(table.contains("50.0% (1/2)"), "{table}");
    assert!(table.contains("12m 00s"), "{table}");
    // Another period: nothing.
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
both!(report_per_priority_and_category);

/// Mail of `user` whose subject names ticket `id`, among SLA mail.
async fn sla_mail_of(stack: &MailStack, user: &str, id: i64) -> Vec<String> {
    let tag = format!("[Helpdesk #{id}]");
    sla_mail(stack, user)
        .await
        .into_iter()
        .filter(|s| s.contains(&tag))
        .collect()
}

/// Printer tickets are priority 3: 4 hours to respond, 48 to resolve. Budi
/// raises #1 to priority 1 five minutes in: its warning and breach come at
/// P1's 7.5 and 10 minutes, counted from when it was recorded, not at P3's
/// 3 and 4 hours, and his confirmation states the new due times. #2 is
/// raised (through its impact) half an hour in, already past P1's response
/// target: the scan of the same run sends what the change made due.
async fn raising_the_priority_retargets_the_clocks(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk(backend, &stack).await;
    let alice = "Alice Wijaya <alice@corp.test>";
    mail_from(
        &stack,
        alice,
        "Printer macet",
        "rt1@corp.test",
        "Tidak bisa cetak.",
    )
    .await;
    posko.run_once_at("2026-11-23T09:00:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T09:00:00+07:00");
    assert_eq!(t["priority"], 3, "{t}");
    // 13:00 local.
    assert_eq!(t["sla"]["response"]["due_at"], "2026-11-23T06:00:00+00:00");

    budi_says(
        &stack,
        &posko,
        "Re: [Helpdesk #1] Printer macet #priority:1 #internal",
        "rt1-b1@corp.test",
        "Printer ruang rapat direksi.",
    )
    .await;
    mail_from(
        &stack,
        alice,
        "Printer lantai 2 rusak",
        "rt2@corp.test",
        "Kertas macet.",
    )
    .await;
    posko.run_once_at("2026-11-23T09:05:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T09:05:00+07:00");
    assert_eq!(t["priority"], 1, "{t}");
    let (response, resolution) = (&t["sla"]["response"], &t["sla"]["resolution"]);
    assert_eq!(response["target_seconds"], 600, "{response}");
    assert_eq!(response["elapsed_seconds"], 300);
    assert_eq!(response["state"], "running");
    // Due 09:10 local; resolution 8 business hours from 09:00: Tuesday 09:00.
    assert_eq!(response["due_at"], "2026-11-23T02:10:00+00:00");
    assert_eq!(resolution["target_seconds"], 8 * 3600, "{resolution}");
    assert_eq!(resolution["due_at"], "2026-11-24T02:00:00+00:00");
    assert_eq!(events_of(&t, "sla_retargeted"), 2);
    let confirm = stack.wait_for_mail("budi", 1, WAIT).await;
    let text = mail::body_text(&confirm[0]);
    assert!(
        text.contains("SLA respons: 10 menit, jatuh tempo 2026-11-23 09:10 WIB"),
        "{text}"
    );
    assert!(
        text.contains("SLA penyelesaian: 8 jam, jatuh tempo 2026-11-24 09:00 WIB"),
        "{text}"
    );

    assert!(
        posko
            .run_once_at("2026-11-23T09:07:29+07:00")
            .contains("0 warnings")
    );
    assert!(
        posko
            .run_once_at("2026-11-23T09:07:30+07:00")
            .contains("1 warnings")
    );
    let out = posko.run_once_at("2026-11-23T09:10:01+07:00");
    assert!(out.contains("0 warnings, 1 breaches"), "{out}");
    let t = ticket_at(&posko, 1, "2026-11-23T09:10:01+07:00");
    assert_eq!(t["sla"]["response"]["state"], "breached");
    // Nobody in the infrastructure group: the service desk hears of both.
    let siti = expect_sla_mail(&stack, "siti", 2).await;
    assert!(siti[1].contains("SLA terlampaui (respons)"), "{siti:?}");
    // Steps 2 and 3 of #1 (09:15, 09:20), before #2's turn.
    let out = posko.run_once_at("2026-11-23T09:20:00+07:00");
    assert!(out.contains("2 escalations"), "{out}");

    // #2, recorded at 09:05, becomes P1 at 09:35: its response warning
    // (09:12:30), breach (09:15:01) and steps (09:20, 09:25) are all due.
    let t = ticket_at(&posko, 2, "2026-11-23T09:30:00+07:00");
    assert_eq!(t["priority"], 3, "{t}");
    budi_says(
        &stack,
        &posko,
        "Re: [Helpdesk #2] Printer lantai 2 rusak #impact:high #internal",
        "rt2-b1@corp.test",
        "Satu-satunya printer di lantai 2.",
    )
    .await;
    let out = posko.run_once_at("2026-11-23T09:35:00+07:00");
    assert!(
        out.contains("1 warnings, 1 breaches, 2 escalations"),
        "{out}"
    );
    let t = ticket_at(&posko, 2, "2026-11-23T09:35:00+07:00");
    assert_eq!(t["priority"], 1, "{t}");
    assert_eq!(t["sla"]["response"]["state"], "breached");
    assert_eq!(t["sla"]["response"]["elapsed_seconds"], 30 * 60);
    assert_eq!(events_of(&t, "sla_breach"), 1);
    let deadline = tokio::time::Instant::now() + WAIT;
    while sla_mail_of(&stack, "director", 2).await.is_empty()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ratna = sla_mail_of(&stack, "director", 2).await;
    assert_eq!(ratna.len(), 1, "{ratna:?}");
    assert!(ratna[0].contains("Eskalasi tingkat 3"), "{ratna:?}");
    // A later scan sends nothing again.
    let out = posko.run_once_at("2026-11-23T09:40:00+07:00");
    assert!(
        out.contains("0 warnings, 0 breaches, 0 escalations"),
        "{out}"
    );
}
both!(raising_the_priority_retargets_the_clocks);

/// Issue 9's leftover: an SLA warning to staff carries a Reply-To with the
/// staff member's token for the ticket, like every other staff notice, so
/// Budi answering the warning with `#resolve` acts as himself. The same
/// reply sent to the desk's plain address proves nothing and is refused.
async fn a_staff_reply_to_an_sla_warning_is_authenticated(backend: Backend) {
    let (stack, posko) = p1_at_0755(backend, "tok1@corp.test").await;
    posko.run_once_at("2026-11-23T08:07:30+07:00");
    expect_sla_mail(&stack, "budi", 1).await;
    let warning = stack
        .inbox("budi")
        .await
        .into_iter()
        .find(|m| mail::subject(m).contains("Peringatan SLA"))
        .expect("the warning");
    let reply_to = mail::address(&mail::header(&warning, "Reply-To").expect("Reply-To"));
    assert!(
        reply_to.starts_with("helpdesk+") && reply_to.ends_with("@corp.test"),
        "{reply_to}"
    );
    let subject = format!("Re: {}", mail::subject(&warning));
    let answer = |to: &str, id: &str| {
        format!(
            "From: Budi Santoso <budi@corp.test>\r\nTo: IT Helpdesk <{to}>\r\n\
             Subject: {subject}\r\nMessage-ID: <{id}>\r\n\
             Date: Mon, 23 Nov 2026 08:08:00 +0700\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n#resolve\r\n\r\nSudah pulih.\r\n"
        )
    };

    // To the plain address: no proof, nothing applied.
    let plain = answer("helpdesk@corp.test", "tok-plain@corp.test");
    stack
        .deliver("budi@corp.test", &["helpdesk@corp.test"], plain.as_bytes())
        .await;
    posko.run_once_at("2026-11-23T08:08:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T08:08:00+07:00");
    assert_ne!(t["status"], "resolved", "{t:#}");
    assert_eq!(events_of(&t, "command_refused"), 1, "{t:#}");

    // To the warning's Reply-To: Budi's, and the ticket is resolved.
    let tokened = answer(&reply_to, "tok-reply@corp.test");
    stack
        .deliver("budi@corp.test", &[&reply_to], tokened.as_bytes())
        .await;
    posko.run_once_at("2026-11-23T08:09:00+07:00");
    let t = ticket_at(&posko, 1, "2026-11-23T08:09:00+07:00");
    assert_eq!(t["status"], "resolved", "{t:#}");
    assert_eq!(events_of(&t, "command_refused"), 1, "{t:#}");
    assert_eq!(t["sla"]["resolution"]["state"], "met", "{t:#}");
}
both!(a_staff_reply_to_an_sla_warning_is_authenticated);
