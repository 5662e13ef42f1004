//! Buyer levels (会员等级), shared by the API and the pages: the public list,
//! an admin's changes and assignments, a shop's level prices on a product,
//! and the level a viewer buys at.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::error::Result;
use youying_core::levels::{self, Level, LevelId, LevelInput, PriceChange};
use youying_core::ports::Store;
use youying_core::values::{ProductId, ShopId, UserId};

use crate::state::App;

/// A level as everyone sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    pub id: i64,
    pub name: String,
    pub position: i64,
    /// Basis points off the price the buyer would otherwise pay (500 = 95折).
    pub discount_bp: i64,
    /// The discount as people say it ("95折"); `null` for none.
    pub zhe: Option<String>,
    /// Every account without a level of its own (and every visitor) is on it.
    pub is_default: bool,
}

impl From<&Level> for LevelView {
    fn from(l: &Level) -> Self {
        Self {
            id: l.id.0,
            name: l.name.clone(),
            position: l.position,
            discount_bp: l.discount_bp,
            zhe: l.zhe(),
            is_default: l.is_default,
        }
    }
}

/// `POST /api/v1/admin/levels` (name and discount required) and
/// `PUT /api/v1/admin/levels/{id}` (only what changes).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LevelBody {
    /// 1–20 characters, unique.
    pub name: Option<String>,
    /// Listing order, 0–1000, lowest first.
    pub position: Option<i64>,
    /// 0–5000 (at most half off).
    pub discount_bp: Option<i64>,
    /// `true` makes this the default level.
    pub is_default: Option<bool>,
}

impl LevelBody {
    fn input(&self) -> LevelInput {
        LevelInput {
            name: self.name.clone(),
            position: self.position,
            discount_bp: self.discount_bp,
            is_default: self.is_default,
        }
    }
}

/// `PUT /api/v1/admin/users/{id}/level`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignBody {
    pub level_id: i64,
}

/// One level's fixed price on a product; `null` clears it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PriceEntry {
    pub level_id: i64,
    pub unit_price_fen: Option<i64>,
}

/// `PUT /api/v1/shops/{id}/products/{pid}/level-prices`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LevelPricesBody {
    pub prices: Vec<PriceEntry>,
}

/// Every level with the shop's fixed price on the product, if it set one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelPriceView {
    pub level_id: i64,
    pub level_name: String,
    pub discount_bp: i64,
    /// The shop's own price for this level; `null`: the level's discount applies.
    pub unit_price_fen: Option<i64>,
}

pub async fn list<S: Store>(app: &App<S>) -> Result<Vec<LevelView>> {
    let levels = app.store.read(|tx| tx.levels()).await?;
    Ok(levels.iter().map(LevelView::from).collect())
}

pub async fn create<S: Store>(app: &App<S>, admin: User, body: &LevelBody) -> Result<LevelView> {
    let (now, input) = (app.now(), body.input());
    let level = app.store.write(move |tx| levels::create(tx, now, &admin, &input)).await?;
    Ok(LevelView::from(&level))
}

pub async fn update<S: Store>(app: &App<S>, admin: User, id: i64, body: &LevelBody) -> Result<LevelView> {
    let (now, input) = (app.now(), body.input());
    let level = app.store.write(move |tx| levels::update(tx, now, &admin, LevelId(id), &input)).await?;
    Ok(LevelView::from(&level))
}

pub async fn assign<S: Store>(app: &App<S>, admin: User, user: i64, level: i64) -> Result<LevelView> {
    let now = app.now();
    let level = app.store.write(move |tx| levels::assign(tx, now, &admin, UserId(user), LevelId(level))).await?;
    Ok(LevelView::from(&level))
}

/// The level `user` buys at (their own, or the default).
pub async fn of_user<S: Store>(app: &App<S>, user: &User) -> Result<LevelView> {
    let user = user.clone();
    let level = app.store.read(move |tx| levels::viewer_level(tx, Some(&user))).await?;
    Ok(LevelView::from(&level))
}

pub async fn prices<S: Store>(app: &App<S>, actor: User, shop: i64, product: i64) -> Result<Vec<LevelPriceView>> {
    app.store
        .read(move |tx| {
            let set = levels::prices_of(tx, &actor, ShopId(shop), ProductId(product))?;
            let all = tx.levels()?;
            Ok(all
                .iter()
                .map(|l| LevelPriceView {
                    level_id: l.id.0,
                    level_name: l.name.clone(),
                    discount_bp: l.discount_bp,
                    unit_price_fen: set.iter().find(|p| p.level_id == l.id).map(|p| p.unit_price_fen),
                })
                .collect())
        })
        .await
}

pub async fn set_prices<S: Store>(
    app: &App<S>,
    actor: User,
    shop: i64,
    product: i64,
    body: &LevelPricesBody,
) -> Result<Vec<LevelPriceView>> {
    let now = app.now();
    let changes: Vec<PriceChange> = body
        .prices
        .iter()
        .map(|p| PriceChange { level_id: LevelId(p.level_id), unit_price_fen: p.unit_price_fen })
        .collect();
    let who = actor.clone();
    app.store.write(move |tx| levels::set_prices(tx, now, &who, ShopId(shop), ProductId(product), &changes)).await?;
    prices(app, actor, shop, product).await
}
