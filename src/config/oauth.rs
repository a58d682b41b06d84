//! `auth = "oauth2"` and `[inbound.oauth2]` / `[outbound.oauth2]`: how
//! posko gets an access token for a mailbox that refuses passwords
//! (Microsoft 365, Google Workspace), instead of `password_env`.
//!
//! Secrets stay out of the file like the passwords do: the client secret
//! and a refresh token given by the admin come from environment variables;
//! a refresh token obtained by `posko auth login` is kept in the database.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::validator::Validator;

/// How a mailbox proves who it is.
#[derive(Debug, Clone)]
pub enum MailAuth {
    /// A password from the environment variable `password_env`.
    Password { password_env: String },
    /// SASL XOAUTH2 (or OAUTHBEARER) with an access token.
    OAuth2(Box<OAuthSettings>),
}

/// Which OAuth 2.0 grant gets the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The app's own identity (Microsoft 365 with IMAP.AccessAsApp).
    ClientCredentials,
    /// A person's consent, once, kept as a refresh token (Google).
    RefreshToken,
}

/// One mailbox's OAuth 2.0 client.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub token_url: String,
    /// RFC 8628's device authorization endpoint, for `posko auth login`.
    pub device_authorization_url: Option<String>,
    pub client_id: String,
    /// The environment variable holding the client secret (a public
    /// client, as with the device flow, may have none).
    pub client_secret_env: Option<String>,
    pub scope: Option<String>,
    pub grant: Grant,
    /// The environment variable holding a refresh token; when absent the
    /// one `posko auth login` stored in the database is used.
    pub refresh_token_env: Option<String>,
    /// Bound on one request to the token endpoint.
    pub timeout: Duration,
}

impl OAuthSettings {
    /// The client secret, when one is configured; an error names the
    /// variable that is not set.
    pub fn client_secret(&self) -> anyhow::Result<Option<String>> {
        self.client_secret_env
            .as_ref()
            .map(|var| {
                std::env::var(var).map_err(|_| {
                    anyhow::anyhow!(
                        "oauth2.client_secret_env: the environment variable {var} is not set"
                    )
                })
            })
            .transpose()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOAuth {
    token_url: Option<String>,
    tenant: Option<String>,
    device_authorization_url: Option<String>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    scope: Option<String>,
    grant: Option<String>,
    refresh_token_env: Option<String>,
    timeout: Option<String>,
}

impl Validator<'_> {
    /// `section.auth` with `section.password_env` and `[section.oauth2]`.
    /// `password_env` is optional only where the section allows no login
    /// at all (`required = false`: SMTP without AUTH), and then `None`.
    pub(super) fn mail_auth(
        &self,
        section: &str,
        auth: Option<&str>,
        password_env: Option<String>,
        oauth2: Option<RawOAuth>,
    ) -> Result<Option<MailAuth>, ConfigError> {
        match auth.unwrap_or("password") {
            "password" => {
                if oauth2.is_some() {
                    return Err(self.err(
                        &format!("{section}.oauth2"),
                        "only read with auth = \"oauth2\"",
                    ));
                }
                Ok(password_env.map(|password_env| MailAuth::Password { password_env }))
            }
            "oauth2" => {
                if password_env.is_some() {
                    return Err(self.err(
                        &format!("{section}.password_env"),
                        "not used with auth = \"oauth2\": remove it",
                    ));
                }
                let raw = oauth2.ok_or_else(|| {
                    self.err(
                        &format!("{section}.oauth2"),
                        "required with auth = \"oauth2\" (token_url or tenant, client_id, …)",
                    )
                })?;
                Ok(Some(MailAuth::OAuth2(Box::new(
                    self.oauth(&format!("{section}.oauth2"), raw)?,
                ))))
            }
            other => Err(self.err(
                &format!("{section}.auth"),
                format!("{other:?} is not \"password\" or \"oauth2\""),
            )),
        }
    }

    fn oauth(&self, key: &str, r: RawOAuth) -> Result<OAuthSettings, ConfigError> {
        let k = |name: &str| format!("{key}.{name}");
        let token_url = match (r.token_url, r.tenant) {
            (Some(_), Some(_)) => {
                return Err(self.err(&k("tenant"), "give token_url or tenant, not both"));
            }
            (Some(url), None) => url,
            (None, Some(tenant)) => {
                if tenant.is_empty()
                    || !tenant
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
                {
                    return Err(self.err(
                        &k("tenant"),
                        format!("{tenant:?} is not a tenant id or domain"),
                    ));
                }
                format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token")
            }
            (None, None) => {
                return Err(self.err(&k("token_url"), "required (or tenant, for Microsoft 365)"));
            }
        };
        self.endpoint(&k("token_url"), &token_url)?;
        if let Some(url) = &r.device_authorization_url {
            self.endpoint(&k("device_authorization_url"), url)?;
        }
        let client_id = r
            .client_id
            .filter(|c| !c.is_empty())
            .ok_or_else(|| self.err(&k("client_id"), "required"))?;
        let grant = match r.grant.as_deref().unwrap_or("client_credentials") {
            "client_credentials" => Grant::ClientCredentials,
            "refresh_token" => Grant::RefreshToken,
            other => {
                return Err(self.err(
                    &k("grant"),
                    format!("{other:?} is not \"client_credentials\" or \"refresh_token\""),
                ));
            }
        };
        if grant == Grant::ClientCredentials && r.client_secret_env.is_none() {
            return Err(self.err(
                &k("client_secret_env"),
                "required with grant = \"client_credentials\": the name of the environment \
                 variable holding the client secret",
            ));
        }
        if grant == Grant::ClientCredentials && r.refresh_token_env.is_some() {
            return Err(self.err(
                &k("refresh_token_env"),
                "only read with grant = \"refresh_token\"",
            ));
        }
        let timeout = self.duration(&k("timeout"), r.timeout.as_deref().unwrap_or("30s"))?;
        Ok(OAuthSettings {
            token_url,
            device_authorization_url: r.device_authorization_url,
            client_id,
            client_secret_env: r.client_secret_env,
            scope: r.scope.filter(|s| !s.is_empty()),
            grant,
            refresh_token_env: r.refresh_token_env,
            timeout,
        })
    }

    /// An endpoint must be https, except on loopback (a test, a local proxy).
    fn endpoint(&self, key: &str, value: &str) -> Result<(), ConfigError> {
        let url = url::Url::parse(value)
            .map_err(|e| self.err(key, format!("{value:?} is not a URL: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(()),
            "http" if loopback => Ok(()),
            _ => Err(self.err(
                key,
                format!("{value:?}: must be https (http only on a loopback host)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Inbound, Outbound, parse};

    /// Microsoft 365's servers, the IMAP one with OAuth.
    const SERVERS: &str = r#"
[inbound]
kind = "imap"
host = "outlook.office365.com"
username = "helpdesk@corp.test"
auth = "oauth2"
[inbound.oauth2]
OAUTH
[outbound]
kind = "smtp"
host = "smtp.office365.com"
security = "starttls"
SMTP
"#;

    fn with(oauth: &str, smtp: &str) -> Result<crate::config::Config, ConfigError> {
        let minimal = crate::config::tests::MINIMAL;
        let io = minimal.find("[inbound]").expect("MINIMAL has [inbound]");
        let text = format!("{}{}", &minimal[..io], SERVERS)
            .replace("OAUTH", oauth)
            .replace("SMTP", smtp);
        parse(&text, Path::new("x.toml"))
    }

    #[test]
    fn tenant_names_microsofts_token_endpoint() {
        let c = with(
            "tenant = \"corp.onmicrosoft.com\"\nclient_id = \"abc\"\nclient_secret_env = \"S\"\n\
             scope = \"https://outlook.office365.com/.default\"",
            "",
        )
        .unwrap();
        let Inbound::Imap(s) = &c.inbound else {
            panic!("imap")
        };
        let MailAuth::OAuth2(o) = &s.auth else {
            panic!("oauth2")
        };
        assert_eq!(
            o.token_url,
            "https://login.microsoftonline.com/corp.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(o.grant, Grant::ClientCredentials);
        assert!(matches!(c.outbound, Outbound::Smtp(ref s) if s.login.is_none()));
    }

    #[test]
    fn bad_oauth_settings_are_named() {
        let key = |oauth: &str, smtp: &str| with(oauth, smtp).unwrap_err().key;
        assert_eq!(key("client_id = \"a\"", ""), "inbound.oauth2.token_url");
        assert_eq!(
            key("tenant = \"x/../y\"\nclient_id = \"a\"", ""),
            "inbound.oauth2.tenant"
        );
        assert_eq!(
            key(
                "token_url = \"http://idp.example.com/token\"\nclient_id = \"a\"\nclient_secret_env = \"S\"",
                ""
            ),
            "inbound.oauth2.token_url"
        );
        assert_eq!(
            key("token_url = \"https://idp/token\"\nclient_id = \"a\"", ""),
            "inbound.oauth2.client_secret_env"
        );
        assert_eq!(
            key(
                "token_url = \"https://idp/token\"\nclient_id = \"a\"\ngrant = \"password\"",
                ""
            ),
            "inbound.oauth2.grant"
        );
        // A secret in the file is refused: secrets come from the environment.
        assert!(
            with(
                "token_url = \"https://idp/token\"\nclient_id = \"a\"\nclient_secret = \"s\"",
                ""
            )
            .is_err()
        );
        // SMTP with OAuth needs the user it logs in as.
        let ok = "token_url = \"https://idp/token\"\nclient_id = \"a\"\ngrant = \"refresh_token\"";
        assert_eq!(
            key(
                ok,
                "auth = \"oauth2\"\n[outbound.oauth2]\nclient_id = \"a\"\ntoken_url = \"https://idp/t\"\nclient_secret_env = \"S\""
            ),
            "outbound.password_env"
        );
        assert!(with(ok, "username = \"helpdesk@corp.test\"\nauth = \"oauth2\"\n[outbound.oauth2]\nclient_id = \"a\"\ntoken_url = \"https://idp/t\"\nclient_secret_env = \"S\"").is_ok());
    }
}
