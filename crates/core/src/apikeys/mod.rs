//! API keys (开放接口) and the orders placed with them.
//!
//! ```text
//! create (≤ 10 active per account) ─▶ active ─revoke─▶ revoked (kept: its orders point at it)
//! ```
//! A key's secret is the HMAC key of every signed request, so it is sealed
//! (the Vault), never hashed: it has to be opened to verify a signature and
//! to sign the callbacks. An order placed through the open API is an ordinary
//! checkout ([`crate::orders::checkout`]) plus a link row naming the key and
//! the caller's own number, written in the same transaction.

pub mod model;
pub mod port;

pub use self::model::{ApiKey, ApiKeyId, KeyId, KeyName, NewApiKey, OpenOrder};
pub use self::port::{ApiKeyRead, ApiKeyTx};

use serde_json::json;

use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::levels;
use crate::money::Fen;
use crate::orders::{self, Checkout, CheckoutOutcome};
use crate::payments::model::Sealed;
use crate::ports::Tx;
use crate::values::Role;

/// Active keys one account may hold.
pub const MAX_ACTIVE: usize = 10;

/// How often a key's `last_used_at` is written, at most (ms).
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// Creates a key; the caller drew the key id and the secret, and sealed the secret.
pub fn create(
    tx: &mut dyn Tx,
    now: Timestamp,
    owner: &User,
    name: &KeyName,
    key_id: KeyId,
    secret: Sealed,
) -> Result<ApiKey> {
    // Like API tokens: a guest proves too little to act through a machine.
    crate::authz::full_account(owner)?;
    if tx.api_keys_of(owner.id)?.iter().filter(|k| k.active()).count() >= MAX_ACTIVE {
        return Err(Error::Invalid { field: "api_keys", reason: "at_most_10_active" });
    }
    let id = tx.insert_api_key(&NewApiKey {
        user_id: owner.id,
        key_id: key_id.clone(),
        name: name.clone(),
        secret,
        created_at: now,
    })?;
    tx.append(NewEvent::new(
        now,
        Some(owner.id),
        "api_key.created",
        format!("user:{}", owner.id),
        json!({ "api_key_id": id.0, "key_id": key_id.as_str(), "name": name.as_str() }),
    ))?;
    tx.api_key(id)?.ok_or(Error::NotFound)
}

/// Revokes one of the owner's keys. Someone else's, or one already revoked: 404.
pub fn revoke(tx: &mut dyn Tx, now: Timestamp, owner: &User, id: ApiKeyId) -> Result<ApiKey> {
    let key = tx.api_key(id)?.filter(|k| k.user_id == owner.id && k.active()).ok_or(Error::NotFound)?;
    if !tx.revoke_api_key(id, now)? {
        return Err(Error::NotFound);
    }
    tx.append(NewEvent::new(
        now,
        Some(owner.id),
        "api_key.revoked",
        format!("user:{}", owner.id),
        json!({ "api_key_id": id.0, "key_id": key.key_id }),
    ))?;
    tx.api_key(id)?.ok_or(Error::NotFound)
}

/// Whether a request at `now` should write the key's `last_used_at`.
pub fn touch_due(key: &ApiKey, now: Timestamp) -> bool {
    key.last_used_at.is_none_or(|at| now.millis_since(at) >= TOUCH_EVERY_MS)
}

/// An order asked for through the open API.
#[derive(Debug, Clone)]
pub struct OpenCheckout {
    /// The checkout, its idempotency key already derived from the API key
    /// and the caller's number ([`idempotency_key`]).
    pub checkout: Checkout,
    pub downstream_order_no: String,
    pub max_unit_price: i64,
    pub callback_url: Option<String>,
}

/// The idempotency key an open-API order is stored under, per API key.
pub fn idempotency_key(key: ApiKeyId, downstream_order_no: &str) -> String {
    format!("open:{}:{downstream_order_no}", key.0)
}

#[derive(Debug, Clone)]
pub enum Placed {
    Order(Box<CheckoutOutcome>),
    /// One unit costs the caller more than it allowed; nothing was written.
    PriceChanged {
        current_unit_price: Fen,
    },
}

/// Places an open-API order in one transaction: a retry of the same number
/// answers the first order (or `IdempotencyMismatch`); a new one is priced
/// for the caller first, refused above `max_unit_price`, then checked out and
/// linked to the key.
pub fn place(tx: &mut dyn Tx, now: Timestamp, key: &ApiKey, buyer: &User, req: &OpenCheckout) -> Result<Placed> {
    if buyer.role != Role::Buyer || buyer.id != key.user_id {
        return Err(Error::Forbidden);
    }
    let (idem, _) =
        req.checkout.idempotency.as_ref().ok_or(Error::Invalid { field: "idempotency", reason: "missing" })?;
    // A retry is answered as it was placed, whatever the price is now.
    if tx.idempotency(buyer.id, idem)?.is_none()
        && let Some(product) = tx.product(req.checkout.product_id)?.filter(|p| p.on_sale)
    {
        // The price checkout will charge: the caller's level decides.
        let unit = levels::quote(tx, Some(buyer), &product, req.checkout.quantity)?.unit;
        if unit.get() > req.max_unit_price {
            return Ok(Placed::PriceChanged { current_unit_price: unit });
        }
    }
    let out = orders::checkout(tx, now, buyer, &req.checkout)?;
    if !out.replay {
        tx.insert_open_order(&OpenOrder {
            order_id: out.order.id,
            api_key_id: key.id,
            downstream_order_no: req.downstream_order_no.clone(),
            callback_url: req.callback_url.clone(),
            created_at: now,
        })?;
    }
    Ok(Placed::Order(Box::new(out)))
}
