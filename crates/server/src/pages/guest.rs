//! Guest pages: 游客购买 on the product page (contact + query password, then
//! the gateway's cashier), 订单查询 (`/orders/lookup`) and 设置用户名和密码
//! (`/account/claim`). A guest is signed in with a normal session cookie, so
//! every buyer page works for it unchanged.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::ports::Store;

use super::buy::{BuyInput, GuestForm, back_to_product, form_order, product_page, typed};
use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::accounts::NewSession;
use crate::app::guest::{self, GuestOrder, LookupRequest};
use crate::app::orders::PayWith;
use crate::auth::{ClientIp, session_cookie};
use crate::error::AppError;
use crate::state::App;

/// The 游客购买 form shown again after `e`: the contact as typed, the error
/// beside the field it is about.
fn failed(contact: String, e: &AppError) -> GuestForm {
    let mut f = GuestForm { contact, ..GuestForm::default() };
    match e {
        AppError::Core(Error::Invalid { field: "contact", .. }) => f.contact_error = Some(e.message()),
        AppError::Core(Error::Invalid { field: "query_password", .. } | Error::Throttled { .. }) => {
            f.password_error = Some(e.message());
        }
        _ if e.code() == "guest_contact_taken" => f.password_error = Some(e.message()),
        _ => f.error = Some(e.message()),
    }
    f
}

/// A 303 to `to` that also signs the browser in with `s`.
fn signed_in<S: Store>(app: &App<S>, s: &NewSession, to: &str) -> Response {
    let max_age = s.expires_at.millis_since(app.now()) / 1000;
    let mut resp = see_other(to);
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&s.token, max_age, app.config.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn with_retry_after(mut resp: Response, e: &AppError) -> Response {
    crate::error::set_retry_after(&mut resp, e.retry_after());
    resp
}

/// 游客购买: a guest account (or the contact's earlier one), signed in, and
/// straight on to the gateway's cashier through the payment status page.
pub async fn guest_buy<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    if page.viewer.is_some() {
        // Signed in (a buyer, or a guest buying again): the page's own buttons.
        return Ok(see_other(&format!("/products/{id}")));
    }
    let contact = field(&form, "contact").trim().chars().take(254).collect::<String>();
    let result = async {
        let order = form_order(&app, id, &form).await?;
        let g = GuestOrder {
            product_id: id,
            quantity: order.quantity,
            topup_target: order.topup_target,
            contact: contact.clone(),
            query_password: field(&form, "query_password").to_owned(),
            pay: PayWith { channel: field(&form, "pay_channel").trim().to_owned(), gateway: None },
        };
        let site = app.config.site_url(&headers);
        guest::checkout(&app, &ip, &site, &g).await
    }
    .await;
    match result {
        Ok(start) => Ok(signed_in(&app, &start.session, &format!("/wallet/topups/{}?go=1", start.payment.id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => {
            e.log();
            let (quantity, topup) = typed(&form);
            let guest = failed(contact, &e);
            let input = BuyInput { quantity, topup, error: None, guest };
            let resp = product_page(&app, &page, id, input).await?;
            // The page itself is fine; the status says the purchase was not.
            let (mut parts, body) = resp.into_parts();
            parts.status = e.status();
            Ok(with_retry_after(Response::from_parts(parts, body), &e))
        }
    }
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage<'a> {
    page: &'a Layout,
    query: String,
    error: Option<String>,
}

pub async fn lookup_form(page: Page) -> Response {
    render(StatusCode::OK, &page.layout, &LookupPage { page: &page.layout, query: String::new(), error: None })
}

/// 订单查询: the same answer for every failure (see `app::guest::lookup`).
pub async fn lookup<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let r = LookupRequest {
        query: field(&form, "query").trim().chars().take(254).collect(),
        query_password: field(&form, "query_password").to_owned(),
    };
    match guest::lookup(&app, &ip, &r).await {
        Ok(found) => {
            let to = found.order_no.map_or_else(|| "/orders".to_owned(), |no| format!("/orders/{no}"));
            Ok(signed_in(&app, &found.session, &to))
        }
        Err(e) => {
            e.log();
            let t = LookupPage { page: &page.layout, query: r.query, error: Some(e.message()) };
            Ok(with_retry_after(render(e.status(), &page.layout, &t), &e))
        }
    }
}

#[derive(Template)]
#[template(path = "claim.html")]
struct ClaimPage<'a> {
    page: &'a Layout,
    contact: String,
    username: String,
    error: Option<String>,
}

async fn claim_page<S: Store>(
    app: &App<S>,
    page: &Page,
    username: String,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    if !v.user.guest {
        return Ok(see_other("/account"));
    }
    let info = guest::info(app, &v.user).await.map_err(|e| page.error(e))?;
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    let t = ClaimPage {
        page: &page.layout,
        contact: info.contact.unwrap_or_default(),
        username,
        error: error.map(|e| e.message()),
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn claim_form<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    claim_page(&app, &page, String::new(), None).await
}

/// 设置用户名和密码: the guest keeps its session and its orders.
pub async fn claim<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?.clone();
    let username = field(&form, "username").trim().to_owned();
    match guest::claim(&app, &v.user, &username, field(&form, "password")).await {
        Ok(_) => Ok(see_other("/orders")),
        Err(e) => {
            e.log();
            claim_page(&app, &page, username, Some(e)).await
        }
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/products/{id}/guest-buy", routing::get(back_to_product).post(guest_buy::<S>))
        .route("/orders/lookup", routing::get(lookup_form).post(lookup::<S>))
        .route("/account/claim", routing::get(claim_form::<S>).post(claim::<S>))
}
