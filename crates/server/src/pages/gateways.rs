//! The admin's payment gateways page: the list and one form that creates or
//! updates a gateway by name. Post/redirect/get on success; on an error the
//! form comes back with the message beside its field and what was typed,
//! except the secrets, which are never written into a page.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::payments::Channel;
use youying_core::ports::Store;

use super::forms::{field, fields};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::payments::{self, GatewayRequest, GatewayView};
use crate::error::AppError;
use crate::state::App;

/// What the form shows: the typed values (never a secret) and the error.
#[derive(Default)]
struct Draft {
    name: String,
    kind: String,
    base_url: String,
    pid: String,
    channels: Vec<String>,
    enabled: bool,
    error_field: String,
    error: String,
}

#[derive(Template)]
#[template(path = "gateways.html")]
struct GatewaysPage<'a> {
    page: &'a Layout,
    gateways: Vec<GatewayView>,
    channels: Vec<(&'static str, &'static str)>,
    draft: Draft,
}

impl Draft {
    fn fresh() -> Self {
        Self {
            kind: "epay_v1".into(),
            channels: vec!["alipay".into(), "wxpay".into()],
            enabled: true,
            ..Self::default()
        }
    }

    fn checked(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c == channel)
    }

    /// The error, if it belongs beside `name`.
    fn error_for(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }
}

async fn gateways_page<S: Store>(app: &App<S>, page: &Page, draft: Draft) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let gateways = payments::list(app, &user).await.map_err(|e| page.error(e.into()))?;
    let status = if draft.error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let channels = Channel::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
    Ok(render(status, &page.layout, &GatewaysPage { page: &page.layout, gateways, channels, draft }))
}

pub async fn show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let saved = field(&q, "saved");
    let page = if saved.is_empty() {
        page
    } else {
        Page { layout: page.layout.clone().with_flash(format!("网关 {saved} 已保存。")), ..page }
    };
    gateways_page(&app, &page, Draft::fresh()).await
}

pub async fn save<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let name = field(&f, "name").trim().to_owned();
    let secret = |k: &str| Some(field(&f, k).to_owned()).filter(|s| !s.trim().is_empty());
    let req = GatewayRequest {
        kind: field(&f, "kind").to_owned(),
        base_url: field(&f, "base_url").to_owned(),
        pid: field(&f, "pid").to_owned(),
        key: secret("key"),
        merchant_private_key_pem: secret("merchant_private_key_pem"),
        platform_public_key_pem: secret("platform_public_key_pem"),
        channels: fields(&f, "channels").into_iter().map(str::to_owned).collect(),
        enabled: field(&f, "enabled") == "on",
    };
    match payments::put(&app, user, &name, &req).await.map_err(AppError::from) {
        Ok(g) => Ok(see_other(&format!("/platform/gateways?saved={}", g.name))),
        Err(e @ AppError::Core(Error::Invalid { field, .. })) => {
            let draft = Draft {
                name,
                kind: req.kind,
                base_url: req.base_url,
                pid: req.pid,
                channels: req.channels,
                enabled: req.enabled,
                error_field: field.to_owned(),
                error: e.message(),
            };
            gateways_page(&app, &page, draft).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/platform/gateways", routing::get(show::<S>).post(save::<S>))
}
