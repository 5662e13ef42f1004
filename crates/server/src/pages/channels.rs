//! The account page's 通知渠道 forms, posted: saved (or a test queued) and
//! redirected back, or the account page again with the error beside the
//! field and the typed values kept.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::Error;
use youying_core::ports::Store;
use youying_core::push::ChannelKind;

use super::layout::{Page, PageError, see_other};
use super::notices::Refused;
use super::session::CsrfForm;
use crate::app::push::{ChannelInput, queue_test, save};
use crate::state::App;

/// What was typed into one channel's form, kept when it is refused.
#[derive(Debug, Default, Deserialize)]
pub struct ChannelFormInput {
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    signing_secret: String,
    #[serde(default)]
    chat_id: String,
    #[serde(default)]
    bot_token: String,
    #[serde(default)]
    robot_key: String,
    #[serde(default)]
    sendkey: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn refuse<S: Store>(app: &App<S>, page: &Page, refused: Refused) -> Result<Response, PageError> {
    let status = refused.error.status();
    super::account::page_with(app, page, Some(&refused), status).await
}

pub async fn save_channel<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(kind): Path<String>,
    Form(f): Form<ChannelFormInput>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let k = ChannelKind::parse(&kind).filter(|k| k.pushed()).ok_or_else(|| page.error(Error::NotFound.into()))?;
    let id = v.user.id;
    // The page has no event picker: the events chosen through the API stay.
    let events = app
        .store
        .read(move |tx| tx.push_channel(id, k))
        .await
        .map_err(|e| page.error(e.into()))?
        .map(|c| c.events.iter().map(|e| e.as_str().to_owned()).collect::<Vec<_>>());
    let enabled = f.enabled.is_some();
    let input = ChannelInput {
        kind: kind.clone(),
        enabled,
        url: Some(f.url.clone()),
        signing_secret: Some(f.signing_secret),
        chat_id: Some(f.chat_id.clone()),
        bot_token: Some(f.bot_token),
        robot_key: Some(f.robot_key),
        sendkey: Some(f.sendkey),
        events,
    };
    let target = if k == ChannelKind::Telegram { f.chat_id } else { f.url };
    match save(&app, &v.user, &[input]).await {
        Ok(()) => Ok(see_other(&format!("/account#channel-{kind}"))),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            refuse(&app, &page, Refused { kind: k, enabled, target, error }).await
        }
        Err(e) => Err(page.error(e)),
    }
}

pub async fn test_channel<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(kind): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let k = ChannelKind::parse(&kind).ok_or_else(|| page.error(Error::NotFound.into()))?;
    match queue_test(&app, &v.user, &kind).await {
        Ok(_) => Ok(see_other(&format!("/account#channel-{kind}"))),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            refuse(&app, &page, Refused { kind: k, enabled: false, target: String::new(), error }).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/account/channels/{kind}", routing::post(save_channel::<S>))
        .route("/account/channels/{kind}/test", routing::post(test_channel::<S>))
}
