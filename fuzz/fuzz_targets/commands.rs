//! The staff-command parser, subject (first line) and body (see
//! `harness::commands`). The stable-toolchain stand-in in the main suite is
//! `random_bytes_stand_in_for_the_fuzzer` in `src/commands/tests.rs`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::commands(data));
