//! How the IMAP source logs in: LOGIN with a password, or SASL XOAUTH2 /
//! OAUTHBEARER with an OAuth 2.0 access token ([`crate::oauth`]).
//!
//! A refused token gets one second chance: the token source is asked for
//! a fresh one (the cached one may have been revoked or cut short by the
//! provider) and the login is tried again on the same connection; a second
//! refusal is a failed login like a wrong password, and the worker's
//! reconnect path takes over.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use async_imap::Client;
use async_imap::imap_proto::{Capability, Response, ResponseCode};
use posko_core::oauth as core;

use super::imap_conn::ImapConn;
use crate::oauth::{AccessToken, TokenSource};

type ImapSession = async_imap::Session<ImapConn>;

/// What the worker logs in with.
pub(super) enum Credentials {
    /// The name of the environment variable holding the password.
    Password(String),
    OAuth2(Arc<TokenSource>),
}

/// The SASL mechanism carrying the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mechanism {
    XOAuth2,
    OAuthBearer,
}

impl Mechanism {
    /// XOAUTH2 (what Microsoft and Google offer), unless the greeting's
    /// capabilities offer OAUTHBEARER and not XOAUTH2.
    pub(super) fn choose(greeting_caps: &[String]) -> Mechanism {
        let has = |m: &str| greeting_caps.iter().any(|c| c.eq_ignore_ascii_case(m));
        if has("OAUTHBEARER") && !has("XOAUTH2") {
            Mechanism::OAuthBearer
        } else {
            Mechanism::XOAuth2
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// The `AUTH=` mechanisms a greeting's `[CAPABILITY …]` code lists.
pub(super) fn greeting_auth(resp: &Response<'_>) -> Vec<String> {
    match resp {
        Response::Data { outcome, .. } => match &outcome.code {
            Some(ResponseCode::Capabilities(caps)) => caps
                .iter()
                .filter_map(|c| match c {
                    Capability::Auth(m) => Some(m.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// One SASL exchange: the initial response, then an empty answer to the
/// server's error challenge (RFC 7628 §3.2.3 and Google's XOAUTH2 both
/// send the error as a challenge and wait for it to be acknowledged).
struct Sasl {
    initial: Option<String>,
}

impl async_imap::Authenticator for Sasl {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        self.initial.take().unwrap_or_default()
    }
}

/// Logs in as `user`; with OAuth, also says until when the token is good
/// (the worker reconnects then, as Microsoft 365 closes such sessions).
pub(super) async fn login(
    client: Client<ImapConn>,
    user: &str,
    credentials: &Credentials,
    mechanism: Mechanism,
    t: Duration,
) -> Result<(ImapSession, Option<i64>)> {
    match credentials {
        Credentials::Password(var) => {
            let password = std::env::var(var).with_context(|| {
                format!("inbound.password_env: the environment variable {var} is not set")
            })?;
            let session = super::imap::timed(t, "LOGIN", async {
                client.login(user, &password).await.map_err(|(e, _)| e)
            })
            .await
            .with_context(|| format!("login as {user} refused"))?;
            Ok((session, None))
        }
        Credentials::OAuth2(tokens) => {
            let token = tokens.token().await?;
            let client = match authenticate(client, user, &token, mechanism, t).await {
                Ok(session) => return Ok((session, Some(token.expires_at))),
                Err(Refused::Io(e)) => return Err(e),
                Err(Refused::No(e, client)) => {
                    tracing::info!(error = %e, "IMAP refused the access token; fetching a new one");
                    client
                }
            };
            let token = tokens.refresh(&token).await?;
            match authenticate(client, user, &token, mechanism, t).await {
                Ok(session) => Ok((session, Some(token.expires_at))),
                Err(Refused::Io(e)) => Err(e),
                Err(Refused::No(e, _)) => Err(anyhow::anyhow!(
                    "login as {user} refused ({} with a fresh token): {e}",
                    mechanism.name()
                )),
            }
        }
    }
}

enum Refused {
    /// The server said NO: the connection is still usable.
    No(String, Client<ImapConn>),
    /// The connection failed or timed out.
    Io(anyhow::Error),
}

async fn authenticate(
    client: Client<ImapConn>,
    user: &str,
    token: &AccessToken,
    mechanism: Mechanism,
    t: Duration,
) -> Result<ImapSession, Refused> {
    let initial = match mechanism {
        Mechanism::XOAuth2 => core::xoauth2(user, &token.secret),
        Mechanism::OAuthBearer => core::oauthbearer(user, &token.secret),
    };
    let sasl = Sasl {
        initial: Some(initial),
    };
    match tokio::time::timeout(t, client.authenticate(mechanism.name(), sasl)).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((async_imap::error::Error::No(why), client))) => Err(Refused::No(why, client)),
        Ok(Err((e, _))) => Err(Refused::Io(anyhow::anyhow!(
            "login as {user} refused: IMAP AUTHENTICATE {} failed: {e}",
            mechanism.name()
        ))),
        Err(_) => Err(Refused::Io(anyhow::anyhow!(
            "IMAP AUTHENTICATE timed out after {}s",
            t.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::Mechanism;

    #[test]
    fn xoauth2_unless_only_oauthbearer_is_offered() {
        let caps = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Mechanism::choose(&[]), Mechanism::XOAuth2);
        assert_eq!(
            Mechanism::choose(&caps(&["PLAIN", "XOAUTH2", "OAUTHBEARER"])),
            Mechanism::XOAuth2
        );
        assert_eq!(
            Mechanism::choose(&caps(&["PLAIN", "oauthbearer"])),
            Mechanism::OAuthBearer
        );
    }
}
