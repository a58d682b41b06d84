use super::*;
use crate::staff_token::{Key, issue};

/// 2026-11-23T01:00:00Z.
const T0: i64 = 1_795_395_600;

fn staff() -> Staff {
    Staff {
        name: "Budi Santoso".into(),
        email: EmailAddress::parse("budi@corp.test").unwrap(),
        handle: "budi".into(),
        level: 2,
        groups: vec!["network".into()],
        role: Role::Agent,
    }
}

/// The desk's address and an alias.
struct TestDesk {
    address: EmailAddress,
    aliases: Vec<EmailAddress>,
}

impl OwnAddress for TestDesk {
    fn is_own_address(&self, addr: &EmailAddress) -> bool {
        self.address.is_own_address(addr) || self.aliases.iter().any(|a| a.is_own_address(addr))
    }
}

fn desk() -> TestDesk {
    TestDesk {
        address: EmailAddress::parse("helpdesk@corp.test").unwrap(),
        aliases: vec![EmailAddress::parse("security@corp.test").unwrap()],
    }
}

fn keys() -> KeyRing {
    KeyRing::new(vec![Key::new(b"s3cret-s3cret-s3cret".to_vec(), 0, None)]).unwrap()
}

fn message(headers: &str) -> InboundMessage {
    let raw = format!(
        "From: Budi Santoso <budi@corp.test>\r\n{headers}Subject: x\r\n\
         Message-ID: <m@x>\r\n\r\nbody\r\n"
    );
    crate::parse::parse(raw.as_bytes(), "corp.test").unwrap()
}

fn address(handle: &str, ticket: Option<TicketId>, at: i64) -> String {
    let t = issue(&keys(), handle, ticket, at);
    tokened_address(&desk().address, &t).to_string()
}

/// The verdict on `msg` (sent to `envelope` when given) about `ticket`.
fn judge(
    auth: &Auth,
    msg: &InboundMessage,
    envelope: &[String],
    ticket: Option<TicketId>,
    now: i64,
) -> Verdict {
    let staff = staff();
    let r = recipients(auth, envelope, msg);
    verify(
        auth,
        &desk(),
        &keys(),
        &Claim {
            staff: &staff,
            ticket,
            recipients: &r,
            headers: &msg.headers,
            now,
        },
    )
}

#[test]
fn a_reply_to_the_tickets_address_passes_and_others_fail() {
    let auth = Auth::default();
    let addr = address("budi", Some(7), T0);
    assert!(addr.starts_with("helpdesk+1"), "{addr}");
    let ok = judge(
        &auth,
        &message(&format!("To: IT Helpdesk <{addr}>\r\n")),
        &[],
        Some(7),
        T0 + 3600,
    );
    assert!(ok.passed(), "{ok:?}");
    assert!(
        ok.json()["token"]["detail"]
            .as_str()
            .unwrap()
            .contains("ticket #7")
    );
    // In Cc, next to another address, works as well.
    let cc = message(&format!("To: alice@corp.test\r\nCc: {addr}\r\n"));
    assert!(judge(&auth, &cc, &[], Some(7), T0).passed());
    // Another ticket: refused, and said so.
    let other = judge(
        &auth,
        &message(&format!("To: {addr}\r\n")),
        &[],
        Some(8),
        T0,
    );
    assert!(!other.passed());
    assert_eq!(
        other.token_problem,
        Some(Problem::OtherTicket {
            token_ticket: Some(7)
        })
    );
    assert!(
        other.reason().unwrap().contains("nothing on ticket #8"),
        "{other:?}"
    );
    // Siti's address for the same ticket is not Budi's.
    let siti = address("siti", Some(7), T0);
    let wrong = judge(
        &auth,
        &message(&format!("Cc: {siti}\r\n")),
        &[],
        Some(7),
        T0,
    );
    assert!(wrong.reason().unwrap().contains("not budi's"), "{wrong:?}");
    // A token on someone else's address proves nothing.
    let token = addr.split(['+', '@']).nth(1).unwrap();
    let elsewhere = message(&format!("To: budi+{token}@corp.test\r\n"));
    let v = judge(&auth, &elsewhere, &[], Some(7), T0);
    assert_eq!(v.token_problem, Some(Problem::Missing));
    // No token at all.
    let none = judge(
        &auth,
        &message("To: helpdesk@corp.test\r\n"),
        &[],
        Some(7),
        T0,
    );
    assert!(none.reason().unwrap().contains("no token"), "{none:?}");
    assert_eq!(none.json()["token"]["problem"], "missing");
}

#[test]
fn an_expired_token_says_so() {
    let auth = Auth::default();
    let addr = address("budi", Some(7), T0);
    let msg = message(&format!("To: {addr}\r\n"));
    let lifetime = auth.token_lifetime.as_secs() as i64;
    assert!(judge(&auth, &msg, &[], Some(7), T0 + lifetime - 60).passed());
    let v = judge(&auth, &msg, &[], Some(7), T0 + lifetime);
    assert!(
        matches!(v.token_problem, Some(Problem::Expired { .. })),
        "{v:?}"
    );
    let why = v.reason().unwrap();
    assert!(why.contains("expired at 2027-01-22 01:00 UTC"), "{why}");
    assert!(why.contains("token_lifetime is 60d"), "{why}");
    assert!(why.contains("reply to a newer mail"), "{why}");
}

#[test]
fn the_token_is_read_only_from_where_the_mail_was_sent() {
    let addr = address("budi", Some(7), T0);
    let token_mode = Auth::default();
    // A Delivered-To the sender wrote: not read by default.
    let written = message(&format!(
        "To: helpdesk@corp.test\r\nDelivered-To: {addr}\r\nX-Original-To: {addr}\r\n\
         Envelope-To: {addr}\r\nReply-To: {addr}\r\n"
    ));
    let v = judge(&token_mode, &written, &[], Some(7), T0);
    assert_eq!(v.token_problem, Some(Problem::Missing), "{v:?}");
    // When the server adds Delivered-To, the topmost one is the
    // server's; the sender's lies below it.
    let server = Auth {
        recipient_header: Some("Delivered-To".into()),
        ..Auth::default()
    };
    let stacked = message(&format!(
        "Delivered-To: helpdesk@corp.test\r\nTo: {addr}\r\nDelivered-To: {addr}\r\n"
    ));
    let v = judge(&server, &stacked, &[], Some(7), T0);
    assert_eq!(
        v.token_problem,
        Some(Problem::Missing),
        "To is not read either"
    );
    assert!(
        v.reason().unwrap().contains("topmost Delivered-To"),
        "{v:?}"
    );
    let delivered = message(&format!(
        "Delivered-To: <{addr}>\r\nTo: helpdesk@corp.test\r\n"
    ));
    assert!(judge(&server, &delivered, &[], Some(7), T0).passed());
    // The envelope recipient outranks every header.
    let env = |a: &str| vec![a.to_string()];
    assert!(judge(&token_mode, &written, &env(&addr), Some(7), T0).passed());
    let v = judge(
        &token_mode,
        &message(&format!("To: {addr}\r\n")),
        &env("helpdesk@corp.test"),
        Some(7),
        T0,
    );
    assert!(!v.passed(), "To does not count when the envelope is known");
    assert!(v.reason().unwrap().contains("envelope recipient"));
}

#[test]
fn a_new_ticket_needs_the_personal_address() {
    let auth = Auth::default();
    let personal = address("budi", None, T0);
    let msg = message(&format!("To: {personal}\r\n"));
    assert!(judge(&auth, &msg, &[], None, T0).passed());
    assert!(!judge(&auth, &msg, &[], Some(7), T0).passed());
    let ticket = address("budi", Some(7), T0);
    let v = judge(&auth, &message(&format!("To: {ticket}\r\n")), &[], None, T0);
    assert!(v.reason().unwrap().contains("a new ticket"), "{v:?}");
}

#[test]
fn the_closest_token_explains_the_failure() {
    let auth = Auth::default();
    let siti = address("siti", Some(7), T0);
    let other = address("budi", Some(9), T0);
    let msg = message(&format!(
        "To: {siti}, helpdesk+zz@corp.test\r\nCc: {other}\r\n"
    ));
    let v = judge(&auth, &msg, &[], Some(7), T0);
    assert_eq!(
        v.token_problem,
        Some(Problem::OtherTicket {
            token_ticket: Some(9)
        })
    );
}

#[test]
fn trace_header_values_are_read_as_addresses() {
    let a = |v: &str| {
        addresses_in(v)
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(a("helpdesk+x@corp.test"), ["helpdesk+x@corp.test"]);
    assert_eq!(a(" <helpdesk+x@corp.test>"), ["helpdesk+x@corp.test"]);
    assert_eq!(a("a@x.test, b@y.test"), ["a@x.test", "b@y.test"]);
    assert!(a("nonsense").is_empty());
}

fn dkim_verdict(auth: &Auth, ar: &[&str]) -> Verdict {
    let headers: String = ar
        .iter()
        .map(|v| format!("Authentication-Results: {v}\r\n"))
        .collect();
    judge(auth, &message(&headers), &[], Some(7), T0)
}

#[test]
fn dkim_needs_our_server_and_an_aligned_pass() {
    let auth = Auth {
        mode: AuthMode::Dkim,
        authserv_id: Some("mx.corp.test".into()),
        ..Auth::default()
    };
    let check = |v: &str| dkim_verdict(&auth, &[v]);
    assert!(
        check("mx.corp.test; dkim=pass (2048-bit key) header.d=corp.test header.s=s1").passed()
    );
    assert!(
        check("MX.corp.test 1; spf=pass smtp.mailfrom=corp.test; dmarc=pass header.from=corp.test")
            .passed()
    );
    let v = check("mx.corp.test; dkim=fail header.d=corp.test");
    assert!(v.reason().unwrap().contains("dkim=fail"), "{v:?}");
    assert!(!check("mx.corp.test; dkim=pass header.d=evil.test").passed());
    // Someone else's server vouches for nothing.
    assert!(!check("mx.evil.test; dkim=pass header.d=corp.test").passed());
    // Only the first of our headers counts (ours is prepended).
    let two = dkim_verdict(
        &auth,
        &[
            "mx.corp.test; dkim=none",
            "mx.corp.test; dkim=pass header.d=corp.test",
        ],
    );
    assert!(!two.passed());
    let both = Auth {
        mode: AuthMode::Both,
        ..auth.clone()
    };
    let v = dkim_verdict(&both, &["mx.corp.test; dkim=pass header.d=corp.test"]);
    assert!(!v.passed(), "both needs the token too");
    assert_eq!(v.json()["dkim"]["result"], "pass");
}
