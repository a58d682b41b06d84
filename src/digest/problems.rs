//! Problem candidates: the SOP's problem-management trigger, as a pure rule.
//!
//! Recurring incidents point to a problem whose root cause must be found. The
//! digest groups the incidents of the recent window two ways, and says why:
//! - by **subject**: at least `threshold` incidents of one category whose
//!   subjects share most of their words (linked one to the next, so
//!   "internet mati lantai 3" and "lantai 3 internet mati lagi" group);
//! - by **unit**: at least `threshold` incidents from one requester domain
//!   (the unit's mail domain), whatever their subject.
//!
//! A ticket may appear in one group of each kind.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::figures::Incident;
use crate::domain::TicketId;

/// Why a group was formed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Same category, similar subjects; `words` they share.
    Subject {
        category: String,
        words: Vec<String>,
    },
    /// Same requester domain.
    Unit { domain: String },
}

/// One candidate problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub reason: Reason,
    /// Ticket numbers, ascending.
    pub tickets: Vec<TicketId>,
}

/// Two subjects are similar when they share at least this share of the
/// smaller one's words (Szymkiewicz–Simpson overlap), so a longer
/// restatement of the same complaint still matches.
const SIMILAR: f64 = 0.6;

/// Words too common in helpdesk subjects to say anything alone.
const STOPWORDS: &[&str] = &[
    "re", "fw", "fwd", "aw", "tidak", "bisa", "yang", "dan", "di", "ke", "dari", "untuk", "mohon",
    "tolong", "lagi", "the", "and", "not", "for", "with", "can", "cannot", "please", "help",
    "bantuan", "helpdesk", "ada", "sudah", "belum", "saya", "kami", "pak", "bu",
];

/// The significant words of a subject: lower case, letters and digits, no
/// ticket tags, no stopwords, no single letters (single digits stay: "lantai 3").
pub fn words(subject: &str) -> BTreeSet<String> {
    let lower = subject.to_lowercase();
    // "[Helpdesk #12]" says nothing about the problem.
    let without_tags: String = {
        let mut out = String::new();
        let mut depth = 0;
        for ch in lower.chars() {
            match ch {
                '[' => depth += 1,
                ']' if depth > 0 => depth -= 1,
                _ if depth == 0 => out.push(ch),
                _ => {}
            }
        }
        out
    };
    without_tags
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            !w.is_empty()
                && (w.chars().count() >= 2 || w.chars().all(|c| c.is_ascii_digit()))
                && !STOPWORDS.contains(w)
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
fn similar(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let small = a.len().min(b.len());
    if small == 0 {
        return false;
    }
    let common = a.intersection(b).count();
    common as f64 / small as f64 >= SIMILAR
}

/// The problem candidates among `incidents` created in `[end - window, end)`.
pub fn candidates(
    incidents: &[Incident],
    threshold: usize,
    window: i64,
    end: i64,
) -> Vec<Candidate> {
    let threshold = threshold.max(2);
    let recent: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.created_at >= end - window && i.created_at < end)
        .collect();
    let mut out = Vec::new();

    let mut by_category: BTreeMap<&str, Vec<&Incident>> = BTreeMap::new();
    for i in &recent {
        if let Some(c) = i.category.as_deref() {
            by_category.entry(c).or_default().push(i);
        }
    }
    for (category, list) in by_category {
        let sets: Vec<BTreeSet<String>> = list.iter().map(|i| words(&i.subject)).collect();
        for cluster in link(&sets) {
            if cluster.len() < threshold {
                continue;
            }
            // The words most of the cluster shares, for the reason.
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for &k in &cluster {
                for w in &sets[k] {
                    *counts.entry(w).or_default() += 1;
                }
            }
            let words: Vec<String> = counts
                .into_iter()
                .filter(|(_, n)| n * 2 > cluster.len())
                .map(|(w, _)| w.to_string())
                .collect();
            out.push(Candidate {
                reason: Reason::Subject {
                    category: category.to_string(),
                    words,
                },
                tickets: sorted(cluster.iter().map(|&k| list[k].id)),
            });
        }
    }

    let mut by_domain: BTreeMap<String, Vec<TicketId>> = BTreeMap::new();
    for i in &recent {
        if let Some((_, domain)) = i.requester.rsplit_once('@') {
            by_domain
                .entry(domain.to_ascii_lowercase())
                .or_default()
                .push(i.id);
        }
    }
    for (domain, ids) in by_domain {
        if ids.len() >= threshold {
            out.push(Candidate {
                reason: Reason::Unit { domain },
                tickets: sorted(ids.into_iter()),
            });
        }
    }
    out
}

fn sorted(ids: impl Iterator<Item = TicketId>) -> Vec<TicketId> {
    let mut v: Vec<TicketId> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Single-link clusters of similar word sets (indices into `sets`).
///
/// A busy week holds thousands of incidents, most repeating a handful of
/// subjects, so comparing every pair would cost the square of the week.
/// Each distinct word set is one node, and only nodes sharing a word (the
/// word → nodes postings) are compared: the cost follows the distinct
/// subjects and the words they share, not the incidents.
fn link(sets: &[BTreeSet<String>]) -> Vec<Vec<usize>> {
    let mut node_of_set: HashMap<&BTreeSet<String>, usize> = HashMap::new();
    let mut nodes: Vec<&BTreeSet<String>> = Vec::new();
    let node: Vec<usize> = sets
        .iter()
        .map(|s| {
            // An empty set is similar to nothing, not even another empty one.
            if s.is_empty() {
                nodes.push(s);
                return nodes.len() - 1;
            }
            *node_of_set.entry(s).or_insert_with(|| {
                nodes.push(s);
                nodes.len() - 1
            })
        })
        .collect();
    let mut postings: HashMap<&str, Vec<usize>> = HashMap::new();
    for (n, s) in nodes.iter().enumerate() {
        for w in s.iter() {
            postings.entry(w).or_default().push(n);
        }
    }
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut shared: HashMap<usize, usize> = HashMap::new();
    for (a, s) in nodes.iter().enumerate() {
        shared.clear();
        for w in s.iter() {
            for &b in &postings[w.as_str()] {
                if b > a {
                    *shared.entry(b).or_default() += 1;
                }
            }
        }
        for (&b, &common) in &shared {
            let small = s.len().min(nodes[b].len());
            if common as f64 / small as f64 >= SIMILAR {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    // Nodes are numbered in order of first appearance, so a cluster's root
    // is the node of its earliest incident: groups come out in that order.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &n) in node.iter().enumerate() {
        let r = root(&mut parent, n);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn inc(id: i64, subject: &str, category: &str, requester: &str, day: i64) -> Incident {
        Incident {
            id,
            subject: subject.into(),
            category: Some(category.into()),
            requester: requester.into(),
            created_at: day * DAY,
        }
    }

    /// The postings walk links exactly the pairs the plain definition
    /// does, on sets that repeat, overlap partly, and are empty.
    #[test]
    fn linking_by_postings_is_linking_every_pair() {
        let subjects = [
            "internet lambat lantai 3",
            "internet lambat",
            "printer macet lantai 3",
            "printer macet",
            "",
            "vpn putus",
            "vpn putus lagi kantor cabang",
            "internet lambat lantai 3",
            "",
            "email penuh",
            "lantai 3",
        ];
        let sets: Vec<BTreeSet<String>> = subjects.iter().map(|s| words(s)).collect();
        // Brute force: every pair, single link.
        let mut expect: Vec<Vec<usize>> = Vec::new();
        let mut seen = vec![false; sets.len()];
        for start in 0..sets.len() {
            if seen[start] {
                continue;
            }
            let (mut group, mut todo) = (vec![], vec![start]);
            seen[start] = true;
            while let Some(a) = todo.pop() {
                group.push(a);
                for b in 0..sets.len() {
                    if !seen[b] && similar(&sets[a], &sets[b]) {
                        seen[b] = true;
                        todo.push(b);
                    }
                }
            }
            group.sort_unstable();
            expect.push(group);
        }
        assert_eq!(link(&sets), expect);
    }

    /// Thirty thousand incidents of a busy week cost their few distinct
    /// subjects, not their square (24,000 took over a minute of CPU before).
    #[test]
    fn a_busy_week_groups_without_comparing_every_pair() {
        let list: Vec<Incident> = (0..30_000)
            .map(|i| {
                let subject = format!("Internet lambat lantai {}", i % 12);
                inc(i, &subject, "network", &format!("u@unit{i}.corp.test"), 1)
            })
            .collect();
        let groups = candidates(&list, 3, 7 * DAY, 2 * DAY);
        assert_eq!(groups.len(), 1);
        assert!(matches!(groups[0].reason, Reason::Subject { .. }));
        assert_eq!(groups[0].tickets.len(), 30_000);
    }

    #[test]
    fn similar_subjects_in_one_category_group() {
        let list = vec![
            inc(1, "Internet mati lantai 3", "network", "a@dinkes.test", 1),
            inc(
                2,
                "Re: [Helpdesk #1] internet mati lantai 3",
                "network",
                "b@bappeda.test",
                2,
            ),
            inc(
                3,
                "Lantai 3 internet mati lagi",
                "network",
                "c@dukcapil.test",
                3,
            ),
            inc(4, "Printer macet", "hardware", "d@dinkes.test", 3),
            inc(5, "Internet mati lantai 3", "application", "e@x.test", 3),
        ];
        let c = candidates(&list, 3, 7 * DAY, 8 * DAY);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].tickets, vec![1, 2, 3]);
        assert_eq!(
            c[0].reason,
            Reason::Subject {
                category: "network".into(),
                words: vec![
                    "3".into(),
                    "internet".into(),
                    "lantai".into(),
                    "mati".into()
                ]
            }
        );
    }

    #[test]
    fn one_unit_groups_whatever_the_subject() {
        let list = vec![
            inc(1, "Printer macet", "hardware", "a@Dinkes.test", 1),
            inc(
                2,
                "SIM kepegawaian error",
                "application",
                "b@dinkes.test",
                2,
            ),
            inc(3, "Email tidak terkirim", "application", "c@dinkes.test", 3),
        ];
        let c = candidates(&list, 3, 7 * DAY, 8 * DAY);
        assert_eq!(
            c,
            vec![Candidate {
                reason: Reason::Unit {
                    domain: "dinkes.test".into()
                },
                tickets: vec![1, 2, 3]
            }]
        );
    }

    #[test]
    fn outside_the_window_or_under_the_threshold_no_group() {
        let list = vec![
            inc(1, "Internet mati", "network", "a@a.test", 0),
            inc(2, "Internet mati", "network", "b@b.test", 5),
            inc(3, "Internet mati", "network", "c@c.test", 9),
        ];
        // Day 0 is outside [3, 10): two left, under the threshold.
        assert!(candidates(&list, 3, 7 * DAY, 10 * DAY).is_empty());
        assert_eq!(candidates(&list, 2, 7 * DAY, 10 * DAY).len(), 1);
        // All three within a longer window.
        assert_eq!(
            candidates(&list, 3, 14 * DAY, 10 * DAY)[0].tickets,
            vec![1, 2, 3]
        );
        assert!(candidates(&[], 3, 7 * DAY, 9 * DAY).is_empty());
    }

    #[test]
    fn subject_words_drop_tags_and_noise() {
        let w = words("RE: [Helpdesk #12] Tolong, <b>Internet</b> mati!");
        let got: Vec<&str> = w.iter().map(|s| s.as_str()).collect();
        assert_eq!(got, vec!["internet", "mati"]);
    }
}
