//! Checkout and the order as everyone sees it: what the API and the pages share.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::error::Conflict;
use youying_core::orders::{self, Checkout, Order};
use youying_core::ports::Store;
use youying_core::stock::ClaimedUnit;
use youying_core::values::{OrderId, ProductId};

use crate::error::{ApiResult, AppError};
use crate::state::App;
use crate::vault::OpenUnit;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewOrder {
    pub product_id: i64,
    #[serde(default = "one")]
    pub quantity: i64,
    /// For direct top-ups: the declared fields, e.g. `{"qq": "123456"}`.
    #[schema(value_type = Option<Object>)]
    pub topup_target: Option<serde_json::Value>,
    /// Pay what the wallet lacks through a gateway: with this, a short wallet
    /// answers `202 {payment}` instead of `422 insufficient_balance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay: Option<PayWith>,
}

/// The channel (and optionally the gateway) a buyer pays a shortfall through.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayWith {
    /// `alipay`, `wxpay` or `qqpay`.
    pub channel: String,
    pub gateway: Option<String>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub no: String,
    pub state: String,
    pub state_label: String,
    pub kind: String,
    pub product_id: i64,
    pub shop_id: i64,
    pub buyer_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
    pub escrow_fen: i64,
    pub snapshot_sha256: String,
    #[schema(value_type = Option<Object>)]
    pub topup_target: Option<serde_json::Value>,
    pub fulfil_note: Option<String>,
    pub created_at: i64,
    pub promise_due: Option<i64>,
    pub topup_overdue: bool,
    /// The buyer may cancel for an instant refund (an overdue top-up).
    pub cancellable: bool,
    pub protect_until: Option<i64>,
    pub closed_at: Option<i64>,
}

pub fn view(o: &Order, now: youying_core::Timestamp) -> OrderView {
    OrderView {
        no: o.no.clone(),
        state: o.state.as_str().to_owned(),
        state_label: o.state.label().to_owned(),
        kind: o.kind.as_str().to_owned(),
        product_id: o.product_id.0,
        shop_id: o.shop_id.0,
        buyer_id: o.buyer_id.0,
        quantity: o.quantity,
        unit_price_fen: o.unit_price.get(),
        total_fen: o.total.get(),
        escrow_fen: o.escrow_fen,
        snapshot_sha256: o.snapshot_hash.clone(),
        topup_target: o.topup_target.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        fulfil_note: o.fulfil_note.clone(),
        created_at: o.created_at.millis(),
        promise_due: o.promise_due.map(|t| t.millis()),
        topup_overdue: o.topup_overdue,
        cancellable: o.cancellable(now),
        protect_until: o.protect_until.map(|t| t.millis()),
        closed_at: o.closed_at.map(|t| t.millis()),
    }
}

pub(crate) fn open_units<S: Store>(app: &App<S>, units: &[ClaimedUnit]) -> ApiResult<Vec<OpenUnit>> {
    units.iter().map(|u| app.vault.open(u).map_err(AppError::from)).collect()
}

pub(crate) fn random_u64() -> ApiResult<u64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| youying_core::StorageError(format!("random: {e}")))?;
    Ok(u64::from_le_bytes(b))
}

/// Checkout shared by the API and the pages.
pub async fn place<S: Store>(
    app: &App<S>,
    buyer: User,
    n: &NewOrder,
    idempotency_key: Option<String>,
) -> ApiResult<(bool, Order, Vec<OpenUnit>)> {
    let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(n).unwrap_or_default()));
    if idempotency_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 100) {
        return Err(Error::Invalid { field: "idempotency_key", reason: "length_1_100" }.into());
    }
    let req = Checkout {
        product_id: ProductId(n.product_id),
        quantity: n.quantity,
        topup_target: n.topup_target.clone(),
        idempotency: idempotency_key.clone().map(|k| (k, request_hash.clone())),
        order_no: orders::order_no(app.now(), random_u64()?),
    };
    let now = app.now();
    let b = buyer.clone();
    let out = match app.store.write(move |tx| orders::checkout(tx, now, &b, &req)).await {
        // A twin request with the same key committed first: answer with its order.
        Err(Error::Conflict(Conflict::IdempotencyKeyInFlight)) => {
            let key = idempotency_key.unwrap_or_default();
            let req = Checkout {
                product_id: ProductId(n.product_id),
                quantity: n.quantity,
                topup_target: n.topup_target.clone(),
                idempotency: Some((key, request_hash)),
                order_no: String::new(),
            };
            app.store.write(move |tx| orders::checkout(tx, now, &buyer, &req)).await?
        }
        other => other?,
    };
    if out.order.state == orders::OrderState::Sourcing && !out.replay {
        let (order, units) = await_source(app, out.order.id).await?;
        return Ok((false, order, open_units(app, &units)?));
    }
    Ok((out.replay, out.order.clone(), open_units(app, &out.units)?))
}

/// How long a checkout of a mapped product waits for the upstream's answer
/// before it answers "being ordered" (the loop finishes the order).
const SOURCE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Places a fresh order of a mapped product upstream at once and waits for it
/// a while. The step runs in its own task: a slow upstream is left to finish
/// there, never cut off halfway. A refusal has refunded the buyer: said plainly.
pub(crate) async fn await_source<S: Store>(app: &App<S>, id: OrderId) -> ApiResult<(Order, Vec<ClaimedUnit>)> {
    let a = app.clone();
    let deadline = tokio::time::Instant::now() + SOURCE_WAIT;
    let task = tokio::spawn(async move { crate::sourcing::run_orders(&a, Some(id)).await });
    // Zero steps worked: another task (the loop, another instance) holds this
    // step right now, so its answer is coming; wait for it rather than say 202.
    let elsewhere = match tokio::time::timeout_at(deadline, task).await {
        Ok(Ok(Ok(0))) => true,
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, order = id.0, "placing an order upstream failed; the loop retries");
            false
        }
        _ => false,
    };
    let read = || app.store.read(move |tx| Ok((tx.order(id)?.ok_or(Error::NotFound)?, tx.order_units(id)?)));
    let (mut order, mut units) = read().await?;
    while elsewhere && order.state == orders::OrderState::Sourcing && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        (order, units) = read().await?;
    }
    if order.state == orders::OrderState::Refunded {
        return Err(Error::Conflict(Conflict::SourceRefused).into());
    }
    Ok((order, units))
}
