//! What the first round of issue 11 left open, through the binary: the
//! requester is told when the ticket closes by itself (in their language),
//! the reminder's HTML carries the same choices as the resolution mail,
//! staff notices from the pages carry the staff token, and a reload
//! reaches the pages.

use super::*;
use crate::both;
use crate::harness::posko::wall_now;

fn rfc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339()
}

/// The HTML part of a mail.
fn html_of(raw: &[u8]) -> String {
    posko::parse::parse(raw, "corp.test")
        .unwrap()
        .body_html
        .expect("an HTML part")
}

/// Alice's ticket resolved in English (`#lang:en` beside `#resolve`).
async fn resolve_in_english(stack: &MailStack, posko: &Posko, subject: &str) -> i64 {
    let id = alice_reports(stack, posko, subject, "en1@corp.test").await;
    let budi_to = posko.staff_address("budi", Some(id), wall_now()).await;
    staff_mail(
        stack,
        "Budi Santoso <budi@corp.test>",
        &budi_to,
        &format!("Re: [Helpdesk #{id}] {subject} #assign:me #lang:en #resolve"),
        "en2@corp.test",
        "",
        "The cable was replaced.",
    )
    .await;
    posko.run_once();
    assert_eq!(posko.ticket(id)["status"], "resolved");
    id
}

/// The reminder's HTML has the resolution mail's choices and ratings (all
/// under `public_url`, escaped); the auto-close tells each requester in
/// their language, once.
async fn auto_close_tells_the_requester(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Monitor <berkedip>", 1).await;
    let en = resolve_in_english(&stack, &posko, "Mouse broken").await;
    let t0 = wall_now();
    let before = stack.inbox("alice").await.len();

    posko.run_once_at(&rfc(t0 + 3 * 86_400 + 60));
    let mails = stack.wait_for_mail("alice", before + 2, WAIT).await;
    let reminders: Vec<&Vec<u8>> = mails[before..].iter().collect();
    let public = format!("http://127.0.0.1:{}", posko.web_port);
    for m in &reminders {
        let html = html_of(m);
        assert!(!html.contains("<pre"), "{html}");
        assert_eq!(urls(&html, &public).len(), 8, "{html}");
        assert!(!html.contains("<berkedip>"), "escaped: {html}");
    }
    let id_html = reminders
        .iter()
        .map(|m| html_of(m))
        .find(|h| h.contains("Monitor &lt;berkedip&gt;"))
        .expect("the Indonesian reminder");
    assert!(id_html.contains("Ya, sudah selesai"), "{id_html}");
    assert!(id_html.contains("Sangat puas"), "{id_html}");
    let en_html = reminders
        .iter()
        .map(|m| html_of(m))
        .find(|h| h.contains("Mouse broken"))
        .expect("the English reminder");
    assert!(en_html.contains("Yes, it is solved"), "{en_html}");
    assert!(en_html.contains("Very satisfied"), "{en_html}");

    let out = posko.run_once_at(&rfc(t0 + 5 * 86_400 + 60));
    assert!(out.contains("2 auto-closed"), "{out}");
    posko.run_once_at(&rfc(t0 + 5 * 86_400 + 120));
    let mails = stack.wait_for_mail("alice", before + 4, WAIT).await;
    assert_eq!(mails.len(), before + 4, "one notice each");
    let closed: Vec<String> = mails[before + 2..]
        .iter()
        .map(|m| mail::body_text(m))
        .collect();
    let id_text = closed
        .iter()
        .find(|t| t.contains(&format!("#{}", r.id)))
        .expect("the Indonesian notice");
    assert!(id_text.contains("kini ditutup"), "{id_text}");
    assert!(id_text.contains("14 hari"), "{id_text}");
    let en_text = closed
        .iter()
        .find(|t| t.contains(&format!("#{en}")))
        .expect("the English notice");
    assert!(en_text.contains("is now closed"), "{en_text}");
    for id in [r.id, en] {
        let t = posko.ticket(id);
        assert_eq!(t["closed_by"], "auto", "{t:#}");
        assert_eq!(events(&t, "closed_queued"), 1, "{t:#}");
    }
}
both!(auto_close_tells_the_requester);

/// The Reply-To of a mail the desk sent.
fn reply_to(raw: &[u8]) -> String {
    mail::address(&mail::header(raw, "Reply-To").expect("Reply-To"))
}

/// Waits for a mail to `user` containing `needle`; returns it whole.
pub(super) async fn wait_for_raw(stack: &MailStack, user: &str, needle: &str) -> Vec<u8> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let inbox = stack.inbox(user).await;
        if let Some(m) = inbox.iter().find(|m| mail::body_text(m).contains(needle)) {
            return m.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {needle:?} to {user}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Alice reopens `r` on its page with `text` (words and spaces); returns
/// the notice that reaches Budi, the daemon stopped again.
pub(super) async fn reopen_on_page(
    stack: &MailStack,
    posko: &mut Posko,
    r: &Resolved,
    text: &str,
) -> Vec<u8> {
    serve(posko).await;
    let a = post(
        posko,
        &r.links.reopen,
        &format!("text={}", text.replace(' ', "+")),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let notice = wait_for_raw(stack, "budi", text).await;
    posko.stop_daemon();
    notice
}

/// Alice rates 1 on the survey of the latest mail she got; returns the
/// low-rating notice that reaches Budi, the daemon stopped again.
pub(super) async fn rate_low_on_page(stack: &MailStack, posko: &mut Posko) -> Vec<u8> {
    let mails = stack.inbox("alice").await;
    let again = links_of(posko, mails.last().unwrap());
    serve(posko).await;
    let a = post(posko, &again.survey, &form(4, 1, "")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let notice = wait_for_raw(stack, "budi", "nilai rendah").await;
    posko.stop_daemon();
    notice
}

/// Budi answers a desk mail at `to` with `commands` in the subject.
pub(super) async fn budi_answers(
    stack: &MailStack,
    posko: &Posko,
    to: &str,
    id: i64,
    commands: &str,
    mid: &str,
) {
    staff_mail(
        stack,
        "Budi Santoso <budi@corp.test>",
        to,
        &format!("Re: [Helpdesk #{id}] {commands}"),
        mid,
        "",
        "Saya cek lagi.",
    )
    .await;
    posko.run_once();
}

/// The page's reopening and low rating reach Budi with his tokened
/// Reply-To: answering them with commands acts as him.
async fn page_notices_carry_the_staff_token(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Wi-Fi putus", 1).await;
    let reopened = reopen_on_page(&stack, &mut posko, &r, "Masih putus di lantai 3").await;
    let to = reply_to(&reopened);
    assert!(
        to.starts_with("helpdesk+") && to.ends_with("@corp.test"),
        "{to}"
    );
    budi_answers(&stack, &posko, &to, r.id, "#resolve", "g1@corp.test").await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "resolved", "{t:#}");
    assert_eq!(events(&t, "command_refused"), 0, "{t:#}");

    let low = rate_low_on_page(&stack, &mut posko).await;
    let to = reply_to(&low);
    assert!(
        to.starts_with("helpdesk+") && to.ends_with("@corp.test"),
        "{to}"
    );
    budi_answers(&stack, &posko, &to, r.id, "#close", "g2@corp.test").await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "closed", "{t:#}");
    assert_eq!(t["closed_by"], "staff");
}
both!(page_notices_carry_the_staff_token);

/// SIGHUP: the pages take up the new questions (and the desk's name);
/// the old questions are no longer asked.
async fn a_reload_reaches_the_pages(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Proyektor mati", 1).await;
    serve(&mut posko).await;
    let page = get(&posko, &r.links.survey).await;
    assert!(page.body.contains(r#"name="speed""#), "{}", page.body);
    let original = std::fs::read_to_string(&posko.config).unwrap();
    let renamed = original.replacen("name = \"IT Helpdesk\"", "name = \"Layanan TI\"", 1);
    assert_ne!(renamed, original, "the desk's name is in the file");
    std::fs::write(
        &posko.config,
        format!(
            "{renamed}\n[[survey.question]]\nkey = \"wifi\"\n\
             text = {{ id = \"Mutu Wi-Fi kantor\", en = \"Office Wi-Fi\" }}\n"
        ),
    )
    .unwrap();
    posko.signal_daemon("HUP");
    let deadline = std::time::Instant::now() + WAIT;
    while !posko.daemon_log().contains("web pages: reloaded") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            posko.daemon_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = get(&posko, &r.links.ratings[2]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Mutu Wi-Fi kantor"), "{}", page.body);
    assert!(page.body.contains("Layanan TI"), "{}", page.body);
    assert!(!page.body.contains(r#"name="speed""#), "{}", page.body);
    // The rating link's choice has no question to go to now.
    assert!(!page.body.contains(" checked"), "{}", page.body);
    let a = post(&posko, &r.links.survey, "wifi=5&comment=").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let t = posko.ticket(r.id);
    assert_eq!(t["survey"]["ratings"]["wifi"], 5, "{t:#}");
}
both!(a_reload_reaches_the_pages);
