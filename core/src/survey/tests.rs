use std::collections::BTreeMap;

use super::*;

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn all(r: &str) -> Vec<(String, String)> {
    DEFAULT_KEYS
        .iter()
        .map(|k| (k.to_string(), r.to_string()))
        .collect()
}

#[test]
fn ratings_are_one_to_five_and_nothing_else() {
    for ok in ["1", "5", " 3 "] {
        assert!(parse_rating(ok).is_some(), "{ok}");
    }
    for bad in ["0", "6", "abc", "", "1.0", "+1", "-1", "١"] {
        assert_eq!(parse_rating(bad), None, "{bad}");
    }
}

#[test]
fn a_form_needs_every_question_once() {
    let q = default_questions();
    let mut f = all("4");
    f.push(("comment".into(), "  Cepat sekali  ".into()));
    f.push(("send".into(), "x".into()));
    let a = read_form(&q, &f).unwrap();
    assert_eq!(a.ratings.len(), 10);
    assert_eq!(a.comment.as_deref(), Some("Cepat sekali"));

    let missing = &all("4")[1..];
    assert_eq!(
        read_form(&q, missing),
        Err(FormError::Missing("reporting".into()))
    );
    let mut bad = all("4");
    bad[7].1 = "6".into();
    assert_eq!(
        read_form(&q, &bad),
        Err(FormError::BadRating("overall".into()))
    );
    let mut twice = all("4");
    twice.push(("speed".into(), "1".into()));
    assert_eq!(read_form(&q, &twice), Err(FormError::Twice("speed".into())));
    let mut long = all("4");
    long.push(("comment".into(), "x".repeat(MAX_COMMENT_CHARS + 1)));
    assert_eq!(read_form(&q, &long), Err(FormError::CommentTooLong));
    assert_eq!(
        read_form(&q, &fields(&[])).unwrap_err().field(),
        "reporting"
    );
}

#[test]
fn the_score_is_overall_else_the_rounded_mean() {
    let mut r = BTreeMap::new();
    assert_eq!(score(&r), None);
    r.insert("speed".to_string(), 4u8);
    r.insert("quality".to_string(), 5u8);
    assert_eq!(score(&r), Some(5)); // 4.5 rounds up
    r.insert("fit".to_string(), 3u8);
    assert_eq!(score(&r), Some(4));
    r.insert("overall".to_string(), 2u8);
    assert_eq!(score(&r), Some(2));
}

#[test]
fn low_ratings_are_listed_in_question_order() {
    let q = default_questions();
    let mut f = all("5");
    f[1].1 = "2".into();
    f[7].1 = "1".into();
    let a = read_form(&q, &f).unwrap();
    let low: Vec<(&str, u8)> = a
        .low(&q)
        .iter()
        .map(|(q, r)| (q.key.as_str(), *r))
        .collect();
    assert_eq!(low, [("speed", 2), ("overall", 1)]);
    assert_eq!(a.low_count(&q), 2);
    // A rating of a key no question has is not counted, as not listed.
    let mut extra = a.clone();
    extra.ratings.insert("unasked".to_string(), 1);
    assert_eq!(extra.low_count(&q), extra.low(&q).len());
    assert_eq!(read_form(&q, &all("5")).unwrap().low_count(&q), 0);
}

fn seen(state: State, status: &str) -> Seen<'_> {
    Seen {
        state,
        expires_at: 1_000,
        newer: false,
        ticket_status: Some(status),
        merged: false,
    }
}

#[test]
fn access_follows_the_row_and_the_ticket() {
    use Page::*;
    let now = 500;
    assert_eq!(access(Survey, None, now), Err(Refusal::Unknown));
    assert_eq!(
        access(Survey, Some(seen(State::Open, "resolved")), now),
        Ok(())
    );
    assert_eq!(
        access(Survey, Some(seen(State::Open, "resolved")), 1_000),
        Err(Refusal::Expired)
    );
    assert_eq!(
        access(Survey, Some(seen(State::Answered, "resolved")), now),
        Err(Refusal::Answered)
    );
    // Confirming after answering the survey is fine; twice is not.
    assert_eq!(
        access(Confirm, Some(seen(State::Answered, "resolved")), now),
        Ok(())
    );
    assert_eq!(
        access(Confirm, Some(seen(State::Open, "closed")), now),
        Err(Refusal::AlreadyClosed)
    );
    // A closed ticket may still be reopened from its link.
    assert_eq!(
        access(Reopen, Some(seen(State::Open, "closed")), now),
        Ok(())
    );
    assert_eq!(
        access(Reopen, Some(seen(State::Answered, "in_progress")), now),
        Err(Refusal::NotResolved)
    );
    let superseded = seen(State::Superseded, "resolved");
    assert_eq!(
        access(Survey, Some(superseded), now),
        Err(Refusal::Superseded)
    );
    let newer = Seen {
        newer: true,
        ..seen(State::Answered, "resolved")
    };
    assert_eq!(access(Confirm, Some(newer), now), Err(Refusal::Superseded));
    let merged = Seen {
        merged: true,
        ..seen(State::Open, "closed")
    };
    assert_eq!(access(Survey, Some(merged), now), Err(Refusal::TicketGone));
    let gone = Seen {
        ticket_status: None,
        ..seen(State::Open, "x")
    };
    assert_eq!(access(Reopen, Some(gone), now), Err(Refusal::TicketGone));
    assert_eq!(Refusal::Unknown.status(), 404);
    assert_eq!(Refusal::Expired.status(), 410);
    assert_eq!(Refusal::Answered.status(), 409);
}

#[test]
fn tokens_are_hashed_and_shaped() {
    let t = "A".repeat(TOKEN_CHARS);
    assert!(token_well_formed(&t));
    assert!(!token_well_formed(&t[1..]));
    assert!(!token_well_formed(&format!("{}=", &t[1..])));
    let h = token_hash(&t);
    assert_eq!(h.len(), 64);
    assert_ne!(h, token_hash(&"B".repeat(TOKEN_CHARS)));
}

#[test]
fn a_resolution_schedules_expiry_reminder_and_auto_close() {
    let s = Settings::default();
    let c = Closure::default();
    assert_eq!(
        schedule(&s, &c, 0),
        (30 * 86_400, Some(3 * 86_400), Some(5 * 86_400))
    );
    let off = Settings {
        remind_after: None,
        ..s
    };
    let keep = Closure {
        auto_close_after: None,
    };
    assert_eq!(schedule(&off, &keep, 10), (10 + 30 * 86_400, None, None));
    assert_eq!(scale_label(crate::domain::Language::Id, 1), "Tidak puas");
    assert_eq!(
        scale_label(crate::domain::Language::En, 5),
        "Very satisfied"
    );
    assert_eq!(scale_label(crate::domain::Language::En, 0), "");
}
