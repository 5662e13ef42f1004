//! The gateway order queries payment attempts owe, as a step and a thin loop.
//!
//! A query is owed (in the database, in the transaction that made it due) by a
//! verified notify, an expiry, or the reconciliation. [`run_checks`] claims
//! what is due — `SKIP LOCKED` and a lease, so instances share the work and a
//! crashed one's claims come back — asks the gateway with no transaction open,
//! and hands the answer to `payments::checked`, which alone credits. The loop
//! reconciles and runs the step every few seconds; the notify endpoint runs the
//! step at once, so a paid buyer waits for one query, not for the loop.

use std::time::Duration;

use tokio::sync::watch;
use youying_core::error::Result;
use youying_core::payments::{self, Attempt, CheckOutcome, Gateway, QueryResult};
use youying_core::ports::Store;
use youying_epay::query::{QueryAnswer, QueryCall, QueryMethod, parse_answer};
use youying_epay::{BaseUrl, OutTradeNo};

use crate::app::payments::credentials;
use crate::state::App;

const BATCH: usize = 10;
const BATCHES: usize = 10;
/// A claimed query is hidden from other instances this long, far above the
/// client's timeout times a batch.
const LEASE_SECS: i64 = 300;
/// The largest answer read from a gateway.
const MAX_ANSWER: usize = 64 * 1024;
const POLL: Duration = Duration::from_secs(3);
const RECONCILE_BATCH: usize = 200;

/// What one [`run_checks`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckSummary {
    pub asked: usize,
    pub credited: usize,
    pub unpaid: usize,
    pub retried: usize,
}

/// Asks the gateways about every attempt whose query is due, and acts on the answers.
pub async fn run_checks<S: Store>(app: &App<S>) -> Result<CheckSummary> {
    let mut summary = CheckSummary::default();
    for _ in 0..BATCHES {
        let now = app.now();
        let claimed = app
            .store
            .write(move |tx| {
                let attempts = tx.claim_checks(now, now.plus_secs(LEASE_SECS), BATCH)?;
                attempts.into_iter().map(|a| Ok((tx.gateway(&a.gateway)?, a))).collect::<Result<Vec<_>>>()
            })
            .await?;
        let count = claimed.len();
        for (gateway, attempt) in claimed {
            let result = match &gateway {
                Some(g) => query(app, g, &attempt).await,
                None => QueryResult::Refused("gateway removed".into()),
            };
            let (now, id) = (app.now(), attempt.id);
            let outcome = app.store.write(move |tx| payments::checked(tx, now, id, &result)).await?;
            summary.asked += 1;
            match outcome {
                CheckOutcome::Credited => summary.credited += 1,
                CheckOutcome::Unpaid | CheckOutcome::WrongAmount => summary.unpaid += 1,
                CheckOutcome::Retry => summary.retried += 1,
                CheckOutcome::AlreadyPaid => {}
            }
        }
        if count < BATCH {
            break;
        }
    }
    Ok(summary)
}

/// Owes a query for every pending attempt no notify settled; returns how many.
pub async fn reconcile<S: Store>(app: &App<S>) -> Result<usize> {
    let now = app.now();
    app.store.write(move |tx| payments::reconcile(tx, now, RECONCILE_BATCH)).await
}

/// Asks the attempt's gateway about it. Never fails: what went wrong is an answer too.
async fn query<S: Store>(app: &App<S>, g: &Gateway, a: &Attempt) -> QueryResult {
    let refused = |e: &dyn std::fmt::Display| QueryResult::Refused(e.to_string());
    let credentials = match credentials(&app.vault, g) {
        Ok(c) => c,
        Err(e) => return refused(&e),
    };
    let (base, out_trade_no) = match (BaseUrl::parse(&g.base_url), OutTradeNo::parse(&a.out_trade_no)) {
        (Ok(b), Ok(o)) => (b, o),
        (Err(e), _) | (_, Err(e)) => return refused(&e),
    };
    let call = match QueryCall::new(&base, &g.pid, &credentials, &out_trade_no, app.now().secs()) {
        Ok(c) => c,
        Err(e) => return refused(&e),
    };
    let body = match fetch(&app.http, &call).await {
        Ok(body) => body,
        Err(e) => return QueryResult::Unreachable(e),
    };
    match parse_answer(&body, &credentials, &g.pid, &out_trade_no) {
        Ok(QueryAnswer::Paid { trade_no, amount_fen }) => QueryResult::Paid { trade_no, amount_fen },
        // Refunded, frozen …: not paid now, never to be credited.
        Ok(QueryAnswer::Unpaid | QueryAnswer::Other { .. }) => QueryResult::Unpaid,
        Ok(QueryAnswer::NotFound) => QueryResult::NotFound,
        Ok(QueryAnswer::Refused { code, msg }) => QueryResult::Refused(format!("code {code}: {msg}")),
        Err(e) => refused(&e),
    }
}

/// Sends the query (V1: a GET; V2: a form POST) and reads at most
/// [`MAX_ANSWER`] bytes of a 2xx answer. The error never shows the URL (a V1
/// URL carries the merchant key).
async fn fetch(http: &reqwest::Client, call: &QueryCall) -> std::result::Result<String, String> {
    let request = match call.method() {
        QueryMethod::Get => http.get(call.url()),
        QueryMethod::Post => http
            .post(call.url())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(call.form_body().unwrap_or_default()),
    };
    let mut resp = request.send().await.map_err(|e| format!("request failed: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("read failed: {}", e.without_url()))? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err("answer too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "answer not UTF-8".into())
}

/// Passes between reconciliations: the reconciliation only looks at attempts
/// minutes old, so once a minute is plenty.
const RECONCILE_EVERY_PASSES: u32 = 20;

/// The loop until `shutdown`: every few seconds, the queries that are due (a
/// read first, so an idle platform opens no write transaction), and now and
/// then the reconciliation.
pub async fn run<S: Store>(app: App<S>, mut shutdown: watch::Receiver<bool>) {
    for pass in 0_u32.. {
        if *shutdown.borrow() {
            return;
        }
        if pass % RECONCILE_EVERY_PASSES == 0
            && let Err(e) = reconcile(&app).await
        {
            tracing::error!(error = %e, "payment reconciliation failed");
        }
        let due = match app.store.read(|tx| tx.next_check_due()).await {
            Ok(next) => next.is_some_and(|at| at <= app.now()),
            Err(e) => {
                tracing::error!(error = %e, "payment queries: reading what is due failed");
                false
            }
        };
        if due && let Err(e) = run_checks(&app).await {
            tracing::error!(error = %e, "payment queries failed");
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => {}
        }
    }
}
