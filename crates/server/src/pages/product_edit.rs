//! 编辑商品: the shop's owner changes a listing's price, tiers, texts and buyer
//! fields. Orders already placed keep their snapshot; the change is an
//! evidence event (`listings::update`).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::authz::ShopAction;
use youying_core::catalogue::{CATEGORIES, PROMISES, Product, ProductKind};
use youying_core::listings;
use youying_core::ports::Store;
use youying_core::values::ProductId;
use youying_core::{Error, shops};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::product_form::ProductForm;
use crate::error::AppError;
use crate::state::App;

struct Choice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "product_edit.html")]
struct EditPage<'a> {
    page: &'a Layout,
    id: i64,
    shop_id: i64,
    shop_name: String,
    version: i64,
    kind_label: &'static str,
    categories: Vec<Choice>,
    promises: Vec<Choice>,
    f: ProductForm,
    saved: bool,
    show_kind: bool,
    show_topup: bool,
    show_account: bool,
}

/// The listing and its shop's name, if the viewer manages the shop (else 404).
async fn product_for<S: Store>(app: &App<S>, page: &Page, id: i64) -> Result<(Product, String), PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store
        .read(move |tx| {
            let p = tx.product(ProductId(id))?.ok_or(Error::NotFound)?;
            let shop = shops::load(tx, &user, p.shop_id, ShopAction::Manage)?;
            Ok((p, shop.name))
        })
        .await
        .map_err(|e| page.error(e.into()))
}

fn edit_page(page: &Page, p: &Product, shop_name: String, f: ProductForm, status: StatusCode, saved: bool) -> Response {
    let choose = |list: &[(&'static str, &'static str)], chosen: &dyn Fn(&str) -> bool| {
        list.iter().map(|&(code, label)| Choice { code, label, selected: chosen(code) }).collect::<Vec<_>>()
    };
    let t = EditPage {
        page: &page.layout,
        id: p.id.0,
        shop_id: p.shop_id.0,
        shop_name,
        version: p.version,
        kind_label: p.spec.kind.label(),
        categories: choose(CATEGORIES, &|c| c == f.category),
        promises: choose(PROMISES, &|c| f.promises.iter().any(|x| x == c)),
        saved,
        show_kind: false,
        show_topup: p.spec.kind == ProductKind::DirectTopup,
        show_account: p.spec.kind == ProductKind::Account,
        f,
    };
    render(status, &page.layout, &t)
}

#[derive(Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    let (p, shop_name) = product_for(&app, &page, id).await?;
    let f = ProductForm::from_spec(&p.spec);
    Ok(edit_page(&page, &p, shop_name, f, StatusCode::OK, q.saved.is_some()))
}

/// Saves the listing if it is still the version the form showed; a rejected
/// form comes back with the message beside its field and everything typed.
pub async fn save<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&pairs, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let (p, shop_name) = product_for(&app, &page, id).await?;
    let mut f = ProductForm::from_pairs(&pairs);
    // The kind is fixed: the form shows it, the hidden input cannot change it.
    f.kind = p.spec.kind.as_str().to_owned();
    let version = field(&pairs, "version").parse::<i64>().ok();
    let saved = async {
        let input = f.input()?;
        let now = app.now();
        app.store.write(move |tx| listings::update(tx, now, &user, ProductId(id), &input, None, version)).await?;
        crate::catalog::sync_search(&app).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match saved {
        Ok(()) => Ok(see_other(&format!("/merchant/products/{id}/edit?saved=1"))),
        Err(e) if matches!(e.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT) => {
            e.log();
            let status = e.status();
            Ok(edit_page(&page, &p, shop_name, f.with_error(&e), status, false))
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/merchant/products/{id}/edit", routing::get(form::<S>).post(save::<S>))
}
