//! Reply trimming (quotes, quote headers, signatures) on any text (see
//! `harness::reply_trim`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::reply_trim(data));
