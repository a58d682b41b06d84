//! The hostile list of issue 11: unknown, malformed, expired, used and
//! superseded tokens, a merged ticket, bad ratings, a missing field, a
//! 10 MB body, two submissions at once, a `<script>` subject, a flood of
//! submissions. Each gets its page and status, and changes nothing else.

use super::*;
use crate::both;
use crate::harness::posko::free_port;

async fn bad_tokens_and_bad_forms(backend: Backend) {
    let stack = MailStack::start().await;
    let port = free_port();
    let mut posko = desk_with(
        backend,
        &stack,
        &format!("[web]\nlisten = \"127.0.0.1:{port}\"\nposts_per_minute = 40\n"),
    )
    .await;
    posko.web_port = port;
    let r = resolve(&stack, &posko, "Login <script>alert(1)</script> gagal", 1).await;
    let before = posko.ticket(r.id);
    serve(&mut posko).await;

    // The subject shows as text.
    let page = get(&posko, &r.links.survey).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // Unknown: a guessed token of the right shape, a short one, junk.
    let guessed = format!("/s/{}", "A".repeat(43));
    for path in [
        guessed.as_str(),
        "/s/abc",
        "/s/%27%20OR%201=1--",
        "/s/x/confirm",
    ] {
        let a = get(&posko, path).await;
        assert_eq!(a.status, 404, "{path}");
        assert!(a.body.contains("tidak dikenal"), "{path}: {}", a.body);
        assert_eq!(
            post(&posko, path, &form(5, 5, "")).await.status,
            404,
            "{path}"
        );
    }
    // Bad ratings and missing fields: the form again, 400.
    for bad in ["0", "6", "abc", "", "3.5"] {
        let body = form(4, 4, "").replace("overall=4", &format!("overall={bad}"));
        let a = post(&posko, &r.links.survey, &body).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert!(
            a.body.contains("harus angka 1 sampai 5") || a.body.contains("belum dijawab"),
            "{}",
            a.body
        );
    }
    let missing = form(4, 4, "").replace("speed=4&", "");
    let a = post(&posko, &r.links.survey, &missing).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("Kecepatan penanganan"), "{}", a.body);
    let twice = format!("{}&overall=1", form(4, 4, ""));
    assert_eq!(post(&posko, &r.links.survey, &twice).await.status, 400);
    let long = form(4, 4, &"x".repeat(4001));
    assert_eq!(post(&posko, &r.links.survey, &long).await.status, 400);
    // 10 MB.
    let huge = format!(
        "{}&comment={}",
        form(4, 4, ""),
        "y".repeat(10 * 1024 * 1024)
    );
    let a = post(&posko, &r.links.survey, &huge).await;
    assert_eq!(a.status, 413, "{}", a.head);
    // Nothing changed by any of it.
    let after = posko.ticket(r.id);
    assert_eq!(after["survey"], before["survey"]);
    assert_eq!(after["events"], before["events"]);
    assert_eq!(after["status"], "resolved");

    // Two at once: exactly one wins.
    let (one, two) = (form(5, 5, "satu"), form(1, 1, "dua"));
    let (a, b) = tokio::join!(
        post(&posko, &r.links.survey, &one),
        post(&posko, &r.links.survey, &two)
    );
    let mut codes = [a.status, b.status];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let t = posko.ticket(r.id);
    assert_eq!(events(&t, "survey_answered"), 1);
    let (c1, c2) = tokio::join!(
        post(&posko, &r.links.confirm, ""),
        post(&posko, &r.links.confirm, "")
    );
    let mut codes = [c1.status, c2.status];
    codes.sort();
    assert_eq!(codes, [200, 409]);
    assert_eq!(events(&posko.ticket(r.id), "confirmed"), 1);

    // Expired: a second ticket whose links ran out.
    posko.stop_daemon();
    let old = resolve(&stack, &posko, "Internet lambat di gedung C", 2).await;
    posko
        .sql(&format!(
            "UPDATE surveys SET expires_at = 1000 WHERE ticket_id = {}",
            old.id
        ))
        .await;
    // Merged: a third ticket merged into the second.
    let merged = resolve(&stack, &posko, "Internet lambat di gedung D", 3).await;
    posko
        .sql(&format!(
            "UPDATE tickets SET merged_into = {}, status = 'closed' WHERE id = {}",
            old.id, merged.id
        ))
        .await;
    serve(&mut posko).await;
    for link in [&old.links.survey, &old.links.confirm, &old.links.reopen] {
        let a = get(&posko, link).await;
        assert_eq!(a.status, 410, "{link}");
        assert!(a.body.contains("kedaluwarsa"), "{}", a.body);
    }
    assert_eq!(
        post(&posko, &old.links.survey, &form(5, 5, ""))
            .await
            .status,
        410
    );
    assert_eq!(post(&posko, &old.links.reopen, "text=x").await.status, 410);
    assert_eq!(posko.ticket(old.id)["status"], "resolved");
    for link in [&merged.links.survey, &merged.links.reopen] {
        let a = get(&posko, link).await;
        assert_eq!(a.status, 410, "{link}");
        assert!(a.body.contains("digabung"), "{}", a.body);
    }
    assert_eq!(
        post(&posko, &merged.links.reopen, "text=x").await.status,
        410
    );
    assert_eq!(posko.ticket(merged.id)["status"], "closed");

    // A flood from one address: past 40 a minute, 429.
    let mut refused = 0;
    for _ in 0..45 {
        if post(&posko, &guessed, "x=1").await.status == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 5, "{refused}");
}
both!(bad_tokens_and_bad_forms);
