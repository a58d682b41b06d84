//! Outlook's own threading headers, the last threading signal: read only
//! when a reply carries neither our subject tag nor references that match
//! (Outlook drops both in some replies and forwards).
//!
//! `Thread-Index` is base64 of 22 bytes that name the conversation (a
//! reserved byte, a FILETIME, a GUID) followed by one 5-byte block per
//! reply or forward since. The 22 bytes are the conversation's key; the
//! blocks say the mail is an answer, not a new conversation.
//! `Thread-Topic` is the conversation's subject, without prefixes.
//!
//! A Thread-Index is no proof: anyone can copy one. The caller matches a
//! conversation only for a sender who already takes part in the ticket.

use crate::threading::SubjectTag;

/// Bytes that name the conversation.
const HEAD: usize = 22;
/// Bytes of one reply or forward block.
const BLOCK: usize = 5;
/// Longer values are not Outlook's (it stops adding blocks long before).
const MAX_CHARS: usize = 1024;

/// The conversation an Outlook `Thread-Index` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The first 22 bytes, lower-case hex (44 characters): what is stored
    /// and looked up.
    pub key: String,
    /// Reply and forward blocks after them: 0 for the first mail of a
    /// conversation.
    pub answers: usize,
}

impl Conversation {
    /// True when the mail answers (or forwards) an earlier one.
    pub fn is_answer(&self) -> bool {
        self.answers > 0
    }
}

/// The conversation of a `Thread-Index` value, or `None` when it is not one
/// (not base64, too short, blocks that do not add up).
pub fn conversation(thread_index: &str) -> Option<Conversation> {
    if thread_index.len() > MAX_CHARS {
        return None;
    }
    let bytes = base64(thread_index)?;
    if bytes.len() < HEAD || !(bytes.len() - HEAD).is_multiple_of(BLOCK) {
        return None;
    }
    // A key of zeros is no conversation (a client that fills the header in
    // without meaning it).
    if bytes[..HEAD].iter().all(|&b| b == 0) {
        return None;
    }
    Some(Conversation {
        key: hex::encode(&bytes[..HEAD]),
        answers: (bytes.len() - HEAD) / BLOCK,
    })
}

/// Whether a `Thread-Topic` fits the subject of the ticket found by its
/// conversation (both without prefixes and tag, case and spacing aside).
/// No topic fits: the index alone then decides.
pub fn topic_fits(tag: &SubjectTag, topic: Option<&str>, ticket_subject: &str) -> bool {
    match topic.map(str::trim).filter(|t| !t.is_empty()) {
        None => true,
        Some(t) => tag.clean(t).to_lowercase() == tag.clean(ticket_subject).to_lowercase(),
    }
}

/// Standard base64 (whitespace ignored, padding optional); `None` on any
/// other character.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A first mail (22 bytes) and a reply to it (one block more), as
    // Outlook writes them.
    fn first() -> String {
        let head: Vec<u8> = (1..=22).collect();
        encode(&head)
    }
    fn reply() -> String {
        let mut b: Vec<u8> = (1..=22).collect();
        b.extend([9, 8, 7, 6, 5]);
        encode(&b)
    }
    fn encode(b: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in b.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
            for _ in chunk.len()..3 {
                s.push('=');
            }
        }
        s
    }

    #[test]
    fn the_first_22_bytes_are_the_conversation() {
        let a = conversation(&first()).unwrap();
        let b = conversation(&reply()).unwrap();
        assert_eq!(a.key, b.key);
        assert_eq!(a.key.len(), 44);
        assert_eq!((a.answers, b.answers), (0, 1));
        assert!(!a.is_answer() && b.is_answer());
    }

    #[test]
    fn not_a_thread_index() {
        assert_eq!(conversation("not base64!"), None);
        assert_eq!(conversation("AQID"), None); // 3 bytes
        assert_eq!(conversation(&encode(&[1; 24])), None); // not 22 + 5k
        assert_eq!(conversation(&encode(&[0; 22])), None);
        assert_eq!(conversation(&"A".repeat(5000)), None);
    }

    #[test]
    fn topic_fits_the_ticket_subject() {
        let tag = SubjectTag::new("Helpdesk").unwrap();
        assert!(topic_fits(&tag, None, "Printer rusak"));
        assert!(topic_fits(&tag, Some("printer  RUSAK"), "Printer rusak"));
        assert!(topic_fits(
            &tag,
            Some("[Helpdesk #4] Printer rusak"),
            "Printer rusak"
        ));
        assert!(!topic_fits(&tag, Some("Gaji bulan ini"), "Printer rusak"));
    }
}
