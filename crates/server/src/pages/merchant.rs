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
use youying_core::catalogue::{
    AccountAttr, CATEGORIES, PROMISES, ProductInput, ProductKind, ProductSpec, Tier, TopupField,
};
use youying_core::orders::{self, OrderState};
use youying_core::ports::Store;
use youying_core::shops::Shop;
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, listings, shops};

use super::forms::{field, fields, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use super::orders::{OrderRow, topup_lines};
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

/// The shop if the viewer may act for it (`Manage` or `Serve`); else 404.
async fn shop_for<S: Store>(app: &App<S>, page: &Page, id: i64, action: ShopAction) -> Result<Shop, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store.read(move |tx| shops::load(tx, &user, ShopId(id), action)).await.map_err(|e| page.error(e.into()))
}

/// The form as typed, kept for re-showing it with an error.
#[derive(Default)]
struct ProductForm {
    category: String,
    kind: String,
    title: String,
    description: String,
    instructions: String,
    price: String,
    tiers: String,
    promises: Vec<String>,
    topup_minutes: String,
    field_name: String,
    field_label: String,
    field_pattern: String,
    account_attrs: String,
}

impl ProductForm {
    fn from_pairs(f: &[(String, String)]) -> Self {
        let get = |n: &str| field(f, n).to_owned();
        Self {
            category: get("category"),
            kind: get("kind"),
            title: get("title"),
            description: get("description"),
            instructions: get("instructions"),
            price: get("price"),
            tiers: get("tiers"),
            promises: fields(f, "promises").into_iter().map(str::to_owned).collect(),
            topup_minutes: get("topup_minutes"),
            field_name: get("field_name"),
            field_label: get("field_label"),
            field_pattern: get("field_pattern"),
            account_attrs: get("account_attrs"),
        }
    }

    /// Lines `left=right` (an ASCII or full-width equals sign), blank lines skipped.
    fn pairs(text: &str, field: &'static str) -> Result<Vec<(String, String)>, Error> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l
                    .split_once('=')
                    .or_else(|| l.split_once('＝'))
                    .ok_or(Error::Invalid { field, reason: "format" })?;
                Ok((k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect()
    }

    /// The listing input; only the fields of the chosen kind are sent, the
    /// core checks everything else.
    fn input(&self) -> Result<ProductInput, Error> {
        let kind = ProductKind::parse(&self.kind)?;
        let tiers = Self::pairs(&self.tiers, "tiers")?
            .into_iter()
            .map(|(q, p)| {
                let min_qty = q.parse().map_err(|_| Error::Invalid { field: "tiers", reason: "format" })?;
                Ok(Tier { min_qty, unit_price_fen: parse_yuan("tiers", &p)? })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut input = ProductInput {
            category: Some(self.category.clone()),
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            instructions: Some(self.instructions.clone()),
            price_fen: Some(parse_yuan("price", &self.price)?),
            tiers: Some(tiers),
            promises: Some(self.promises.clone()),
            ..ProductInput::default()
        };
        if kind == ProductKind::DirectTopup {
            let minutes = self.topup_minutes.trim();
            if !minutes.is_empty() {
                let m: i64 =
                    minutes.parse().map_err(|_| Error::Invalid { field: "topup_promise_secs", reason: "format" })?;
                input.topup_promise_secs = Some(m.saturating_mul(60));
            }
            let pattern = self.field_pattern.trim();
            input.topup_fields = Some(vec![TopupField {
                name: self.field_name.trim().to_owned(),
                label: self.field_label.trim().to_owned(),
                pattern: (!pattern.is_empty()).then(|| pattern.to_owned()),
            }]);
        }
        if kind == ProductKind::Account {
            let attrs = Self::pairs(&self.account_attrs, "account_attrs")?;
            input.account_attrs = Some(attrs.into_iter().map(|(name, value)| AccountAttr { name, value }).collect());
        }
        Ok(input)
    }
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
    error: Option<String>,
}

fn new_page(page: &Page, shop: &Shop, f: ProductForm, error: Option<&AppError>) -> Response {
    let choose = |list: &[(&'static str, &'static str)], chosen: &dyn Fn(&str) -> bool| {
        list.iter().map(|&(code, label)| Choice { code, label, selected: chosen(code) }).collect::<Vec<_>>()
    };
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
        error: error.map(AppError::message),
        f,
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
