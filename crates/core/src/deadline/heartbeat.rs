//! The platform's pulse, as data: the heartbeat the scheduler loop writes, the
//! outages read from its gaps, and what persistence offers for them. Plain
//! model and port; [`super::outage`] decides what a gap means for deadlines.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::CaseId;

/// A gap between heartbeats longer than this is an outage: no instance ran.
/// The loop beats about once a second (it wakes at least every second), so
/// ten seconds leave room for a slow commit or a busy machine without calling
/// a hiccup a downtime, and still catch any restart a person would notice.
pub const OUTAGE_AFTER_MS: i64 = 10_000;

/// The loop writes its heartbeat at most this often.
pub const BEAT_EVERY_MS: i64 = 1_000;

/// A span during which no instance of the platform was running, from the last
/// heartbeat before it to the restart that noticed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub id: i64,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Outage {
    /// Whether `t` fell inside the outage.
    pub fn covers(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }
}

/// The gap between the last heartbeat and `now`, if it is an outage (pure).
/// A database that never had a heartbeat has no gap to speak of.
pub fn gap(last_beat: Option<Timestamp>, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
    let last = last_beat?;
    (now.millis_since(last) > OUTAGE_AFTER_MS).then_some((last, now))
}

/// Milliseconds of `[from, to]` during which the platform was down: what a
/// shop's measured wait must not be charged with.
pub fn downtime_ms(outages: &[Outage], from: Timestamp, to: Timestamp) -> i64 {
    outages.iter().map(|o| (o.to.min(to).millis() - o.from.max(from).millis()).max(0)).sum()
}

/// Reading the heartbeat and the outages on file.
pub trait OutageRead {
    /// The latest heartbeat of any instance; `None` before the first.
    fn last_beat(&mut self) -> Result<Option<Timestamp>>;
    /// Outages that ended at or after `since`, oldest first.
    fn outages_since(&mut self, since: Timestamp) -> Result<Vec<Outage>>;
}

/// Writing them.
pub trait OutageTx: OutageRead {
    /// Locks the heartbeat for the rest of the transaction and returns it, so
    /// instances starting together see each other's beat (one outage, not two).
    fn lock_beat(&mut self) -> Result<Option<Timestamp>>;
    /// Sets the heartbeat to `at` unless a later one is on file.
    fn put_beat(&mut self, at: Timestamp) -> Result<()>;
    fn insert_outage(&mut self, from: Timestamp, to: Timestamp) -> Result<i64>;
    /// Gives a case's merchant a new deadline time (the outage grace), so
    /// what the merchant does before it counts as in time.
    fn move_case_merchant_due(&mut self, case: CaseId, due: Timestamp) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_above_the_threshold_is_an_outage() {
        let t = Timestamp::from_millis(1_000_000);
        assert_eq!(gap(None, t), None, "no heartbeat yet: a fresh database");
        assert_eq!(gap(Some(t), t.plus_millis(OUTAGE_AFTER_MS)), None, "exactly the threshold is not");
        assert_eq!(gap(Some(t), t.plus_millis(OUTAGE_AFTER_MS + 1)), Some((t, t.plus_millis(OUTAGE_AFTER_MS + 1))));
        let o = Outage { id: 1, from: t, to: t.plus_secs(20) };
        assert!(o.covers(t) && o.covers(t.plus_secs(20)) && !o.covers(t.plus_secs(21)));
        // A wait from t−5 s to t+30 s lost the 20 s of the outage.
        assert_eq!(downtime_ms(&[o], t.plus_secs(-5), t.plus_secs(30)), 20_000);
        assert_eq!(downtime_ms(&[o], t.plus_secs(5), t.plus_secs(10)), 5_000);
        assert_eq!(downtime_ms(&[o], t.plus_secs(21), t.plus_secs(30)), 0);
    }
}
