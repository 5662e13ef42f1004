//! Time as a value. The core never asks the operating system what time it is.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded down.
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// `self - earlier` in milliseconds (negative when `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({}ms)", self.0)
    }
}

/// Where "now" comes from. The server passes a system clock, tests a [`FakeClock`].
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to. Cloning shares the same time.
#[derive(Clone, Debug)]
pub struct FakeClock {
    now: Arc<AtomicI64>,
}

impl FakeClock {
    pub fn at(start: Timestamp) -> Self {
        Self { now: Arc::new(AtomicI64::new(start.millis())) }
    }

    pub fn advance_secs(&self, secs: i64) -> Timestamp {
        self.advance_millis(secs.saturating_mul(1000))
    }

    pub fn advance_millis(&self, ms: i64) -> Timestamp {
        let after = self.now.fetch_add(ms, Ordering::SeqCst).saturating_add(ms);
        Timestamp::from_millis(after)
    }

    pub fn set(&self, t: Timestamp) {
        self.now.store(t.millis(), Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_clock_moves_only_when_told() {
        let clock = FakeClock::at(Timestamp::from_millis(1_000));
        assert_eq!(clock.now().millis(), 1_000);
        let shared = clock.clone();
        shared.advance_secs(2);
        assert_eq!(clock.now().millis(), 3_000);
        assert_eq!(clock.now().millis_since(Timestamp::from_millis(500)), 2_500);
    }
}
