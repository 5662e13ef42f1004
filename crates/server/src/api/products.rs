//! Products, stock and search.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::{self, ShopAction};
use youying_core::catalogue::{ProductInput, ProductSpec};
use youying_core::ports::Store;
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, deposit, listings, stock};

use crate::app::products::{
    ProductView, SearchParams, SearchView, import_stock, load_view, priced_view, search_products,
};
use crate::auth::{ApiUser, MaybeViewer};
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProduct {
    pub shop_id: i64,
    pub on_sale: Option<bool>,
    /// category, kind, title, description, instructions, price_fen, tiers, promises,
    /// topup_promise_secs, topup_fields, account_attrs, max_per_order.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub input: ProductInput,
}

#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = NewProduct,
    responses((status = 201, body = ProductView), (status = 404, description = "not your shop"), (status = 422, description = "invalid listing")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(n): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    let spec = ProductSpec::parse(&n.input)?;
    let now = app.now();
    let on_sale = n.on_sale.unwrap_or(true);
    let shop_id = ShopId(n.shop_id);
    let user = v.user.clone();
    let id = app.store.write(move |tx| listings::create(tx, now, &user, shop_id, &spec, on_sale)).await?;
    crate::catalog::sync_search(&app).await?;
    Ok((StatusCode::CREATED, Json(load_view(&app, Some(&v.user), id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductPatch {
    pub on_sale: Option<bool>,
    /// If given, the change applies only to this version (else 409).
    pub version: Option<i64>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub input: ProductInput,
}

#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", params(("id" = i64, Path)), request_body = ProductPatch,
    responses((status = 200, body = ProductView), (status = 404), (status = 409, description = "changed meanwhile"), (status = 422)))]
pub async fn patch<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(p): ApiJson<ProductPatch>,
) -> ApiResult<Json<ProductView>> {
    let now = app.now();
    let user = v.user.clone();
    app.store.write(move |tx| listings::update(tx, now, &user, ProductId(id), &p.input, p.on_sale, p.version)).await?;
    crate::catalog::sync_search(&app).await?;
    Ok(Json(load_view(&app, Some(&v.user), ProductId(id)).await?))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", params(("id" = i64, Path)), responses((status = 200, body = ProductView), (status = 404)))]
pub async fn get<S: Store>(
    State(app): State<App<S>>,
    MaybeViewer(viewer): MaybeViewer,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(load_view(&app, viewer.as_ref().map(|v| &v.user), ProductId(id)).await?))
}

#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(SearchParams), responses((status = 200, body = SearchView)))]
pub async fn search<S: Store>(
    State(app): State<App<S>>,
    MaybeViewer(viewer): MaybeViewer,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchView>> {
    Ok(Json(search_products(&app, viewer.as_ref().map(|v| &v.user), &p).await?))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/products", tag = "products", params(("id" = i64, Path)), responses((status = 200, body = Vec<ProductView>)))]
pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    MaybeViewer(viewer): MaybeViewer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ProductView>>> {
    let now = app.now();
    let rows = app
        .store
        .read(move |tx| {
            let shop = tx.shop(ShopId(id))?.ok_or(Error::NotFound)?;
            // A hidden shop's listings are shown to its own staff only.
            let staff = viewer.as_ref().is_some_and(|v| authz::shop(&v.user, ShopAction::Serve, &shop).is_ok());
            if !staff && !deposit::standing(tx, now, shop.id)?.listed() {
                return Ok(Vec::new());
            }
            let level = youying_core::levels::viewer_level(tx, viewer.as_ref().map(|v| &v.user))?;
            let mut out = Vec::new();
            for p in tx.products_of_shop(shop.id)? {
                let n = tx.stock_count(p.id)?;
                out.push(priced_view(tx, &level, &p, shop.name.clone(), Some(n))?);
            }
            crate::app::products::with_card_facts(tx, out)
        })
        .await?;
    Ok(Json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// Import the rest when some lines duplicate existing stock or each other.
    #[serde(default)]
    pub skip_duplicates: bool,
}

#[utoipa::path(post, path = "/api/v1/products/{id}/stock", tag = "products", params(("id" = i64, Path), ImportParams),
    request_body(content = String, content_type = "text/plain", description = "one unit per line: `code`, `code secret`, `code----secret` or `code,secret`"),
    responses((status = 200, description = "imported; the report"), (status = 422, description = "nothing imported; the report lists every bad and duplicate line"), (status = 404)))]
pub async fn import<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let text = std::str::from_utf8(&body).map_err(|_| Error::Invalid { field: "stock", reason: "not_utf8" })?;
    let report = import_stock(&app, v.user, ProductId(id), text, q.skip_duplicates).await?;
    let status = if report.rejected { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut body = serde_json::to_value(&report).unwrap_or_default();
    if report.rejected {
        body["code"] = "stock_rejected".into();
        body["message"] = crate::i18n::t("stock_rejected").into();
    }
    Ok((status, Json(body)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawn {
    pub withdrawn: i64,
}

#[utoipa::path(delete, path = "/api/v1/products/{id}/stock", tag = "products", params(("id" = i64, Path)), responses((status = 200, body = Withdrawn), (status = 404)))]
pub async fn withdraw<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Withdrawn>> {
    let now = app.now();
    let n = app.store.write(move |tx| stock::withdraw(tx, now, &v.user, ProductId(id), None)).await?;
    Ok(Json(Withdrawn { withdrawn: n }))
}

#[utoipa::path(post, path = "/api/v1/products/{id}/stock/export", tag = "products", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/plain", description = "the unsold units, one per line (`code` or `code----secret`); recorded as evidence"), (status = 404)))]
pub async fn export<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let text = crate::app::stock_export::export_stock(&app, v.user, ProductId(id)).await?;
    let name = crate::app::stock_export::file_name(ProductId(id));
    let headers = [
        (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    Ok((headers, text).into_response())
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/products", routing::get(search::<S>).post(create::<S>))
        .route("/api/v1/products/{id}", routing::get(get::<S>).patch(patch::<S>))
        .route(
            "/api/v1/products/{id}/stock",
            routing::post(import::<S>)
                .delete(withdraw::<S>)
                .layer(DefaultBodyLimit::max(crate::app::products::STOCK_BODY_LIMIT)),
        )
        .route("/api/v1/products/{id}/stock/export", routing::post(export::<S>))
        .route("/api/v1/shops/{id}/products", routing::get(of_shop::<S>))
}
