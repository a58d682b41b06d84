//! Issue 14, gap 4 (hostile): a forged staff reply to the staff notices the
//! survey pages send (a low rating, a reopening from the page). The notice
//! reaches Budi with his tokened Reply-To; someone who knows his address and
//! the ticket (the notice's subject and Message-ID) writes as him, either to
//! the desk's plain address or to a reply address whose token was altered
//! (signed with another key). Neither acts on the ticket nor reaches the
//! requester; each is refused and recorded. Budi's real answer through the
//! same notice still acts, so the refusals are the forgery's, not the notice's.

use super::gaps::{budi_answers, rate_low_on_page, reopen_on_page};
use super::*;
use crate::both;
use crate::staff_tokens::reply_to;

const BUDI: &str = "Budi Santoso <budi@corp.test>";

/// `address` with one character of its token changed: the shape of a real
/// reply address, a MAC no key of the desk made. Tokens are read without
/// regard to case (a mail system may change it), so the new character
/// differs from the old one in any case: `a` for `A` would be no change.
fn altered(address: &str) -> String {
    let (local, domain) = address.split_once('@').expect("an address");
    let (base, token) = local.split_once('+').expect("a tokened address");
    let mut t: Vec<char> = token.chars().collect();
    let i = t.len() / 2;
    t[i] = if t[i].eq_ignore_ascii_case(&'a') {
        'b'
    } else {
        'a'
    };
    let forged = t.into_iter().collect::<String>();
    assert!(!forged.eq_ignore_ascii_case(token), "{token} unchanged");
    format!("{base}+{forged}@{domain}")
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
    let reopened = reopen_on_page(&stack, &mut posko, &r, "Masih macet kertasnya").await;
    forged_then_real(&stack, &posko, r.id, &reopened, "#resolve", 0).await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "resolved", "{t:#}");

    // The low-rating notice.
    let low = rate_low_on_page(&stack, &mut posko).await;
    forged_then_real(&stack, &posko, r.id, &low, "#close", 2).await;
    let t = posko.ticket(r.id);
    assert_eq!(t["status"], "closed", "{t:#}");
    assert_eq!(t["closed_by"], "staff");
}

/// The forgeries answering `notice` with `commands` change nothing and
/// reach not the requester (two more refusals than `refused`); Budi's real
/// answer through the notice's Reply-To then acts, refused by nobody.
async fn forged_then_real(
    stack: &MailStack,
    posko: &Posko,
    id: i64,
    notice: &[u8],
    commands: &str,
    refused: usize,
) {
    let before = posko.ticket(id);
    let alice_before = stack.inbox("alice").await.len();
    forge_answers(stack, posko, id, notice, commands).await;
    let t = posko.ticket(id);
    assert_eq!(t["status"], before["status"], "{t:#}");
    assert_eq!(t["closed_by"], before["closed_by"], "{t:#}");
    assert_eq!(events(&t, "command_refused"), refused + 2, "{t:#}");
    let alice = stack.inbox("alice").await.len();
    assert_eq!(alice, alice_before, "a forgery reached Alice");
    let mid = format!("real.{id}.{}@corp.test", commands.trim_start_matches('#'));
    budi_answers(stack, posko, &reply_to(notice), id, commands, &mid).await;
    let t = posko.ticket(id);
    assert_ne!(t["status"], before["status"], "{t:#}");
    assert_eq!(events(&t, "command_refused"), refused + 2, "{t:#}");
    stack.wait_for_mail("alice", alice_before + 1, WAIT).await;
}
both!(forged_answers_to_page_notices_do_not_act);
