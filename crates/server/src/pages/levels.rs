//! 会员等级 pages: the admin's levels (list, create, edit, put an account on a
//! level by its username) and a shop's 等级价 for one of its products. Every
//! form posts, then redirects (PRG); an error is shown beside its field with
//! what was typed kept.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::authz;
use youying_core::ports::Store;
use youying_core::values::Username;

use super::forms::{field, parse_yuan_opt, yuan_input};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::levels::{self, LevelBody, LevelPriceView, LevelPricesBody, LevelView, PriceEntry};
use crate::app::products::ProductView;
use crate::error::AppError;
use crate::fmt::fmt_fen;
use crate::state::App;
use youying_core::levels::PriceBasis;

/// Which form an error belongs to, the field, the message, and what was typed.
#[derive(Default)]
struct FormError {
    form: String,
    field: String,
    message: String,
    typed: Vec<(String, String)>,
}

impl FormError {
    fn of(form: &str, e: &AppError, typed: &[(String, String)]) -> Self {
        let field = match e {
            AppError::Core(Error::Invalid { field, .. }) => (*field).to_owned(),
            _ => String::new(),
        };
        Self { form: form.to_owned(), field, message: e.message(), typed: typed.to_vec() }
    }
}

#[derive(Template)]
#[template(path = "levels_admin.html")]
struct AdminPage<'a> {
    page: &'a Layout,
    levels: Vec<LevelView>,
    err: FormError,
}

impl AdminPage<'_> {
    /// The error for `name` on `form` ("new", "assign", "edit-3"); "" when none.
    fn error_for(&self, form: &str, name: &str) -> &str {
        let any_field = name == "*" && !self.err.form.is_empty();
        if self.err.form == form && (self.err.field == name || any_field) { &self.err.message } else { "" }
    }

    /// What was typed into `name` on `form` when it came back with an error, else `default`.
    fn typed(&self, form: &str, name: &str, default: impl std::fmt::Display) -> String {
        if self.err.form == form {
            return field(&self.err.typed, name).to_owned();
        }
        default.to_string()
    }
}

async fn admin_page<S: Store>(app: &App<S>, page: &Page, err: FormError) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    authz::admin(&v.user).map_err(|e| page.error(e.into()))?;
    let list = levels::list(app).await.map_err(|e| page.error(e.into()))?;
    let status = if err.form.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = AdminPage { page: &page.layout, levels: list, err };
    Ok(render(status, &page.layout, &t))
}

fn done_flash(page: Page, q: &[(String, String)]) -> Page {
    let msg = match field(q, "done") {
        "created" => "等级已创建。",
        "updated" => "等级已保存。",
        "assigned" => "已为该账号设置会员等级，之后下单按新等级计价。",
        _ => return page,
    };
    Page { layout: page.layout.clone().with_flash(msg), ..page }
}

pub async fn admin<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let page = done_flash(page, &q);
    admin_page(&app, &page, FormError::default()).await
}

/// A number typed into a form field; an empty field is `None`.
fn number(form: &[(String, String)], name: &'static str) -> Result<Option<i64>, Error> {
    let raw = field(form, name).trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| Error::Invalid { field: name, reason: "not_a_number" })
}

fn body_of(form: &[(String, String)]) -> Result<LevelBody, Error> {
    Ok(LevelBody {
        name: Some(field(form, "name").to_owned()),
        position: number(form, "position")?,
        discount_bp: number(form, "discount_bp")?,
        is_default: field(form, "is_default").eq("1").then_some(true),
    })
}

pub async fn create<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let result = match body_of(&form) {
        Ok(body) => levels::create(&app, user, &body).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(see_other("/platform/levels?done=created")),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            admin_page(&app, &page, FormError::of("new", &e, &form)).await
        }
        Err(e) => Err(page.error(e)),
    }
}

pub async fn edit<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let result = match body_of(&form) {
        Ok(body) => levels::update(&app, user, id, &body).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(see_other("/platform/levels?done=updated")),
        Err(e)
            if e.status().is_client_error() && !matches!(e.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
        {
            admin_page(&app, &page, FormError::of(&format!("edit-{id}"), &e, &form)).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// 设置账号等级: the admin types the username (as on every other staff page,
/// people are named by their username) and picks the level.
pub async fn assign<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let admin = page.require_viewer()?.user.clone();
    let result = async {
        authz::admin(&admin)?;
        let key = Username::parse(field(&form, "username"))?.key();
        let user = app
            .store
            .read(move |tx| tx.user_by_key(&key))
            .await?
            .ok_or(Error::Invalid { field: "assign_username", reason: "no_such_user" })?;
        let level = number(&form, "level_id")?.ok_or(Error::Invalid { field: "level_id", reason: "required" })?;
        levels::assign(&app, admin.clone(), user.id.0, level).await
    }
    .await
    .map_err(AppError::from);
    match result {
        Ok(_) => Ok(see_other("/platform/levels?done=assigned")),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            admin_page(&app, &page, FormError::of("assign", &e, &form)).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// "你的价格（代理）¥9.50 · 95折": the viewer's level price beside the list price.
pub struct YourPrice {
    pub level: String,
    pub price: String,
    /// "95折", or "店铺等级价" for the shop's own price for the level.
    pub note: String,
}

impl YourPrice {
    pub fn of(v: &ProductView) -> Option<Self> {
        let price = fmt_fen(v.your_price_fen);
        match &v.your_price_basis {
            PriceBasis::LevelDiscount { level_name, discount_bp, .. } => Some(Self {
                level: level_name.clone(),
                price,
                note: youying_core::levels::zhe(*discount_bp).unwrap_or_default(),
            }),
            PriceBasis::LevelPrice { level_name, .. } => {
                Some(Self { level: level_name.clone(), price, note: "店铺等级价".into() })
            }
            PriceBasis::List | PriceBasis::Tier { .. } => None,
        }
    }
}

/// One row of the 等级价 form: the level, its discount, and the price typed.
struct PriceRow {
    level_id: i64,
    name: String,
    zhe: Option<String>,
    value: String,
    error: String,
}

/// The form as posted, the level whose field is wrong, and the message.
type Typed<'f> = (&'f [(String, String)], i64, String);

#[derive(Template)]
#[template(path = "level_prices.html")]
struct PricesPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    product_id: i64,
    title: String,
    list_price: String,
    rows: Vec<PriceRow>,
}

async fn prices_page<S: Store>(
    app: &App<S>,
    page: &Page,
    (shop, product): (i64, i64),
    typed: Option<Typed<'_>>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let set: Vec<LevelPriceView> =
        levels::prices(app, user.clone(), shop, product).await.map_err(|e| page.error(e.into()))?;
    let p = crate::app::products::load_view(app, Some(&user), youying_core::values::ProductId(product))
        .await
        .map_err(|e| page.error(e))?;
    let rows = set
        .iter()
        .map(|l| {
            let (value, error) = match &typed {
                Some((form, bad, msg)) => (
                    field(form, &format!("level_{}", l.level_id)).to_owned(),
                    if *bad == l.level_id { msg.clone() } else { String::new() },
                ),
                None => (l.unit_price_fen.map(yuan_input).unwrap_or_default(), String::new()),
            };
            PriceRow {
                level_id: l.level_id,
                name: l.level_name.clone(),
                zhe: youying_core::levels::zhe(l.discount_bp),
                value,
                error,
            }
        })
        .collect();
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let t = PricesPage {
        page: &page.layout,
        shop_id: shop,
        product_id: product,
        title: p.title,
        list_price: fmt_fen(p.price_fen),
        rows,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn prices<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(ids): Path<(i64, i64)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let page = if field(&q, "saved").is_empty() {
        page
    } else {
        Page { layout: page.layout.clone().with_flash("等级价已保存。"), ..page }
    };
    prices_page(&app, &page, ids, None).await
}

/// Every level's field: a price in yuan, or empty for none (the level's discount applies).
pub async fn save_prices<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((shop, product)): Path<(i64, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let all = levels::list(&app).await.map_err(|e| page.error(e.into()))?;
    let mut prices = Vec::new();
    for l in &all {
        match parse_yuan_opt("unit_price_fen", field(&form, &format!("level_{}", l.id))) {
            Ok(fen) => prices.push(PriceEntry { level_id: l.id, unit_price_fen: fen }),
            Err(e) => {
                let msg = AppError::from(e).message();
                return prices_page(&app, &page, (shop, product), Some((&form, l.id, msg))).await;
            }
        }
    }
    match levels::set_prices(&app, user, shop, product, &LevelPricesBody { prices }).await.map_err(AppError::from) {
        Ok(_) => Ok(see_other(&format!("/merchant/shops/{shop}/products/{product}/levels?saved=1"))),
        // Only a zero price gets here (the rest was parsed above): beside the first zero.
        Err(e @ AppError::Core(Error::Invalid { .. })) => {
            let zero = |l: &&LevelView| {
                parse_yuan_opt("unit_price_fen", field(&form, &format!("level_{}", l.id))).ok().flatten() == Some(0)
            };
            let bad = all.iter().find(zero).map_or(0, |l| l.id);
            prices_page(&app, &page, (shop, product), Some((&form, bad, e.message()))).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/platform/levels", routing::get(admin::<S>).post(create::<S>))
        .route("/platform/levels/assign", routing::post(assign::<S>))
        .route("/platform/levels/{id}", routing::post(edit::<S>))
        .route("/merchant/shops/{id}/products/{pid}/levels", routing::get(prices::<S>).post(save_prices::<S>))
}
