//! `/healthz` (the process answers) and `/readyz` (every part works: the
//! mail source, the database, the outbox; else 503 and why).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use super::WebState;
use crate::monitor;

/// How long `/readyz` waits for the database to answer.
const DB_PING_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

pub(super) async fn readyz(State(state): State<WebState>) -> (StatusCode, String) {
    match readiness(&state).await {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why.join("\n") + "\n"),
    }
}

/// The workers' reports, and a look at the database now.
pub(super) async fn readiness(state: &WebState) -> Result<(), Vec<String>> {
    let now = crate::mail::compose::wall_clock();
    let health = &monitor::get().health;
    match tokio::time::timeout(DB_PING_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let what = monitor::health::database_problem(&e)
                .unwrap_or_else(|| format!("unreachable ({e:#})"));
            health.database_failed(&what, now);
        }
        Err(_) => health.database_failed("no answer within 2 s", now),
    }
    health.verdict(now)
}
