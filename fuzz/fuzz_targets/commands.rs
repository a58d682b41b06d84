//! Fuzzes the staff command parser: it must not panic, must leave a suffix
//! of the body, and every command it reads must read back from its rendering.
//! The stable-toolchain stand-in is `random_bytes_stand_in_for_the_fuzzer`
//! in `src/commands/tests.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posko::commands::parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line plays the subject, the rest the body.
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    let parsed = parse(subject, body);
    assert!(body.ends_with(&parsed.body_without_commands));
    for c in &parsed.commands {
        let again = parse(&c.command.to_string(), "");
        assert!(again.errors.is_empty(), "{c:?}: {:?}", again.errors);
        assert_eq!(again.commands.len(), 1);
        assert_eq!(again.commands[0].command, c.command);
    }
});
