//! What payments need from persistence: the gateways an admin configured.

use serde::Serialize;

use super::model::{Channel, GatewayKind, GatewayName, Sealed};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::UserId;

/// A stored gateway. Secrets stay sealed; `Serialize` skips them, so a
/// gateway written to a client says only whether each is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gateway {
    pub name: GatewayName,
    pub kind: GatewayKind,
    pub base_url: String,
    pub pid: String,
    #[serde(skip)]
    pub key: Option<Sealed>,
    #[serde(skip)]
    pub merchant_private_key: Option<Sealed>,
    #[serde(skip)]
    pub platform_public_key: Option<Sealed>,
    pub channels: Vec<Channel>,
    pub enabled: bool,
    pub updated_by: Option<UserId>,
    pub updated_at: Timestamp,
}

/// Changing gateways; part of [`Tx`](crate::ports::Tx).
pub trait PaymentTx: PaymentRead {
    /// Inserts the gateway, or replaces every field of the one with its name.
    fn upsert_gateway(&mut self, g: &Gateway) -> Result<()>;
}

/// The query half of [`PaymentTx`], for read-only transactions.
pub trait PaymentRead {
    /// Every gateway, by name.
    fn gateways(&mut self) -> Result<Vec<Gateway>>;
    fn gateway(&mut self, name: &GatewayName) -> Result<Option<Gateway>>;
}
