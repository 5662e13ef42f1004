//! The thin loop the durable senders share (a step function plus a thin loop):
//! read when the next row is due, step when something is, then sleep until
//! the next is due, a commit rings the queue's bell, at most `idle`, or
//! shutdown. The step functions (`run_due`, `run_orders`, …) stay what tests
//! call after moving the fake clock; only this loop sleeps.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use youying_core::Timestamp;
use youying_core::error::Result;
use youying_core::ports::Store;

use crate::state::App;

/// After a failed step, or when a row is still due right after a step (another
/// instance holds it, SKIP LOCKED passed it by, or the step could not move
/// it), the loop waits this long rather than spin on it.
const BACKOFF: Duration = Duration::from_secs(1);

/// One queue's loop settings.
#[derive(Debug)]
pub struct Queue<'a> {
    /// For the logs: "push", "outbound", "sourcing".
    pub name: &'static str,
    /// Rung by the hub when a commit queues work; `None`: poll only.
    pub bell: Option<&'a Notify>,
    /// The longest sleep, whatever the queue says is next.
    pub idle: Duration,
}

/// Runs `step` whenever `next_due` says something is due, until `shutdown`.
/// An idle platform opens no write transaction: `next_due` is a read.
pub async fn run<S, St, StF, Nx, NxF>(
    app: &App<S>,
    queue: Queue<'_>,
    mut step: St,
    mut next_due: Nx,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Store,
    St: FnMut() -> StF,
    StF: Future<Output = Result<()>>,
    Nx: FnMut() -> NxF,
    NxF: Future<Output = Result<Option<Timestamp>>>,
{
    let name = queue.name;
    let mut stepped = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let next = next_due().await.unwrap_or_else(|e| {
            tracing::error!(queue = name, error = %e, "reading what is due failed");
            None
        });
        let now = app.now();
        let due = next.is_some_and(|at| at <= now);
        let wait = if due && stepped {
            stepped = false;
            BACKOFF
        } else if due {
            stepped = true;
            match step().await {
                Ok(()) => continue,
                Err(e) => {
                    tracing::error!(queue = name, error = %e, "step failed");
                    BACKOFF
                }
            }
        } else {
            stepped = false;
            next.map_or(queue.idle, |at| {
                Duration::from_millis(u64::try_from(at.millis_since(now)).unwrap_or(0)).min(queue.idle)
            })
        };
        let bell = async {
            match queue.bell {
                Some(bell) => bell.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = bell => {}
            _ = shutdown.changed() => {}
        }
    }
}
