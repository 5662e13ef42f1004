//! A store wrapper that notes when each firing transaction was asked for and
//! when it had committed. The scheduler captures "now" just before it calls
//! `write`, and that "now" is what the engine stores as `fired_at`; the commit
//! comes later, after the batch's work and the fsync. Only this wrapper can see
//! the commit, so it is how "lateness to commit" is measured.

use std::any::Any;
use std::sync::{Arc, Mutex};

use youying_core::deadline::Outcome;
use youying_core::error::Result;
use youying_core::ports::{DeadlineHook, ReadTx, Store, Tx};

use crate::util::{Batch, now_us};

#[derive(Clone)]
pub struct Timed<S> {
    inner: S,
    batches: Arc<Mutex<Vec<Batch>>>,
}

impl<S> std::fmt::Debug for Timed<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timed").finish_non_exhaustive()
    }
}

impl<S: Store> Timed<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, batches: Arc::new(Mutex::new(Vec::with_capacity(100_000))) }
    }

    /// The firing transactions so far (writes whose result was an [`Outcome`]).
    pub fn batches(&self) -> Vec<Batch> {
        self.batches.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl<S: Store> Store for Timed<S> {
    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let start_us = now_us();
        let r = self.inner.write(f).await?;
        let end_us = now_us();
        if let Some(out) = (&r as &dyn Any).downcast_ref::<Outcome>()
            && let Ok(mut b) = self.batches.lock()
        {
            b.push(Batch { start_us, end_us, fired: u32::try_from(out.fired).unwrap_or(u32::MAX) });
        }
        Ok(r)
    }

    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn ReadTx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.inner.read(f).await
    }

    fn on_deadline_scheduled(&self, hook: DeadlineHook) {
        self.inner.on_deadline_scheduled(hook);
    }

    fn on_publish(&self, hook: youying_core::ports::PublishHook) {
        self.inner.on_publish(hook);
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
