//! The storm itself: every notify URL, shuffled, sent by a fixed number of
//! workers sharing one client, each request timed from send to the last byte
//! of the answer. The same code drives Youying and the bare baseline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What one storm measured.
#[derive(Debug, Default)]
pub struct Storm {
    pub sent: usize,
    /// Answers `200 success`.
    pub success: usize,
    /// Anything else that came back (status and body, the first few kept).
    pub other: usize,
    pub other_samples: Vec<String>,
    /// Requests that got no answer at all.
    pub failed: usize,
    pub wall: Duration,
    /// Sorted, microseconds.
    pub latencies_us: Vec<u64>,
}

impl Storm {
    pub fn per_sec(&self) -> f64 {
        self.sent as f64 / self.wall.as_secs_f64()
    }

    /// The `p` quantile in milliseconds (nearest rank).
    pub fn pct_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us.last().map_or(0.0, |&us| us as f64 / 1000.0)
    }

    /// Every notify answered `success`, and nothing else came back.
    pub fn all_success(&self) -> bool {
        self.success == self.sent && self.other == 0 && self.failed == 0
    }

    pub fn json(&self) -> Value {
        json!({
            "notifies": self.sent,
            "wall_s": round(self.wall.as_secs_f64(), 3),
            "notifies_per_s": round(self.per_sec(), 1),
            "p50_ms": round(self.pct_ms(0.5), 2),
            "p90_ms": round(self.pct_ms(0.9), 2),
            "p99_ms": round(self.pct_ms(0.99), 2),
            "max_ms": round(self.max_ms(), 2),
            "answered_success": self.success,
            "answered_other": self.other,
            "other_samples": self.other_samples,
            "no_answer": self.failed,
        })
    }
}

pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// `urls` in a fixed pseudo-random order (Fisher–Yates over xorshift64*), so
/// both sides of a run get the same order and a rerun with the same seed too.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// A client for the storm: no proxy, enough idle connections for every worker.
pub fn client(concurrency: usize) -> reqwest::Result<reqwest::Client> {
    // The server's one choice of rustls crypto, made before any client is built.
    youying_server::state::tls_ready();
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(concurrency).timeout(Duration::from_secs(60)).build()
}

/// Sends every URL once, `concurrency` at a time.
pub async fn run(client: &reqwest::Client, urls: Arc<Vec<String>>, concurrency: usize) -> Storm {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (client, urls, next) = (client.clone(), Arc::clone(&urls), Arc::clone(&next));
        workers.push(tokio::spawn(async move {
            let mut part = Storm::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                let t = Instant::now();
                let answer = match client.get(url).send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        r.text().await.map(|body| (status, body))
                    }
                    Err(e) => Err(e),
                };
                part.latencies_us.push(t.elapsed().as_micros() as u64);
                part.sent += 1;
                match answer {
                    Ok((200, body)) if body == "success" => part.success += 1,
                    Ok((status, body)) => {
                        part.other += 1;
                        if part.other_samples.len() < 5 {
                            part.other_samples.push(format!("{status} {}", body.chars().take(120).collect::<String>()));
                        }
                    }
                    Err(e) => {
                        part.failed += 1;
                        if part.other_samples.len() < 5 {
                            part.other_samples.push(format!("no answer: {e}"));
                        }
                    }
                }
            }
            part
        }));
    }
    let mut all = Storm::default();
    for w in workers {
        // A worker only panics if the runtime is going down; count nothing for it.
        let Ok(part) = w.await else { continue };
        all.sent += part.sent;
        all.success += part.success;
        all.other += part.other;
        all.failed += part.failed;
        all.latencies_us.extend(part.latencies_us);
        for s in part.other_samples {
            if all.other_samples.len() < 5 {
                all.other_samples.push(s);
            }
        }
    }
    all.wall = start.elapsed();
    all.latencies_us.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_a_fixed_permutation() {
        let mut a: Vec<u32> = (0..1000).collect();
        shuffle(&mut a, 7);
        let mut b: Vec<u32> = (0..1000).collect();
        shuffle(&mut b, 7);
        assert_eq!(a, b);
        assert_ne!(a, (0..1000).collect::<Vec<_>>());
        a.sort_unstable();
        assert_eq!(a, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let s = Storm { latencies_us: (1..=100).map(|i| i * 1000).collect(), ..Storm::default() };
        assert_eq!(s.pct_ms(0.5), 51.0);
        assert_eq!(s.pct_ms(0.99), 99.0);
        assert_eq!(s.max_ms(), 100.0);
    }
}
