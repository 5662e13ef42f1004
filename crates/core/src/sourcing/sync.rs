//! The sync: the upstream's catalogue, read by the server with no transaction
//! open, applied to every product mapped from that connection in one
//! transaction — price by the rule, stock, and hidden or shown.

use serde_json::json;

use super::model::{ConnectionId, HiddenReason, Mapping, SourceItem};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::rules::{self, Rule};

/// What the rule and the bounds alone say about a mapping.
pub(crate) fn judge_price(m: &Mapping) -> Option<HiddenReason> {
    if m.cap_fen.is_some_and(|cap| m.cost_fen > cap) {
        Some(HiddenReason::AboveCap)
    } else if m.price() < m.cost_fen && !m.allow_below_cost {
        Some(HiddenReason::BelowCost)
    } else {
        None
    }
}

/// Whether a mapped product may be sold, given what the upstream lists (`None`: not listed).
pub fn judge(m: &Mapping, item: Option<&SourceItem>) -> Option<HiddenReason> {
    match item {
        None => Some(HiddenReason::OffSale),
        Some(i) if !i.on_sale => Some(HiddenReason::OffSale),
        Some(i) if !i.in_stock => Some(HiddenReason::SoldOut),
        Some(_) => judge_price(m),
    }
}

/// Writes the mapping, and the product's price and visibility where they changed.
pub(crate) fn show(tx: &mut dyn Tx, now: Timestamp, m: &mut Mapping, hidden: Option<HiddenReason>) -> Result<()> {
    let mut p = tx.product(m.product_id)?.ok_or(Error::NotFound)?;
    let price = m.price();
    if p.spec.price_fen != price {
        p.spec.price_fen = price;
        // Tiers were the merchant's own; with a moving cost only the unit price holds.
        p.spec.tiers.clear();
        p.updated_at = now;
        // Lost against a merchant's edit in the same instant: the next sync writes it again.
        tx.update_product(&p, p.version)?;
    }
    if p.source_hidden != hidden.is_some() {
        tx.set_source_hidden(m.product_id, hidden.is_some(), now)?;
    }
    m.hidden = hidden;
    tx.update_mapping(m)
}

/// What one sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutcome {
    pub shown: usize,
    pub hidden: usize,
}

/// Applies the upstream's catalogue (or the reason it could not be read) to
/// every product mapped from `connection`, and the connection's health.
pub fn synced(
    tx: &mut dyn Tx,
    now: Timestamp,
    connection: ConnectionId,
    catalogue: std::result::Result<&[SourceItem], &str>,
) -> Result<SyncOutcome> {
    let Some(mut c) = tx.connection(connection)? else { return Ok(SyncOutcome::default()) };
    let every = rules::in_force(tx)?.get(Rule::UpstreamSyncSecs);
    let mut out = SyncOutcome::default();
    for mut m in tx.mappings_of_connection(connection)? {
        let was = m.hidden;
        let hidden = match catalogue {
            Ok(items) => {
                let item = items.iter().find(|i| i.upstream_product_id == m.upstream_product_id);
                if let Some(i) = item {
                    m.cost_fen = i.cost_fen.max(1);
                    m.stock_count = i.stock_count;
                }
                judge(&m, item)
            }
            Err(_) => Some(HiddenReason::Unreachable),
        };
        m.synced_at = now;
        show(tx, now, &mut m, hidden)?;
        if was != hidden {
            tx.append(NewEvent::new(
                now,
                None,
                if hidden.is_some() { "upstream.product_hidden" } else { "upstream.product_shown" },
                format!("product:{}", m.product_id.0),
                json!({ "reason": hidden.map(HiddenReason::as_str), "cost_fen": m.cost_fen, "price_fen": m.price() }),
            ))?;
        }
        if hidden.is_some() { out.hidden += 1 } else { out.shown += 1 }
    }
    c.last_sync_at = Some(now);
    c.sync_due_at = now.plus_secs(every);
    match catalogue {
        Ok(_) => {
            c.last_ok_at = Some(now);
            c.failures = 0;
            c.last_error = None;
        }
        Err(e) => {
            c.failures += 1;
            c.last_error = Some(e.chars().take(300).collect());
        }
    }
    tx.update_connection(&c)?;
    Ok(out)
}
