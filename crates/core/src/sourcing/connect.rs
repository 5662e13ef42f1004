//! Connections: added by the shop's owner once the upstream answered a signed
//! ping (the server's part), removed when nothing is mapped.

use serde_json::json;

use super::model::{Connection, ConnectionId, NewConnection, Protocol};
use crate::accounts::port::User;
use crate::authz::ShopAction;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::shops;
use crate::values::ShopId;

/// The connection `id` of `shop`, for someone who may manage the shop; anything else is 404.
pub fn load_connection(tx: &mut dyn ReadTx, actor: &User, shop: ShopId, id: ConnectionId) -> Result<Connection> {
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    tx.connection(id)?
        .filter(|c| c.shop_id == shop && c.removed_at.is_none() && c.protocol == Protocol::Youying)
        .ok_or(Error::NotFound)
}

/// Stores a connection the server has checked (address rule, signed ping).
pub fn connect(tx: &mut dyn Tx, now: Timestamp, actor: &User, c: &NewConnection) -> Result<Connection> {
    let detail = json!({ "shop_id": c.shop_id.0, "base_url": c.base_url, "key_id": c.key_id, "site": c.site_name });
    insert(tx, now, actor, c, "upstream.connected", detail)
}

/// A checked connection of either protocol stored, once per shop, address and key.
pub(crate) fn insert(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    c: &NewConnection,
    event: &'static str,
    detail: serde_json::Value,
) -> Result<Connection> {
    shops::load(tx, actor, c.shop_id, ShopAction::Manage)?;
    if tx.connections_of_shop(c.shop_id)?.iter().any(|x| x.base_url == c.base_url && x.key_id == c.key_id) {
        return Err(Error::Conflict(Conflict::Duplicate));
    }
    let id = tx.insert_connection(c, now)?;
    tx.append(NewEvent::new(now, Some(actor.id), event, format!("upstream:{}", id.0), detail))?;
    tx.connection(id)?.ok_or(Error::NotFound)
}

/// Removes a connection nothing is mapped from (unmap first: a mapped product
/// must not lose its source silently). The row stays for the orders it served.
pub fn remove(tx: &mut dyn Tx, now: Timestamp, actor: &User, shop: ShopId, id: ConnectionId) -> Result<()> {
    let mut c = load_connection(tx, actor, shop, id)?;
    if !tx.mappings_of_connection(id)?.is_empty() {
        return Err(Error::Conflict(Conflict::UpstreamInUse));
    }
    c.removed_at = Some(now);
    tx.update_connection(&c)?;
    tx.append(NewEvent::new(now, Some(actor.id), "upstream.removed", format!("upstream:{}", id.0), json!({})))
}
