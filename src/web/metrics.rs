//! `/metrics`: the Prometheus text of [`crate::monitor::metrics`].

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::WebState;
use crate::monitor;

/// OpenMetrics' content type, which prometheus-client writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub(super) async fn metrics(State(state): State<WebState>) -> impl IntoResponse {
    let ready = super::health::readiness(&state).await.is_ok();
    let m = monitor::get();
    m.metrics
        .record_backlog(&m.health.backlog(), crate::mail::compose::wall_clock());
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        m.metrics.render(ready),
    )
}
