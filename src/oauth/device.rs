//! The device-code flow (RFC 8628) of `posko auth login`: ask the device
//! authorization endpoint for a code, show the admin where to enter it,
//! poll the token endpoint at the interval it asked for until the admin
//! has signed in, and hand back the refresh token.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use posko_core::oauth::{self as core, Granted, Poll};
use serde::Deserialize;

use super::http;
use crate::config::OAuthSettings;

/// RFC 8628 §3.4's grant type.
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device authorization endpoint's answer (§3.2). Google calls the
/// URI `verification_url`.
#[derive(Deserialize)]
struct Authorization {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

/// What the person must do, for the caller to print.
pub struct Prompt {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
}

/// Runs the flow: `show` is called once with what the person must do;
/// returns the token the endpoint gave once they did.
pub async fn login(o: &OAuthSettings, show: impl FnOnce(&Prompt)) -> Result<Granted> {
    let url = o.device_authorization_url.as_deref().ok_or_else(|| {
        anyhow!("oauth2.device_authorization_url is not set: the device-code flow needs it")
    })?;
    let secret = o.client_secret()?;
    let mut form: Vec<(&str, &str)> = vec![("client_id", &o.client_id)];
    if let Some(scope) = &o.scope {
        form.push(("scope", scope));
    }
    if let Some(secret) = &secret {
        form.push(("client_secret", secret));
    }
    let reply = http::post_form(url, &form, o.timeout).await?;
    if reply.status != 200 {
        let why = match core::read_answer(reply.status, &reply.body) {
            Ok(core::Answer::Refused { error, description }) => {
                format!(
                    "{error}{}",
                    description.map(|d| format!(": {d}")).unwrap_or_default()
                )
            }
            _ => format!("HTTP {}", reply.status),
        };
        bail!("the device authorization endpoint refused: {why}");
    }
    let a: Authorization = serde_json::from_slice(&reply.body)
        .context("the device authorization endpoint's answer is not RFC 8628's")?;
    let expires_in = Duration::from_secs(a.expires_in.unwrap_or(900).min(3600));
    show(&Prompt {
        verification_uri: a.verification_uri,
        verification_uri_complete: a.verification_uri_complete,
        user_code: a.user_code,
        expires_in,
    });
    // RFC 8628 §3.2: 5 s when the endpoint says nothing.
    let mut interval = Duration::from_secs(a.interval.unwrap_or(5).clamp(1, 60));
    let deadline = tokio::time::Instant::now() + expires_in;
    let mut poll: Vec<(&str, &str)> = vec![
        ("grant_type", DEVICE_GRANT),
        ("device_code", &a.device_code),
        ("client_id", &o.client_id),
    ];
    if let Some(secret) = &secret {
        poll.push(("client_secret", secret));
    }
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() > deadline {
            bail!("the code expired before it was entered: run the command again");
        }
        // A poll that fails on the wire is asked again: the person may be
        // halfway through signing in.
        let reply = match http::post_form(&o.token_url, &poll, o.timeout).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "token endpoint poll failed; asking again");
                continue;
            }
        };
        match core::read_poll(reply.status, &reply.body) {
            Poll::Done(g) => return Ok(g),
            Poll::Pending => {}
            Poll::SlowDown => interval += Duration::from_secs(5),
            Poll::Failed(why) => bail!("{why}"),
        }
    }
}
