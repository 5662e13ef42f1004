//! The product page and its buy form: 立即购买 through the API's checkout,
//! post/redirect/get to the order (or the payment) page, and a refused
//! purchase shown again with the message beside the field it is about and
//! everything typed kept. 游客购买 (pages/guest.rs) shares the form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use youying_core::catalogue::{self, ProductKind, TopupField};
use youying_core::ports::Store;
use youying_core::rules::{self, Rule, Rules};
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, deposit};

use super::forms::field;
use super::labels::Contact;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::market::ProductCard;
use crate::app::orders::{NewOrder, PayWith};
use crate::app::pay::{self, Purchase};
use crate::app::products::{ProductView, load_view};
use crate::catalog::render_markdown;
use crate::error::{ApiResult, AppError};
use crate::fmt::{fmt_duration, fmt_fen};
use crate::security::random_token;
use crate::state::App;

struct TierRow {
    min_qty: i64,
    price: String,
}

struct TopupInput {
    name: String,
    label: String,
    pattern: Option<String>,
    required: bool,
    value: String,
    /// Why checkout refused what was typed here.
    error: Option<String>,
}

/// Where a refused purchase's message goes: beside the quantity, beside one
/// top-up field, or at the top of the form.
#[derive(Default)]
struct Placed {
    quantity: Option<String>,
    /// (field name, message).
    topup: Option<(String, String)>,
    other: Option<String>,
}

/// Places `e` on the form of `v`: the true limits of this listing, the first
/// top-up field whose value checkout refuses.
fn place(e: &AppError, v: &ProductView, typed: &[(String, String)]) -> Placed {
    let value_of = |f: &TopupField| typed.iter().find(|(k, _)| *k == f.name).map_or("", |(_, v)| v.as_str());
    match e {
        AppError::Core(Error::Invalid { field: "quantity", .. }) => Placed {
            quantity: Some(format!("购买数量须为 1–{} 的整数。", v.max_per_order)),
            ..Placed::default()
        },
        AppError::Core(Error::OutOfStock) => Placed { quantity: Some(e.message()), ..Placed::default() },
        AppError::Core(Error::Invalid { field: "topup_target", .. }) => {
            match v.topup_fields.iter().find(|f| !f.accepts(value_of(f))) {
                Some(f) => {
                    let said = if value_of(f).trim().is_empty() {
                        format!("请填写{}。", f.label)
                    } else {
                        format!("{}格式不对，请检查后重填。", f.label)
                    };
                    Placed { topup: Some((f.name.clone(), said)), ..Placed::default() }
                }
                None => Placed { other: Some(e.message()), ..Placed::default() },
            }
        }
        _ => Placed { other: Some(e.message()), ..Placed::default() },
    }
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage<'a> {
    page: &'a Layout,
    p: ProductCard,
    category: &'static str,
    category_code: String,
    on_sale: bool,
    is_topup: bool,
    description_html: String,
    instructions: String,
    tiers: Vec<TierRow>,
    topup_promise: String,
    /// The protection window in force for this kind of goods, in words.
    protect_window: String,
    topup_fields: Vec<TopupInput>,
    account_attrs: Vec<(String, String)>,
    max_per_order: i64,
    quantity: String,
    quantity_error: Option<String>,
    /// A fresh idempotency key per rendering: a double click or a resubmitted
    /// form buys once; a new visit to the page is a new purchase.
    idem: String,
    /// 支付宝 / 微信 …: what an enabled gateway offers for paying what the wallet lacks.
    pay_channels: Vec<(&'static str, &'static str)>,
    signed_in: bool,
    contact: Contact,
    error: Option<String>,
    /// 游客购买: the anonymous visitor's form (pages/guest.rs).
    guest: GuestForm,
}

/// The promised top-up time the way checkout sets it (the core's
/// `orders::promise_secs` is private): 秒到账 → the instant rule, else the
/// listing's own time, else the platform default.
fn topup_promise_secs(v: &ProductView, r: &Rules) -> i64 {
    youying_core::catalogue::topup_promise_secs(&v.promises, v.topup_promise_secs, r)
}

/// The 游客购买 form as the product page shows it (pages/guest.rs takes it):
/// what was typed (never the password) and each error beside its field.
#[derive(Debug, Default)]
pub struct GuestForm {
    pub contact: String,
    pub contact_error: Option<String>,
    pub password_error: Option<String>,
    /// Anything else (quantity, stock, the channel …).
    pub error: Option<String>,
}

/// What the buyer typed, kept when the form comes back with an error.
#[derive(Default)]
pub(super) struct BuyInput {
    pub(super) quantity: String,
    pub(super) topup: Vec<(String, String)>,
    pub(super) error: Option<AppError>,
    pub(super) guest: GuestForm,
}

pub(super) async fn product_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    input: BuyInput,
) -> Result<Response, PageError> {
    let v = load_view(app, page.viewer.as_ref().map(|v| &v.user), ProductId(id)).await.map_err(|e| page.error(e))?;
    let sid = ShopId(v.shop_id);
    let now = app.now();
    let (r, shop, listed, gateways): (Rules, _, bool, _) = app
        .store
        .read(move |tx| {
            let shop = tx.shop(sid)?.ok_or(Error::NotFound)?;
            Ok((rules::in_force(tx)?, shop, deposit::standing(tx, now, sid)?.listed(), tx.gateways()?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let mut contact = Contact::new(page.viewer.as_ref().map(|v| &v.user), &shop, format!("/products/{id}"));
    contact.product_id = Some(id);
    let idem = random_token("").map_err(|e| page.error(e.into()))?;
    let status = input.error.as_ref().map_or(StatusCode::OK, AppError::status);
    if let Some(e) = &input.error {
        e.log();
    }
    let placed = input.error.as_ref().map(|e| place(e, &v, &input.topup)).unwrap_or_default();
    let t = ProductPage {
        page: &page.layout,
        category: catalogue::category_name(&v.category).unwrap_or(""),
        category_code: v.category.clone(),
        // A hidden shop's listing is not for sale either (checkout refuses it too).
        on_sale: v.on_sale && listed,
        is_topup: v.kind == ProductKind::DirectTopup.as_str(),
        description_html: render_markdown(&v.description),
        instructions: v.instructions.clone(),
        tiers: v.tiers.iter().map(|t| TierRow { min_qty: t.min_qty, price: fmt_fen(t.unit_price_fen) }).collect(),
        topup_promise: fmt_duration(topup_promise_secs(&v, &r)),
        protect_window: fmt_duration(r.get(match ProductKind::parse(&v.kind) {
            Ok(ProductKind::DirectTopup) => Rule::ProtectTopupSecs,
            Ok(ProductKind::Account) => Rule::ProtectAccountSecs,
            _ => Rule::ProtectCardKeySecs,
        })),
        topup_fields: v
            .topup_fields
            .iter()
            .map(|f| TopupInput {
                name: f.name.clone(),
                label: f.label.clone(),
                pattern: f.pattern.clone(),
                required: f.required,
                value: input.topup.iter().find(|(k, _)| *k == f.name).map(|(_, v)| v.clone()).unwrap_or_default(),
                error: placed.topup.as_ref().filter(|(name, _)| *name == f.name).map(|(_, said)| said.clone()),
            })
            .collect(),
        account_attrs: v.account_attrs.iter().map(|a| (a.name.clone(), a.value.clone())).collect(),
        max_per_order: v.max_per_order,
        quantity: if input.quantity.is_empty() { "1".into() } else { input.quantity },
        quantity_error: placed.quantity,
        idem,
        pay_channels: pay::offered_channels(&gateways),
        signed_in: page.viewer.is_some(),
        contact,
        error: placed.other,
        guest: input.guest,
        p: ProductCard::of(&v),
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn product<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    product_page(&app, &page, id, BuyInput::default()).await
}

/// 立即购买: checkout through the same use case as the API, keyed by the form's
/// idempotency field, then 303 to the order page (or the payment page when a
/// gateway pays the rest): reloading where the buyer lands never buys again.
pub async fn buy<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let Some(viewer) = page.viewer.clone() else {
        return Ok(see_other(&format!("/login?next=/products/{id}")));
    };
    let (quantity, topup) = typed(&form);
    let result = async {
        let mut order = form_order(&app, id, &form).await?;
        let idem = field(&form, "idem").trim();
        let key = (!idem.is_empty()).then(|| format!("page:{idem}"));
        // 支付宝 / 微信 buttons: the wallet first, what it lacks through the gateway.
        let channel = field(&form, "pay_channel").trim();
        order.pay = (!channel.is_empty()).then(|| PayWith { channel: channel.to_owned(), gateway: None });
        let site = app.config.site_url(&headers);
        pay::buy(&app, viewer.user.clone(), &site, &order, key).await
    }
    .await;
    let input = |error| BuyInput { quantity, topup, error: Some(error), guest: GuestForm::default() };
    match result {
        Ok(Purchase::Placed { order, .. }) => Ok(see_other(&format!("/orders/{}", order.no))),
        Ok(Purchase::Paying(p)) => Ok(see_other(&format!("/wallet/topups/{}?go=1", p.id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => product_page(&app, &page, id, input(e)).await,
    }
}

/// The quantity and the top-up fields (`t_*`) as typed, to show again.
pub(super) fn typed(form: &[(String, String)]) -> (String, Vec<(String, String)>) {
    let topup = form.iter().filter_map(|(k, v)| k.strip_prefix("t_").map(|k| (k.to_owned(), v.clone()))).collect();
    (field(form, "quantity").trim().to_owned(), topup)
}

/// The order a product page's form asks for (without a way to pay): the
/// quantity, and for a direct top-up the declared fields.
pub(super) async fn form_order<S: Store>(app: &App<S>, id: i64, form: &[(String, String)]) -> ApiResult<NewOrder> {
    let (quantity, topup) = typed(form);
    // Only the kind and the declared fields are read here: no viewer needed.
    let v = load_view(app, None, ProductId(id)).await?;
    let qty = quantity.parse::<i64>().map_err(|_| Error::Invalid { field: "quantity", reason: "not_a_number" })?;
    let topup_target = (v.kind == ProductKind::DirectTopup.as_str()).then(|| {
        let declared = v.topup_fields.iter().map(|f| {
            let value = topup.iter().find(|(k, _)| *k == f.name).map_or("", |(_, v)| v.as_str());
            (f.name.clone(), serde_json::Value::String(value.to_owned()))
        });
        serde_json::Value::Object(declared.collect())
    });
    Ok(NewOrder { product_id: id, quantity: qty, topup_target, pay: None })
}

/// A GET of the form's address (a reloaded 422 page, a restored tab): the
/// product page, where the form lives, instead of 405.
pub async fn back_to_product(Path(id): Path<i64>) -> Response {
    see_other(&format!("/products/{id}"))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> axum::Router<App<S>> {
    axum::Router::new()
        .route("/products/{id}", axum::routing::get(product::<S>))
        .route("/products/{id}/buy", axum::routing::get(back_to_product).post(buy::<S>))
}
