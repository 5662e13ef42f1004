//! What every page shares: the [`Page`] extractor (viewer, navigation, CSRF
//! token), the [`Layout`] the base template reads, rendering, redirects and
//! the [`PageError`] shown in that layout.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use youying_core::ports::Store;
use youying_core::values::Role;

use crate::auth::{ANON_CSRF_COOKIE, MaybeViewer, Viewer, cookie};
use crate::error::AppError;
use crate::i18n;
use crate::security::{constant_time_eq, random_token};
use crate::state::App;

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
    /// Unread notices, for the badge beside 通知; `None` when signed out.
    pub unread: Option<i64>,
    /// The path shown.
    path: String,
    /// A fresh anonymous CSRF cookie (the whole `Set-Cookie` value) to set with this response.
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
        self.path = path.to_owned();
        self
    }

    /// Whether the nav offers the entry `key` (a page linking to what the nav leaves out).
    pub fn has_nav(&self, key: &str) -> bool {
        self.nav.iter().any(|i| i.key == key)
    }

    /// Whether the page shown is `href` (for links outside `nav`).
    pub fn nav_active(&self, href: &str) -> bool {
        self.path == href
    }
}

fn nav_for(viewer: Option<&Viewer>, owns_shop: bool) -> Vec<NavItem> {
    let item = |key, label, href| NavItem { key, label, href, active: false };
    let mut nav = vec![item("home", "nav.home", "/"), item("market", "nav.market", "/search")];
    match viewer.map(|v| v.user.role) {
        None => {
            nav.push(item("login", "nav.login", "/login"));
            nav.push(item("register", "nav.register", "/register"));
            nav.push(item("lookup", "nav.lookup", "/orders/lookup"));
        }
        Some(Role::Buyer) => {
            nav.push(item("orders", "nav.orders", "/orders"));
            // One 售后 entry: a shop owner's leads to the cases its shop must
            // handle; the list of its own purchases' cases links across from there.
            if owns_shop {
                nav.push(item("merchant-cases", "nav.merchant_cases", "/merchant/cases"));
            } else {
                nav.push(item("cases", "nav.cases", "/cases"));
            }
            nav.push(item("chat", "nav.chat", "/chat"));
            nav.push(item("wallet", "nav.wallet", "/wallet"));
            nav.push(item("account", "nav.me", "/account"));
            if owns_shop {
                nav.push(item("merchant", "nav.merchant", "/merchant"));
                nav.push(item("merchant-chat", "nav.merchant_chat", "/merchant/chat"));
                nav.push(item("quiz", "nav.quiz", "/quiz"));
            } else if viewer.is_some_and(|v| v.user.guest) {
                // A guest opens no shop; it may become a full account first.
                nav.push(item("claim", "nav.claim", "/account/claim"));
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

/// The site's icon, "应" on the brand colour. Every browser asks for
/// `/favicon.ico` on every site; without it each page logged a 404 in the console.
pub async fn favicon() -> impl IntoResponse {
    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#d9480f"/><text x="16" y="23" font-size="20" text-anchor="middle" fill="#fff" font-family="sans-serif">应</text></svg>"##;
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], SVG)
}

/// The page context extractor: viewer, navigation and CSRF token.
#[derive(Debug, Clone)]
pub struct Page {
    pub viewer: Option<Viewer>,
    pub layout: Layout,
    /// The anonymous double-submit token from the cookie, if any.
    pub(super) anon_csrf: Option<String>,
    /// Where the visitor is, to come back to after signing in.
    pub(super) path: String,
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
        let unread = match &viewer {
            Some(v) => {
                let id = v.user.id;
                Some(app.store.read(move |tx| tx.unread_notices(id)).await.map_err(|e| PageError::bare(e.into()))?)
            }
            None => None,
        };
        let anon_csrf = cookie(&parts.headers, ANON_CSRF_COOKIE).map(str::to_owned);
        let (csrf, set_anon_csrf) = match (&viewer, &anon_csrf) {
            (Some(v), _) => (v.csrf().unwrap_or_default().to_owned(), None),
            (None, Some(t)) => (t.clone(), None),
            (None, None) => {
                let t = random_token("").map_err(|e| PageError::bare(e.into()))?;
                // Secure like the session cookie: a forged http:// response must not plant it.
                let secure = if app.config.secure_cookies { "; Secure" } else { "" };
                (t.clone(), Some(format!("{ANON_CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict{secure}")))
            }
        };
        let layout = Layout {
            username: viewer.as_ref().map(|v| v.user.username.clone()),
            role: viewer.as_ref().map_or("anonymous", |v| v.user.role.as_str()),
            nav: nav_for(viewer.as_ref(), owns_shop),
            csrf,
            flash: None,
            unread,
            path: String::new(),
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
            if let Some(c) = &layout.set_anon_csrf
                && let Ok(v) = HeaderValue::from_str(c)
            {
                resp.headers_mut().append(header::SET_COOKIE, v);
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
        503 => "服务暂时不可用",
        507 => "存储空间已满",
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
                    unread: None,
                    path: String::new(),
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
        crate::error::set_retry_after(&mut resp, error.retry_after().or_else(|| error.transient_retry()));
        resp
    }
}

/// A 303 to `to` after a successful form post.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}
