//! A small OAuth 2.0 authorization server on loopback, for the tests of
//! `auth = "oauth2"`: the token endpoint posko asks (client credentials,
//! refresh token, RFC 8628 device code), a device authorization endpoint,
//! and the token introspection endpoint (RFC 7662) that Dovecot's `oauth2`
//! passdb and the SMTP sink ask whether a token is good.
//!
//! Tokens live [`FakeOAuth::set_lifetime`] seconds (short, so a test sees
//! one run out); [`FakeOAuth::set_mode`] makes the token endpoint answer
//! 500 or not at all, and [`FakeOAuth::revoke_all`] kills every token
//! issued so far, as a provider does when an admin revokes consent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};

/// The client posko is configured with.
pub const CLIENT_ID: &str = "posko-test";
pub const CLIENT_SECRET: &str = "client-secret-xyz";
/// The environment variable the test configurations name for the secret.
pub const SECRET_ENV: &str = "POSKO_TEST_OAUTH_SECRET";
/// Every token is the helpdesk mailbox's.
pub const USER: &str = "helpdesk";

/// How the token endpoint behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// HTTP 500 with an HTML body.
    Fail,
    /// Accepts the request and never answers.
    Hang,
}

#[derive(Default)]
struct Inner {
    lifetime: u64,
    mode: Option<Mode>,
    /// access token → when it dies.
    tokens: HashMap<String, Instant>,
    refresh_tokens: Vec<String>,
    /// The form of every token request, in order.
    requests: Vec<HashMap<String, String>>,
    /// Device-code polls still to answer authorization_pending.
    pending: u32,
    /// Introspections still to answer inactive, whatever the token.
    reject: u32,
    /// Every access token ever issued (to check none is logged).
    all: Vec<String>,
}

/// The running server; dropped with the test.
pub struct FakeOAuth {
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

type Shared = Arc<Mutex<Inner>>;

impl FakeOAuth {
    pub async fn start() -> FakeOAuth {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            lifetime: 3600,
            pending: 2,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/token", post(token))
            .route("/device", post(device))
            .route("/introspect", post(introspect))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake OAuth server");
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOAuth { port, inner, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `[inbound.oauth2]` / `[outbound.oauth2]` lines for this server.
    pub fn config(&self, grant: &str) -> String {
        format!(
            "token_url = \"{}\"\ndevice_authorization_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret_env = \"{SECRET_ENV}\"\nscope = \"mail\"\ngrant = \"{grant}\"\ntimeout = \"2s\"\n",
            self.url("/token"),
            self.url("/device"),
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap())
    }

    /// Tokens issued from now on live `secs` seconds.
    pub fn set_lifetime(&self, secs: u64) {
        self.with(|i| i.lifetime = secs);
    }

    pub fn set_mode(&self, mode: Mode) {
        self.with(|i| i.mode = Some(mode));
    }

    /// Every access token issued so far is dead.
    pub fn revoke_all(&self) {
        self.with(|i| i.tokens.clear());
    }

    /// The forms of the token requests so far.
    pub fn requests(&self) -> Vec<HashMap<String, String>> {
        self.with(|i| i.requests.clone())
    }

    /// Every access token issued so far.
    pub fn issued(&self) -> Vec<String> {
        self.with(|i| i.all.clone())
    }

    /// The next `n` introspections say inactive, as when a provider cut
    /// tokens short.
    pub fn reject_next(&self, n: u32) {
        self.with(|i| i.reject = n);
    }
}

impl Drop for FakeOAuth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn json(
    status: StatusCode,
    body: String,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (status, [("content-type", "application/json")], body)
}

fn issue(i: &mut Inner) -> String {
    let token = format!("at-{:016x}", rand::random::<u64>());
    i.all.push(token.clone());
    i.tokens.insert(
        token.clone(),
        Instant::now() + Duration::from_secs(i.lifetime),
    );
    token
}

async fn token(
    State(inner): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let mode = {
        let mut i = inner.lock().unwrap();
        i.requests.push(form.clone());
        i.mode.unwrap_or(Mode::Ok)
    };
    match mode {
        Mode::Ok => {}
        Mode::Fail => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "text/html")],
                "<html>upstream broke</html>".into(),
            );
        }
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
    let mut i = inner.lock().unwrap();
    let refused = |e: &str| json(StatusCode::BAD_REQUEST, format!(r#"{{"error":"{e}"}}"#));
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return refused("invalid_client");
    }
    let lifetime = i.lifetime;
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
                return refused("invalid_client");
            }
        }
        Some("refresh_token") => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            if !i.refresh_tokens.contains(&rt) {
                return refused("invalid_grant");
            }
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            if form.get("device_code").map(String::as_str) != Some("dev-code-1") {
                return refused("invalid_grant");
            }
            if i.pending > 0 {
                i.pending -= 1;
                return refused("authorization_pending");
            }
            let rt = format!("rt-{:016x}", rand::random::<u64>());
            i.refresh_tokens.push(rt.clone());
            let at = issue(&mut i);
            return json(
                StatusCode::OK,
                format!(
                    r#"{{"access_token":"{at}","token_type":"Bearer","expires_in":{lifetime},"refresh_token":"{rt}"}}"#
                ),
            );
        }
        _ => return refused("unsupported_grant_type"),
    }
    let at = issue(&mut i);
    json(
        StatusCode::OK,
        format!(r#"{{"access_token":"{at}","token_type":"Bearer","expires_in":{lifetime}}}"#),
    )
}

async fn device(
    State(_): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid_client"}"#.into(),
        );
    }
    json(
        StatusCode::OK,
        r#"{"device_code":"dev-code-1","user_code":"WDJB-MJHT","verification_uri":"https://example.test/device","expires_in":60,"interval":1}"#.into(),
    )
}

async fn introspect(
    State(inner): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let mut i = inner.lock().unwrap();
    let rejected = i.reject > 0;
    i.reject = i.reject.saturating_sub(1);
    let live = !rejected
        && form
            .get("token")
            .and_then(|t| i.tokens.get(t))
            .is_some_and(|dies| *dies > Instant::now());
    let body = if live {
        format!(r#"{{"active":true,"username":"{USER}"}}"#)
    } else {
        r#"{"active":false}"#.to_string()
    };
    json(StatusCode::OK, body)
}
