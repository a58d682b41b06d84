//! The budget of time and memory one message may cost.
//!
//! Anyone can mail the desk, so no single message may hold up intake or
//! take the daemon's memory. What can honestly be enforced:
//!
//! - **Every stage is bounded by construction.** The message is at most
//!   `inbound.max_message_size`; HTML is converted by a streaming converter
//!   when it is large or deeply nested ([`crate::parse`]); notices carry
//!   at most an excerpt of the text (`posko::mail::excerpt::excerpt`); outgoing
//!   bodies are encoded in one pass (`posko::mail::compose`). So each stage's
//!   time and memory grow in proportion to the message, not faster.
//! - **Checks between stages.** Synchronous work cannot be pre-empted (a
//!   tokio timeout only fires at an `.await`), so [`Meter`] is consulted
//!   between the stages of reading a message, and inside the loops posko
//!   owns (the streaming HTML converter looks at the deadline between
//!   slices): past `inbound.max_processing_time`, the message stops there.
//!   Before the stages that multiply the message's size (decoding; storing
//!   and converting the decoded text), the memory they would need is
//!   estimated from the sizes known at that point; above
//!   `inbound.max_message_memory` the message stops before that stage.
//!
//! A message that stops is quarantined as "too expensive", with the budget
//! it exceeded, and marked done at its source: it costs its budget once,
//! never again at each pass. The estimates are deliberately generous
//! multiples measured with `posko-bench hostile` (see the README); a stage
//! that overran the time is detected after it, not cut short, which is why
//! the stages themselves must be bounded.

use std::time::{Duration, Instant};

/// The limits for one message (`[inbound]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// `inbound.max_processing_time`.
    pub time: Duration,
    /// `inbound.max_message_memory`, bytes.
    pub memory: u64,
}

impl Budget {
    /// No limits: for tools and tests that parse trusted files.
    pub const UNLIMITED: Budget = Budget {
        time: Duration::from_secs(u32::MAX as u64),
        memory: u64::MAX,
    };
}

/// Why a message was stopped; the text is the quarantine reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooExpensive(pub String);

/// Peak memory while mail-parser decodes a message, per byte of it: the raw
/// bytes, the decoded parts, and the parts' text made owned.
pub const DECODE_FACTOR: u64 = 3;

/// Peak memory while the decoded text and HTML are stored and a notice is
/// rendered, per byte of raw message, text and HTML: the database drivers
/// copy each value they bind.
pub const STORE_FACTOR: u64 = 3;

/// One message's spending against its [`Budget`].
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    budget: Budget,
    started: Instant,
}

impl Meter {
    /// Starts the clock for one message.
    pub fn start(budget: Budget) -> Meter {
        Meter {
            budget,
            started: Instant::now(),
        }
    }

    pub fn unlimited() -> Meter {
        Meter::start(Budget::UNLIMITED)
    }

    /// When the time runs out (for loops that look at it themselves).
    pub fn deadline(&self) -> Option<Instant> {
        self.started.checked_add(self.budget.time)
    }

    /// An error once the time is spent; `stage` says where it ran out.
    pub fn check_time(&self, stage: &str) -> Result<(), TooExpensive> {
        if self.started.elapsed() <= self.budget.time {
            return Ok(());
        }
        Err(self.out_of_time(stage))
    }

    /// The reason for a message whose time ran out in `stage`.
    pub fn out_of_time(&self, stage: &str) -> TooExpensive {
        TooExpensive(format!(
            "too expensive: {stage} took more than inbound.max_processing_time ({})",
            human_duration(self.budget.time)
        ))
    }

    /// An error when `stage` would need more than the memory budget, by
    /// the estimate `need` (bytes).
    pub fn check_memory(&self, stage: &str, need: u64) -> Result<(), TooExpensive> {
        if need <= self.budget.memory {
            return Ok(());
        }
        Err(TooExpensive(format!(
            "too expensive: {stage} would need about {} MB of memory, more than \
             inbound.max_message_memory ({} MB)",
            need.div_ceil(1 << 20),
            self.budget.memory >> 20
        )))
    }
}

fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_say_which_budget() {
        let m = Meter::start(Budget {
            time: Duration::from_millis(0),
            memory: 100 << 20,
        });
        std::thread::sleep(Duration::from_millis(2));
        let e = m.check_time("converting the HTML").unwrap_err();
        assert_eq!(
            e.0,
            "too expensive: converting the HTML took more than inbound.max_processing_time (0s)"
        );
        assert!(m.check_memory("decoding", 100 << 20).is_ok());
        let e = m.check_memory("decoding", 300 << 20).unwrap_err();
        assert!(
            e.0.contains("about 300 MB") && e.0.contains("max_message_memory (100 MB)"),
            "{}",
            e.0
        );
        assert!(Meter::unlimited().check_time("x").is_ok());
        assert!(Meter::unlimited().deadline().is_some());
    }
}
