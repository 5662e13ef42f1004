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
/// With `ascending`, offsets instead rise evenly with the row number (ids in
/// due order, as when every deadline is "now + a fixed delay").
#[derive(Debug, Clone)]
pub struct Dues {
    state: u64,
    spread_ms: u64,
    /// `Some((next row, count))` for ascending offsets.
    ascending: Option<(u64, u64)>,
}

impl Dues {
    pub fn new(seed: u64, spread_ms: u64) -> Self {
        Self { state: seed, spread_ms: spread_ms.max(1), ascending: None }
    }

    pub fn ascending(spread_ms: u64, count: usize) -> Self {
        Self { state: 0, spread_ms: spread_ms.max(1), ascending: Some((0, u64::try_from(count).unwrap_or(1).max(1))) }
    }

    pub fn for_args(args: &crate::Args) -> Self {
        match args.order {
            crate::Order::Random => Self::new(args.seed, args.spread_secs * 1000),
            crate::Order::Ascending => Self::ascending(args.spread_secs * 1000, args.count),
        }
    }

    pub fn next_offset(&mut self) -> i64 {
        if let Some((i, n)) = &mut self.ascending {
            let off = u128::from(*i) * u128::from(self.spread_ms) / u128::from(*n);
            *i += 1;
            return i64::try_from(off).unwrap_or(0);
        }
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        i64::try_from(z % self.spread_ms).unwrap_or(0)
    }
}

/// How many of the run's deadlines, starting at `start_ms`, were due at `at_ms`.
pub fn due_by(args: &crate::Args, start_ms: i64, at_ms: i64) -> usize {
    let mut d = Dues::for_args(args);
    (0..args.count).filter(|_| start_ms + d.next_offset() <= at_ms).count()
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

/// CPU time, in clock ticks: the whole machine's busy and total time and this
/// process's own (all threads), to tell how much else ran during a phase; and
/// bytes written to the disks, by everyone and by this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    total: u64,
    busy: u64,
    own: u64,
    disk_written: u64,
    own_written: u64,
}

/// Bytes written to whole disks (not partitions, loop or RAM devices) since boot.
fn disk_written() -> u64 {
    let disks: Vec<String> = std::fs::read_dir("/sys/block")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    let stats = std::fs::read_to_string("/proc/diskstats").unwrap_or_default();
    stats
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = *f.get(2)?;
            let real = disks.iter().any(|d| d == name) && !name.starts_with("loop") && !name.starts_with("ram");
            // Field 10 (index 9): sectors written, 512 bytes each.
            real.then(|| f.get(9)?.parse::<u64>().ok()).flatten()
        })
        .sum::<u64>()
        * 512
}

fn own_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

pub fn cpu() -> Cpu {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let nums: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|n| n.parse().ok()).collect();
    let total: u64 = nums.iter().take(8).sum();
    // idle and iowait
    let idle = nums.get(3).copied().unwrap_or(0) + nums.get(4).copied().unwrap_or(0);
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised name; utime and stime are the 14th and 15th.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Cpu { total, busy: total.saturating_sub(idle), own, disk_written: disk_written(), own_written: own_written() }
}

/// Between two readings: CPUs' worth used by this process and by everything
/// else, averaged over the interval.
pub fn cpu_use(a: Cpu, b: Cpu) -> Value {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let total = b.total.saturating_sub(a.total).max(1);
    #[allow(clippy::cast_precision_loss)]
    let share = |t: u64| t as f64 / total as f64 * cpus as f64;
    let own = b.own.saturating_sub(a.own);
    let busy = b.busy.saturating_sub(a.busy);
    let mib = |b: u64| b / (1024 * 1024);
    let written = b.disk_written.saturating_sub(a.disk_written);
    let own_written = b.own_written.saturating_sub(a.own_written);
    json!({
        "own_cpus": share(own),
        "other_cpus": share(busy.saturating_sub(own)),
        "own_disk_write_mib": mib(own_written),
        "other_disk_write_mib": mib(written.saturating_sub(own_written)),
    })
}
