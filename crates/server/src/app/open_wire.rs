//! The open API's answers as `youying_dock::wire` values, its errors, and the
//! callbacks the outbound sender renders when it sends them.

use serde_json::Value;
use youying_core::accounts::User;
use youying_core::apikeys::OpenOrder;
use youying_core::cases::{Case, CaseState};
use youying_core::catalogue::{Product, ProductKind};
use youying_core::deposit;
use youying_core::grades::Grade;
use youying_core::levels::{self, Level};
use youying_core::orders::Order;
use youying_core::outbound::{Outbound, OutboundKind};
use youying_core::ports::{ReadTx, Store};
use youying_core::rules::Rules;
use youying_core::stock::ClaimedUnit;
use youying_core::values::{CaseId, OrderId};
use youying_core::{Error, StorageError, Timestamp, catalogue};
use youying_dock::SignError;
use youying_dock::wire;

use crate::error::AppError;
use crate::state::App;

/// An open-API error: the status and the `wire::ErrorBody` it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    pub status: u16,
    /// Boxed: errors travel in every `Result` of this module; keep them small.
    pub body: Box<wire::ErrorBody>,
    pub retry_after: Option<i64>,
}

pub type OpenResult<T> = Result<T, OpenError>;

fn message(code: &str) -> String {
    wire::ERROR_CODES.iter().find(|(c, _, _)| *c == code).map_or_else(|| code.to_owned(), |(_, _, m)| (*m).to_owned())
}

impl OpenError {
    pub fn new(status: u16, code: &str) -> Self {
        let body = wire::ErrorBody {
            code: code.to_owned(),
            message: message(code),
            current_unit_price_fen: None,
            field: None,
            reason: None,
        };
        Self { status, body: Box::new(body), retry_after: None }
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized")
    }

    pub fn sign(e: SignError) -> Self {
        let mut err = Self::new(401, e.code());
        if let SignError::Stale { skew_secs } = e {
            err.body.message = format!("{}（相差 {skew_secs} 秒）", err.body.message);
        }
        err
    }

    pub fn rate_limited(secs: i64) -> Self {
        Self { retry_after: Some(secs), ..Self::new(429, "rate_limited") }
    }

    pub fn price_changed(current: i64) -> Self {
        let mut e = Self::new(409, "price_changed");
        e.body.current_unit_price_fen = Some(current);
        e
    }

    pub fn invalid(field: &str, reason: &str) -> Self {
        let mut e = Self::new(422, "invalid");
        e.body.field = Some(field.to_owned());
        e.body.reason = Some(reason.to_owned());
        e
    }

    pub fn invalid_url(reason: &str) -> Self {
        Self::invalid("callback_url", reason)
    }

    pub fn too_large() -> Self {
        Self::new(413, "payload_too_large")
    }
}

impl From<Error> for OpenError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::new(404, "not_found"),
            Error::Forbidden | Error::Unauthenticated => Self::new(403, "forbidden"),
            Error::Invalid { field, reason } => Self::invalid(field, reason),
            Error::IdempotencyMismatch => Self::new(422, "idempotency_mismatch"),
            Error::OutOfStock => Self::new(409, "out_of_stock"),
            Error::InsufficientFunds => Self::new(422, "insufficient_funds"),
            Error::ShopUnavailable => Self::new(409, "shop_unavailable"),
            Error::Throttled { retry_after_secs } => Self::rate_limited(retry_after_secs),
            Error::Conflict(c) => {
                let mut err = Self::new(409, "conflict");
                err.body.reason = Some(c.as_str().to_owned());
                err
            }
            Error::WindowClosed { .. } => {
                let mut err = Self::new(409, "conflict");
                err.body.reason = Some("case_window_closed".to_owned());
                err
            }
            Error::Storage(s) => {
                tracing::error!(error = %s, "open API request failed");
                Self::new(500, "internal")
            }
            other => Self::invalid("request", other.code()),
        }
    }
}

impl From<AppError> for OpenError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Core(e) => e.into(),
            AppError::Http { status, code } => Self::new(status.as_u16(), code),
        }
    }
}

impl From<StorageError> for OpenError {
    fn from(e: StorageError) -> Self {
        Error::from(e).into()
    }
}

/// The caller's level (the default one for an account without a level).
pub fn caller_level(tx: &mut dyn ReadTx, buyer: &User) -> youying_core::error::Result<wire::LevelRef> {
    let l = levels::viewer_level(tx, Some(buyer))?;
    Ok(wire::LevelRef { id: l.id.0, name: l.name, discount_bp: l.discount_bp })
}

fn grade_of(tx: &mut dyn ReadTx, p: &Product) -> youying_core::error::Result<String> {
    Ok(tx.stored_grade(p.shop_id)?.map_or(Grade::New, |g| g.grade).as_str().to_owned())
}

/// A product as the caller sees it, at the price of the caller's `level`
/// (looked up once per request with the rules in force, not once per product).
pub fn product(
    tx: &mut dyn ReadTx,
    now: Timestamp,
    level: &Level,
    r: &Rules,
    p: &Product,
) -> youying_core::error::Result<wire::Product> {
    let s = &p.spec;
    let listed = deposit::standing(tx, now, p.shop_id)?.listed();
    let shop_name = tx.shop(p.shop_id)?.map(|s| s.name).unwrap_or_default();
    let count = if s.kind.has_stock() { Some(tx.stock_count(p.id)?) } else { None };
    let protect_secs = catalogue::protect_secs(s.kind, r);
    let promise_secs = (s.kind == ProductKind::DirectTopup)
        .then(|| catalogue::topup_promise_secs(&s.promises, s.topup_promise_secs, r));
    Ok(wire::Product {
        id: p.id.0,
        shop: wire::ShopRef { id: p.shop_id.0, name: shop_name, grade: grade_of(tx, p)? },
        kind: s.kind.as_str().to_owned(),
        category: s.category.clone(),
        title: s.title.clone(),
        description: s.description.clone(),
        instructions: s.instructions.clone(),
        list_price_fen: s.price_fen,
        unit_price_fen: levels::quote_at(tx, level, p, 1)?.unit.get(),
        tiers: s.tiers.iter().map(|t| wire::Tier { min_qty: t.min_qty, unit_price_fen: t.unit_price_fen }).collect(),
        max_per_order: s.max_per_order,
        stock: wire::Stock { in_stock: count.is_none_or(|n| n > 0), count },
        topup_fields: s
            .topup_fields
            .iter()
            .map(|f| wire::TopupField { name: f.name.clone(), label: f.label.clone(), pattern: f.pattern.clone() })
            .collect(),
        promises: s.promises.clone(),
        promise_secs,
        protect_secs,
        on_sale: p.listed() && listed,
        updated_at: p.updated_at.millis(),
    })
}

fn units<S: Store>(app: &App<S>, units: &[ClaimedUnit]) -> OpenResult<Vec<wire::Unit>> {
    units
        .iter()
        .map(|u| {
            let open = app.vault.open(u).map_err(AppError::from)?;
            Ok(wire::Unit { code: open.code, secret: open.secret })
        })
        .collect()
}

/// An order with its units in the clear: only ever shown to the key that placed it.
pub fn order<S: Store>(app: &App<S>, o: &Order, link: &OpenOrder, claimed: &[ClaimedUnit]) -> OpenResult<wire::Order> {
    Ok(wire::Order {
        order_no: o.no.clone(),
        downstream_order_no: link.downstream_order_no.clone(),
        product_id: o.product_id.0,
        kind: o.kind.as_str().to_owned(),
        quantity: o.quantity,
        unit_price_fen: o.unit_price.get(),
        total_fen: o.total.get(),
        state: o.state.as_str().to_owned(),
        units: units(app, claimed)?,
        fulfilment: o
            .fulfil_note
            .clone()
            .zip(o.fulfilled_at)
            .map(|(note, at)| wire::Fulfilment { note, at: at.millis() }),
        promise_due_at: o.promise_due.map(Timestamp::millis),
        protect_until: o.protect_until.map(Timestamp::millis),
        created_at: o.created_at.millis(),
        snapshot_sha256: o.snapshot_hash.clone(),
        open_case_id: None,
    })
}

pub fn case<S: Store>(app: &App<S>, c: &Case, link: &OpenOrder, claimed: &[ClaimedUnit]) -> OpenResult<wire::Case> {
    // A reissue replaced the order's units: the fresh ones are the case's remedy.
    let reissue = c.remedy.as_deref() == Some("reissue") || c.state == CaseState::ResolvedReissued;
    let reissued = if reissue { units(app, claimed)? } else { Vec::new() };
    Ok(wire::Case {
        id: c.id.0,
        order_no: c.order_no.clone(),
        downstream_order_no: link.downstream_order_no.clone(),
        kind: c.kind.as_str().to_owned(),
        state: c.state.as_str().to_owned(),
        opened_at: c.opened_at.millis(),
        merchant_due_at: c.merchant_due.millis(),
        resolve_due_at: c.resolve_due.millis(),
        outcome: c.outcome.clone(),
        refund_fen: c.refund_fen,
        remedy: c.remedy.clone(),
        proposal_fen: c.proposal_fen,
        reissued,
        closed_at: c.closed_at.map(Timestamp::millis),
    })
}

pub async fn link_of<S: Store>(app: &App<S>, id: OrderId) -> OpenResult<OpenOrder> {
    Ok(app.store.read(move |tx| tx.open_order(id)?.ok_or(Error::NotFound)).await?)
}

/// The callback a queued row stands for, rendered as things are now (the row
/// holds only ids, so no card key waits in the clear in the outbox).
pub async fn render_callback<S: Store>(app: &App<S>, row: &Outbound) -> OpenResult<Vec<u8>> {
    let body: Value = serde_json::from_str(&row.body).map_err(|e| StorageError(format!("outbound body: {e}")))?;
    let id =
        |k: &str| body.get(k).and_then(Value::as_i64).ok_or_else(|| StorageError(format!("outbound body: no {k}")));
    let callback = match row.kind {
        OutboundKind::OrderUpdated => {
            let order_id = OrderId(id("order_id")?);
            let (o, link, claimed) = app
                .store
                .read(move |tx| {
                    let o = tx.order(order_id)?.ok_or(Error::NotFound)?;
                    let link = tx.open_order(order_id)?.ok_or(Error::NotFound)?;
                    Ok((o, link, tx.order_units(order_id)?))
                })
                .await?;
            wire::Callback {
                event: row.kind.as_str().into(),
                order: Some(order(app, &o, &link, &claimed)?),
                case: None,
            }
        }
        OutboundKind::CaseUpdated => {
            let case_id = CaseId(id("case_id")?);
            let (c, o, link, claimed) = app
                .store
                .read(move |tx| {
                    let c = tx.case(case_id)?.ok_or(Error::NotFound)?;
                    let o = tx.order(c.order_id)?.ok_or(Error::NotFound)?;
                    let link = tx.open_order(c.order_id)?.ok_or(Error::NotFound)?;
                    let claimed = tx.order_units(c.order_id)?;
                    Ok((c, o, link, claimed))
                })
                .await?;
            wire::Callback {
                event: row.kind.as_str().into(),
                order: Some(order(app, &o, &link, &claimed)?),
                case: Some(case(app, &c, &link, &claimed)?),
            }
        }
    };
    serde_json::to_vec(&callback).map_err(|e| StorageError(format!("callback: {e}")).into())
}
