//! Money in: the payment gateways an admin configures (易支付 V1 / V2, see
//! `shared/PAYMENTS.md`). A gateway is a name, the protocol it speaks, where it
//! lives, the merchant id and its secrets, and the channels it offers.
//!
//! ```text
//!   (none) ──put_gateway──▶ enabled ◀──put_gateway──▶ disabled
//! ```
//!
//! Secrets reach the core already sealed by the server's master key, and
//! never leave it unsealed: the evidence event says which fields changed,
//! never what a secret is.

pub mod attempt;
pub mod check;
pub mod credit;
pub mod model;
pub mod port;

pub use self::attempt::{StartPayment, expired, start, start_checkout};
pub use self::check::{CheckOutcome, NotifyReply, checked, notified, reconcile};
pub use self::credit::confirm_by_hand;
pub use self::model::{
    AttemptState, Channel, GatewayKind, GatewayName, PendingCheckout, Purpose, QueryResult, Sealed, Settlement,
};
pub use self::port::{Attempt, Gateway, NewAttempt, NotifyRecord, PaymentRead, PaymentTx};

use serde_json::json;

use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;

pub const MAX_BASE_URL: usize = 200;
pub const MAX_PID: usize = 64;

/// What the admin submits. A secret left `None` keeps the stored one.
#[derive(Debug, Clone)]
pub struct GatewayInput {
    pub name: GatewayName,
    pub kind: GatewayKind,
    pub base_url: String,
    pub pid: String,
    pub key: Option<Sealed>,
    pub merchant_private_key: Option<Sealed>,
    pub platform_public_key: Option<Sealed>,
    pub channels: Vec<Channel>,
    pub enabled: bool,
}

fn printable(s: &str, max: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// The checks every transport shares; the server has already parsed the URL
/// and the keys with the epay crate.
fn checked_input(input: &GatewayInput) -> Result<(String, String, Vec<Channel>)> {
    let (url, pid) = (input.base_url.trim(), input.pid.trim());
    if !printable(url, MAX_BASE_URL) {
        return Err(Error::Invalid { field: "base_url", reason: "url" });
    }
    if !printable(pid, MAX_PID) {
        return Err(Error::Invalid { field: "pid", reason: "length_1_64" });
    }
    let mut channels = input.channels.clone();
    channels.sort();
    channels.dedup();
    if channels.is_empty() {
        return Err(Error::Invalid { field: "channels", reason: "required" });
    }
    Ok((url.to_owned(), pid.to_owned(), channels))
}

/// The secrets the kind needs must be set, now or before.
fn require_secrets(g: &Gateway) -> Result<()> {
    let missing = match g.kind {
        GatewayKind::EpayV1 => g.key.is_none().then_some("key"),
        GatewayKind::EpayV2 => (g.merchant_private_key.is_none())
            .then_some("merchant_private_key_pem")
            .or(g.platform_public_key.is_none().then_some("platform_public_key_pem")),
    };
    missing.map_or(Ok(()), |field| Err(Error::Invalid { field, reason: "required" }))
}

/// Names of the fields that differ, secrets included by name only.
fn changed_fields(old: Option<&Gateway>, new: &Gateway) -> Vec<&'static str> {
    let Some(old) = old else { return vec!["created"] };
    [
        ("kind", old.kind != new.kind),
        ("base_url", old.base_url != new.base_url),
        ("pid", old.pid != new.pid),
        ("key", old.key != new.key),
        ("merchant_private_key", old.merchant_private_key != new.merchant_private_key),
        ("platform_public_key", old.platform_public_key != new.platform_public_key),
        ("channels", old.channels != new.channels),
        ("enabled", old.enabled != new.enabled),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}

/// Creates or replaces a gateway (admin only), keeping each stored secret the
/// input leaves out, and records what changed.
pub fn put_gateway(tx: &mut dyn Tx, now: Timestamp, admin: &User, input: GatewayInput) -> Result<Gateway> {
    authz::admin(admin)?;
    let (base_url, pid, channels) = checked_input(&input)?;
    let old = tx.gateway(&input.name)?;
    let kept = |new: Option<Sealed>, old: Option<&Sealed>| new.or_else(|| old.cloned());
    let gateway = Gateway {
        key: kept(input.key, old.as_ref().and_then(|o| o.key.as_ref())),
        merchant_private_key: kept(
            input.merchant_private_key,
            old.as_ref().and_then(|o| o.merchant_private_key.as_ref()),
        ),
        platform_public_key: kept(input.platform_public_key, old.as_ref().and_then(|o| o.platform_public_key.as_ref())),
        name: input.name,
        kind: input.kind,
        base_url,
        pid,
        channels,
        enabled: input.enabled,
        updated_by: Some(admin.id),
        updated_at: now,
    };
    require_secrets(&gateway)?;
    let changed = changed_fields(old.as_ref(), &gateway);
    if changed.is_empty() {
        return Ok(gateway);
    }
    tx.upsert_gateway(&gateway)?;
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "gateway.put",
        format!("gateway:{}", gateway.name),
        json!({ "name": gateway.name, "kind": gateway.kind, "changed": changed }),
    ))?;
    Ok(gateway)
}

#[cfg(test)]
mod tests;
