//! The SMTP client of the outbox: lettre's transport, logging in with a
//! password or with an OAuth 2.0 access token (SASL XOAUTH2).
//!
//! lettre takes its credentials when the transport is built, so with OAuth
//! the transport is rebuilt whenever the token changes (once an hour). A
//! server that refuses the token (535 and kin) gets one fresh token and
//! one more try; if it still refuses, the failure is temporary: our
//! credentials are wrong, not the message, so the mail waits in the outbox
//! instead of failing for good.
//!
//! lettre's `timeout` bounds only the connect (tokio transport), so a
//! server that accepts and then stops answering, after EHLO or after the
//! message's final dot, would hold the outbox worker, and every mail
//! behind it, forever. Each send is therefore bounded as a whole
//! ([`send_deadline`]); running past it is a temporary failure and the mail
//! is retried. A server that went silent after the final dot may have
//! delivered the mail, so that retry can duplicate it (RFC 5321 §6.1
//! prefers a duplicate to a loss); it cannot lose it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Mutex;

use crate::config::{MailAuth, Security, SmtpSettings};
use crate::oauth::{AccessToken, Mailbox, TokenSource};
use crate::outbox::SendError;
use crate::store::Db;

type Lettre = AsyncSmtpTransport<Tokio1Executor>;

/// The slowest upload a send is allowed, on top of `outbound.timeout`:
/// 1 Mbit/s, so a 25 MB message on a slow line is not cut off half-way.
const MIN_UPLOAD_BYTES_PER_SECOND: u64 = 128 * 1024;

/// How long one whole send (connect, TLS, login, envelope, message, final
/// reply) may take: `outbound.timeout`, plus the message's upload at
/// [`MIN_UPLOAD_BYTES_PER_SECOND`].
pub fn send_deadline(timeout: Duration, body_len: usize) -> Duration {
    timeout + Duration::from_secs(body_len as u64 / MIN_UPLOAD_BYTES_PER_SECOND)
}

/// SMTP replies that mean "your credentials", not "your message".
const AUTH_REFUSED: &[&str] = &["530", "534", "535", "454"];

/// An SMTP server to send through.
pub struct Smtp {
    settings: SmtpSettings,
    tokens: Option<Arc<TokenSource>>,
    /// The transport, and the access token it was built with (OAuth).
    built: Mutex<Option<(Lettre, Option<AccessToken>)>>,
}

impl Smtp {
    /// A password is read now (a missing variable stops the start); an
    /// OAuth token when the first mail goes out.
    pub fn new(settings: &SmtpSettings, db: Option<&Db>) -> Result<Smtp> {
        let (built, tokens) = match &settings.login {
            Some((_, MailAuth::OAuth2(o))) => (
                None,
                Some(Arc::new(TokenSource::new(
                    (**o).clone(),
                    Mailbox::Smtp,
                    db.cloned(),
                ))),
            ),
            Some((user, MailAuth::Password { password_env })) => {
                let password = std::env::var(password_env).with_context(|| {
                    format!(
                        "outbound.password_env: the environment variable {password_env} is not set"
                    )
                })?;
                let creds = Credentials::new(user.clone(), password);
                (Some((build(settings, Some((creds, false)))?, None)), None)
            }
            None => (Some((build(settings, None)?, None)), None),
        };
        Ok(Smtp {
            settings: settings.clone(),
            tokens,
            built: Mutex::new(built),
        })
    }

    /// The transport to use now: with OAuth, one built with a live token.
    async fn transport(&self, refused: bool) -> Result<(Lettre, Option<AccessToken>)> {
        let mut built = self.built.lock().await;
        let Some(tokens) = &self.tokens else {
            let (t, _) = built.as_ref().expect("built at start without OAuth");
            return Ok((t.clone(), None));
        };
        let token = match (refused, built.as_ref().and_then(|(_, t)| t.as_ref())) {
            (true, Some(old)) => tokens.refresh(old).await?,
            _ => tokens.token().await?,
        };
        if let Some((t, Some(used))) = built.as_ref()
            && used.secret == token.secret
        {
            return Ok((t.clone(), Some(token)));
        }
        let user = self.settings.login.as_ref().map(|(u, _)| u.clone());
        let creds = Credentials::new(user.unwrap_or_default(), token.secret.clone());
        let t = build(&self.settings, Some((creds, true)))?;
        *built = Some((t.clone(), Some(token.clone())));
        Ok((t, Some(token)))
    }

    /// Sends `body` to the envelope's recipients, within [`send_deadline`].
    pub async fn send(&self, envelope: &Envelope, body: &[u8]) -> Result<(), SendError> {
        let limit = send_deadline(self.settings.timeout, body.len());
        // Dropping lettre's future on the deadline closes its connection.
        tokio::time::timeout(limit, self.send_once(envelope, body))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "the SMTP server {}:{} did not finish the exchange within {} s",
                    self.settings.host,
                    self.settings.port,
                    limit.as_secs()
                )))
            })
    }

    /// [`Smtp::send`] without the deadline.
    async fn send_once(&self, envelope: &Envelope, body: &[u8]) -> Result<(), SendError> {
        for attempt in 0..2 {
            let (t, token) = self
                .transport(attempt > 0)
                .await
                .map_err(|e| SendError::Transient(format!("{e:#}")))?;
            match t.send_raw(envelope, body).await {
                Ok(_) => return Ok(()),
                Err(e) if token.is_some() && auth_refused(&e) => {
                    if attempt == 0 {
                        tracing::info!(error = %e, "SMTP refused the access token; fetching a new one");
                        continue;
                    }
                    return Err(SendError::Transient(format!(
                        "SMTP login refused with a fresh OAuth2 token: {e}"
                    )));
                }
                Err(e) if e.is_permanent() => return Err(SendError::Permanent(e.to_string())),
                Err(e) => return Err(SendError::Transient(e.to_string())),
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// Connects (and logs in), for `posko check`.
    pub async fn test_connection(&self) -> Result<String> {
        let (t, token) = self.transport(false).await?;
        let ok = tokio::time::timeout(self.settings.timeout, t.test_connection())
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "SMTP server accepted the connection but did not finish its greeting within {} s",
                    self.settings.timeout.as_secs()
                )
            })?
            .context("SMTP server does not answer")?;
        anyhow::ensure!(ok, "SMTP server refused the connection");
        Ok(match token {
            Some(token) => format!(
                "SMTP server answers; OAuth2 access token valid until {}",
                crate::sla::notice::rfc3339(token.expires_at)
            ),
            None => "SMTP server answers".into(),
        })
    }
}

fn auth_refused(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|c| AUTH_REFUSED.contains(&c.to_string().as_str()))
}

/// A lettre transport; `creds` with `true` logs in with XOAUTH2.
fn build(s: &SmtpSettings, creds: Option<(Credentials, bool)>) -> Result<Lettre> {
    let mut tls = TlsParameters::builder(s.host.clone());
    if let Some(ca) = &s.tls.ca_file {
        let pem = std::fs::read(ca)
            .with_context(|| format!("cannot read outbound.ca_file {}", ca.display()))?;
        tls = tls.add_root_certificate(
            Certificate::from_pem(&pem)
                .with_context(|| format!("{} is not a PEM certificate", ca.display()))?,
        );
    }
    let tls = tls.build_rustls().context("cannot set up TLS for SMTP")?;
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        .port(s.port)
        .timeout(Some(s.timeout))
        .tls(match s.security {
            Security::Tls => Tls::Wrapper(tls),
            Security::StartTls => Tls::Required(tls),
            Security::None => Tls::None,
        });
    if let Some((creds, oauth)) = creds {
        b = b.credentials(creds);
        if oauth {
            b = b.authentication(vec![Mechanism::Xoauth2]);
        }
    }
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_gets_the_timeout_plus_its_upload_time() {
        let t = Duration::from_secs(60);
        assert_eq!(send_deadline(t, 40_000), t);
        let big = 25 * 1024 * 1024;
        assert_eq!(send_deadline(t, big), t + Duration::from_secs(200));
    }
}
