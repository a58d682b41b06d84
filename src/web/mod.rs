//! The HTTP listener: `/healthz`, `/readyz` and `/metrics`, and the
//! requester's survey, confirm and reopen pages ([`survey`], issue 11).
//!
//! Garbage on the port costs bounded memory and time: at most
//! [`MAX_CONNECTIONS`] at once (more are closed at once), request headers
//! within [`MAX_HEADER_BYTES`] (else 431) and read within
//! [`HEADER_TIMEOUT`] (a slowloris gets nothing but a closed socket),
//! bodies within [`MAX_BODY_BYTES`], a request answered within
//! [`REQUEST_TIMEOUT`], and no connection lives past
//! [`CONNECTION_LIFETIME`]. Unknown paths are 404.
//!
//! `[web] ops_listen` moves health and metrics to an address of their own,
//! so the public one (behind a reverse proxy) serves only the pages.

mod health;
mod metrics;
pub mod survey;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::config::Web;
use crate::store::Db;

/// Connections served at once; one more is closed on accept.
pub const MAX_CONNECTIONS: usize = 256;
/// The whole request head (request line and headers).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Header lines in one request.
pub const MAX_HEADERS: usize = 64;
/// A request body (the survey's form is a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// From the first byte of a request to its last header line.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// From the end of the head to the end of the answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A kept-alive connection is closed after this, whatever it does.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// What the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub db: Db,
    /// The pages' configuration, templates and rate limit, as the last
    /// reload left them ([`survey::follow`]).
    pub site: watch::Receiver<Arc<survey::Site>>,
    /// The survey answers' writers (group commit, [`survey::commit`]).
    pub answers: survey::Answers,
    /// The token lookups' readers (read together, `survey::lookup`).
    pub lookups: survey::Lookups,
}

impl WebState {
    /// The state of the listeners on `db`; starts the answer writers and
    /// the lookup readers.
    pub fn new(db: Db, site: watch::Receiver<Arc<survey::Site>>) -> WebState {
        WebState {
            answers: survey::Answers::start(db.clone()),
            lookups: survey::Lookups::start(db.clone()),
            db,
            site,
        }
    }

    /// The site as it is now; a request keeps the one it started with.
    pub fn site(&self) -> Arc<survey::Site> {
        self.site.borrow().clone()
    }
}

/// Health and metrics.
fn ops_routes() -> Router<WebState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
}

/// The pages for people.
fn public_routes() -> Router<WebState> {
    survey::routes()
}

/// The router for one listener: with the ops routes when `ops` is true.
pub fn router(state: WebState, ops: bool, public: bool) -> Router {
    let mut r = Router::new();
    if public {
        r = r.merge(public_routes());
    }
    if ops {
        r = r.merge(ops_routes());
    }
    r.fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(time_limit))
        .with_state(state)
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}

/// A handler that takes too long (a body trickling in) is cut off.
async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request timed out\n").into_response(),
    }
}

/// The bound listeners, serving until shutdown.
pub struct Listeners {
    tasks: Vec<JoinHandle<()>>,
    /// Where each listener is bound (the port when 0 was asked).
    pub addrs: Vec<SocketAddr>,
}

impl Listeners {
    /// Binds `[web]`'s addresses (failing at once, before any mail is
    /// touched, when one is taken) and serves them until `shutdown`.
    pub async fn start(
        cfg: &Web,
        state: WebState,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Listeners> {
        let mut plan = vec![(cfg.listen, cfg.ops_listen.is_none(), true)];
        if let Some(ops) = cfg.ops_listen {
            plan.push((ops, true, false));
        }
        let mut out = Listeners {
            tasks: Vec::new(),
            addrs: Vec::new(),
        };
        for (addr, ops, public) in plan {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("web: cannot listen on {addr}"))?;
            let bound = listener.local_addr()?;
            info!(address = %bound, health_and_metrics = ops, "web listener");
            let app = router(state.clone(), ops, public);
            out.addrs.push(bound);
            out.tasks
                .push(tokio::spawn(serve(listener, app, shutdown.clone())));
        }
        Ok(out)
    }

    /// Waits for the accept loops to end (after shutdown).
    pub async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// The accept loop: one task per connection, within the limits above.
async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, not spin.
                    warn!(error = %e, "web: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            debug!(%peer, "web: too many connections; closed");
            continue;
        };
        // The pages' rate limit reads the peer's address.
        let with_peer = tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        );
        let service = TowerToHyperService::new(with_peer);
        tokio::spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEADER_BYTES)
                .max_headers(MAX_HEADERS);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => debug!(%peer, error = %e, "web: connection ended"),
                Err(_) => debug!(%peer, "web: connection closed after its lifetime"),
            }
        });
    }
}
