//! Display names as staff see them. Pure.
//!
//! A display name is whatever the sender typed. `"IT Helpdesk
//! <helpdesk@corp.test>" <mallory@outside.test>` reads as the desk itself
//! wherever only the name is shown, and staff decide whom to trust by what
//! they read. So every staff-facing text shows the real address beside the
//! name ([`shown`]) and a warning when the name pretends to be someone else
//! ([`check`]): it carries an address that is not the sender's, the desk's
//! name or one of its addresses, a staff member's name on an address that is
//! not theirs, or characters that hide or reorder text (line breaks, bidi
//! controls, zero-width characters).
//!
//! The words of the warning are in the templates (`sender_warning`); this
//! module only decides.

use serde::Serialize;

use crate::domain::EmailAddress;

/// Why a display name is suspicious. Serialised for the templates as
/// `{ "kind": "address", "value": "helpdesk@corp.test" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Flag {
    /// The name carries address-like text (this) other than the sender's
    /// own address.
    Address(String),
    /// The name carries the desk's name or one of the desk's addresses.
    Desk,
    /// The name is this staff member's, and the address is not theirs.
    Staff(String),
    /// The name has characters that break lines, hide text or reverse it.
    Hidden,
}

/// The names and addresses a sender's name must not borrow, with the
/// names' words split once (they are compared with every new ticket's).
#[derive(Debug, Clone, Default)]
pub struct Known {
    desk_words: Vec<String>,
    /// The desk's address and aliases.
    desk_addresses: Vec<EmailAddress>,
    /// Each staff member's name, address and the name's words.
    staff: Vec<(String, EmailAddress, Vec<String>)>,
}

impl Known {
    /// The desk's name and addresses (address and aliases), and the staff
    /// directory as (name, address).
    pub fn new(
        desk_name: &str,
        desk_addresses: Vec<EmailAddress>,
        staff: Vec<(String, EmailAddress)>,
    ) -> Known {
        Known {
            desk_words: words(desk_name),
            desk_addresses,
            staff: staff
                .into_iter()
                .map(|(name, address)| {
                    let w = words(&name);
                    (name, address, w)
                })
                .collect(),
        }
    }

    fn is_desk_address(&self, a: &EmailAddress) -> bool {
        self.desk_addresses.iter().any(|d| d.base() == a.base())
    }
}

/// How long a shown name may be: enough for any real name, short enough
/// that the address beside it stays on screen.
const MAX_SHOWN: usize = 120;

/// Why `name`, the display name of a mail from `address`, may mislead
/// staff; empty when it is fine. `address` is `None` when the sender's
/// address could not be read (then any address in the name is suspect).
pub fn check(name: Option<&str>, address: Option<&EmailAddress>, known: &Known) -> Vec<Flag> {
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return Vec::new();
    };
    let mut flags = Vec::new();
    let from_desk = address.is_some_and(|a| known.is_desk_address(a));
    let mut desk = false;
    for text in address_like(name) {
        let parsed = EmailAddress::parse(&text);
        let own = matches!((&parsed, address), (Some(p), Some(a)) if p.base() == a.base());
        if own {
            continue;
        }
        if parsed.as_ref().is_some_and(|p| known.is_desk_address(p)) && !from_desk {
            desk = true;
        }
        let text = clean(&text);
        if !flags.contains(&Flag::Address(text.clone())) {
            flags.push(Flag::Address(text));
        }
    }
    let words = words(name);
    if !from_desk && contains_name(&words, &known.desk_words) {
        desk = true;
    }
    if desk {
        flags.push(Flag::Desk);
    }
    for (staff_name, staff_address, staff_words) in &known.staff {
        let theirs = address.is_some_and(|a| a.base() == staff_address.base());
        if !theirs && contains_name(&words, staff_words) {
            flags.push(Flag::Staff(staff_name.clone()));
        }
    }
    if name.chars().any(hides) {
        flags.push(Flag::Hidden);
    }
    flags
}

/// The sender as staff read it, on one line: `Alice Wijaya <alice@corp.test>`,
/// the bare address when there is no name (or the name is the address),
/// and the name in quotes when it holds characters that could pass for
/// part of an address (`"IT Helpdesk <helpdesk@corp.test>" <mallory@…>`).
/// The real address always comes last, in angle brackets.
pub fn shown(name: Option<&str>, address: &str) -> String {
    let name = name.map(clean).unwrap_or_default();
    if name.is_empty() || name.eq_ignore_ascii_case(address) {
        return address.to_string();
    }
    if name.contains(['<', '>', '@', '"', '(', ')', ',', ';', ':', '[', ']', '\\'])
        || name.contains(['＠', '﹫', '＜', '＞'])
    {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{quoted}\" <{address}>")
    } else {
        format!("{name} <{address}>")
    }
}

/// `s` on one line: characters that hide or reorder text dropped, control
/// characters turned into spaces, runs of spaces collapsed, and at most
/// [`MAX_SHOWN`] characters (the same cleaning as text bound for a header,
/// [`crate::clean::header_text`]).
pub fn clean(s: &str) -> String {
    crate::clean::header_text(s, MAX_SHOWN)
}

/// Pieces of `name` that look like addresses: text with an at sign
/// (ASCII or full-width) and something on both sides, between separators.
fn address_like(name: &str) -> Vec<String> {
    name.split(|c: char| {
        c.is_whitespace()
            || c.is_control()
            || is_invisible(c)
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | '"' | '\'' | ',' | ';' | ':' | '＜' | '＞'
            )
    })
    .filter_map(|piece| {
        let normal: String = piece
            .chars()
            .map(|c| if matches!(c, '＠' | '﹫') { '@' } else { c })
            .collect();
        let (local, domain) = normal.split_once('@')?;
        (!local.is_empty() && !domain.is_empty()).then(|| piece.to_string())
    })
    .collect()
}

/// The lower-case words of `s` (letters and digits).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the words of a display name contain the words of `name`: in a
/// row ("Re: IT Helpdesk Team" contains "IT Helpdesk"), or written together
/// ("ITHelpdesk") when that is long enough not to turn up by chance. A
/// one-word name must be the whole display name: a staff member called
/// "Budi" does not make every "Budi Hartono" suspect.
fn contains_name(display: &[String], name: &[String]) -> bool {
    if name.is_empty() || display.is_empty() {
        return false;
    }
    if name.len() == 1 {
        return display == name;
    }
    if display.windows(name.len()).any(|w| w == name) {
        return true;
    }
    let joined = name.concat();
    joined.chars().count() >= 8 && display.concat().contains(&joined)
}

/// Characters that hide or reorder text: a line break would let a name
/// forge lines of the notice, bidi controls show an address backwards.
fn hides(c: char) -> bool {
    (c.is_control() && c != '\t') || is_invisible(c)
}

/// Zero-width and bidi formatting characters.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        let a = |s: &str| EmailAddress::parse(s).unwrap();
        Known::new(
            "IT Helpdesk",
            vec![a("helpdesk@corp.test"), a("security@corp.test")],
            vec![
                ("Budi Santoso".into(), a("budi@corp.test")),
                ("Siti".into(), a("siti@corp.test")),
            ],
        )
    }

    fn flags(name: &str, address: &str) -> Vec<Flag> {
        check(Some(name), EmailAddress::parse(address).as_ref(), &known())
    }

    #[test]
    fn ordinary_names_are_fine() {
        for (name, addr) in [
            ("Alice Wijaya", "alice@corp.test"),
            ("alice@corp.test", "alice@corp.test"),
            ("'Alice@Corp.test'", "alice+phone@corp.test"),
            ("Budi Hartono", "budi.h@corp.test"),
            ("Siti Aminah", "aminah@corp.test"),
            ("Budi Santoso", "budi@corp.test"),
            ("IT Helpdesk", "helpdesk@corp.test"),
            ("Helpdesk Keuangan", "keu@corp.test"),
            ("Alice @ Finance", "alice@corp.test"),
            ("", "alice@corp.test"),
            ("Müller, Jürgen\t(Finance)", "jm@corp.test"),
        ] {
            assert_eq!(flags(name, addr), vec![], "{name:?} <{addr}>");
        }
        assert_eq!(check(None, None, &known()), vec![]);
    }

    #[test]
    fn the_desk_in_the_name_is_flagged() {
        assert_eq!(
            flags("IT Helpdesk <helpdesk@corp.test>", "mallory@outside.test"),
            vec![Flag::Address("helpdesk@corp.test".into()), Flag::Desk]
        );
        assert_eq!(
            flags("it-helpdesk", "mallory@outside.test"),
            vec![Flag::Desk]
        );
        assert_eq!(
            flags("ITHelpdesk Support", "mallory@outside.test"),
            vec![Flag::Desk]
        );
        assert_eq!(
            flags("Security@Corp.Test", "mallory@outside.test"),
            vec![Flag::Address("Security@Corp.Test".into()), Flag::Desk]
        );
    }

    #[test]
    fn another_address_in_the_name_is_flagged() {
        assert_eq!(
            flags("alice@corp.test", "mallory@outside.test"),
            vec![Flag::Address("alice@corp.test".into())]
        );
        assert_eq!(
            flags("Alice (alice＠corp.test)", "mallory@outside.test"),
            vec![Flag::Address("alice＠corp.test".into())]
        );
        assert_eq!(
            flags("mailto:x@y", "x2@y"),
            vec![Flag::Address("x@y".into())]
        );
        // Without a readable sender address, any address in the name.
        assert_eq!(
            check(Some("alice@corp.test"), None, &known()),
            vec![Flag::Address("alice@corp.test".into())]
        );
    }

    #[test]
    fn a_staff_name_on_another_address_is_flagged() {
        assert_eq!(
            flags("Budi Santoso", "budi.santoso@gmail.test"),
            vec![Flag::Staff("Budi Santoso".into())]
        );
        assert_eq!(
            flags("budi  SANTOSO (kantor)", "x@outside.test"),
            vec![Flag::Staff("Budi Santoso".into())]
        );
        // A one-word staff name counts only as the whole name.
        assert_eq!(
            flags("Siti", "x@outside.test"),
            vec![Flag::Staff("Siti".into())]
        );
        assert_eq!(flags("Siti Nurhaliza", "x@outside.test"), vec![]);
    }

    #[test]
    fn hidden_characters_are_flagged() {
        assert_eq!(
            flags("Alice\nSubjek: lain", "alice@corp.test"),
            vec![Flag::Hidden]
        );
        assert_eq!(
            flags("Alice \u{202E}tset.proc@ecila", "alice@corp.test"),
            vec![Flag::Address("tset.proc@ecila".into()), Flag::Hidden]
        );
        assert_eq!(
            flags("Ali\u{200B}ce", "alice@corp.test"),
            vec![Flag::Hidden]
        );
    }

    #[test]
    fn shown_puts_the_real_address_beside_the_name() {
        assert_eq!(
            shown(Some("Alice Wijaya"), "alice@corp.test"),
            "Alice Wijaya <alice@corp.test>"
        );
        assert_eq!(shown(None, "alice@corp.test"), "alice@corp.test");
        assert_eq!(shown(Some("  "), "alice@corp.test"), "alice@corp.test");
        assert_eq!(
            shown(Some("ALICE@corp.test"), "alice@corp.test"),
            "alice@corp.test"
        );
        assert_eq!(
            shown(
                Some("IT Helpdesk <helpdesk@corp.test>"),
                "mallory@outside.test"
            ),
            "\"IT Helpdesk <helpdesk@corp.test>\" <mallory@outside.test>"
        );
        assert_eq!(
            shown(Some("a \"b\"\r\nc"), "m@x.test"),
            "\"a \\\"b\\\" c\" <m@x.test>"
        );
        assert_eq!(shown(Some("\u{202E}abc"), "m@x.test"), "abc <m@x.test>");
    }

    #[test]
    fn long_names_are_cut() {
        let long = "x".repeat(10_000);
        let s = shown(Some(&long), "m@x.test");
        assert!(s.ends_with("… <m@x.test>"), "{s}");
        assert!(s.chars().count() < MAX_SHOWN + 20);
    }
}
