//! Bulk 上架 / 下架 / 改价 on the shop's product list: the checked listings go
//! to a confirmation page (a GET, so it can be reloaded) that names how many and
//! which, with each new price; confirming changes all of them in one
//! transaction or none.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::authz::ShopAction;
use youying_core::catalogue::{Product, ProductInput};
use youying_core::listings::{self, Bulk};
use youying_core::money::Fen;
use youying_core::ports::Store;
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, shops};

use super::forms::{field, fields, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::error::AppError;
use crate::i18n;
use crate::state::App;

/// The request as typed: which listings, which action (`op`: a field called
/// `action` would hide the form's own `action` property from scripts), the new price.
struct BulkForm {
    ids: Vec<i64>,
    action: String,
    price: String,
    percent: String,
}

impl BulkForm {
    fn from_pairs(f: &[(String, String)]) -> Self {
        Self {
            ids: fields(f, "ids").iter().filter_map(|s| s.trim().parse().ok()).collect(),
            action: field(f, "op").to_owned(),
            price: field(f, "price").trim().to_owned(),
            percent: field(f, "percent").trim().trim_end_matches(['%', '％']).to_owned(),
        }
    }

    fn bulk(&self) -> Result<Bulk, Error> {
        let bad = |field, reason| Error::Invalid { field, reason };
        match self.action.as_str() {
            "on" => Ok(Bulk::OnSale(true)),
            "off" => Ok(Bulk::OnSale(false)),
            "price" => match (self.price.is_empty(), self.percent.is_empty()) {
                (false, true) => Ok(Bulk::Price(parse_yuan("price", &self.price)?)),
                (true, false) => {
                    let pct = self.percent.trim_start_matches('+').parse().map_err(|_| bad("percent", "format"))?;
                    Ok(Bulk::Percent(pct))
                }
                _ => Err(bad("bulk_price", "one_of_price_or_percent")),
            },
            _ => Err(bad("bulk_action", "unknown")),
        }
    }

    fn action_label(&self) -> &'static str {
        match self.action.as_str() {
            "on" => "上架",
            "off" => "下架",
            _ => "改价",
        }
    }
}

/// One chosen listing as the confirmation shows it.
struct Row {
    id: i64,
    title: String,
    price: String,
    new_price: String,
    /// Why this listing would refuse the change, if it would.
    problem: String,
}

#[derive(Template)]
#[template(path = "product_bulk.html")]
struct ConfirmPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    f: BulkForm,
    label: &'static str,
    rows: Vec<Row>,
    error: String,
    error_field: &'static str,
}

impl ConfirmPage<'_> {
    fn err(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }
}

/// The shop's name and the chosen listings, all of them its own (else 404).
async fn chosen<S: Store>(
    app: &App<S>,
    page: &Page,
    shop: i64,
    ids: &[i64],
) -> Result<(String, Vec<Product>), PageError> {
    let user = page.require_viewer()?.user.clone();
    let ids = ids.to_vec();
    app.store
        .read(move |tx| {
            let shop = shops::load(tx, &user, ShopId(shop), ShopAction::Manage)?;
            let own = tx.products_of_shop(shop.id)?;
            let mut out = Vec::new();
            for id in ids {
                let p = own.iter().find(|p| p.id == ProductId(id)).ok_or(Error::NotFound)?;
                if !out.iter().any(|q: &Product| q.id == p.id) {
                    out.push(p.clone());
                }
            }
            Ok((shop.name, out))
        })
        .await
        .map_err(|e| page.error(e.into()))
}

fn rows(list: &[Product], action: Option<Bulk>) -> Vec<Row> {
    let yuan = |fen: i64| Fen::new(fen).map(|f| f.to_string()).unwrap_or_else(|_| format!("{fen} 分"));
    list.iter()
        .map(|p| {
            let new = action.and_then(|a| a.new_price(p.spec.price_fen));
            let patch = |fen| ProductInput { price_fen: Some(fen), ..ProductInput::default() };
            let problem = match (new.map(|fen| p.spec.patched(&patch(fen))), p.spec.tiers.first()) {
                (Some(Err(Error::Invalid { field: "tiers", .. })), Some(t)) => {
                    format!("新价格须高于批发价 {}（{} 件起）", yuan(t.unit_price_fen), t.min_qty)
                }
                (Some(Err(e)), _) => AppError::from(e).message(),
                _ => String::new(),
            };
            Row {
                id: p.id.0,
                title: p.spec.title.clone(),
                price: yuan(p.spec.price_fen),
                new_price: new.map(yuan).unwrap_or_default(),
                problem,
            }
        })
        .collect()
}

fn confirm_page(
    page: &Page,
    shop_id: i64,
    shop_name: String,
    list: &[Product],
    f: BulkForm,
    error: Option<AppError>,
) -> Response {
    let (action, error) = match f.bulk() {
        Ok(a) if list.is_empty() => {
            (Some(a), error.or(Some(Error::Invalid { field: "ids", reason: "one_to_200" }.into())))
        }
        Ok(a) => (Some(a), error),
        Err(e) => (None, error.or(Some(e.into()))),
    };
    let rows = rows(list, action);
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    let error_field = match &error {
        Some(AppError::Core(Error::Invalid { field, .. })) => *field,
        _ => "",
    };
    let t = ConfirmPage {
        page: &page.layout,
        shop_id,
        shop_name,
        label: f.action_label(),
        f,
        rows,
        error: match &error {
            // The rows say which listing refused and why.
            Some(AppError::Core(Error::Invalid { field: "tiers" | "amount_fen", .. })) => {
                i18n::t("bulk.refused").to_owned()
            }
            e => e.as_ref().map(AppError::message).unwrap_or_default(),
        },
        error_field,
    };
    render(status, &page.layout, &t)
}

/// The confirmation: which listings, and what each becomes.
pub async fn confirm<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(shop): Path<i64>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = BulkForm::from_pairs(&pairs);
    let (name, list) = chosen(&app, &page, shop, &f.ids).await?;
    Ok(confirm_page(&page, shop, name, &list, f, None))
}

/// Applies the confirmed action to every listing, or to none.
pub async fn apply<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(shop): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let f = BulkForm::from_pairs(&pairs);
    let (name, list) = chosen(&app, &page, shop, &f.ids).await?;
    let done = async {
        let action = f.bulk()?;
        let (now, ids) = (app.now(), list.iter().map(|p| p.id).collect::<Vec<_>>());
        app.store.write(move |tx| listings::bulk(tx, now, &user, ShopId(shop), &ids, action)).await?;
        crate::catalog::sync_search(&app).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match done {
        Ok(()) => Ok(see_other(&format!("/merchant#shop-{shop}"))),
        Err(e) if e.status() == StatusCode::NOT_FOUND || e.status() == StatusCode::FORBIDDEN => Err(page.error(e)),
        Err(e) => {
            e.log();
            Ok(confirm_page(&page, shop, name, &list, f, Some(e)))
        }
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/merchant/shops/{id}/products/bulk", routing::get(confirm::<S>).post(apply::<S>))
}
