//! The outbound-HTTP sender: a step function and a thin loop, like the mailer
//! and the payment checks. [`run_due`] claims due rows (SKIP LOCKED + a lease,
//! so instances share the work and a crashed one's rows come back), builds
//! each request with no transaction open, signs it with the API key's secret
//! (`youying_dock::Signer`, the same headers as a request to the open API),
//! POSTs it through the egress client the rules allow, and records the result:
//! a 2xx is sent; anything else is tried again after the backoff in
//! `core::outbound`, until 24 hours have passed.

use std::time::Duration;

use tokio::sync::watch;
use youying_core::Timestamp;
use youying_core::error::Result;
use youying_core::outbound::{self, Outbound};
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_dock::Signer;

use crate::app::open_wire::render_callback;
use crate::state::App;
use crate::worker;

const BATCH: usize = 20;
/// A claimed row is hidden from other senders this long: far above the
/// client's 15 s timeout times a batch.
const LEASE_SECS: i64 = 600;
/// The loop looks again at least this often, whatever it was told.
const IDLE: Duration = Duration::from_secs(30);

/// What one [`run_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutboundOutcome {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Why one attempt failed: the status (if any answer came), a short text,
/// and whether trying again is pointless (the signing key was revoked).
type Failure = (Option<i64>, String, bool);

fn fail(error: impl Into<String>) -> Failure {
    (None, error.into(), false)
}

async fn build<S: Store>(app: &App<S>, row: &Outbound) -> std::result::Result<(Vec<u8>, Signer), Failure> {
    let key_id = row.sign_key.ok_or_else(|| fail("no signing key"))?;
    let key = app
        .store
        .read(move |tx| tx.api_key(key_id))
        .await
        .map_err(|e| fail(format!("key: {e}")))?
        .ok_or_else(|| fail("key gone"))?;
    // A revoked key signs nothing more: its owner withdrew it.
    if !key.active() {
        return Err((None, "API 密钥已停用".to_owned(), true));
    }
    let body = render_callback(app, row).await.map_err(|e| fail(format!("render: {}", e.body.code)))?;
    let secret = app.vault.open_secret(&key.secret).map_err(|e| fail(format!("key: {e}")))?;
    Ok((body, Signer::new(key.key_id, secret)))
}

async fn send<S: Store>(app: &App<S>, row: &Outbound, allow_private: bool) -> std::result::Result<i64, Failure> {
    let (body, signer) = build(app, row).await?;
    let signed = signer.sign("POST", &row.url, app.now().secs(), &body);
    let mut req =
        app.egress.client(allow_private).post(&row.url).header(reqwest::header::CONTENT_TYPE, "application/json");
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    let resp = req.body(body).send().await.map_err(|e| fail(format!("unreachable: {e}")))?;
    let status = i64::from(resp.status().as_u16());
    if resp.status().is_success() { Ok(status) } else { Err((Some(status), format!("HTTP {status}"), false)) }
}

/// Sends every request that is due at `now`; tests call this after moving the clock.
pub async fn run_due<S: Store>(app: &App<S>, now: Timestamp) -> Result<OutboundOutcome> {
    let mut out = OutboundOutcome::default();
    let allow_private = app.store.read(|tx| Ok(rules::in_force(tx)?.get(Rule::AllowPrivateAddresses) == 1)).await?;
    loop {
        let claimed = app.store.write(move |tx| tx.claim_outbound(now, now.plus_secs(LEASE_SECS), BATCH)).await?;
        let count = claimed.len();
        for row in claimed {
            let result = send(app, &row, allow_private).await;
            let (id, at) = (row.id, app.now());
            match result {
                Ok(status) => {
                    app.store.write(move |tx| tx.outbound_sent(id, at, status)).await?;
                    out.sent += 1;
                }
                Err((status, error, permanent)) => {
                    let retry = if permanent { None } else { outbound::retry_at(row.created_at, row.attempts, now) };
                    if retry.is_some() {
                        out.retried += 1
                    } else {
                        out.failed += 1
                    }
                    tracing::warn!(id, error = %error, "callback not delivered");
                    app.store.write(move |tx| tx.outbound_failed(id, retry, status, &error)).await?;
                }
            }
        }
        if count < BATCH {
            return Ok(out);
        }
    }
}

/// The loop until `shutdown` ([`crate::worker`]): the due requests, woken
/// early when a commit queues one.
pub async fn run<S: Store>(app: App<S>, shutdown: watch::Receiver<bool>) {
    let queue = worker::Queue { name: "outbound", bell: Some(&app.wake.outbound), idle: IDLE };
    let a = &app;
    let step = move || async move { run_due(a, a.now()).await.map(drop) };
    worker::run(a, queue, step, move || a.store.read(|tx| tx.next_outbound_due()), shutdown).await;
}
