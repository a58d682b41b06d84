use super::*;

const SIMPLE: &[u8] = b"From: \"Alice Wijaya\" <Alice@Corp.test>\r\n\
To: helpdesk@corp.test\r\n\
Subject: =?UTF-8?Q?Internet_lambat_di_gedung_B?=\r\n\
Message-ID: <abc@mail.corp.test>\r\n\
In-Reply-To: <x1@corp.test>\r\n\
References: <x0@corp.test> <x1@corp.test>\r\n\
Date: Mon, 23 Nov 2026 07:55:00 +0700\r\n\
\r\n\
Halo, internet lambat sekali.\r\n";

#[test]
fn simple_message() {
    let m = parse(SIMPLE, "corp.test").unwrap();
    assert_eq!(m.subject, "Internet lambat di gedung B");
    assert_eq!(m.message_id, "abc@mail.corp.test");
    assert!(!m.message_id_generated);
    assert_eq!(
        m.from.as_ref().unwrap().name.as_deref(),
        Some("Alice Wijaya")
    );
    assert_eq!(m.from.as_ref().unwrap().address.base(), "alice@corp.test");
    assert_eq!(m.in_reply_to, vec!["x1@corp.test"]);
    assert_eq!(m.references, vec!["x0@corp.test", "x1@corp.test"]);
    assert_eq!(m.body_text.trim(), "Halo, internet lambat sekali.");
    assert!(m.auto.is_none());
    assert_eq!(m.date.unwrap().to_rfc3339(), "2026-11-23T00:55:00+00:00");
}

#[test]
fn missing_message_id_is_made_and_stable() {
    let raw = b"From: a@corp.test\r\nSubject: x\r\n\r\nbody\r\n";
    let a = parse(raw, "corp.test").unwrap();
    let b = parse(raw, "corp.test").unwrap();
    assert!(a.message_id_generated);
    assert_eq!(a.message_id, b.message_id);
    assert!(a.message_id.ends_with("@corp.test"));
}

#[test]
fn redelivery_with_new_trace_headers_has_same_key() {
    let mut again = b"Received: from mx by mx2; Mon, 23 Nov 2026 08:00:00 +0700\r\n".to_vec();
    again.extend_from_slice(SIMPLE);
    assert_eq!(
        parse(SIMPLE, "corp.test").unwrap().dedupe_key,
        parse(&again, "corp.test").unwrap().dedupe_key
    );
}

#[test]
fn html_only_becomes_text() {
    let raw = b"From: a@corp.test\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Printer <b>rusak</b></p><ul><li>lantai 2</li></ul>\r\n";
    let m = parse(raw, "corp.test").unwrap();
    assert!(m.body_text.contains("Printer"), "{}", m.body_text);
    assert!(m.body_text.contains("lantai 2"));
    assert!(!m.body_text.contains("<p>"));
    assert!(m.body_html.unwrap().contains("<b>rusak</b>"));
}

#[test]
fn a_message_past_its_budget_stops_and_says_which() {
    use crate::budget::Budget;
    use std::time::Duration;
    let spent = Meter::start(Budget {
        time: Duration::ZERO,
        memory: u64::MAX,
    });
    std::thread::sleep(Duration::from_millis(2));
    match parse_metered(SIMPLE, "corp.test", &spent) {
        Err(ParseError::TooExpensive(r)) => {
            assert!(
                r.starts_with("too expensive: decoding the message took"),
                "{r}"
            )
        }
        other => panic!("{other:?}"),
    }
    let tiny = Meter::start(Budget {
        time: Duration::from_secs(60),
        memory: 100,
    });
    match parse_metered(SIMPLE, "corp.test", &tiny) {
        Err(ParseError::TooExpensive(r)) => {
            assert!(r.contains("inbound.max_message_memory"), "{r}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nul_characters_are_dropped() {
    let raw = b"From: a@corp.test\r\nSubject: a\0b\r\n\r\nte\0xt\r\n";
    let m = parse(raw, "corp.test").unwrap();
    assert_eq!(m.subject, "ab");
    assert_eq!(m.body_text.trim(), "text");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert_eq!(parse(b"", "x.test").unwrap_err(), ParseError::Empty);
    assert!(parse(b"\x00\x01\x02 not mail", "x.test").is_err());
    assert_eq!(
        parse(b"Subject: nobody\r\n\r\nhi", "x.test").unwrap_err(),
        ParseError::NoSender
    );
    // An address nobody can answer is still a sender to record.
    let m = parse(
        b"From: \"x\" <power quadrant@example.com>\r\n\r\nhi",
        "x.test",
    )
    .unwrap();
    assert!(m.from.is_none());
    assert_eq!(m.sender_text.as_deref(), Some("power quadrant@example.com"));
}

#[test]
fn attachments_have_name_type_size() {
    let raw = b"From: a@corp.test\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: image/png; name=\"layar.png\"\r\nContent-Disposition: attachment; filename=\"layar.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--XX--\r\n";
    let m = parse(raw, "corp.test").unwrap();
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].filename, "layar.png");
    assert_eq!(m.attachments[0].content_type, "image/png");
    assert_eq!(m.attachments[0].size, 5);
}

#[test]
fn text_beyond_the_kept_size_is_cut_with_a_note() {
    let long = "é".repeat(MAX_KEPT_TEXT); // two bytes each: twice the limit
    let kept = cap_text(long.clone());
    assert!(kept.len() < MAX_KEPT_TEXT + 100, "{}", kept.len());
    assert!(kept.starts_with(&long[..MAX_KEPT_TEXT]));
    assert!(kept.ends_with(&format!(
        "[… {MAX_KEPT_TEXT} more bytes of text are kept in the raw message]\n"
    )));
    assert_eq!(cap_text("short".into()), "short");
}
