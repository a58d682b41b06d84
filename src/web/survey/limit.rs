//! A per-address limit on the pages' form submissions: at most `per_minute`
//! POSTs from one address in a sliding minute (`0`: no limit). Memory is
//! bounded: past [`MAX_ADDRESSES`] tracked addresses, the stale ones are
//! dropped, and if none is stale the newcomer is refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Addresses tracked at once.
pub const MAX_ADDRESSES: usize = 10_000;

const WINDOW: i64 = 60;

pub struct Limiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether one more POST from `addr` at `now` (seconds) may go on.
    pub fn allow(&self, addr: IpAddr, now: i64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_ADDRESSES && !seen.contains_key(&addr) {
            seen.retain(|_, (start, _)| now - *start < WINDOW);
            if seen.len() >= MAX_ADDRESSES {
                return false;
            }
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now - entry.0 >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_quota_per_minute() {
        let l = Limiter::new(3);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| l.allow(a, 100)));
        assert!(!l.allow(a, 120));
        assert!(l.allow(b, 120));
        assert!(l.allow(a, 160));
        assert!(Limiter::new(0).allow(a, 0));
    }
}
