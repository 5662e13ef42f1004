//! The open API (`/api/open/v1`, DOCKING.md) as the transports share it: who a
//! signed request comes from, and what each endpoint does. The JSON is the
//! `youying-dock` crate's `wire` types; building them is `open_wire.rs`.

use sha2::{Digest, Sha256};
use youying_core::accounts::User;
use youying_core::apikeys::{self, ApiKey, OpenCheckout, Placed};
use youying_core::cases::{self, Attachment, CaseType, OpenCase};
use youying_core::levels;
use youying_core::money::Account;
use youying_core::orders::{self, Checkout};
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_core::values::{CaseId, ProductId};
use youying_core::{Error, Timestamp};
use youying_dock::Signer;
use youying_dock::wire;

use super::open_wire::{self, OpenError, OpenResult, caller_level};
use crate::app::orders::random_u64;
use crate::state::App;
use youying_core::orders::OrderState;

/// Requests to the open API carry at most this much body.
pub const BODY_LIMIT: usize = 64 * 1024;
/// A case may carry screenshots as data URLs (a site relaying its buyer's case does).
pub const CASE_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A request whose signature checked out: the key and its account.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: ApiKey,
    pub user: User,
}

/// The three headers of a request, as received.
#[derive(Debug, Clone, Default)]
pub struct SignedHeaders {
    pub key_id: Option<String>,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
}

/// Finds the key, checks the signature against the app's clock and the rate
/// limit, and marks the key used (at most once a minute).
pub async fn authenticate<S: Store>(
    app: &App<S>,
    method: &str,
    path_and_query: &str,
    h: &SignedHeaders,
    body: &[u8],
) -> OpenResult<Caller> {
    let key_id = h.key_id.clone().filter(|k| apikeys::KeyId::parse(k).is_ok()).ok_or_else(OpenError::unauthorized)?;
    let found = app
        .store
        .read(move |tx| {
            let Some(key) = tx.api_key_by_key_id(&key_id)?.filter(ApiKey::active) else { return Ok(None) };
            let per_sec = rules::in_force(tx)?.get(Rule::OpenApiPerSec);
            Ok(tx.user_by_id(key.user_id)?.filter(|u| !u.disabled).map(|u| (key, u, per_sec)))
        })
        .await?;
    let (key, user, per_sec) = found.ok_or_else(OpenError::unauthorized)?;
    let secret = app.vault.open_secret(&key.secret)?;
    let now = app.now();
    let (ts, sig) = (h.timestamp.as_deref().unwrap_or(""), h.signature.as_deref().unwrap_or(""));
    Signer::new(key.key_id.clone(), secret)
        .verify(method, path_and_query, ts, sig, body, now.secs())
        .map_err(OpenError::sign)?;
    #[allow(clippy::cast_precision_loss)]
    let per_sec = per_sec as f64;
    app.open_limiter.take_at(key.id.0, now, 2.0 * per_sec, per_sec).map_err(OpenError::rate_limited)?;
    if apikeys::touch_due(&key, now) {
        let id = key.id;
        app.store.write(move |tx| tx.touch_api_key(id, now)).await?;
    }
    Ok(Caller { key, user })
}

pub async fn ping<S: Store>(app: &App<S>, c: &Caller) -> OpenResult<wire::Ping> {
    let user = c.user.clone();
    let (balance, level) =
        app.store.read(move |tx| Ok((tx.balance(Account::UserWallet(user.id))?, caller_level(tx, &user)?))).await?;
    Ok(wire::Ping {
        account: wire::AccountRef { id: c.user.id.0, name: c.user.username.clone() },
        level,
        balance_fen: balance,
        site: wire::SiteRef { name: "有应".into() },
        server_time: app.now().secs(),
    })
}

/// `updated_since` (ms): every product changed since, off-sale ones included
/// (`on_sale: false`, so a reseller hides them); without it, what is on sale.
pub async fn products<S: Store>(
    app: &App<S>,
    c: &Caller,
    updated_since: Option<i64>,
    limit: Option<usize>,
) -> OpenResult<wire::ProductList> {
    let limit = limit.unwrap_or(100).clamp(1, 500);
    let (user, now) = (c.user.clone(), app.now());
    let since = updated_since.map_or(Timestamp::from_millis(i64::MIN), Timestamp::from_millis);
    let list = app
        .store
        .read(move |tx| {
            let (level, r) = (levels::viewer_level(tx, Some(&user))?, rules::in_force(tx)?);
            let mut out = Vec::new();
            for p in tx.products_changed_since(since, limit)? {
                let item = open_wire::product(tx, now, &level, &r, &p)?;
                if updated_since.is_some() || item.on_sale {
                    out.push(item);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(wire::ProductList { products: list, server_time: app.now().secs() })
}

pub async fn product<S: Store>(app: &App<S>, c: &Caller, id: i64) -> OpenResult<wire::Product> {
    let (user, now) = (c.user.clone(), app.now());
    let p = app
        .store
        .read(move |tx| {
            let p = tx.product(ProductId(id))?.ok_or(Error::NotFound)?;
            let (level, r) = (levels::viewer_level(tx, Some(&user))?, rules::in_force(tx)?);
            open_wire::product(tx, now, &level, &r, &p)
        })
        .await?;
    // A hidden listing's details are nobody's business; its id answers like an unknown one.
    if !p.on_sale {
        return Err(Error::NotFound.into());
    }
    Ok(p)
}

/// The caller's number travels in paths (`/orders/{no}`) and in signatures:
/// only characters that need no escaping there.
fn check_no(no: &str) -> OpenResult<()> {
    let ok = !no.is_empty() && no.len() <= 64 && no.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if ok { Ok(()) } else { Err(Error::Invalid { field: "downstream_order_no", reason: "chars_1_64" }.into()) }
}

/// `POST /orders`: 201 with a new order, 200 with the same order for a retry.
pub async fn place<S: Store>(app: &App<S>, c: &Caller, req: &wire::PlaceOrder) -> OpenResult<(bool, wire::Order)> {
    check_no(&req.downstream_order_no)?;
    if let Some(url) = &req.callback_url {
        let allow = app.store.read(|tx| Ok(rules::in_force(tx)?.get(Rule::AllowPrivateAddresses) == 1)).await?;
        crate::egress::check(url, allow).await.map_err(|e| OpenError::invalid_url(e.reason()))?;
    }
    let hash = hex::encode(Sha256::digest(serde_json::to_vec(req).unwrap_or_default()));
    let open = OpenCheckout {
        checkout: Checkout {
            product_id: ProductId(req.product_id),
            quantity: req.quantity,
            topup_target: req.topup_target.clone(),
            idempotency: Some((apikeys::idempotency_key(c.key.id, &req.downstream_order_no), hash)),
            order_no: orders::order_no(app.now(), random_u64().map_err(OpenError::from)?),
        },
        downstream_order_no: req.downstream_order_no.clone(),
        max_unit_price: req.max_unit_price_fen,
        callback_url: req.callback_url.clone(),
    };
    let run = |open: OpenCheckout| {
        let (key, user, now) = (c.key.clone(), c.user.clone(), app.now());
        app.store.write(move |tx| apikeys::place(tx, now, &key, &user, &open))
    };
    let placed = match run(open.clone()).await {
        // A twin request committed first: this one now answers with its order.
        Err(Error::Conflict(youying_core::error::Conflict::IdempotencyKeyInFlight)) => run(open).await?,
        other => other?,
    };
    match placed {
        Placed::PriceChanged { current_unit_price } => Err(OpenError::price_changed(current_unit_price.get())),
        Placed::Order(mut out) => {
            if out.order.state == OrderState::Sourcing {
                // As a buyer's checkout does: up to 10 s for the upstream, so the keys are in this answer.
                let id = out.order.id;
                (out.order, out.units) = match crate::app::orders::await_source(app, id).await {
                    Ok(done) => done,
                    // Refused upstream: the order stands refunded, as a retry would show it.
                    Err(_) => {
                        app.store
                            .read(move |tx| Ok((tx.order(id)?.ok_or(Error::NotFound)?, tx.order_units(id)?)))
                            .await?
                    }
                };
            }
            let link = open_wire::link_of(app, out.order.id).await?;
            Ok((out.replay, open_wire::order(app, &out.order, &link, &out.units)?))
        }
    }
}

pub async fn order<S: Store>(app: &App<S>, c: &Caller, no: &str) -> OpenResult<wire::Order> {
    let (key, no) = (c.key.id, no.to_owned());
    let (order, link, units, case) = app
        .store
        .read(move |tx| {
            let link = tx.open_order_by_no(key, &no)?.ok_or(Error::NotFound)?;
            let order = tx.order(link.order_id)?.ok_or(Error::NotFound)?;
            let units = tx.order_units(order.id)?;
            let case = tx.open_case_of_order(order.id)?;
            Ok((order, link, units, case))
        })
        .await?;
    let mut out = open_wire::order(app, &order, &link, &units)?;
    out.open_case_id = case.map(|c| c.id.0);
    Ok(out)
}

/// Images as `data:image/…;base64,` URLs (a bare base64 string is taken too).
fn screenshots(list: &[String]) -> OpenResult<Vec<Attachment>> {
    use base64::Engine as _;
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let data = s.split_once("base64,").map_or(s.as_str(), |(_, d)| d);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| Error::Invalid { field: "screenshots", reason: "not_base64" })?;
            Ok(Attachment { name: format!("screenshot-{}", i + 1), bytes })
        })
        .collect()
}

fn clean_text(s: &str) -> OpenResult<()> {
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::Invalid { field: "description", reason: "control_characters" }.into());
    }
    Ok(())
}

/// `POST /orders/{no}/cases`: a case on the caller's behalf, as its buyer.
pub async fn open_case<S: Store>(app: &App<S>, c: &Caller, no: &str, req: &wire::NewCase) -> OpenResult<wire::Case> {
    clean_text(&req.description)?;
    let open = OpenCase {
        kind: CaseType::parse(&req.kind)?,
        description: req.description.clone(),
        mismatched: Vec::new(),
        screenshots: screenshots(&req.screenshots)?,
    };
    let (key, user, no, now) = (c.key.id, c.user.clone(), no.to_owned(), app.now());
    let case = app
        .store
        .write(move |tx| {
            let link = tx.open_order_by_no(key, &no)?.ok_or(Error::NotFound)?;
            let order = tx.order(link.order_id)?.ok_or(Error::NotFound)?;
            cases::open(tx, now, &user, &order.no, &open)
        })
        .await?;
    case_of(app, c, case.id.0).await
}

/// `GET /cases/{id}`: only cases on orders placed with this key.
pub async fn case_of<S: Store>(app: &App<S>, c: &Caller, id: i64) -> OpenResult<wire::Case> {
    let key = c.key.id;
    let (case, link, units) = app
        .store
        .read(move |tx| {
            let case = tx.case(CaseId(id))?.ok_or(Error::NotFound)?;
            let link = tx.open_order(case.order_id)?.filter(|l| l.api_key_id == key).ok_or(Error::NotFound)?;
            let units = tx.order_units(case.order_id)?;
            Ok((case, link, units))
        })
        .await?;
    open_wire::case(app, &case, &link, &units)
}
