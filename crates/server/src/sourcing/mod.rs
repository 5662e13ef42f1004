//! 货源对接's outbound work, as steps and a thin loop: the sync of each
//! connection's catalogue, and the orders owed upstream. Both are claimed in
//! the database (`SKIP LOCKED` + a lease, so instances share the work and a
//! crashed one's claims come back), called with no transaction open, and
//! answered in one transaction by the core (`sourcing::synced`,
//! `sourcing::answered`). A step that was claimed before may already have
//! reached the upstream: it asks first (`GET /orders/{no}`) and posts again
//! only on a 404 — the upstream is idempotent on the number anyway. Cases on
//! sourced orders are relayed upstream the same way (`cases`).

pub mod cases;
pub mod client;
pub mod topup;

use std::time::Duration;

use tokio::sync::watch;
use youying_core::catalogue::{ProductKind, TopupField};
use youying_core::error::Result;
use youying_core::ports::Store;
use youying_core::sourcing::{
    self, Connection, ConnectionId, Protocol, SourceAnswer, SourceItem, StepOutcome, StepState, UpstreamOrder,
};
use youying_core::stock::{ClaimedUnit, RawUnit};
use youying_core::values::OrderId;
use youying_dock::Signer;
use youying_dock::wire::{self, PlaceOrder};

use self::client::{Answer, DockClient, Supplier};
use crate::state::App;
use crate::worker;

const BATCH: usize = 10;
/// A claimed sync or step is hidden from other instances this long: far
/// above the client's timeout.
const LEASE_SECS: i64 = 120;
/// An order step is one upstream call (15 s at most, the egress client's
/// timeout) and one short transaction; a step whose instance died is picked
/// up again after this — the buyer waits for it, so not two minutes.
const STEP_LEASE_SECS: i64 = 30;
const POLL: Duration = Duration::from_secs(2);

/// The client for one connection, signing with its (unsealed) secret at the app's time.
pub fn client_for<S: Store>(app: &App<S>, c: &Connection, allow_private: bool) -> Result<DockClient> {
    let secret = app.vault.open_secret(&c.secret)?;
    let http = app.egress.client(allow_private).clone();
    Ok(DockClient::new(http, &c.base_url, Signer::new(c.key_id.clone(), secret), app.now().secs()))
}

/// The rule `allow_private_addresses`, in force now.
pub async fn allow_private<S: Store>(app: &App<S>) -> Result<bool> {
    let rules = app.store.read(|tx| youying_core::rules::in_force(tx)).await?;
    Ok(rules.get(youying_core::rules::Rule::AllowPrivateAddresses) == 1)
}

/// An upstream product in the core's words.
pub fn item_of(p: &wire::Product) -> Option<SourceItem> {
    Some(SourceItem {
        upstream_product_id: p.id,
        kind: ProductKind::parse(&p.kind).ok()?,
        category: p.category.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        instructions: p.instructions.clone(),
        cost_fen: p.unit_price_fen,
        on_sale: p.on_sale,
        in_stock: p.stock.in_stock,
        // A count-less "in stock" still has to read as buyable.
        stock_count: p.stock.count.or(Some(if p.stock.in_stock { 999 } else { 0 })),
        max_per_order: p.max_per_order,
        promises: p.promises.clone(),
        promise_secs: p.promise_secs,
        topup_fields: p
            .topup_fields
            .iter()
            .map(|f| TopupField {
                name: f.name.clone(),
                label: f.label.clone(),
                pattern: f.pattern.clone(),
                required: true,
            })
            .collect(),
    })
}

/// Reads every due connection's catalogue and applies it; returns how many synced.
pub async fn run_syncs<S: Store>(app: &App<S>) -> Result<usize> {
    let allow = allow_private(app).await?;
    let now = app.now();
    let claimed = app.store.write(move |tx| tx.claim_syncs(now, now.plus_secs(LEASE_SECS), BATCH)).await?;
    let count = claimed.len();
    for c in claimed {
        let read = match client_for(app, &c, allow) {
            Ok(client) => client.products().await.map(|ps| ps.iter().filter_map(item_of).collect::<Vec<_>>()),
            Err(e) => Err(e.to_string()),
        };
        let (now, id) = (app.now(), c.id);
        app.store
            .write(move |tx| sourcing::synced(tx, now, id, read.as_deref().map_err(String::as_str)).map(|_| ()))
            .await?;
    }
    Ok(count)
}

/// Where the upstream should call back about this connection's orders, when
/// the platform knows its public address.
fn callback_url<S: Store>(app: &App<S>, c: &Connection) -> Option<String> {
    let base = app.config.public_url.as_deref()?;
    Some(format!("{}/dock/callback/{}", base.trim_end_matches('/'), c.id.0))
}

/// One step: place, or ask first when an earlier try may have reached the upstream.
async fn ask<P: Supplier>(supplier: &P, step: &UpstreamOrder, req: &PlaceOrder) -> Answer {
    if step.state == StepState::Awaiting || step.attempts > 1 {
        match supplier.query(&step.downstream_order_no).await {
            Answer::NotFound if step.state == StepState::Placing => supplier.place(req).await,
            Answer::NotFound => Answer::Unknown("the upstream no longer knows the order".into()),
            other => other,
        }
    } else {
        supplier.place(req).await
    }
}

/// The answer in the core's words: units sealed by the vault here.
fn sealed<S: Store>(app: &App<S>, answer: Answer) -> SourceAnswer {
    match answer {
        Answer::Delivered { upstream_order_no, units } => {
            let mut out = Vec::with_capacity(units.len());
            for (line, u) in units.into_iter().enumerate() {
                let raw = RawUnit { line: line + 1, code: u.code, secret: u.secret };
                match app.vault.seal(&raw) {
                    Ok(s) => out.push(ClaimedUnit {
                        fingerprint: s.fingerprint,
                        code_enc: s.code_enc,
                        secret_enc: s.secret_enc,
                    }),
                    Err(e) => return SourceAnswer::Unknown { error: e.to_string() },
                }
            }
            SourceAnswer::Delivered { upstream_order_no, units: out }
        }
        Answer::Accepted { upstream_order_no } => SourceAnswer::Accepted { upstream_order_no },
        Answer::Fulfilled { upstream_order_no, note } => SourceAnswer::Fulfilled { upstream_order_no, note },
        Answer::Refunded { upstream_order_no } => SourceAnswer::Refunded { upstream_order_no },
        Answer::Refused { code, message, current_unit_price_fen } => {
            SourceAnswer::Refused { code, message, current_unit_price_fen }
        }
        Answer::NotFound => SourceAnswer::Unknown { error: "not found".into() },
        Answer::Unknown(error) => SourceAnswer::Unknown { error },
    }
}

/// Applies an answer that arrived by itself (a verified callback).
pub async fn apply<S: Store>(app: &App<S>, order: OrderId, answer: Answer) -> Result<StepOutcome> {
    apply_noting(app, order, answer, None).await
}

/// Applies an answer and, for a direct-top-up supplier, notes its health
/// (`Some(error)`: nothing heard) in the same transaction.
async fn apply_noting<S: Store>(
    app: &App<S>,
    order: OrderId,
    answer: Answer,
    health: Option<(ConnectionId, Option<String>)>,
) -> Result<StepOutcome> {
    let answer = sealed(app, answer);
    let now = app.now();
    app.store
        .write(move |tx| {
            let out = sourcing::answered(tx, now, order, &answer)?;
            if let Some((id, error)) = &health {
                sourcing::supplier::noted(tx, now, *id, error.as_deref())?;
            }
            Ok(out)
        })
        .await
}

/// One step at its connection, in the connection's protocol.
async fn call<S: Store>(app: &App<S>, c: &Connection, step: &UpstreamOrder, allow: bool) -> Result<Answer> {
    let req = PlaceOrder {
        product_id: step.upstream_product_id,
        quantity: step.quantity,
        downstream_order_no: step.downstream_order_no.clone(),
        max_unit_price_fen: step.max_unit_price_fen,
        topup_target: step.topup_target.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        callback_url: callback_url(app, c),
    };
    Ok(match c.protocol {
        Protocol::Youying => ask(&client_for(app, c, allow)?, step, &req).await,
        Protocol::HttpJson => ask(&topup::client_for(app, c, step, allow)?, step, &req).await,
    })
}

/// Works the due order steps (with `only`, that order's step alone); returns how many.
pub async fn run_orders<S: Store>(app: &App<S>, only: Option<OrderId>) -> Result<usize> {
    let allow = allow_private(app).await?;
    let mut done = 0;
    loop {
        let now = app.now();
        let claimed = app
            .store
            .write(move |tx| {
                let steps = tx.claim_upstream_orders(now, now.plus_secs(STEP_LEASE_SECS), only, BATCH)?;
                steps.into_iter().map(|s| Ok((tx.connection(s.connection_id)?, s))).collect::<Result<Vec<_>>>()
            })
            .await?;
        let count = claimed.len();
        for (connection, step) in claimed {
            let answer = match &connection {
                Some(c) => match call(app, c, &step, allow).await {
                    Ok(answer) => {
                        // A crash here is the worst moment: the upstream holds the order, we do not.
                        crate::failpoint::hit("sourcing.answered");
                        answer
                    }
                    Err(e) => Answer::Unknown(e.to_string()),
                },
                None => Answer::Unknown("connection missing".into()),
            };
            let health = connection.filter(|c| c.protocol == Protocol::HttpJson).map(|c| {
                let error = match &answer {
                    Answer::Unknown(e) => Some(e.clone()),
                    _ => None,
                };
                (c.id, error)
            });
            apply_noting(app, step.order_id, answer, health).await?;
            done += 1;
        }
        if count < BATCH || only.is_some() {
            return Ok(done);
        }
    }
}

/// The loop until `shutdown` ([`crate::worker`]): the due syncs, upstream
/// orders and relayed cases, each failing on its own.
pub async fn run<S: Store>(app: App<S>, shutdown: watch::Receiver<bool>) {
    let queue = worker::Queue { name: "sourcing", bell: None, idle: POLL };
    let a = &app;
    let step = move || async move {
        if let Err(e) = run_syncs(a).await {
            tracing::error!(error = %e, "upstream sync failed");
        }
        if let Err(e) = run_orders(a, None).await {
            tracing::error!(error = %e, "upstream orders failed");
        }
        if let Err(e) = cases::run_cases(a).await {
            tracing::error!(error = %e, "relayed cases failed");
        }
        Ok(())
    };
    let next =
        move || a.store.read(|tx| Ok([tx.next_sourcing_due()?, tx.next_relay_due()?].into_iter().flatten().min()));
    worker::run(a, queue, step, next, shutdown).await;
}
