//! OAuth 2.0 for mailboxes, the decisions without the I/O: what a token
//! endpoint's answer says (RFC 6749 §5), when a cached access token must be
//! replaced, how long to wait after the endpoint failed, what a device-code
//! poll answer means (RFC 8628 §3.5), and the SASL initial responses that
//! carry the token (XOAUTH2, and OAUTHBEARER of RFC 7628).
//!
//! Times are seconds since the epoch, passed in.

use serde::Deserialize;

/// A cached token is replaced this long before it runs out, so a login
/// never starts with a token about to die…
pub const REFRESH_MARGIN: i64 = 300;

/// …or at half its life when it lives less than twice the margin (a test
/// endpoint's tokens, a provider's short-lived ones).
pub fn refresh_at(obtained_at: i64, expires_in: i64) -> i64 {
    let margin = REFRESH_MARGIN.min(expires_in / 2);
    obtained_at + expires_in - margin
}

/// Waits after the endpoint failed `failures` times in a row: 1, 2, 4 s …
/// at most a minute, so a daemon neither hammers a broken endpoint nor
/// waits long once it is back.
pub fn retry_after(failures: u32) -> i64 {
    1i64 << failures.saturating_sub(1).min(6)
}

/// The endpoint gave a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub access_token: String,
    /// Seconds; an answer without it is taken as one hour (RFC 6749 makes
    /// it optional; the providers posko knows always send it).
    pub expires_in: i64,
    /// A new refresh token, when the provider rotates them (Microsoft).
    pub refresh_token: Option<String>,
}

/// What a token endpoint's answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Token(Granted),
    /// An RFC 6749 error (`invalid_client`, `authorization_pending` …)
    /// with its description when there is one.
    Refused {
        error: String,
        description: Option<String>,
    },
}

/// The longest token we accept; a bigger answer is not a token endpoint's.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Deserialize)]
struct Raw {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads a token endpoint's JSON (`status` is the HTTP status): a token,
/// an OAuth error, or why the answer is not one.
pub fn read_answer(status: u16, body: &[u8]) -> Result<Answer, String> {
    let raw: Raw = serde_json::from_slice(body).map_err(|_| {
        if status == 200 {
            "the token endpoint answered 200 without JSON".to_string()
        } else {
            format!("the token endpoint answered HTTP {status}")
        }
    })?;
    if let Some(error) = raw.error {
        return Ok(Answer::Refused {
            error: printable(&error),
            description: raw.error_description.as_deref().map(printable),
        });
    }
    if status != 200 {
        return Err(format!("the token endpoint answered HTTP {status}"));
    }
    let access_token = raw
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or("the token endpoint's answer has no access_token")?;
    if access_token.len() > MAX_TOKEN_LEN || !access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the token endpoint's access_token is not a printable token".into());
    }
    // Some providers send the number as a string.
    let expires_in = match raw.expires_in {
        None => 3600,
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(-1),
        Some(_) => -1,
    };
    if expires_in <= 0 {
        return Err("the token endpoint's expires_in is not a positive number".into());
    }
    Ok(Answer::Token(Granted {
        access_token,
        expires_in,
        refresh_token: raw.refresh_token.filter(|t| !t.is_empty()),
    }))
}

/// An endpoint's text, kept short and on one line for a log or `/readyz`.
fn printable(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
    s
}

/// What to do after one poll of the device-code flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Done(Granted),
    /// Ask again after the interval.
    Pending,
    /// Ask again after the interval made 5 s longer (RFC 8628 §3.5).
    SlowDown,
    /// Stop: the code expired, the person refused, or the client is wrong.
    Failed(String),
}

/// Reads one device-code poll answer.
pub fn read_poll(status: u16, body: &[u8]) -> Poll {
    match read_answer(status, body) {
        Ok(Answer::Token(t)) => Poll::Done(t),
        Ok(Answer::Refused { error, description }) => match error.as_str() {
            "authorization_pending" => Poll::Pending,
            "slow_down" => Poll::SlowDown,
            "expired_token" => {
                Poll::Failed("the code expired before it was entered: run the command again".into())
            }
            "access_denied" => Poll::Failed("the sign-in was refused".into()),
            _ => Poll::Failed(match description {
                Some(d) => format!("{error}: {d}"),
                None => error,
            }),
        },
        Err(e) => Poll::Failed(e),
    }
}

/// SASL XOAUTH2's response (Google's and Microsoft's mechanism).
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// SASL OAUTHBEARER's initial response (RFC 7628 §3.1).
pub fn oauthbearer(user: &str, token: &str) -> String {
    // The GS2 header's authzid escapes ',' and '=' (RFC 5801).
    let user = user.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={user},\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_five_minutes_early_or_at_half_life() {
        assert_eq!(refresh_at(1000, 3600), 1000 + 3300);
        assert_eq!(refresh_at(1000, 4), 1002);
        assert_eq!(refresh_at(1000, 600), 1300);
    }

    #[test]
    fn retry_grows_and_caps() {
        assert_eq!(retry_after(1), 1);
        assert_eq!(retry_after(2), 2);
        assert_eq!(retry_after(4), 8);
        assert_eq!(retry_after(40), 64);
    }

    #[test]
    fn reads_tokens_and_errors() {
        let t = read_answer(
            200,
            br#"{"access_token":"abc","expires_in":"3599","token_type":"Bearer"}"#,
        );
        assert_eq!(
            t,
            Ok(Answer::Token(Granted {
                access_token: "abc".into(),
                expires_in: 3599,
                refresh_token: None
            }))
        );
        let e = read_answer(
            400,
            br#"{"error":"invalid_client","error_description":"bad"}"#,
        );
        assert!(matches!(e, Ok(Answer::Refused { error, .. }) if error == "invalid_client"));
        assert!(read_answer(500, b"<html>oops</html>").is_err());
        assert!(read_answer(200, br#"{"access_token":"a b"}"#).is_err());
        assert!(read_answer(200, br#"{"access_token":"a","expires_in":-5}"#).is_err());
    }

    #[test]
    fn device_polls() {
        assert_eq!(
            read_poll(400, br#"{"error":"authorization_pending"}"#),
            Poll::Pending
        );
        assert_eq!(read_poll(400, br#"{"error":"slow_down"}"#), Poll::SlowDown);
        assert!(matches!(
            read_poll(400, br#"{"error":"expired_token"}"#),
            Poll::Failed(_)
        ));
        assert!(matches!(
            read_poll(
                200,
                br#"{"access_token":"x","refresh_token":"r","expires_in":60}"#
            ),
            Poll::Done(Granted {
                refresh_token: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn sasl_responses() {
        assert_eq!(xoauth2("a@b", "t"), "user=a@b\x01auth=Bearer t\x01\x01");
        assert_eq!(
            oauthbearer("a,b=c", "t"),
            "n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01"
        );
    }
}
