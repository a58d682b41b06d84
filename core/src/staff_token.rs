//! Staff tokens: the secret part of the reply address in the desk's mail to
//! a staff member (`helpdesk+<token>@corp.test`). Pure, no I/O.
//!
//! A token says "the desk gave this address to staff member S, about ticket
//! T (or about no ticket: S's personal address), at time I, signed with key
//! K". A reply to the notice goes back to that address, so a mail that
//! arrives at it from S about T within the lifetime proves itself. What a
//! token is *not*: a password. Anyone who sees the address (a colleague Cc'd
//! on a reply, a vendor) can reuse it, so it is bound to one ticket and one
//! staff member, and it expires (`auth.token_lifetime`): a copy does nothing
//! on another ticket, for another staff member, or after the lifetime.
//!
//! The format, all in RFC 4648 "base32hex" lower case (`0-9a-v`), because a
//! local part must survive every MTA: no case (some fold it), no `.`, `-`,
//! `=` or a second `+` (some treat them as delimiters):
//!
//! | chars | field |
//! |---|---|
//! | 1 | format version, `1` |
//! | 2 | key id: the first 10 bits of HMAC(key, "posko-key-id") |
//! | 6 | issue time, minutes since 1970 (good for 2,000 years) |
//! | 16 | MAC: the first 80 bits of HMAC-SHA256(key, version, key id, issue time, ticket, handle) |
//! | 0–13 | the ticket number, or nothing for a personal address |
//!
//! So a notice about ticket 1234 carries `helpdesk+1` + 2 + 6 + 16 + `16i`:
//! 28 characters after the `+`, at most 38 (a local part may have 64). The
//! handle is not in the address (the From says who claims to send; the MAC
//! says whether the desk gave *them* this address). 80 bits cannot be guessed
//! by sending mail. The key id lets the desk hold several keys at once
//! (rotation: the newest signs, older ones verify what they signed until
//! that expires).

use sha2::{Digest, Sha256};

use crate::domain::TicketId;

/// The format version, the token's first character.
const VERSION: char = '1';
/// Digits of base32hex, lower case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
const KEY_ID_LEN: usize = 2;
const ISSUED_LEN: usize = 6;
const MAC_LEN: usize = 16;
/// Everything before the ticket number.
const HEAD_LEN: usize = 1 + KEY_ID_LEN + ISSUED_LEN + MAC_LEN;
/// The longest token: the largest ticket number takes 13 digits.
pub const MAX_LEN: usize = HEAD_LEN + 13;

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

/// Comparison whose time does not depend on where the bytes differ (a MAC
/// compared byte by byte, stopping at the first difference, would tell a
/// patient forger how much of a guess was right).
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` in base32hex, `width` digits (the high ones dropped if it is longer).
fn digits(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 32) as usize];
        n /= 32;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// `n` in base32hex without leading zeros.
fn number(n: u64) -> String {
    let width = (1..13).find(|w| n >> (5 * w) == 0).unwrap_or(13);
    digits(n, width)
}

fn value(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 13 {
        return None;
    }
    s.bytes().try_fold(0u64, |acc, c| {
        let d = ALPHABET.iter().position(|&a| a == c.to_ascii_lowercase())?;
        acc.checked_mul(32)?.checked_add(d as u64)
    })
}

/// The first 80 bits of `bytes`, as 16 base32hex digits.
fn mac_digits(bytes: &[u8; 32]) -> String {
    let mut out = String::with_capacity(MAC_LEN);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in &bytes[..MAC_LEN * 5 / 8] {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

/// One key of the staff tokens.
#[derive(Clone)]
pub struct Key {
    /// What tokens carry to say which key made them.
    pub id: String,
    secret: Vec<u8>,
    /// When it was made (0 when not known: the key of the first migration,
    /// or one from the environment).
    pub created_at: i64,
    /// When a newer key took over signing; it verifies until the tokens it
    /// signed expire.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret: keys end up in logs through Debug.
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

impl Key {
    pub fn new(secret: impl Into<Vec<u8>>, created_at: i64, retired_at: Option<i64>) -> Key {
        let secret = secret.into();
        let id = digits(
            u64::from(
                u16::from_be_bytes(
                    hmac_sha256(&secret, b"posko-key-id")[..2]
                        .try_into()
                        .unwrap_or_default(),
                ) >> 6,
            ),
            KEY_ID_LEN,
        );
        Key {
            id,
            secret,
            created_at,
            retired_at,
        }
    }

    /// The last instant a token it signed can be valid: a retired key is
    /// dropped then.
    pub fn verifies_until(&self, lifetime: i64) -> Option<i64> {
        self.retired_at.map(|r| r.saturating_add(lifetime))
    }

    /// Retired for longer than a token lives: nothing it signed is valid.
    pub fn dropped(&self, lifetime: i64, now: i64) -> bool {
        self.verifies_until(lifetime).is_some_and(|t| t <= now)
    }

    fn mac(&self, issued_minutes: u64, ticket: &str, handle: &str) -> String {
        let message = format!(
            "posko-staff-token:{VERSION}:{}:{issued_minutes}:{ticket}:{handle}",
            self.id
        );
        mac_digits(&hmac_sha256(&self.secret, message.as_bytes()))
    }
}

/// The desk's keys: one signs, all verify (until dropped).
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: Vec<Key>,
}

impl KeyRing {
    /// Keys from the database: the newest one not retired signs.
    pub fn new(mut keys: Vec<Key>) -> Result<KeyRing, String> {
        keys.sort_by_key(|k| (k.retired_at.is_some(), -k.created_at));
        match keys.first() {
            Some(k) if k.retired_at.is_none() => Ok(KeyRing { keys }),
            _ => Err("no current key of the staff tokens (every key is retired)".into()),
        }
    }

    /// Keys from an environment variable: `KEY` or `NEW,OLD,…`. The first
    /// signs; the others verify the tokens they signed (for rotation).
    pub fn from_env(value: &str) -> Result<KeyRing, String> {
        let parts: Vec<&str> = value.split(',').map(str::trim).collect();
        if parts.iter().any(|p| p.len() < 16) {
            return Err(
                "each key must be at least 16 characters (e.g. `openssl rand -hex 32`), \
                 several separated by commas, the current one first"
                    .into(),
            );
        }
        // In the order given: the environment has no dates, and the older
        // keys verify until the admin removes them.
        let keys = parts
            .iter()
            .map(|p| Key::new(p.as_bytes(), 0, None))
            .collect();
        Ok(KeyRing { keys })
    }

    /// The key that signs new tokens.
    pub fn signing(&self) -> &Key {
        &self.keys[0]
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

/// The token for `handle` about `ticket` (none: the personal address),
/// issued at `now`.
pub fn issue(ring: &KeyRing, handle: &str, ticket: Option<TicketId>, now: i64) -> String {
    let key = ring.signing();
    let minutes = now.max(0) as u64 / 60;
    let ticket = ticket_digits(ticket);
    format!(
        "{VERSION}{}{}{}{ticket}",
        key.id,
        digits(minutes, ISSUED_LEN),
        key.mac(minutes, &ticket, handle)
    )
}

fn ticket_digits(ticket: Option<TicketId>) -> String {
    ticket
        .filter(|&t| t > 0)
        .map(|t| number(t as u64))
        .unwrap_or_default()
}

/// Why a token does not prove a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The mail was not sent to a tokened desk address.
    Missing,
    /// A `+detail` that is not a token of this desk.
    Malformed,
    /// Made with a key the desk does not have (any more).
    UnknownKey,
    /// Not made for this staff member, or altered.
    NotTheirs,
    /// Genuine, but for another ticket (`None`: the personal address).
    OtherTicket { token_ticket: Option<TicketId> },
    /// Genuine and for this ticket, but past its lifetime.
    Expired { issued_at: i64, expired_at: i64 },
}

impl Problem {
    /// A short code, for events and templates.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::Malformed => "malformed",
            Problem::UnknownKey => "unknown_key",
            Problem::NotTheirs => "not_theirs",
            Problem::OtherTicket { .. } => "other_ticket",
            Problem::Expired { .. } => "expired",
        }
    }

    /// How close the token came: a genuine token's problem says the most.
    pub fn rank(&self) -> u8 {
        match self {
            Problem::Missing => 0,
            Problem::Malformed => 1,
            Problem::NotTheirs => 2,
            Problem::UnknownKey => 3,
            Problem::OtherTicket { .. } => 4,
            Problem::Expired { .. } => 5,
        }
    }
}

/// A token that proves a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub key_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub ticket: Option<TicketId>,
}

/// Checks `token` for a mail from `handle` about `ticket` (none: a mail
/// opening a new ticket) at `now`, tokens living `lifetime` seconds.
pub fn check(
    ring: &KeyRing,
    lifetime: i64,
    handle: &str,
    ticket: Option<TicketId>,
    token: &str,
    now: i64,
) -> Result<Valid, Problem> {
    let token = token.to_ascii_lowercase();
    if token.len() < HEAD_LEN
        || token.len() > MAX_LEN
        || !token.starts_with(VERSION)
        || !token.bytes().all(|c| ALPHABET.contains(&c))
    {
        return Err(Problem::Malformed);
    }
    let key_id = &token[1..1 + KEY_ID_LEN];
    let issued = &token[1 + KEY_ID_LEN..1 + KEY_ID_LEN + ISSUED_LEN];
    let mac = &token[HEAD_LEN - MAC_LEN..HEAD_LEN];
    let token_ticket = &token[HEAD_LEN..];
    let minutes = value(issued).ok_or(Problem::Malformed)?;
    let token_ticket_id = match token_ticket {
        "" => None,
        t if t.starts_with('0') => return Err(Problem::Malformed),
        t => Some(value(t).ok_or(Problem::Malformed)? as TicketId),
    };
    let mut keys = ring
        .keys
        .iter()
        .filter(|k| k.id == key_id && !k.dropped(lifetime, now))
        .peekable();
    if keys.peek().is_none() {
        return Err(Problem::UnknownKey);
    }
    // Every key with this id is tried (two keys may share an id), each in
    // constant time.
    let genuine = keys.fold(false, |found, k| {
        equal(
            k.mac(minutes, token_ticket, handle).as_bytes(),
            mac.as_bytes(),
        ) | found
    });
    if !genuine {
        return Err(Problem::NotTheirs);
    }
    if token_ticket_id != ticket {
        return Err(Problem::OtherTicket {
            token_ticket: token_ticket_id,
        });
    }
    let issued_at = (minutes as i64).saturating_mul(60);
    let expires_at = issued_at.saturating_add(lifetime);
    if now >= expires_at {
        return Err(Problem::Expired {
            issued_at,
            expired_at: expires_at,
        });
    }
    Ok(Valid {
        key_id: key_id.to_string(),
        issued_at,
        expires_at,
        ticket,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const LIFE: i64 = 60 * DAY;
    /// 2026-11-23T01:00:00Z.
    const T0: i64 = 1_795_395_600;

    fn ring() -> KeyRing {
        KeyRing::new(vec![Key::new(b"0123456789abcdef0123".to_vec(), 0, None)]).unwrap()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
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
    fn numbers_round_trip() {
        for n in [1u64, 31, 32, 1234, 1 << 40, i64::MAX as u64] {
            assert_eq!(value(&number(n)), Some(n), "{n}");
        }
        assert_eq!(number(i64::MAX as u64).len(), 13);
        assert_eq!(digits(5, 6), "000005");
        assert_eq!(value("zz"), None);
        assert_eq!(value("vvvvvvvvvvvvv"), None, "overflow");
    }

    #[test]
    fn a_token_is_short_lower_case_and_verifies_for_its_ticket_and_handle() {
        let r = ring();
        let t = issue(&r, "budi", Some(1234), T0);
        assert_eq!(t.len(), HEAD_LEN + 3, "{t}");
        assert!(
            t.bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        let longest = issue(&r, "budi", Some(i64::MAX), T0);
        assert_eq!(longest.len(), MAX_LEN);
        // helpdesk+<token>: far below the 64 characters of a local part.
        assert!("helpdesk+".len() + MAX_LEN <= 64);
        let ok = check(&r, LIFE, "budi", Some(1234), &t, T0 + DAY).unwrap();
        assert_eq!(ok.ticket, Some(1234));
        assert_eq!(ok.key_id, r.signing().id);
        assert_eq!(ok.expires_at, ok.issued_at + LIFE);
        // MTAs may change the case of a local part.
        assert!(check(&r, LIFE, "budi", Some(1234), &t.to_uppercase(), T0).is_ok());
    }

    #[test]
    fn a_token_is_bound_to_its_ticket() {
        let r = ring();
        let a = issue(&r, "budi", Some(7), T0);
        assert_eq!(
            check(&r, LIFE, "budi", Some(8), &a, T0),
            Err(Problem::OtherTicket {
                token_ticket: Some(7)
            })
        );
        // Nor does it open new tickets; the personal address does nothing
        // on a ticket.
        assert!(matches!(
            check(&r, LIFE, "budi", None, &a, T0),
            Err(Problem::OtherTicket { .. })
        ));
        let personal = issue(&r, "budi", None, T0);
        assert!(check(&r, LIFE, "budi", None, &personal, T0).is_ok());
        assert_eq!(
            check(&r, LIFE, "budi", Some(7), &personal, T0),
            Err(Problem::OtherTicket { token_ticket: None })
        );
    }

    #[test]
    fn a_token_is_bound_to_its_staff_member() {
        let r = ring();
        let siti = issue(&r, "siti", Some(7), T0);
        assert_eq!(
            check(&r, LIFE, "budi", Some(7), &siti, T0),
            Err(Problem::NotTheirs)
        );
        assert!(check(&r, LIFE, "siti", Some(7), &siti, T0).is_ok());
    }

    #[test]
    fn a_token_expires_after_its_lifetime() {
        let r = ring();
        let t = issue(&r, "budi", Some(7), T0);
        assert!(check(&r, LIFE, "budi", Some(7), &t, T0 + LIFE - 1).is_ok());
        let e = check(&r, LIFE, "budi", Some(7), &t, T0 + LIFE).unwrap_err();
        assert_eq!(
            e,
            Problem::Expired {
                issued_at: T0,
                expired_at: T0 + LIFE
            }
        );
        // A shorter lifetime applies to tokens already out.
        assert!(check(&r, DAY, "budi", Some(7), &t, T0 + 2 * DAY).is_err());
    }

    #[test]
    fn any_altered_character_is_refused() {
        let r = ring();
        let t = issue(&r, "budi", Some(1234), T0);
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let altered = String::from_utf8(b).unwrap();
            let e = check(&r, LIFE, "budi", Some(1234), &altered, T0).unwrap_err();
            assert!(
                matches!(
                    e,
                    Problem::NotTheirs | Problem::Malformed | Problem::UnknownKey
                ),
                "char {i}: {e:?}"
            );
        }
        // A later issue time (to live longer), another ticket: the MAC says no.
        let later = format!("{}{}{}", &t[..3], digits(T0 as u64 / 60 + 1000, 6), &t[9..]);
        assert_eq!(
            check(&r, LIFE, "budi", Some(1234), &later, T0),
            Err(Problem::NotTheirs)
        );
        let other = format!("{}{}", &t[..HEAD_LEN], number(1235));
        assert_eq!(
            check(&r, LIFE, "budi", Some(1235), &other, T0),
            Err(Problem::NotTheirs)
        );
        for junk in ["", "abc", "0123456789012345678901234", "2ab", "1/x"] {
            assert_eq!(
                check(&r, LIFE, "budi", Some(1), junk, T0),
                Err(Problem::Malformed),
                "{junk}"
            );
        }
        let too_long = format!("{t}0000000000000");
        assert_eq!(
            check(&r, LIFE, "budi", Some(1234), &too_long, T0),
            Err(Problem::Malformed)
        );
    }

    #[test]
    fn key_ids_rotation_and_dropping() {
        let old = Key::new(b"old-key-0123456789".to_vec(), 0, None);
        let before = KeyRing::new(vec![old.clone()]).unwrap();
        let t = issue(&before, "budi", Some(7), T0);
        assert_eq!(&t[1..3], old.id);
        // Rotation at T0 + 1 day: the new key signs, the old one verifies.
        let rotated = KeyRing::new(vec![
            Key::new(b"old-key-0123456789".to_vec(), 0, Some(T0 + DAY)),
            Key::new(b"new-key-0123456789".to_vec(), T0 + DAY, None),
        ])
        .unwrap();
        assert_ne!(rotated.signing().id, old.id, "ids differ for these keys");
        assert_eq!(rotated.signing().created_at, T0 + DAY);
        assert!(check(&rotated, LIFE, "budi", Some(7), &t, T0 + 2 * DAY).is_ok());
        let fresh = issue(&rotated, "budi", Some(7), T0 + 2 * DAY);
        assert_eq!(&fresh[1..3], rotated.signing().id);
        assert!(check(&rotated, LIFE, "budi", Some(7), &fresh, T0 + 2 * DAY).is_ok());
        // Once the old key is past retirement + lifetime it is dropped.
        assert!(rotated.keys()[1].dropped(LIFE, T0 + DAY + LIFE));
        assert_eq!(
            check(&before, LIFE, "budi", Some(7), &fresh, T0),
            Err(Problem::UnknownKey),
            "a key the desk does not have"
        );
        // Every key is retired: nothing can sign.
        assert!(KeyRing::new(vec![Key::new(b"x".to_vec(), 0, Some(1))]).is_err());
        // The environment: current key first.
        let env = KeyRing::from_env("new-key-0123456789, old-key-0123456789").unwrap();
        assert_eq!(env.signing().id, rotated.signing().id);
        assert!(check(&env, LIFE, "budi", Some(7), &t, T0 + 2 * DAY).is_ok());
        assert!(KeyRing::from_env("short").is_err());
        assert!(KeyRing::from_env("new-key-0123456789,").is_err());
        assert!(
            !format!("{:?}", env).contains("new-key"),
            "Debug hides keys"
        );
    }

    #[test]
    fn keys_sharing_an_id_are_all_tried() {
        // Find two secrets whose ids collide (10 bits: quickly found).
        let a = Key::new(b"collide-0".to_vec(), 0, Some(T0));
        let b = (1..5000)
            .map(|i| Key::new(format!("collide-{i}").into_bytes(), T0, None))
            .find(|k| k.id == a.id)
            .expect("a collision within 5000 keys");
        let old = KeyRing::new(vec![Key::new(b"collide-0".to_vec(), 0, None)]).unwrap();
        let t = issue(&old, "budi", Some(7), T0);
        let both = KeyRing::new(vec![a, b]).unwrap();
        assert!(check(&both, LIFE, "budi", Some(7), &t, T0 + DAY).is_ok());
    }

    #[test]
    fn comparison_is_by_value_over_every_byte() {
        assert!(equal(b"abcdef", b"abcdef"));
        assert!(!equal(b"abcdef", b"abcdeg"));
        assert!(!equal(b"abcdef", b"bbcdef"));
        assert!(!equal(b"abc", b"abcd"));
        assert!(equal(b"", b""));
    }
}
