//! The scheduler's wake-up: a commit that schedules a deadline earlier than the
//! one the loop sleeps towards wakes it. Held by the [`App`](crate::state::App)
//! (the store's hook calls it) and read by the [`scheduler`](crate::scheduler) loop.

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::Notify;
use youying_core::Timestamp;

#[derive(Debug)]
pub struct Wake {
    pub(crate) notify: Notify,
    /// The due time the loop is sleeping towards, in ms; `i64::MAX` when idle.
    pub(crate) sleeping_until: AtomicI64,
    /// Outbound requests were queued (see [`crate::outbound`]).
    pub(crate) outbound: Notify,
    /// Push deliveries were queued (see [`crate::push`]).
    pub(crate) push: Notify,
}

impl Default for Wake {
    fn default() -> Self {
        Self {
            notify: Notify::new(),
            sleeping_until: AtomicI64::new(i64::MAX),
            outbound: Notify::new(),
            push: Notify::new(),
        }
    }
}

impl Wake {
    /// Called after a commit that scheduled a deadline due at `due`.
    pub fn deadline_added(&self, due: Timestamp) {
        if due.millis() < self.sleeping_until.load(Ordering::Acquire) {
            self.notify.notify_one();
        }
    }
}
