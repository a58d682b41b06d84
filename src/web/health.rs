//! `/healthz` (the process answers) and `/readyz` (every part works: the
//! mail source, the database, the outbox; else 503 and why).

use axum::extract::State;
use axum::http::StatusCode;

use super::WebState;
use crate::monitor;

pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

pub(super) async fn readyz(State(state): State<WebState>) -> (StatusCode, String) {
    // Notes (a standby and who reads in its place) follow either answer.
    let notes = monitor::get().health.notes();
    let (status, mut lines) = match readiness(&state).await {
        Ok(()) => (StatusCode::OK, vec!["ready".to_string()]),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
    };
    lines.extend(notes);
    (status, lines.join("\n") + "\n")
}

/// The workers' reports, and a look at the database (at most a second
/// old: [`monitor::probe`]).
pub(super) async fn readiness(state: &WebState) -> Result<(), Vec<String>> {
    let site = state.site();
    monitor::get().readiness(&site.cfg.database_url).await
}
