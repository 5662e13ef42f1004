//! What the help bot may quote: the platform's FAQ (edited by an admin) and
//! each shop's own (edited by its owner), plus the shop's switch for the bot.
//! Every change is an evidence event: what the bot told a buyer can always be
//! traced to the entry it quoted.

pub mod port;

pub use self::port::{FaqItem, FaqRead, FaqTx};

use serde_json::json;

use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::shops;
use crate::shops::port::ShopRead;
use crate::values::ShopId;

pub const MAX_QUESTION: usize = 200;
pub const MAX_ANSWER: usize = 1_000;
/// Entries per FAQ (the platform's, or one shop's).
pub const MAX_ENTRIES: usize = 200;

/// Whose FAQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Platform,
    Shop(ShopId),
}

impl Scope {
    fn shop(self) -> Option<ShopId> {
        match self {
            Scope::Platform => None,
            Scope::Shop(s) => Some(s),
        }
    }

    fn subject(self) -> String {
        match self {
            Scope::Platform => "faq:platform".to_owned(),
            Scope::Shop(s) => format!("faq:shop:{s}"),
        }
    }
}

/// Only an admin edits the platform's FAQ; a shop's owner (or an admin) its own.
fn may_edit(tx: &mut dyn ShopRead, actor: &User, scope: Scope) -> Result<()> {
    match scope {
        Scope::Platform => authz::admin(actor),
        Scope::Shop(id) => shops::load(tx, actor, id, ShopAction::Manage).map(|_| ()),
    }
}

fn checked(question: &str, answer: &str) -> Result<(String, String)> {
    let (q, a) = (question.trim(), answer.trim());
    if q.is_empty() || q.chars().count() > MAX_QUESTION {
        return Err(Error::Invalid { field: "question", reason: "length_1_200" });
    }
    if a.is_empty() || a.chars().count() > MAX_ANSWER {
        return Err(Error::Invalid { field: "answer", reason: "length_1_1000" });
    }
    Ok((q.to_owned(), a.to_owned()))
}

/// Adds entries (all or none): one from a form, or the built-in defaults.
pub fn add(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    scope: Scope,
    entries: &[(String, String)],
) -> Result<Vec<i64>> {
    may_edit(tx, actor, scope)?;
    let clean = entries.iter().map(|(q, a)| checked(q, a)).collect::<Result<Vec<_>>>()?;
    if tx.faq(scope.shop())?.len() + clean.len() > MAX_ENTRIES {
        return Err(Error::Conflict(Conflict::FaqFull));
    }
    let mut ids = Vec::with_capacity(clean.len());
    for (q, a) in &clean {
        let id = tx.insert_faq(scope.shop(), q, a, actor.id, now)?;
        tx.append(NewEvent::new(
            now,
            Some(actor.id),
            "faq.added",
            scope.subject(),
            json!({ "id": id, "question": q, "answer": a }),
        ))?;
        ids.push(id);
    }
    Ok(ids)
}

/// The entry, if `actor` may edit the FAQ it belongs to (else `NotFound`).
fn editable(tx: &mut dyn ReadTx, actor: &User, id: i64) -> Result<(FaqItem, Scope)> {
    let item = tx.faq_item(id)?.ok_or(Error::NotFound)?;
    let scope = item.shop_id.map_or(Scope::Platform, Scope::Shop);
    may_edit(tx, actor, scope).map_err(|_| Error::NotFound)?;
    Ok((item, scope))
}

pub fn edit(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: i64, question: &str, answer: &str) -> Result<()> {
    let (_, scope) = editable(tx, actor, id)?;
    let (q, a) = checked(question, answer)?;
    tx.update_faq(id, &q, &a, actor.id, now)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "faq.changed",
        scope.subject(),
        json!({ "id": id, "question": q, "answer": a }),
    ))
}

pub fn remove(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: i64) -> Result<()> {
    let (item, scope) = editable(tx, actor, id)?;
    tx.delete_faq(id)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "faq.removed",
        scope.subject(),
        json!({ "id": id, "question": item.question }),
    ))
}

/// The shop's switch: with the bot off, every buyer message awaits a person.
pub fn set_bot(tx: &mut dyn Tx, now: Timestamp, actor: &User, shop: ShopId, on: bool) -> Result<()> {
    let shop = shops::load(tx, actor, shop, ShopAction::Manage)?;
    if tx.bot_enabled(shop.id)? == on {
        return Ok(());
    }
    tx.set_bot_enabled(shop.id, on)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        if on { "bot.enabled" } else { "bot.disabled" },
        format!("shop:{}", shop.id),
        json!({}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_trimmed_and_bounded() {
        assert_eq!(checked(" 几点发货？ ", " 秒发 ").unwrap(), ("几点发货？".to_owned(), "秒发".to_owned()));
        assert!(matches!(checked(" ", "a"), Err(Error::Invalid { field: "question", .. })));
        assert!(matches!(checked("q", &"答".repeat(MAX_ANSWER + 1)), Err(Error::Invalid { field: "answer", .. })));
        assert!(checked(&"问".repeat(MAX_QUESTION), "a").is_ok());
    }
}
