//! Which language a requester is answered in. Pure: the caller reads the
//! requester's earlier tickets, and only when [`from_mail`] says the mail
//! itself is not enough.
//!
//! Evidence, strongest first:
//! 1. `Content-Language`: the client says which language the mail is in;
//! 2. the new text itself, only its first [`DETECT_BYTES`] and only when
//!    it has [`MIN_WORDS`] words or more ("ok thanks" says nothing
//!    reliable): Indonesian and English by their function words when those
//!    are clear, else by trigrams (`whatlang`, for other languages and the
//!    few unclear mixes);
//! 3. the language of the requester's latest earlier ticket;
//! 4. the desk's `[desk] language`.
//!
//! posko writes in the template languages ([`Language`]: Indonesian and
//! English); mail in any other language is answered in the desk's.

use std::sync::LazyLock;

use whatlang::{Detector, Lang};

use crate::domain::Language;

#[cfg(test)]
mod tests;

/// Detection reads this much of the new text: a mail's first paragraphs
/// say its language, and the cost stays the same for a long paste.
pub const DETECT_BYTES: usize = 2048;

/// Fewer words than this are not detected: short texts ("ok thanks",
/// "noted, terima kasih", "sudah bisa, thanks") mix languages and mislead
/// trigram statistics.
pub const MIN_WORDS: usize = 8;

/// The languages detection chooses among: the two we write, and the
/// languages close enough to them to be mistaken for one (Javanese,
/// Tagalog) or common in mail from abroad. Fewer candidates make detection faster (it
/// scores each), and anything detected outside the two is answered in the
/// desk's language.
const CANDIDATES: [Lang; 12] = [
    Lang::Ind,
    Lang::Eng,
    Lang::Jav,
    Lang::Tgl,
    Lang::Nld,
    Lang::Deu,
    Lang::Fra,
    Lang::Spa,
    Lang::Por,
    Lang::Ita,
    Lang::Cmn,
    Lang::Jpn,
];

static DETECTOR: LazyLock<Detector> =
    LazyLock::new(|| Detector::with_allowlist(CANDIDATES.to_vec()));

/// Why a ticket has the language it has (recorded in the `created` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The mail's `Content-Language` header.
    ContentLanguage,
    /// Detected in the new text.
    Text,
    /// The requester's earlier ticket.
    Earlier,
    /// Nothing else said: the desk's language.
    Desk,
    /// Set by staff (`#lang:`).
    Staff,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::ContentLanguage => "content-language",
            Basis::Text => "text",
            Basis::Earlier => "earlier-ticket",
            Basis::Desk => "desk",
            Basis::Staff => "staff",
        }
    }
}

/// What the mail alone says of its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromMail {
    /// A language we write, and how we know.
    Says(Language, Basis),
    /// A language we do not write (`Content-Language: fr`, a German text):
    /// the desk's language, whatever earlier tickets say.
    Other(Basis),
    /// Nothing reliable: ask the requester's earlier tickets.
    Unsure,
}

/// A ticket's language and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub language: Language,
    pub basis: Basis,
}

impl Decision {
    /// What is stored in `tickets.language`: `None` when it is just the
    /// desk's (so a change of `[desk] language` reaches it, and it does not
    /// count as the requester's own later).
    pub fn stored(&self) -> Option<Language> {
        (self.basis != Basis::Desk).then_some(self.language)
    }
}

/// True when the mail alone cannot say its language, so the requester's
/// earlier tickets are read: no `Content-Language`, and fewer than
/// [`MIN_WORDS`] words of text. Cheap (no detection), so the caller can
/// decide before the work whether a database read is needed.
pub fn needs_earlier(content_language: Option<&str>, text: &str) -> bool {
    content_tag(content_language).is_none() && !long_enough(text)
}

/// What the mail says: its `Content-Language` (the first tag of the
/// list), else the language detected in `text` (the new text) when it is
/// long enough ([`needs_earlier`] says when it is not).
pub fn from_mail(content_language: Option<&str>, text: &str) -> FromMail {
    if let Some(tag) = content_tag(content_language) {
        return match Language::from_code(tag) {
            Some(l) => FromMail::Says(l, Basis::ContentLanguage),
            None => FromMail::Other(Basis::ContentLanguage),
        };
    }
    detect(text)
}

fn content_tag(content_language: Option<&str>) -> Option<&str> {
    content_language
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The head of `text` that detection reads.
fn head(text: &str) -> &str {
    &text[..text.floor_char_boundary(DETECT_BYTES)]
}

fn long_enough(text: &str) -> bool {
    head(text).split_whitespace().nth(MIN_WORDS - 1).is_some()
}

/// The language of `text` by detection (see [`DETECT_BYTES`],
/// [`MIN_WORDS`]). A text long enough gets the detector's best guess even
/// when its margin is thin: that happens with mail that mixes Indonesian
/// and English, where either is a fair answer. A text in no script or
/// language the detector knows is answered in the desk's language.
pub fn detect(text: &str) -> FromMail {
    if !long_enough(text) {
        return FromMail::Unsure;
    }
    let head = head(text);
    if let Some(l) = by_function_words(head) {
        return FromMail::Says(l, Basis::Text);
    }
    match DETECTOR.detect(head).map(|info| info.lang()) {
        // whatlang's Javanese model claims much everyday Indonesian (short
        // sentences, common words); and a requester who writes Javanese
        // reads Indonesian: either way the answer is Indonesian.
        Some(Lang::Ind | Lang::Jav) => FromMail::Says(Language::Id, Basis::Text),
        Some(Lang::Eng) => FromMail::Says(Language::En, Basis::Text),
        _ => FromMail::Other(Basis::Text),
    }
}

/// Which language a lower-case word is a function word of: Indonesian
/// words that carry no subject (a third of any Indonesian text, and none is
/// an English, Dutch, German, French or Italian word), and English ones
/// (none is an Indonesian word). A `match` on bytes: no allocation, no
/// table scan.
fn function_word(w: &[u8]) -> Option<Language> {
    match w {
        b"yang" | b"dan" | b"tidak" | b"saya" | b"ini" | b"itu" | b"dengan" | b"untuk" | b"ada"
        | b"sudah" | b"bisa" | b"mohon" | b"dari" | b"akan" | b"tapi" | b"tetapi" | b"juga"
        | b"karena" | b"sejak" | b"kami" | b"anda" | b"belum" | b"masih" | b"sama" | b"terima"
        | b"kasih" | b"tolong" | b"apakah" | b"bagaimana" | b"kalau" | b"jika" | b"atau"
        | b"pada" | b"oleh" | b"kita" | b"sekarang" | b"hari" | b"tadi" | b"lagi" | b"tim" => {
            Some(Language::Id)
        }
        b"the" | b"and" | b"to" | b"of" | b"is" | b"it" | b"you" | b"that" | b"for" | b"have"
        | b"with" | b"this" | b"on" | b"not" | b"please" | b"can" | b"my" | b"are" | b"was"
        | b"be" | b"we" | b"our" | b"your" | b"from" | b"since" | b"but" | b"there" | b"could"
        | b"would" | b"will" | b"after" | b"what" | b"when" | b"has" | b"been" | b"does"
        | b"thanks" | b"thank" | b"hello" | b"dear" => Some(Language::En),
        _ => None,
    }
}

/// Indonesian or English by their function words ([`function_word`]), when
/// they say it: one language has at least [`MIN_CLEAR`] of them and more
/// than the other, and they are a tenth of the words or more (so a French
/// or German text, with few of either, is left to whatlang; in a mail that
/// mixes the two, the one it uses more is a fair answer). Counting words
/// is far cheaper than trigram statistics (a few µs for 2 KB against
/// hundreds), and it decides nearly every mail a desk in Indonesia gets.
fn by_function_words(head: &str) -> Option<Language> {
    let (mut id, mut en, mut words) = (0usize, 0usize, 0usize);
    let mut buf = [0u8; 12];
    for token in head.split(|c: char| !c.is_alphanumeric()) {
        if token.is_empty() {
            continue;
        }
        words += 1;
        // Function words are short and ASCII.
        if token.len() > buf.len() || !token.is_ascii() {
            continue;
        }
        let w = &mut buf[..token.len()];
        w.copy_from_slice(token.as_bytes());
        w.make_ascii_lowercase();
        match function_word(w) {
            Some(Language::Id) => id += 1,
            Some(Language::En) => en += 1,
            None => {}
        }
    }
    let (top, other, lang) = if id >= en {
        (id, en, Language::Id)
    } else {
        (en, id, Language::En)
    };
    (top >= MIN_CLEAR && top > other && top * 10 >= words).then_some(lang)
}

/// The fewest function words that decide a language by themselves.
const MIN_CLEAR: usize = 3;

/// The ticket's language: the mail's when it said one, else `earlier` (the
/// language stored on the requester's latest ticket that has one), else
/// the desk's.
pub fn decide(mail: FromMail, earlier: Option<Language>, desk: Language) -> Decision {
    let (language, basis) = match (mail, earlier) {
        (FromMail::Says(l, basis), _) => (l, basis),
        (FromMail::Other(_), _) => (desk, Basis::Desk),
        (FromMail::Unsure, Some(l)) => (l, Basis::Earlier),
        (FromMail::Unsure, None) => (desk, Basis::Desk),
    };
    Decision { language, basis }
}
