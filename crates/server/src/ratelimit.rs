//! Per-sender message rate limits: a token bucket per user, in memory, driven
//! by the injected clock. Per instance: several instances each allow the rate.

use std::collections::HashMap;
use std::sync::Mutex;

use youying_core::Timestamp;

/// Messages a sender may post in a burst, and how fast the allowance refills.
pub const BURST: f64 = 10.0;
pub const PER_SEC: f64 = 1.0;
/// Web verifier checks per client address, at once and per hour (see
/// `app::verify::throttle`).
pub const VERIFY_PER_HOUR: f64 = 30.0;

#[derive(Debug)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<i64, (f64, i64)>>,
    burst: f64,
    per_sec: f64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::with_rate(BURST, PER_SEC)
    }
}

impl RateLimiter {
    /// A limiter with its own burst and refill rate.
    pub fn with_rate(burst: f64, per_sec: f64) -> Self {
        Self { buckets: Mutex::default(), burst, per_sec }
    }

    /// Takes one token for `who` at `now`; `Err(seconds to wait)` when empty.
    pub fn take(&self, who: i64, now: Timestamp) -> Result<(), i64> {
        self.take_at(who, now, self.burst, self.per_sec)
    }

    /// [`Self::take`] at a rate given now (a rule an admin may change).
    pub fn take_at(&self, who: i64, now: Timestamp, burst: f64, per_sec: f64) -> Result<(), i64> {
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() > 100_000 {
            map.clear(); // a crude bound: forgetting everyone only ever allows more
        }
        let (tokens, at) = map.entry(who).or_insert((burst, now.millis()));
        #[allow(clippy::cast_precision_loss)]
        let refill = (now.millis() - *at).max(0) as f64 / 1000.0 * per_sec;
        *tokens = (*tokens + refill).min(burst);
        *at = now.millis();
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            #[allow(clippy::cast_possible_truncation)]
            let wait = ((1.0 - *tokens) / per_sec).ceil() as i64;
            Err(wait.max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_steady_trickle() {
        let r = RateLimiter::default();
        let t = Timestamp::from_millis(0);
        for _ in 0..10 {
            assert!(r.take(1, t).is_ok());
        }
        assert_eq!(r.take(1, t), Err(1));
        assert!(r.take(2, t).is_ok(), "per sender");
        assert!(r.take(1, t.plus_millis(1_000)).is_ok());
    }
}
