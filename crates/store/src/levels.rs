//! The buyer-levels half of the port, in the SQL both backends share.

use youying_core::clock::Timestamp;
use youying_core::error::Result;
use youying_core::levels::{Level, LevelId, LevelPrice, LevelRead, LevelSpec, LevelTx};
use youying_core::values::{ProductId, UserId};

use crate::sql::{Row, params};
use crate::sqltx::SqlTx;

const COLS: &str = "id, name, position, discount_bp, is_default, created_at, updated_at";

fn level(r: &Row) -> Result<Level> {
    Ok(Level {
        id: LevelId(r.int(0)?),
        name: r.text(1)?,
        position: r.int(2)?,
        discount_bp: r.int(3)?,
        is_default: r.int(4)? == 1,
        created_at: r.time(5)?,
        updated_at: r.time(6)?,
    })
}

impl<C: crate::sql::Conn> LevelRead for SqlTx<'_, C> {
    fn levels(&mut self) -> Result<Vec<Level>> {
        self.query(&format!("SELECT {COLS} FROM levels ORDER BY position, id"), &[])?.iter().map(level).collect()
    }

    fn level(&mut self, id: LevelId) -> Result<Option<Level>> {
        self.one(&format!("SELECT {COLS} FROM levels WHERE id = $1"), params![id.0])?.as_ref().map(level).transpose()
    }

    fn default_level(&mut self) -> Result<Option<Level>> {
        self.one(&format!("SELECT {COLS} FROM levels WHERE is_default = 1"), &[])?.as_ref().map(level).transpose()
    }

    fn level_of(&mut self, user: UserId) -> Result<Option<LevelId>> {
        self.one("SELECT level_id FROM user_levels WHERE user_id = $1", params![user.0])?
            .map(|r| r.int(0).map(LevelId))
            .transpose()
    }

    fn level_price(&mut self, product: ProductId, level: LevelId) -> Result<Option<i64>> {
        self.one(
            "SELECT unit_price_fen FROM product_level_prices WHERE product_id = $1 AND level_id = $2",
            params![product.0, level.0],
        )?
        .map(|r| r.int(0))
        .transpose()
    }

    fn level_and_price(&mut self, user: UserId, product: ProductId) -> Result<Option<(Level, Option<i64>)>> {
        let cols = COLS.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols}, p.unit_price_fen FROM levels l \
             LEFT JOIN product_level_prices p ON p.product_id = $2 AND p.level_id = l.id \
             WHERE l.id = COALESCE((SELECT u.level_id FROM user_levels u JOIN levels o ON o.id = u.level_id WHERE u.user_id = $1), \
                                   (SELECT d.id FROM levels d WHERE d.is_default = 1))"
        );
        let Some(row) = self.one(&sql, params![user.0, product.0])? else { return Ok(None) };
        Ok(Some((level(&row)?, row.opt_int(7)?)))
    }

    fn level_prices(&mut self, product: ProductId) -> Result<Vec<LevelPrice>> {
        self.query(
            "SELECT p.level_id, p.unit_price_fen FROM product_level_prices p JOIN levels l ON l.id = p.level_id \
             WHERE p.product_id = $1 ORDER BY l.position, l.id",
            params![product.0],
        )?
        .iter()
        .map(|r| Ok(LevelPrice { product_id: product, level_id: LevelId(r.int(0)?), unit_price_fen: r.int(1)? }))
        .collect()
    }
}

impl<C: crate::sql::Conn> LevelTx for SqlTx<'_, C> {
    fn insert_level(&mut self, spec: &LevelSpec, at: Timestamp) -> Result<LevelId> {
        self.insert_id(
            "INSERT INTO levels (name, position, discount_bp, is_default, created_at, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
            params![spec.name.as_str(), spec.position, spec.discount_bp, at],
        )
        .map(LevelId)
    }

    fn update_level(&mut self, id: LevelId, spec: &LevelSpec, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE levels SET name = $1, position = $2, discount_bp = $3, updated_at = $4 WHERE id = $5",
            params![spec.name.as_str(), spec.position, spec.discount_bp, at, id.0],
        )?;
        Ok(())
    }

    fn make_default_level(&mut self, id: LevelId, at: Timestamp) -> Result<()> {
        // Off first, then on: the partial unique index never sees two defaults.
        self.exec(
            "UPDATE levels SET is_default = 0, updated_at = $1 WHERE is_default = 1 AND id <> $2",
            params![at, id.0],
        )?;
        self.exec("UPDATE levels SET is_default = 1, updated_at = $1 WHERE id = $2", params![at, id.0])?;
        Ok(())
    }

    fn set_user_level(&mut self, user: UserId, level: LevelId, by: UserId, at: Timestamp) -> Result<()> {
        self.exec(
            "INSERT INTO user_levels (user_id, level_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET level_id = excluded.level_id, assigned_by = excluded.assigned_by, \
             assigned_at = excluded.assigned_at",
            params![user.0, level.0, by.0, at],
        )?;
        Ok(())
    }

    fn set_level_price(&mut self, product: ProductId, level: LevelId, unit: Option<i64>, at: Timestamp) -> Result<()> {
        match unit {
            Some(fen) => self.exec(
                "INSERT INTO product_level_prices (product_id, level_id, unit_price_fen, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (product_id, level_id) \
                 DO UPDATE SET unit_price_fen = excluded.unit_price_fen, updated_at = excluded.updated_at",
                params![product.0, level.0, fen, at],
            )?,
            None => self.exec(
                "DELETE FROM product_level_prices WHERE product_id = $1 AND level_id = $2",
                params![product.0, level.0],
            )?,
        };
        Ok(())
    }
}
