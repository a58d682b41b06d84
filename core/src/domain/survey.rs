//! The satisfaction survey's question keys (issue 11) and the order its
//! answers are shown in: exports, reports and a ticket's record list the
//! questions the way the survey asks them.

/// The questions to show, in order: the configured keys, then any other
/// key found in stored answers (a question since removed from the
/// configuration), sorted, so no answer is silently dropped.
pub fn question_columns<'a>(
    configured: &[&str],
    found: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut extra: Vec<&str> = found
        .into_iter()
        .filter(|k| !configured.contains(k))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    configured
        .iter()
        .copied()
        .chain(extra)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_keys_first_then_what_answers_hold() {
        let cols = question_columns(&["speed", "overall"], ["zeta", "overall", "alpha", "zeta"]);
        assert_eq!(cols, ["speed", "overall", "alpha", "zeta"]);
        assert_eq!(question_columns(&["a", "b", "c"], []), ["a", "b", "c"]);
    }
}
