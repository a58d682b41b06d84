//! The issue's stories 1–7 through the binary.

use super::*;
use crate::both;
use crate::harness::posko::wall_now;

/// Stories 1 and 2: the resolution mail (text and HTML) carries what was
/// done and the three choices and five ratings, all under `public_url`;
/// the survey page shows the desk, number and subject only, with the
/// mail's rating chosen; the answer lands on the ticket and Budi hears of
/// the low rating. A second submission is refused.
async fn resolution_mail_and_survey(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Internet lambat di gedung B", 1).await;
    let text = mail::body_text(&r.mail);
    for words in [
        "Kabel uplink di gedung B sudah diganti.",
        "Ya, sudah selesai",
        "Belum, masih bermasalah",
        "Isi survei kepuasan",
        "5 - Sangat puas",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let html = posko::parse::parse(&r.mail, "corp.test")
        .unwrap()
        .body_html
        .unwrap();
    assert!(html.contains("Ya, sudah selesai"), "{html}");
    let public = format!("http://127.0.0.1:{}", posko.web_port);
    assert_eq!(urls(&html, &public).len(), 8, "{html}");
    // Watchers aside, the survey row keeps a hash, never the token.
    let t = posko.ticket(r.id);
    assert_eq!(t["survey"]["answered_at"], Value::Null, "{t:#}");
    assert_eq!(events(&t, "survey_sent"), 1);
    assert_eq!(t["closed_by"], Value::Null);

    serve(&mut posko).await;
    let page = get(&posko, &r.links.ratings[1]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Internet lambat di gedung B"));
    assert!(page.body.contains("IT Helpdesk"));
    assert!(
        !page.body.contains("lambat sekali sejak pagi"),
        "no conversation on the page"
    );
    assert!(
        page.body
            .contains(r#"name="overall" value="2" required checked"#),
        "{}",
        page.body
    );
    assert_eq!(page.body.matches(" checked").count(), 1);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    let css = get(&posko, "/assets/survey.css").await;
    assert_eq!(css.status, 200);

    let done = post(
        &posko,
        &r.links.survey,
        &form(4, 2, "Tolong lebih cepat & <b>ramah</b>"),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Terima kasih"), "{}", done.body);
    let t = posko.ticket(r.id);
    assert_eq!(t["survey"]["ratings"]["overall"], 2, "{t:#}");
    assert_eq!(t["survey"]["ratings"]["speed"], 4);
    assert_eq!(t["survey"]["comment"], "Tolong lebih cepat & <b>ramah</b>");
    assert!(t["survey"]["answered_at"].is_string());
    assert_eq!(events(&t, "survey_answered"), 1);
    // Budi (the assignee) is told of the 2.
    let low = wait_for_text(&stack, &posko, "budi", "nilai rendah").await;
    assert!(
        low.contains("Kualitas layanan secara keseluruhan: 2 (Kurang puas)"),
        "{low}"
    );
    // Single use.
    let again = post(&posko, &r.links.survey, &form(5, 5, "")).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("sudah diisi"));
    assert_eq!(posko.ticket(r.id)["survey"]["ratings"]["overall"], 2);
    assert_eq!(get(&posko, &r.links.survey).await.status, 409);
}
both!(resolution_mail_and_survey);

/// Story 3: a mail scanner opens every link; nothing changes.
async fn scanner_changes_nothing(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Printer lantai 2 macet", 1).await;
    let before = posko.ticket(r.id);
    serve(&mut posko).await;
    for _ in 0..2 {
        for link in r.links.all() {
            let a = get(&posko, &link).await;
            assert_eq!(a.status, 200, "{link}: {}", a.body);
        }
    }
    let after = posko.ticket(r.id);
    assert_eq!(after["status"], "resolved");
    assert_eq!(after["events"], before["events"]);
    assert_eq!(after["survey"], before["survey"]);
    assert_eq!(after["closed_by"], Value::Null);
}
both!(scanner_changes_nothing);

/// Story 4: "Belum, masih bermasalah" reopens with her text as a comment;
/// Budi is told; the old links die, and a new resolution brings new ones
/// while the old stay dead.
async fn reopen_from_the_page(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "VPN putus-putus", 1).await;
    serve(&mut posko).await;
    let page = get(&posko, &r.links.reopen).await;
    assert!(
        page.body.contains("Apa yang masih bermasalah?"),
        "{}",
        page.body
    );
    let empty = post(&posko, &r.links.reopen, "text=+++").await;
    assert_eq!(empty.status, 400);
    assert_eq!(posko.ticket(r.id)["status"], "resolved");
    let a = post(&posko, &r.links.reopen, "text=Masih+putus+tiap+jam+10").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "in_progress", "{t:#}");
    let reopened: Vec<&Value> = crate::staff::events(&t, "reopened");
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0]["how"], "page");
    assert_eq!(reopened[0]["actor"], "alice@corp.test");
    let last = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|m| m["direction"] == "in")
        .unwrap()
        .clone();
    assert_eq!(last["body_text"], "Masih putus tiap jam 10");
    assert_eq!(last["author"], "alice@corp.test");
    assert_eq!(t["sla"]["resolution"]["state"], "running", "{t:#}");
    wait_for_text(&stack, &posko, "budi", "Masih putus tiap jam 10").await;
    for link in r.links.all() {
        assert_eq!(get(&posko, &link).await.status, 410, "{link}");
    }
    assert_eq!(post(&posko, &r.links.confirm, "").await.status, 410);
    posko.stop_daemon();

    let r2 = resolve_again(&stack, &posko, r.id, &r.budi_to, &r.subject, "b2").await;
    assert_ne!(r2.links.survey, r.links.survey);
    serve(&mut posko).await;
    assert_eq!(get(&posko, &r2.links.survey).await.status, 200);
    assert_eq!(get(&posko, &r.links.survey).await.status, 410);
    assert_eq!(
        post(&posko, &r.links.survey, &form(5, 5, "")).await.status,
        410
    );
    assert_eq!(post(&posko, &r.links.reopen, "text=lagi").await.status, 410);
    assert_eq!(posko.ticket(r.id)["status"], "resolved");
}
both!(reopen_from_the_page);

/// Story 5: "Ya, sudah selesai" closes the ticket, closed by the requester;
/// the survey still works after it.
async fn confirm_closes_for_the_requester(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Email tidak bisa kirim", 1).await;
    serve(&mut posko).await;
    let page = get(&posko, &r.links.confirm).await;
    assert!(page.body.contains("Ya, sudah selesai"));
    let a = post(&posko, &r.links.confirm, "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["closed_by"], "requester");
    assert_eq!(events(&t, "confirmed"), 1);
    assert_eq!(post(&posko, &r.links.confirm, "").await.status, 409);
    assert_eq!(
        post(&posko, &r.links.survey, &form(5, 5, "")).await.status,
        200
    );
    posko.stop_daemon();
    // Nothing left to close by itself.
    posko.run_once_at(&rfc(wall_now() + 10 * 86_400));
    let t = posko.ticket(r.id);
    assert_eq!(t["closed_by"], "requester");
    assert_eq!(events(&t, "auto_closed"), 0);
}
both!(confirm_closes_for_the_requester);

fn rfc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339()
}

/// Story 6: one reminder after `remind_after` (with links that work),
/// then the ticket closes by itself after `auto_close_after`; each once,
/// whatever the passes. A reply before that reopens it as today, and
/// staff's `#close` is closed by staff.
async fn reminder_then_auto_close(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Monitor berkedip", 1).await;
    let t0 = wall_now();
    posko.run_once_at(&rfc(t0 + 2 * 86_400));
    assert_eq!(stack.inbox("alice").await.len(), 2, "no reminder yet");
    let out = posko.run_once_at(&rfc(t0 + 3 * 86_400 + 60));
    assert!(out.contains("lifecycle: 1 reminders"), "{out}");
    posko.run_once_at(&rfc(t0 + 3 * 86_400 + 120));
    let mails = stack.wait_for_mail("alice", 3, WAIT).await;
    assert_eq!(mails.len(), 3);
    let reminder = mails.last().unwrap();
    assert!(mail::body_text(reminder).contains("satu-satunya pengingat"));
    let t = posko.ticket(r.id);
    assert_eq!(events(&t, "survey_reminded"), 1);
    assert_eq!(t["status"], "resolved");
    let again = links_of(&posko, reminder);
    assert_ne!(again.survey, r.links.survey);

    let out = posko.run_once_at(&rfc(t0 + 5 * 86_400 + 60));
    assert!(out.contains("1 auto-closed"), "{out}");
    posko.run_once_at(&rfc(t0 + 5 * 86_400 + 120));
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "closed");
    assert_eq!(t["closed_by"], "auto");
    assert_eq!(events(&t, "auto_closed"), 1);
    // One reminder only, then the notice that it closed.
    let mails = stack.wait_for_mail("alice", 4, WAIT).await;
    assert_eq!(mails.len(), 4);
    assert!(mail::body_text(&mails[3]).contains("kini ditutup"));
    // Both the first and the reminder's links still open the survey.
    serve(&mut posko).await;
    assert_eq!(get(&posko, &r.links.survey).await.status, 200);
    assert_eq!(
        post(&posko, &again.survey, &form(4, 4, "")).await.status,
        200
    );
    assert_eq!(get(&posko, &r.links.survey).await.status, 409);
    posko.stop_daemon();

    // A reply before the auto-close reopens; nothing closes it then.
    let r2 = resolve(&stack, &posko, "Keyboard rusak", 2).await;
    let raw = mail::plain(
        "Alice Wijaya <alice@corp.test>",
        &format!("Re: [Helpdesk #{}] Keyboard rusak", r2.id),
        "a2-reply@corp.test",
        "",
        "Masih rusak.",
    );
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], &raw)
        .await;
    posko.run_once();
    assert_eq!(posko.ticket(r2.id)["status"], "in_progress");
    posko.run_once_at(&rfc(wall_now() + 20 * 86_400));
    let t = posko.ticket(r2.id);
    assert_eq!(t["status"], "in_progress");
    assert_eq!(events(&t, "auto_closed") + events(&t, "survey_reminded"), 0);
    serve(&mut posko).await;
    assert_eq!(get(&posko, &r2.links.survey).await.status, 410);
    posko.stop_daemon();

    // Staff resolve, then close: closed by staff.
    resolve_again(&stack, &posko, r2.id, &r2.budi_to, &r2.subject, "b8").await;
    staff_mail(
        &stack,
        "Budi Santoso <budi@corp.test>",
        &r2.budi_to,
        &format!("Re: [Helpdesk #{}] Keyboard rusak #close", r2.id),
        "b9@corp.test",
        "",
        "Keyboard diganti.",
    )
    .await;
    posko.run_once();
    let t = posko.ticket(r2.id);
    assert_eq!(t["status"], "closed", "{t:#}");
    assert_eq!(t["closed_by"], "staff");
}
both!(reminder_then_auto_close);

/// Reminders and auto-close can be off.
async fn reminder_and_auto_close_off(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk_with(
        backend,
        &stack,
        "[survey]\nremind_after = \"off\"\n\n[closure]\nauto_close_after = \"off\"\n",
    )
    .await;
    let r = resolve(&stack, &posko, "Scanner mati", 1).await;
    let out = posko.run_once_at(&rfc(wall_now() + 29 * 86_400));
    assert!(
        out.contains("lifecycle: 0 reminders, 0 auto-closed"),
        "{out}"
    );
    assert_eq!(posko.ticket(r.id)["status"], "resolved");
    assert_eq!(stack.inbox("alice").await.len(), 2);
}
both!(reminder_and_auto_close_off);
