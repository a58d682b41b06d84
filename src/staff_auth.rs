//! Proof that a staff member's mail is really theirs: pure, no I/O.
//!
//! A From header is easy to forge, and commands change tickets, so a
//! command needs evidence beyond From (`[auth] mode`):
//!
//! - **token** (the default; works with any mail server): every mail posko
//!   sends a staff member carries `Reply-To: helpdesk+<token>@corp.test`,
//!   where the token is an HMAC-SHA256 of the staff handle under a desk
//!   secret. A reply to a real notice goes to that address, so the token is
//!   found in the reply's To / Cc, or in the Delivered-To / X-Original-To the
//!   receiving server adds. A forger who never saw a notice cannot make it.
//! - **dkim**: the `Authentication-Results` header that the desk's own
//!   server (its `authserv_id`) put on the message says `dkim=pass` with
//!   `header.d=` the staff member's domain (or a parent domain: relaxed
//!   alignment), or `dmarc=pass` with `header.from=` that domain. Only the
//!   first such header counts: the server prepends its own, and must remove
//!   any arriving with its id (RFC 8601 §5), or a forger could add one.
//! - **both**: the strict setting.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{Auth, AuthMode, Desk, Staff};
use crate::domain::EmailAddress;

/// HMAC-SHA256 (RFC 2104), with sha2 only.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Hex characters of the token: 96 bits, short enough for an address.
const TOKEN_LEN: usize = 24;

/// The token of staff member `handle` under `secret`.
pub fn token(secret: &[u8], handle: &str) -> String {
    let mac = hmac_sha256(secret, format!("posko-staff:{handle}").as_bytes());
    let mut hex = hex::encode(mac);
    hex.truncate(TOKEN_LEN);
    hex
}

/// `helpdesk+<token>@corp.test`: where a staff member's replies go.
pub fn tokened_address(desk: &EmailAddress, token: &str) -> EmailAddress {
    let local = desk.local().split('+').next().unwrap_or(desk.local());
    EmailAddress::parse(&format!("{local}+{token}@{}", desk.domain()))
        .unwrap_or_else(|| desk.clone())
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass(String),
    Fail(String),
    /// The desk's mode does not ask for it.
    Skipped,
}

impl Check {
    fn json(&self) -> Value {
        match self {
            Check::Pass(d) => json!({ "result": "pass", "detail": d }),
            Check::Fail(d) => json!({ "result": "fail", "detail": d }),
            Check::Skipped => json!({ "result": "not required" }),
        }
    }

    fn failed(&self) -> Option<&str> {
        match self {
            Check::Fail(d) => Some(d),
            _ => None,
        }
    }
}

/// What was found, and whether it is enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub mode: AuthMode,
    pub token: Check,
    pub dkim: Check,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.token.failed().is_none() && self.dkim.failed().is_none()
    }

    /// Why it failed, for the staff member and the event.
    pub fn reason(&self) -> Option<String> {
        let why: Vec<&str> = [self.token.failed(), self.dkim.failed()]
            .into_iter()
            .flatten()
            .collect();
        (!why.is_empty()).then(|| why.join("; "))
    }

    /// The evidence as recorded in events.
    pub fn json(&self) -> Value {
        json!({
            "mode": self.mode.as_str(),
            "token": self.token.json(),
            "dkim": self.dkim.json(),
            "passed": self.passed(),
        })
    }
}

/// Headers that name where a message was sent.
const RECIPIENT_HEADERS: [&str; 4] = ["to", "cc", "delivered-to", "x-original-to"];

static PLUS_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([a-z0-9._%=-]+)\+([a-z0-9]+)@([a-z0-9.-]+)").expect("plus address regex")
});

/// Checks `headers` (name, decoded value, in order) of a mail from `staff`.
pub fn verify(
    auth: &Auth,
    desk: &Desk,
    secret: &[u8],
    staff: &Staff,
    headers: &[(String, String)],
) -> Verdict {
    let token = match auth.mode {
        AuthMode::Token | AuthMode::Both => check_token(desk, secret, staff, headers),
        AuthMode::Dkim => Check::Skipped,
    };
    let dkim = match (auth.mode, &auth.authserv_id) {
        (AuthMode::Dkim | AuthMode::Both, Some(id)) => check_dkim(id, staff, headers),
        (AuthMode::Dkim | AuthMode::Both, None) => Check::Fail("no authserv_id configured".into()),
        (AuthMode::Token, _) => Check::Skipped,
    };
    Verdict {
        mode: auth.mode,
        token,
        dkim,
    }
}

fn check_token(desk: &Desk, secret: &[u8], staff: &Staff, headers: &[(String, String)]) -> Check {
    let expected = token(secret, &staff.handle);
    let mut foreign = None;
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !RECIPIENT_HEADERS.contains(&name.as_str()) {
            continue;
        }
        for m in PLUS_ADDRESS.captures_iter(value) {
            let Some(base) = EmailAddress::parse(&format!("{}@{}", &m[1], &m[3])) else {
                continue;
            };
            if !desk.is_own_address(&base) {
                continue;
            }
            if equal(m[2].to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
                return Check::Pass(format!(
                    "the token of {} in {}",
                    staff.handle,
                    header_name(&name)
                ));
            }
            foreign.get_or_insert(header_name(&name));
        }
    }
    Check::Fail(match foreign {
        Some(h) => format!(
            "the desk address in {h} carries a token that is not {}'s",
            staff.handle
        ),
        None => format!(
            "no token: the mail was not sent to {}'s personal desk address (reply to a notice from the desk)",
            staff.handle
        ),
    })
}

fn header_name(lower: &str) -> &'static str {
    match lower {
        "to" => "To",
        "cc" => "Cc",
        "delivered-to" => "Delivered-To",
        _ => "X-Original-To",
    }
}

/// Comparison whose time does not depend on where the bytes differ.
fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

static COMMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^()]*\)").expect("comment"));

fn check_dkim(authserv_id: &str, staff: &Staff, headers: &[(String, String)]) -> Check {
    let domain = staff.email.domain().to_ascii_lowercase();
    let ours = headers.iter().find_map(|(name, value)| {
        if !name.eq_ignore_ascii_case("authentication-results") {
            return None;
        }
        let value = COMMENT.replace_all(value, " ");
        let mut parts = value.split(';');
        let id = parts
            .next()?
            .split_whitespace()
            .next()?
            .to_ascii_lowercase();
        (id == authserv_id.to_ascii_lowercase())
            .then(|| parts.map(str::to_string).collect::<Vec<_>>())
    });
    let Some(results) = ours else {
        return Check::Fail(format!(
            "no Authentication-Results from {authserv_id} (the desk's mail server)"
        ));
    };
    let aligned = |d: &str| {
        let d = d.trim().trim_matches('"').to_ascii_lowercase();
        !d.is_empty() && (domain == d || domain.ends_with(&format!(".{d}")))
    };
    let mut seen = Vec::new();
    for r in &results {
        let mut words = r.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let method = method.to_ascii_lowercase();
        let result = result.to_ascii_lowercase();
        let props: Vec<(String, String)> = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        let prop = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        match (method.as_str(), result.as_str()) {
            ("dkim", "pass") if prop("header.d").is_some_and(aligned) => {
                return Check::Pass(format!(
                    "{authserv_id}: dkim=pass header.d={}",
                    prop("header.d").unwrap_or_default()
                ));
            }
            ("dmarc", "pass") if prop("header.from").is_some_and(aligned) => {
                return Check::Pass(format!(
                    "{authserv_id}: dmarc=pass header.from={}",
                    prop("header.from").unwrap_or_default()
                ));
            }
            ("dkim" | "dmarc", _) => seen.push(format!("{method}={result}")),
            _ => {}
        }
    }
    Check::Fail(format!(
        "{authserv_id} shows no DKIM or DMARC pass for {domain}{}",
        if seen.is_empty() {
            String::new()
        } else {
            format!(" ({})", seen.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Role;

    fn staff() -> Staff {
        Staff {
            name: "Budi Santoso".into(),
            email: EmailAddress::parse("budi@corp.test").unwrap(),
            handle: "budi".into(),
            level: 2,
            groups: vec!["network".into()],
            role: Role::Agent,
        }
    }

    fn desk() -> Desk {
        Desk {
            name: "IT Helpdesk".into(),
            address: EmailAddress::parse("helpdesk@corp.test").unwrap(),
            aliases: vec![EmailAddress::parse("security@corp.test").unwrap()],
            tag: "Helpdesk".into(),
            language: crate::config::Language::Id,
            timezone: chrono_tz::Asia::Jakarta,
            reopen_window: std::time::Duration::from_secs(1),
            ack_limit: 5,
            ack_limit_total: 100,
            requester_domains: Vec::new(),
            non_participant: crate::config::NonParticipant::Note,
            ack_window: std::time::Duration::from_secs(1),
            templates: None,
        }
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Case 6: a key longer than the block.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_reply_to_the_tokened_address_passes_and_others_fail() {
        let secret = b"s3cret";
        let t = token(secret, "budi");
        assert_eq!(t.len(), TOKEN_LEN);
        assert_ne!(t, token(secret, "siti"));
        assert_ne!(t, token(b"other", "budi"));
        let addr = tokened_address(&desk().address, &t);
        assert_eq!(addr.as_str(), format!("helpdesk+{t}@corp.test"));
        let auth = Auth::default();
        let ok = verify(
            &auth,
            &desk(),
            secret,
            &staff(),
            &h(&[("To", &format!("IT Helpdesk <{addr}>"))]),
        );
        assert!(ok.passed(), "{ok:?}");
        // Delivered-To works when the client rewrote To.
        let ok = verify(
            &auth,
            &desk(),
            secret,
            &staff(),
            &h(&[
                ("To", "helpdesk@corp.test"),
                ("Delivered-To", addr.as_str()),
            ]),
        );
        assert!(ok.passed());
        let none = verify(
            &auth,
            &desk(),
            secret,
            &staff(),
            &h(&[("To", "helpdesk@corp.test")]),
        );
        assert!(!none.passed());
        assert!(none.reason().unwrap().contains("no token"));
        let siti = tokened_address(&desk().address, &token(secret, "siti"));
        let wrong = verify(
            &auth,
            &desk(),
            secret,
            &staff(),
            &h(&[("Cc", siti.as_str())]),
        );
        assert!(wrong.reason().unwrap().contains("not budi's"), "{wrong:?}");
        // A token on someone else's address proves nothing.
        let elsewhere = verify(
            &auth,
            &desk(),
            secret,
            &staff(),
            &h(&[("To", &format!("budi+{t}@corp.test"))]),
        );
        assert!(!elsewhere.passed());
    }

    #[test]
    fn dkim_needs_our_server_and_an_aligned_pass() {
        let auth = Auth {
            mode: AuthMode::Dkim,
            authserv_id: Some("mx.corp.test".into()),
            ..Auth::default()
        };
        let check = |v: &str| {
            verify(
                &auth,
                &desk(),
                b"",
                &staff(),
                &h(&[("Authentication-Results", v)]),
            )
        };
        assert!(
            check("mx.corp.test; dkim=pass (2048-bit key) header.d=corp.test header.s=s1").passed()
        );
        assert!(
            check(
                "MX.corp.test 1; spf=pass smtp.mailfrom=corp.test; dmarc=pass header.from=corp.test"
            )
            .passed()
        );
        let v = check("mx.corp.test; dkim=fail header.d=corp.test");
        assert!(v.reason().unwrap().contains("dkim=fail"), "{v:?}");
        assert!(!check("mx.corp.test; dkim=pass header.d=evil.test").passed());
        // Someone else's server vouches for nothing.
        assert!(!check("mx.evil.test; dkim=pass header.d=corp.test").passed());
        // Only the first of our headers counts (ours is prepended).
        let two = h(&[
            ("Authentication-Results", "mx.corp.test; dkim=none"),
            (
                "Authentication-Results",
                "mx.corp.test; dkim=pass header.d=corp.test",
            ),
        ]);
        assert!(!verify(&auth, &desk(), b"", &staff(), &two).passed());
        let both = Auth {
            mode: AuthMode::Both,
            ..auth.clone()
        };
        let v = verify(
            &both,
            &desk(),
            b"k",
            &staff(),
            &h(&[(
                "Authentication-Results",
                "mx.corp.test; dkim=pass header.d=corp.test",
            )]),
        );
        assert!(!v.passed(), "both needs the token too");
        assert_eq!(v.json()["dkim"]["result"], "pass");
    }
}
