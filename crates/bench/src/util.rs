//! Small shared pieces: wall-clock time, the due-time generator, memory
//! readings from `/proc`, percentiles.

use serde_json::{Value, json};

/// Wall-clock microseconds since the Unix epoch (the engine's clock is in ms).
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// Offsets in `[0, spread_ms)`, uniformly distributed and in no particular
/// order (splitmix64), so rows arrive in random due order as real ones would.
/// The same seed gives the same sequence, for the engine and the baseline alike.
#[derive(Debug, Clone)]
pub struct Dues {
    state: u64,
    spread_ms: u64,
}

impl Dues {
    pub fn new(seed: u64, spread_ms: u64) -> Self {
        Self { state: seed, spread_ms: spread_ms.max(1) }
    }

    pub fn next_offset(&mut self) -> i64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        i64::try_from(z % self.spread_ms).unwrap_or(0)
    }
}

/// How many of `count` deadlines starting at `start_ms` were due at `at_ms`.
pub fn due_by(seed: u64, spread_ms: u64, count: usize, start_ms: i64, at_ms: i64) -> usize {
    let mut d = Dues::new(seed, spread_ms);
    (0..count).filter(|_| start_ms + d.next_offset() <= at_ms).count()
}

/// This process's memory, in KiB: resident now and the peak (high-water mark).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn mem() -> Mem {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Mem { rss_kib: field("VmRSS:"), hwm_kib: field("VmHWM:") }
}

/// Nearest-rank percentiles of `v` (sorted in place), in the unit of `v`.
pub fn percentiles(v: &mut [f64]) -> Value {
    if v.is_empty() {
        return json!({ "n": 0 });
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    };
    #[allow(clippy::cast_precision_loss)]
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    json!({
        "n": v.len(),
        "p50": at(50.0),
        "p90": at(90.0),
        "p99": at(99.0),
        "p99_9": at(99.9),
        "max": v[v.len() - 1],
        "mean": mean,
    })
}

/// One firing transaction as seen from outside: when it was asked for, when
/// it had committed, and how many deadlines it fired. Firing order is the
/// global `(due_at, id)` order (one firer, no retries), and so is the order of
/// the evidence events and of the bare tables read back by `(due_at, id)`: the
/// first `fired` rows belong to the first batch, and so on.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    pub start_us: i64,
    pub end_us: i64,
    pub fired: u32,
}

/// Walks rows in firing order, given each row's due time (ms), and returns
/// each row's lateness to the commit of its batch, in ms.
#[derive(Debug)]
pub struct CommitMatcher<'a> {
    batches: &'a [Batch],
    i: usize,
    left: u32,
    pub unmatched: usize,
}

impl<'a> CommitMatcher<'a> {
    pub fn new(batches: &'a [Batch]) -> Self {
        Self { batches, i: 0, left: batches.first().map_or(0, |b| b.fired), unmatched: 0 }
    }

    pub fn next(&mut self, due_ms: i64) -> Option<f64> {
        while self.left == 0 {
            self.i += 1;
            match self.batches.get(self.i) {
                Some(b) => self.left = b.fired,
                None => {
                    self.unmatched += 1;
                    return None;
                }
            }
        }
        self.left -= 1;
        let b = self.batches[self.i];
        #[allow(clippy::cast_precision_loss)]
        Some(b.end_us as f64 / 1000.0 - due_ms as f64)
    }
}

/// Statistics of the firing transactions themselves.
pub fn batch_stats(batches: &[Batch], limit: u32) -> Value {
    let fired: Vec<&Batch> = batches.iter().filter(|b| b.fired > 0).collect();
    #[allow(clippy::cast_precision_loss)]
    let mut ms: Vec<f64> = fired.iter().map(|b| (b.end_us - b.start_us) as f64 / 1000.0).collect();
    let rows: u64 = fired.iter().map(|b| u64::from(b.fired)).sum();
    #[allow(clippy::cast_precision_loss)]
    let mean = if fired.is_empty() { 0.0 } else { rows as f64 / fired.len() as f64 };
    json!({
        "transactions": fired.len(),
        "empty_transactions": batches.len() - fired.len(),
        "full_batches": fired.iter().filter(|b| b.fired >= limit).count(),
        "mean_batch": mean,
        "txn_ms": percentiles(&mut ms),
    })
}
