//! A ticket's two clocks (first response, resolution): their states and
//! transitions, due instants, and the warnings and breach they cross.

use super::*;

/// Which of a ticket's two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Until staff first handle the ticket.
    Response,
    /// Until the service is back to normal.
    Resolution,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<ClockKind> {
        match s {
            "response" => Some(ClockKind::Response),
            "resolution" => Some(ClockKind::Resolution),
            _ => None,
        }
    }
}

/// Where a clock stands. The names are part of the JSON interface and of the
/// `sla_clocks.state` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    /// Stopped within the target.
    Met,
    /// Stopped after the target.
    Breached,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
        }
    }

    pub fn parse(s: &str) -> Option<ClockState> {
        Some(match s {
            "running" => ClockState::Running,
            "paused" => ClockState::Paused,
            "met" => ClockState::Met,
            "breached" => ClockState::Breached,
            _ => return None,
        })
    }

    /// Met or breached: the clock no longer runs.
    pub fn is_stopped(self) -> bool {
        matches!(self, ClockState::Met | ClockState::Breached)
    }
}

/// Something a scan must act on: a warning or the breach, and the instant it
/// fell due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crossing {
    /// Elapsed business time reached `fraction` of the target.
    Warning { fraction: f64, at: i64 },
    /// Elapsed business time went past the target.
    Breach { at: i64 },
}

impl Crossing {
    /// The instant it fell due.
    pub fn at(&self) -> i64 {
        match *self {
            Crossing::Warning { at, .. } | Crossing::Breach { at } => at,
        }
    }
}

/// One SLA clock: the fields of an `sla_clocks` row except the derived
/// `due_at` and `next_check_at`, which [`Clock::due_at`] and
/// [`Clock::next_check_at`] compute for storage.
///
/// Transitions take and return the value; one that does not apply (pausing a
/// paused clock, resuming a running one, stopping a stopped one) returns it
/// unchanged, because staff commands arrive by mail and may well come twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub target_seconds: i64,
    /// When the ticket was recorded; business time counts from the first
    /// opening at or after it.
    pub started_at: i64,
    /// Set while paused.
    pub paused_since: Option<i64>,
    /// Business seconds spent in completed pauses (and between a stop and a
    /// reopen); the current pause is not included.
    pub paused_seconds: i64,
    pub state: ClockState,
    /// Set once met or breached.
    pub stopped_at: Option<i64>,
}

impl Clock {
    /// A running clock for `target_seconds`, started when the ticket was
    /// recorded at `now`.
    pub fn start(target_seconds: i64, now: i64) -> Clock {
        Clock {
            target_seconds,
            started_at: now,
            paused_since: None,
            paused_seconds: 0,
            state: ClockState::Running,
            stopped_at: None,
        }
    }

    /// Stops counting (the ticket waits on the requester).
    pub fn pause(self, now: i64) -> Clock {
        if self.state != ClockState::Running {
            return self;
        }
        Clock {
            state: ClockState::Paused,
            paused_since: Some(now.max(self.started_at)),
            ..self
        }
    }

    /// Counts again; the business time of the pause is set aside.
    pub fn resume(self, now: i64, cal: &Calendar) -> Clock {
        let Some(since) = self
            .paused_since
            .filter(|_| self.state == ClockState::Paused)
        else {
            return self;
        };
        Clock {
            state: ClockState::Running,
            paused_since: None,
            paused_seconds: self.paused_seconds + cal.business_between(since, now),
            ..self
        }
    }

    /// Stops the clock for good: met when the elapsed business time is within
    /// the target, breached otherwise. A paused clock stops with the time it
    /// had when it paused.
    pub fn stop(self, now: i64, cal: &Calendar) -> Clock {
        if self.state.is_stopped() {
            return self;
        }
        let now = now.max(self.started_at);
        // Folding a pause in first keeps `elapsed` a single formula for
        // stopped clocks: business time to the stop, minus all pauses.
        let running = self.resume(now, cal);
        let elapsed = running.elapsed(now, cal);
        Clock {
            state: if elapsed <= self.target_seconds {
                ClockState::Met
            } else {
                ClockState::Breached
            },
            stopped_at: Some(now),
            ..running
        }
    }

    /// Runs a stopped clock again (the ticket was reopened); the time it was
    /// stopped does not count. Warnings and the breach already past do not
    /// fall due again, because their instants lie before `now`.
    pub fn reopen(self, now: i64, cal: &Calendar) -> Clock {
        let Some(stopped) = self.stopped_at.filter(|_| self.state.is_stopped()) else {
            return self;
        };
        Clock {
            state: ClockState::Running,
            stopped_at: None,
            paused_seconds: self.paused_seconds + cal.business_between(stopped, now),
            ..self
        }
    }

    /// Counts the clock against a new target, because the ticket's priority
    /// or category changed: as if the new target had applied since the
    /// ticket was recorded. The business time already counted stays
    /// counted, a pause stays a pause, and from `now` on the clock counts in
    /// `to`, the calendar of the new targets (`from` is the one it counted
    /// in so far). A stopped clock keeps its verdict and is returned
    /// unchanged.
    ///
    /// Elapsed time is calendar time since the start minus the pauses, so
    /// keeping it while the calendar changes means setting aside whatever
    /// `to` counts beyond it. Moving from 24×7 to business hours can leave
    /// less business time since the start than was counted; the clock then
    /// keeps all of that time (nothing set aside) rather than counting time
    /// that the new calendar never had.
    pub fn retarget(self, target_seconds: i64, now: i64, from: &Calendar, to: &Calendar) -> Clock {
        if self.state.is_stopped() {
            return self;
        }
        let elapsed = self.elapsed(now, from);
        let counted = to.business_between(self.started_at, self.counted_until(now));
        Clock {
            target_seconds,
            paused_seconds: (counted - elapsed).max(0),
            ..self
        }
    }

    /// Business seconds counted against the target, as of `now`.
    pub fn elapsed(&self, now: i64, cal: &Calendar) -> i64 {
        let end = self.counted_until(now);
        (cal.business_between(self.started_at, end) - self.paused_seconds).max(0)
    }

    /// The instant up to which the clock has counted, as of `now`: `now`
    /// while running, the start of the pause or the stop otherwise.
    fn counted_until(&self, now: i64) -> i64 {
        match self.state {
            ClockState::Running => now,
            ClockState::Paused => self.paused_since.unwrap_or(now).min(now),
            ClockState::Met | ClockState::Breached => self.stopped_at.unwrap_or(now),
        }
    }

    /// Business seconds spent paused, including a pause still going on.
    pub fn paused_total(&self, now: i64, cal: &Calendar) -> i64 {
        let current = match (self.state, self.paused_since) {
            (ClockState::Paused, Some(since)) => cal.business_between(since, now),
            _ => 0,
        };
        self.paused_seconds + current
    }

    /// When the target runs out: the last instant at which the clock is still
    /// within it. `None` while paused, since it depends on when the pause
    /// ends. For a stopped clock, the due instant it had when it stopped.
    pub fn due_at(&self, cal: &Calendar) -> Option<i64> {
        match self.state {
            ClockState::Paused => None,
            _ => Some(self.instant_of(self.target_seconds, cal)),
        }
    }

    /// The state to show at `now`: like [`Clock::state`], except that a
    /// running clock already past its target shows as breached.
    pub fn state_at(&self, now: i64, cal: &Calendar) -> ClockState {
        match self.state {
            ClockState::Running if self.elapsed(now, cal) > self.target_seconds => {
                ClockState::Breached
            }
            state => state,
        }
    }

    /// The next instant after `after` at which a warning or the breach falls
    /// due: what the scan stores as `next_check_at`. `None` when nothing can
    /// happen without a transition first (paused, stopped, or already past
    /// the breach).
    pub fn next_check_at(&self, cal: &Calendar, warn_at: &[f64], after: i64) -> Option<i64> {
        if self.state != ClockState::Running {
            return None;
        }
        self.thresholds(cal, warn_at)
            .into_iter()
            .map(|c| c.at())
            .find(|&at| at > after)
    }

    /// The warnings and breach that fell due in `(after, upto]`, in order.
    ///
    /// `after` is the instant of the previous look at this clock: the scan or
    /// the transition (start, resume, reopen) that last computed its
    /// `next_check_at`; `upto` is `now`. Consecutive looks then cover time
    /// without gaps or overlaps, so each crossing is reported once. Since
    /// nothing falls due between that look and the `next_check_at` it stored,
    /// a scan that keeps only the row may pass `after = next_check_at - 1`.
    /// A paused clock reports only what fell due before it paused; a stopped
    /// clock reports nothing (its state is the record).
    pub fn crossings(
        &self,
        cal: &Calendar,
        warn_at: &[f64],
        after: i64,
        upto: i64,
    ) -> Vec<Crossing> {
        let upto = match (self.state, self.paused_since) {
            (ClockState::Running, _) => upto,
            (ClockState::Paused, Some(since)) => upto.min(since),
            _ => return Vec::new(),
        };
        self.thresholds(cal, warn_at)
            .into_iter()
            .filter(|c| c.at() > after && c.at() <= upto)
            .collect()
    }

    /// Every threshold with its instant, in order, valid for the current
    /// running stretch. An instant is where elapsed time reaches the amount,
    /// so with the pauses so far set aside it is `add(started, amount +
    /// paused)`; amounts passed before the last pause map to instants at or
    /// before the resume, hence never after a later `after`.
    fn thresholds(&self, cal: &Calendar, warn_at: &[f64]) -> Vec<Crossing> {
        let target = self.target_seconds;
        let mut out: Vec<Crossing> = warn_at
            .iter()
            .map(|&fraction| {
                // Round up: a warning at 75 % of 10 s is due at 8 s, never early.
                let amount = (target as f64 * fraction).ceil() as i64;
                Crossing::Warning {
                    fraction,
                    at: self.instant_of(amount, cal),
                }
            })
            .collect();
        // Breached means elapsed > target: the first whole second past it.
        out.push(Crossing::Breach {
            at: self.instant_of(target + 1, cal),
        });
        out.sort_by_key(Crossing::at);
        out
    }

    /// The instant at which elapsed business time reaches `amount`.
    fn instant_of(&self, amount: i64, cal: &Calendar) -> i64 {
        cal.add_business(self.started_at, amount + self.paused_seconds)
    }
}
