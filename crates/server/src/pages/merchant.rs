//! The merchant console's goods and orders: a new listing, putting a listing on
//! or off sale, the shop's orders, and top-ups to fulfil.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::authz::ShopAction;
use youying_core::catalogue::{CATEGORIES, PROMISES, ProductInput, ProductKind, ProductSpec};
use youying_core::orders::{self, OrderState};
use youying_core::ports::Store;
use youying_core::shops::Shop;
use youying_core::values::{ProductId, ShopId};
use youying_core::{listings, shops};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::orders::{OrderRow, topup_lines};
use super::product_form::ProductForm;
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

/// The shop if the viewer may act for it (`Manage` or `Serve`); else 404.
async fn shop_for<S: Store>(app: &App<S>, page: &Page, id: i64, action: ShopAction) -> Result<Shop, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store.read(move |tx| shops::load(tx, &user, ShopId(id), action)).await.map_err(|e| page.error(e.into()))
}

struct Choice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "product_new.html")]
struct NewProductPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    promises: Vec<Choice>,
    f: ProductForm,
    show_kind: bool,
    show_topup: bool,
    show_account: bool,
}

fn choose(list: &[(&'static str, &'static str)], chosen: &dyn Fn(&str) -> bool) -> Vec<Choice> {
    list.iter().map(|&(code, label)| Choice { code, label, selected: chosen(code) }).collect()
}

fn new_page(page: &Page, shop: &Shop, f: ProductForm, error: Option<&AppError>) -> Response {
    let kinds: Vec<(&str, &str)> = [ProductKind::CardKey, ProductKind::DirectTopup, ProductKind::Account]
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect();
    let t = NewProductPage {
        page: &page.layout,
        shop_id: shop.id.0,
        shop_name: shop.name.clone(),
        categories: choose(CATEGORIES, &|c| c == f.category),
        kinds: choose(&kinds, &|k| k == f.kind),
        promises: choose(PROMISES, &|p| f.promises.iter().any(|x| x == p)),
        f: match error {
            Some(e) => f.with_error(e),
            None => f,
        },
        show_kind: true,
        show_topup: true,
        show_account: true,
    };
    let status = error.map_or(StatusCode::OK, AppError::status);
    if let Some(e) = error {
        e.log();
    }
    render(status, &page.layout, &t)
}

pub async fn new_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let shop = shop_for(&app, &page, id, ShopAction::Manage).await?;
    let f = ProductForm { kind: "card_key".into(), category: "game_card".into(), ..ProductForm::default() };
    Ok(new_page(&page, &shop, f, None))
}

/// Creates the listing (on sale) through the core's use case, then goes to its
/// stock page (card keys, accounts) or to the listing itself (top-ups).
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let shop = shop_for(&app, &page, id, ShopAction::Manage).await?;
    let f = ProductForm::from_pairs(&pairs);
    let created = async {
        let spec = ProductSpec::parse(&f.input()?)?;
        let (now, has_stock) = (app.now(), spec.kind.has_stock());
        let pid = app.store.write(move |tx| listings::create(tx, now, &user, ShopId(id), &spec, true)).await?;
        crate::catalog::sync_search(&app).await?;
        Ok::<_, AppError>((pid, has_stock))
    }
    .await;
    match created {
        Ok((pid, true)) => Ok(see_other(&format!("/merchant/products/{pid}/stock"))),
        Ok((pid, false)) => Ok(see_other(&format!("/products/{pid}"))),
        Err(e) => Ok(new_page(&page, &shop, f, Some(&e))),
    }
}

/// 上架 / 下架.
pub async fn set_sale<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let on_sale = field(&pairs, "on_sale") == "1";
    let now = app.now();
    let shop_id = app
        .store
        .write(move |tx| {
            listings::update(tx, now, &user, ProductId(id), &ProductInput::default(), Some(on_sale), None)?;
            Ok(tx.product(ProductId(id))?.map(|p| p.shop_id.0))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    crate::catalog::sync_search(&app).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/merchant#shop-{}", shop_id.unwrap_or_default())))
}

struct AwaitingRow {
    row: OrderRow,
    target: Vec<(String, String)>,
    due: String,
}

#[derive(Template)]
#[template(path = "shop_orders.html")]
struct ShopOrdersPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    orders: Vec<OrderRow>,
    awaiting: Vec<AwaitingRow>,
}

/// The shop's orders, newest first, and the top-ups waiting for the merchant.
pub async fn orders<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let (shop, list) = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &user, ShopId(id), ShopAction::Serve)?;
            let list = tx.orders_of_shop(shop.id, 200)?;
            Ok((shop, list))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let awaiting = list
        .iter()
        .filter(|o| o.state == OrderState::AwaitingFulfilment)
        .map(|o| AwaitingRow {
            row: OrderRow::of(o),
            target: topup_lines(o),
            due: o.promise_due.map(fmt_time).unwrap_or_default(),
        })
        .collect();
    let t = ShopOrdersPage {
        page: &page.layout,
        shop_id: shop.id.0,
        shop_name: shop.name,
        orders: list.iter().map(OrderRow::of).collect(),
        awaiting,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// 标记已充值: the merchant's note or proof starts the protection window.
pub async fn fulfil<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let note = field(&pairs, "note").to_owned();
    let now = app.now();
    let o = app
        .store
        .write(move |tx| orders::fulfil(tx, now, &user, &no, &note))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/merchant/shops/{}/orders", o.shop_id.0)))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/shops/{id}/products/new", routing::get(new_form::<S>).post(create::<S>))
        .route("/merchant/products/{id}/sale", routing::post(set_sale::<S>))
        .route("/merchant/shops/{id}/orders", routing::get(orders::<S>))
        .route("/merchant/orders/{no}/fulfil", routing::post(fulfil::<S>))
}
