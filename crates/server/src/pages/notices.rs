//! The notification centre page (`/notifications`), the live badge script,
//! and what the account page's 通知渠道 forms show (see `channels` for their posts).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::Deserialize;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::push::{self, ChannelKind};

use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::push::{inbox, read_notices};
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

struct NoticeRow {
    id: i64,
    label: &'static str,
    text: String,
    url: String,
    at: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage<'a> {
    page: &'a Layout,
    unread: i64,
    rows: Vec<NoticeRow>,
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let v = page.require_viewer()?.clone();
    let inbox = inbox(&app, &v.user, None, 100).await.map_err(|e| page.error(e))?;
    let rows = inbox
        .items
        .into_iter()
        .map(|n| NoticeRow {
            id: n.id,
            label: push::PushEvent::parse(&n.event).map_or("通知", push::PushEvent::label),
            text: n.text,
            url: n.url,
            at: fmt_time(youying_core::Timestamp::from_millis(n.at)),
            read: n.read,
        })
        .collect();
    Ok(render(StatusCode::OK, &page.layout, &NoticesPage { page: &page.layout, unread: inbox.unread, rows }))
}

#[derive(Debug, Deserialize)]
pub struct ReadForm {
    /// One notice; absent: all.
    id: Option<i64>,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn mark_read<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<ReadForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    read_notices(&app, &v.user, f.id.map(|id| vec![id])).await.map_err(|e| page.error(e))?;
    Ok(see_other("/notifications"))
}

/// Keeps the badge live: on `{"type":"notice"}` over the websocket it
/// re-reads the unread count. No inline script (CSP).
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/notices.js"),
    )
}

/// One channel's form on the account page.
pub struct ChannelForm {
    pub kind: &'static str,
    pub label: &'static str,
    pub enabled: bool,
    /// The webhook URL or Telegram chat id as stored or as typed.
    pub target: String,
    pub hint: String,
    /// The field the error is about, and what it says.
    pub error_field: &'static str,
    pub error: String,
}

/// A refused form: which kind, what was typed, and the error.
pub struct Refused {
    pub kind: ChannelKind,
    pub enabled: bool,
    pub target: String,
    pub error: AppError,
}

/// The forms for every pushed kind, with a refused one's values and error.
pub(super) async fn channel_forms<S: Store>(
    app: &App<S>,
    user: &User,
    refused: Option<&Refused>,
) -> Result<Vec<ChannelForm>, AppError> {
    let set = crate::app::push::channels(app, user).await?;
    let forms = ChannelKind::ALL
        .into_iter()
        .filter(|k| k.pushed())
        .map(|kind| {
            let c = set.channels.iter().find(|c| c.kind == kind.as_str());
            let mut f = ChannelForm {
                kind: kind.as_str(),
                label: kind.label(),
                enabled: c.is_some_and(|c| c.enabled),
                target: c.and_then(|c| c.target.clone()).unwrap_or_default(),
                hint: c.and_then(|c| c.hint.clone()).unwrap_or_default(),
                error_field: "",
                error: String::new(),
            };
            if let Some(r) = refused.filter(|r| r.kind == kind) {
                f.enabled = r.enabled;
                f.target = r.target.clone();
                f.error_field = match &r.error {
                    AppError::Core(Error::Invalid { field, .. }) => field,
                    _ => "push_channel",
                };
                f.error = r.error.message();
            }
            f
        })
        .collect();
    Ok(forms)
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/notifications", routing::get(show::<S>))
        .route("/notifications/read", routing::post(mark_read::<S>))
}
