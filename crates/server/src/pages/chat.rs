//! Conversations on the pages: 联系商家 from a product, order or shop page, the
//! buyer's conversations and one conversation with its reply countdown, and
//! what every side posts (messages, claims). The thread itself is read in
//! `thread.rs` and rendered for any side in `thread_page.rs`; the agent consoles
//! live in `chat_console.rs`; `/static/chat.js` adds live updates over the websocket,
//! and every page here works without it by reloading.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::chat::{self, Side};
use youying_core::ports::Store;
use youying_core::values::{ConversationId, ProductId, ShopId, UserId};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, safe_next, see_other};
use super::thread::{Status, load_thread, thread_href};
use super::thread_page::{seen, thread_page};
use crate::error::AppError;
use crate::state::App;

/// The buyer's conversation; the shop's and the platform's staff read it in their consoles.
pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let th = load_thread(&app, &page, id).await?;
    if th.side != Side::Buyer {
        return Ok(see_other(&thread_href(th.side, id)));
    }
    seen(&app, &page, &th).await;
    Ok(thread_page(&app, &page, &th, String::new(), None))
}

/// 发送: from any side; without JS the form comes back here with a 303, and an
/// error re-shows the conversation with the text kept.
pub async fn post<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let text = field(&f, "text").to_owned();
    match crate::app::chat::say(&app, user, ConversationId(id), text.clone()).await {
        Ok(m) => Ok(see_other(&thread_href(m.side, id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => {
            let th = load_thread(&app, &page, id).await?;
            Ok(thread_page(&app, &page, &th, text, Some(&e)))
        }
    }
}

/// What the picture form carried: the CSRF token, then the file.
#[derive(Default)]
struct ImageForm {
    csrf: String,
    bytes: Vec<u8>,
    content_type: Option<String>,
    file_name: Option<String>,
}

async fn read_image_form(mut m: Multipart) -> Result<ImageForm, AppError> {
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::error::too_large()
        } else {
            AppError::http(StatusCode::BAD_REQUEST, "invalid_input")
        }
    };
    let mut f = ImageForm::default();
    while let Some(field) = m.next_field().await.map_err(fail)? {
        match field.name().unwrap_or_default() {
            "_csrf" => f.csrf = field.text().await.map_err(fail)?,
            "image" => {
                f.content_type = field.content_type().map(str::to_owned);
                f.file_name = field.file_name().map(str::to_owned);
                f.bytes = Vec::from(field.bytes().await.map_err(fail)?);
            }
            _ => {}
        }
    }
    Ok(f)
}

/// 发送图片 without JS: a multipart form; back to the conversation with a
/// 303, or the conversation again with the reason (too large, not a picture).
pub async fn post_image<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let sent = match read_image_form(multipart).await {
        Ok(f) => {
            page.check_csrf(&f.csrf)?;
            let claim = (f.content_type, f.file_name);
            crate::app::chat::send_image(&app, user, ConversationId(id), f.bytes, claim)
                .await
                .map_err(crate::error::image_error)
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(m) => Ok(see_other(&thread_href(m.side, id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => {
            let th = load_thread(&app, &page, id).await?;
            Ok(thread_page(&app, &page, &th, String::new(), Some(&e)))
        }
    }
}

/// 认领 (no `user_id`) or 转给同事: then back to the conversation.
pub async fn assign<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let to = field(&f, "user_id").trim().parse::<i64>().ok().map(UserId);
    let side = if user.role.is_platform() { Side::Platform } else { Side::Shop };
    let now = app.now();
    app.store
        .write(move |tx| chat::assign(tx, now, &user, ConversationId(id), to))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&thread_href(side, id)))
}

/// 联系商家: opens (or reopens) the conversation with the order or product
/// attached, then goes to it. Signed out: sign in first, then come back.
pub async fn open<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let shop: i64 = field(&f, "shop_id").trim().parse().map_err(|_| page.error(Error::NotFound.into()))?;
    let order_no = Some(field(&f, "order_no").trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let product = field(&f, "product_id").trim().parse::<i64>().ok().map(ProductId);
    let Some(v) = page.viewer.clone() else {
        let back = match (&order_no, product) {
            (Some(no), _) => format!("/orders/{no}"),
            (None, Some(p)) => format!("/products/{}", p.0),
            (None, None) => format!("/shops/{shop}"),
        };
        return Ok(see_other(&safe_next(&back).map_or_else(|| "/login".to_owned(), |n| format!("/login?next={n}"))));
    };
    let now = app.now();
    let c = app
        .store
        .write(move |tx| chat::open(tx, now, &v.user, ShopId(shop), order_no.as_deref(), product))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/chat/{}", c.id.0)))
}

pub struct BuyerRow {
    pub id: i64,
    pub shop_name: String,
    pub status: Status,
}

#[derive(Template)]
#[template(path = "chat_list.html")]
struct ListPage<'a> {
    page: &'a Layout,
    rows: Vec<BuyerRow>,
    now_ms: i64,
}

/// 消息: the buyer's conversations, latest first.
pub async fn list<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let rows = app
        .store
        .read(move |tx| {
            let mut rows = Vec::new();
            for c in tx.conversations_of_buyer(user.id, 200)? {
                let shop_name = tx.shop(c.shop_id)?.map(|s| s.name).unwrap_or_default();
                rows.push(BuyerRow { id: c.id.0, shop_name, status: Status::of(&c, Side::Buyer, now) });
            }
            Ok(rows)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(render(StatusCode::OK, &page.layout, &ListPage { page: &page.layout, rows, now_ms: now.millis() }))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/chat", routing::get(list::<S>))
        .route("/chat/open", routing::post(open::<S>))
        .route("/chat/{id}", routing::get(show::<S>))
        .route("/chat/{id}/messages", routing::post(post::<S>))
        .route(
            "/chat/{id}/images",
            routing::post(post_image::<S>).layer(DefaultBodyLimit::max(crate::app::chat::IMAGE_FORM_LIMIT)),
        )
        .route("/chat/{id}/assign", routing::post(assign::<S>))
}
