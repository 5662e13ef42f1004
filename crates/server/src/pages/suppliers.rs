//! 直充货源 in the pages: the section of the shop's 货源对接 page (suppliers
//! with health and last error, the add form, remove), and a direct-top-up
//! product's 绑定直充货源 page (supplier, SKU, account field; unbind). Every
//! form post redirects; on an error the form comes back with the message
//! beside its field and the typed values kept (never the secret).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::ports::Store;
use youying_core::sourcing::ConnectionId;
use youying_core::values::{ProductId, ShopId};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::sourcing::{Draft, base_url_message, list_page};
use crate::app::suppliers::{self, AddSupplierRequest, BindRequest};
use crate::error::AppError;
use crate::state::App;

/// The draft with the error beside its field; errors of no field become the error page.
fn with_error(mut draft: Draft, e: AppError, fields: &[&str]) -> Result<Draft, AppError> {
    let f = match &e {
        AppError::Core(Error::Invalid { field, .. }) if fields.contains(field) => *field,
        AppError::Core(Error::Invalid { .. } | Error::Conflict(_)) => fields.first().copied().unwrap_or(""),
        _ => return Err(e),
    };
    draft.error_field = f.to_owned();
    draft.error = match &e {
        AppError::Core(Error::Invalid { field: "base_url", reason: "unreachable" }) => {
            "连接不上供货商：请确认接口地址正确（其下应有 /order/create 与 /order/query）且对方在线。".to_owned()
        }
        AppError::Core(Error::Invalid { field: "base_url", reason }) => base_url_message(reason).to_owned(),
        AppError::Core(Error::Invalid { field: "secret", reason: "supplier_refused" }) => {
            "供货商拒绝了签名查询：请检查 App ID 和密钥。".to_owned()
        }
        _ => e.message(),
    };
    Ok(draft)
}

/// 接入直充货源.
pub async fn add<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let req = AddSupplierRequest {
        name: field(&f, "name").to_owned(),
        base_url: field(&f, "base_url").to_owned(),
        app_id: field(&f, "app_id").to_owned(),
        secret: field(&f, "secret").to_owned(),
    };
    match suppliers::add(&app, user, ShopId(id), &req).await {
        Ok(_) => Ok(see_other(&format!("/merchant/shops/{id}/upstreams?supplier_added=1#suppliers"))),
        Err(e) => {
            // The secret is never typed back into the page.
            let values = f.into_iter().filter(|(k, _)| k != "secret" && k != "_csrf").collect();
            let draft = Draft { values, ..Draft::default() };
            let draft =
                with_error(draft, e.into(), &["name", "base_url", "app_id", "secret"]).map_err(|e| page.error(e))?;
            list_page(&app, &page, id, Draft::default(), draft).await
        }
    }
}

/// 移除 (only when nothing is bound to it).
pub async fn remove<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, sid)): Path<(i64, i64)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    match suppliers::remove(&app, user, ShopId(id), ConnectionId(sid)).await {
        Ok(()) => Ok(see_other(&format!("/merchant/shops/{id}/upstreams?supplier_removed=1#suppliers"))),
        Err(e) => {
            let draft = with_error(Draft::default(), e.into(), &["remove"]).map_err(|e| page.error(e))?;
            list_page(&app, &page, id, Draft::default(), draft).await
        }
    }
}

#[derive(Template)]
#[template(path = "supplier_bind.html")]
struct BindPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    product_id: i64,
    title: String,
    /// (name, label) of the product's top-up fields.
    fields: Vec<(String, String)>,
    /// (id, name) of the shop's suppliers.
    suppliers: Vec<(i64, String)>,
    /// The current binding: supplier name, SKU, account field label.
    bound: Option<(String, String, String)>,
    draft: Draft,
}

impl BindPage<'_> {
    /// The value a field shows: as typed after an error, else the current binding's.
    fn value(&self, name: &str) -> String {
        field(&self.draft.values, name).to_owned()
    }
}

async fn bind_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    pid: i64,
    draft: Draft,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let form = suppliers::bind_form(app, user, ShopId(id), ProductId(pid)).await.map_err(|e| page.error(e.into()))?;
    let name_of = |sid: i64| form.suppliers.iter().find(|s| s.id == sid).map_or_else(String::new, |s| s.name.clone());
    let label_of = |f: &str| form.fields.iter().find(|(n, _)| n == f).map_or_else(|| f.to_owned(), |(_, l)| l.clone());
    let bound = form.binding.as_ref().map(|b| (name_of(b.supplier_id), b.sku.clone(), label_of(&b.account_field)));
    let draft = if draft.values.is_empty() {
        let values = form.binding.as_ref().map_or_else(Vec::new, |b| {
            vec![
                ("supplier_id".to_owned(), b.supplier_id.to_string()),
                ("sku".to_owned(), b.sku.clone()),
                ("account_field".to_owned(), b.account_field.clone()),
            ]
        });
        Draft { values, ..draft }
    } else {
        draft
    };
    let status = if draft.error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = BindPage {
        page: &page.layout,
        shop_id: id,
        product_id: pid,
        title: form.title,
        fields: form.fields,
        suppliers: form.suppliers.iter().map(|s| (s.id, s.name.clone())).collect(),
        bound,
        draft,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn bind_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, pid)): Path<(i64, i64)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let flash = if !field(&q, "bound").is_empty() {
        Some("已绑定直充货源：之后的订单会自动向供货商下单充值。")
    } else if !field(&q, "unbound").is_empty() {
        Some("已解除绑定：之后的订单需要您手动充值。")
    } else {
        None
    };
    let page = match flash {
        Some(m) => Page { layout: page.layout.clone().with_flash(m), ..page },
        None => page,
    };
    bind_page(&app, &page, id, pid, Draft::default()).await
}

/// 绑定直充货源.
pub async fn bind<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, pid)): Path<(i64, i64)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let result = match field(&f, "supplier_id").parse::<i64>() {
        Ok(supplier_id) => {
            let account = field(&f, "account_field").trim();
            let req = BindRequest {
                supplier_id,
                sku: field(&f, "sku").to_owned(),
                account_field: (!account.is_empty()).then(|| account.to_owned()),
            };
            suppliers::bind(&app, user, ShopId(id), ProductId(pid), &req).await.map_err(AppError::from)
        }
        Err(_) => Err(Error::Invalid { field: "supplier_id", reason: "required" }.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/merchant/shops/{id}/products/{pid}/supplier?bound=1"))),
        // Another shop's supplier id: the form's own choice was tampered with.
        Err(AppError::Core(Error::NotFound)) if !field(&f, "supplier_id").is_empty() => {
            let values = f.into_iter().filter(|(k, _)| k != "_csrf").collect();
            let draft =
                Draft {
                    values, error_field: "supplier_id".into(), error: "请选择本店已接入的直充货源。".into()
                };
            bind_page(&app, &page, id, pid, draft).await
        }
        Err(e) => {
            let values = f.into_iter().filter(|(k, _)| k != "_csrf").collect();
            let draft = with_error(
                Draft { values, ..Draft::default() },
                e,
                &["supplier_id", "sku", "account_field", "topup_product"],
            )
            .map_err(|e| page.error(e))?;
            bind_page(&app, &page, id, pid, draft).await
        }
    }
}

/// 解除绑定.
pub async fn unbind<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, pid)): Path<(i64, i64)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    suppliers::unbind(&app, user, ShopId(id), ProductId(pid)).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/merchant/shops/{id}/products/{pid}/supplier?unbound=1")))
}

pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/shops/{id}/suppliers", routing::post(add::<S>))
        .route("/merchant/shops/{id}/suppliers/{sid}/remove", routing::post(remove::<S>))
        .route("/merchant/shops/{id}/products/{pid}/supplier", routing::get(bind_form::<S>).post(bind::<S>))
        .route("/merchant/shops/{id}/products/{pid}/supplier/unbind", routing::post(unbind::<S>))
}
