//! The requester's pages behind the links of the resolution mail (issue
//! 11): `/s/TOKEN` (the survey; `?r=N` pre-selects `overall`),
//! `/s/TOKEN/confirm` and `/s/TOKEN/reopen`.
//!
//! A GET only shows: mail scanners (Safe Links, Mimecast, Proofpoint)
//! fetch every link in a mail, so nothing changes until a person submits a
//! form. Every refusal is a page of its own with its status: unknown token
//! 404, merged or superseded or expired 410, already answered or closed
//! 409, a bad form 400 (shown again with what is wrong), a body too large
//! 413, too many submissions 429. The pure decisions are the core's
//! ([`crate::survey`]); the writes are in [`act`]. Under load the token
//! lookups that arrive together are read in one statement (`lookup`)
//! and the survey answers share one commit ([`commit`]).

mod act;
pub mod commit;
mod form_body;
mod frame;
mod limit;
mod lookup;
pub mod pages;
mod site;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::WebState;
use crate::config::Language;
use crate::store::Backend;
use crate::store::surveys::Found;
use crate::survey::{self, MAX_COMMENT_CHARS, Page, Refusal, Seen, State as SurveyState};
pub use commit::{Answers, Target};
pub use limit::Limiter;
pub use lookup::Lookups;
use pages::{FieldError, PageCtx, TicketLine};
pub use site::{Site, follow};

/// The pages' routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/s/{token}", get(survey_get).post(survey_post))
        .route("/s/{token}/confirm", get(confirm_get).post(confirm_post))
        .route("/s/{token}/reopen", get(reopen_get).post(reopen_post))
        .route(pages::CSS_PATH, get(pages::css))
}

fn now() -> i64 {
    crate::mail::compose::wall_clock()
}

fn language(code: &str) -> Language {
    if code == "en" {
        Language::En
    } else {
        Language::Id
    }
}

/// A token's survey as the core judges it for `page` at `now`.
struct Looked {
    found: Option<Found>,
    verdict: Result<(), Refusal>,
    /// The token's hash (empty for junk): an answer's claim needs it too.
    hash: String,
}

async fn look(st: &WebState, token: &str, page: Page, now: i64) -> anyhow::Result<Looked> {
    // Junk never reaches the database.
    if !survey::token_well_formed(token) {
        return Ok(Looked {
            found: None,
            verdict: Err(Refusal::Unknown),
            hash: String::new(),
        });
    }
    let hash = survey::token_hash(token);
    let found = st.lookups.find(hash.clone()).await?;
    let verdict = survey::access(page, found.as_ref().map(seen), now);
    Ok(Looked {
        found,
        verdict,
        hash,
    })
}

fn seen(f: &Found) -> Seen<'_> {
    Seen {
        state: SurveyState::parse(&f.state).unwrap_or(SurveyState::Superseded),
        expires_at: f.expires_at,
        newer: f.newer,
        ticket_status: f.ticket_status.as_deref(),
        merged: f.merged,
    }
}

/// The survey's language, else the desk's.
fn lang_of(site: &Site, found: Option<&Found>) -> Language {
    found
        .map(|f| language(&f.language))
        .unwrap_or(site.cfg.desk.language)
}

/// The base of a page's context: the desk, and the ticket line when the
/// link is good.
fn base(site: &Site, found: Option<&Found>, token: &str, show_ticket: bool) -> (Language, PageCtx) {
    let lang = lang_of(site, found);
    let ticket = found.filter(|_| show_ticket).map(|f| TicketLine {
        id: f.ticket_id,
        subject: f.subject.clone(),
    });
    (lang, page_ctx(&site.cfg.desk.name, lang, ticket, token))
}

/// A page's context for `token`'s links in `lang`.
fn page_ctx(desk: &str, lang: Language, ticket: Option<TicketLine>, token: &str) -> PageCtx {
    let path = crate::lifecycle::links::survey_path(token);
    PageCtx {
        lang: lang.code(),
        desk: desk.to_string(),
        ticket,
        max_comment: MAX_COMMENT_CHARS,
        reopen: format!("{path}/reopen"),
        survey: path.clone(),
        action: path,
        ..PageCtx::default()
    }
}

fn refuse(site: &Site, found: Option<&Found>, token: &str, why: Refusal) -> Response {
    page_refusal(site, found, token, why.key(), status(why.status()))
}

fn page_refusal(
    site: &Site,
    found: Option<&Found>,
    token: &str,
    kind: &'static str,
    code: StatusCode,
) -> Response {
    let lang = lang_of(site, found);
    // The same for every token: rendered beforehand.
    if let Some(html) = site.refusal(lang, kind) {
        return pages::html_response(code, html.to_string());
    }
    let (lang, mut ctx) = base(site, found, token, false);
    ctx.kind = kind;
    site.pages.respond(code, "refusal", lang, &ctx)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

fn trouble(site: &Site, e: anyhow::Error) -> Response {
    tracing::warn!(error = %format!("{e:#}"), "survey page failed");
    page_refusal(site, None, "", "trouble", StatusCode::SERVICE_UNAVAILABLE)
}

#[derive(Debug, Deserialize)]
struct Preselect {
    r: Option<String>,
}

async fn survey_get(
    State(st): State<WebState>,
    Path(token): Path<String>,
    Query(pre): Query<Preselect>,
) -> Response {
    let site = &st.site();
    let l = match look(&st, &token, Page::Survey, now()).await {
        Ok(l) => l,
        Err(e) => return trouble(site, e),
    };
    if let Err(why) = l.verdict {
        return refuse(site, l.found.as_ref(), &token, why);
    }
    let (lang, mut ctx) = base(site, l.found.as_ref(), &token, true);
    // A rating link from the mail: `overall` chosen, nothing recorded.
    let overall = pre.r.as_deref().and_then(survey::parse_rating);
    if let (Some(frame), Some(f)) = (site.frame(lang, overall), &l.found) {
        let html = frame.fill(f.ticket_id, &f.subject, &token);
        return pages::html_response(StatusCode::OK, html);
    }
    ctx.form = site.form(lang, overall).to_string();
    site.pages.respond(StatusCode::OK, "survey", lang, &ctx)
}

/// The decoded fields of a form body, or the page for a body too large.
fn fields(body: Result<Bytes, BytesRejection>) -> Result<Vec<(String, String)>, StatusCode> {
    let body = body.map_err(|e| e.status())?;
    Ok(form_body::fields(&body))
}

/// A POST that may act: from `peer` within its quota, with a readable
/// body, on a token whose `page` may act now.
struct Admitted {
    form: Vec<(String, String)>,
    found: Found,
    at: i64,
}

/// A POST's form, when `peer` is within its quota and the body readable.
// The error is the page that ends the request: boxing it gains nothing.
#[allow(clippy::result_large_err)]
fn received(
    site: &Site,
    peer: SocketAddr,
    token: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<(String, String)>, Response> {
    if !site.limiter.allow(peer.ip(), now()) {
        let code = StatusCode::TOO_MANY_REQUESTS;
        return Err(page_refusal(site, None, token, "too_many", code));
    }
    fields(body).map_err(|code| {
        let kind = if code == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "trouble"
        };
        page_refusal(site, None, token, kind, code)
    })
}

async fn admit(
    st: &WebState,
    site: &Site,
    peer: SocketAddr,
    token: &str,
    page: Page,
    body: Result<Bytes, BytesRejection>,
) -> Result<Admitted, Response> {
    let form = received(site, peer, token, body)?;
    let at = now();
    let l = look(st, token, page, at)
        .await
        .map_err(|e| trouble(site, e))?;
    match (l.verdict, l.found) {
        (Ok(()), Some(found)) => Ok(Admitted { form, found, at }),
        (verdict, found) => {
            let why = verdict.err().unwrap_or(Refusal::Unknown);
            Err(refuse(site, found.as_ref(), token, why))
        }
    }
}

async fn survey_post(
    State(st): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let site = &st.site();
    let form = match received(site, peer, &token, body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !survey::token_well_formed(&token) {
        return refuse(site, None, &token, Refusal::Unknown);
    }
    let at = now();
    let answer = match survey::read_form(&site.cfg.survey.questions, &form) {
        Ok(a) => a,
        Err(e) => return form_again(&st, site, &token, &form, e, at).await,
    };
    let (target, hash) = match target(&st, site, &token, &answer, at).await {
        Ok(t) => t,
        Err(page) => return page,
    };
    match st
        .answers
        .answer(site.clone(), target, hash, answer, at)
        .await
    {
        Ok(commit::Outcome::Answered(found)) => done(site, &found, &token, "answered"),
        Ok(commit::Outcome::NotClaimed) => match look(&st, &token, Page::Survey, at).await {
            // Answered meanwhile, or expired…: the row says which.
            Ok(l) => {
                let why = l.verdict.err().unwrap_or(Refusal::Answered);
                refuse(site, l.found.as_ref(), &token, why)
            }
            Err(e) => trouble(site, e),
        },
        Err(e) => trouble(site, e),
    }
}

/// Which survey an answer goes to the writer for, with its token's hash.
/// On PostgreSQL an answer with no staff notice goes by its token: the
/// writer's claim finds the survey itself, with no lookup before it, and
/// only a claim that matched nothing is looked up afterwards, for its
/// refusal. Otherwise the lookup (read together with the others') says
/// whether the survey can take an answer: refusals (answered, expired,
/// unknown…) never reach the writer, and each is final (no survey goes
/// back to open). An open one goes to the writer, whose conditional claim
/// decides between posts that arrive together.
async fn target(
    st: &WebState,
    site: &Site,
    token: &str,
    answer: &survey::Answer,
    at: i64,
) -> Result<(Target, String), Response> {
    let low = answer.low_count(&site.cfg.survey.questions) > 0;
    if matches!(st.db.backend(), Backend::Postgres) && !low {
        return Ok((Target::Token, survey::token_hash(token)));
    }
    let (found, hash) = open_survey(st, site, token, at).await?;
    Ok((Target::Found(Box::new(found)), hash))
}

/// The survey of `token` (and the token's hash) when it can take an
/// answer; else the page that says why not (answered, expired, unknown…),
/// or that the lookup failed.
async fn open_survey(
    st: &WebState,
    site: &Site,
    token: &str,
    at: i64,
) -> Result<(Found, String), Response> {
    let l = look(st, token, Page::Survey, at)
        .await
        .map_err(|e| trouble(site, e))?;
    match (l.verdict, l.found) {
        (Ok(()), Some(found)) => Ok((found, l.hash)),
        (verdict, found) => {
            let why = verdict.err().unwrap_or(Refusal::Unknown);
            Err(refuse(site, found.as_ref(), token, why))
        }
    }
}

/// A form that is not an answer: the refusal when the token cannot be
/// answered anyway, else the form again with what was chosen and what is
/// wrong.
async fn form_again(
    st: &WebState,
    site: &Site,
    token: &str,
    form: &[(String, String)],
    e: survey::FormError,
    at: i64,
) -> Response {
    let found = match open_survey(st, site, token, at).await {
        Ok((found, _)) => found,
        Err(page) => return page,
    };
    let (lang, mut ctx) = base(site, Some(&found), token, true);
    let given = |k: &str| {
        form.iter()
            .rev()
            .find(|(f, _)| f == k)
            .and_then(|(_, v)| survey::parse_rating(v))
    };
    ctx.form = match site.form_with(lang, &given) {
        Ok(f) => f,
        Err(e) => return trouble(site, e),
    };
    ctx.comment = form
        .iter()
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.chars().take(MAX_COMMENT_CHARS).collect())
        .unwrap_or_default();
    let question = site
        .cfg
        .survey
        .questions
        .iter()
        .find(|q| q.key == e.field())
        .map(|q| q.text(lang).to_string())
        .unwrap_or_default();
    let kind = match e {
        survey::FormError::Missing(_) => "missing",
        survey::FormError::BadRating(_) => "bad",
        survey::FormError::Twice(_) => "twice",
        survey::FormError::CommentTooLong => "long",
    };
    ctx.error = Some(FieldError { kind, question });
    site.pages
        .respond(StatusCode::BAD_REQUEST, "survey", lang, &ctx)
}

fn done(site: &Site, found: &Found, token: &str, kind: &'static str) -> Response {
    if kind == "answered"
        && let Some(frame) = site.thanks(language(&found.language))
    {
        let html = frame.fill(found.ticket_id, &found.subject, token);
        return pages::html_response(StatusCode::OK, html);
    }
    let (lang, mut ctx) = base(site, Some(found), token, true);
    ctx.kind = kind;
    if kind == "confirmed" && found.state != "open" {
        ctx.survey.clear();
    }
    site.pages.respond(StatusCode::OK, "done", lang, &ctx)
}

async fn confirm_get(State(st): State<WebState>, Path(token): Path<String>) -> Response {
    show(&st, &token, Page::Confirm, "confirm").await
}

async fn reopen_get(State(st): State<WebState>, Path(token): Path<String>) -> Response {
    show(&st, &token, Page::Reopen, "reopen").await
}

/// A page with one form and nothing ticked.
async fn show(st: &WebState, token: &str, page: Page, name: &str) -> Response {
    let site = &st.site();
    let l = match look(st, token, page, now()).await {
        Ok(l) => l,
        Err(e) => return trouble(site, e),
    };
    if let Err(why) = l.verdict {
        return refuse(site, l.found.as_ref(), token, why);
    }
    let (lang, mut ctx) = base(site, l.found.as_ref(), token, true);
    ctx.action = format!("{}/{name}", ctx.action);
    site.pages.respond(StatusCode::OK, name, lang, &ctx)
}

async fn confirm_post(
    State(st): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let site = &st.site();
    let Admitted { found, at, .. } = match admit(&st, site, peer, &token, Page::Confirm, body).await
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let found = &found;
    match act::confirm(&st.db, site, found, at).await {
        Ok(Ok(())) => done(site, found, &token, "confirmed"),
        Ok(Err(why)) => refuse(site, Some(found), &token, why),
        Err(e) => trouble(site, e),
    }
}

async fn reopen_post(
    State(st): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let site = &st.site();
    let Admitted { form, found, at } =
        match admit(&st, site, peer, &token, Page::Reopen, body).await {
            Ok(a) => a,
            Err(r) => return r,
        };
    let found = &found;
    let text = form
        .iter()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let too_long = text.chars().count() > MAX_COMMENT_CHARS;
    if text.is_empty() || too_long {
        let (lang, mut ctx) = base(site, Some(found), &token, true);
        ctx.action = format!("{}/reopen", ctx.action);
        ctx.comment = text.chars().take(MAX_COMMENT_CHARS).collect();
        ctx.error = Some(FieldError {
            kind: if too_long { "long" } else { "missing" },
            question: String::new(),
        });
        return site
            .pages
            .respond(StatusCode::BAD_REQUEST, "reopen", lang, &ctx);
    }
    match act::reopen(&st.db, site, found, &text, at).await {
        Ok(Ok(())) => done(site, found, &token, "reopened"),
        Ok(Err(why)) => refuse(site, Some(found), &token, why),
        Err(e) => trouble(site, e),
    }
}
