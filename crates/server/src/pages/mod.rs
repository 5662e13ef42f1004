//! Server-rendered pages in Chinese. Each page gets a [`Layout`] with the
//! navigation for the viewer's role and the CSRF token its forms must carry.

mod account;
mod bot;
mod cases;
mod chat;
mod chat_console;
mod chat_rows;
mod docs;
mod enforcement;
pub(crate) mod forms;
pub(crate) mod grade;
mod market;
mod merchant;
mod orders;
mod platform;
mod quiz;
pub mod reviews;
mod session;
mod shop;
mod stock;
mod wallet;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use youying_core::ports::Store;
use youying_core::values::Role;

use crate::auth::{ANON_CSRF_COOKIE, MaybeViewer, Viewer, cookie};
use crate::error::AppError;
use crate::i18n;
use crate::security::{constant_time_eq, random_token};
use crate::state::App;

pub fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/", get(market::home::<S>))
        .route("/search", get(market::search::<S>))
        .route("/products/{id}", get(market::product::<S>))
        .route("/products/{id}/buy", post(market::buy::<S>))
        .route("/shops/{id}", get(market::shop::<S>))
        .route("/grades", get(grade::rules))
        .route("/report", get(grade::report::<S>))
        .route("/orders", get(orders::list::<S>))
        .route("/orders/{no}", get(orders::show::<S>))
        .route("/orders/{no}/evidence.zip", get(crate::evidence::page_export::<S>))
        .route("/orders/{no}/reveal", post(orders::reveal::<S>))
        .route("/orders/{no}/confirm", post(orders::confirm::<S>))
        .route("/orders/{no}/cancel", post(orders::cancel::<S>))
        .route("/orders/{no}/snapshot", get(orders::snapshot::<S>))
        .route(
            "/orders/{no}/cases",
            get(cases::new_form::<S>)
                .post(cases::open::<S>)
                .layer(DefaultBodyLimit::max(crate::api::cases::CASE_BODY_LIMIT)),
        )
        .route("/cases", get(cases::mine::<S>))
        .route("/cases/{id}", get(cases::show::<S>))
        .route(
            "/cases/{id}/actions",
            post(cases::act::<S>).layer(DefaultBodyLimit::max(crate::api::cases::CASE_BODY_LIMIT)),
        )
        .route("/cases/{id}/evidence/{eid}", get(cases::evidence::<S>))
        .route("/merchant/cases", get(cases::merchant::<S>))
        .route("/platform/cases", get(cases::arbitration::<S>))
        .route("/cases/{id}/public-response", post(cases::public_response::<S>))
        .route("/orders/{no}/review", post(reviews::write::<S>))
        .route("/platform/reviews", get(reviews::queue::<S>))
        .route("/platform/reviews/{id}/moderate", post(reviews::moderate::<S>))
        .route("/merchant/shops/{id}/reviews", get(reviews::of_shop::<S>))
        .route("/merchant/reviews/{id}/reply", post(reviews::reply::<S>))
        .route("/wallet", get(wallet::show::<S>))
        .route("/wallet/faucet", post(wallet::faucet::<S>))
        .route("/login", get(session::login_form).post(session::login::<S>))
        .route("/register", get(session::register_form).post(session::register::<S>))
        .route("/logout", post(session::logout::<S>))
        .route("/invite/{token}", get(session::invite_form::<S>).post(session::accept_invite::<S>))
        .route("/shops/new", get(shop::open_form).post(shop::open::<S>))
        .route("/merchant", get(shop::console::<S>))
        .route("/merchant/shops/{id}/invites", post(shop::invite::<S>))
        .route("/merchant/shops/{id}/products/new", get(merchant::new_form::<S>).post(merchant::create::<S>))
        .route("/merchant/products/{id}/sale", post(merchant::set_sale::<S>))
        .route(
            "/merchant/products/{id}/stock",
            get(stock::show::<S>).post(stock::import::<S>).layer(DefaultBodyLimit::max(crate::api::STOCK_BODY_LIMIT)),
        )
        .route("/merchant/shops/{id}/orders", get(merchant::orders::<S>))
        .route("/merchant/orders/{no}/fulfil", post(merchant::fulfil::<S>))
        .route("/chat", get(chat::list::<S>))
        .route("/chat/open", post(chat::open::<S>))
        .route("/chat/{id}", get(chat::show::<S>))
        .route("/chat/{id}/messages", post(chat::post::<S>))
        .route(
            "/chat/{id}/images",
            post(chat::post_image::<S>).layer(DefaultBodyLimit::max(crate::api::chat::IMAGE_FORM_LIMIT)),
        )
        .route("/chat/{id}/assign", post(chat::assign::<S>))
        .route("/chat/{id}/bot", post(bot::press::<S>))
        .route("/merchant/shops/{id}/faq", get(bot::shop_faq::<S>).post(bot::add_shop::<S>))
        .route("/merchant/shops/{id}/bot", post(bot::switch::<S>))
        .route("/platform/faq", get(bot::platform_faq::<S>).post(bot::add_platform::<S>))
        .route("/faq/{id}", post(bot::change::<S>))
        .route("/merchant/chat", get(chat_console::merchant_list::<S>))
        .route("/merchant/chat/{id}", get(chat_console::merchant_show::<S>))
        .route("/platform/chat", get(chat_console::platform_list::<S>))
        .route("/platform/chat/{id}", get(chat_console::platform_show::<S>))
        .route("/platform/duty", post(chat_console::duty::<S>))
        .route("/account", get(account::show::<S>))
        .route("/account/email", post(account::set_email::<S>))
        .route("/account/tokens", post(account::create_token::<S>))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token::<S>))
        .route("/platform", get(platform::console::<S>))
        .route("/quiz", get(quiz::home::<S>).post(quiz::start::<S>))
        .route("/quiz/attempts/{id}", get(quiz::show::<S>).post(quiz::submit::<S>))
        .route("/platform/quiz", get(quiz::bank::<S>).post(quiz::add::<S>))
        .route("/platform/quiz/{id}", post(quiz::edit::<S>))
        .route("/platform/quiz/{id}/retire", post(quiz::retire::<S>))
        .route("/admin/rules", post(platform::save_rules::<S>))
        .route("/merchant/shops/{id}/enforcement", get(enforcement::show::<S>))
        .route("/merchant/shops/{id}/deposit", post(enforcement::top_up::<S>))
        .route("/platform/penalties", get(enforcement::overview::<S>))
        .route("/admin/penalties/{id}/lift", post(enforcement::lift::<S>))
        .route("/api/docs", get(docs::page))
        .route("/static/app.css", get(css))
        .route("/static/chat.js", get(chat_js))
        .route("/static/cases.js", get(cases_js))
        .fallback(not_found)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
}

/// Live chat for the conversation pages and consoles; no build step, no inline script (CSP).
async fn chat_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/chat.js"),
    )
}

/// Live countdowns on the case pages.
async fn cases_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/cases.js"),
    )
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    pub active: bool,
}

/// What the base template needs on every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub username: Option<String>,
    pub role: &'static str,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub flash: Option<String>,
    /// A fresh anonymous CSRF cookie to set with this response.
    set_anon_csrf: Option<String>,
}

impl Layout {
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(key)
    }

    pub fn with_flash(mut self, msg: impl Into<String>) -> Self {
        self.flash = Some(msg.into());
        self
    }

    fn mark_active(mut self, path: &str) -> Self {
        for item in &mut self.nav {
            item.active = item.href == path;
        }
        self
    }
}

fn nav_for(viewer: Option<&Viewer>, owns_shop: bool) -> Vec<NavItem> {
    let item = |key, label, href| NavItem { key, label, href, active: false };
    let mut nav = vec![item("home", "nav.home", "/"), item("market", "nav.market", "/search")];
    match viewer.map(|v| v.user.role) {
        None => {
            nav.push(item("login", "nav.login", "/login"));
            nav.push(item("register", "nav.register", "/register"));
        }
        Some(Role::Buyer) => {
            nav.push(item("orders", "nav.orders", "/orders"));
            nav.push(item("cases", "nav.cases", "/cases"));
            nav.push(item("chat", "nav.chat", "/chat"));
            nav.push(item("wallet", "nav.wallet", "/wallet"));
            nav.push(item("account", "nav.me", "/account"));
            if owns_shop {
                nav.push(item("merchant", "nav.merchant", "/merchant"));
                nav.push(item("merchant-chat", "nav.merchant_chat", "/merchant/chat"));
                nav.push(item("merchant-cases", "nav.merchant_cases", "/merchant/cases"));
                nav.push(item("quiz", "nav.quiz", "/quiz"));
            } else {
                nav.push(item("open-shop", "nav.open_shop", "/shops/new"));
            }
        }
        Some(Role::MerchantAgent) => {
            nav.push(item("merchant", "nav.merchant", "/merchant"));
            nav.push(item("merchant-chat", "nav.merchant_chat", "/merchant/chat"));
            nav.push(item("merchant-cases", "nav.merchant_cases", "/merchant/cases"));
            nav.push(item("quiz", "nav.quiz", "/quiz"));
        }
        Some(Role::PlatformAgent) => {
            nav.push(item("platform", "nav.platform", "/platform"));
            nav.push(item("arbitration", "nav.arbitration", "/platform/cases"));
            nav.push(item("reviews", "nav.reviews", "/platform/reviews"));
        }
        Some(Role::Admin) => {
            nav.push(item("platform", "nav.platform", "/platform"));
            nav.push(item("arbitration", "nav.arbitration", "/platform/cases"));
            nav.push(item("reviews", "nav.reviews", "/platform/reviews"));
            nav.push(item("admin", "nav.admin", "/platform#rules-form"));
        }
    }
    nav
}

/// The page context extractor: viewer, navigation and CSRF token.
#[derive(Debug, Clone)]
pub struct Page {
    pub viewer: Option<Viewer>,
    pub layout: Layout,
    /// The anonymous double-submit token from the cookie, if any.
    anon_csrf: Option<String>,
    /// Where the visitor is, to come back to after signing in.
    path: String,
}

/// A same-site path worth returning to after sign-in; anything else is dropped.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 200
        && next.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
    ok.then_some(next)
}

impl<S: Store> FromRequestParts<App<S>> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Self::Rejection> {
        let MaybeViewer(viewer) = MaybeViewer::from_request_parts(parts, app).await.map_err(PageError::bare)?;
        let owns_shop = match &viewer {
            Some(v) if v.user.role == Role::Buyer => {
                let id = v.user.id;
                !app.store
                    .read(move |tx| tx.shops_owned_by(id))
                    .await
                    .map_err(|e| PageError::bare(e.into()))?
                    .is_empty()
            }
            _ => false,
        };
        let anon_csrf = cookie(&parts.headers, ANON_CSRF_COOKIE).map(str::to_owned);
        let (csrf, set_anon_csrf) = match (&viewer, &anon_csrf) {
            (Some(v), _) => (v.csrf().unwrap_or_default().to_owned(), None),
            (None, Some(t)) => (t.clone(), None),
            (None, None) => {
                let t = random_token("").map_err(|e| PageError::bare(e.into()))?;
                (t.clone(), Some(t))
            }
        };
        let layout = Layout {
            username: viewer.as_ref().map(|v| v.user.username.clone()),
            role: viewer.as_ref().map_or("anonymous", |v| v.user.role.as_str()),
            nav: nav_for(viewer.as_ref(), owns_shop),
            csrf,
            flash: None,
            set_anon_csrf,
        }
        .mark_active(parts.uri.path());
        Ok(Page { viewer, layout, anon_csrf, path: parts.uri.path().to_owned() })
    }
}

impl Page {
    /// Checks a posted form's token: the session's when signed in, otherwise the
    /// anonymous double-submit cookie's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let ok = match (&self.viewer, &self.anon_csrf) {
            (Some(v), _) => v.check_form_csrf(submitted).is_ok(),
            (None, Some(expected)) => constant_time_eq(expected, submitted),
            (None, None) => false,
        };
        if ok { Ok(()) } else { Err(self.error(AppError::http(StatusCode::FORBIDDEN, "csrf"))) }
    }

    pub fn require_viewer(&self) -> Result<&Viewer, PageError> {
        self.viewer.as_ref().ok_or_else(|| match safe_next(&self.path) {
            Some(next) => PageError::Redirect(format!("/login?next={next}")),
            None => PageError::Redirect("/login".into()),
        })
    }

    pub fn error(&self, e: AppError) -> PageError {
        PageError::Shown { layout: Box::new(self.layout.clone()), error: e }
    }
}

/// Renders a template with a status, setting the anonymous CSRF cookie if new.
pub fn render<T: Template>(status: StatusCode, layout: &Layout, t: &T) -> Response {
    match t.render() {
        Ok(body) => {
            let mut resp = (status, Html(body)).into_response();
            if let Some(token) = &layout.set_anon_csrf {
                let c = format!("{ANON_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
                if let Ok(v) = HeaderValue::from_str(&c) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(FALLBACK_500)).into_response()
        }
    }
}

const FALLBACK_500: &str = "<!doctype html><meta charset=utf-8><title>出错了</title><h1>500 · 服务器开小差了</h1><p><a href=/>返回首页</a></p>";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: &'a Layout,
    status: u16,
    heading: &'static str,
    message: String,
}

#[derive(Debug)]
pub enum PageError {
    /// An error shown in the full layout.
    Shown {
        layout: Box<Layout>,
        error: AppError,
    },
    /// An error before the layout could be built.
    Bare(AppError),
    Redirect(String),
}

impl PageError {
    pub fn bare(e: AppError) -> Self {
        PageError::Bare(e)
    }
}

fn heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "请求有误",
        401 => "请先登录",
        403 => "无权访问",
        404 => "页面不存在",
        409 => "状态冲突",
        410 => "链接已失效",
        413 => "内容过大",
        429 => "操作太频繁",
        _ => "服务器错误",
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (layout, error) = match self {
            PageError::Redirect(to) => {
                return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            }
            PageError::Shown { layout, error } => (*layout, error),
            PageError::Bare(error) => (
                Layout {
                    username: None,
                    role: "anonymous",
                    nav: nav_for(None, false),
                    csrf: String::new(),
                    flash: None,
                    set_anon_csrf: None,
                },
                error,
            ),
        };
        error.log();
        let status = error.status();
        let page =
            ErrorPage { page: &layout, status: status.as_u16(), heading: heading(status), message: error.message() };
        let mut resp = render(status, &layout, &page);
        crate::error::set_retry_after(&mut resp, error.retry_after());
        resp
    }
}

async fn not_found(page: Page) -> PageError {
    page.error(youying_core::Error::NotFound.into())
}

/// A 303 to `to` after a successful form post.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Milliseconds since the epoch as Beijing time, `YYYY-MM-DD HH:MM`.
pub fn fmt_time(t: youying_core::Timestamp) -> String {
    let secs = t.secs() + 8 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, (rem % 3600) / 60)
}

/// Howard Hinnant's days → civil date.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration in seconds, said the way a person would: 2 分钟, 24 小时, 3 天.
pub fn fmt_duration(secs: i64) -> String {
    match secs {
        // Up to three days read best in hours: "24 小时", "72 小时".
        s if s % 86_400 == 0 && s > 3 * 86_400 => format!("{} 天", s / 86_400),
        s if s % 3600 == 0 && s >= 3600 => format!("{} 小时", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} 分钟", s / 60),
        s => format!("{s} 秒"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_read_naturally() {
        assert_eq!(fmt_time(youying_core::Timestamp::from_millis(0)), "1970-01-01 08:00");
        assert_eq!(fmt_time(youying_core::Timestamp::from_millis(1_764_000_000_000)), "2025-11-25 00:00");
        assert_eq!(fmt_duration(120), "2 分钟");
        assert_eq!(fmt_duration(86_400), "24 小时");
        assert_eq!(fmt_duration(7 * 86_400), "7 天");
        assert_eq!(fmt_duration(43_200), "12 小时");
        assert_eq!(fmt_duration(90), "90 秒");
    }
}
