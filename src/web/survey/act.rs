//! What a submitted page writes, each in one transaction that begins with
//! its claim (a conditional `UPDATE`, see [`crate::store::surveys`]): of
//! two submissions at once exactly one changes anything; the other gets
//! the refusal the row now calls for. A survey answer's transaction is
//! shared with the answers that arrive beside it ([`super::commit`]).

use anyhow::{Context, Result};
use serde_json::json;

use super::{Site, seen};
use crate::domain::{Direction, EmailAddress, EventKind, MailKind, Status, Visibility};
use crate::lifecycle::mail::{self, Queued};
use crate::mail::context::survey::{Rated, SurveyLow, SurveyReopened};
use crate::mail::context::{Desk, TicketRef};
use crate::sla::scan::staff_keys_of;
use crate::staff_token::KeyRing;
use crate::store::events::{self, MsgRef};
use crate::store::script::Script;
use crate::store::surveys::{self, Found};
use crate::store::unit::Unit;
use crate::store::{Conn, Db, messages, tickets};
use crate::survey::{self, Answer, Page, Refusal, scale_label};

/// After a lost claim: why, as the row is now.
async fn lost(c: &mut Conn, f: &Found, page: Page, now: i64) -> Result<Refusal> {
    let hash_of_row =
        sqlx::query_scalar::<_, String>("SELECT token_hash FROM surveys WHERE id = $1")
            .bind(f.id)
            .fetch_one(&mut *c)
            .await?;
    let now_row = surveys::find(c, &hash_of_row).await?;
    Ok(survey::access(page, now_row.as_ref().map(seen), now)
        .err()
        .unwrap_or(Refusal::Answered))
}

fn reference(site: &Site, f: &Found) -> String {
    format!("[{} #{}]", site.cfg.desk.tag, f.ticket_id)
}

fn ticket_ref(f: &Found) -> TicketRef {
    TicketRef {
        id: f.ticket_id,
        subject: f.subject.clone(),
    }
}

/// The `survey_answered` event of answer `a` to the survey `f`, at
/// `now` (written with the answers claimed beside it,
/// [`surveys::insert_answered_events_with`]). `ratings_json` is
/// `a.ratings` as JSON, made once for the claim: the data is written
/// around it, the same text as `json!({"survey", "score", "ratings",
/// "low"})` would give (keys in order), without building a JSON value per
/// answer.
pub fn answered_event(
    site: &Site,
    f: &Found,
    a: &Answer,
    ratings_json: &str,
    now: i64,
) -> surveys::AnsweredEvent {
    let questions = &site.cfg.survey.questions;
    let low = a.low_count(questions);
    surveys::AnsweredEvent {
        ticket_id: f.ticket_id,
        actor: f.requester.clone(),
        at: now,
        data: answered_data(f.id, survey::score(&a.ratings), ratings_json, low),
    }
}

/// A `survey_answered` event's data around the ratings' JSON, as
/// `json!` writes it (keys sorted).
fn answered_data(survey: i64, score: Option<i64>, ratings_json: &str, low: usize) -> String {
    format!("{}{survey}}}", data_head(score, ratings_json, low))
}

/// [`answered_data`] up to the survey's id, which a claim by token
/// ([`surveys::answer_by_token_with`]) learns and appends with the `}`.
fn data_head(score: Option<i64>, ratings_json: &str, low: usize) -> String {
    let score = score.map_or_else(|| "null".to_string(), |s| s.to_string());
    format!("{{\"low\":{low},\"ratings\":{ratings_json},\"score\":{score},\"survey\":")
}

/// The head of answer `a`'s `survey_answered` data ([`answered_event`]'s
/// data without the survey's id and the closing brace), for a claim by
/// token.
pub fn answered_data_head(site: &Site, a: &Answer, ratings_json: &str) -> String {
    let low = a.low_count(&site.cfg.survey.questions);
    data_head(survey::score(&a.ratings), ratings_json, low)
}

/// What else a claimed answer writes beside the survey row (claimed first
/// by [`surveys::claim_answers`], in the same transaction) and its event
/// ([`answered_event`]): a notice to the assignee (or group) of ratings
/// of 1 or 2, queued on `w` with the answers claimed beside it. `keys`:
/// the staff tokens' ring, read by the caller when an answer is low.
/// Nothing here touches the database, so an error is this answer's own;
/// the caller writes and commits ([`super::commit`], a group commit).
pub fn push_answer(
    w: &mut Script,
    site: &Site,
    f: &Found,
    a: &Answer,
    keys: Option<&KeyRing>,
    now: i64,
) -> Result<()> {
    let questions = &site.cfg.survey.questions;
    let low = a.low(questions);
    if !low.is_empty() {
        // Staff read the desk's language.
        let lang = site.cfg.desk.language;
        let rated = |(q, r): (&survey::Question, u8)| Rated {
            question: q.text(lang).to_string(),
            rating: r,
            label: scale_label(lang, r),
        };
        let ctx = SurveyLow {
            desk: Desk::of(&site.cfg.desk),
            ticket: ticket_ref(f),
            reference: reference(site, f),
            requester: shown_requester(f),
            low: low.into_iter().map(rated).collect(),
            ratings: questions
                .iter()
                .filter_map(|q| a.ratings.get(&q.key).map(|r| (q, *r)))
                .map(rated)
                .collect(),
            comment: a.comment.clone(),
        };
        let rendered = site
            .templates
            .render(MailKind::SurveyLow.template(), lang, &ctx)?;
        let to = mail::handlers(&site.cfg, f.assignee.as_deref(), f.group_key.as_deref());
        let q = Queued {
            id: f.ticket_id,
            subject: &f.subject,
            kind: MailKind::SurveyLow,
            to,
            internal: true,
            keys,
        };
        mail::queue(w, &site.cfg, q, &rendered, now)?;
    }
    Ok(())
}

fn shown_requester(f: &Found) -> String {
    crate::display_name::shown(f.requester_name.as_deref(), &f.requester)
}

/// The requester confirms: the ticket is closed by them.
pub async fn confirm(db: &Db, site: &Site, f: &Found, now: i64) -> Result<Result<(), Refusal>> {
    let mut tx = db.begin().await?;
    if !surveys::claim_close(&mut tx, f.ticket_id, "requester", now).await? {
        let why = lost(&mut tx, f, Page::Confirm, now).await?;
        return Ok(Err(why));
    }
    let mut w = Unit::new(&mut tx, db.backend());
    events::push(
        &mut w,
        f.ticket_id,
        EventKind::Confirmed,
        &f.requester,
        now,
        &MsgRef::None,
        &json!({ "from": "resolved", "to": "closed", "how": "page" }),
    );
    let c = w.conn().await?;
    crate::sla::life::on_status_change(
        c,
        f.ticket_id,
        Status::Resolved,
        Status::Closed,
        now,
        &site.cfg,
    )
    .await?;
    tx.commit()
        .await
        .context("cannot commit the confirmation")?;
    Ok(Ok(()))
}

/// The requester reopens, as a reply would: their text as a comment, the
/// ticket in progress, the resolution clock running again, the survey's
/// links ended; the assignee (or group) is told.
pub async fn reopen(
    db: &Db,
    site: &Site,
    f: &Found,
    text: &str,
    now: i64,
) -> Result<Result<(), Refusal>> {
    let from = f
        .ticket_status
        .as_deref()
        .and_then(Status::parse)
        .unwrap_or(Status::Resolved);
    let mut tx = db.begin().await?;
    if !surveys::claim_reopen(&mut tx, f.ticket_id, from.as_str(), now).await? {
        let why = lost(&mut tx, f, Page::Reopen, now).await?;
        return Ok(Err(why));
    }
    let to = Status::InProgress;
    let message_id =
        crate::mail::compose::new_message_id(Some(f.ticket_id), "page", site.cfg.desk.domain());
    let mut w = Unit::new(&mut tx, db.backend());
    let desk_to = vec![site.cfg.desk.address.as_str().to_string()];
    messages::push(
        &mut w,
        &messages::NewMessage {
            ticket_id: f.ticket_id,
            raw_id: None,
            outbox_id: None,
            direction: Direction::In,
            visibility: Visibility::Public,
            kind: "reply",
            message_id: &message_id,
            in_reply_to: None,
            refs: None,
            from_addr: &f.requester,
            from_name: f.requester_name.as_deref(),
            to_addrs: &desk_to,
            cc_addrs: &[],
            subject: &f.subject,
            body_text: text,
            body_html: None,
            quoted_text: None,
            author: &f.requester,
            auto_kind: None,
            created_at: now,
        },
        None,
        None,
        &[],
    )?;
    let mid = MsgRef::Latest(message_id.clone());
    events::push(
        &mut w,
        f.ticket_id,
        EventKind::CommentAdded,
        &f.requester,
        now,
        &mid,
        &json!({ "message_id": message_id, "auto": null, "how": "page" }),
    );
    events::push(
        &mut w,
        f.ticket_id,
        EventKind::Reopened,
        &f.requester,
        now,
        &mid,
        &json!({ "from": from.as_str(), "to": to.as_str(), "how": "page" }),
    );
    let c = w.conn().await?;
    crate::sla::life::on_status_change(c, f.ticket_id, from, to, now, &site.cfg).await?;
    // Also ends the survey's links (the status is no longer resolved).
    tickets::push_status(&mut w, f.ticket_id, to, now);
    let lang = site.cfg.desk.language;
    let ctx = SurveyReopened {
        desk: Desk::of(&site.cfg.desk),
        ticket: ticket_ref(f),
        reference: reference(site, f),
        requester: shown_requester(f),
        text: text.to_string(),
    };
    let rendered = site
        .templates
        .render(MailKind::SurveyReopened.template(), lang, &ctx)?;
    let to_staff = mail::handlers(&site.cfg, f.assignee.as_deref(), f.group_key.as_deref())
        .into_iter()
        .filter(|(_, a)| EmailAddress::parse(&f.requester).is_none_or(|r| r.base() != a.base()))
        .collect();
    let keys = staff_keys_of(&site.cfg, w.conn().await?).await?;
    let q = Queued {
        id: f.ticket_id,
        subject: &f.subject,
        kind: MailKind::SurveyReopened,
        to: to_staff,
        internal: true,
        keys: keys.as_deref(),
    };
    mail::queue(&mut w, &site.cfg, q, &rendered, now)?;
    w.finish().await?;
    tx.commit().await.context("cannot commit the reopening")?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn answered_data_is_the_text_json_writes() {
        let mut ratings = BTreeMap::new();
        ratings.insert("speed".to_string(), 2u8);
        ratings.insert("overall".to_string(), 5u8);
        ratings.insert("a\"b".to_string(), 1u8);
        let rj = serde_json::to_string(&ratings).unwrap();
        for score in [Some(4), None] {
            let want = json!({ "survey": 17, "score": score, "ratings": ratings, "low": 2 });
            assert_eq!(answered_data(17, score, &rj, 2), want.to_string());
            // A claim by token appends the id and the brace to the head.
            let by_token = format!("{}17}}", data_head(score, &rj, 2));
            assert_eq!(by_token, want.to_string());
        }
    }
}
