//! Our own earlier mail, recognised inside a reply.
//!
//! posko knows every mail it sent on a ticket byte for byte. When a client
//! quotes one without `>` and re-wraps it (Outlook's plain-text part, Yahoo,
//! a phone), no marker is left, but the words are still ours: a line whose
//! every word sits in a run of [`SHINGLE`] words that also appears in one
//! of our mails is a quote. Words are compared, not lines, so re-wrapping,
//! `>` markers, spacing and punctuation do not matter.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::lines::{Line, unquote};

/// Words in a run that must match. Five words in a row shared by chance
/// with one of our mails are rare; and a whole line must be covered.
const SHINGLE: usize = 5;

/// A block of recognised lines shorter than this (in words) is a phrase the
/// sender happens to share with us ("terima kasih atas laporan Anda"), not
/// a quote.
const MIN_BLOCK_WORDS: usize = 8;

/// Bounds the work for a ticket with many or huge outgoing mails.
const MAX_TEXTS: usize = 32;
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The word runs of the mails we sent.
pub(super) struct Known {
    shingles: HashSet<u64>,
}

impl Known {
    /// `None` when there is nothing to compare with.
    pub(super) fn new(texts: &[&str]) -> Option<Known> {
        let mut shingles = HashSet::new();
        for text in texts.iter().take(MAX_TEXTS) {
            let text = &text[..text.floor_char_boundary(MAX_TEXT_BYTES)];
            let words: Vec<String> = words(text).collect();
            shingles.extend(words.windows(SHINGLE).map(window_hash));
        }
        (!shingles.is_empty()).then_some(Known { shingles })
    }

    /// Which of `lines` are text of ours.
    pub(super) fn mark(&self, lines: &[Line]) -> Vec<bool> {
        // Every word of the reply with the line it is on.
        let mut words = Vec::new();
        let mut line_of = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            for w in self::words(unquote(&line.text)) {
                words.push(w);
                line_of.push(i);
            }
        }
        let mut covered = vec![false; words.len()];
        for (start, window) in words.windows(SHINGLE).enumerate() {
            if self.shingles.contains(&window_hash(window)) {
                covered[start..start + SHINGLE].fill(true);
            }
        }
        // A line is ours when it has words and all are covered.
        let mut count = vec![0usize; lines.len()];
        let mut all = vec![true; lines.len()];
        for (w, &line) in line_of.iter().enumerate() {
            count[line] += 1;
            all[line] &= covered[w];
        }
        let mut ours: Vec<bool> = (0..lines.len()).map(|i| count[i] > 0 && all[i]).collect();
        // Runs of our lines (lines without words in between do not break a
        // run) that are too short to be a quote are the sender's after all.
        let mut i = 0;
        while i < lines.len() {
            if !ours[i] {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut total = 0;
            while j < lines.len() && (ours[j] || count[j] == 0) {
                total += count[j];
                j += 1;
            }
            if total < MIN_BLOCK_WORDS {
                ours[i..j].fill(false);
            }
            i = j;
        }
        ours
    }
}

/// Lower-cased runs of letters and digits.
pub(super) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn window_hash(window: &[String]) -> u64 {
    let mut h = DefaultHasher::new();
    window.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply_trim::lines::split;

    const OURS: &str = "Yth. Budi,\n\nTerima kasih, laporan Anda sudah kami terima dan dicatat sebagai \
                        tiket #17:\n\n    Printer macet\n\nSalam,\nPosko IT";

    #[test]
    fn our_mail_rewrapped_without_markers_is_recognised() {
        let known = Known::new(&[OURS]).unwrap();
        let lines = split(
            "Sudah normal lagi.\n\nYth. Budi, Terima kasih, laporan\nAnda sudah kami terima dan dicatat \
             sebagai tiket #17: Printer macet Salam, Posko IT",
        );
        assert_eq!(known.mark(&lines), vec![false, false, true, true]);
    }

    #[test]
    fn a_phrase_shared_with_our_mail_is_the_senders() {
        let known = Known::new(&[OURS]).unwrap();
        let lines =
            split("Laporan Anda sudah kami terima, kata petugasnya.\nTapi printernya tetap macet.");
        assert_eq!(known.mark(&lines), vec![false, false]);
    }

    #[test]
    fn nothing_known_gives_none() {
        assert!(Known::new(&[]).is_none());
        assert!(Known::new(&["too short"]).is_none());
    }
}
