//! What every handler can reach: the store, the clock, the configuration and the
//! scheduler's wake-up. Generic over the store, which startup picks once.

use std::sync::Arc;

use youying_core::ports::Store;
use youying_core::{Clock, Timestamp};

use crate::config::Config;
use crate::scheduler::Wake;

pub struct App<S: Store> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub wake: Arc<Wake>,
}

impl<S: Store> Clone for App<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            config: Arc::clone(&self.config),
            wake: Arc::clone(&self.wake),
        }
    }
}

impl<S: Store> std::fmt::Debug for App<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("backend", &self.store.backend()).field("config", &self.config).finish()
    }
}

impl<S: Store> App<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>, config: Config) -> Self {
        // Install the metrics recorder before anything records.
        let _ = crate::metrics::handle();
        let wake = Arc::new(Wake::default());
        let hook_wake = Arc::clone(&wake);
        store.on_deadline_scheduled(Arc::new(move |due| hook_wake.deadline_added(due)));
        Self { store, clock, config: Arc::new(config), wake }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
