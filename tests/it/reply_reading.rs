//! Issue 13: replies are read like a person reads them, through the real
//! binary: the HTML's quote container decides where the quote starts, a
//! forward is kept whole, and what is set aside stays in `quoted_text`.

use std::time::Duration;

use serde_json::Value;

use crate::both;
use crate::harness::mail::{self, header};
use crate::harness::mailstack::MailStack;
use crate::harness::posko::{Backend, Posko};

const WAIT: Duration = Duration::from_secs(20);

fn inbound_by_id<'a>(t: &'a Value, message_id: &str) -> &'a Value {
    t["messages"]
        .as_array()
        .expect("messages[]")
        .iter()
        .find(|m| m["message_id"] == message_id)
        .unwrap_or_else(|| panic!("no message {message_id} in {t}"))
}

/// An HTML-only reply from Gmail in a language the text rules do not know:
/// its attribution line has no colon, no verb we know, no address.
fn gmail_html_only(id: i64, ack_id: &str) -> Vec<u8> {
    format!(
        "From: Alice Wijaya <alice@corp.test>\r\nTo: IT Helpdesk <helpdesk@corp.test>\r\n\
         Subject: Re: [Helpdesk #{id}] Internet lambat\r\n\
         Message-ID: <html-only@mail.gmail.com>\r\nIn-Reply-To: {ack_id}\r\nReferences: {ack_id}\r\n\
         Date: Mon, 23 Nov 2026 09:10:00 +0700\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         <div dir=3D\"ltr\"><div>Aitäh, töötab nüüd.</div><div>Ruuter oli välja lülitatud.</div></div><br>\
         <div class=3D\"gmail_quote gmail_quote_container\"><div dir=3D\"ltr\" class=3D\"gmail_attr\">\
         E, 23. nov 2026 kell 08:01 kirjutas IT Helpdesk</div><blockquote class=3D\"gmail_quote\">\
         Yth. Alice Wijaya,<br>Terima kasih, laporan Anda sudah kami terima.</blockquote></div>\r\n"
    )
    .into_bytes()
}

async fn from_alice(stack: &MailStack, raw: &[u8]) {
    stack
        .deliver("alice@corp.test", &["helpdesk@corp.test"], raw)
        .await;
}

async fn html_and_forwarded_replies(backend: Backend) {
    let stack = MailStack::start().await;
    let posko = Posko::new(backend, &stack).await;
    let alice = "Alice Wijaya <alice@corp.test>";
    let report = mail::plain(
        alice,
        "Internet lambat",
        "first@mail.corp.test",
        "",
        "Lambat.",
    );
    from_alice(&stack, &report).await;
    posko.run_once();
    let ack = stack.wait_for_mail("alice", 1, WAIT).await.remove(0);
    let ack_id = header(&ack, "Message-ID").unwrap();
    let id = posko.tickets()[0]["id"].as_i64().unwrap();

    from_alice(&stack, &gmail_html_only(id, &ack_id)).await;
    // A forward into the ticket: what was forwarded is the point.
    let forwarded = "Tim IT, ini dari vendor.\r\n\r\n---------- Pesan yang diteruskan ---------\r\n\
                     Dari: Vendor <support@vendor.test>\r\nTanggal: Sen, 23 Nov 2026 pukul 08.30\r\n\
                     Subjek: Gangguan jaringan\r\nKepada: <alice@corp.test>\r\n\r\n\
                     Ada gangguan fiber di area gedung B sampai jam 12.";
    let subject = format!("Fwd: [Helpdesk #{id}] Gangguan jaringan");
    let forward = mail::plain(alice, &subject, "fwd@mail.corp.test", "", forwarded);
    from_alice(&stack, &forward).await;
    let out = posko.run_once();
    assert!(out.contains("2 comments"), "{out}");

    let t = posko.ticket(id);
    let html = inbound_by_id(&t, "html-only@mail.gmail.com");
    assert_eq!(
        html["body_text"],
        "Aitäh, töötab nüüd.\nRuuter oli välja lülitatud."
    );
    let set_aside = html["quoted_text"].as_str().expect("quoted_text");
    assert!(set_aside.contains("kirjutas IT Helpdesk"), "{set_aside}");
    assert!(
        set_aside.contains("laporan Anda sudah kami terima"),
        "{set_aside}"
    );

    let fwd = inbound_by_id(&t, "fwd@mail.corp.test");
    let body = fwd["body_text"].as_str().unwrap();
    assert!(body.starts_with("Tim IT, ini dari vendor."), "{body}");
    assert!(body.ends_with("sampai jam 12."), "{body}");
    assert!(fwd["quoted_text"].is_null(), "{fwd}");
}
both!(html_and_forwarded_replies);
