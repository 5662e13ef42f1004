//! What every handler can reach: the store, the clock, the configuration and the
//! scheduler's wake-up. Generic over the store, which startup picks once.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use youying_core::ports::Store;
use youying_core::{Clock, Timestamp};
use youying_search::SearchIndex;

use crate::config::{Config, MailConfig, PushApis};
use crate::egress::Egress;
// Defined beside the egress clients (which need it too), so the two files do
// not import each other; callers keep reaching it here.
pub use crate::egress::tls_ready;
use crate::hub::Hub;
use crate::ratelimit::RateLimiter;
use crate::vault::Vault;
use crate::wake::Wake;

pub struct App<S: Store> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub wake: Arc<Wake>,
    pub vault: Arc<Vault>,
    pub search: SearchIndex,
    /// The search index has followed product changes up to here (ms).
    pub search_cursor: Arc<AtomicI64>,
    pub hub: Hub,
    pub limiter: Arc<RateLimiter>,
    /// Open-API requests per key (see [`crate::app::open`]).
    pub open_limiter: Arc<RateLimiter>,
    /// Web verifier uploads per client address (`app::verify::throttle`).
    pub verify_limiter: Arc<RateLimiter>,
    /// Outgoing mail; `None` when no SMTP server is configured.
    pub mail: Option<Arc<MailConfig>>,
    /// Outbound HTTP (gateway queries): timeouts set, redirects not followed.
    pub http: reqwest::Client,
    /// Outbound HTTP to addresses users typed (callbacks, upstream sites): see [`crate::egress`].
    pub egress: Egress,
    /// Where Telegram, 企业微信 and Server酱 are reached (see [`crate::push`]).
    pub push_apis: Arc<PushApis>,
}

impl<S: Store> Clone for App<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            config: Arc::clone(&self.config),
            wake: Arc::clone(&self.wake),
            vault: Arc::clone(&self.vault),
            search: self.search.clone(),
            search_cursor: Arc::clone(&self.search_cursor),
            hub: self.hub.clone(),
            limiter: Arc::clone(&self.limiter),
            open_limiter: Arc::clone(&self.open_limiter),
            verify_limiter: Arc::clone(&self.verify_limiter),
            mail: self.mail.clone(),
            http: self.http.clone(),
            egress: self.egress.clone(),
            push_apis: Arc::clone(&self.push_apis),
        }
    }
}

impl<S: Store> std::fmt::Debug for App<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("config", &self.config)
            .field("mail", &self.mail)
            .finish()
    }
}

impl<S: Store> App<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>, config: Config, vault: Vault, search: SearchIndex) -> Self {
        // Install the metrics recorder before anything records.
        let _ = crate::metrics::handle();
        let wake = Arc::new(Wake::default());
        let hook_wake = Arc::clone(&wake);
        store.on_deadline_scheduled(Arc::new(move |due| hook_wake.deadline_added(due)));
        let hub = Hub::start(&store, Arc::clone(&wake));
        Self {
            hub,
            limiter: Arc::new(RateLimiter::default()),
            // A reseller syncs and orders in bursts: 60 at once, then 10 a second.
            // Its rate is the rule `open_api_per_sec`, read per request.
            open_limiter: Arc::new(RateLimiter::default()),
            verify_limiter: Arc::new(RateLimiter::with_rate(
                crate::ratelimit::VERIFY_PER_HOUR,
                crate::ratelimit::VERIFY_PER_HOUR / 3600.0,
            )),
            store,
            clock,
            config: Arc::new(config),
            wake,
            vault: Arc::new(vault),
            search,
            search_cursor: Arc::new(AtomicI64::new(i64::MIN)),
            mail: None,
            http: outbound_client(),
            egress: Egress::new(),
            push_apis: Arc::new(PushApis::default()),
        }
    }

    /// Sends notification mail through this SMTP configuration (see [`crate::mailer`]).
    #[must_use]
    pub fn with_mail(mut self, mail: Option<MailConfig>) -> Self {
        self.mail = mail.map(Arc::new);
        self
    }

    /// Sends push notices through these service addresses instead of the real ones.
    #[must_use]
    pub fn with_push_apis(mut self, apis: PushApis) -> Self {
        self.push_apis = Arc::new(apis);
        self
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The client for calls to other systems. A gateway that hangs must not hold
/// a worker: 5 s to connect, 15 s in all; a redirect is an answer, not followed.
fn outbound_client() -> reqwest::Client {
    tls_ready();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("youying/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}
