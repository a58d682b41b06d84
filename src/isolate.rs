//! Keeping one message's failure its own.
//!
//! The helpdesk address is public, so any message may hit a bug: a panic in
//! a library, an error the database raises for something in the message.
//! Such a failure must cost that message only: it goes to quarantine with
//! the reason, is marked done at its source, and intake goes on. These
//! helpers turn a panic into a value the caller can act on; the callers
//! ([`crate::ingest`], [`crate::mail::compose`]) decide what becomes of the
//! message.
//!
//! A panic unwinds through the work of the message (its transaction is
//! dropped, so rolled back) and stops here. posko's own state survives it:
//! the few shared structures are read-only or recover from a poisoned lock.
//!
//! Debug builds also carry a fault-injection hook ([`fault_point`]) so the
//! test suite can make a chosen message panic through the real binary.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

/// The text a panic carried (`panic!("…")`'s message), or a stand-in.
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `work`; a panic inside it comes back as `Err(text)`.
pub async fn guarded<F: Future>(work: F) -> Result<F::Output, String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|p| panic_text(p.as_ref()))
}

/// [`guarded`] for synchronous work.
pub fn guarded_sync<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_text(p.as_ref()))
}

/// The environment variable of the fault-injection hook (debug builds only):
/// a message whose subject contains its value panics at [`fault_point`].
pub const FAULT_PANIC_ENV: &str = "POSKO_FAULT_PANIC_ON";

/// The environment variable that makes building outgoing mail fail (debug
/// builds only): mail whose subject contains its value cannot be built.
pub const FAULT_COMPOSE_ENV: &str = "POSKO_FAULT_COMPOSE_FAIL_ON";

/// The environment variable that makes the database refuse a message
/// (debug builds only): a message whose subject contains its value fails
/// to be stored, as one the database rejects would (on PostgreSQL a NUL in
/// a Message-ID does so for real; SQLite stores anything).
pub const FAULT_STORE_ENV: &str = "POSKO_FAULT_STORE_FAIL_ON";

/// The environment variable that makes a batch's commit fail as a locked
/// or unreachable database would (debug builds only): a batch holding a
/// message whose subject contains its value is rolled back and left at its
/// source for the next pass.
pub const FAULT_COMMIT_ENV: &str = "POSKO_FAULT_COMMIT_FAIL_ON";

/// The environment variable that makes parsing panic (debug builds only):
/// a message whose subject contains its value panics once parsed, before
/// any database work (in a Maildir pass: on the thread reading ahead).
pub const FAULT_PARSE_PANIC_ENV: &str = "POSKO_FAULT_PARSE_PANIC_ON";

/// Whether the fault named by `env` is set for a message with `subject`.
/// Always false in release builds: the hook is compiled out.
pub fn fault_armed(env: &str, subject: &str) -> bool {
    #[cfg(debug_assertions)]
    {
        match std::env::var(env) {
            Ok(marker) if !marker.is_empty() => subject.contains(&marker),
            _ => false,
        }
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = (env, subject);
        false
    }
}

/// Panics when the test suite asked for it ([`FAULT_PANIC_ENV`]); a no-op
/// in release builds.
pub fn fault_point(subject: &str) {
    if fault_armed(FAULT_PANIC_ENV, subject) {
        panic!("fault injection: {FAULT_PANIC_ENV} matched the subject");
    }
}

/// Panics when the test suite asked for it ([`FAULT_PARSE_PANIC_ENV`]); a
/// no-op in release builds.
pub fn parse_fault_point(subject: &str) {
    if fault_armed(FAULT_PARSE_PANIC_ENV, subject) {
        panic!("fault injection: {FAULT_PARSE_PANIC_ENV} matched the subject");
    }
}

/// Fails as a refused insert would when the test suite asked for it
/// ([`FAULT_STORE_ENV`]); always `Ok` in release builds.
pub fn store_fault_point(subject: &str) -> anyhow::Result<()> {
    if fault_armed(FAULT_STORE_ENV, subject) {
        anyhow::bail!(
            "fault injection: {FAULT_STORE_ENV} matched the subject; the row was refused"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_its_message() {
        let r: Result<(), String> = guarded(async { panic!("boom {}", 7) }).await;
        assert_eq!(r.unwrap_err(), "boom 7");
        let r = guarded(async { 5 }).await;
        assert_eq!(r.unwrap(), 5);
        assert_eq!(
            guarded_sync(|| -> u8 { panic!("static") }).unwrap_err(),
            "static"
        );
    }
}
