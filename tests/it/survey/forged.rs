//! Issue 14, gap 4 (hostile): a forged staff reply to the staff notices the
//! survey pages send (a low rating, a reopening from the page). The notice
//! reaches Budi with his tokened Reply-To; someone who knows his address and
//! the ticket (the notice's subject and Message-ID) writes as him, either to
//! the desk's plain address or to a reply address whose token was altered
//! (signed with another key). Neither acts on the ticket nor reaches the
//! requester; each is refused and recorded. Budi's real answer through the
//! same notice still acts, so the refusals are the forgery's, not the notice's.

use super::gaps::{budi_answers, wait_for_raw};
use super::*;
use crate::both;
use crate::staff_tokens::reply_to;

const BUDI: &str = "Budi Santoso <budi@corp.test>";

/// `address` with one character of its token changed: the shape of a real
/// reply address, a MAC no key of the desk made.
fn altered(address: &str) -> String {
    let (local, domain) = address.split_once('@').expect("an address");
    let (base, token) = local.split_once('+').expect("a tokened address");
    let mut t: Vec<char> = token.chars().collect();
    let i = t.len() / 2;
    t[i] = if t[i] == 'A' { 'B' } else { 'A' };
    format!("{base}+{}@{domain}", t.into_iter().collect::<String>())
}

/// Two forgeries answering `notice` with `commands`, as Budi, then a pass:
/// one to the desk's plain address, one to the altered reply address.
async fn forge_answers(stack: &MailStack, posko: &Posko, id: i64, notice: &[u8], commands: &str) {
    let parent = mail::header(notice, "Message-ID").expect("Message-ID");
    let threading = format!("In-Reply-To: {parent}\r\nReferences: {parent}\r\n");
    let subject = format!("Re: [Helpdesk #{id}] {commands}");
    let to = reply_to(notice);
    for (n, to) in [(1, "helpdesk@corp.test".to_string()), (2, altered(&to))] {
        let mid = format!(
            "forged{n}.{id}.{}@corp.test",
            commands.trim_start_matches('#')
        );
        staff_mail(
            stack,
            BUDI,
            &to,
            &subject,
            &mid,
            &threading,
            "Sudah beres, saya tutup.",
        )
        .await;
    }
    posko.run_once();
}

/// Forged answers to the reopening notice and to the low-rating notice:
/// the ticket stays as it was, the requester gets nothing, every forgery is
/// a `command_refused`; Budi's real answers act.
async fn forged_answers_to_page_notices_do_not_act(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Printer ruang rapat", 1).await;

    // The reopening notice.
    serve(&mut posko).await;
    let a = post(&posko, &r.links.reopen, "text=Masih+macet+kertasnya").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let reopened = wait_for_raw(&stack, "budi", "Masih macet kertasnya").await;
    posko.stop_daemon();
    let alice_before = stack.inbox("alice").await.len();
    forge_answers(&stack, &posko, r.id, &reopened, "#resolve").await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "in_progress", "{t:#}");
    assert_eq!(events(&t, "command_refused"), 2, "{t:#}");
    assert_eq!(
        stack.inbox("alice").await.len(),
        alice_before,
        "a forgery reached Alice"
    );

    // Budi's real answer to the same notice acts.
    budi_answers(
        &stack,
        &posko,
        &reply_to(&reopened),
        r.id,
        "#resolve",
        "f1@corp.test",
    )
    .await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "resolved", "{t:#}");
    assert_eq!(events(&t, "command_refused"), 2, "{t:#}");

    // The low-rating notice.
    let mails = stack.wait_for_mail("alice", alice_before + 1, WAIT).await;
    let again = links_of(&posko, mails.last().unwrap());
    serve(&mut posko).await;
    let a = post(&posko, &again.survey, &form(4, 1, "")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let low = wait_for_raw(&stack, "budi", "nilai rendah").await;
    posko.stop_daemon();
    let alice_before = stack.inbox("alice").await.len();
    forge_answers(&stack, &posko, r.id, &low, "#close").await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "resolved", "{t:#}");
    assert_eq!(t["closed_by"], Value::Null, "{t:#}");
    assert_eq!(events(&t, "command_refused"), 4, "{t:#}");
    assert_eq!(
        stack.inbox("alice").await.len(),
        alice_before,
        "a forgery reached Alice"
    );

    budi_answers(
        &stack,
        &posko,
        &reply_to(&low),
        r.id,
        "#close",
        "f2@corp.test",
    )
    .await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "closed", "{t:#}");
    assert_eq!(t["closed_by"], "staff");
}
both!(forged_answers_to_page_notices_do_not_act);
