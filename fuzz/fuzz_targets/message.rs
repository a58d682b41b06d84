//! Raw bytes through the whole pure path of one message: parse, auto-reply
//! detection, threading, classification, the templates and the composed mail
//! (see `harness::message` for what must hold).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::message(data));
