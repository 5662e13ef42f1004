//! The operator's directory and tools, shared by the admin pages and the admin
//! API: users and shops found by name or id, one user's or shop's file, and
//! the actions on them (freeze, wallet credit, deposit adjustment). Platform
//! agents may read (they arbitrate cases and need the parties' files); only
//! admins act. Each action is one transaction.

use youying_core::accounts::{self, User};
use youying_core::cases::Case;
use youying_core::deposit::{self, Standing};
use youying_core::enforcement::{self, Penalty};
use youying_core::evidence::ChainedEvent;
use youying_core::money::{Account, Fen};
use youying_core::orders::{self, Order};
use youying_core::ports::Store;
use youying_core::shops::Shop;
use youying_core::values::{ShopId, UserId};
use youying_core::{Error, authz};

use crate::error::ApiResult;
use crate::state::App;

/// Rows on one page of a directory.
pub const PAGE_SIZE: usize = 20;
/// Orders, cases and events shown on one user's or shop's file.
const RECENT: usize = 20;

/// One page of a search: the rows and whether another page follows.
#[derive(Debug)]
pub struct Found<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

fn paged<T>(mut rows: Vec<T>) -> Found<T> {
    let more = rows.len() > PAGE_SIZE;
    rows.truncate(PAGE_SIZE);
    Found { rows, more }
}

/// Users by name or id; `page` counts from 0.
pub async fn search_users<S: Store>(app: &App<S>, viewer: &User, q: &str, page: usize) -> ApiResult<Found<User>> {
    authz::admin(viewer)?;
    let q = q.to_owned();
    let rows = app.store.read(move |tx| tx.search_users(&q, page.saturating_mul(PAGE_SIZE), PAGE_SIZE + 1)).await?;
    Ok(paged(rows))
}

pub async fn search_shops<S: Store>(app: &App<S>, viewer: &User, q: &str, page: usize) -> ApiResult<Found<Shop>> {
    authz::admin(viewer)?;
    let q = q.to_owned();
    let rows = app.store.read(move |tx| tx.search_shops(&q, page.saturating_mul(PAGE_SIZE), PAGE_SIZE + 1)).await?;
    Ok(paged(rows))
}

/// Everything the user's page shows.
#[derive(Debug)]
pub struct UserFile {
    pub user: User,
    pub balance_fen: i64,
    pub orders: Vec<Order>,
    pub cases: Vec<Case>,
    /// The shops the user owns.
    pub shops: Vec<Shop>,
    /// Admin actions and registration, newest first.
    pub history: Vec<ChainedEvent>,
}

pub async fn user_file<S: Store>(app: &App<S>, viewer: &User, id: i64) -> ApiResult<UserFile> {
    authz::admin(viewer)?;
    let id = UserId(id);
    Ok(app
        .store
        .read(move |tx| {
            let user = tx.user_by_id(id)?.ok_or(Error::NotFound)?;
            let mut history = tx.events_of_subject(&format!("user:{id}"))?;
            history.retain(|e| accounts::admin::HISTORY_KINDS.contains(&e.kind.as_str()));
            history.reverse();
            history.truncate(RECENT);
            Ok(UserFile {
                balance_fen: tx.balance(Account::UserWallet(id))?,
                orders: tx.orders_of_buyer(id, RECENT)?,
                cases: tx.cases_of_buyer(id, RECENT)?,
                shops: tx.shops_owned_by(id)?,
                history,
                user,
            })
        })
        .await?)
}

/// Everything the shop's page shows.
#[derive(Debug)]
pub struct ShopFile {
    pub shop: Shop,
    pub owner: User,
    pub standing: Standing,
    pub orders: Vec<Order>,
    pub cases: Vec<Case>,
    pub penalties: Vec<Penalty>,
    pub history: Vec<ChainedEvent>,
}

pub async fn shop_file<S: Store>(app: &App<S>, viewer: &User, id: i64) -> ApiResult<ShopFile> {
    authz::admin(viewer)?;
    let id = ShopId(id);
    let now = app.now();
    Ok(app
        .store
        .read(move |tx| {
            let shop = tx.shop(id)?.ok_or(Error::NotFound)?;
            let owner = tx.user_by_id(shop.owner_id)?.ok_or(Error::NotFound)?;
            let mut history = tx.events_of_subject(&format!("shop:{id}"))?;
            history.retain(|e| enforcement::admin::SHOP_HISTORY_KINDS.contains(&e.kind.as_str()));
            history.reverse();
            history.truncate(RECENT);
            Ok(ShopFile {
                standing: deposit::standing(tx, now, id)?,
                orders: tx.orders_of_shop(id, RECENT)?,
                cases: tx.cases_of_shop(id, RECENT)?,
                penalties: tx.penalties(Some(id), RECENT)?,
                history,
                owner,
                shop,
            })
        })
        .await?)
}

pub async fn set_user_frozen<S: Store>(
    app: &App<S>,
    admin: &User,
    id: i64,
    frozen: bool,
    reason: &str,
) -> ApiResult<User> {
    let (now, admin, reason) = (app.now(), admin.clone(), reason.to_owned());
    Ok(app.store.write(move |tx| accounts::admin::set_frozen(tx, now, &admin, UserId(id), frozen, &reason)).await?)
}

/// The existing admin credit (a balanced posting from the platform's cash),
/// to a user found by id; the new balance.
pub async fn credit_user<S: Store>(app: &App<S>, admin: &User, id: i64, fen: i64, reason: &str) -> ApiResult<i64> {
    let amount = Fen::positive(fen).map_err(|_| Error::Invalid { field: "amount_fen", reason: "positive" })?;
    let (now, admin, reason) = (app.now(), admin.clone(), reason.to_owned());
    Ok(app
        .store
        .write(move |tx| {
            authz::admin(&admin)?;
            let target = tx.user_by_id(UserId(id))?.ok_or(Error::NotFound)?;
            orders::credit_wallet(tx, now, &admin, &target, amount, &reason)
        })
        .await?)
}

pub async fn adjust_deposit<S: Store>(
    app: &App<S>,
    admin: &User,
    shop: i64,
    delta_fen: i64,
    reason: &str,
) -> ApiResult<Standing> {
    let (now, admin, reason) = (app.now(), admin.clone(), reason.to_owned());
    let s = app.store.write(move |tx| deposit::adjust(tx, now, &admin, ShopId(shop), delta_fen, &reason)).await?;
    // Visibility may have changed: search follows at once.
    crate::catalog::sync_search(app).await?;
    Ok(s)
}

/// Freezes (`true`) or unfreezes the shop.
pub async fn set_shop_frozen<S: Store>(
    app: &App<S>,
    admin: &User,
    shop: i64,
    frozen: bool,
    reason: &str,
) -> ApiResult<()> {
    let (now, admin, reason) = (app.now(), admin.clone(), reason.to_owned());
    app.store
        .write(move |tx| {
            let s = ShopId(shop);
            if frozen {
                enforcement::admin::freeze_shop(tx, now, &admin, s, &reason).map(|_| ())
            } else {
                enforcement::admin::unfreeze_shop(tx, now, &admin, s, &reason).map(|_| ())
            }
        })
        .await?;
    crate::catalog::sync_search(app).await?;
    Ok(())
}
