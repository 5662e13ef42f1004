//! The deadline scheduler: a thin loop around the core's step function. It
//! sleeps until the earliest pending deadline (or until woken by a new, earlier
//! one), fires everything due in batches, and records how late each firing was.
//! It also writes the platform's heartbeat; an instance that starts after a
//! gap records an outage first, so deadlines that lapsed meanwhile are graced
//! (`youying_core::deadline::outage`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use youying_core::Timestamp;
use youying_core::deadline::outage::{self, BEAT_EVERY_MS, Outage};
use youying_core::deadline::{self, Outcome};
use youying_core::error::Result;
use youying_core::ports::Store;

use crate::state::App;

/// Deadlines fired per transaction: large enough to keep up with a burst
/// (16,000 due in one second), small enough to keep each commit short.
pub const BATCH: usize = 500;

/// Without news the loop still looks every second, so deadlines scheduled by
/// another instance or another process are never missed by more than that.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// Fires every deadline due at the clock's `now`, batch after batch.
pub async fn run_due<S: Store>(app: &App<S>) -> Result<Outcome> {
    let mut total = Outcome::default();
    loop {
        let now = app.now();
        let out = app.store.write(move |tx| deadline::run_due(tx, now, BATCH)).await?;
        record(&out);
        let full = out.fired + out.failed >= BATCH;
        total.fired += out.fired;
        total.failed += out.failed;
        total.graced += out.graced;
        total.lateness_ms.extend(out.lateness_ms);
        if !full {
            if total.fired > 0 {
                // Handlers may change what buyers see (a down-ranking ending).
                if let Err(e) = crate::catalog::sync_search(app).await {
                    tracing::error!(error = %e, "search sync after deadlines failed");
                }
            }
            return Ok(total);
        }
    }
}

fn record(out: &Outcome) {
    for ms in &out.lateness_ms {
        #[allow(clippy::cast_precision_loss)] // lateness in ms is far below 2^52
        metrics::histogram!("youying_deadline_lateness_seconds").record(*ms as f64 / 1000.0);
    }
    metrics::counter!("youying_deadlines_fired_total").increment(out.fired as u64);
    metrics::counter!("youying_deadline_failures_total").increment(out.failed as u64);
}

/// Writes the heartbeat at the clock's `now`; with `check` (this instance
/// is starting) a gap since the last beat is recorded as an outage first.
pub async fn heartbeat<S: Store>(app: &App<S>, check: bool) -> Result<Option<Outage>> {
    let now = app.now();
    let found = app.store.write(move |tx| outage::beat(tx, now, check)).await?;
    if let Some(o) = &found {
        tracing::warn!(from = o.from.millis(), to = o.to.millis(), "platform outage recorded");
    }
    Ok(found)
}

/// The loop. Returns when `shutdown` turns true.
pub async fn run<S: Store>(app: App<S>, mut shutdown: watch::Receiver<bool>) {
    let mut graded_at = i64::MIN;
    // Real time of this instance's last heartbeat: a fake clock may jump, a
    // running loop is the platform running.
    let mut beaten: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let beat_due = beaten.is_none_or(|b| b.elapsed() >= Duration::from_millis(BEAT_EVERY_MS.unsigned_abs()));
        if beat_due {
            match heartbeat(&app, beaten.is_none()).await {
                Ok(_) => beaten = Some(std::time::Instant::now()),
                Err(e) => tracing::error!(error = %e, "heartbeat failed"),
            }
        }
        if beaten.is_none() {
            // Nothing fires before the start has looked for an outage: a
            // deadline that lapsed while we were down must not charge anyone.
            tokio::select! {
                () = tokio::time::sleep(MAX_IDLE) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        if let Err(e) = run_due(&app).await {
            tracing::error!(error = %e, "deadline step failed");
        }
        // Grades follow the events the deadlines (and everyone else) recorded.
        if app.now().millis().saturating_sub(graded_at) >= crate::grades::EVERY_MS {
            graded_at = app.now().millis();
            if let Err(e) = crate::grades::refresh(&app).await {
                tracing::error!(error = %e, "grade refresh failed");
            }
        }
        // Any deadline added from here on wakes us (Notify keeps the permit),
        // so one scheduled between this read and the sleep is not missed.
        app.wake.sleeping_until.store(i64::MAX, Ordering::Release);
        let next = app.store.read(|tx| tx.next_due()).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "next deadline lookup failed");
            None
        });
        let now = app.now();
        let wait = next.map_or(MAX_IDLE, |due| {
            Duration::from_millis(u64::try_from(due.millis_since(now)).unwrap_or(0)).min(MAX_IDLE)
        });
        if wait.is_zero() {
            continue;
        }
        app.wake.sleeping_until.store(next.map_or(i64::MAX, Timestamp::millis), Ordering::Release);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = app.wake.notify.notified() => {}
            _ = shutdown.changed() => {}
        }
        app.wake.sleeping_until.store(i64::MAX, Ordering::Release);
    }
}
