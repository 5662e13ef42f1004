//! Opening a shop and the merchant console: its listings with stock, its
//! staff and invitations. Listings, stock and orders have pages of their own.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::authz::{self, ShopAction};
use youying_core::money::Fen;
use youying_core::ports::Store;
use youying_core::shops::Shop;
use youying_core::values::{Role, ShopId, ShopName};
use youying_core::{rules, shops};

use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use crate::fmt::{fmt_duration, fmt_time};
use crate::security::{random_token, token_hash};
use crate::state::App;

#[derive(Template)]
#[template(path = "open_shop.html")]
struct OpenShopPage<'a> {
    page: &'a Layout,
    name: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OpenShopForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn open_form(page: Page) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    authz::open_shop(&v.user).map_err(|e| page.error(e.into()))?;
    Ok(render(StatusCode::OK, &page.layout, &OpenShopPage { page: &page.layout, name: String::new(), error: None }))
}

pub async fn open<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<OpenShopForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let now = app.now();
    let name = f.name.clone();
    let result = match ShopName::parse(&name) {
        Ok(n) => app.store.write(move |tx| shops::open(tx, now, &v.user, &n)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/merchant")),
        Err(e) => {
            let e: crate::error::AppError = e.into();
            let t = OpenShopPage { page: &page.layout, name: f.name, error: Some(e.message()) };
            Ok(render(e.status(), &page.layout, &t))
        }
    }
}

struct InviteRow {
    created: String,
    expires: String,
    state: &'static str,
}

/// A listing in the console: stock at a glance and the on/off-sale switch.
struct ConsoleProduct {
    id: i64,
    title: String,
    price: String,
    kind: &'static str,
    /// `None` for top-ups.
    stock: Option<i64>,
    on_sale: bool,
    /// 货源对接: mapped from an upstream, and why the source hides it, if it does.
    sourced: bool,
    source_hidden: Option<&'static str>,
    /// 直充货源: an own direct-top-up product may be bound to a supplier SKU (the SKU if bound).
    topup_own: bool,
    bound_sku: Option<String>,
}

struct ShopCard {
    id: i64,
    name: String,
    created: String,
    manage: bool,
    /// Staff names with whether each holds a valid quiz certificate (认证客服).
    owner_certified: bool,
    agents: Vec<(String, bool)>,
    invites: Vec<InviteRow>,
    products: Vec<ConsoleProduct>,
    /// Why buyers cannot see the listings, if they cannot.
    hidden: Option<&'static str>,
    downranked_until: Option<String>,
    /// 待办: chats, cases, top-ups and low stock, soonest first.
    due: super::due::Due,
}

#[derive(Template)]
#[template(path = "merchant.html")]
struct ConsolePage<'a> {
    page: &'a Layout,
    shops: Vec<ShopCard>,
    new_invite: Option<String>,
    invite_ttl: String,
}

fn invite_state(s: youying_core::shops::InviteState) -> &'static str {
    use youying_core::shops::InviteState::*;
    match s {
        Pending => "待接受",
        Accepted => "已加入",
        Expired => "已过期",
        Revoked => "已撤销",
    }
}

async fn console_page<S: Store>(app: &App<S>, page: &Page, new_invite: Option<String>) -> Result<Response, PageError> {
    let v = page.require_viewer()?.clone();
    let user = v.user.clone();
    let now = app.now();
    let (cards, ttl) = app
        .store
        .read(move |tx| {
            let shops: Vec<Shop> = match (user.role, user.shop_id) {
                (Role::MerchantAgent, Some(id)) => tx.shop(id)?.into_iter().collect(),
                _ => tx.shops_owned_by(user.id)?,
            };
            let mut cards = Vec::new();
            for s in shops {
                let manage = authz::shop(&user, ShopAction::Manage, &s).is_ok();
                let (agents, invites) =
                    if manage { (tx.shop_agents(s.id)?, tx.invites_of_shop(s.id)?) } else { (Vec::new(), Vec::new()) };
                let mut products = Vec::new();
                for p in if manage { tx.products_of_shop(s.id)? } else { Vec::new() } {
                    let stock = if p.spec.kind.has_stock() { Some(tx.stock_count(p.id)?) } else { None };
                    let source = tx.mapping_of_product(p.id)?;
                    let topup_own =
                        p.spec.kind == youying_core::catalogue::ProductKind::DirectTopup && source.is_none();
                    let bound_sku = if topup_own { tx.binding_of_product(p.id)?.map(|b| b.sku) } else { None };
                    products.push(ConsoleProduct {
                        topup_own,
                        bound_sku,
                        sourced: source.is_some(),
                        source_hidden: source.and_then(|m| m.hidden).map(|h| h.label()),
                        id: p.id.0,
                        title: p.spec.title.clone(),
                        price: Fen::new(p.spec.price_fen).unwrap_or_default().to_string(),
                        kind: p.spec.kind.label(),
                        stock,
                        on_sale: p.on_sale,
                    });
                }
                let standing = youying_core::deposit::standing(tx, now, s.id)?;
                let mut staff = Vec::new();
                for a in agents.into_iter().filter(|a| !a.disabled) {
                    let certified = youying_core::quiz::valid_certificate(tx, a.id, now)?.is_some();
                    staff.push((a.username, certified));
                }
                let owner_certified = youying_core::quiz::valid_certificate(tx, s.owner_id, now)?.is_some();
                cards.push(ShopCard {
                    id: s.id.0,
                    name: s.name.clone(),
                    created: fmt_time(s.created_at),
                    manage,
                    owner_certified,
                    agents: staff,
                    invites: invites
                        .iter()
                        .map(|i| InviteRow {
                            created: fmt_time(i.created_at),
                            expires: fmt_time(i.expires_at),
                            state: invite_state(i.state),
                        })
                        .collect(),
                    products,
                    hidden: standing.hidden_reason().map(youying_core::deposit::hidden_label),
                    downranked_until: standing.downranked_until.map(fmt_time),
                    due: super::due::gather(tx, now, &s, manage)?,
                });
            }
            Ok((cards, rules::in_force(tx)?.invite_ttl_secs()))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    if cards.is_empty() {
        return Ok(see_other("/shops/new"));
    }
    let t = ConsolePage { page: &page.layout, shops: cards, new_invite, invite_ttl: fmt_duration(ttl) };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The one-time cookie carrying a new invitation's token to `/merchant` (see `flash`).
const NEW_INVITE: &str = "yy_new_invite";

/// 商家后台. An invitation made just before arrives once in its cookie (see
/// [`invite`]) and the answer clears it: a reload neither shows it nor makes another.
pub async fn console<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let me = page.viewer.as_ref().map(|v| format!("{}-", v.user.id.0));
    let flashed = super::flash::peek(&headers, NEW_INVITE);
    // Only the account that made it sees it (another may have signed in since).
    let token = flashed.as_deref().zip(me.as_deref()).and_then(|(f, me)| f.strip_prefix(me));
    let base = app.config.site_url(&headers);
    let link = token.map(|t| format!("{}/invite/{t}", base.trim_end_matches('/')));
    let resp = console_page(&app, &page, link).await?;
    Ok(if flashed.is_some() {
        super::flash::clear(resp, NEW_INVITE, "/merchant", app.config.secure_cookies)
    } else {
        resp
    })
}

/// 邀请客服: 303 back to the console, which shows the link once.
pub async fn invite<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let token = random_token("yyi_").map_err(|e| page.error(e.into()))?;
    let (hash, now, user) = (token_hash(&token), app.now(), v.user.clone());
    app.store
        .write(move |tx| shops::invite_agent(tx, now, &user, ShopId(id), &hash))
        .await
        .map_err(|e| page.error(e.into()))?;
    let value = format!("{}-{token}", v.user.id.0);
    Ok(super::flash::put(see_other("/merchant"), NEW_INVITE, &value, "/merchant", app.config.secure_cookies))
}

async fn back_to_console() -> Response {
    see_other("/merchant")
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/shops/new", routing::get(open_form).post(open::<S>))
        .route("/merchant", routing::get(console::<S>))
        .route("/merchant/shops/{id}/invites", routing::get(back_to_console).post(invite::<S>))
}
