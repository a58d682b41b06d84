//! HTML → text, as for HTML-only mail (see `harness::html`).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::html(data));
