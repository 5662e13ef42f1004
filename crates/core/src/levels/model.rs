//! The words of buyer levels: a level, what an admin sends to make or change
//! one, a shop's fixed price for a level, and the quote a viewer gets.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::money::Fen;
use crate::values::ProductId;

/// The largest discount a level may give: half off. 9000 bp would be "10% of
/// the price", a typo of 90折 that would sell everything at a tenth.
pub const MAX_DISCOUNT_BP: i64 = 5_000;

/// A level's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LevelId(pub i64);

impl fmt::Display for LevelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A buyer level (普通会员, 代理, …). Exactly one is the default: every
/// account without a level of its own, and every anonymous viewer, is on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    pub id: LevelId,
    pub name: String,
    /// Listing order, lowest first.
    pub position: i64,
    /// Basis points off the price the viewer would otherwise pay (500 = 95折).
    pub discount_bp: i64,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Level {
    /// How people read the discount: 500 bp → "95折", 1000 → "9折", 250 → "97.5折";
    /// `None` for no discount.
    pub fn zhe(&self) -> Option<String> {
        zhe(self.discount_bp)
    }
}

/// See [`Level::zhe`].
pub fn zhe(discount_bp: i64) -> Option<String> {
    if discount_bp <= 0 {
        return None;
    }
    // Percent paid, in hundredths: 9500 → "95", 9750 → "97.5", 9000 → "9" (九折).
    let paid = 10_000 - discount_bp;
    let mut s = format!("{}.{:02}", paid / 100, paid % 100);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if paid % 1_000 == 0 {
        s = (paid / 1_000).to_string();
    }
    Some(format!("{s}折"))
}

/// A level as an admin sends it; [`LevelInput::parse`] checks every field.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LevelInput {
    pub name: Option<String>,
    pub position: Option<i64>,
    pub discount_bp: Option<i64>,
    /// Make this the default level (the previous default stops being it).
    pub is_default: Option<bool>,
}

/// A checked level, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelSpec {
    pub name: String,
    pub position: i64,
    pub discount_bp: i64,
}

impl LevelSpec {
    /// A new level: name and discount required, position defaults to 0.
    pub fn parse(input: &LevelInput) -> Result<Self> {
        let spec = LevelSpec {
            name: input.name.clone().ok_or(Error::Invalid { field: "level_name", reason: "required" })?,
            position: input.position.unwrap_or(0),
            discount_bp: input.discount_bp.ok_or(Error::Invalid { field: "discount_bp", reason: "required" })?,
        };
        spec.validated()
    }

    /// `level` with the given fields changed.
    pub fn patched(level: &Level, input: &LevelInput) -> Result<Self> {
        LevelSpec {
            name: input.name.clone().unwrap_or_else(|| level.name.clone()),
            position: input.position.unwrap_or(level.position),
            discount_bp: input.discount_bp.unwrap_or(level.discount_bp),
        }
        .validated()
    }

    fn validated(mut self) -> Result<Self> {
        self.name = self.name.trim().to_owned();
        let n = self.name.chars().count();
        if !(1..=20).contains(&n) || self.name.chars().any(char::is_control) {
            return Err(Error::Invalid { field: "level_name", reason: "length" });
        }
        if !(0..=MAX_DISCOUNT_BP).contains(&self.discount_bp) {
            return Err(Error::Invalid { field: "discount_bp", reason: "range_0_5000" });
        }
        if !(0..=1_000).contains(&self.position) {
            return Err(Error::Invalid { field: "position", reason: "range_0_1000" });
        }
        Ok(self)
    }
}

/// A shop's fixed unit price for one level on one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelPrice {
    pub product_id: ProductId,
    pub level_id: LevelId,
    pub unit_price_fen: i64,
}

/// Why a unit costs what it costs. Recorded in the order's snapshot when a
/// level changed the price, so the buyer can show what they were promised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceBasis {
    /// The listing's price.
    List,
    /// A wholesale tier: buying at least `min_qty`.
    Tier { min_qty: i64 },
    /// The viewer's level takes `discount_bp` off the list or tier price.
    LevelDiscount { level_id: LevelId, level_name: String, discount_bp: i64 },
    /// The shop's own price for the viewer's level on this product.
    LevelPrice { level_id: LevelId, level_name: String },
}

impl PriceBasis {
    /// Whether a level changed the price (then the snapshot records it).
    pub fn by_level(&self) -> bool {
        matches!(self, PriceBasis::LevelDiscount { .. } | PriceBasis::LevelPrice { .. })
    }

    /// The label beside a price, in Chinese: "代理价（95折）", "代理价", "批发价（10件起）".
    pub fn label(&self) -> String {
        match self {
            PriceBasis::List => "标价".to_owned(),
            PriceBasis::Tier { min_qty } => format!("批发价（{min_qty}件起）"),
            PriceBasis::LevelDiscount { level_name, discount_bp, .. } => {
                format!("{level_name}价（{}）", zhe(*discount_bp).unwrap_or_default())
            }
            PriceBasis::LevelPrice { level_name, .. } => format!("{level_name}价"),
        }
    }
}

/// What a viewer pays for a quantity of a product, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub unit: Fen,
    pub total: Fen,
    pub basis: PriceBasis,
}
