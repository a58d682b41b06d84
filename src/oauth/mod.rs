//! OAuth 2.0 access tokens for the mailboxes (`auth = "oauth2"`): one
//! [`TokenSource`] per mailbox fetches a token from the token endpoint,
//! keeps it until shortly before it runs out
//! ([`posko_core::oauth::refresh_at`]), and fetches a new one when the mail
//! server refuses the cached one (the caller asks with [`TokenSource::refresh`]).
//!
//! When the endpoint fails (an HTTP 500, no answer within the timeout),
//! callers get an error saying so and the source waits before it asks
//! again (1 s, doubling, at most a minute): the IMAP worker reconnects later
//! and `/readyz` names the endpoint; the outbox retries the mail.
//!
//! Tokens never appear in logs or errors; the endpoint's error code does.
//! [`device`] is `posko auth login`'s device-code flow.

pub mod device;
pub mod http;

use anyhow::{Result, anyhow};
use posko_core::oauth::{self as core, Answer, Granted};
use tokio::sync::Mutex;
use tracing::{debug, info, warn};

use crate::config::{Config, Grant, Inbound, MailAuth, OAuthSettings, Outbound};
use crate::mail::compose::wall_clock;
use crate::store::{Db, oauth_tokens};

/// Every error of the token endpoint starts with this, so workers can tell
/// "the endpoint failed" from "the mail server refused" (see
/// [`is_endpoint_failure`]).
pub const ENDPOINT_FAILURE: &str = "OAuth2 token endpoint";

/// Whether `e` came from the token endpoint rather than the mail server.
pub fn is_endpoint_failure(e: &anyhow::Error) -> bool {
    format!("{e:#}").contains(ENDPOINT_FAILURE)
}

/// A mailbox that may log in with OAuth 2.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mailbox {
    /// `[inbound]` (kind = "imap").
    Imap,
    /// `[outbound]` (kind = "smtp").
    Smtp,
}

impl Mailbox {
    /// Its key in `oauth_tokens`, and its name in messages.
    pub fn key(self) -> &'static str {
        match self {
            Mailbox::Imap => "imap",
            Mailbox::Smtp => "smtp",
        }
    }

    /// Its OAuth settings, when it has `auth = "oauth2"`.
    pub fn settings(self, cfg: &Config) -> Option<&OAuthSettings> {
        let auth = match (self, &cfg.inbound, &cfg.outbound) {
            (Mailbox::Imap, Inbound::Imap(s), _) => &s.auth,
            (Mailbox::Smtp, _, Outbound::Smtp(s)) => &s.login.as_ref()?.1,
            _ => return None,
        };
        match auth {
            MailAuth::OAuth2(o) => Some(o.as_ref()),
            MailAuth::Password { .. } => None,
        }
    }
}

/// An access token and when it runs out.
#[derive(Clone)]
pub struct AccessToken {
    pub secret: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for AccessToken {
    // Never print the token itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessToken(expires_at {})", self.expires_at)
    }
}

/// One mailbox's tokens.
pub struct TokenSource {
    settings: OAuthSettings,
    mailbox: Mailbox,
    db: Option<Db>,
    /// A tokio mutex, held across the request: callers that arrive while a
    /// token is being fetched wait for that one rather than ask again.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cached: Option<(AccessToken, i64)>,
    failures: u32,
    retry_at: i64,
    last_error: String,
}

impl TokenSource {
    /// `db` holds the refresh token `posko auth login` stored (needed for
    /// the refresh-token grant unless `refresh_token_env` is set).
    pub fn new(settings: OAuthSettings, mailbox: Mailbox, db: Option<Db>) -> TokenSource {
        TokenSource {
            settings,
            mailbox,
            db,
            state: Mutex::new(State::default()),
        }
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// A token good for a while yet: the cached one, or a new one.
    pub async fn token(&self) -> Result<AccessToken> {
        let mut s = self.state.lock().await;
        let now = wall_clock();
        if let Some((t, refresh_at)) = &s.cached
            && now < *refresh_at
        {
            return Ok(t.clone());
        }
        self.fetch(&mut s, now).await
    }

    /// A new token, after the server refused `refused` (unless another
    /// caller replaced it already).
    pub async fn refresh(&self, refused: &AccessToken) -> Result<AccessToken> {
        let mut s = self.state.lock().await;
        if let Some((t, _)) = &s.cached
            && t.secret != refused.secret
        {
            return Ok(t.clone());
        }
        s.cached = None;
        let now = wall_clock();
        self.fetch(&mut s, now).await
    }

    async fn fetch(&self, s: &mut State, now: i64) -> Result<AccessToken> {
        if now < s.retry_at {
            return Err(anyhow!(
                "{} (next attempt in {} s)",
                s.last_error,
                s.retry_at - now
            ));
        }
        match self.request().await {
            Ok(g) => {
                if s.failures > 0 {
                    info!(
                        mailbox = self.mailbox.key(),
                        "the token endpoint answers again"
                    );
                }
                s.failures = 0;
                s.retry_at = 0;
                let now = wall_clock();
                let token = AccessToken {
                    secret: g.access_token,
                    expires_at: now + g.expires_in,
                };
                debug!(
                    mailbox = self.mailbox.key(),
                    expires_in = g.expires_in,
                    "new access token"
                );
                s.cached = Some((token.clone(), core::refresh_at(now, g.expires_in)));
                Ok(token)
            }
            Err(e) => {
                s.failures += 1;
                s.retry_at = now + core::retry_after(s.failures);
                s.last_error = format!("{e:#}");
                warn!(mailbox = self.mailbox.key(), failures = s.failures, error = %s.last_error, "no access token");
                Err(e)
            }
        }
    }

    /// One request to the token endpoint with the configured grant.
    async fn request(&self) -> Result<Granted> {
        let o = &self.settings;
        let secret = o.client_secret()?;
        let stored;
        let mut form: Vec<(&str, &str)> = vec![("client_id", &o.client_id)];
        match o.grant {
            Grant::ClientCredentials => form.push(("grant_type", "client_credentials")),
            Grant::RefreshToken => {
                stored = self.refresh_token().await?;
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", &stored));
            }
        }
        if let Some(secret) = &secret {
            form.push(("client_secret", secret));
        }
        if let Some(scope) = &o.scope {
            form.push(("scope", scope));
        }
        let g = exchange(o, &form).await?;
        // A provider that rotates refresh tokens (Microsoft does) sends a
        // new one; the old one soon stops working, so keep the new.
        if let (Some(new), Some(db)) = (&g.refresh_token, &self.db)
            && o.grant == Grant::RefreshToken
            && o.refresh_token_env.is_none()
        {
            let mut c = db.pool().acquire().await?;
            oauth_tokens::put(&mut c, self.mailbox.key(), new, wall_clock()).await?;
        }
        Ok(g)
    }

    /// The refresh token: from `refresh_token_env`, else the database.
    async fn refresh_token(&self) -> Result<String> {
        if let Some(var) = &self.settings.refresh_token_env {
            return std::env::var(var).map_err(|_| {
                anyhow!("oauth2.refresh_token_env: the environment variable {var} is not set")
            });
        }
        let db = self
            .db
            .as_ref()
            .ok_or_else(|| anyhow!("no database to read the refresh token from"))?;
        let mut c = db.pool().acquire().await?;
        oauth_tokens::get(&mut c, self.mailbox.key())
            .await?
            .ok_or_else(|| {
                anyhow!(
                    "no refresh token for the {} mailbox: run `posko auth login --mailbox {}` \
                     (or set oauth2.refresh_token_env)",
                    self.mailbox.key(),
                    self.mailbox.key()
                )
            })
    }
}

/// POSTs `form` to the token endpoint and reads a token from the answer.
pub(crate) async fn exchange(o: &OAuthSettings, form: &[(&str, &str)]) -> Result<Granted> {
    let reply = http::post_form(&o.token_url, form, o.timeout)
        .await
        .map_err(|e| anyhow!("{ENDPOINT_FAILURE}: {e:#}"))?;
    match core::read_answer(reply.status, &reply.body) {
        Ok(Answer::Token(g)) => Ok(g),
        Ok(Answer::Refused { error, description }) => Err(anyhow!(
            "{ENDPOINT_FAILURE} refused: {error}{}",
            description.map(|d| format!(" ({d})")).unwrap_or_default()
        )),
        Err(why) => Err(anyhow!("{ENDPOINT_FAILURE}: {why}")),
    }
}
