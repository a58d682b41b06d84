//! Finding the commands: every `#word` of the subject, and the leading
//! lines of the body in which every word is a command.

use super::*;

/// Finds the commands in `subject` (the text after the ticket tag; the tag
/// itself is harmless too, `#17]` is not a command) and at the top of `body`.
pub fn parse(subject: &str, body: &str) -> Parsed {
    let mut attempts: Vec<(Source, Attempt)> = Vec::new();

    let mut subject_text: Vec<&str> = Vec::new();
    for item in scan(&subject.split_whitespace().collect::<Vec<_>>()) {
        match item {
            Item::Text(w) | Item::Hashtag(w) => subject_text.push(w),
            Item::Attempt(a) => attempts.push((Source::Subject, a)),
        }
    }

    // Body: leading command lines and blank lines; stop at anything else.
    let mut rest_at = None;
    let mut saw_command_line = false;
    let mut offset = 0;
    for (index, line) in body.split_inclusive('\n').enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            offset += line.len();
            continue;
        }
        let items = scan(&words);
        let is_command_line = items.iter().any(|i| matches!(i, Item::Attempt(_)))
            && items.iter().all(|i| !matches!(i, Item::Text(_)));
        if !is_command_line {
            rest_at = Some(offset);
            break;
        }
        saw_command_line = true;
        offset += line.len();
        let source = Source::Body { line: index + 1 };
        for item in items {
            match item {
                Item::Attempt(a) => attempts.push((source, a)),
                // On a command line a far-off name is a mistake, not prose.
                Item::Hashtag(w) => attempts.push((
                    source,
                    Attempt {
                        raw: w.to_string(),
                        result: Err(CommandError::UnknownCommand {
                            name: hashtag_name(w),
                            did_you_mean: None,
                        }),
                    },
                )),
                Item::Text(_) => unreachable!("command lines have no text"),
            }
        }
    }
    let body_without_commands = if saw_command_line {
        rest_at.map_or_else(String::new, |at| body[at..].to_string())
    } else {
        body.to_string()
    };

    let mut parsed = Parsed {
        subject_without_commands: subject_text.join(" "),
        body_without_commands,
        ..Parsed::default()
    };
    for (source, attempt) in attempts {
        match attempt.result {
            Err(e) => parsed.errors.push(e),
            Ok(command) => {
                if parsed.commands.iter().any(|c| c.command == command) {
                    continue;
                }
                if let Some(earlier) = parsed
                    .commands
                    .iter()
                    .find(|c| c.command.conflicts_with(&command))
                {
                    parsed.errors.push(CommandError::Conflict {
                        a: earlier.raw.clone(),
                        b: attempt.raw.clone(),
                    });
                }
                parsed.commands.push(Located {
                    command,
                    source,
                    raw: attempt.raw,
                });
            }
        }
    }
    parsed
}

/// One word (or `#name: value` word pair) of a subject or body line.
pub(super) enum Item<'a> {
    /// Not command-shaped.
    Text(&'a str),
    /// Command-shaped but its name is nowhere near a command (`#wfh`).
    Hashtag(&'a str),
    /// Meant as a command: a known name, or a likely typo of one.
    Attempt(Attempt),
}

pub(super) struct Attempt {
    raw: String,
    result: Result<Command, CommandError>,
}

/// Punctuation that ends a sentence rather than belongs to a command
/// (`… #resolve.`). No value we accept ends with one of these.
pub(super) const TRAILING: &[char] = &['.', ',', ';', '!', '?', ')'];

/// Splits `#name` / `#name:value` into the name and the value. `None` for
/// anything else, including `#17` and `#` alone.
pub(super) fn shape(word: &str) -> Option<(&str, Option<&str>)> {
    let word = word.trim_end_matches(TRAILING);
    let rest = word.strip_prefix('#')?;
    if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(end);
    match after.strip_prefix(':') {
        Some(value) => Some((name, Some(value))),
        None if after.is_empty() => Some((name, None)),
        None => None,
    }
}

pub(super) fn hashtag_name(word: &str) -> String {
    shape(word).map_or_else(String::new, |(n, _)| n.to_ascii_lowercase())
}

pub(super) fn scan<'a>(words: &[&'a str]) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        i += 1;
        let Some((name, value)) = shape(word) else {
            items.push(Item::Text(word));
            continue;
        };
        let name = name.to_ascii_lowercase();
        let Some(spec) = SPECS.iter().find(|s| s.name == name) else {
            let did_you_mean = NAME_HINTS
                .iter()
                .find(|(id, _)| *id == name)
                .map(|(_, en)| *en)
                .or_else(|| suggest(&name, NAMES));
            match did_you_mean {
                Some(s) => items.push(Item::Attempt(Attempt {
                    raw: word.to_string(),
                    result: Err(CommandError::UnknownCommand {
                        name,
                        did_you_mean: Some(s.to_string()),
                    }),
                })),
                None => items.push(Item::Hashtag(word)),
            }
            continue;
        };
        let mut raw = word.to_string();
        let mut value = value.filter(|v| !v.is_empty()).map(str::to_string);
        // `#assign: budi`: some phones add a space after a colon.
        if word.ends_with(':')
            && spec.arity != Arity::None
            && i < words.len()
            && shape(words[i]).is_none()
        {
            value = Some(words[i].trim_end_matches(TRAILING).to_string());
            raw = format!("{word} {}", words[i]);
            i += 1;
        }
        items.push(Item::Attempt(Attempt {
            raw,
            result: build(spec, value.as_deref()),
        }));
    }
    items
}
