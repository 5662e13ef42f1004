//! What buyer levels need from persistence.

use super::model::{Level, LevelId, LevelPrice, LevelSpec};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ProductId, UserId};

/// Looking levels, assignments and level prices up; part of
/// [`ReadTx`](crate::ports::ReadTx).
pub trait LevelRead {
    /// Every level, by position then id.
    fn levels(&mut self) -> Result<Vec<Level>>;
    fn level(&mut self, id: LevelId) -> Result<Option<Level>>;
    /// The level every account without one is on (one always exists: the
    /// migration seeds it and nothing deletes it).
    fn default_level(&mut self) -> Result<Option<Level>>;
    /// The level an admin gave this account, if any.
    fn level_of(&mut self, user: UserId) -> Result<Option<LevelId>>;
    /// A shop's fixed price for `level` on `product`.
    fn level_price(&mut self, product: ProductId, level: LevelId) -> Result<Option<i64>>;
    /// Every fixed level price set on `product`.
    fn level_prices(&mut self, product: ProductId) -> Result<Vec<LevelPrice>>;
    /// What pricing `product` for `user` needs: the level they buy at (their
    /// own if it exists, else the default) and the shop's fixed price for it.
    /// The store answers in one statement; this default asks step by step.
    fn level_and_price(&mut self, user: UserId, product: ProductId) -> Result<Option<(Level, Option<i64>)>> {
        let own = match self.level_of(user)? {
            Some(id) => self.level(id)?,
            None => None,
        };
        let Some(level) = own.map_or_else(|| self.default_level(), |l| Ok(Some(l)))? else { return Ok(None) };
        let fixed = self.level_price(product, level.id)?;
        Ok(Some((level, fixed)))
    }
}

/// Changing levels; part of [`Tx`](crate::ports::Tx).
pub trait LevelTx: LevelRead {
    fn insert_level(&mut self, spec: &LevelSpec, at: Timestamp) -> Result<LevelId>;
    fn update_level(&mut self, id: LevelId, spec: &LevelSpec, at: Timestamp) -> Result<()>;
    /// Makes `id` the one default level.
    fn make_default_level(&mut self, id: LevelId, at: Timestamp) -> Result<()>;
    /// Puts `user` on `level` (replacing any earlier assignment).
    fn set_user_level(&mut self, user: UserId, level: LevelId, by: UserId, at: Timestamp) -> Result<()>;
    /// Sets (`Some`) or clears (`None`) a product's fixed price for a level.
    fn set_level_price(
        &mut self,
        product: ProductId,
        level: LevelId,
        unit_fen: Option<i64>,
        at: Timestamp,
    ) -> Result<()>;
}
